package models

import (
	"slices"
	"testing"

	"github.com/gornn/gornn/graph"
)

// TestTensorsMatchNew checks that Config.Tensors, which Load uses to check a
// weights file before allocating anything, lists exactly the parameters
// New declares, and that ParameterCount is their total size.
func TestTensorsMatchNew(t *testing.T) {
	vocab := testVocab(t)
	labels := []string{"a", "b", "c"}
	cases := []Config{
		{Cell: graph.RNNTanh, EmbedDim: 5, HiddenSize: 4, Labels: labels},
		{Cell: graph.LSTM, EmbedDim: 5, HiddenSize: 4, NumLayers: 3, Labels: labels},
		{Cell: graph.GRU, EmbedDim: 5, HiddenSize: 4, NumLayers: 2, Bidirectional: true, Labels: labels},
		{Cell: graph.LSTM, EmbedDim: 5, HiddenSize: 4, NumLayers: 2, Bidirectional: true, Merge: graph.Sum, Labels: labels},
		{Cell: graph.RNNReLU, EmbedDim: 7, HiddenSize: 3, Bidirectional: true, Merge: graph.Mul, Labels: labels[:2]},
	}
	for _, cfg := range cases {
		c, err := New(cfg, vocab, Options{})
		if err != nil {
			t.Fatal(err)
		}
		params := c.Params().List()
		specs := c.Config().Tensors()
		if len(specs) != len(params) {
			t.Fatalf("%+v: %d tensors listed, New declares %d", cfg, len(specs), len(params))
		}
		for i, p := range params {
			if specs[i].Name != p.Name || !slices.Equal(specs[i].Shape, []int(p.Value.Shape())) {
				t.Errorf("%+v: tensor %d listed as %s %v, New declares %s %v", cfg, i, specs[i].Name, specs[i].Shape, p.Name, p.Value.Shape())
			}
		}
		if got, want := c.Config().ParameterCount(), int64(c.Params().Count()); got != want {
			t.Errorf("%+v: ParameterCount %d, New declares %d", cfg, got, want)
		}
	}
}
