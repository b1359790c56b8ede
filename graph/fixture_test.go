package graph

import (
	"encoding/json"
	"math"
	"os"
	"sync"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// fixtureTensor is a tensor as make_fixtures.py writes it.
type fixtureTensor struct {
	Shape []int     `json:"shape"`
	Data  []float64 `json:"data"`
}

// fixtureCase is one PyTorch model run from testdata/pytorch_rnn.json.
type fixtureCase struct {
	Name          string                   `json:"name"`
	Cell          string                   `json:"cell"`
	NumLayers     int                      `json:"num_layers"`
	Bidirectional bool                     `json:"bidirectional"`
	VocabSize     int                      `json:"vocab_size"`
	EmbedDim      int                      `json:"embed_dim"`
	HiddenSize    int                      `json:"hidden_size"`
	NumClasses    int                      `json:"num_classes"`
	Tokens        []int                    `json:"tokens"`
	Lengths       []int                    `json:"lengths"`
	Labels        []int                    `json:"labels"`
	Params        map[string]fixtureTensor `json:"params"`
	Weights       map[string]fixtureTensor `json:"weights"`
	Outputs       map[string]fixtureTensor `json:"outputs"`
	Grads         map[string]fixtureTensor `json:"grads"`
}

var (
	fixturesOnce sync.Once
	fixtures     []fixtureCase
	fixturesErr  error
)

func loadFixtures(t *testing.T) []fixtureCase {
	t.Helper()
	fixturesOnce.Do(func() {
		data, err := os.ReadFile("testdata/pytorch_rnn.json")
		if err != nil {
			fixturesErr = err
			return
		}
		var file struct {
			Cases []fixtureCase `json:"cases"`
		}
		fixturesErr = json.Unmarshal(data, &file)
		fixtures = file.Cases
	})
	if fixturesErr != nil {
		t.Fatalf("loading fixtures: %v", fixturesErr)
	}
	return fixtures
}

// testModel is the fixture's model built into one graph, with the scalar
// loss of make_fixtures.py.
type testModel struct {
	params   *Params
	graph    *Graph
	embedded *Seq
	out      *RecurrentOutput
	logits   map[string]*G.Node
	loss     *G.Node
	ce       *G.Node
	rng      *RNG
	seed     uint64
}

// run runs the graph with the dropout masks of its seed: the same masks at
// every run, as a gradient check needs.
func (m *testModel) run(t testing.TB) {
	t.Helper()
	m.rng.Seed(m.seed)
	check(t, m.graph.Run())
}

// modelSpec declares the fixture's model independently of any fixture
// values, so gradient checks can build it in float64.
type modelSpec struct {
	cfg        RecurrentConfig
	vocab      int
	classes    int
	lengths    []int
	tokens     []int
	labels     []int
	lossWeight func(name string, size int) []float64
}

func specOf(c fixtureCase) modelSpec {
	cell, err := ParseCell(c.Cell)
	if err != nil {
		panic(err)
	}
	return modelSpec{
		cfg: RecurrentConfig{
			Cell: cell, InputSize: c.EmbedDim, HiddenSize: c.HiddenSize,
			NumLayers: c.NumLayers, Bidirectional: c.Bidirectional,
		},
		vocab: c.VocabSize, classes: c.NumClasses,
		lengths: c.Lengths, tokens: c.Tokens, labels: c.Labels,
		lossWeight: func(name string, size int) []float64 {
			w, ok := c.Weights[name]
			if !ok {
				panic("fixture has no weights " + name)
			}
			// A fused graph with spare steps has longer outputs: zero weights.
			return append(toTimeMajor(name, w), make([]float64, size-len(w.Data))...)
		},
	}
}

var poolingOrder = []string{"last", "mean", "max", "mean_all"}

// build declares the model in params (dtype, seed), sets the given values,
// and builds its graph with impl for batches padded to the spec's length
// (steps of capacity for a fused graph).
func (s modelSpec) build(t testing.TB, impl Impl, capacity int, dtype tensor.Dtype, seed uint64, values map[string]fixtureTensor) *testModel {
	t.Helper()
	ps, err := NewParams(dtype, seed)
	check(t, err)
	emb, err := NewEmbedding(ps, "embedding", s.vocab, s.cfg.InputSize, 0)
	check(t, err)
	rnn, err := NewRecurrent(ps, "rnn", s.cfg)
	check(t, err)
	fc, err := NewLinear(ps, "fc", rnn.OutputWidth(), s.classes)
	check(t, err)
	for name, v := range values {
		check(t, ps.SetValues(name, tensor.Shape(v.Shape), v.Data))
	}
	batch, steps := len(s.lengths), len(s.tokens)/len(s.lengths)
	g, err := New(ps, Config{Batch: batch, Training: true, Impl: impl})
	check(t, err)
	seq, err := g.NewSequence("tokens", SequenceConfig{Steps: max(steps, capacity)})
	check(t, err)
	m := &testModel{params: ps, graph: g, logits: map[string]*G.Node{}}
	m.embedded, err = emb.Build(g, seq)
	check(t, err)
	m.out, err = rnn.Build(g, m.embedded, nil)
	check(t, err)

	whole, err := m.out.Outputs.Whole()
	check(t, err)
	terms := []*G.Node{weighted(g, whole, s.lossWeight("outputs", whole.Shape().TotalSize()))}
	terms = append(terms, weightedStates(g, m.out.Final.H, s.lossWeight("h_n", statesSize(m.out.Final.H)))...)
	if m.out.Final.C != nil {
		terms = append(terms, weightedStates(g, m.out.Final.C, s.lossWeight("c_n", statesSize(m.out.Final.C)))...)
	}
	for _, name := range poolingOrder {
		mode, err := ParsePooling(name)
		check(t, err)
		pooled, err := Pool(g, m.out, mode)
		check(t, err)
		logits, err := fc.Build(g, pooled)
		check(t, err)
		m.logits[name] = logits
		terms = append(terms, weighted(g, logits, s.lossWeight("logits_"+name, logits.Shape().TotalSize())))
	}
	labels := g.NewLabels("labels")
	m.ce, err = CrossEntropy(g, m.logits["last"], labels, LossOptions{})
	check(t, err)
	terms = append(terms, m.ce)
	m.loss = G.Must(G.ReduceAdd(terms))
	embWhole, err := m.embedded.Whole()
	check(t, err)
	check(t, g.Compile(m.loss, embWhole))
	m.rng, m.seed = NewRNG(seed), seed
	g.SetRNG(m.rng)
	check(t, seq.Set(s.tokens, s.lengths))
	check(t, labels.Set(s.labels))
	return m
}

// weighted returns sum(n * w) for a constant w of n's shape.
func weighted(g *Graph, n *G.Node, w []float64) *G.Node {
	name := g.uniqueName("loss_weight")
	c := G.NewTensor(g.expr, g.Dtype(), n.Dims(), G.WithShape(n.Shape().Clone()...), G.WithName(name), G.WithValue(denseFrom(g.Dtype(), n.Shape(), w)))
	return G.Must(G.Sum(G.Must(G.HadamardProd(n, c))))
}

func statesSize(states []*G.Node) int { return len(states) * states[0].Shape().TotalSize() }

// weightedStates applies the weights [L*D, B, H] to the state nodes [B, H].
func weightedStates(g *Graph, states []*G.Node, w []float64) []*G.Node {
	size := states[0].Shape().TotalSize()
	terms := make([]*G.Node, len(states))
	for i, s := range states {
		terms[i] = weighted(g, s, w[i*size:(i+1)*size])
	}
	return terms
}

// toTimeMajor converts PyTorch's batch-first [B, T, F] outputs (and their
// weights) to gornn's [T, B, F]; other tensors pass unchanged.
func toTimeMajor(name string, v fixtureTensor) []float64 {
	if name != "outputs" && name != "embedded" {
		return v.Data
	}
	b, steps, f := v.Shape[0], v.Shape[1], v.Shape[2]
	out := make([]float64, len(v.Data))
	for i := 0; i < b; i++ {
		for t := 0; t < steps; t++ {
			copy(out[(t*b+i)*f:(t*b+i+1)*f], v.Data[(i*steps+t)*f:(i*steps+t+1)*f])
		}
	}
	return out
}

// Tolerances of the PyTorch parity tests in float32: |got - want| <=
// parityAbs + parityRel * |want|.
const (
	parityAbs = 1e-5
	parityRel = 1e-4
)

// compare reports the elements of got that differ from want beyond the
// parity tolerances.
func compare(t *testing.T, what string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	worst, at := 0.0, -1
	for i := range got {
		excess := math.Abs(got[i]-want[i]) - (parityAbs + parityRel*math.Abs(want[i]))
		if excess > worst || math.IsNaN(got[i]) {
			worst, at = excess, i
		}
	}
	if at >= 0 {
		t.Errorf("%s: element %d = %.8g, want %.8g (beyond tolerance by %.3g)", what, at, got[at], want[at], worst)
	}
}

func nodeValues(t *testing.T, n *G.Node) []float64 {
	t.Helper()
	switch v := n.Value().(type) {
	case *tensor.Dense:
		return toFloat64s(v)
	case *G.F32:
		return []float64{float64(*v)}
	case *G.F64:
		return []float64{float64(*v)}
	}
	t.Fatalf("node %v has no tensor value (%T)", n.Name(), n.Value())
	return nil
}

func check(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%+v", err)
	}
}
