//go:build mpi

package mpi

import (
	"context"
	"fmt"
	"math"
	"os"
	"os/exec"
	"testing"
	"time"
)

// underMPI runs the test named name again as the ranks of an MPI job of
// size ranks (mpirun, on this machine), unless this process is one of
// them: it reports whether the caller is a rank and should go on. It
// skips when mpirun is not installed.
func underMPI(t *testing.T, name string, ranks int) bool {
	t.Helper()
	if Launched() {
		return true
	}
	mpirun, err := exec.LookPath("mpirun")
	if err != nil {
		t.Skip("mpirun is not installed (apt-get install openmpi-bin libopenmpi-dev)")
	}
	cmd := exec.Command(mpirun, "--allow-run-as-root", "--oversubscribe", "-np", fmt.Sprint(ranks),
		os.Args[0], "-test.run=^"+name+"$", "-test.v")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("mpirun -np %d: %v\n%s", ranks, err, out)
	}
	t.Logf("mpirun -np %d:\n%s", ranks, out)
	return false
}

// TestWorld checks the collectives on three ranks: AllGather of lengths
// that differ (one empty), SumFloat32 against the rank-ordered sum bit for
// bit (lengths that three does not divide, and one shorter than the
// world), and Watch stopping every rank after the same exchange.
func TestWorld(t *testing.T) {
	if !underMPI(t, "TestWorld", 3) {
		return
	}
	w, err := Init(Options{Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if w.Size() != 3 {
		t.Fatalf("size %d, want 3", w.Size())
	}
	own := make([]byte, w.Rank()*2) // rank 0 sends nothing
	for i := range own {
		own[i] = byte(w.Rank())
	}
	all, err := w.AllGather(own)
	if err != nil {
		t.Fatal(err)
	}
	for r, data := range all {
		if len(data) != 2*r || (len(data) > 0 && data[0] != byte(r)) {
			t.Errorf("rank %d's data %v", r, data)
		}
	}

	for _, n := range []int{10, 2, 1000} {
		input := func(rank int) []float32 {
			x := make([]float32, n)
			for i := range x {
				x[i] = float32(math.Sin(float64(1+i*(rank+1)))) * float32(math.Pow(10, float64(rank*3)))
			}
			return x
		}
		x := input(w.Rank())
		if err := w.SumFloat32(x); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, n)
		sumInOrder(want, [][]float32{input(0), input(1), input(2)})
		for i := range want {
			if math.Float32bits(x[i]) != math.Float32bits(want[i]) {
				t.Fatalf("n %d: element %d is %v, want %v", n, i, x[i], want[i])
			}
		}
	}

	local, cancel := context.WithCancel(context.Background())
	agreed := w.Watch(local)
	if w.Rank() == 1 {
		cancel() // a signal reached rank 1 alone
	}
	if agreed.Err() != nil {
		t.Fatal("the agreed context is cancelled before any exchange")
	}
	if _, err := w.AllGather(nil); err != nil {
		t.Fatal(err)
	}
	if agreed.Err() == nil {
		t.Errorf("rank %d: the agreed context is not cancelled after the exchange", w.Rank())
	}
	cancel()
	if err := w.Finalize(); err != nil {
		t.Fatal(err)
	}
}
