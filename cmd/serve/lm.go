package main

import (
	"net/http"
	"strings"

	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// languageModel serves a language model directory (gornn-lm/1): its
// :predict scores each instance as cmd/predict -json does, its :generate
// continues a prompt as cmd/generate -json does, or streams the tokens as
// they are sampled.
type languageModel struct {
	model   *models.LanguageModel
	batcher *batcher[int, string, models.TextScore]
	// generating holds a token per generation running: at most -workers
	// at once, each on a stepper of the model's own; more wait (for as
	// long as their request may).
	generating  chan struct{}
	countTokens func(n int)
	answers     map[string]method
}

// loadLanguageModel loads a language model directory and starts its
// batcher.
func loadLanguageModel(dir string, setup modelSetup) (model, error) {
	b := setup.batching
	m, err := models.LoadLanguageModel(dir, models.LMOptions{
		PredictBatch:       graphRows(b.maxBatch), // a batch, fillers included, runs as one graph
		PredictConcurrency: b.workers,
		MaxGraphs:          maxGraphs,
	})
	if err != nil {
		return nil, err
	}
	l := &languageModel{model: m, generating: make(chan struct{}, b.workers), countTokens: setup.countTokens}
	l.batcher = newBatcher(b.maxBatch, b.maxWait, b.workers, l.runBatch, setup.observeBatch)
	l.answers = map[string]method{"predict": l.predict, "generate": l.generate}
	return l, nil
}

func (l *languageModel) config() any { return l.model.Config() }

func (l *languageModel) methods() map[string]method { return l.answers }

func (l *languageModel) drain() { l.batcher.drain() }

func (l *languageModel) close() { l.batcher.stop() }

// predict answers {"instances": ["text", ...]} with {"predictions":
// [models.ScoreAnswer, ...]}: each text's perplexity and the
// log-probability of each of its tokens.
func (l *languageModel) predict(call *call) error {
	l.batcher.arrive()
	texts, err := call.decodeInstances()
	if err != nil {
		l.batcher.leave()
		return err
	}
	keys := make([]int, len(texts))
	for i, text := range texts {
		n := len(l.model.Tokenizer().Tokenize(text))
		if n > call.limits.maxTokens {
			l.batcher.leave()
			return errorf(http.StatusUnprocessableEntity, "instances[%d] has %d tokens, over the limit of %d", i, n, call.limits.maxTokens)
		}
		// Any batch gives a text its solo scores: batch by the graph
		// bucket of its row, the start token and its tokens.
		keys[i] = l.model.LengthBucket(1 + n)
	}
	scores, err := l.batcher.submit(call.ctx, keys, texts).wait()
	if err != nil {
		return err
	}
	answer := predictResponse[models.ScoreAnswer]{Predictions: make([]models.ScoreAnswer, len(texts))}
	for i, s := range scores {
		answer.Predictions[i] = s.Answer(texts[i])
	}
	call.info.rows = len(texts)
	writeJSON(call.w, http.StatusOK, answer)
	return nil
}

// runBatch scores texts of one length bucket, with empty texts (a row of
// one token) rounding the batch up to graphRows rows.
func (l *languageModel) runBatch(_ int, texts []string) ([]models.TextScore, error) {
	n := len(texts)
	scores, err := l.model.Score(append(texts[:n:n], make([]string, graphRows(n)-n)...))
	if err != nil {
		return nil, err
	}
	return scores[:n], nil
}

// generateRequest is the body of :generate. Left out, a setting takes
// cmd/generate's default: max_tokens 100 (or -max-tokens when less),
// temperature 1, top_k 0 (all), top_p 1 (all), seed 1.
type generateRequest struct {
	Prompt      string   `json:"prompt"`
	MaxTokens   *int     `json:"max_tokens"`
	Temperature *float64 `json:"temperature"`
	TopK        int      `json:"top_k"`
	TopP        *float64 `json:"top_p"`
	Seed        *uint64  `json:"seed"`
	Stream      bool     `json:"stream"`
}

// options returns the request's generation settings: 400 for a setting
// out of its range, 422 past -max-tokens.
func (r *generateRequest) options(maxTokens int) (models.GenerateOptions, error) {
	opts := models.GenerateOptions{
		Sampling:  models.Sampling{Temperature: 1, TopK: r.TopK, TopP: 1},
		MaxTokens: min(models.DefaultGenerateTokens, maxTokens),
		Seed:      1,
	}
	if r.Temperature != nil {
		opts.Temperature = *r.Temperature
	}
	if r.TopP != nil {
		opts.TopP = *r.TopP
	}
	if r.Seed != nil {
		opts.Seed = *r.Seed
	}
	if r.MaxTokens != nil {
		opts.MaxTokens = *r.MaxTokens
	}
	switch {
	case opts.MaxTokens < 1:
		return opts, errorf(http.StatusBadRequest, "max_tokens %d: want at least 1", opts.MaxTokens)
	case opts.MaxTokens > maxTokens:
		return opts, errorf(http.StatusUnprocessableEntity, "max_tokens %d, over the limit of %d", opts.MaxTokens, maxTokens)
	}
	if err := opts.Sampling.Validate(); err != nil {
		return opts, errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "models: "))
	}
	return opts, nil
}

// tokenEvent is the data of a streamed generation's "token" event: the
// token, what it adds to the text, and its log-probability.
type tokenEvent struct {
	Token   string  `json:"token"`
	Text    string  `json:"text"`
	LogProb float64 `json:"logprob"`
}

// generate answers {"prompt", "max_tokens", "temperature", "top_k",
// "top_p", "seed", "stream"} with a models.GenerationAnswer. With
// "stream": true the answer is Server-Sent Events: a "token" event
// (tokenEvent) as each token is sampled, then "done" with the
// GenerationAnswer, the same as without streaming; or "error" with
// {"error": "..."} if generation fails once started (a timeout). A client
// that goes away stops the generation.
func (l *languageModel) generate(call *call) error {
	var req generateRequest
	if err := call.decodeJSON(&req); err != nil {
		return err
	}
	opts, err := req.options(call.limits.maxTokens)
	if err != nil {
		return err
	}
	if n := len(l.model.Tokenizer().Tokenize(req.Prompt)); n > call.limits.maxTokens {
		return errorf(http.StatusUnprocessableEntity, "the prompt has %d tokens, over the limit of %d", n, call.limits.maxTokens)
	}
	var st *stream
	if req.Stream {
		if st, err = call.reserveStream(); err != nil {
			return err
		}
		defer st.close()
	}
	select {
	case l.generating <- struct{}{}:
		defer func() { <-l.generating }()
	case <-call.ctx.Done():
		return call.ctx.Err()
	}
	opts.OnToken = func(t models.GeneratedToken) error {
		l.countTokens(1)
		if st != nil {
			return st.send("token", tokenEvent{t.Token, t.Text, t.LogProb})
		}
		return call.ctx.Err()
	}
	call.info.rows = 1
	gen, err := l.model.Generate(req.Prompt, opts)
	var prompt *models.PromptError
	switch {
	case errors.As(err, &prompt):
		return errorf(http.StatusUnprocessableEntity, "%s", strings.TrimPrefix(err.Error(), "models: "))
	case err != nil && st != nil:
		return st.fail(err)
	case err != nil:
		return err
	}
	answer := gen.Answer(req.Prompt, opts.Seed)
	if st != nil {
		if err := st.send("done", answer); err != nil {
			return st.fail(err)
		}
		return nil
	}
	writeJSON(call.w, http.StatusOK, answer)
	return nil
}
