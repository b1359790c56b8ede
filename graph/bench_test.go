package graph

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// layerBenchShapes are the two LSTM shapes: the lesson's (B=16,
// H=32) and a larger one.
var layerBenchShapes = []struct{ batch, steps, embed, hidden int }{
	{64, 48, 64, 128},
	{16, 48, 64, 32},
}

// BenchmarkLSTMLayer times one forward and backward pass of one LSTM layer
// over full-length rows: input x [T, B, E] (a learnable, so its gradient is
// computed too), loss = sum of the outputs.
func BenchmarkLSTMLayer(b *testing.B) {
	for _, impl := range []Impl{Composed, Fused} {
		for _, s := range layerBenchShapes {
			b.Run(fmt.Sprintf("%v/B=%d,T=%d,E=%d,H=%d", impl, s.batch, s.steps, s.embed, s.hidden), func(b *testing.B) {
				benchLayer(b, impl, LSTM, true, s.batch, s.steps, s.embed, s.hidden)
			})
		}
	}
}

// BenchmarkCellLayer times one fused layer of each gated cell at B=64,
// T=48, E=64, H=128 (and H=100, whose rows end in a partial block of 8):
// a training pass (forward and backward, as BenchmarkLSTMLayer) and an
// inference one (a graph compiled without a loss: forward only).
func BenchmarkCellLayer(b *testing.B) {
	for _, cell := range []Cell{LSTM, GRU} {
		for _, hidden := range []int{128, 100} {
			for _, training := range []bool{true, false} {
				b.Run(fmt.Sprintf("%v/H=%d/training=%v", cell, hidden, training), func(b *testing.B) {
					benchLayer(b, Fused, cell, training, 64, 48, 64, hidden)
				})
			}
		}
	}
}

// benchLayer times one pass of a graph over a layer of cell: forward and
// backward of the outputs' sum when training, else forward only.
func benchLayer(b *testing.B, impl Impl, cell Cell, training bool, batch, steps, embed, hidden int) {
	ps, err := NewParams(tensor.Float32, 1)
	check(b, err)
	x, err := ps.Add("x", tensor.Shape{steps, batch, embed}, Normal(1))
	check(b, err)
	rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: embed, HiddenSize: hidden})
	check(b, err)
	g, err := New(ps, Config{Batch: batch, Training: training, Impl: impl})
	check(b, err)
	seq, err := g.NewSequence("tokens", SequenceConfig{Steps: steps})
	check(b, err)
	xs, err := WholeSeq(g.paramNode(x), seq)
	check(b, err)
	out, err := rnn.Build(g, xs, nil)
	check(b, err)
	whole, err := out.Outputs.Whole()
	check(b, err)
	var loss *G.Node // inference: no loss, no backward pass
	if training {
		loss = G.Must(G.Sum(whole))
	}
	check(b, g.Compile(loss))
	lengths := make([]int, batch)
	for i := range lengths {
		lengths[i] = steps
	}
	check(b, seq.Set(make([]int, batch*steps), lengths))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		check(b, g.Run())
		if training {
			check(b, g.AccumulateGrads(1))
		}
	}
}
