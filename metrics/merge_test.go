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
	tags := []string{"O", "B-PER", "I-PER", "B-LOC"}
	sentences := [][2][]int{{{1, 2, 0, 3}, {1, 2, 0, 0}}, {{3, 0, 1}, {3, 0, 1}}, {{0, 1, 2}, {1, 2, 2}}}
	wholeTags, leftTags, rightTags := NewTagging(tags, IOB2), NewTagging(tags, IOB2), &Tagging{Names: tags, Scheme: IOB2}
	for i, s := range sentences {
		part := leftTags
		if i > 0 {
			part = rightTags
		}
		for _, m := range []*Tagging{wholeTags, part} {
			if m == rightTags && m.Gold == nil { // as a state decoded from JSON null
				m.Gold, m.Found, m.Hit = map[string]int{}, map[string]int{}, map[string]int{}
			}
			if err := m.Add(s[0], s[1]); err != nil {
				t.Fatal(err)
			}
		}
	}
	leftDecoded, rightDecoded, wholeDecoded := &Transduction{}, &Transduction{}, &Transduction{}
	for _, m := range []*Transduction{leftDecoded, wholeDecoded} {
		m.AddDecoded([]int{1, 2}, []int{5, 6}, []int{5, 6})
		m.Tokens.Add(0.5, 2, 1)
	}
	for _, m := range []*Transduction{rightDecoded, wholeDecoded} {
		m.AddDecoded([]int{1, 2}, []int{5, 6}, []int{5, 7})
		m.AddDecoded([]int{3}, []int{8}, []int{9, 9})
		m.Tokens.Add(1.5, 3, 2)
	}
	for _, c := range []struct {
		name      string
		into      Merger
		other     Accumulator
		want      Scores
		wantError string
	}{
		{"classes", left, right, whole.Scores(), ""},
		{"tokens", &Tokens{LossSum: 0.5, Tokens: 1, Correct: 1}, tokens, (&Tokens{LossSum: 2, Tokens: 4, Correct: 3}).Scores(), ""},
		{"tagging", &Tagging{Names: tags, Scheme: IOB2}, leftTags, leftTags.Scores(), ""},
		{"tagging, two parts", leftTags, rightTags, wholeTags.Scores(), ""},
		{"transduction", leftDecoded, rightDecoded, wholeDecoded.Scores(), ""},
		{"other tags", NewTagging(tags[:2], IOB2), leftTags, nil, "merging tags"},
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
