package metrics

import (
	"encoding/json"
	"math"
	"testing"
)

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b []int
		want int
	}{
		{nil, nil, 0},
		{[]int{1, 2, 3}, nil, 3},
		{nil, []int{4}, 1},
		{[]int{1, 2, 3}, []int{1, 2, 3}, 0},
		{[]int{1, 2, 3}, []int{1, 3}, 1},
		{[]int{1, 2, 3}, []int{1, 4, 3}, 1},
		{[]int{1, 2, 3, 4}, []int{2, 1, 4, 3}, 3},
		{[]int{5, 6, 7}, []int{7, 6, 5, 5}, 3},
	} {
		if got := EditDistance(c.a, c.b); got != c.want {
			t.Errorf("EditDistance(%v, %v) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := EditDistance(c.b, c.a); got != c.want {
			t.Errorf("EditDistance(%v, %v) = %d, want %d (symmetric)", c.b, c.a, got, c.want)
		}
	}
}

// TestTransduction scores three words: one right by its second reference,
// one with a substitution against its closest reference, one with nothing
// right. Repeated rows of a word (its alternates) count once.
func TestTransduction(t *testing.T) {
	var m Transduction
	m.Tokens.Add(0.5, 10, 7)
	m.AddDecoded([]int{4, 5}, []int{9, 9}, []int{8, 9})
	m.AddDecoded([]int{4, 5}, []int{9, 9}, []int{9, 9})
	m.AddDecoded([]int{6}, []int{1, 2, 3}, []int{1, 7, 3, 4, 5})
	m.AddDecoded([]int{6}, []int{1, 2, 3}, []int{1, 2, 4})
	m.AddDecoded([]int{7, 7}, []int{5}, []int{6, 6})
	m.AddDecoded([]int{4, 5}, []int{9, 9}, []int{8, 9}) // a repeated row adds nothing
	data, err := json.Marshal(&m)
	if err != nil {
		t.Fatal(err)
	}
	var back Transduction
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	s := back.Scores()
	want := Scores{"accuracy": 0.7, "perplexity": math.Exp(0.5), "wer": 2.0 / 3, "per": (0 + 1 + 2) / (2.0 + 3 + 2)}
	for name, w := range want {
		if got, ok := s[name]; !ok || math.Abs(got-w) > 1e-12 {
			t.Errorf("%s = %v, want %v", name, got, w)
		}
	}
	if len(s) != len(want) {
		t.Errorf("scores %v, want the names of %v", s, want)
	}
	if got := (&Transduction{}).Scores(); len(got) != 0 {
		t.Errorf("empty scores %v", got)
	}
}
