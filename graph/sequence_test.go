package graph

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// seqFixture is one case of testdata/pytorch_sequence.json: a model with
// per-step logits and a masked cross-entropy (see make_fixtures.py).
type seqFixture struct {
	Name           string                   `json:"name"`
	Cell           string                   `json:"cell"`
	NumLayers      int                      `json:"num_layers"`
	Bidirectional  bool                     `json:"bidirectional"`
	Classes        int                      `json:"classes"`
	LabelSmoothing float64                  `json:"label_smoothing"`
	Tokens         []int                    `json:"tokens"`
	Lengths        []int                    `json:"lengths"`
	Source         []int                    `json:"source"`
	SourceLengths  []int                    `json:"source_lengths"`
	Target         []int                    `json:"target"`
	TargetLengths  []int                    `json:"target_lengths"`
	Targets        []int                    `json:"targets"`
	Params         map[string]fixtureTensor `json:"params"`
	Outputs        map[string]fixtureTensor `json:"outputs"`
	Grads          map[string]fixtureTensor `json:"grads"`
}

// The dimensions make_fixtures.py uses for the sequence cases.
const (
	seqVocab  = 13
	seqEmbed  = 5
	seqHidden = 4
)

func loadSeqFixtures(t *testing.T) []seqFixture {
	t.Helper()
	data, err := os.ReadFile("testdata/pytorch_sequence.json")
	check(t, err)
	var file struct {
		Cases []seqFixture `json:"cases"`
	}
	check(t, json.Unmarshal(data, &file))
	return file.Cases
}

// seqModel is a sequence case built into one graph.
type seqModel struct {
	params   *Params
	graph    *Graph
	logits   *Seq
	embedded *Seq // nil but for the plain sequence cases
	loss     *G.Node
	rng      *RNG
}

func (m *seqModel) run(t testing.TB) {
	t.Helper()
	m.rng.Seed(1)
	check(t, m.graph.Run())
}

// build declares the case's model in a new parameter set of dtype, sets
// values when given, and builds it into a training graph (whose sequences
// take spare steps beyond the batch's when fused, see spareOf) loaded with
// the case's batch.
func (c seqFixture) build(t testing.TB, impl Impl, dtype tensor.Dtype, values map[string]fixtureTensor) *seqModel {
	t.Helper()
	ps, err := NewParams(dtype, 3)
	check(t, err)
	cell, err := ParseCell(c.Cell)
	check(t, err)
	m := &seqModel{params: ps, rng: NewRNG(1)}
	var declare seqBuilder
	switch {
	case strings.HasPrefix(c.Name, "encoder_decoder/"):
		declare = c.encoderDecoder(t, ps, cell)
	case strings.HasPrefix(c.Name, "cell/"):
		declare = c.steppedCell(t, ps, cell)
	default:
		declare = c.stack(t, ps, cell, m)
	}
	for name, v := range values {
		check(t, ps.SetValues(name, tensor.Shape(v.Shape), v.Data))
	}
	m.graph, err = New(ps, Config{Batch: 3, Training: true, Impl: impl})
	check(t, err)
	m.graph.SetRNG(m.rng)
	logits, inputs := declare(m.graph)
	targets, err := m.graph.NewTokenTargets("targets", logits.Tokens())
	check(t, err)
	m.logits = logits
	m.loss, err = SequenceCrossEntropy(m.graph, logits, targets, LossOptions{LabelSmoothing: c.LabelSmoothing})
	check(t, err)
	var watch []*G.Node
	if m.embedded != nil {
		whole, err := m.embedded.Whole()
		check(t, err)
		watch = append(watch, whole)
	}
	check(t, m.graph.Compile(m.loss, watch...))
	for _, in := range inputs {
		check(t, in.seq.Set(in.ids, in.lengths))
	}
	check(t, targets.Set(c.Targets))
	return m
}

// A seqBuilder builds a case's model into a graph and returns its logits
// and the batch of each token sequence it declared.
type seqBuilder func(g *Graph) (*Seq, []seqInput)

// seqInput is a token sequence of a graph and the batch to set it to.
type seqInput struct {
	seq          *Sequence
	ids, lengths []int
}

