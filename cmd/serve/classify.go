package main

import (
	"net/http"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/models"
)

// classifier serves a classifier directory (gornn-classifier/1): its
// :predict labels each instance as cmd/predict -json does.
type classifier struct {
	model   *models.Classifier
	batcher *batcher[int, []int, models.Prediction]
	answers map[string]method
}

// maxGraphs bounds the compiled graphs each batch worker of a classifier
// keeps: one per batch size (graphRows) and length bucket.
const maxGraphs = 256

// loadClassifier loads a classifier directory and starts its batcher.
func loadClassifier(dir string, setup modelSetup) (model, error) {
	b := setup.batching
	m, err := models.Load(dir, models.Options{
		// A batch, fillers included, runs as one graph.
		PredictBatch:       graphRows(b.maxBatch + 1),
		PredictConcurrency: b.workers,
		MaxGraphs:          maxGraphs,
	})
	if err != nil {
		return nil, err
	}
	c := &classifier{model: m}
	c.batcher = newBatcher(b.maxBatch, b.maxWait, b.workers, c.runBatch, setup.observeBatch)
	c.answers = map[string]method{"predict": c.predict}
	return c, nil
}

func (c *classifier) config() any { return c.model.Config() }

func (c *classifier) methods() map[string]method { return c.answers }

func (c *classifier) drain() { c.batcher.drain() }

func (c *classifier) close() { c.batcher.stop() }

// predict answers {"instances": ["text", ...]} with {"predictions":
// [models.Answer, ...]}.
func (c *classifier) predict(call *call) error {
	c.batcher.arrive()
	texts, keys, rows, err := c.encode(call)
	if err != nil {
		c.batcher.leave()
		return err
	}
	preds, err := c.batcher.submit(call.ctx, keys, rows).wait()
	if err != nil {
		return err
	}
	answer := predictResponse[models.Answer]{Predictions: make([]models.Answer, len(texts))}
	for i, p := range preds {
		answer.Predictions[i] = c.model.Answer(texts[i], p)
	}
	call.info.rows = len(texts)
	writeJSON(call.w, http.StatusOK, answer)
	return nil
}

// encode reads the request's texts and returns them, their token ids as
// the classifier reads them, and the batcher key of each: the padded
// length it must run at (see runBatch).
func (c *classifier) encode(call *call) (texts []string, keys []int, rows [][]int, err error) {
	if texts, err = call.decodeInstances(); err != nil {
		return nil, nil, nil, err
	}
	rows = make([][]int, len(texts))
	for i, text := range texts {
		rows[i] = c.model.Encode(text)
		if n := len(rows[i]); n > call.limits.maxTokens {
			return nil, nil, nil, errorf(http.StatusUnprocessableEntity, "instances[%d] has %d tokens, over the limit of %d", i, n, call.limits.maxTokens)
		}
	}
	keys = make([]int, len(rows))
	if c.model.RowsIndependent() {
		// Any batch gives a text its solo result: batch by graph bucket.
		for i, ids := range rows {
			keys[i] = c.model.LengthBucket(len(ids))
		}
		return texts, keys, rows, nil
	}
	// A padded model's result depends on the batch's padded length: alone,
	// Predict pads each run of DefaultPredictBatch texts to its longest,
	// so each text runs at that length here too.
	for from := 0; from < len(rows); from += models.DefaultPredictBatch {
		to := min(from+models.DefaultPredictBatch, len(rows))
		longest := 0
		for _, ids := range rows[from:to] {
			longest = max(longest, len(ids))
		}
		for i := from; i < to; i++ {
			keys[i] = longest
		}
	}
	return texts, keys, rows, nil
}

// runBatch predicts rows of key key. Filler rows round the batch up to
// graphRows rows; for a padded model, whose rows run at the batch's padded
// length, key, a filler of key tokens makes sure some row is that long.
func (c *classifier) runBatch(key int, rows [][]int) ([]models.Prediction, error) {
	filler, extra := []int{datasets.UnkID}, 0
	if !c.model.RowsIndependent() {
		filler = slices.Repeat(filler, key)
		if !slices.ContainsFunc(rows, func(ids []int) bool { return len(ids) == key }) {
			extra = 1
		}
	}
	n := len(rows)
	all := slices.Grow(rows[:n:n], graphRows(n+extra)-n)
	for len(all) < graphRows(n+extra) {
		all = append(all, filler)
	}
	preds, err := c.model.PredictIDs(all)
	if err != nil {
		return nil, err
	}
	return preds[:n], nil
}
