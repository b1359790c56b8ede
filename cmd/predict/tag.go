package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gornn/gornn/models"
)

// tagJSON is one tagged sentence as -json prints it.
type tagJSON struct {
	Tokens []string `json:"tokens"`
	Tags   []string `json:"tags"`
	// Probabilities are the softmax probabilities of the tags (a softmax
	// tagger), Score the Viterbi path's score (a CRF).
	Probabilities []float64  `json:"probabilities,omitempty"`
	Score         *float64   `json:"score,omitempty"`
	Spans         []spanJSON `json:"spans"`
}

// spanJSON is a span of tokens [start, end) of a type.
type spanJSON struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// tag tags each text's tokens (split on white space, taken as they are):
// a line of token/TAG pairs, or with asJSON {"tokens", "tags",
// "probabilities" (softmax) or "score" (CRF), "spans"}. An empty text
// gives an empty line (or empty arrays).
func tag(dir string, texts []string, asJSON bool, out io.Writer) error {
	model, err := models.LoadTagger(dir, models.Options{})
	if err != nil {
		return err
	}
	var sentences [][]string
	for _, text := range texts {
		if tokens := strings.Fields(text); len(tokens) > 0 {
			sentences = append(sentences, tokens)
		}
	}
	preds, err := model.Predict(sentences)
	if err != nil {
		return err
	}
	crf := model.Config().CRF
	for _, text := range texts {
		var p models.TagPrediction
		if len(strings.Fields(text)) > 0 {
			p, preds = preds[0], preds[1:]
		}
		if !asJSON {
			pairs := make([]string, len(p.Tokens))
			for i, token := range p.Tokens {
				pairs[i] = token + "/" + p.Tags[i]
			}
			fmt.Fprintln(out, strings.Join(pairs, " "))
			continue
		}
		answer := tagJSON{Tokens: p.Tokens, Tags: p.Tags, Probabilities: p.Probabilities, Spans: []spanJSON{}}
		if answer.Tokens == nil {
			answer.Tokens, answer.Tags = []string{}, []string{}
		}
		if crf && p.Tokens != nil {
			answer.Score = &p.Score
		}
		for _, s := range p.Spans {
			answer.Spans = append(answer.Spans, spanJSON{Type: s.Type, Start: s.Start, End: s.End, Text: strings.Join(p.Tokens[s.Start:s.End], " ")})
		}
		line, err := json.Marshal(answer)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n", line)
	}
	return nil
}