// newSeq declares a sequence in g for the batch ids, lengths, with spare
// steps more than it needs.
func newSeq(t testing.TB, g *Graph, name string, ids, lengths []int, spare int) seqInput {
	t.Helper()
	s, err := g.NewSequence(name, SequenceConfig{Steps: len(ids)/len(lengths) + spare})
	check(t, err)
	return seqInput{s, ids, lengths}
}

func (c seqFixture) stack(t testing.TB, ps *Params, cell Cell, m *seqModel) seqBuilder {
	emb, err := NewEmbedding(ps, "embedding", seqVocab, seqEmbed, 0)
	check(t, err)
	rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: seqEmbed, HiddenSize: seqHidden, NumLayers: c.NumLayers, Bidirectional: c.Bidirectional})
	check(t, err)
	fc, err := NewLinear(ps, "fc", rnn.OutputWidth(), c.Classes)
	check(t, err)
	return func(g *Graph) (*Seq, []seqInput) {
		tokens := newSeq(t, g, "tokens", c.Tokens, c.Lengths, spareOf(g))
		x, err := emb.Build(g, tokens.seq)
		check(t, err)
		m.embedded = x
		out, err := rnn.Build(g, x, nil)
		check(t, err)
		logits, err := fc.BuildSeq(g, out.Outputs)
		check(t, err)
		return logits, []seqInput{tokens}
	}
}

func (c seqFixture) encoderDecoder(t testing.TB, ps *Params, cell Cell) seqBuilder {
	srcEmb, err := NewEmbedding(ps, "src_embedding", seqVocab, seqEmbed, 0)
	check(t, err)
	tgtEmb, err := NewEmbedding(ps, "tgt_embedding", seqVocab, seqEmbed, 0)
	check(t, err)
	rc := RecurrentConfig{Cell: cell, InputSize: seqEmbed, HiddenSize: seqHidden}
	encoder, err := NewRecurrent(ps, "encoder", rc)
	check(t, err)
	decoder, err := NewRecurrent(ps, "decoder", rc)
	check(t, err)
	fc, err := NewLinear(ps, "fc", seqHidden, seqVocab)
	check(t, err)
	return func(g *Graph) (*Seq, []seqInput) {
		src := newSeq(t, g, "source", c.Source, c.SourceLengths, spareOf(g)*3/2)
		tgt := newSeq(t, g, "target", c.Target, c.TargetLengths, spareOf(g))
		xs, err := srcEmb.Build(g, src.seq)
		check(t, err)
		enc, err := encoder.Build(g, xs, nil)
		check(t, err)
		xt, err := tgtEmb.Build(g, tgt.seq)
		check(t, err)
		dec, err := decoder.Build(g, xt, &enc.Final)
		check(t, err)
		logits, err := fc.BuildSeq(g, dec.Outputs)
		check(t, err)
		return logits, []seqInput{src, tgt}
	}
}

func (c seqFixture) steppedCell(t testing.TB, ps *Params, cell Cell) seqBuilder {
	emb, err := NewEmbedding(ps, "embedding", seqVocab, seqEmbed, 0)
	check(t, err)
	rc, err := NewRecurrentCell(ps, "cell", CellConfig{Cell: cell, InputSize: seqEmbed + seqHidden, HiddenSize: seqHidden})
	check(t, err)
	fc, err := NewLinear(ps, "fc", seqHidden, seqVocab)
	check(t, err)
	return func(g *Graph) (*Seq, []seqInput) {
		tokens := newSeq(t, g, "tokens", c.Tokens, c.Lengths, 0)
		x, err := emb.Build(g, tokens.seq)
		check(t, err)
		st := CellState{H: g.zerosNode(seqHidden)}
		var steps []*G.Node
		for i := 0; i < x.Len(); i++ {
			xt, err := x.Step(i)
			check(t, err)
			st, err = rc.Step(g, xt, st, st.H) // input feeding: [embedding, h]
			check(t, err)
			logits, err := fc.Build(g, st.H)
			check(t, err)
			steps = append(steps, logits)
		}
		logits, err := StepsSeq(steps, tokens.seq)
		check(t, err)
		return logits, []seqInput{tokens}
	}
}

