package decode

import (
	"math"
	"reflect"
	"testing"
)

// The toy vocabulary: <pad> <unk> <bos> <eos> a b.
const (
	pad, unk, bos, eos, a, b = 0, 1, 2, 3, 4, 5
	vocab                    = 6
)

// chain is a toy model whose next token depends on the last one only:
// next[prev] holds the probabilities of the next token. Its attention
// weights put everything on the source token at the step number (the last
// one past the source's end).
type chain struct {
	next    map[int][]float64
	starts  int // Start calls
	maxRows int
}

type chainState struct {
	sources []int // each row's source length
	steps   []int // each row's steps so far
}

func (s *chainState) Rows() int { return len(s.steps) }

func (s *chainState) Select(rows []int) (State, error) {
	out := &chainState{}
	for _, r := range rows {
		out.sources = append(out.sources, s.sources[r])
		out.steps = append(out.steps, s.steps[r])
	}
	return out, nil
}

func (m *chain) Start(sources [][]int) (State, error) {
	m.starts++
	s := &chainState{}
	for _, src := range sources {
		s.sources = append(s.sources, len(src))
		s.steps = append(s.steps, 0)
	}
	return s, nil
}

func (m *chain) Step(state State, tokens []int) (*StepOutput, error) {
	s := state.(*chainState)
	m.maxRows = max(m.maxRows, len(tokens))
	steps := 0
	for _, n := range s.sources {
		steps = max(steps, n)
	}
	out := &StepOutput{Vocab: vocab, SourceSteps: steps, Attention: make([]float64, len(tokens)*steps)}
	next := &chainState{sources: s.sources}
	for r, t := range tokens {
		p, ok := m.next[t]
		if !ok {
			p = m.next[eos]
		}
		for _, x := range p {
			out.LogProbs = append(out.LogProbs, math.Log(x))
		}
		out.Attention[r*steps+min(s.steps[r], s.sources[r]-1)] = 1
		next.steps = append(next.steps, s.steps[r]+1)
	}
	out.Next = next
	return out, nil
}

func (m *chain) Specials() Specials { return Specials{BOS: bos, EOS: eos, Never: []int{pad, bos}} }

// trap is a chain where greedy decoding goes wrong: a is likelier first,
// but b then ends far more surely. <pad> and <bos> get the most mass and
// must never be output.
var trap = map[int][]float64{
	//    pad  unk  bos  eos  a    b
	bos: {0.3, 0.02, 0.28, 0.0, 0.24, 0.16},
	a:   {0.0, 0.05, 0.0, 0.35, 0.3, 0.3},
	b:   {0.0, 0.0, 0.0, 0.9, 0.05, 0.05},
	eos: {0.0, 0.0, 0.0, 1, 0.0, 0.0},
}

func logs(ps ...float64) float64 {
	sum := 0.0
	for _, p := range ps {
		sum += math.Log(p)
	}
	return sum
}

func TestGreedyAndBeam(t *testing.T) {
	sources := [][]int{{7, 8}, {9}}
	cases := []struct {
		name string
		beam Beam
		want [][]Hypothesis // tokens and log-probabilities
	}{
		{"greedy", Beam{}, [][]Hypothesis{
			{{Tokens: []int{a}, LogProb: logs(0.24, 0.35)}},
			{{Tokens: []int{a}, LogProb: logs(0.24, 0.35)}},
		}},
		{"beam 2, 2-best", Beam{Width: 2, NBest: 2}, [][]Hypothesis{
			{{Tokens: []int{b}, LogProb: logs(0.16, 0.9)}, {Tokens: []int{a}, LogProb: logs(0.24, 0.35)}},
			{{Tokens: []int{b}, LogProb: logs(0.16, 0.9)}, {Tokens: []int{a}, LogProb: logs(0.24, 0.35)}},
		}},
		{"beam 3, max length 1", Beam{Width: 3, NBest: 3, MaxLenRatio: 0.5}, [][]Hypothesis{
			{{Tokens: []int{b}, LogProb: logs(0.16, 0.9)}, {Tokens: []int{a}, LogProb: logs(0.24, 0.35)}, {Tokens: []int{unk}, LogProb: logs(0.02, 1)}},
			{{Tokens: []int{b}, LogProb: logs(0.16, 0.9)}, {Tokens: []int{a}, LogProb: logs(0.24, 0.35)}, {Tokens: []int{unk}, LogProb: logs(0.02, 1)}},
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m := &chain{next: trap}
			lists, err := c.beam.Search(m, sources)
			if err != nil {
				t.Fatal(err)
			}
			if len(lists) != len(c.want) {
				t.Fatalf("%d lists, want %d", len(lists), len(c.want))
			}
			for i, list := range lists {
				if len(list) != len(c.want[i]) {
					t.Fatalf("source %d: %d outputs, want %d", i, len(list), len(c.want[i]))
				}
				for j, h := range list {
					w := c.want[i][j]
					if !reflect.DeepEqual(h.Tokens, w.Tokens) || math.Abs(h.LogProb-w.LogProb) > 1e-9 || h.Score != h.LogProb {
						t.Errorf("source %d output %d: %v %.6f (score %.6f), want %v %.6f", i, j, h.Tokens, h.LogProb, h.Score, w.Tokens, w.LogProb)
					}
					if len(h.Attention) != len(h.Tokens)+1 || len(h.Attention[0]) != len(sources[i]) {
						t.Errorf("source %d output %d: attention %v, want %d steps of %d", i, j, h.Attention, len(h.Tokens)+1, len(sources[i]))
					}
				}
			}
			if want := len(sources) * max(c.beam.Width, 1); m.maxRows != want || m.starts != 1 {
				t.Errorf("%d rows per step and %d starts, want %d rows and 1 start", m.maxRows, m.starts, want)
			}
		})
	}
	greedy, err := Greedy(&chain{next: trap}, sources, Beam{Width: 5, NBest: 3})
	if err != nil || len(greedy) != 2 || !reflect.DeepEqual(greedy[0].Tokens, []int{a}) {
		t.Errorf("Greedy ignores the width: %+v, %v", greedy, err)
	}
}

