package graph

import (
	"fmt"
	"testing"

	"gorgonia.org/tensor"
)

// TestRowStepperMatchesGraph steps one row through LSTM and GRU stacks of
// 1 and 2 layers with a RowStepper and compares every step's output with
// a fused graph's outputs for the whole row, bit for bit; a Reset starts
// the same sequence again.
func TestRowStepperMatchesGraph(t *testing.T) {
	for _, cell := range []Cell{LSTM, GRU} {
		for _, layers := range []int{1, 2} {
			t.Run(fmt.Sprintf("%v/layers=%d", cell, layers), func(t *testing.T) {
				ps, err := NewParams(tensor.Float32, 3)
				check(t, err)
				emb, err := NewEmbedding(ps, "embedding", 11, 5, NoPadding)
				check(t, err)
				// H = 12 ends each gate row in a partial block of 8.
				rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: 5, HiddenSize: 12, NumLayers: layers})
				check(t, err)
				ids := []int{3, 1, 4, 1, 5, 9, 2}
				want, _, _ := runLayer(t, Fused, ps, emb, rnn, ids, []int{len(ids)}, nil)

				s, err := NewRowStepper(rnn)
				check(t, err)
				table := emb.Weight.Value.Float32s()
				for pass := 0; pass < 2; pass++ {
					s.Reset()
					for step, id := range ids {
						out, err := s.Step(table[id*5 : (id+1)*5])
						check(t, err)
						for j, v := range out {
							if w := want[step*12+j]; float64(v) != w {
								t.Fatalf("pass %d step %d [%d]: %v, graph %v", pass, step, j, v, w)
							}
						}
					}
				}
			})
		}
	}
}

// TestRowStepperRefuses lists the stacks a RowStepper does not run, and
// an input of the wrong width.
func TestRowStepperRefuses(t *testing.T) {
	cases := []struct {
		name  string
		dtype tensor.Dtype
		cfg   RecurrentConfig
	}{
		{"bidirectional", tensor.Float32, RecurrentConfig{Cell: LSTM, InputSize: 2, HiddenSize: 3, Bidirectional: true}},
		{"rnn cell", tensor.Float32, RecurrentConfig{Cell: RNNTanh, InputSize: 2, HiddenSize: 3}},
		{"float64", tensor.Float64, RecurrentConfig{Cell: GRU, InputSize: 2, HiddenSize: 3}},
	}
	for _, c := range cases {
		ps, err := NewParams(c.dtype, 1)
		check(t, err)
		rnn, err := NewRecurrent(ps, "rnn", c.cfg)
		check(t, err)
		if _, err := NewRowStepper(rnn); err == nil {
			t.Errorf("%s: no error", c.name)
		}
	}
	ps, err := NewParams(tensor.Float32, 1)
	check(t, err)
	rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: GRU, InputSize: 2, HiddenSize: 3})
	check(t, err)
	s, err := NewRowStepper(rnn)
	check(t, err)
	if _, err := s.Step(make([]float32, 3)); err == nil {
		t.Error("input of 3 features for 2: no error")
	}
}
