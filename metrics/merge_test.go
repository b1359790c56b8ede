package metrics

import (
	"strings"
	"testing"
)

// TestMerge checks that merged accumulators score as one that saw all the
// data, and that kinds do not mix.
func TestMerge(t *testing.T) {
	names := []string{"a", "b"}
	whole, left, right := NewClasses(names), NewClasses(names), NewClasses(names)
	labels, predicted := []int{0, 1, 1, 0, 1}, []int{0, 1, 0, 0, 1}
	for _, c := range []struct {
		m        *Classes
		from, to int
	}{{whole, 0, 5}, {left, 0, 2}, {right, 2, 5}} {
		if err := c.m.Add(labels[c.from:c.to], predicted[c.from:c.to]); err != nil {
			t.Fatal(err)
		}
	}
	tokens := &Tokens{LossSum: 1.5, Tokens: 3, Correct: 2}
	for _, c := range []struct {
		name      string
		into      Merger
		other     Accumulator
		want      Scores
		wantError string
	}{
		{"classes", left, right, whole.Scores(), ""},
		{"tokens", &Tokens{LossSum: 0.5, Tokens: 1, Correct: 1}, tokens, (&Tokens{LossSum: 2, Tokens: 4, Correct: 3}).Scores(), ""},
		{"classes into tokens", &Tokens{}, left, nil, "merging a *metrics.Classes"},
		{"tokens into classes", NewClasses(names), tokens, nil, "merging a *metrics.Tokens"},
		{"per char into per token", &Tokens{}, &Tokens{PerChar: true}, nil, "per-character"},
		{"other classes", NewClasses([]string{"x", "y", "z"}), left, nil, "2-class"},
	} {
		err := c.into.Merge(c.other)
		switch {
		case c.wantError != "":
			if err == nil || !strings.Contains(err.Error(), c.wantError) {
				t.Errorf("%s: error %v, want one containing %q", c.name, err, c.wantError)
			}
		case err != nil:
			t.Errorf("%s: %v", c.name, err)
		default:
			for name, want := range c.want {
				if got := c.into.Scores()[name]; got != want {
					t.Errorf("%s: %s %v, want %v", c.name, name, got, want)
				}
			}
		}
	}
}
