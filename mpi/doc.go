// Package mpi runs gornn's data-parallel training across processes and
// machines over MPI: World, a train.Group whose processes are an MPI job's
// ranks (mpirun -np N). It needs cgo and an MPI library (OpenMPI 4.1:
// Debian's openmpi-bin and libopenmpi-dev) and is built only with the mpi
// build tag:
//
//	go build -tags mpi -o gornn-train ./cmd/train
//	mpirun -np 2 ./gornn-train -mpi -workers 1
//
// Without the tag the package holds only what needs no MPI (the chunking
// and the rank-ordered sum below), and Init is missing, so the default
// build stays pure Go.
//
// Communication, per training step:
//
//   - a handshake: every rank sends two 8-byte words to every other (the
//     length of its step summary and a stop flag) with MPI_Isend and
//     MPI_Irecv, and polls them with MPI_Test, sleeping between polls, so
//     that a rank waiting for a slower one leaves it the CPU, and so that
//     a rank that has not arrived after Options.Timeout is named in the
//     error;
//   - MPI_Allgatherv of the step summaries (losses, weights and the task's
//     measures: a few hundred bytes);
//   - the gradient sum (SumFloat32), a reduce-scatter and an all-gather
//     built from MPI's own collectives: MPI_Alltoallv sends chunk r of the
//     P gradients to rank r, which adds the N copies it receives in rank
//     order, and MPI_Allgatherv gives every rank every summed chunk. Each
//     rank sends and receives 2(N-1)/N × 4P bytes, what a ring all-reduce
//     moves, and the sums are the same bits on every rank and in every
//     run, which MPI_Allreduce does not promise.
//
// The collectives after the handshake are MPI's blocking ones (the
// handshake found every rank there); a watchdog ends the rank if one still
// waits after Options.Timeout (a rank that stopped in between), and mpirun
// then ends the job. A rank that dies is reported by mpirun itself
// ("mpirun noticed that process rank 1 ... exited on signal 9"), which
// ends the job.
package mpi
