package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/io/filesystem"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// A scorer answers for texts with a model of one kind: one JSON object per
// text, the object cmd/predict -json prints for it.
type scorer interface {
	// Score returns the answers for texts, in order.
	Score(texts []string) ([][]byte, error)
	// BatchSize is the number of texts best scored together.
	BatchSize() int
}

// scorers are the model kinds beamscore runs, by the format of their
// config.json (models.ReadFormat): each loads a scorer from a local model
// directory, with a batch size (0: the kind's default). A new kind adds
// one line here, as it does to cmd/predict's predictors.
var scorers = map[string]func(dir string, batch int) (scorer, error){
	models.FormatV1:        loadClassifier,
	models.TaggerFormatV1:  loadTagger,
	models.Seq2SeqFormatV1: loadSeq2Seq,
	models.LMFormatV1:      loadLanguageModel,
}

// defaultBatch is models.Options.PredictBatch's default, the batch of
// every kind when -batch is 0.
const defaultBatch = 64

// batchOr returns batch, or defaultBatch for 0.
func batchOr(batch int) int {
	if batch == 0 {
		return defaultBatch
	}
	return batch
}

// loadScorer loads the model directory dir with the scorer of its format.
func loadScorer(dir string, batch int) (scorer, error) {
	format, err := models.ReadFormat(dir)
	if err != nil {
		return nil, err
	}
	load, ok := scorers[format]
	if !ok {
		known := make([]string, 0, len(scorers))
		for f := range scorers {
			known = append(known, f)
		}
		sort.Strings(known)
		return nil, errors.Errorf("beamscore: %s holds a model of format %q, which beamscore does not know (want one of %s)", dir, format, strings.Join(known, ", "))
	}
	return load(dir, batch)
}

// classifierScorer labels texts with a models.Classifier.
type classifierScorer struct {
	model *models.Classifier
	batch int
}

func loadClassifier(dir string, batch int) (scorer, error) {
	model, err := models.Load(dir, models.Options{PredictBatch: batch})
	if err != nil {
		return nil, err
	}
	return &classifierScorer{model: model, batch: batchOr(batch)}, nil
}

func (c *classifierScorer) BatchSize() int { return c.batch }

// Score returns {"text", "label", "probabilities"} for each text, as
// cmd/predict -json writes it.
func (c *classifierScorer) Score(texts []string) ([][]byte, error) {
	preds, err := c.model.Predict(texts)
	if err != nil {
		return nil, err
	}
	labels := c.model.Config().Labels
	answers := make([][]byte, len(preds))
	for i, p := range preds {
		probs := make(map[string]float64, len(labels))
		for j, l := range labels {
			probs[l] = p.Probabilities[j]
		}
		if answers[i], err = json.Marshal(struct {
			Text          string             `json:"text"`
			Label         string             `json:"label"`
			Probabilities map[string]float64 `json:"probabilities"`
		}{texts[i], p.Label, probs}); err != nil {
			return nil, errors.Wrapf(err, "beamscore: text %d", i)
		}
	}
	return answers, nil
}

// taggerScorer tags the tokens of texts (split on white space) with a
// models.Tagger.
type taggerScorer struct {
	model *models.Tagger
	batch int
}

func loadTagger(dir string, batch int) (scorer, error) {
	model, err := models.LoadTagger(dir, models.Options{PredictBatch: batch})
	if err != nil {
		return nil, err
	}
	return &taggerScorer{model: model, batch: batchOr(batch)}, nil
}

func (t *taggerScorer) BatchSize() int { return t.batch }

// tagAnswer is one tagged text as cmd/predict -json prints it.
type tagAnswer struct {
	Tokens        []string     `json:"tokens"`
	Tags          []string     `json:"tags"`
	Probabilities []float64    `json:"probabilities,omitempty"` // a softmax tagger's
	Score         *float64     `json:"score,omitempty"`         // a CRF's Viterbi score
	Spans         []spanAnswer `json:"spans"`
}

// spanAnswer is a span of tokens [start, end) of a type.
type spanAnswer struct {
	Type  string `json:"type"`
	Start int    `json:"start"`
	End   int    `json:"end"`
	Text  string `json:"text"`
}

// Score returns {"tokens", "tags", "probabilities" or "score", "spans"}
// for each text, as cmd/predict -json writes it. Every text has a token
// (readFn sends empty ones to the dead letters).
func (t *taggerScorer) Score(texts []string) ([][]byte, error) {
	sentences := make([][]string, len(texts))
	for i, text := range texts {
		if sentences[i] = strings.Fields(text); len(sentences[i]) == 0 {
			return nil, errors.Errorf("beamscore: text %d has no tokens", i)
		}
	}
	preds, err := t.model.Predict(sentences)
	if err != nil {
		return nil, err
	}
	answers := make([][]byte, len(preds))
	for i, p := range preds {
		a := tagAnswer{Tokens: p.Tokens, Tags: p.Tags, Probabilities: p.Probabilities, Spans: []spanAnswer{}}
		if t.model.Config().CRF {
			a.Score = &p.Score
		}
		for _, s := range p.Spans {
			a.Spans = append(a.Spans, spanAnswer{Type: s.Type, Start: s.Start, End: s.End, Text: strings.Join(p.Tokens[s.Start:s.End], " ")})
		}
		if answers[i], err = json.Marshal(a); err != nil {
			return nil, errors.Wrapf(err, "beamscore: text %d", i)
		}
	}
	return answers, nil
}

