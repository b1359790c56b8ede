package graph

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestPyTorchParity builds every fixture model with PyTorch's weights, with
// both implementations (the fused one also in a graph with spare steps), and
// checks outputs, final states, pooled logits, the loss and every gradient
// against PyTorch 1.13 in float32.
func TestPyTorchParity(t *testing.T) {
	for _, c := range loadFixtures(t) {
		for _, impl := range []struct {
			impl     Impl
			capacity int
		}{{Composed, 0}, {Fused, 0}, {Fused, 9}} {
			t.Run(fmt.Sprintf("%v/capacity=%d/%s", impl.impl, impl.capacity, c.Name), func(t *testing.T) {
				checkParity(t, c, impl.impl, impl.capacity)
			})
		}
	}
}

// checkParity runs the fixture case c and compares everything
// make_fixtures.py saved.
func checkParity(t *testing.T, c fixtureCase, impl Impl, capacity int) {
	m := specOf(c).build(t, impl, capacity, tensor.Float32, 1, c.Params)
	m.run(t)
	check(t, m.graph.AccumulateGrads(1))

	whole, err := m.out.Outputs.Whole()
	check(t, err)
	compare(t, "outputs", nodeValues(t, whole), padded(toTimeMajor("outputs", c.Outputs["outputs"]), whole.Shape().TotalSize()))
	compare(t, "h_n", statesValues(t, m.out.Final.H), c.Outputs["h_n"].Data)
	if c.Cell == "lstm" {
		compare(t, "c_n", statesValues(t, m.out.Final.C), c.Outputs["c_n"].Data)
	}
	for name, logits := range m.logits {
		compare(t, "logits_"+name, nodeValues(t, logits), c.Outputs["logits_"+name].Data)
	}
	compare(t, "cross_entropy", nodeValues(t, m.ce), c.Outputs["cross_entropy"].Data)
	compare(t, "loss", nodeValues(t, m.loss), c.Outputs["loss"].Data)

	for _, p := range m.params.List() {
		want, ok := c.Grads[p.Name]
		if !ok {
			t.Errorf("fixture has no gradient for %s", p.Name)
			continue
		}
		compare(t, "grad "+p.Name, p.Gradients(), want.Data)
	}
	embWhole, err := m.embedded.Whole()
	check(t, err)
	grad, err := m.graph.Gradient(embWhole)
	check(t, err)
	compare(t, "grad embedded", toFloat64s(grad), padded(toTimeMajor("embedded", c.Grads["embedded"]), grad.Shape().TotalSize()))
}

func statesValues(t *testing.T, states []*G.Node) []float64 {
	var out []float64
	for _, s := range states {
		out = append(out, nodeValues(t, s)...)
	}
	return out
}

// padded returns v followed by zeros up to size, the values of a fused
// graph's spare steps.
func padded(v []float64, size int) []float64 { return append(v, make([]float64, size-len(v))...) }
