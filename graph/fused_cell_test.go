package graph

import (
	"fmt"
	"math"
	"testing"

	"gorgonia.org/tensor"
)

// cellRun is what one float32 run of a test model computes: the loss,
// the layer's outputs and final states, and every parameter's gradient.
type cellRun struct {
	loss    float64
	outputs [][]float64
	grads   map[string][]float64
}

// runCells runs m forward and backward with or without vecmath's cell
// kernels.
func runCells(t *testing.T, m *testModel, kernels bool) cellRun {
	t.Helper()
	defer func(was bool) { cellKernels = was }(cellKernels)
	cellKernels = kernels
	m.params.ZeroGrads()
	m.run(t)
	check(t, m.graph.AccumulateGrads(1))
	run := cellRun{loss: nodeValues(t, m.loss)[0], grads: map[string][]float64{}}
	whole, err := m.out.Outputs.Whole()
	check(t, err)
	run.outputs = append(run.outputs, nodeValues(t, whole))
	for _, n := range append(m.out.Final.H, m.out.Final.C...) {
		run.outputs = append(run.outputs, nodeValues(t, n))
	}
	for _, p := range m.params.List() {
		run.grads[p.Name] = p.Gradients()
	}
	return run
}

// sameFloat32Bits reports the first index where a and b, float32 values
// held in float64s, differ in their bits.
func sameFloat32Bits(a, b []float64) (int, bool) {
	if len(a) != len(b) {
		return 0, false
	}
	for i := range a {
		if math.Float32bits(float32(a[i])) != math.Float32bits(float32(b[i])) {
			return i, false
		}
	}
	return 0, true
}

// TestCellKernelsMatchGoRows checks that the float32 LSTM and GRU layers
// compute the same bits through vecmath's cell kernels as through the Go
// rows of stepForward and cellBackward: outputs, final states, loss and
// every gradient, for H with and without a partial block of 8 (32, 100),
// one and two layers, uni- and bidirectional with dropout, over a ragged
// batch, with the initial weights and with weights 4 times as large,
// whose gates saturate.
func TestCellKernelsMatchGoRows(t *testing.T) {
	for _, cell := range []Cell{LSTM, GRU} {
		for _, cfg := range []RecurrentConfig{
			{Cell: cell, NumLayers: 1},
			{Cell: cell, NumLayers: 2, Bidirectional: true, Dropout: 0.3},
		} {
			for _, hidden := range []int{32, 100} {
				for _, scale := range []float64{1, 4} {
					name := fmt.Sprintf("%v/layers=%d/bidirectional=%v/H=%d/scale=%g", cell, cfg.NumLayers, cfg.Bidirectional, hidden, scale)
					t.Run(name, func(t *testing.T) {
						spec := gradCheckSpec(cfg)
						spec.cfg.InputSize, spec.cfg.HiddenSize = 16, hidden
						m := spec.build(t, Fused, 0, tensor.Float32, 5, nil)
						for _, p := range m.params.List() {
							v := p.Values()
							for i := range v {
								v[i] *= scale
							}
							check(t, m.params.SetValues(p.Name, p.Value.Shape(), v))
						}
						got, want := runCells(t, m, true), runCells(t, m, false)
						if math.Float32bits(float32(got.loss)) != math.Float32bits(float32(want.loss)) {
							t.Errorf("loss %v, Go rows %v", got.loss, want.loss)
						}
						for i := range want.outputs {
							if j, ok := sameFloat32Bits(got.outputs[i], want.outputs[i]); !ok {
								t.Errorf("output %d [%d]: %v, Go rows %v", i, j, got.outputs[i][j], want.outputs[i][j])
							}
						}
						for name, w := range want.grads {
							if j, ok := sameFloat32Bits(got.grads[name], w); !ok {
								t.Errorf("gradient of %s [%d]: %v, Go rows %v", name, j, got.grads[name][j], w[j])
							}
						}
					})
				}
			}
		}
	}
}
