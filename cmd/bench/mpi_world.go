//go:build mpi

package main

import "github.com/gornn/gornn/mpi"

// joinWorld starts MPI and returns the job this worker is a rank of.
func joinWorld() (mpiWorld, error) { return mpi.Init(mpi.Options{}) }