// spareOf is the steps a fused graph takes beyond the batch's in these
// tests: 2, to check that spare capacity changes nothing; none in a
// Composed graph, which takes exact lengths.
func spareOf(g *Graph) int {
	if g.cfg.Impl == Fused {
		return 2
	}
	return 0
}

// TestSequenceParity checks per-step logits, the masked cross-entropy
// (with label smoothing, ignored targets and padding), and every gradient
// against PyTorch 1.13 in float32: language-model and tagger stacks, an
// encoder-decoder over two sequences of different lengths, and a cell
// stepped by hand with input feeding.
func TestSequenceParity(t *testing.T) {
	for _, c := range loadSeqFixtures(t) {
		for _, impl := range []Impl{Composed, Fused} {
			t.Run(impl.String()+"/"+c.Name, func(t *testing.T) {
				m := c.build(t, impl, tensor.Float32, c.Params)
				m.run(t)
				check(t, m.graph.AccumulateGrads(1))
				logits, err := m.logits.Whole()
				check(t, err)
				want := toTimeMajor("outputs", c.Outputs["logits"])
				compare(t, "logits", nodeValues(t, logits)[:len(want)], want)
				compare(t, "loss", nodeValues(t, m.loss), c.Outputs["loss"].Data)
				for _, p := range m.params.List() {
					compare(t, "grad "+p.Name, p.Gradients(), c.Grads[p.Name].Data)
				}
				if m.embedded != nil {
					whole, err := m.embedded.Whole()
					check(t, err)
					grad, err := m.graph.Gradient(whole)
					check(t, err)
					want := toTimeMajor("embedded", c.Grads["embedded"])
					compare(t, "grad embedded", toFloat64s(grad)[:len(want)], want)
				}
			})
		}
	}
}

// TestSequenceFiniteDifferences checks every gradient of the sequence
// cases (masked and smoothed cross-entropy, two sequences, stepped cells
// with extra inputs) against central finite differences in float64.
func TestSequenceFiniteDifferences(t *testing.T) {
	for _, c := range loadSeqFixtures(t) {
		for _, impl := range []Impl{Composed, Fused} {
			t.Run(impl.String()+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				m := c.build(t, impl, tensor.Float64, nil)
				checkFiniteDifferencesOf(t, m.params, func() float64 {
					m.run(t)
					return nodeValues(t, m.loss)[0]
				}, func() {
					m.run(t)
					check(t, m.graph.AccumulateGrads(1))
				})
			})
		}
	}
}

// TestTiedEmbedding ties a language model's decoder to its embedding (the
// weight read by the lookup and by the decoder): the gradient is then the
// sum of both uses, which Gorgonia adds, and matches finite differences.
func TestTiedEmbedding(t *testing.T) {
	for _, impl := range []Impl{Composed, Fused} {
		t.Run(impl.String(), func(t *testing.T) {
			ps, err := NewParams(tensor.Float64, 5)
			check(t, err)
			emb, err := NewEmbedding(ps, "encoder", seqVocab, seqHidden, 0)
			check(t, err)
			rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: LSTM, InputSize: seqHidden, HiddenSize: seqHidden})
			check(t, err)
			bias, err := ps.Add("decoder.bias", tensor.Shape{seqVocab}, Uniform(0.5))
			check(t, err)
			decoder := &Linear{In: seqHidden, Out: seqVocab, Weight: emb.Weight, Bias: bias}
			g, err := New(ps, Config{Batch: 3, Training: true, Impl: impl})
			check(t, err)
			tokens, err := g.NewSequence("tokens", SequenceConfig{Steps: 4})
			check(t, err)
			x, err := emb.Build(g, tokens)
			check(t, err)
			out, err := rnn.Build(g, x, nil)
			check(t, err)
			logits, err := decoder.BuildSeq(g, out.Outputs)
			check(t, err)
			targets, err := g.NewTokenTargets("targets", tokens)
			check(t, err)
			loss, err := SequenceCrossEntropy(g, logits, targets, LossOptions{})
			check(t, err)
			check(t, g.Compile(loss))
			check(t, tokens.Set([]int{1, 2, 3, 4, 5, 6, 0, 0, 7, 8, 9, 0}, []int{4, 2, 3}))
			check(t, targets.Set([]int{2, 3, 4, 5, 6, 1, -100, -100, 8, 9, 10, -100}))
			run := func() float64 {
				check(t, g.Run())
				return nodeValues(t, loss)[0]
			}
			checkFiniteDifferencesOf(t, ps, run, func() {
				check(t, g.Run())
				check(t, g.AccumulateGrads(1))
			})
		})
	}
}

