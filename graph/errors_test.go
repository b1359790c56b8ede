package graph

import (
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// TestBadCallsReturnErrors checks that wrong shapes, lengths, ids, labels
// and names come back as errors that say what is wrong, never as panics.
func TestBadCallsReturnErrors(t *testing.T) {
	newParams := func(t *testing.T) *Params {
		ps, err := NewParams(tensor.Float32, 1)
		check(t, err)
		return ps
	}
	// classifier builds an embedding + LSTM + linear + loss graph [2, 3].
	classifier := func(t *testing.T) *testClassifier {
		ps := newParams(t)
		emb, err := NewEmbedding(ps, "embedding", 5, 3, 0)
		check(t, err)
		rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: LSTM, InputSize: 3, HiddenSize: 2})
		check(t, err)
		fc, err := NewLinear(ps, "fc", 2, 2)
		check(t, err)
		g, err := New(ps, Config{Batch: 2, Training: true})
		check(t, err)
		return buildClassifier(t, g, 3, emb, rnn, fc, Last)
	}
	// inference returns an inference graph of 2 rows over ps, with a token
	// sequence of 3 steps.
	inference := func(t *testing.T, ps *Params) (*Graph, *Sequence) {
		g, err := New(ps, Config{Batch: 2, Training: false})
		check(t, err)
		seq, err := g.NewSequence("tokens", SequenceConfig{Steps: 3})
		check(t, err)
		return g, seq
	}
	ids := []int{1, 2, 3, 4, 0, 0}
	cases := []struct {
		name string
		call func(t *testing.T) error
		want string
	}{
		{"unknown cell", func(t *testing.T) error { _, err := ParseCell("rnn_sigmoid"); return err }, `unknown cell "rnn_sigmoid"`},
		{"unknown merge", func(t *testing.T) error { _, err := ParseMerge("max"); return err }, `unknown merge mode "max"`},
		{"unknown pooling", func(t *testing.T) error { _, err := ParsePooling("first"); return err }, `unknown pooling "first"`},
		{"bad dtype", func(t *testing.T) error { _, err := NewParams(tensor.Int, 1); return err }, "not supported"},
		{"zero hidden size", func(t *testing.T) error {
			_, err := NewRecurrent(newParams(t), "rnn", RecurrentConfig{InputSize: 3})
			return err
		}, "hidden size 0 must be positive"},
		{"dropout above one", func(t *testing.T) error {
			_, err := NewRecurrent(newParams(t), "rnn", RecurrentConfig{InputSize: 3, HiddenSize: 2, Dropout: 1.5})
			return err
		}, "dropout 1.5 not in [0, 1)"},
		{"dropout with one layer", func(t *testing.T) error {
			_, err := NewRecurrent(newParams(t), "rnn", RecurrentConfig{InputSize: 3, HiddenSize: 2, Dropout: 0.2})
			return err
		}, "dropout 0.2 with one layer"},
		{"invalid cell value", func(t *testing.T) error {
			_, err := NewRecurrent(newParams(t), "rnn", RecurrentConfig{Cell: Cell(9), InputSize: 3, HiddenSize: 2})
			return err
		}, "unknown cell 9"},
		{"duplicate parameter", func(t *testing.T) error {
			ps := newParams(t)
			_, err := NewLinear(ps, "fc", 2, 2)
			check(t, err)
			_, err = NewLinear(ps, "fc", 2, 2)
			return err
		}, `parameter "fc.weight" declared twice`},
		{"padding index out of range", func(t *testing.T) error {
			_, err := NewEmbedding(newParams(t), "embedding", 5, 3, 5)
			return err
		}, "padding index 5 out of range [0, 5)"},
		{"empty batch", func(t *testing.T) error {
			_, err := New(newParams(t), Config{Batch: 0, Training: false})
			return err
		}, "batch size 0 must be positive"},
		{"sequence without steps", func(t *testing.T) error {
			g, err := New(newParams(t), Config{Batch: 2})
			check(t, err)
			_, err = g.NewSequence("tokens", SequenceConfig{})
			return err
		}, `sequence "tokens": steps 0 must be positive`},
		{"wrong input width", func(t *testing.T) error {
			ps := newParams(t)
			emb, err := NewEmbedding(ps, "embedding", 5, 3, 0)
			check(t, err)
			rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{InputSize: 4, HiddenSize: 2})
			check(t, err)
			g, seq := inference(t, ps)
			x, err := emb.Build(g, seq)
			check(t, err)
			_, err = rnn.Build(g, x, nil)
			return err
		}, "input has 3 steps of 3 features, want 3 of 4"},
		{"linear input shape", func(t *testing.T) error {
			ps := newParams(t)
			fc, err := NewLinear(ps, "fc", 4, 2)
			check(t, err)
			g, _ := inference(t, ps)
			x := G.NewMatrix(g.ExprGraph(), tensor.Float32, G.WithShape(2, 3), G.WithName("x"))
			_, err = fc.Build(g, x)
			return err
		}, "input has shape (2, 3), want [N, 4]"},
		{"initial states of wrong count", func(t *testing.T) error {
			ps := newParams(t)
			rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: LSTM, InputSize: 3, HiddenSize: 2, NumLayers: 2})
			check(t, err)
			g, seq := inference(t, ps)
			x, err := WholeSeq(G.NewTensor(g.ExprGraph(), tensor.Float32, 3, G.WithShape(3, 2, 3), G.WithName("x")), seq)
			check(t, err)
			h := g.zerosNode(2)
			_, err = rnn.Build(g, x, &States{H: []*G.Node{h}, C: []*G.Node{h}})
			return err
		}, "want 2 h"},
		{"length 0", func(t *testing.T) error { return classifier(t).set(ids, []int{0, 2}, []int{0, 1}) }, "row 0 has length 0, want 1..3"},
		{"length above T", func(t *testing.T) error { return classifier(t).set(ids, []int{3, 4}, []int{0, 1}) }, "row 1 has length 4, want 1..3"},
		{"ids of wrong count", func(t *testing.T) error { return classifier(t).set(ids[:5], []int{3, 1}, []int{0, 1}) }, "batch has 5 ids, want B*T for B = 2"},
		{"token id out of range", func(t *testing.T) error {
			return classifier(t).set([]int{1, 2, 7, 1, 0, 0}, []int{3, 1}, []int{0, 1})
		}, "row 0 step 2: token id 7 out of range [0, 5)"},
		{"label out of range", func(t *testing.T) error { return classifier(t).set(ids, []int{3, 1}, []int{0, 2}) }, "row 1 has label 2, want 0..1"},
		{"missing labels", func(t *testing.T) error { return classifier(t).set(ids, []int{3, 1}, nil) }, `targets "labels": 0 ids, want 2`},
		{"run before batch", func(t *testing.T) error { return classifier(t).g.Run() }, `Run before sequence "tokens" is Set`},
		{"run before labels", func(t *testing.T) error {
			c := classifier(t)
			check(t, c.tokens.Set(ids, []int{3, 1}))
			return c.g.Run()
		}, `Run before targets "labels" are Set`},
		{"token targets of another graph's sequence", func(t *testing.T) error {
			g, _ := inference(t, newParams(t))
			_, other := inference(t, newParams(t))
			_, err := g.NewTokenTargets("targets", other)
			return err
		}, "not one of this graph's"},
		{"step out of range", func(t *testing.T) error {
			g, seq := inference(t, newParams(t))
			s, err := WholeSeq(G.NewTensor(g.ExprGraph(), tensor.Float32, 3, G.WithShape(3, 2, 4), G.WithName("x")), seq)
			check(t, err)
			_, err = s.Step(3)
			return err
		}, "step 3 out of range [0, 3)"},
		{"set values of wrong shape", func(t *testing.T) error {
			ps := newParams(t)
			_, err := NewLinear(ps, "fc", 2, 2)
			check(t, err)
			return ps.SetValues("fc.weight", tensor.Shape{2, 3}, make([]float64, 6))
		}, "has shape (2, 2), values have shape (2, 3)"},
		{"set values of unknown name", func(t *testing.T) error {
			return newParams(t).SetValues("fc.weight", tensor.Shape{2}, make([]float64, 2))
		}, `no parameter "fc.weight"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var err error
			func() {
				defer func() {
					if r := recover(); r != nil {
						t.Fatalf("panicked: %v", r)
					}
				}()
				err = c.call(t)
			}()
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}
