package models

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"gorgonia.org/tensor"
)

// charLM returns an untrained per-document character model over a small
// corpus's vocabulary.
func charLM(t testing.TB, cfg LMConfig, opts LMOptions) *LanguageModel {
	t.Helper()
	tok, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	corpus := &datasets.Corpus{Path: "test", Texts: []string{"stocks rise as markets rally", "team wins the cup final"}, Lines: []int{1, 2}}
	vocab, err := datasets.BuildCorpusVocab(corpus, tok, []string{datasets.BOSToken, datasets.EOSToken}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.EmbedDim == 0 {
		cfg.Cell, cfg.EmbedDim, cfg.HiddenSize, cfg.NumLayers = graph.LSTM, 8, 8, 2
	}
	cfg.BOSToken = datasets.BOSToken
	m, err := NewLanguageModel(cfg, vocab, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestStepwiseLogitsEqualFullPass feeds a text token by token through the
// generation graph, carrying the state, and compares each step's logits
// with those of one pass over the whole text.
func TestStepwiseLogitsEqualFullPass(t *testing.T) {
	for _, impl := range []graph.Impl{graph.Fused, graph.Composed} {
		for _, cell := range []graph.Cell{graph.LSTM, graph.GRU, graph.RNNTanh} {
			t.Run(impl.String()+"/"+cell.String(), func(t *testing.T) {
				m := charLM(t, LMConfig{Cell: cell, EmbedDim: 6, HiddenSize: 5, NumLayers: 2}, LMOptions{Seed: 3, Impl: impl})
				ids, _, err := m.encodePrompt("markets rise")
				if err != nil {
					t.Fatal(err)
				}
				ids = append([]int{m.start}, ids...)
				batch, err := datasets.PadBatch([][]int{ids}, 0)
				if err != nil {
					t.Fatal(err)
				}
				net, err := m.network(1, len(ids), graph.Predict, 0)
				if err != nil {
					t.Fatal(err)
				}
				if err := net.SetBatch(batch); err != nil {
					t.Fatal(err)
				}
				if err := net.Run(); err != nil {
					t.Fatal(err)
				}
				full, err := logitsOf(net.logitsNode)
				if err != nil {
					t.Fatal(err)
				}
				err = m.generation.with(func(slot *inferenceSlot) error {
					s, err := m.stepperOf(slot)
					if err != nil {
						return err
					}
					s.reset()
					for step, id := range ids {
						got, err := s.step(id)
						if err != nil {
							return err
						}
						want := full.row(step).float64s(nil)
						for i := range want {
							if math.Abs(got[i]-want[i]) > 1e-5 {
								return fmt.Errorf("step %d logit %d: stepwise %v, full pass %v", step, i, got[i], want[i])
							}
						}
					}
					return nil
				})
				if err != nil {
					t.Fatal(err)
				}
			})
		}
	}
}

func TestGenerate(t *testing.T) {
	m := charLM(t, LMConfig{}, LMOptions{Seed: 1})
	greedy, err := m.Generate("sto", GenerateOptions{MaxTokens: 20})
	if err != nil {
		t.Fatal(err)
	}
	text := func(opts GenerateOptions) string {
		t.Helper()
		g, err := m.Generate("sto", opts)
		if err != nil {
			t.Fatal(err)
		}
		return g.Text
	}
	cases := []struct {
		name string
		opts GenerateOptions
	}{
		{"temperature near 0", GenerateOptions{MaxTokens: 20, Sampling: Sampling{Temperature: 1e-6}, Seed: 5}},
		{"top-k 1", GenerateOptions{MaxTokens: 20, Sampling: Sampling{Temperature: 1, TopK: 1}, Seed: 6}},
		{"top-p tiny", GenerateOptions{MaxTokens: 20, Sampling: Sampling{Temperature: 1, TopP: 1e-9}, Seed: 7}},
	}
	for _, c := range cases {
		if got := text(c.opts); got != greedy.Text {
			t.Errorf("%s: %q, want greedy's %q", c.name, got, greedy.Text)
		}
	}
	sampled := GenerateOptions{MaxTokens: 40, Sampling: Sampling{Temperature: 1.5}, Seed: 11}
	if a, b := text(sampled), text(sampled); a != b {
		t.Errorf("same seed, different texts: %q and %q", a, b)
	}
	other := sampled
	other.Seed = 12
	if a, b := text(sampled), text(other); a == b {
		t.Errorf("seeds 11 and 12 both gave %q", a)
	}
}

// TestGenerateCostsOneStepPerToken checks that n tokens after a prompt of
// p tokens take p + n single steps: the start token and the prompt, then
// every generated token but the last.
func TestGenerateCostsOneStepPerToken(t *testing.T) {
	// One generation slot: every Generate runs on its stepper.
	m := charLM(t, LMConfig{}, LMOptions{PredictConcurrency: 1})
	var s *lmStepper
	err := m.generation.with(func(slot *inferenceSlot) (err error) {
		s, err = m.stepperOf(slot)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 7, 30} {
		before := s.steps
		g, err := m.Generate("team", GenerateOptions{MaxTokens: n, Sampling: Sampling{Temperature: 1}})
		if err != nil {
			t.Fatal(err)
		}
		if g.Stopped != "length" {
			continue // <eos> came first
		}
		if got, want := s.steps-before, 1+4+n-1; got != want {
			t.Errorf("%d tokens: %d steps, want %d", n, got, want)
		}
	}
}

// forceNext sets the decoder's bias so that token id dominates every
// step's distribution.
func forceNext(t *testing.T, m *LanguageModel, id int) {
	t.Helper()
	bias := make([]float64, m.cfg.VocabSize)
	bias[id] = 100
	if err := m.params.SetValues("decoder.bias", tensor.Shape{m.cfg.VocabSize}, bias); err != nil {
		t.Fatal(err)
	}
}

func TestGenerateStops(t *testing.T) {
	m := charLM(t, LMConfig{}, LMOptions{})
	forceNext(t, m, m.eos)
	g, err := m.Generate("", GenerateOptions{Sampling: Sampling{Temperature: 1}})
	if err != nil || g.Stopped != "eos" || g.Text != "" {
		t.Errorf("a model sure of <eos>: %+v, %v; want an empty text stopped at eos", g, err)
	}
	forceNext(t, m, m.vocab.ID("s"))
	var streamed []string
	g, err = m.Generate("", GenerateOptions{Stop: "sss", OnToken: func(tok GeneratedToken) error {
		streamed = append(streamed, tok.Text)
		return nil
	}})
	if err != nil || g.Stopped != "stop" || g.Text != "sss" || strings.Join(streamed, "") != "sss" || len(g.Tokens) != 3 {
		t.Errorf("stop string: %+v (streamed %q), %v", g, streamed, err)
	}
	if g.Tokens[0].LogProb > 0 || g.Tokens[0].LogProb < -1e-6 {
		t.Errorf("log-probability of a sure token: %v", g.Tokens[0].LogProb)
	}
	stop := os.ErrClosed
	g, err = m.Generate("", GenerateOptions{OnToken: func(GeneratedToken) error { return stop }})
	if err != stop || g.Text != "s" {
		t.Errorf("callback error: %+v, %v", g, err)
	}
}

func TestGenerateBadInput(t *testing.T) {
	m := charLM(t, LMConfig{}, LMOptions{})
	cases := []struct {
		name   string
		prompt string
		opts   GenerateOptions
		want   string
	}{
		{"only unknown characters", "日本語", GenerateOptions{}, "no char token in the vocabulary"},
		{"too many tokens", "", GenerateOptions{MaxTokens: MaxGenerateTokens + 1}, "want 1..100000"},
		{"negative temperature", "", GenerateOptions{Sampling: Sampling{Temperature: -1}}, "temperature"},
		{"NaN temperature", "", GenerateOptions{Sampling: Sampling{Temperature: math.NaN()}}, "temperature"},
		{"negative top-k", "", GenerateOptions{Sampling: Sampling{TopK: -1}}, "top-k"},
		{"top-p above 1", "", GenerateOptions{Sampling: Sampling{TopP: 1.5}}, "top-p"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := m.Generate(c.prompt, c.opts)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one containing %q", err, c.want)
			}
		})
	}
	g, err := m.Generate("stocks 日", GenerateOptions{MaxTokens: 1})
	if err != nil || g.PromptUnknown != 1 {
		t.Errorf("a partly unknown prompt: %+v, %v; want it read with 1 unknown token", g, err)
	}
}

// TestScoreMatchesLoss checks Score's log-probabilities against the
// training loss of the same documents and against Perplexity.
func TestScoreMatchesLoss(t *testing.T) {
	m := charLM(t, LMConfig{}, LMOptions{Seed: 4})
	texts := []string{"stocks rally", "the cup", ""}
	scores, err := m.Score(texts)
	if err != nil {
		t.Fatal(err)
	}
	corpus := &datasets.Corpus{Path: "t", Texts: texts, Lines: []int{1, 2, 3}}
	enc, err := datasets.EncodeDocuments(corpus, m.tokenizer, m.vocab)
	if err != nil {
		t.Fatal(err)
	}
	batcher, err := datasets.NewBatcher(enc, datasets.BatcherOptions{BatchSize: 3})
	if err != nil {
		t.Fatal(err)
	}
	it := batcher.Epoch(0)
	it.Next()
	b := it.Batch()
	net, err := m.Network(b, graph.Evaluate, 0)
	if err != nil {
		t.Fatal(err)
	}
	if err := net.SetBatch(b); err != nil {
		t.Fatal(err)
	}
	if err := net.Run(); err != nil {
		t.Fatal(err)
	}
	loss, count, err := net.Loss()
	if err != nil {
		t.Fatal(err)
	}
	sum, n := 0.0, 0
	for _, s := range scores {
		if len(s.LogProbs) != len(s.Tokens) || s.Tokens[len(s.Tokens)-1] != datasets.EOSToken {
			t.Errorf("tokens %q, %d log-probabilities", s.Tokens, len(s.LogProbs))
		}
		for _, lp := range s.LogProbs {
			sum -= lp
			n++
		}
	}
	if n != count || math.Abs(sum/float64(n)-loss) > 1e-5 {
		t.Errorf("Score: mean %v over %d tokens; the loss: %v over %d", sum/float64(n), n, loss, count)
	}
	ppl, err := m.Perplexity(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range scores {
		mean := 0.0
		for _, lp := range s.LogProbs {
			mean -= lp / float64(len(s.LogProbs))
		}
		if math.Abs(ppl[i]-math.Exp(mean)) > 1e-9*ppl[i] {
			t.Errorf("text %d: perplexity %v, want %v", i, ppl[i], math.Exp(mean))
		}
	}
	measured := m.NewMetrics().(*metrics.Tokens)
	if err := net.Measure(b, measured); err != nil {
		t.Fatal(err)
	}
	if measured.Tokens != count || measured.PerChar != true {
		t.Errorf("measured %+v, want %d tokens per char", measured, count)
	}
}

func TestLanguageModelSaveLoad(t *testing.T) {
	for _, tied := range []bool{false, true} {
		m := charLM(t, LMConfig{Cell: graph.GRU, EmbedDim: 6, HiddenSize: 6, NumLayers: 2, Tied: tied, Dropout: 0.2}, LMOptions{Seed: 8})
		dir := filepath.Join(t.TempDir(), "lm")
		if err := m.Save(dir); err != nil {
			t.Fatal(err)
		}
		loaded, err := LoadLanguageModel(dir, LMOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(loaded.Params().Names(), m.Params().Names()) || slices.Contains(m.Params().Names(), "decoder.weight") == tied {
			t.Errorf("tied %v: parameters %q", tied, loaded.Params().Names())
		}
		want, err := m.Perplexity([]string{"stocks"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := loaded.Perplexity([]string{"stocks"})
		if err != nil {
			t.Fatal(err)
		}
		if got[0] != want[0] {
			t.Errorf("tied %v: perplexity %v after loading, %v before", tied, got[0], want[0])
		}
		if _, err := Load(dir, Options{}); err == nil || !strings.Contains(err.Error(), `format "gornn-lm/1", not "gornn-classifier/1"`) {
			t.Errorf("loading a language model as a classifier: %v", err)
		}
	}
	classifier, err := New(testConfig(), testVocab(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "classifier")
	if err := classifier.Save(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadLanguageModel(dir, LMOptions{}); err == nil || !strings.Contains(err.Error(), `format "gornn-classifier/1", not "gornn-lm/1"`) {
		t.Errorf("loading a classifier as a language model: %v", err)
	}
}

func TestLMConfigValidate(t *testing.T) {
	good := LMConfig{Format: LMFormatV1, Cell: graph.LSTM, VocabSize: 10, EmbedDim: 4, HiddenSize: 4, NumLayers: 1, Tokenizer: "char", EOSToken: "<eos>"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name   string
		change func(*LMConfig)
		want   string
	}{
		{"tied sizes", func(c *LMConfig) { c.Tied, c.HiddenSize = true, 5 }, "tied weights need embed_dim == hidden_size"},
		{"dropout", func(c *LMConfig) { c.Dropout = 1 }, "dropout 1 not in [0, 1)"},
		{"no eos", func(c *LMConfig) { c.EOSToken = "" }, "eos_token"},
		{"pad as bos", func(c *LMConfig) { c.BOSToken = "<pad>" }, "cannot begin or end"},
		{"format", func(c *LMConfig) { c.Format = "gornn-classifier/1" }, "want \"gornn-lm/1\""},
		{"vocab", func(c *LMConfig) { c.VocabSize = 2 }, "vocab_size 2"},
		{"huge", func(c *LMConfig) { c.VocabSize, c.HiddenSize = MaxVocabSize, MaxHiddenSize }, "over the limit"},
		{"tokenizer", func(c *LMConfig) { c.Tokenizer = "bpe" }, "unknown tokenizer"},
	}
	for _, c := range cases {
		cfg := good
		c.change(&cfg)
		if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want one containing %q", c.name, err, c.want)
		}
	}
}

func TestCarriedStateRoundTrip(t *testing.T) {
	m := charLM(t, LMConfig{}, LMOptions{StreamColumns: 3})
	carry := m.carriedState(graph.Train)
	for i := range carry {
		carry[i] = float64(i) / 7
	}
	dir := t.TempDir()
	if err := m.SaveState(dir); err != nil {
		t.Fatal(err)
	}
	other := charLM(t, LMConfig{}, LMOptions{StreamColumns: 3})
	if err := other.LoadState(dir); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(other.carriedState(graph.Train), carry) {
		t.Error("the carried state changed on its way through a checkpoint")
	}
	wider := charLM(t, LMConfig{}, LMOptions{StreamColumns: 4})
	if err := wider.LoadState(dir); err == nil || !strings.Contains(err.Error(), "columns") {
		t.Errorf("loading 3 columns' state into 4: %v", err)
	}
}