// TestSolverTrainsEveryParameter drives a fused classifier graph with
// Gorgonia's own Adam solver over Learnables(): every parameter, the
// fused layers' weights and the embedding included, changes, and the loss
// falls.
func TestSolverTrainsEveryParameter(t *testing.T) {
	ps, emb, rnn, fc := bidirectionalParts(t, 2, GRU, 7, 4, 6, 2)
	g, err := New(ps, Config{Batch: 4, Training: true})
	check(t, err)
	c := buildClassifier(t, g, 5, emb, rnn, fc, Mean)
	if got, want := len(g.Learnables()), len(ps.List()); got != want {
		t.Fatalf("%d learnables, want every one of the %d parameters", got, want)
	}
	before := map[string][]float64{}
	for _, p := range ps.List() {
		before[p.Name] = p.Values()
	}
	ids := []int{1, 2, 3, 0, 0, 4, 5, 6, 1, 0, 2, 2, 2, 2, 2, 6, 5, 0, 0, 0}
	lengths, labels := []int{3, 4, 5, 2}, []int{0, 1, 0, 1}
	solver := G.NewAdamSolver(G.WithLearnRate(0.05))
	var losses []float64
	for step := 0; step < 30; step++ {
		check(t, c.set(ids, lengths, labels))
		check(t, g.Run())
		loss, err := Scalar(c.loss)
		check(t, err)
		losses = append(losses, loss)
		check(t, solver.Step(G.NodesToValueGrads(g.Learnables())))
	}
	if losses[len(losses)-1] > losses[0]/2 {
		t.Errorf("loss %.4f -> %.4f: want it at least halved", losses[0], losses[len(losses)-1])
	}
	for _, p := range ps.List() {
		changed := false
		for i, v := range p.Values() {
			if v != before[p.Name][i] {
				changed = true
				break
			}
		}
		if !changed {
			t.Errorf("%s did not change", p.Name)
		}
	}
}

// TestStackStepMatchesBuild runs a 2-layer stack one step at a time with
// Recurrent.Step, carrying the states, and checks its outputs and final
// states against Build over the whole (full-length) sequence.
func TestStackStepMatchesBuild(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		for _, cell := range []Cell{RNNTanh, LSTM, GRU} {
			t.Run(cell.String(), func(t *testing.T) {
				ps, err := NewParams(tensor.Float64, 8)
				check(t, err)
				emb, err := NewEmbedding(ps, "embedding", 9, 3, 0)
				check(t, err)
				rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: 3, HiddenSize: 4, NumLayers: 2})
				check(t, err)
				ids, lengths := []int{1, 2, 3, 4, 5, 6, 7, 8}, []int{4, 4}
				wantOut, wantH, wantC := runLayer(t, impl, ps, emb, rnn, ids, lengths, nil)

				g, err := New(ps, Config{Batch: 2, Impl: impl})
				check(t, err)
				tokens, err := g.NewSequence("tokens", SequenceConfig{Steps: 4})
				check(t, err)
				x, err := emb.Build(g, tokens)
				check(t, err)
				var states *States
				var outs []*G.Node
				for i := 0; i < 4; i++ {
					xt, err := x.Step(i)
					check(t, err)
					var out *G.Node
					out, states, err = rnn.Step(g, xt, states)
					check(t, err)
					outs = append(outs, out)
				}
				check(t, g.Compile(nil))
				check(t, tokens.Set(ids, lengths))
				check(t, g.Run())
				var got []float64
				for _, n := range outs {
					got = append(got, nodeValues(t, n)...)
				}
				compare(t, "outputs", got, wantOut)
				for i, n := range states.H {
					compare(t, fmt.Sprint("h", i), nodeValues(t, n), wantH[i])
				}
				for i, n := range states.C {
					compare(t, fmt.Sprint("c", i), nodeValues(t, n), wantC[i])
				}
			})
		}
	})
}
