package graph

import (
	"reflect"
	"unsafe"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
)

// tape is a compiled Gorgonia TapeMachine that runs its program in the
// calling goroutine.
//
// Gorgonia's RunAll locks the calling goroutine to its OS thread, starts
// the program on a new goroutine and waits for it on channels: two thread
// wake-ups per run, 40-50 µs on this project's 2-core virtual machine
// (BenchmarkTapeRun), which is the whole cost of a batch-1 step and a
// third of a 40-token batch-1 classification. That hand-off serves the
// CUDA build (cgo calls pinned to one thread, kernels launched in
// batches); in the CPU build RunAll does nothing but run the program and
// then two things that are empty for gornn's graphs: the batched-BLAS work
// queue (only with a cgo BLAS Gorgonia batches, which gornn does not use)
// and the closure queue (filled only by gradient nodes of Gorgonia's
// identity op Iop, which neither gorgonia.Grad nor gornn creates). So run
// calls the unexported loop RunAll starts, gorgonia.(*tapeMachine).runall,
// directly: the same instructions on the same registers, so the same
// values bit for bit, without the hand-off. A panic in an op now reaches
// Run's recover instead of killing the process from another goroutine.
//
// gorgonia is pinned at v0.9.18 in go.mod; TestTapeRunMatchesRunAll checks
// this loop against RunAll.
type tape struct {
	G.VM
	machine unsafe.Pointer // the *gorgonia.tapeMachine behind VM
	errs    chan error
	done    chan struct{}
}

//go:linkname tapeMachineRunAll gorgonia.org/gorgonia.(*tapeMachine).runall
func tapeMachineRunAll(m unsafe.Pointer, errs chan error, done chan struct{})

// newTape compiles g into a TapeMachine with opts.
func newTape(g *G.ExprGraph, opts ...G.VMOpt) *tape {
	m := G.NewTapeMachine(g, opts...)
	return &tape{VM: m, machine: reflect.ValueOf(m).UnsafePointer(), errs: make(chan error, 1), done: make(chan struct{}, 1)}
}

// run resets the machine and runs its program once, to the end or to the
// first failing instruction.
func (t *tape) run() error {
	t.Reset()
	tapeMachineRunAll(t.machine, t.errs, t.done)
	select {
	case err := <-t.errs:
		return err
	case <-t.done:
		return nil
	default:
		return errors.New("graph: the tape machine stopped without finishing or failing")
	}
}
