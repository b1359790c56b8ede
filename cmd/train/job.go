package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/gornn/gornn/train"
	"github.com/pkg/errors"
)

// mpiJob is the MPI job a -mpi run is one rank of: package mpi's World in
// a binary built with -tags mpi (mpi.go); without the tag, -mpi is refused
// (nompi.go).
type mpiJob interface {
	train.Group
	// Watch returns a context cancelled on every rank before the same
	// batch, once ctx is cancelled on any.
	Watch(ctx context.Context) context.Context
	// Finalize ends this rank's part of the job.
	Finalize() error
	// Abort ends every rank with exit status code; it does not return.
	Abort(code int)
}

// runMPI runs the command as one rank of an MPI job. Every rank reads the
// data and trains its share of every batch; rank 0 alone writes the run
// directory, the progress and the summary. A rank that fails ends the
// whole job (MPI_Abort), naming itself, rather than leave the others
// waiting for it; an interruption (SIGINT or SIGTERM, which mpirun passes
// on) stops every rank before the same batch, rank 0 saves, and every
// rank exits with the status one process would.
func runMPI(ctx context.Context, o options, stdout, stderr io.Writer) int {
	job, err := joinMPI(o.MPITimeout)
	if err != nil {
		return report(err, o, stderr)
	}
	o.job = job
	if job.Rank() != 0 {
		stdout = io.Discard
	}
	err = trainRun(ctx, o, stdout, stderr)
	switch {
	case err == nil:
		return report(job.Finalize(), o, stderr)
	case errors.Is(err, train.ErrInterrupted):
		status := exitInterrupted
		if job.Rank() == 0 { // it saved the run, and says where
			status = report(err, o, stderr)
		}
		// mpirun ends the job as soon as one rank exits: wait for rank 0
		// to have saved. No MPI_Finalize: mpirun, which passed the signal
		// on, is ending the job, and OpenMPI 4.1's MPI_Finalize would wait
		// for it until it kills the rank.
		if _, err := job.AllGather(nil); err != nil {
			fmt.Fprintf(stderr, "train: rank %d of %d: %v\n", job.Rank(), job.Size(), err)
		}
		return status
	}
	status := report(errors.Wrapf(err, "rank %d of %d", job.Rank(), job.Size()), o, stderr)
	job.Abort(status)
	return status
}

// mpiTimeoutDefault is -mpi-timeout's default: longer than a step and a
// checkpoint, or a validation pass, take.
const mpiTimeoutDefault = 10 * time.Minute

// resumeInTurn orders the ranks of a resumed MPI run (job nil: one
// process, nothing to order): rank 0 recovers and resumes the run
// directory, which may rewrite it, and only then do the others read it.
// Rank 0 calls it after its Resume, the others before they read the
// directory; they meet in one collective.
func resumeInTurn(job mpiJob) error {
	if job == nil {
		return nil
	}
	_, err := job.AllGather(nil)
	return errors.Wrap(err, "waiting for rank 0 to recover the run directory")
}
