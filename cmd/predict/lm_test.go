package main

import (
	"bytes"
	"encoding/json"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// lmDir saves an untrained character language model and returns its
// folder.
func lmDir(t *testing.T) string {
	t.Helper()
	corpus := datasets.CorpusOf(datasets.Builtin(30, 1))
	tok, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	vocab, err := datasets.BuildCorpusVocab(corpus, tok, []string{datasets.BOSToken, datasets.EOSToken}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewLanguageModel(models.LMConfig{Cell: graph.GRU, EmbedDim: 4, HiddenSize: 3, BOSToken: datasets.BOSToken}, vocab, models.LMOptions{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "lm")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPredictPerplexity(t *testing.T) {
	dir := lmDir(t)
	var stdout, stderr bytes.Buffer
	if code := run([]string{"-model", dir, "the movie", "good"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
	if len(lines) != 2 || !strings.HasSuffix(lines[0], "\tthe movie") {
		t.Errorf("output:\n%s", stdout.String())
	}
	stdout.Reset()
	if code := run([]string{"-model", dir, "-json"}, strings.NewReader("go\n"), &stdout, &stderr); code != 0 {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	var answer struct {
		Text       string  `json:"text"`
		Perplexity float64 `json:"perplexity"`
		Tokens     []struct {
			Token   string  `json:"token"`
			LogProb float64 `json:"logprob"`
		} `json:"tokens"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &answer); err != nil {
		t.Fatalf("%v: %s", err, stdout.String())
	}
	if answer.Text != "go" || len(answer.Tokens) != 3 || answer.Tokens[2].Token != "<eos>" {
		t.Fatalf("answer %+v", answer)
	}
	mean := 0.0
	for _, tok := range answer.Tokens {
		mean -= tok.LogProb / 3
	}
	if math.Abs(math.Exp(mean)-answer.Perplexity) > 1e-9*answer.Perplexity {
		t.Errorf("perplexity %v, but the log-probabilities give %v", answer.Perplexity, math.Exp(mean))
	}
}
