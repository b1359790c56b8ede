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
//     MPI_Irecv, so that a rank that does not arrive within the timeout is
//     named in the error;
//   - MPI_Iallgatherv of the step summaries (losses, weights and the task's
//     measures: a few hundred bytes);
//   - the gradient sum (SumFloat32), a reduce-scatter and an all-gather
//     built from MPI's own collectives: MPI_Ialltoallv sends chunk r of the
//     P gradients to rank r, which adds the N copies it receives in rank
//     order, and MPI_Iallgatherv gives every rank every summed chunk. Each
//     rank sends and receives 2(N-1)/N × 4P bytes, what a ring all-reduce
//     moves, and the sums are the same bits on every rank and in every
//     run, which MPI_Allreduce does not promise.
//
// Every wait polls MPI_Test, sleeping between polls (up to a millisecond),
// so a rank waiting for a slower one leaves it the CPU, and gives up after
// Options.Timeout with an error that says what it waited for.
package mpi
