package graph

import (
	"github.com/pkg/errors"
	"gorgonia.org/tensor"

	"github.com/gornn/gornn/graph/internal/vecmath"
	gemmpkg "github.com/gornn/gornn/internal/gemm"
)

// RowStepper runs a unidirectional float32 LSTM or GRU stack one step at a
// time for one row, outside any Gorgonia graph: the per-token path of
// batch-1 generation. A one-step graph walks Gorgonia's tape, op by op,
// each allocating and checking its result, which for one row costs more
// than the arithmetic: BenchmarkGenerate (models) takes about 29 µs per
// character through a one-step graph and 9 µs through a RowStepper.
// RowStepper computes what a fused graph's step computes, with the same
// kernels in the same order (the input projection by gemm, W_hhᵀ packed
// once, the vecmath cell row), so its states are the fused graph's, bit
// for bit (TestRowStepperMatchesGraph).
//
// It reads the weights when Reset packs them: call Reset again after they
// change. A RowStepper is not safe for concurrent use; give each goroutine
// its own.
type RowStepper struct {
	cell   Cell
	hidden int
	layers []rowLayer
}

// rowLayer is one layer's weights and buffers.
type rowLayer struct {
	w      *DirectionWeights
	in     int
	packed gemmpkg.PackedB // W_hhᵀ
	bias   []float32       // LSTM: b_ih + b_hh, as the fused kernel sums them
	act    []float32       // [GH] the gates
	hp     []float32       // [GH] h W_hhᵀ
	h, out []float32       // [H] the state, and the step's output
	c      []float32       // [H] LSTM cell state
	aux    []float32       // [H] LSTM tanh(c), GRU h W_hnᵀ + b_hn
}

// NewRowStepper returns a stepper for the stack r, whose parameters must
// be float32 and whose cell LSTM or GRU, in one direction; its state
// starts at zero, with the weights packed.
func NewRowStepper(r *Recurrent) (*RowStepper, error) {
	cfg := r.Config
	switch {
	case cfg.Bidirectional:
		return nil, errors.New("graph: a row stepper runs one direction; the stack is bidirectional")
	case cfg.Cell != LSTM && cfg.Cell != GRU:
		return nil, errors.Errorf("graph: a row stepper runs LSTM and GRU cells, not %v", cfg.Cell)
	case r.Weights[0][0].WeightIH.Value.Dtype() != tensor.Float32:
		return nil, errors.Errorf("graph: a row stepper runs float32 weights, not %v", r.Weights[0][0].WeightIH.Value.Dtype())
	}
	h := cfg.HiddenSize
	gh := cfg.Cell.Gates() * h
	s := &RowStepper{cell: cfg.Cell, hidden: h}
	for l, dirs := range r.Weights {
		in := cfg.InputSize
		if l > 0 {
			in = h
		}
		s.layers = append(s.layers, rowLayer{
			w: dirs[0], in: in, bias: make([]float32, gh), act: make([]float32, gh), hp: make([]float32, gh),
			h: make([]float32, h), out: make([]float32, h), c: make([]float32, h), aux: make([]float32, h),
		})
	}
	s.Reset()
	return s, nil
}

// InputSize is the width of Step's input.
func (s *RowStepper) InputSize() int { return s.layers[0].in }

// Reset zeroes the state and packs the weights' current values.
func (s *RowStepper) Reset() {
	for i := range s.layers {
		l := &s.layers[i]
		clear(l.h)
		clear(l.c)
		gemmpkg.PackB(true, s.hidden, len(l.act), l.w.WeightHH.Value.Float32s(), s.hidden, &l.packed)
		if s.cell == LSTM {
			copy(l.bias, l.w.BiasIH.Value.Float32s())
			for j, v := range l.w.BiasHH.Value.Float32s() {
				l.bias[j] += v
			}
		}
	}
}

// Step feeds one input x [InputSize()] through every layer, carrying the
// states, and returns the top layer's output [H], valid until the next
// Step or Reset.
func (s *RowStepper) Step(x []float32) ([]float32, error) {
	if len(x) != s.layers[0].in {
		return nil, errors.Errorf("graph: row stepper input has %d features, want %d", len(x), s.layers[0].in)
	}
	for i := range s.layers {
		l := &s.layers[i]
		gh := len(l.act)
		gemmpkg.Sgemm(false, true, 1, gh, l.in, 1, x, l.in, l.w.WeightIH.Value.Float32s(), l.in, 0, l.act, gh)
		gemmpkg.SgemmPackedB(false, 1, 1, l.h, s.hidden, &l.packed, 0, l.hp, gh)
		if s.cell == LSTM {
			vecmath.LSTMCell32(l.act, l.bias, l.hp, l.c, l.aux, l.h, l.out)
		} else {
			vecmath.GRUCell32(l.act, l.w.BiasIH.Value.Float32s(), l.w.BiasHH.Value.Float32s(), l.hp, l.aux, l.h, l.out)
		}
		x = l.out
	}
	return x, nil
}
