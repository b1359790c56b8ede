package graph

import (
	"slices"
	"testing"
)

// TestPairedDirectionsMatchOneAfterTheOther runs 2-layer bidirectional
// stacks in an inference graph, whose directions run at once on two
// goroutines (pairDirections), and in a graph compiled with a loss, whose
// directions run one after the other, over two batches in turn, and
// checks that the logits are the same bits.
func TestPairedDirectionsMatchOneAfterTheOther(t *testing.T) {
	batches := []struct{ ids, lengths []int }{
		{[]int{1, 2, 3, 0, 4, 5, 6, 7, 8, 9, 0, 0}, []int{3, 4, 2}},
		{[]int{7, 0, 0, 0, 2, 2, 2, 2, 11, 3, 5, 0}, []int{1, 4, 3}},
	}
	for _, cell := range []Cell{LSTM, GRU} {
		t.Run(cell.String(), func(t *testing.T) {
			params, emb, rnn, fc := bidirectionalParts(t, 3, cell, 12, 5, 6, 3)
			build := func(withLoss bool) *testClassifier {
				g, err := New(params, Config{Batch: 3})
				check(t, err)
				c := &testClassifier{g: g}
				c.tokens, err = g.NewSequence("tokens", SequenceConfig{Steps: 4})
				check(t, err)
				x, err := emb.Build(g, c.tokens)
				check(t, err)
				out, err := rnn.Build(g, x, nil)
				check(t, err)
				pooled, err := Pool(g, out, Max)
				check(t, err)
				c.logits, err = fc.Build(g, pooled)
				check(t, err)
				if withLoss {
					c.labels = g.NewLabels("labels")
					c.loss, err = CrossEntropy(g, c.logits, c.labels, LossOptions{})
					check(t, err)
				}
				check(t, g.Compile(c.loss))
				return c
			}
			paired, alone := build(false), build(true)
			pairs := 0
			for _, n := range paired.g.expr.AllNodes() {
				if op, ok := n.Op().(*kernelOp); ok {
					if k, ok := op.k.(*recurrentKernel[float32]); ok && k.partner != nil {
						pairs++
					}
				}
			}
			if pairs != 4 {
				t.Fatalf("%d paired kernels in the inference graph, want 4", pairs)
			}
			for i, b := range batches {
				check(t, paired.tokens.Set(b.ids, b.lengths))
				check(t, paired.g.Run())
				got, err := Values(paired.logits)
				check(t, err)
				check(t, alone.set(b.ids, b.lengths, []int{0, 1, 2}))
				check(t, alone.g.Run())
				params.ZeroGrads()
				want, err := Values(alone.logits)
				check(t, err)
				if !slices.Equal(got, want) {
					t.Errorf("batch %d: paired logits %v, one after the other %v", i, got, want)
				}
			}
		})
	}
}
