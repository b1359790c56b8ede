package graph

import (
	"fmt"
	"math"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// attentionModel is a small attentional encoder-decoder built from graph's
// layers: a bidirectional LSTM encoder, an LSTM cell decoder with input
// feeding, an attention at every step, a linear output and the masked
// cross-entropy, plus a weighted sum of every step's attention weights
// (so that their gradient is checked too).
type attentionModel struct {
	params  *Params
	graph   *Graph
	loss    *G.Node
	weights []*G.Node // each decoder step's [B, S]
	outs    []*G.Node // each decoder step's h̃ [B, Hd]
}

// The batch of the attention tests: sources of lengths 4, 1, 3 (capacity
// 4, plus spare steps in fused graphs) and targets of lengths 3, 2, 3.
var (
	attSource        = []int{1, 2, 3, 4, 5, 0, 0, 0, 6, 7, 8, 0}
	attSourceLengths = []int{4, 1, 3}
	attTarget        = []int{2, 3, 4, 5, 6, 0, 7, 8, 9}
	attTargetLengths = []int{3, 2, 3}
	attTargets       = []int{3, 4, 1, 6, 1, -100, 8, 9, 1}
)

func buildAttentionModel(t testing.TB, score Score, impl Impl, dtype tensor.Dtype) *attentionModel {
	t.Helper()
	const vocab, embed, hidden = 10, 3, 4
	ps, err := NewParams(dtype, 21)
	check(t, err)
	srcEmb, err := NewEmbedding(ps, "src_embedding", vocab, embed, 0)
	check(t, err)
	tgtEmb, err := NewEmbedding(ps, "tgt_embedding", vocab, embed, 0)
	check(t, err)
	encoder, err := NewRecurrent(ps, "encoder", RecurrentConfig{Cell: LSTM, InputSize: embed, HiddenSize: hidden / 2, Bidirectional: true})
	check(t, err)
	cell, err := NewRecurrentCell(ps, "decoder", CellConfig{Cell: LSTM, InputSize: embed + hidden, HiddenSize: hidden})
	check(t, err)
	att, err := NewAttention(ps, "attention", AttentionConfig{Score: score, QueryWidth: hidden, MemoryWidth: encoder.OutputWidth(), Size: 5})
	check(t, err)
	fc, err := NewLinear(ps, "fc", hidden, vocab)
	check(t, err)

	m := &attentionModel{params: ps}
	g, err := New(ps, Config{Batch: 3, Training: true, Impl: impl})
	check(t, err)
	m.graph = g
	spare := spareOf(g)
	src, err := g.NewSequence("source", SequenceConfig{Steps: 4 + spare})
	check(t, err)
	tgt, err := g.NewSequence("target", SequenceConfig{Steps: 3 + spare})
	check(t, err)
	xs, err := srcEmb.Build(g, src)
	check(t, err)
	enc, err := encoder.Build(g, xs, nil)
	check(t, err)
	keys, err := att.Keys(g, enc.Outputs)
	check(t, err)
	xt, err := tgtEmb.Build(g, tgt)
	check(t, err)
	state := CellState{H: enc.Final.H[0], C: enc.Final.C[0]}
	state.H, err = G.Concat(1, enc.Final.H[0], enc.Final.H[1])
	check(t, err)
	state.C, err = G.Concat(1, enc.Final.C[0], enc.Final.C[1])
	check(t, err)
	feed := g.zerosNode(hidden)
	var steps []*G.Node
	for i := 0; i < xt.Len(); i++ {
		x, err := xt.Step(i)
		check(t, err)
		state, err = cell.Step(g, x, state, feed)
		check(t, err)
		out, weights, err := att.Step(g, state.H, enc.Outputs, keys)
		check(t, err)
		readable, err := Readable(g, out)
		check(t, err)
		m.outs, m.weights = append(m.outs, readable), append(m.weights, weights)
		steps = append(steps, out)
		feed = out
	}
	outs, err := StepsSeq(steps, tgt)
	check(t, err)
	logits, err := fc.BuildSeq(g, outs)
	check(t, err)
	targets, err := g.NewTokenTargets("targets", tgt)
	check(t, err)
	ce, err := SequenceCrossEntropy(g, logits, targets, LossOptions{LabelSmoothing: 0.1})
	check(t, err)
	loss := ce
	rng := NewRNG(5)
	for _, w := range m.weights[:2] {
		in, err := g.NewInput("weights_loss", w.Shape()...)
		check(t, err)
		// The same loss weights whatever the memory's capacity.
		drawn := make([]float64, 3*4)
		Normal(1)(drawn, rng)
		values := make([]float64, w.Shape().TotalSize())
		capacity := w.Shape()[1]
		for b := 0; b < 3; b++ {
			copy(values[b*capacity:], drawn[b*4:(b+1)*4])
		}
		check(t, in.Set(values))
		loss, err = G.Add(loss, G.Must(G.Sum(G.Must(G.HadamardProd(w, in.Node())))))
		check(t, err)
	}
	m.loss = loss
	check(t, g.Compile(loss))
	check(t, src.Set(attSource, attSourceLengths))
	check(t, tgt.Set(attTarget, attTargetLengths))
	check(t, targets.Set(attTargets))
	return m
}

// TestAttentionFiniteDifferences checks every gradient of an attentional
// encoder-decoder, for each score and implementation, against central
// finite differences in float64: the attention's weights, the memory's
// and the query's gradients through the encoder and the decoder, and the
// attention weights' own gradient.
func TestAttentionFiniteDifferences(t *testing.T) {
	for _, score := range []Score{Additive, Dot, General} {
		for _, impl := range []Impl{Composed, Fused} {
			t.Run(fmt.Sprintf("%v/%v", score, impl), func(t *testing.T) {
				t.Parallel()
				m := buildAttentionModel(t, score, impl, tensor.Float64)
				checkFiniteDifferencesOf(t, m.params, func() float64 {
					check(t, m.graph.Run())
					return nodeValues(t, m.loss)[0]
				}, func() {
					check(t, m.graph.Run())
					check(t, m.graph.AccumulateGrads(1))
				})
			})
		}
	}
}

// TestAttentionFusedMatchesComposed runs both implementations from the
// same weights in float32 and compares the attention weights, the
// attentional vectors, the loss and every gradient; weights past each
// source's length are zero and each row's weights sum to 1.
func TestAttentionFusedMatchesComposed(t *testing.T) {
	for _, score := range []Score{Additive, Dot, General} {
		t.Run(score.String(), func(t *testing.T) {
			runOf := func(impl Impl) (*attentionModel, [][]float64, [][]float64) {
				m := buildAttentionModel(t, score, impl, tensor.Float32)
				check(t, m.graph.Run())
				check(t, m.graph.AccumulateGrads(1))
				var weights, outs [][]float64
				for i := range m.weights {
					weights = append(weights, nodeValues(t, m.weights[i]))
					outs = append(outs, nodeValues(t, m.outs[i]))
				}
				return m, weights, outs
			}
			composed, cw, co := runOf(Composed)
			fused, fw, fo := runOf(Fused)
			for i := range cw {
				const s, fusedS = 4, 6 // the fused graph's memory has 2 spare steps
				for b, n := range attSourceLengths {
					sum := 0.0
					for j := 0; j < fusedS; j++ {
						got := fw[i][b*fusedS+j]
						if j >= n && got != 0 {
							t.Errorf("step %d row %d: weight %v past the source's length", i, b, got)
						}
						sum += got
					}
					if sum < 1-1e-5 || sum > 1+1e-5 {
						t.Errorf("step %d row %d: weights sum to %v", i, b, sum)
					}
					compare(t, fmt.Sprintf("weights step %d row %d", i, b), fw[i][b*fusedS:b*fusedS+s], cw[i][b*s:(b+1)*s])
				}
				compare(t, fmt.Sprint("out step ", i), fo[i], co[i])
			}
			compare(t, "loss", nodeValues(t, fused.loss), nodeValues(t, composed.loss))
			for _, p := range composed.params.List() {
				compare(t, "grad "+p.Name, fused.params.Get(p.Name).Gradients(), p.Gradients())
			}
		})
	}
}

func TestAttentionConfigErrors(t *testing.T) {
	ps, err := NewParams(tensor.Float32, 1)
	check(t, err)
	for _, c := range []struct {
		cfg  AttentionConfig
		want string
	}{
		{AttentionConfig{Score: Dot, QueryWidth: 4, MemoryWidth: 8}, "dot attention needs"},
		{AttentionConfig{Score: Additive, QueryWidth: 0, MemoryWidth: 8}, "must be positive"},
		{AttentionConfig{Score: Score(7), QueryWidth: 4, MemoryWidth: 4}, "unknown attention score"},
	} {
		if _, err := NewAttention(ps, "attention", c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: error %v, want %q", c.cfg, err, c.want)
		}
	}
	if s, err := ParseScore("general"); err != nil || s != General {
		t.Errorf("ParseScore(general) = %v, %v", s, err)
	}
	if _, err := ParseScore("mlp"); err == nil {
		t.Error("ParseScore(mlp): want an error")
	}
}

// TestAttentionBackwardKeepsItsOwnCopies checks that the fused attention's
// backward pass does not read the tensors its forward pass returned (h̃
// and the attention weights): Gorgonia's tape may write into them before
// the backward pass runs, which once made a CMUdict run's gradients
// non-finite. Overwriting them with NaN between the passes must leave the
// gradients as they were.
func TestAttentionBackwardKeepsItsOwnCopies(t *testing.T) {
	m := buildAttentionModel(t, Additive, Fused, tensor.Float64)
	check(t, m.graph.Run())
	op, ok := m.weights[0].Op().(*secondaryOp)
	if !ok {
		t.Fatalf("attention weights come from %T, want the fused kernel's secondary output", m.weights[0].Op())
	}
	k := op.k.(*attentionKernel[float64])
	outGrad := tensor.New(tensor.WithShape(k.batch, k.hd), tensor.Of(tensor.Float64))
	for i := range outGrad.Float64s() {
		outGrad.Float64s()[i] = float64(i%7) - 3
	}
	gradients := func() []float64 {
		check(t, k.backward(outGrad))
		var all []float64
		for _, g := range [][]float64{k.dQuery, k.dMemory, k.dOutW, k.dOutB, k.dKeys, k.dV, k.dQueryW} {
			all = append(all, g...)
		}
		return all
	}
	want := gradients()
	for i := range k.out {
		k.out[i] = math.NaN()
	}
	for i := range k.weights {
		k.weights[i] = math.NaN()
	}
	got := gradients()
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("gradient %d: %v after the returned tensors were overwritten, %v before", i, got[i], want[i])
		}
	}
}
