package graph

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/gornn/gornn/metrics"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// taggerFixture is one case of testdata/pytorch_tagger.json (see
// make_tagger_fixtures.py).
type taggerFixture struct {
	Name        string                   `json:"name"`
	Cell        string                   `json:"cell"`
	Chars       bool                     `json:"chars"`
	CRF         bool                     `json:"crf"`
	Tokens      []int                    `json:"tokens"`
	Lengths     []int                    `json:"lengths"`
	Tags        []int                    `json:"tags"`
	CharIDs     []int                    `json:"char_ids"`
	CharLengths []int                    `json:"char_lengths"`
	Params      map[string]fixtureTensor `json:"params"`
	Outputs     map[string]fixtureTensor `json:"outputs"`
	Grads       map[string]fixtureTensor `json:"grads"`
	CRFOutputs  struct {
		LogPartition      []float64 `json:"log_partition"`
		GoldScore         []float64 `json:"gold_score"`
		ViterbiPaths      [][]int   `json:"viterbi_paths"`
		ViterbiScores     []float64 `json:"viterbi_scores"`
		ConstrainedPaths  [][]int   `json:"constrained_paths"`
		ConstrainedScores []float64 `json:"constrained_scores"`
		ConstraintTags    []string  `json:"constraint_tags"`
	} `json:"crf_outputs"`
}

// The dimensions make_tagger_fixtures.py uses.
const (
	tagVocab, tagEmbed, tagHidden, tagTags      = 13, 5, 4, 5
	tagChars, tagCharEmbed, tagCharHidden, tagC = 9, 3, 2, 4
)

func loadTaggerFixtures(t *testing.T) []taggerFixture {
	t.Helper()
	data, err := os.ReadFile("testdata/pytorch_tagger.json")
	check(t, err)
	var file struct {
		Cases []taggerFixture `json:"cases"`
	}
	check(t, json.Unmarshal(data, &file))
	return file.Cases
}

// taggerModel is a tagger fixture built into a training graph.
type taggerModel struct {
	params    *Params
	graph     *Graph
	crf       *CRF
	emissions *G.Node
	loss      *G.Node
	tokens    *Sequence
}

// build declares the case's tagger in dtype with the fixture's weights
// and builds it into a training graph; a fused graph's sequences take
// spare steps and characters beyond the batch's.
func (c taggerFixture) build(t *testing.T, impl Impl, dtype tensor.Dtype) *taggerModel {
	t.Helper()
	ps, err := NewParams(dtype, 1)
	check(t, err)
	cell, err := ParseCell(c.Cell)
	check(t, err)
	emb, err := NewEmbedding(ps, "embedding", tagVocab, tagEmbed, 0)
	check(t, err)
	width := tagEmbed
	var chars *CharFeatures
	if c.Chars {
		chars, err = NewCharFeatures(ps, "char", CharConfig{Cell: cell, Chars: tagChars, Dim: tagCharEmbed, Hidden: tagCharHidden})
		check(t, err)
		width += chars.OutputWidth()
	}
	rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: width, HiddenSize: tagHidden, Bidirectional: true})
	check(t, err)
	fc, err := NewLinear(ps, "fc", 2*tagHidden, tagTags)
	check(t, err)
	m := &taggerModel{params: ps}
	if c.CRF {
		m.crf, err = NewCRF(ps, "crf", tagTags)
		check(t, err)
	}
	for name, v := range c.Params {
		check(t, ps.SetValues(name, tensor.Shape(v.Shape), v.Data))
	}
	g, err := New(ps, Config{Batch: len(c.Lengths), Training: true, Impl: impl})
	check(t, err)
	m.graph = g
	spare := spareOf(g)
	steps := len(c.Tokens) / len(c.Lengths)
	m.tokens, err = g.NewSequence("tokens", SequenceConfig{Steps: steps + spare})
	check(t, err)
	x, err := emb.Build(g, m.tokens)
	check(t, err)
	var charInput *Chars
	if chars != nil {
		charInput, err = g.NewChars("chars", m.tokens, tagC+spare)
		check(t, err)
		f, err := chars.Build(g, charInput)
		check(t, err)
		x, err = ConcatSeqs(g, x, f)
		check(t, err)
	}
	out, err := rnn.Build(g, x, nil)
	check(t, err)
	em, err := fc.BuildSeq(g, out.Outputs)
	check(t, err)
	whole, err := em.Whole()
	check(t, err)
	m.emissions, err = Readable(g, whole)
	check(t, err)
	targets, err := g.NewTokenTargets("tags", m.tokens)
	check(t, err)
	if c.CRF {
		m.loss, err = m.crf.NegLogLikelihood(g, em, targets)
	} else {
		m.loss, err = SequenceCrossEntropy(g, em, targets, LossOptions{})
	}
	check(t, err)
	check(t, g.Compile(m.loss))
	check(t, m.tokens.Set(c.Tokens, c.Lengths))
	if charInput != nil {
		ids := c.CharIDs
		if impl == Composed && spare > 0 {
			ids = repadForTest(ids, tagC, tagC+spare)
		}
		check(t, charInput.Set(ids, c.CharLengths))
	}
	check(t, targets.Set(c.Tags))
	return m
}

