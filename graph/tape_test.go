package graph

import (
	"fmt"
	"hash"
	"strings"

	"github.com/chewxy/hm"
	"github.com/pkg/errors"
	"slices"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestTapeRunMatchesRunAll runs a 2-layer bidirectional LSTM classifier's
// training graph, both implementations, once through Graph.Run (the tape
// loop in the calling goroutine) and once through Gorgonia's RunAll, and
// checks that the logits, the loss and every gradient are the same bits.
func TestTapeRunMatchesRunAll(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		params, emb, rnn, fc := bidirectionalParts(t, 7, LSTM, 12, 5, 4, 3)
		g, err := New(params, Config{Batch: 3, Training: true, Impl: impl})
		check(t, err)
		net := buildClassifier(t, g, 4, emb, rnn, fc, Max)
		check(t, net.set([]int{1, 2, 3, 0, 4, 5, 6, 7, 8, 9, 0, 0}, []int{3, 4, 2}, []int{0, 2, 1}))

		type result struct{ logits, loss, grads []float64 }
		collect := func(run func() error) result {
			params.ZeroGrads()
			check(t, run())
			logits, err := Values(net.logits)
			check(t, err)
			loss, err := Values(net.loss)
			check(t, err)
			check(t, g.AccumulateGrads(1))
			var grads []float64
			for _, p := range params.List() {
				grads = append(grads, p.Gradients()...)
			}
			return result{logits, loss, grads}
		}
		tape := collect(g.Run)
		runAll := collect(func() error {
			g.machine.Reset()
			return g.machine.RunAll()
		})
		for _, c := range []struct {
			name      string
			tape, all []float64
		}{{"logits", tape.logits, runAll.logits}, {"loss", tape.loss, runAll.loss}, {"gradients", tape.grads, runAll.grads}} {
			if !slices.Equal(c.tape, c.all) {
				t.Errorf("%s: Run gives %v, RunAll %v", c.name, c.tape, c.all)
			}
		}
	})
}

// failingOp is a unary op whose Do fails.
type failingOp struct{}

func (failingOp) Arity() int                                        { return 1 }
func (failingOp) Type() hm.Type                                     { return hm.NewFnType(hm.TypeVariable('a'), hm.TypeVariable('a')) }
func (failingOp) InferShape(ds ...G.DimSizer) (tensor.Shape, error) { return ds[0].(tensor.Shape), nil }
func (failingOp) Do(...G.Value) (G.Value, error)                    { return nil, errors.New("failing op") }
func (failingOp) ReturnsPtr() bool                                  { return false }
func (failingOp) CallsExtern() bool                                 { return false }
func (failingOp) OverwritesInput() int                              { return -1 }
func (failingOp) WriteHash(h hash.Hash)                             { fmt.Fprint(h, "failing") }
func (failingOp) Hashcode() uint32                                  { return 1 }
func (failingOp) String() string                                    { return "failing" }

// TestTapeRunReportsFailure checks that an op failing mid-program is an
// error from the run, and that the machine runs again afterwards.
func TestTapeRunReportsFailure(t *testing.T) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float32, G.WithShape(4), G.WithInit(G.Ones()))
	G.Must(G.ApplyOp(failingOp{}, G.Must(G.Add(x, x))))
	m := newTape(g)
	for range 2 {
		if err := m.run(); err == nil || !strings.Contains(err.Error(), "failing op") {
			t.Errorf("run = %v, want the op's error", err)
		}
	}
}

// BenchmarkTapeRun times one run of a one-op graph, the fixed cost of a
// run: through Graph.Run's loop, and through Gorgonia's RunAll.
func BenchmarkTapeRun(b *testing.B) {
	g := G.NewGraph()
	x := G.NewVector(g, tensor.Float32, G.WithShape(4), G.WithInit(G.Ones()))
	G.Must(G.Add(x, x))
	m := newTape(g)
	b.Run("tape", func(b *testing.B) {
		for b.Loop() {
			if err := m.run(); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("RunAll", func(b *testing.B) {
		for b.Loop() {
			m.Reset()
			if err := m.RunAll(); err != nil {
				b.Fatal(err)
			}
		}
	})
}
