package graph

import (
	"fmt"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// runLayer builds embedding -> recurrent into an inference graph over ids
// [B, T] with the given lengths and initial states, runs it, and returns
// the output values [T, B, F] and final states.
func runLayer(t *testing.T, impl Impl, ps *Params, emb *Embedding, rnn *Recurrent, ids, lengths []int, initial [][]float64) (out []float64, h, c [][]float64) {
	t.Helper()
	batch := len(lengths)
	g, err := New(ps, Config{Batch: batch, Impl: impl})
	check(t, err)
	seq, err := g.NewSequence("tokens", SequenceConfig{Steps: len(ids) / batch})
	check(t, err)
	x, err := emb.Build(g, seq)
	check(t, err)
	var states *States
	if initial != nil {
		hidden := rnn.Config.HiddenSize
		states = &States{}
		for i, v := range initial {
			in, err := g.NewInput(fmt.Sprintf("initial_%d", i), batch, hidden)
			check(t, err)
			check(t, in.Set(v))
			n := in.Node()
			if i == 0 {
				states.H = append(states.H, n)
			} else {
				states.C = append(states.C, n)
			}
		}
	}
	res, err := rnn.Build(g, x, states)
	check(t, err)
	whole, err := res.Outputs.Whole()
	check(t, err)
	check(t, g.Compile(nil))
	check(t, seq.Set(ids, lengths))
	check(t, g.Run())
	for _, n := range res.Final.H {
		h = append(h, nodeValues(t, n))
	}
	for _, n := range res.Final.C {
		c = append(c, nodeValues(t, n))
	}
	return nodeValues(t, whole), h, c
}

// testClassifier is a classifier graph: its inputs, logits and loss.
type testClassifier struct {
	g            *Graph
	tokens       *Sequence
	labels       *Targets
	logits, loss *G.Node
}

// set loads a batch.
func (c *testClassifier) set(ids, lengths, labels []int) error {
	if err := c.tokens.Set(ids, lengths); err != nil {
		return err
	}
	return c.labels.Set(labels)
}

// bidirectionalParts declares, in new float32 parameters drawn from
// seed, an embedding of vocab tokens of width embed, a 2-layer
// bidirectional stack of cell with hidden units, and a linear layer to
// classes: the parts of a small bidirectional classifier.
func bidirectionalParts(t testing.TB, seed uint64, cell Cell, vocab, embed, hidden, classes int) (*Params, *Embedding, *Recurrent, *Linear) {
	t.Helper()
	ps, err := NewParams(tensor.Float32, seed)
	check(t, err)
	emb, err := NewEmbedding(ps, "embedding", vocab, embed, 0)
	check(t, err)
	rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: embed, HiddenSize: hidden, NumLayers: 2, Bidirectional: true})
	check(t, err)
	fc, err := NewLinear(ps, "fc", rnn.OutputWidth(), classes)
	check(t, err)
	return ps, emb, rnn, fc
}

// buildClassifier builds emb -> rnn -> pooling -> fc -> cross-entropy into
// g for batches of up to steps tokens and compiles it with the loss.
func buildClassifier(t testing.TB, g *Graph, steps int, emb *Embedding, rnn *Recurrent, fc *Linear, pooling Pooling) *testClassifier {
	t.Helper()
	tokens, err := g.NewSequence("tokens", SequenceConfig{Steps: steps})
	check(t, err)
	x, err := emb.Build(g, tokens)
	check(t, err)
	out, err := rnn.Build(g, x, nil)
	check(t, err)
	pooled, err := Pool(g, out, pooling)
	check(t, err)
	logits, err := fc.Build(g, pooled)
	check(t, err)
	labels := g.NewLabels("labels")
	loss, err := CrossEntropy(g, logits, labels, LossOptions{})
	check(t, err)
	check(t, g.Compile(loss))
	return &testClassifier{g: g, tokens: tokens, labels: labels, logits: logits, loss: loss}
}

// TestInitialStateContinues checks that running the second half of a
// sequence from the final state of the first half gives the same outputs
// and final state as running the whole sequence.
func TestInitialStateContinues(t *testing.T) {
	forEachImpl(t, func(t *testing.T, impl Impl) {
		for _, cell := range []Cell{RNNTanh, LSTM, GRU} {
			t.Run(cell.String(), func(t *testing.T) {
				ps, err := NewParams(tensor.Float64, 5)
				check(t, err)
				emb, err := NewEmbedding(ps, "embedding", 7, 3, 0)
				check(t, err)
				rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: cell, InputSize: 3, HiddenSize: 4})
				check(t, err)
				full := []int{1, 2, 3, 4, 5, 6, 6, 5, 4, 3, 2, 1}
				first := []int{1, 2, 3, 6, 5, 4}
				second := []int{4, 5, 6, 3, 2, 1}
				all := []int{6, 6}
				half := []int{3, 3}
				wantOut, wantH, wantC := runLayer(t, impl, ps, emb, rnn, full, all, nil)
				_, h, c := runLayer(t, impl, ps, emb, rnn, first, half, nil)
				initial := append(h, c...)
				gotOut, gotH, gotC := runLayer(t, impl, ps, emb, rnn, second, half, initial)
				compare(t, "outputs", gotOut, wantOut[len(wantOut)/2:])
				compare(t, "h", gotH[0], wantH[0])
				if cell == LSTM {
					compare(t, "c", gotC[0], wantC[0])
				}
			})
		}
	})
}

// forEachImpl runs test as a subtest for each implementation.
func forEachImpl(t *testing.T, test func(t *testing.T, impl Impl)) {
	for _, impl := range []Impl{Composed, Fused} {
		t.Run(impl.String(), func(t *testing.T) { test(t, impl) })
	}
}