// repadForTest pads each word's characters from steps to width.
func repadForTest(ids []int, steps, width int) []int {
	out := make([]int, len(ids)/steps*width)
	for w := 0; w < len(ids)/steps; w++ {
		copy(out[w*width:], ids[w*steps:(w+1)*steps])
	}
	return out
}

// compareWithin reports the first element of got beyond abs + rel*|want|
// of want.
func compareWithin(t *testing.T, what string, got, want []float64, abs, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if d := math.Abs(got[i] - want[i]); !(d <= abs+rel*math.Abs(want[i])) {
			t.Errorf("%s: element %d = %.12g, want %.12g", what, i, got[i], want[i])
			return
		}
	}
}

// TestTaggerParity checks the BiLSTM/BiGRU taggers, with and without
// character features, with a softmax or a CRF, against PyTorch 1.13 (a
// plain PyTorch CRF in the fixture script): the emission scores, the loss
// and every parameter's gradient, in both implementations, in float32
// (the parity tolerances) and float64 (to 1e-9).
func TestTaggerParity(t *testing.T) {
	for _, c := range loadTaggerFixtures(t) {
		for _, impl := range []Impl{Composed, Fused} {
			for _, dtype := range []tensor.Dtype{tensor.Float32, tensor.Float64} {
				t.Run(fmt.Sprintf("%v/%v/%s", impl, dtype, c.Name), func(t *testing.T) {
					m := c.build(t, impl, dtype)
					check(t, m.graph.Run())
					check(t, m.graph.AccumulateGrads(1))
					cmp := func(what string, got, want []float64) {
						if dtype == tensor.Float32 {
							compare(t, what, got, want)
						} else {
							compareWithin(t, what, got, want, 1e-9, 1e-9)
						}
					}
					want := toTimeMajor("outputs", c.Outputs["emissions"])
					cmp("emissions", nodeValues(t, m.emissions)[:len(want)], want)
					cmp("loss", nodeValues(t, m.loss), c.Outputs["loss"].Data)
					for _, p := range m.params.List() {
						cmp("grad "+p.Name, p.Gradients(), c.Grads[p.Name].Data)
					}
				})
			}
		}
	}
}

