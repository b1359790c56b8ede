package metrics

import (
	"fmt"
	"sort"
	"strings"

	"github.com/pkg/errors"
)

// F1 is the objective of taggers whose tags make spans: the highest
// micro-averaged span F1.
var F1 = Objective{Score: "f1", Maximize: true}

// Tagging accumulates a tagger's predictions, one tag per token: the
// token accuracy ("accuracy") and, when the tags make spans (Scheme is
// not NoScheme), the span precision, recall and F1 micro-averaged over
// the span types ("precision", "recall", "f1"), with conlleval's
// semantics: a predicted span is correct when a true span has the same
// type, start and end (see Spans). Details and Report give the same
// numbers per type, as conlleval prints them.
type Tagging struct {
	Names   []string       `json:"names"`  // tag names by id
	Scheme  Scheme         `json:"scheme"` // how the tags make spans
	Tokens  int            `json:"tokens"`
	Correct int            `json:"correct"`       // tokens tagged right
	Gold    map[string]int `json:"gold_spans"`    // true spans, by type
	Found   map[string]int `json:"found_spans"`   // predicted spans, by type
	Hit     map[string]int `json:"correct_spans"` // predicted spans that are true, by type
}

// NewTagging returns an empty accumulator over the tags names (by id)
// under scheme.
func NewTagging(names []string, scheme Scheme) *Tagging {
	return &Tagging{Names: append([]string(nil), names...), Scheme: scheme, Gold: map[string]int{}, Found: map[string]int{}, Hit: map[string]int{}}
}

// Add counts one sentence: its true tags and the predicted ones, ids of
// Names.
func (m *Tagging) Add(gold, predicted []int) error {
	if len(gold) != len(predicted) {
		return errors.Errorf("metrics: %d true tags, %d predicted", len(gold), len(predicted))
	}
	names := func(ids []int) ([]string, error) {
		out := make([]string, len(ids))
		for i, id := range ids {
			if id < 0 || id >= len(m.Names) {
				return nil, errors.Errorf("metrics: token %d: tag %d outside the %d tags", i, id, len(m.Names))
			}
			out[i] = m.Names[id]
		}
		return out, nil
	}
	goldTags, err := names(gold)
	if err != nil {
		return err
	}
	predTags, err := names(predicted)
	if err != nil {
		return err
	}
	for i, g := range gold {
		if g == predicted[i] {
			m.Correct++
		}
	}
	m.Tokens += len(gold)
	if m.Scheme == NoScheme {
		return nil
	}
	truth := map[Span]bool{}
	for _, s := range Spans(goldTags) {
		truth[s] = true
		m.Gold[s.Type]++
	}
	for _, s := range Spans(predTags) {
		m.Found[s.Type]++
		if truth[s] {
			m.Hit[s.Type]++
		}
	}
	return nil
}

// SpanScores are the span precision, recall and F1 of one type or of all
// (micro-averaged), as fractions, with the counts they come from; a ratio
// of zero over zero is 0.
type SpanScores struct {
	Precision float64 `json:"precision"`
	Recall    float64 `json:"recall"`
	F1        float64 `json:"f1"`
	Gold      int     `json:"gold"`    // true spans
	Found     int     `json:"found"`   // predicted spans
	Correct   int     `json:"correct"` // predicted spans that are true
}

func spanScores(hit, found, gold int) SpanScores {
	s := SpanScores{Precision: ratio(hit, found), Recall: ratio(hit, gold), Gold: gold, Found: found, Correct: hit}
	if s.Precision+s.Recall > 0 {
		s.F1 = 2 * s.Precision * s.Recall / (s.Precision + s.Recall)
	}
	return s
}

// Micro returns the span scores over every type.
func (m *Tagging) Micro() SpanScores {
	var hit, found, gold int
	for _, n := range m.Hit {
		hit += n
	}
	for _, n := range m.Found {
		found += n
	}
	for _, n := range m.Gold {
		gold += n
	}
	return spanScores(hit, found, gold)
}

// Types returns the span types seen, true or predicted, in byte order.
func (m *Tagging) Types() []string {
	seen := map[string]bool{}
	for t := range m.Gold {
		seen[t] = true
	}
	for t := range m.Found {
		seen[t] = true
	}
	types := make([]string, 0, len(seen))
	for t := range seen {
		types = append(types, t)
	}
	sort.Strings(types)
	return types
}

// Type returns the span scores of one type.
func (m *Tagging) Type(name string) SpanScores {
	return spanScores(m.Hit[name], m.Found[name], m.Gold[name])
}

// Scores returns the token accuracy and, with spans, the micro-averaged
// span precision, recall and F1.
func (m *Tagging) Scores() Scores {
	s := Scores{"accuracy": ratio(m.Correct, m.Tokens)}
	if m.Scheme != NoScheme {
		micro := m.Micro()
		s["precision"], s["recall"], s["f1"] = micro.Precision, micro.Recall, micro.F1
	}
	return s
}

// Details returns conlleval's report (Report) and, with spans, the span
// scores of each type and of all.
func (m *Tagging) Details() any {
	d := map[string]any{"report": m.Report()}
	if m.Scheme != NoScheme {
		types := map[string]SpanScores{}
		for _, t := range m.Types() {
			types[t] = m.Type(t)
		}
		d["types"], d["micro"] = types, m.Micro()
	}
	return d
}

// Report returns the scores as conlleval.pl prints them, percentages with
// two decimals, a line per span type with its predicted spans last:
//
//	processed 51362 tokens with 5942 phrases; found: 5943 phrases; correct: 5379.
//	accuracy:  97.87%; precision:  90.51%; recall:  90.52%; FB1:  90.52
//	              LOC: precision:  92.12%; recall:  93.47%; FB1:  92.79  1864
//
// Without spans it reports the tokens and the accuracy alone.
func (m *Tagging) Report() string {
	var b strings.Builder
	if m.Scheme == NoScheme {
		fmt.Fprintf(&b, "processed %d tokens; correct: %d.\naccuracy: %6.2f%%\n", m.Tokens, m.Correct, 100*ratio(m.Correct, m.Tokens))
		return b.String()
	}
	micro := m.Micro()
	fmt.Fprintf(&b, "processed %d tokens with %d phrases; found: %d phrases; correct: %d.\n", m.Tokens, micro.Gold, micro.Found, micro.Correct)
	fmt.Fprintf(&b, "accuracy: %6.2f%%; precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f\n",
		100*ratio(m.Correct, m.Tokens), 100*micro.Precision, 100*micro.Recall, 100*micro.F1)
	for _, t := range m.Types() {
		s := m.Type(t)
		fmt.Fprintf(&b, "%17s: precision: %6.2f%%; recall: %6.2f%%; FB1: %6.2f  %d\n", t, 100*s.Precision, 100*s.Recall, 100*s.F1, s.Found)
	}
	return b.String()
}
