package metrics

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// TestSpans checks span extraction against conlleval's reading of each
// scheme, worked by hand: adjacent spans of one type, a span started by
// I- (broken IOB2, or IOB1), a type change inside a span, E- and S- in
// IOBES, and a span left open at the sentence's end.
func TestSpans(t *testing.T) {
	cases := []struct {
		name string
		tags string
		want string
	}{
		{"iob2", "B-PER I-PER O B-LOC", "[{PER 0 2} {LOC 3 4}]"},
		{"iob2 adjacent", "B-PER B-PER I-PER", "[{PER 0 1} {PER 1 3}]"},
		{"iob2 broken: I after O starts a span", "O I-PER I-PER O", "[{PER 1 3}]"},
		{"type change inside", "B-PER I-LOC", "[{PER 0 1} {LOC 1 2}]"},
		{"open at the end", "B-ORG I-ORG", "[{ORG 0 2}]"},
		{"iob1", "I-PER I-PER B-PER O", "[{PER 0 2} {PER 2 3}]"},
		{"iob1 types", "I-LOC I-PER", "[{LOC 0 1} {PER 1 2}]"},
		{"iobes singles", "S-PER S-PER", "[{PER 0 1} {PER 1 2}]"},
		{"iobes", "B-LOC I-LOC E-LOC O S-ORG", "[{LOC 0 3} {ORG 4 5}]"},
		{"iobes broken: no E", "B-LOC I-LOC O", "[{LOC 0 2}]"},
		{"iobes: E after E", "E-PER E-PER", "[{PER 0 1} {PER 1 2}]"},
		{"iobes: S after B", "B-PER S-PER", "[{PER 0 1} {PER 1 2}]"},
		{"iobes: I after E starts", "I-PER E-PER I-PER", "[{PER 0 2} {PER 2 3}]"},
		{"all O", "O O", "[]"},
		{"empty", "", "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := fmt.Sprint(Spans(strings.Fields(tc.tags))); got != tc.want {
				t.Errorf("Spans(%s) = %s, want %s", tc.tags, got, tc.want)
			}
		})
	}
}

// TestTaggingScores checks the scores against hand-worked conlleval
// results: nested, adjacent, broken and mistyped spans in each scheme.
// conlleval counts a span right when type, start and end agree, whatever
// its tags, and the accuracy over every token.
func TestTaggingScores(t *testing.T) {
	cases := []struct {
		name                  string
		scheme                Scheme
		gold, pred            string
		accuracy, p, r, f1    float64
		found, goldSpans, hit int
	}{
		{"iob2 adjacent merged", IOB2, "B-PER I-PER B-PER O", "B-PER I-PER I-PER O", 0.75, 0, 0, 0, 1, 2, 0},
		{"iob2 nested", IOB2, "B-ORG I-ORG I-ORG I-ORG", "B-ORG B-LOC I-LOC I-ORG", 0.5, 0, 0, 0, 3, 1, 0},
		{"iob2 mistyped", IOB2, "B-PER I-PER O B-LOC", "B-ORG I-ORG O B-LOC", 0.5, 0.5, 0.5, 0.5, 2, 2, 1},
		{"iob2 broken prediction still a span", IOB2, "B-PER I-PER O", "I-PER I-PER O", 2.0 / 3, 1, 1, 1, 1, 1, 1},
		{"iob1 adjacent", IOB1, "I-PER I-PER B-PER O I-LOC", "I-PER I-PER I-PER O I-LOC", 0.8, 0.5, 1.0 / 3, 0.4, 2, 3, 1},
		{"iob1 mistyped", IOB1, "I-LOC I-LOC O", "I-LOC I-PER O", 2.0 / 3, 0, 0, 0, 2, 1, 0},
		{"iobes singles", IOBES, "B-LOC E-LOC S-PER O", "B-LOC E-LOC S-PER S-PER", 0.75, 2.0 / 3, 1, 0.8, 3, 2, 2},
		{"iobes broken", IOBES, "B-LOC I-LOC E-LOC", "B-LOC I-LOC O", 2.0 / 3, 0, 0, 0, 1, 1, 0},
		{"iobes nested", IOBES, "B-ORG I-ORG I-ORG E-ORG", "B-ORG S-LOC I-ORG E-ORG", 0.75, 0, 0, 0, 3, 1, 0},
		{"no spans predicted", IOB2, "B-PER O", "O O", 0.5, 0, 0, 0, 0, 1, 0},
	}
	const tol = 1e-12
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			m, gold, pred := taggingOf(t, tc.scheme, tc.gold, tc.pred)
			if err := m.Add(gold, pred); err != nil {
				t.Fatal(err)
			}
			s := m.Scores()
			for _, c := range []struct {
				name      string
				got, want float64
			}{{"accuracy", s["accuracy"], tc.accuracy}, {"precision", s["precision"], tc.p}, {"recall", s["recall"], tc.r}, {"f1", s["f1"], tc.f1}} {
				if math.Abs(c.got-c.want) > tol {
					t.Errorf("%s = %v, want %v", c.name, c.got, c.want)
				}
			}
			if micro := m.Micro(); micro.Found != tc.found || micro.Gold != tc.goldSpans || micro.Correct != tc.hit {
				t.Errorf("spans found %d, gold %d, correct %d; want %d %d %d", micro.Found, micro.Gold, micro.Correct, tc.found, tc.goldSpans, tc.hit)
			}
		})
	}
}

