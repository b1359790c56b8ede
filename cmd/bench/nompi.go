//go:build !mpi

package main

import "github.com/pkg/errors"

// joinWorld refuses -mpi: this binary was built without MPI.
func joinWorld() (mpiWorld, error) {
	return nil, errors.New("-mpi: this binary was built without MPI; run it with: go run -tags mpi ./cmd/bench -modes mpi")
}
