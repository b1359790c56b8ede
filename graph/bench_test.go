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
				benchLayer(b, impl, LSTM, s.batch, s.steps, s.embed, s.hidden)
			})
		}
	}
}

func benchLayer(b *testing.B, impl Impl, cell Cell, batch, steps, embed, hidden int) {
	ps, err := NewParams(tensor.Float32, 1)
	check(b, err)
	x, err := ps.Add("x", tensor.Shape{steps, batch, embed}, Normal(1))
	check(b, err)
	rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: embed, HiddenSize: hidden})
	check(b, err)
	g, err := New(ps, Config{Batch: batch, Training: true, Impl: impl})
	check(b, err)
	seq, err := g.NewSequence("tokens", SequenceConfig{Steps: steps})
	check(b, err)
	xs, err := WholeSeq(g.paramNode(x), seq)
	check(b, err)
	out, err := rnn.Build(g, xs, nil)
	check(b, err)
	whole, err := out.Outputs.Whole()
	check(b, err)
	check(b, g.Compile(G.Must(G.Sum(whole))))
	lengths := make([]int, batch)
	for i := range lengths {
		lengths[i] = steps
	}
	check(b, seq.Set(make([]int, batch*steps), lengths))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		check(b, g.Run())
		check(b, g.AccumulateGrads(1))
	}
}
