package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"

	"github.com/gornn/gornn/train"
	"github.com/pkg/errors"
)

// modeMPI measures data-parallel training through MPI: the same training
// batches, from the same initial weights, run by N MPI ranks of one worker
// each and by one process of N workers (N = -threads), on this machine.
// The ranks sum their gradients in rank order and take the same steps as
// the one process, so the difference in tokens/s is the cost of going
// through MPI: separate processes, and the collectives of every step.
const modeMPI = "mpi"

// mpiMeasurement is the MPI row of one config.
type mpiMeasurement struct {
	Config     string   `json:"config"`
	Ranks      int      `json:"ranks"`
	OneProcess []result `json:"one_process"` // 1 process x Ranks workers, in run order
	MPI        []result `json:"mpi"`         // Ranks MPI ranks x 1 worker, as rank 0 measured them
}

// mpiWorld is the MPI job a -mpi worker is a rank of: package mpi's World
// in a binary built with -tags mpi (mpi_world.go); without the tag, -mpi
// is refused (nompi.go).
type mpiWorld interface {
	train.Group
	Finalize() error
	Abort(code int)
}

// runMPIWorker is the worker mode as one rank of an MPI job: every rank
// trains its share of each batch, rank 0 reports. A failing rank ends the
// job, since the others would wait for it.
func runMPIWorker(a workerArgs, stdout, stderr io.Writer) int {
	world, err := joinWorld()
	if err != nil {
		fmt.Fprintln(stderr, "bench worker:", err)
		return exitUsage
	}
	res, err := work(a, world)
	if err == nil && world.Rank() == 0 {
		err = json.NewEncoder(stdout).Encode(res)
	}
	if err != nil {
		fmt.Fprintf(stderr, "bench worker: rank %d of %d: %v\n", world.Rank(), world.Size(), err)
		world.Abort(exitFailure)
	}
	if err := world.Finalize(); err != nil {
		fmt.Fprintln(stderr, "bench worker:", err)
		return exitFailure
	}
	return exitOK
}

// mpiPair runs config name's training -repeats times each way, alternating
// which goes first: one process of -threads workers, and -threads MPI
// ranks of one worker under mpirun, each rank with GOMAXPROCS=1.
func (r *runner) mpiPair(name, dir string, o options) (mpiMeasurement, error) {
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		return mpiMeasurement{}, errors.New("-modes mpi: mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")
	}
	m := mpiMeasurement{Config: name, Ranks: o.threads}
	one := func() *exec.Cmd {
		cmd := exec.Command(r.self, "-worker", modeTrain, "-dir", dir, "-threads", r.threads, "-steps", r.steps)
		cmd.Env = append(os.Environ(), "GOMAXPROCS="+r.threads)
		return cmd
	}
	ranks := func() *exec.Cmd {
		args := []string{"--oversubscribe", "-np", r.threads, "-x", "GOMAXPROCS=1"}
		if os.Geteuid() == 0 {
			args = append([]string{"--allow-run-as-root"}, args...)
		}
		args = append(args, r.self, "-worker", modeTrain, "-dir", dir, "-threads", "1", "-steps", r.steps, "-mpi")
		return exec.Command(mpirun, args...)
	}
	for rep := 1; rep <= o.repeats; rep++ {
		fmt.Fprintf(r.log, "%s mpi %d/%d:", name, rep, o.repeats)
		order := []bool{false, true} // MPI second on odd repeats
		if rep%2 == 0 {
			order = []bool{true, false}
		}
		for _, viaMPI := range order {
			cmd, side := one(), "1 process"
			if viaMPI {
				cmd, side = ranks(), strconv.Itoa(o.threads)+" ranks"
			}
			res, err := r.measured(cmd)
			if err != nil {
				fmt.Fprintln(r.log)
				return m, errors.Wrapf(err, "%s mpi, %s", name, side)
			}
			if viaMPI {
				m.MPI = append(m.MPI, res)
			} else {
				m.OneProcess = append(m.OneProcess, res)
			}
			fmt.Fprintf(r.log, " %s %.0f tokens/s;", side, tokensPerSec(res))
		}
		fmt.Fprintln(r.log)
	}
	return m, nil
}

// writeMPI prints the MPI table.
func writeMPI(w io.Writer, ms []mpiMeasurement, configs []benchConfig) {
	if len(ms) == 0 {
		return
	}
	n := ms[0].Ranks
	fmt.Fprintf(w, "\n### Data-parallel training through MPI: %d ranks x 1 worker against 1 process x %d workers\n\n", n, n)
	fmt.Fprintf(w, "| config | 1 process x %d workers, tokens/s | %d MPI ranks x 1 worker, tokens/s | MPI / 1 process | ms/step, 1 process | ms/step, MPI | other load |\n", n, n)
	fmt.Fprintln(w, "|---|--:|--:|--:|--:|--:|--:|")
	for _, m := range ms {
		var ratios []float64
		for i := range min(len(m.OneProcess), len(m.MPI)) {
			ratios = append(ratios, tokensPerSec(m.MPI[i])/tokensPerSec(m.OneProcess[i]))
		}
		load := 0.0
		for _, r := range append(append([]result(nil), m.OneProcess...), m.MPI...) {
			load = max(load, r.OtherCPUs)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.2f | %.2f | %.2f |\n", m.Config,
			spread(each(m.OneProcess, tokensPerSec), "%s"), spread(each(m.MPI, tokensPerSec), "%s"), spread(ratios, "%.2f"),
			median(each(m.OneProcess, msPerStep)), median(each(m.MPI, msPerStep)), load)
	}
	fmt.Fprintf(w, "\nBoth sides train the same batches from the same weights with the same gradients (the ranks sum theirs in rank order), "+
		"%d batches timed after an untimed first one; the MPI side runs under mpirun, each rank with GOMAXPROCS=1, and rank 0 times it, collectives included. "+
		"Tokens/s is the median (min–max) over the repeats; other load is the most CPUs other processes kept busy during one of the row's runs. Mean loss per config:\n",
		ms[0].OneProcess[0].Steps)
	for _, c := range configs {
		for _, m := range ms {
			if m.Config == c.name && len(m.OneProcess) > 0 && len(m.MPI) > 0 {
				fmt.Fprintf(w, "- %s: 1 process %.6f, MPI %.6f\n", c.name, m.OneProcess[0].Loss, m.MPI[0].Loss)
			}
		}
	}
}
