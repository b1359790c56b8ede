package main

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/gornn/gornn/models"
)

// perplexity scores each text with a language model: its perplexity, or
// with asJSON a models.ScoreAnswer {"text", "perplexity", "tokens":
// [{"token", "logprob"}], "unknown"}, the natural log-probability of each
// token (the text's, then the end-of-text token) and the count of tokens
// outside the vocabulary.
func perplexity(dir string, texts []string, asJSON bool, out io.Writer) error {
	model, err := models.LoadLanguageModel(dir, models.LMOptions{})
	if err != nil {
		return err
	}
	scores, err := model.Score(texts)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // "<eos>" as it is
	for i, s := range scores {
		if !asJSON {
			fmt.Fprintf(out, "%.3f\t%s\n", s.Perplexity, texts[i])
			continue
		}
		if err := enc.Encode(s.Answer(texts[i])); err != nil {
			return err
		}
	}
	return nil
}
