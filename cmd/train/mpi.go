//go:build mpi

package main

import (
	"time"

	"github.com/gornn/gornn/mpi"
)

// joinMPI starts MPI and returns the job this process is a rank of.
func joinMPI(timeout time.Duration) (mpiJob, error) {
	return mpi.Init(mpi.Options{Timeout: timeout})
}