// taggingOf returns an accumulator over the tags of gold and pred (space
// separated) and their ids.
func taggingOf(t *testing.T, scheme Scheme, goldTags, predTags string) (*Tagging, []int, []int) {
	t.Helper()
	ids := map[string]int{}
	var names []string
	toIDs := func(tags string) []int {
		var out []int
		for _, tag := range strings.Fields(tags) {
			if _, ok := ids[tag]; !ok {
				ids[tag] = len(names)
				names = append(names, tag)
			}
			out = append(out, ids[tag])
		}
		return out
	}
	gold, pred := toIDs(goldTags), toIDs(predTags)
	return NewTagging(names, scheme), gold, pred
}

// TestTaggingReport checks the conlleval report of several sentences, the
// details and the JSON round trip of the state.
func TestTaggingReport(t *testing.T) {
	names := []string{"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}
	m := NewTagging(names, IOB2)
	for _, s := range [][2][]int{
		{{1, 2, 0, 3}, {1, 2, 0, 3}}, // both right
		{{0, 3, 4, 0}, {0, 3, 0, 0}}, // LOC cut short
		{{1, 0, 0, 0}, {0, 0, 1, 0}}, // PER misplaced
	} {
		if err := m.Add(s[0], s[1]); err != nil {
			t.Fatal(err)
		}
	}
	want := `processed 12 tokens with 4 phrases; found: 4 phrases; correct: 2.
accuracy:  75.00%; precision:  50.00%; recall:  50.00%; FB1:  50.00
              LOC: precision:  50.00%; recall:  50.00%; FB1:  50.00  2
              PER: precision:  50.00%; recall:  50.00%; FB1:  50.00  2
`
	if got := m.Report(); got != want {
		t.Errorf("report:\n%s\nwant:\n%s", got, want)
	}
	data, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	again := NewTagging(nil, NoScheme)
	if err := json.Unmarshal(data, again); err != nil || again.Report() != want {
		t.Errorf("round trip: %v\n%s", err, again.Report())
	}
	d := m.Details().(map[string]any)
	if d["report"] != want || d["types"].(map[string]SpanScores)["PER"].Found != 2 {
		t.Errorf("details %v", d)
	}
	if err := m.Add([]int{0}, []int{0, 1}); err == nil {
		t.Error("sentences of different lengths were counted")
	}
	if err := m.Add([]int{9}, []int{0}); err == nil {
		t.Error("a tag outside the names was counted")
	}

	plain := NewTagging([]string{"lower", "Title"}, NoScheme)
	_ = plain.Add([]int{0, 1, 0}, []int{0, 0, 0})
	if s := plain.Scores(); len(s) != 1 || math.Abs(s["accuracy"]-2.0/3) > 1e-12 {
		t.Errorf("scores without spans %v", s)
	}
	if got := plain.Report(); got != "processed 3 tokens; correct: 2.\naccuracy:  66.67%\n" {
		t.Errorf("report without spans %q", got)
	}
}

// TestSchemeConstraints checks the allowed moves of each scheme.
func TestSchemeConstraints(t *testing.T) {
	tags := []string{"O", "B-PER", "I-PER", "B-LOC", "I-LOC"}
	c, err := IOB2.Constraints(tags)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.Start) != "[true true false true false]" || fmt.Sprint(c.End) != "[true true true true true]" {
		t.Errorf("iob2 start %v end %v", c.Start, c.End)
	}
	if !c.Allowed[1][2] || !c.Allowed[2][2] || c.Allowed[0][2] || c.Allowed[3][2] || c.Allowed[4][2] || !c.Allowed[2][3] {
		t.Errorf("iob2 allowed %v", c.Allowed)
	}
	c, err = IOB1.Constraints(tags)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.Start) != "[true false true false true]" || !c.Allowed[2][1] || c.Allowed[0][1] || c.Allowed[4][1] || !c.Allowed[0][2] {
		t.Errorf("iob1 start %v allowed %v", c.Start, c.Allowed)
	}
	es := []string{"O", "B-X", "I-X", "E-X", "S-X", "B-Y"}
	c, err = IOBES.Constraints(es)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(c.Start) != "[true true false false true true]" || fmt.Sprint(c.End) != "[true false false true true false]" {
		t.Errorf("iobes start %v end %v", c.Start, c.End)
	}
	if !c.Allowed[1][3] || c.Allowed[1][0] || c.Allowed[5][2] || !c.Allowed[3][4] || c.Allowed[3][2] || !c.Allowed[4][5] {
		t.Errorf("iobes allowed %v", c.Allowed)
	}
	c, _ = NoScheme.Constraints([]string{"a", "b"})
	if !c.Allowed[0][1] || !c.Start[1] || !c.End[0] {
		t.Error("no scheme forbids a move")
	}
	for _, tc := range []struct {
		scheme Scheme
		tags   []string
	}{{IOB2, []string{"O", "S-PER"}}, {IOB2, []string{"B-"}}, {IOBES, []string{"X-PER"}}, {IOB1, []string{"PER"}}, {IOB2, []string{"O-PER"}}} {
		if _, err := tc.scheme.Constraints(tc.tags); err == nil {
			t.Errorf("%v accepted %v", tc.scheme, tc.tags)
		}
	}
	for _, name := range []string{"none", "iob1", "iob2", "bio", "iobes", "bioes"} {
		if _, err := ParseScheme(name); err != nil {
			t.Error(err)
		}
	}
	if _, err := ParseScheme("bilou2"); err == nil {
		t.Error("unknown scheme parsed")
	}
}