// TestMergeModes checks that the Sum, Mul and Ave merges combine the same
// two directions that Concat lays side by side.
func TestMergeModes(t *testing.T) {
	forEachImpl(t, testMergeModes)
}

func testMergeModes(t *testing.T, impl Impl) {
	ids, lengths := []int{1, 2, 3, 4, 5, 0, 6, 0, 0}, []int{3, 2, 1}
	results := map[Merge][]float64{}
	for _, m := range []Merge{Concat, Sum, Mul, Ave} {
		ps, err := NewParams(tensor.Float64, 9)
		check(t, err)
		emb, err := NewEmbedding(ps, "embedding", 7, 3, 0)
		check(t, err)
		rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: GRU, InputSize: 3, HiddenSize: 2, Bidirectional: true, Merge: m})
		check(t, err)
		results[m], _, _ = runLayer(t, impl, ps, emb, rnn, ids, lengths, nil)
	}
	concat := results[Concat]
	for m, combine := range map[Merge]func(a, b float64) float64{
		Sum: func(a, b float64) float64 { return a + b },
		Mul: func(a, b float64) float64 { return a * b },
		Ave: func(a, b float64) float64 { return (a + b) / 2 },
	} {
		want := make([]float64, len(concat)/2)
		for i := range want {
			row, j := i/2, i%2
			want[i] = combine(concat[row*4+j], concat[row*4+2+j])
		}
		compare(t, m.String(), results[m], want)
	}
}

// TestDropoutIsSeeded checks that dropout masks come from the graph's RNG:
// the same seed gives the same outputs, another seed others, and an
// inference graph applies no dropout.
func TestDropoutIsSeeded(t *testing.T) {
	forEachImpl(t, testDropoutIsSeeded)
}

func testDropoutIsSeeded(t *testing.T, impl Impl) {
	run := func(training bool, seed uint64) []float64 {
		ps, err := NewParams(tensor.Float32, 1)
		check(t, err)
		emb, err := NewEmbedding(ps, "embedding", 7, 3, 0)
		check(t, err)
		rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: LSTM, InputSize: 3, HiddenSize: 8, NumLayers: 2, Dropout: 0.5})
		check(t, err)
		g, err := New(ps, Config{Batch: 2, Training: training, Impl: impl})
		check(t, err)
		seq, err := g.NewSequence("tokens", SequenceConfig{Steps: 3})
		check(t, err)
		x, err := emb.Build(g, seq)
		check(t, err)
		out, err := rnn.Build(g, x, nil)
		check(t, err)
		whole, err := out.Outputs.Whole()
		check(t, err)
		check(t, g.Compile(nil))
		g.SetRNG(NewRNG(seed))
		check(t, seq.Set([]int{1, 2, 3, 4, 5, 6}, []int{3, 3}))
		check(t, g.Run())
		return nodeValues(t, whole)
	}
	same := func(a, b []float64) bool {
		for i := range a {
			if a[i] != b[i] {
				return false
			}
		}
		return true
	}
	if !same(run(true, 1), run(true, 1)) {
		t.Error("same seed gave different dropout")
	}
	if same(run(true, 1), run(true, 2)) {
		t.Error("different seeds gave the same dropout")
	}
	if !same(run(false, 1), run(false, 2)) {
		t.Error("inference graph depends on the seed")
	}
}

// TestSharedWorkspace runs two fused training graphs of different
// capacities, sharing one workspace, in turns, and checks every loss and
// gradient against graphs with workspaces of their own.
func TestSharedWorkspace(t *testing.T) {
	type run struct {
		ids, lengths, labels []int
	}
	runs := []run{
		{[]int{1, 2, 3, 4, 5, 0, 6, 0, 0}, []int{3, 2, 1}, []int{0, 1, 1}},
		{[]int{1, 2, 3, 4, 5, 6, 2, 3, 4, 5, 6, 0, 3, 0, 0, 0, 0, 0}, []int{6, 5, 1}, []int{1, 0, 1}},
	}
	results := func(shared bool) [][]float64 {
		ps, err := NewParams(tensor.Float32, 4)
		check(t, err)
		emb, err := NewEmbedding(ps, "embedding", 7, 3, 0)
		check(t, err)
		rnn, err := NewRecurrent(ps, "rnn", RecurrentConfig{Cell: LSTM, InputSize: 3, HiddenSize: 4, NumLayers: 2, Bidirectional: true, Merge: Mul})
		check(t, err)
		fc, err := NewLinear(ps, "fc", 4, 2)
		check(t, err)
		var ws *Workspace
		if shared {
			ws = NewWorkspace()
		}
		var graphs []*testClassifier
		for _, steps := range []int{3, 8} {
			g, err := New(ps, Config{Batch: 3, Training: true, Workspace: ws})
			check(t, err)
			graphs = append(graphs, buildClassifier(t, g, steps, emb, rnn, fc, Max))
		}
		var got [][]float64
		for i := 0; i < 4; i++ {
			r, net := runs[i%2], graphs[i%2]
			check(t, net.set(r.ids, r.lengths, r.labels))
			check(t, net.g.Run())
			check(t, net.g.AccumulateGrads(1))
			loss, err := Scalar(net.loss)
			check(t, err)
			got = append(got, []float64{loss})
			for _, p := range ps.List() {
				got = append(got, p.Gradients())
			}
			ps.ZeroGrads()
		}
		return got
	}
	want, got := results(false), results(true)
	for i := range want {
		compare(t, fmt.Sprint("result ", i), got[i], want[i])
	}
}
