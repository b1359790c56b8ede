package main

import (
	"net/http"
	"strings"

	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/models"
)

// Limits of a sequence-to-sequence request's decoding.
const (
	// maxBeam bounds "beam": each source decodes as this many rows.
	maxBeam = 16
	// maxLenRatio bounds "max_len_ratio": outputs of at most 10 tokens
	// per source token (a decoding runs to its longest output).
	maxLenRatio = 10
)

// translator serves a sequence-to-sequence directory (gornn-seq2seq/1):
// its :predict decodes each instance as cmd/predict -json does, with the
// request's decoding settings (cmd/predict's flags).
type translator struct {
	model   *models.Seq2Seq
	batcher *batcher[translateKey, string, models.Translation]
	answers map[string]method
}

// translateKey is what the sources of a batch share: their decoding and
// the length bucket of their graphs.
type translateKey struct {
	beam   decode.Beam
	bucket int
}

// loadSeq2Seq loads a sequence-to-sequence directory and starts its
// batcher.
func loadSeq2Seq(dir string, setup modelSetup) (model, error) {
	b := setup.batching
	m, err := models.LoadSeq2Seq(dir, models.Options{
		PredictBatch:       graphRows(b.maxBatch), // a batch, fillers included, is decoded as one
		PredictConcurrency: b.workers,
		MaxGraphs:          maxGraphs,
	})
	if err != nil {
		return nil, err
	}
	t := &translator{model: m}
	t.batcher = newBatcher(b.maxBatch, b.maxWait, b.workers, t.runBatch, setup.observeBatch)
	t.answers = map[string]method{"predict": t.predict}
	return t, nil
}

func (t *translator) config() any { return t.model.Config() }

func (t *translator) methods() map[string]method { return t.answers }

func (t *translator) drain() { t.batcher.drain() }

func (t *translator) close() { t.batcher.stop() }

// translateRequest is the body of :predict: the instances, and the
// decoding of cmd/predict's flags -beam, -nbest, -alpha and
// -max-len-ratio, with their defaults when left out.
type translateRequest struct {
	instanceList
	Beam        *int     `json:"beam"`
	NBest       *int     `json:"nbest"`
	Alpha       float64  `json:"alpha"`
	MaxLenRatio *float64 `json:"max_len_ratio"`
}

// beamSearch returns the request's decoding: 400 for a setting out of its
// range, 422 past the server's bounds (maxBeam, maxLenRatio).
func (r *translateRequest) beamSearch() (decode.Beam, error) {
	b := decode.Beam{Width: 1, NBest: 1, Alpha: r.Alpha, MaxLenRatio: decode.DefaultMaxLenRatio}
	if r.Beam != nil {
		b.Width = *r.Beam
	}
	if r.NBest != nil {
		b.NBest = *r.NBest
	}
	if r.MaxLenRatio != nil {
		b.MaxLenRatio = *r.MaxLenRatio
	}
	switch {
	case b.Width < 1 || b.NBest < 1:
		return b, errorf(http.StatusBadRequest, "beam %d and nbest %d must be at least 1 (beam 1 is greedy decoding)", b.Width, b.NBest)
	case !(b.MaxLenRatio > 0):
		return b, errorf(http.StatusBadRequest, "max_len_ratio %v must be positive", b.MaxLenRatio)
	case b.Width > maxBeam:
		return b, errorf(http.StatusUnprocessableEntity, "beam %d, over the limit of %d", b.Width, maxBeam)
	case b.MaxLenRatio > maxLenRatio:
		return b, errorf(http.StatusUnprocessableEntity, "max_len_ratio %v, over the limit of %d", b.MaxLenRatio, maxLenRatio)
	}
	if err := b.Validate(); err != nil {
		return b, errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "decode: "))
	}
	return b, nil
}

// predict answers {"instances": ["text", ...], "beam", "nbest", "alpha",
// "max_len_ratio"} with {"predictions": [models.TranslationAnswer, ...]}.
// A text the model cannot read (without tokens, or over its
// max_source_len or -max-tokens) is a 422.
func (t *translator) predict(call *call) error {
	t.batcher.arrive()
	texts, keys, err := t.read(call)
	if err != nil {
		t.batcher.leave()
		return err
	}
	// Any batch gives a source its solo outputs (a Fused model's, as
	// loaded): batch by decoding and graph bucket.
	translations, err := t.batcher.submit(call.ctx, keys, texts).wait()
	if err != nil {
		return err
	}
	answer := predictResponse[models.TranslationAnswer]{Predictions: make([]models.TranslationAnswer, len(texts))}
	for i, tr := range translations {
		answer.Predictions[i] = tr.Answer(texts[i])
	}
	call.info.rows = len(texts)
	writeJSON(call.w, http.StatusOK, answer)
	return nil
}

// read reads the request: its texts, each checked, and their batcher keys.
func (t *translator) read(call *call) ([]string, []translateKey, error) {
	var req translateRequest
	texts, err := call.decodeRequest(&req)
	if err != nil {
		return nil, nil, err
	}
	beam, err := req.beamSearch()
	if err != nil {
		return nil, nil, err
	}
	keys := make([]translateKey, len(texts))
	for i, text := range texts {
		_, tokens, _, err := t.model.ReadSource(text)
		switch {
		case err != nil:
			return nil, nil, errorf(http.StatusUnprocessableEntity, "instances[%d]: %s", i, strings.TrimPrefix(err.Error(), "models: "))
		case len(tokens) > call.limits.maxTokens:
			return nil, nil, errorf(http.StatusUnprocessableEntity, "instances[%d] has %d tokens, over the limit of %d", i, len(tokens), call.limits.maxTokens)
		}
		keys[i] = translateKey{beam: beam, bucket: t.model.LengthBucket(len(tokens))}
	}
	return texts, keys, nil
}

// runBatch decodes texts of one key, with copies of the first rounding
// the batch up to graphRows rows (which costs no steps: a decoding runs
// to its longest output).
func (t *translator) runBatch(key translateKey, texts []string) ([]models.Translation, error) {
	n := len(texts)
	all := append(texts[:n:n], make([]string, graphRows(n)-n)...)
	for i := n; i < len(all); i++ {
		all[i] = texts[0]
	}
	translations, err := t.model.Translate(all, key.beam)
	if err != nil {
		return nil, err
	}
	return translations[:n], nil
}
