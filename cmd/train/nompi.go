//go:build !mpi

package main

import (
	"time"

	"github.com/pkg/errors"
)

// joinMPI refuses -mpi: this binary was built without MPI.
func joinMPI(time.Duration) (mpiJob, error) {
	return nil, usageError{errors.New("-mpi: this binary was built without MPI; build it with cgo and an MPI library: go build -tags mpi -o gornn-train ./cmd/train")}
}
