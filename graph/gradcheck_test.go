package graph

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gorgonia.org/tensor"
)

// Tolerances of the finite-difference checks in float64: a central
// difference with step fdStep has truncation error O(fdStep²) ≈ 1e-12 times
// the third derivative, and rounding error ≈ 1e-16/fdStep ≈ 1e-10 relative.
const (
	fdStep = 1e-6
	fdAbs  = 1e-7
	fdRel  = 1e-5
	// fdSamples is how many elements of each parameter are perturbed.
	fdSamples = 4
)

// gradCheckSpec returns a float64 model over a ragged batch (a full-length
// row, a length-1 row and two others) with random loss weights.
func gradCheckSpec(cfg RecurrentConfig) modelSpec {
	rng := NewRNG(7)
	lengths := []int{5, 1, 3, 4}
	steps := 5
	tokens := make([]int, len(lengths)*steps)
	for b, n := range lengths {
		for t := 0; t < n; t++ {
			tokens[b*steps+t] = 1 + rng.IntN(8)
		}
	}
	cfg.InputSize, cfg.HiddenSize = 3, 4
	return modelSpec{
		cfg: cfg, vocab: 9, classes: 3,
		lengths: lengths, tokens: tokens, labels: []int{0, 2, 1, 2},
		lossWeight: func(name string, size int) []float64 {
			w := make([]float64, size)
			Normal(1)(w, rng)
			return w
		},
	}
}

// TestGradientsFiniteDifferences checks every parameter's gradient against
// central finite differences in float64 for every cell, uni- and
// bidirectional (all merge modes), 1 and 2 layers, with dropout between
// layers, through all poolings and the cross-entropy.
func TestGradientsFiniteDifferences(t *testing.T) {
	var cases []RecurrentConfig
	for _, cell := range []Cell{RNNTanh, RNNReLU, LSTM, GRU} {
		for _, layers := range []int{1, 2} {
			cases = append(cases, RecurrentConfig{Cell: cell, NumLayers: layers})
			for _, m := range []Merge{Concat, Sum, Mul, Ave} {
				cases = append(cases, RecurrentConfig{Cell: cell, NumLayers: layers, Bidirectional: true, Merge: m})
			}
		}
		cases = append(cases, RecurrentConfig{Cell: cell, NumLayers: 2, Bidirectional: true, Dropout: 0.4})
	}
	for _, impl := range []Impl{Composed, Fused} {
		for _, cfg := range cases {
			name := fmt.Sprintf("%v/%v/layers=%d/bidirectional=%v/merge=%v/dropout=%v", impl, cfg.Cell, cfg.NumLayers, cfg.Bidirectional, cfg.Merge, cfg.Dropout)
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				m := gradCheckSpec(cfg).build(t, impl, 0, tensor.Float64, 3, nil)
				checkFiniteDifferences(t, m)
			})
		}
	}
}

func checkFiniteDifferences(t *testing.T, m *testModel) {
	checkFiniteDifferencesOf(t, m.params, func() float64 {
		m.run(t)
		return nodeValues(t, m.loss)[0]
	}, func() {
		m.run(t)
		check(t, m.graph.AccumulateGrads(1))
	})
}

// checkFiniteDifferencesOf compares the gradients that backward leaves in
// params with central differences of loss, at fdSamples elements of each
// parameter.
func checkFiniteDifferencesOf(t *testing.T, params *Params, loss func() float64, backward func()) {
	params.ZeroGrads()
	backward()
	analytics := map[*Param][]float64{}
	for _, p := range params.List() {
		analytics[p] = p.Gradients()
	}
	rng := NewRNG(11)
	for _, p := range params.List() {
		analytic := analytics[p]
		values := p.Value.Float64s()
		for s := 0; s < fdSamples; s++ {
			i := rng.IntN(len(values))
			if strings.HasSuffix(p.Name, "embedding.weight") && i < p.Value.Shape()[1] {
				continue // the padding row: no gradient by design, checked elsewhere
			}
			orig := values[i]
			values[i] = orig + fdStep
			up := loss()
			values[i] = orig - fdStep
			down := loss()
			values[i] = orig
			numeric := (up - down) / (2 * fdStep)
			if math.Abs(numeric-analytic[i]) > fdAbs+fdRel*math.Abs(numeric) {
				t.Errorf("%s[%d]: analytic %.10g, finite difference %.10g", p.Name, i, analytic[i], numeric)
			}
		}
	}
}

// TestPaddingRowGetsNoGradient checks that the embedding's padding row keeps
// a zero gradient although padded steps are fed to the layer.
func TestPaddingRowGetsNoGradient(t *testing.T) {
	for _, impl := range []Impl{Composed, Fused} {
		m := gradCheckSpec(RecurrentConfig{Cell: LSTM, Bidirectional: true}).build(t, impl, 0, tensor.Float64, 3, nil)
		m.params.ZeroGrads()
		m.run(t)
		check(t, m.graph.AccumulateGrads(1))
		checkPaddingRow(t, m)
	}
}

func checkPaddingRow(t *testing.T, m *testModel) {
	p := m.params.Get("embedding.weight")
	for i, v := range p.Gradients()[:p.Value.Shape()[1]] {
		if v != 0 {
			t.Errorf("padding row gradient [%d] = %v, want 0", i, v)
		}
	}
	for i, v := range p.Values()[:p.Value.Shape()[1]] {
		if v != 0 {
			t.Errorf("padding row value [%d] = %v, want 0", i, v)
		}
	}
}
