package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/gornn/gornn/models"
)

// tag tags each text's tokens (split on white space, taken as they are):
// a line of token/TAG pairs, or with asJSON a models.TagAnswer {"tokens",
// "tags", "probabilities" (softmax) or "score" (CRF), "spans"}. An empty
// text gives an empty line (or empty arrays).
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
		line, err := json.Marshal(model.Answer(p))
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "%s\n", line)
	}
	return nil
}
