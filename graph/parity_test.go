package graph

import (
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestPyTorchParity builds every fixture model with PyTorch's weights and
// checks outputs, final states, pooled logits, the loss and every gradient
// against PyTorch 1.13 in float32.
func TestPyTorchParity(t *testing.T) {
	for _, c := range loadFixtures(t) {
		t.Run(c.Name, func(t *testing.T) {
			checkParity(t, c, Composed{})
		})
	}
}

// checkParity runs the fixture case c with the given unroller and compares
// everything make_fixtures.py saved.
func checkParity(t *testing.T, c fixtureCase, unroller Unroller) {
	m := specOf(c, unroller).build(t, tensor.Float32, 1, c.Params)
	check(t, m.graph.Run())

	whole, err := m.out.Outputs.Whole()
	check(t, err)
	compare(t, "outputs", nodeValues(t, whole), toTimeMajor("outputs", c.Outputs["outputs"]))
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
	compare(t, "grad embedded", toFloat64s(grad), toTimeMajor("embedded", c.Grads["embedded"]))
}

func statesValues(t *testing.T, states []*G.Node) []float64 {
	var out []float64
	for _, s := range states {
		out = append(out, nodeValues(t, s)...)
	}
	return out
}