// TestMaxLength ends an output that never wants to end at the maximum
// length, with <eos>, and records each step's attention.
func TestMaxLength(t *testing.T) {
	loop := map[int][]float64{
		bos: {0, 0, 0, 0.1, 0.9, 0},
		a:   {0, 0, 0, 0.1, 0.9, 0},
		eos: {0, 0, 0, 1, 0, 0},
	}
	out, err := Greedy(&chain{next: loop}, [][]int{{1, 1}}, Beam{MaxLenRatio: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	h := out[0]
	if !reflect.DeepEqual(h.Tokens, []int{a, a, a}) || math.Abs(h.LogProb-logs(0.9, 0.9, 0.9, 0.1)) > 1e-9 {
		t.Errorf("got %v %v, want 3 a's then a forced <eos>", h.Tokens, h.LogProb)
	}
	want := [][]float64{{1, 0}, {0, 1}, {0, 1}, {0, 1}}
	if !reflect.DeepEqual(h.Attention, want) {
		t.Errorf("attention %v, want %v", h.Attention, want)
	}
}

// TestLengthNormalisation ranks a long output above a short one once
// alpha favours length enough.
func TestLengthNormalisation(t *testing.T) {
	long := map[int][]float64{
		bos: {0, 0, 0, 0.5, 0.5, 0},
		a:   {0, 0, 0, 0.05, 0, 0.95},
		b:   {0, 0, 0, 0.95, 0, 0.05},
		eos: {0, 0, 0, 1, 0, 0},
	}
	for _, c := range []struct {
		alpha float64
		want  []int
	}{{0, nil}, {2, []int{a, b}}} {
		out, err := Beam{Width: 2, NBest: 2, Alpha: c.alpha}.Search(&chain{next: long}, [][]int{{1, 1, 1}})
		if err != nil {
			t.Fatal(err)
		}
		best := out[0][0]
		if !reflect.DeepEqual(best.Tokens, c.want) && !(len(best.Tokens) == 0 && len(c.want) == 0) {
			t.Errorf("alpha %v: best %v, want %v", c.alpha, best.Tokens, c.want)
		}
		penalty := math.Pow((5+float64(len(best.Tokens)+1))/6, c.alpha)
		if math.Abs(best.Score-best.LogProb/penalty) > 1e-12 {
			t.Errorf("alpha %v: score %v, want %v", c.alpha, best.Score, best.LogProb/penalty)
		}
	}
}

func TestBeamErrors(t *testing.T) {
	m := &chain{next: trap}
	for _, c := range []struct {
		beam    Beam
		sources [][]int
	}{
		{Beam{Width: 2, NBest: 3}, [][]int{{1}}},
		{Beam{Width: -1}, [][]int{{1}}},
		{Beam{Alpha: math.NaN()}, [][]int{{1}}},
		{Beam{MaxLenRatio: -1}, [][]int{{1}}},
		{Beam{}, [][]int{{1}, {}}},
	} {
		if _, err := c.beam.Search(m, c.sources); err == nil {
			t.Errorf("%+v over %v: want an error", c.beam, c.sources)
		}
	}
}
