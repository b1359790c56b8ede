package graph

import (
	"fmt"
	"math"
	"testing"

	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// crfCase is a CRF over emissions held by a parameter, so that their
// gradient is a parameter's: a ragged batch of B rows, capacity T.
type crfCase struct {
	tags    int
	lengths []int
	steps   int
	gold    []int // [B*T] row-major, NoTarget-like -100 past each length
}

// crfModel is a crfCase built into a training graph.
type crfModel struct {
	params *Params
	crf    *CRF
	graph  *Graph
	loss   *G.Node
	em     *Param
}

func newCRFCase(seed uint64, tags, steps int, lengths []int) crfCase {
	rng := NewRNG(seed)
	gold := make([]int, len(lengths)*steps)
	for b, n := range lengths {
		for t := range steps {
			gold[b*steps+t] = -100
			if t < n {
				gold[b*steps+t] = rng.IntN(tags)
			}
		}
	}
	return crfCase{tags: tags, lengths: lengths, steps: steps, gold: gold}
}

// build declares emissions and a CRF in float64 (scaled so that scores
// span several units) and compiles the loss.
func (c crfCase) build(t *testing.T, impl Impl, seed uint64) *crfModel {
	t.Helper()
	ps, err := NewParams(tensor.Float64, seed)
	check(t, err)
	batch := len(c.lengths)
	em, err := ps.Add("emissions", tensor.Shape{c.steps, batch, c.tags}, Normal(2))
	check(t, err)
	crf, err := NewCRF(ps, "crf", c.tags)
	check(t, err)
	for _, p := range []*Param{crf.Transitions, crf.Start, crf.End} {
		values := p.Values()
		Normal(1)(values, ps.RNG())
		check(t, ps.SetValues(p.Name, p.Value.Shape(), values))
	}
	g, err := New(ps, Config{Batch: batch, Training: true, Impl: impl})
	check(t, err)
	tokens, err := g.NewSequence("tokens", SequenceConfig{Steps: c.steps})
	check(t, err)
	targets, err := g.NewTokenTargets("tags", tokens)
	check(t, err)
	node, err := g.Param("emissions")
	check(t, err)
	seq, err := WholeSeq(node, tokens)
	check(t, err)
	loss, err := crf.NegLogLikelihood(g, seq, targets)
	check(t, err)
	check(t, g.Compile(loss))
	ids := make([]int, batch*c.steps)
	for i := range ids {
		ids[i] = 1
	}
	check(t, tokens.Set(ids, c.lengths))
	check(t, targets.Set(c.gold))
	return &crfModel{params: ps, crf: crf, graph: g, loss: loss, em: em}
}

func (m *crfModel) lossValue(t *testing.T) float64 {
	t.Helper()
	check(t, m.graph.Run())
	return nodeValues(t, m.loss)[0]
}

// bruteForce enumerates every tag path of every row: the mean negative
// log-likelihood of the gold paths, and the best path of each row under
// constraints (nil: any).
func (c crfCase) bruteForce(m *crfModel, cons *Constraints) (loss float64, best [][]int) {
	e, trans, start, end := m.em.Values(), m.crf.Transitions.Values(), m.crf.Start.Values(), m.crf.End.Values()
	batch, k := len(c.lengths), c.tags
	score := func(b int, path []int) float64 {
		s := start[path[0]] + end[path[len(path)-1]]
		for t, y := range path {
			s += e[(t*batch+b)*k+y]
			if t > 0 {
				s += trans[path[t-1]*k+y]
			}
		}
		return s
	}
	allowed := func(path []int) bool {
		if cons == nil {
			return true
		}
		if !cons.Start[path[0]] || !cons.End[path[len(path)-1]] {
			return false
		}
		for t := 1; t < len(path); t++ {
			if !cons.Allowed[path[t-1]][path[t]] {
				return false
			}
		}
		return true
	}
	count := 0
	for b, n := range c.lengths {
		var scores []float64
		bestScore := math.Inf(-1)
		var bestPath []int
		path := make([]int, n)
		for code := 0; code < int(math.Pow(float64(k), float64(n))); code++ {
			for t, rest := 0, code; t < n; t++ {
				path[t], rest = rest%k, rest/k
			}
			s := score(b, path)
			scores = append(scores, s)
			if allowed(path) && s > bestScore {
				bestScore, bestPath = s, append([]int(nil), path...)
			}
		}
		loss += logSumExpOf(scores) - score(b, c.gold[b*c.steps:b*c.steps+n])
		best = append(best, bestPath)
		count += n
	}
	return loss / float64(count), best
}

// TestCRFForwardAlgorithmBruteForce checks the log-partition of both
// implementations against the enumeration of every path, for rows of 1 to
// 5 tags.
func TestCRFForwardAlgorithmBruteForce(t *testing.T) {
	cases := []struct {
		tags    int
		lengths []int
	}{
		{1, []int{3, 1}},
		{2, []int{5, 1, 3}},
		{3, []int{4, 2, 5, 1}},
		{4, []int{5, 5}},
	}
	for _, impl := range []Impl{Composed, Fused} {
		for i, tc := range cases {
			t.Run(fmt.Sprintf("%v/K=%d", impl, tc.tags), func(t *testing.T) {
				c := newCRFCase(uint64(i+1), tc.tags, 5, tc.lengths)
				m := c.build(t, impl, uint64(i+10))
				want, _ := c.bruteForce(m, nil)
				if got := m.lossValue(t); math.Abs(got-want) > 1e-10*max(1, math.Abs(want)) {
					t.Errorf("loss %.15g, brute force %.15g", got, want)
				}
			})
		}
	}
}

// TestCRFGradientsFiniteDifferences checks the gradients of the
// emissions and of the CRF's parameters in both implementations against
// central differences.
func TestCRFGradientsFiniteDifferences(t *testing.T) {
	for _, impl := range []Impl{Composed, Fused} {
		t.Run(impl.String(), func(t *testing.T) {
			c := newCRFCase(3, 4, 5, []int{5, 1, 3, 4})
			m := c.build(t, impl, 5)
			checkFiniteDifferencesOf(t, m.params, func() float64 { return m.lossValue(t) }, func() {
				m.lossValue(t)
				check(t, m.graph.AccumulateGrads(1))
			})
		})
	}
}

// TestCRFImplementationsAgree checks that both implementations give the
// same loss and gradients on the same ragged batch.
func TestCRFImplementationsAgree(t *testing.T) {
	c := newCRFCase(4, 5, 6, []int{6, 2, 4})
	var losses []float64
	var grads [][]float64
	for _, impl := range []Impl{Composed, Fused} {
		m := c.build(t, impl, 9)
		m.params.ZeroGrads()
		losses = append(losses, m.lossValue(t))
		check(t, m.graph.AccumulateGrads(1))
		var all []float64
		for _, p := range m.params.List() {
			all = append(all, p.Gradients()...)
		}
		grads = append(grads, all)
	}
	if math.Abs(losses[0]-losses[1]) > 1e-12 {
		t.Errorf("losses %v differ", losses)
	}
	for i := range grads[0] {
		if math.Abs(grads[0][i]-grads[1][i]) > 1e-12 {
			t.Fatalf("gradient %d: composed %v, fused %v", i, grads[0][i], grads[1][i])
		}
	}
}

// TestCRFDecode checks Viterbi against enumeration, without and with
// constraints, and that a row no allowed path fits falls back to the
// unconstrained best path with a score of -Inf.
func TestCRFDecode(t *testing.T) {
	c := newCRFCase(6, 3, 5, []int{5, 1, 4, 3})
	m := c.build(t, Fused, 12)
	// Tag 1 never follows tag 0; rows start with tag 0 or 2.
	cons := &Constraints{
		Start:   []bool{true, false, true},
		Allowed: [][]bool{{true, false, true}, {true, true, true}, {true, true, true}},
		End:     []bool{true, true, true},
	}
	for _, tc := range []struct {
		name string
		cons *Constraints
	}{{"free", nil}, {"constrained", cons}} {
		t.Run(tc.name, func(t *testing.T) {
			_, want := c.bruteForce(m, tc.cons)
			paths, scores, err := m.crf.Decode(m.em.Values(), c.steps, c.lengths, tc.cons)
			check(t, err)
			for b := range want {
				if fmt.Sprint(paths[b]) != fmt.Sprint(want[b]) || math.IsInf(scores[b], 0) {
					t.Errorf("row %d: path %v score %v, brute force %v", b, paths[b], scores[b], want[b])
				}
			}
		})
	}
	impossible := &Constraints{Start: []bool{false, false, false}, Allowed: cons.Allowed, End: cons.End}
	paths, scores, err := m.crf.Decode(m.em.Values(), c.steps, c.lengths, impossible)
	check(t, err)
	_, free := c.bruteForce(m, nil)
	if !math.IsInf(scores[0], -1) || fmt.Sprint(paths[0]) != fmt.Sprint(free[0]) {
		t.Errorf("no allowed path: %v %v, want the free path %v and -Inf", paths[0], scores[0], free[0])
	}
	if _, _, err := m.crf.Decode(m.em.Values(), c.steps, []int{6, 1, 1, 1}, nil); err == nil {
		t.Error("a row longer than the steps decoded")
	}
	if _, _, err := m.crf.Decode(m.em.Values(), c.steps, c.lengths, &Constraints{}); err == nil {
		t.Error("constraints of the wrong size accepted")
	}
}

// TestCRFRefusesMissingTags checks that an ignored tag inside a row's
// length is an error at Run, naming the row and step.
func TestCRFRefusesMissingTags(t *testing.T) {
	c := newCRFCase(7, 3, 4, []int{4, 2})
	c.gold[1] = -100
	for _, impl := range []Impl{Fused} {
		m := c.build(t, impl, 1)
		if err := m.graph.Run(); err == nil {
			t.Errorf("%v: run with a missing tag succeeded", impl)
		}
	}
}
