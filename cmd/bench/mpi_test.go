//go:build mpi

package main

import (
	"bytes"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestMPIRow runs the mpi mode on a few batches of the built-in data: 2
// MPI ranks of 1 worker and 1 process of 2 workers, one repeat each, and
// checks that both trained the same batches to the same loss.
func TestMPIRow(t *testing.T) {
	if _, err := exec.LookPath("mpirun"); err != nil {
		t.Skip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")
	}
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	jsonOut := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"-python", filepath.Join(t.TempDir(), "no-python"), "-configs", "lstm", "-modes", "mpi", "-train-rows", "1:80",
		"-steps", "3", "-repeats", "1", "-threads", "2", "-wait-idle", "0", "-json", jsonOut}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	checkContains(t, "the output", stdout.String(), "2 ranks x 1 worker against 1 process x 2 workers", "| lstm | ")
	rep := readReport(t, jsonOut)
	if len(rep.MPI) != 1 || len(rep.MPI[0].MPI) != 1 || len(rep.MPI[0].OneProcess) != 1 {
		t.Fatalf("raw results: %+v", rep.MPI)
	}
	one, mpi := rep.MPI[0].OneProcess[0], rep.MPI[0].MPI[0]
	if one.Steps != 3 || mpi.Steps != one.Steps || mpi.Tokens != one.Tokens || mpi.Loss != one.Loss {
		t.Errorf("1 process: %d steps, %d tokens, loss %v; MPI: %d, %d, %v; want the same", one.Steps, one.Tokens, one.Loss, mpi.Steps, mpi.Tokens, mpi.Loss)
	}
	t.Log(stdout.String())
}