// TestCRFParity checks the CRF against the fixture script's plain PyTorch
// one on the fixtures' emission scores: each row's log-partition and gold
// score, and its Viterbi path and score, free and under the IOB2
// constraints that metrics.IOB2.Constraints gives for the same tags.
func TestCRFParity(t *testing.T) {
	for _, c := range loadTaggerFixtures(t) {
		if !c.CRF {
			continue
		}
		t.Run(c.Name, func(t *testing.T) {
			m := c.build(t, Fused, tensor.Float64)
			check(t, m.graph.Run())
			em := nodeValues(t, m.emissions)
			batch, steps := len(c.Lengths), len(c.Tokens)/len(c.Lengths)
			out := c.CRFOutputs
			for b, n := range c.Lengths {
				logZ, gold := crfRow(t, m.crf, em, batch, b, n, c.Tags[b*steps:b*steps+n])
				compareWithin(t, fmt.Sprintf("row %d log-partition", b), []float64{logZ}, out.LogPartition[b:b+1], 1e-9, 1e-9)
				compareWithin(t, fmt.Sprintf("row %d gold score", b), []float64{gold}, out.GoldScore[b:b+1], 1e-9, 1e-9)
			}
			iob2, err := metrics.IOB2.Constraints(out.ConstraintTags)
			check(t, err)
			for _, tc := range []struct {
				name   string
				cons   *Constraints
				paths  [][]int
				scores []float64
			}{
				{"free", nil, out.ViterbiPaths, out.ViterbiScores},
				{"iob2", &Constraints{Start: iob2.Start, Allowed: iob2.Allowed, End: iob2.End}, out.ConstrainedPaths, out.ConstrainedScores},
			} {
				paths, scores, err := m.crf.Decode(em[:steps*batch*tagTags], steps, c.Lengths, tc.cons)
				check(t, err)
				if fmt.Sprint(paths) != fmt.Sprint(tc.paths) {
					t.Errorf("%s paths %v, want %v", tc.name, paths, tc.paths)
				}
				compareWithin(t, tc.name+" scores", scores, tc.scores, 1e-9, 1e-9)
			}
		})
	}
}

// crfRow returns the log-partition and gold score of row b (n tags) of
// time-major emissions [T, B, K], the first from the fused kernel's loss
// over that row alone (loss·n = log Z - gold), the second summed here.
func crfRow(t *testing.T, crf *CRF, em []float64, batch, b, n int, tags []int) (logZ, gold float64) {
	t.Helper()
	ps, err := NewParams(tensor.Float64, 1)
	check(t, err)
	row, err := ps.Add("row", tensor.Shape{n, 1, tagTags}, Zeros)
	check(t, err)
	rowCRF, err := NewCRF(ps, "crf", tagTags)
	check(t, err)
	values := make([]float64, n*tagTags)
	for s := range n {
		copy(values[s*tagTags:(s+1)*tagTags], em[(s*batch+b)*tagTags:(s*batch+b+1)*tagTags])
	}
	check(t, ps.SetValues("row", row.Value.Shape(), values))
	for _, p := range []*Param{crf.Transitions, crf.Start, crf.End} {
		check(t, ps.SetValues(p.Name, p.Value.Shape(), p.Values()))
	}
	g, err := New(ps, Config{Batch: 1})
	check(t, err)
	tokens, err := g.NewSequence("tokens", SequenceConfig{Steps: n})
	check(t, err)
	targets, err := g.NewTokenTargets("tags", tokens)
	check(t, err)
	node, err := g.Param("row")
	check(t, err)
	seq, err := WholeSeq(node, tokens)
	check(t, err)
	loss, err := rowCRF.NegLogLikelihood(g, seq, targets)
	check(t, err)
	check(t, g.Compile(nil))
	check(t, tokens.Set(make([]int, n), []int{n}))
	check(t, targets.Set(tags))
	check(t, g.Run())
	start, end, trans := crf.Start.Values(), crf.End.Values(), crf.Transitions.Values()
	gold = start[tags[0]] + end[tags[n-1]]
	for s, y := range tags {
		gold += values[s*tagTags+y]
		if s > 0 {
			gold += trans[tags[s-1]*tagTags+y]
		}
	}
	return nodeValues(t, loss)[0]*float64(n) + gold, gold
}
