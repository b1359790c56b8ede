package models

import "strings"

// TagAnswer is a tagger's prediction for one sentence in the JSON form
// cmd/predict -json prints and cmd/serve answers:
//
//	{"tokens": ["Ann", "went"], "tags": ["B-PER", "O"], "score": 3.2,
//	 "spans": [{"type": "PER", "start": 0, "end": 1, "text": "Ann"}]}
type TagAnswer struct {
	Tokens []string `json:"tokens"`
	Tags   []string `json:"tags"`
	// Probabilities are the softmax probabilities of the tags (a softmax
	// tagger), Score the Viterbi path's score (a CRF).
	Probabilities []float64    `json:"probabilities,omitempty"`
	Score         *float64     `json:"score,omitempty"`
	Spans         []SpanAnswer `json:"spans"`
}

// SpanAnswer is a span of tokens [Start, End) of a type, with its text
// (the tokens joined by spaces).
type SpanAnswer struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Answer returns p, the tagger's prediction for a sentence, as a
// TagAnswer; the zero TagPrediction (a sentence without tokens) gives
// empty lists.
func (t *Tagger) Answer(p TagPrediction) TagAnswer {
	a := TagAnswer{Tokens: p.Tokens, Tags: p.Tags, Probabilities: p.Probabilities, Spans: []SpanAnswer{}}
	if a.Tokens == nil {
		a.Tokens, a.Tags = []string{}, []string{}
	}
	if t.cfg.CRF && p.Tokens != nil {
		a.Score = &p.Score
	}
	for _, s := range p.Spans {
		a.Spans = append(a.Spans, SpanAnswer{Type: s.Type, Start: s.Start, End: s.End, Text: strings.Join(p.Tokens[s.Start:s.End], " ")})
	}
	return a
}