// seq2seqScorer decodes texts greedily with a models.Seq2Seq, as
// cmd/predict does by default.
type seq2seqScorer struct {
	model *models.Seq2Seq
	batch int
}

func loadSeq2Seq(dir string, batch int) (scorer, error) {
	model, err := models.LoadSeq2Seq(dir, models.Options{PredictBatch: batch})
	if err != nil {
		return nil, err
	}
	return &seq2seqScorer{model: model, batch: batchOr(batch)}, nil
}

func (s *seq2seqScorer) BatchSize() int { return s.batch }

// unknownAnswer is a source token outside the source vocabulary.
type unknownAnswer struct {
	Position int    `json:"position"`
	Token    string `json:"token"`
}

// outputAnswer is one decoded output.
type outputAnswer struct {
	Text      string      `json:"text"`
	Tokens    []string    `json:"tokens"`
	Score     float64     `json:"score"`
	LogProb   float64     `json:"log_prob"`
	Attention [][]float64 `json:"attention"`
}

// Score returns {"text", "source", "unknown", "outputs"} for each text,
// as cmd/predict -json writes it with its default decoding (greedy).
func (s *seq2seqScorer) Score(texts []string) ([][]byte, error) {
	results, err := s.model.Translate(texts, decode.Beam{Width: 1, NBest: 1, MaxLenRatio: decode.DefaultMaxLenRatio})
	if err != nil {
		return nil, err
	}
	answers := make([][]byte, len(results))
	for i, r := range results {
		line := struct {
			Text    string          `json:"text"`
			Source  []string        `json:"source"`
			Unknown []unknownAnswer `json:"unknown"`
			Outputs []outputAnswer  `json:"outputs"`
		}{Text: texts[i], Source: r.Source, Unknown: []unknownAnswer{}}
		for _, p := range r.Unknown {
			line.Unknown = append(line.Unknown, unknownAnswer{p, r.Source[p]})
		}
		for _, o := range r.Outputs {
			line.Outputs = append(line.Outputs, outputAnswer{o.Text, o.Tokens, o.Score, o.LogProb, o.Attention})
		}
		if answers[i], err = marshalRaw(line); err != nil {
			return nil, errors.Wrapf(err, "beamscore: text %d", i)
		}
	}
	return answers, nil
}

// marshalRaw encodes v as JSON without escaping <, > and & (<unk> and
// <eos> as written), as cmd/predict writes sequence answers.
func marshalRaw(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// lmScorer scores texts with a models.LanguageModel: each token's
// log-probability and the text's perplexity.
type lmScorer struct {
	model *models.LanguageModel
	batch int
}

func loadLanguageModel(dir string, batch int) (scorer, error) {
	model, err := models.LoadLanguageModel(dir, models.LMOptions{PredictBatch: batch})
	if err != nil {
		return nil, err
	}
	return &lmScorer{model: model, batch: batchOr(batch)}, nil
}

func (l *lmScorer) BatchSize() int { return l.batch }

// tokenAnswer is one token of a language model's answer.
type tokenAnswer struct {
	Token   string  `json:"token"`
	LogProb float64 `json:"logprob"`
}

// Score returns {"text", "perplexity", "tokens": [{"token", "logprob"}],
// "unknown"} for each text, as cmd/predict -json writes it.
func (l *lmScorer) Score(texts []string) ([][]byte, error) {
	scores, err := l.model.Score(texts)
	if err != nil {
		return nil, err
	}
	answers := make([][]byte, len(scores))
	for i, s := range scores {
		tokens := make([]tokenAnswer, len(s.Tokens))
		for j, token := range s.Tokens {
			tokens[j] = tokenAnswer{token, s.LogProbs[j]}
		}
		if answers[i], err = marshalRaw(struct {
			Text       string        `json:"text"`
			Perplexity float64       `json:"perplexity"`
			Tokens     []tokenAnswer `json:"tokens"`
			Unknown    int           `json:"unknown"`
		}{texts[i], s.Perplexity, tokens, s.Unknown}); err != nil {
			return nil, errors.Wrapf(err, "beamscore: text %d", i)
		}
	}
	return answers, nil
}

// localModelDir returns dir when it is a local directory, or else a local
// copy of the files of dir, a path on another Beam filesystem (gs://...),
// and true.
func localModelDir(ctx context.Context, dir string) (string, bool, error) {
	if !strings.Contains(dir, "://") {
		return dir, false, nil
	}
	fs, err := filesystem.New(ctx, dir)
	if err != nil {
		return "", false, err
	}
	defer fs.Close()
	names, err := fs.List(ctx, strings.TrimSuffix(dir, "/")+"/*")
	if err != nil {
		return "", false, errors.Wrapf(err, "beamscore: listing %s", dir)
	}
	local, err := os.MkdirTemp("", "beamscore-model-")
	if err != nil {
		return "", false, err
	}
	for _, name := range names {
		data, err := filesystem.Read(ctx, fs, name)
		if err == nil {
			err = os.WriteFile(filepath.Join(local, filepath.Base(name)), data, 0o644)
		}
		if err != nil {
			os.RemoveAll(local)
			return "", false, errors.Wrapf(err, "beamscore: copying %s", name)
		}
	}
	return local, true, nil
}
