package graph

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// charCase is a ragged batch of words with their characters: rows of 4,
// 1 and 3 words, words of 1 to 5 characters.
type charCase struct {
	lengths   []int
	steps     int
	words     []int // [B*T]
	chars     []int // [B*T*C]
	charLens  []int // [B*T]
	maxChars  int
	targets   []int
	alphabet  int
	vocab     int
	wordWidth int
}

func newCharCase() charCase {
	c := charCase{lengths: []int{4, 1, 3}, steps: 4, maxChars: 5, alphabet: 7, vocab: 6, wordWidth: 3}
	rng := NewRNG(21)
	batch := len(c.lengths)
	c.words = make([]int, batch*c.steps)
	c.charLens = make([]int, batch*c.steps)
	c.chars = make([]int, batch*c.steps*c.maxChars)
	c.targets = make([]int, batch*c.steps)
	for b, n := range c.lengths {
		for t := range c.steps {
			w := b*c.steps + t
			c.targets[w] = -100
			if t >= n {
				continue
			}
			c.words[w] = 1 + rng.IntN(c.vocab-1)
			c.targets[w] = rng.IntN(3)
			c.charLens[w] = 1 + rng.IntN(c.maxChars)
			for k := range c.charLens[w] {
				c.chars[w*c.maxChars+k] = 1 + rng.IntN(c.alphabet-1)
			}
		}
	}
	return c
}

// charModel is embedding ⊕ character features -> linear -> cross-entropy.
type charModel struct {
	params *Params
	graph  *Graph
	loss   *G.Node
	feats  *Seq
}

func (c charCase) build(t *testing.T, impl Impl, cell Cell, dtype tensor.Dtype) *charModel {
	t.Helper()
	ps, err := NewParams(dtype, 4)
	check(t, err)
	emb, err := NewEmbedding(ps, "embedding", c.vocab, c.wordWidth, 0)
	check(t, err)
	feats, err := NewCharFeatures(ps, "char", CharConfig{Cell: cell, Chars: c.alphabet, Dim: 3, Hidden: 2})
	check(t, err)
	fc, err := NewLinear(ps, "fc", c.wordWidth+feats.OutputWidth(), 3)
	check(t, err)
	g, err := New(ps, Config{Batch: len(c.lengths), Training: true, Impl: impl})
	check(t, err)
	words, err := g.NewSequence("words", SequenceConfig{Steps: c.steps})
	check(t, err)
	chars, err := g.NewChars("chars", words, c.maxChars)
	check(t, err)
	targets, err := g.NewTokenTargets("tags", words)
	check(t, err)
	x, err := emb.Build(g, words)
	check(t, err)
	f, err := feats.Build(g, chars)
	check(t, err)
	both, err := ConcatSeqs(g, x, f)
	check(t, err)
	logits, err := fc.BuildSeq(g, both)
	check(t, err)
	loss, err := SequenceCrossEntropy(g, logits, targets, LossOptions{})
	check(t, err)
	check(t, g.Compile(loss))
	check(t, words.Set(c.words, c.lengths))
	check(t, chars.Set(c.chars, c.charLens))
	check(t, targets.Set(c.targets))
	return &charModel{params: ps, graph: g, loss: loss, feats: f}
}

// TestCharFeaturesFiniteDifferences checks the gradients of every
// parameter through the character features, both implementations, LSTM
// and GRU, against central differences.
func TestCharFeaturesFiniteDifferences(t *testing.T) {
	for _, impl := range []Impl{Composed, Fused} {
		for _, cell := range []Cell{LSTM, GRU} {
			t.Run(fmt.Sprintf("%v/%v", impl, cell), func(t *testing.T) {
				m := newCharCase().build(t, impl, cell, tensor.Float64)
				lossValue := func() float64 {
					check(t, m.graph.Run())
					return nodeValues(t, m.loss)[0]
				}
				checkFiniteDifferencesOf(t, m.params, lossValue, func() {
					lossValue()
					check(t, m.graph.AccumulateGrads(1))
				})
			})
		}
	}
}

// TestCharFeaturesImplementationsAgree checks that both implementations
// give the same features, loss and gradients, and zero features past
// each row's length.
func TestCharFeaturesImplementationsAgree(t *testing.T) {
	c := newCharCase()
	var feats, grads [][]float64
	for _, impl := range []Impl{Composed, Fused} {
		m := c.build(t, impl, LSTM, tensor.Float64)
		m.params.ZeroGrads()
		check(t, m.graph.Run())
		check(t, m.graph.AccumulateGrads(1))
		whole, err := m.feats.Whole()
		check(t, err)
		feats = append(feats, nodeValues(t, whole))
		var all []float64
		for _, p := range m.params.List() {
			all = append(all, p.Gradients()...)
		}
		grads = append(grads, all)
	}
	for i := range feats[0] {
		if math.Abs(feats[0][i]-feats[1][i]) > 1e-12 {
			t.Fatalf("feature %d: composed %v, fused %v", i, feats[0][i], feats[1][i])
		}
	}
	batch, width := len(c.lengths), 4
	for b, n := range c.lengths {
		for s := n; s < c.steps; s++ {
			for j := range width {
				if v := feats[1][(s*batch+b)*width+j]; v != 0 {
					t.Errorf("row %d step %d (padding): feature %v, want 0", b, s, v)
				}
			}
		}
	}
	for i := range grads[0] {
		if math.Abs(grads[0][i]-grads[1][i]) > 1e-12 {
			t.Fatalf("gradient %d: composed %v, fused %v", i, grads[0][i], grads[1][i])
		}
	}
}

// TestCharsSetErrors checks what Chars.Set refuses.
func TestCharsSetErrors(t *testing.T) {
	c := newCharCase()
	ps, _ := NewParams(tensor.Float32, 1)
	g, _ := New(ps, Config{Batch: 3})
	words, _ := g.NewSequence("words", SequenceConfig{Steps: 4})
	chars, err := g.NewChars("chars", words, 5)
	check(t, err)
	if err := chars.Set(c.chars, c.charLens); err == nil {
		t.Error("Set before the words succeeded")
	}
	check(t, words.Set(c.words, c.lengths))
	bad := append([]int(nil), c.charLens...)
	bad[0] = 0
	if err := chars.Set(c.chars, bad); err == nil {
		t.Error("a real word of no characters was accepted")
	}
	if err := chars.Set(c.chars[:10], c.charLens); err == nil {
		t.Error("ids of the wrong size were accepted")
	}
	if _, err := g.NewChars("x", words, 0); err == nil {
		t.Error("maxChars 0 accepted")
	}
}
