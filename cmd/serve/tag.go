package main

import (
	"net/http"
	"slices"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/models"
)

// tagger serves a tagger directory (gornn-tagger/1): its :predict tags
// the tokens of each instance, split on white space, as cmd/predict -json
// does.
type tagger struct {
	model   *models.Tagger
	batcher *batcher[int, []string, models.TagPrediction]
	answers map[string]method
}

// loadTagger loads a tagger directory and starts its batcher.
func loadTagger(dir string, setup modelSetup) (model, error) {
	b := setup.batching
	m, err := models.LoadTagger(dir, models.Options{
		PredictBatch:       graphRows(b.maxBatch), // a batch, fillers included, runs as one graph
		PredictConcurrency: b.workers,
		MaxGraphs:          maxGraphs,
	})
	if err != nil {
		return nil, err
	}
	t := &tagger{model: m}
	t.batcher = newBatcher(b.maxBatch, b.maxWait, b.workers, t.runBatch, setup.observeBatch)
	t.answers = map[string]method{"predict": t.predict}
	return t, nil
}

func (t *tagger) config() any { return t.model.Config() }

func (t *tagger) methods() map[string]method { return t.answers }

func (t *tagger) drain() { t.batcher.drain() }

func (t *tagger) close() { t.batcher.stop() }

// predict answers {"instances": ["text", ...]} with {"predictions":
// [models.TagAnswer, ...]}; a text without tokens gets empty lists.
func (t *tagger) predict(call *call) error {
	t.batcher.arrive()
	texts, err := call.decodeInstances()
	if err != nil {
		t.batcher.leave()
		return err
	}
	var keys []int
	var sentences [][]string
	var rows []int // the instance of each sentence
	for i, text := range texts {
		tokens := strings.Fields(text)
		if n := len(tokens); n > call.limits.maxTokens {
			t.batcher.leave()
			return errorf(http.StatusUnprocessableEntity, "instances[%d] has %d tokens, over the limit of %d", i, n, call.limits.maxTokens)
		}
		if len(tokens) > 0 {
			keys, sentences, rows = append(keys, t.model.LengthBucket(len(tokens))), append(sentences, tokens), append(rows, i)
		}
	}
	// Any batch gives a sentence its solo tags: batch by graph bucket.
	preds, err := t.batcher.submit(call.ctx, keys, sentences).wait()
	if err != nil {
		return err
	}
	tagged := make([]models.TagPrediction, len(texts))
	for j, p := range preds {
		tagged[rows[j]] = p
	}
	answer := predictResponse[models.TagAnswer]{Predictions: make([]models.TagAnswer, len(texts))}
	for i, p := range tagged {
		answer.Predictions[i] = t.model.Answer(p)
	}
	call.info.rows = len(texts)
	writeJSON(call.w, http.StatusOK, answer)
	return nil
}

// runBatch tags sentences of one length bucket, with filler sentences of
// one token rounding the batch up to graphRows rows.
func (t *tagger) runBatch(_ int, sentences [][]string) ([]models.TagPrediction, error) {
	n := len(sentences)
	all := slices.Grow(sentences[:n:n], graphRows(n)-n)
	for len(all) < graphRows(n) {
		all = append(all, []string{datasets.UnkToken})
	}
	preds, err := t.model.Predict(all)
	if err != nil {
		return nil, err
	}
	return preds[:n], nil
}
