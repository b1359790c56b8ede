package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// dirs saves an untrained character language model and a classifier and
// returns their folders.
func dirs(t *testing.T) (lm, classifier string) {
	t.Helper()
	ds := datasets.Builtin(40, 1)
	tok, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	vocab, err := datasets.BuildCorpusVocab(datasets.CorpusOf(ds), tok, []string{datasets.BOSToken, datasets.EOSToken}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewLanguageModel(models.LMConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, BOSToken: datasets.BOSToken}, vocab, models.LMOptions{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	lm = filepath.Join(t.TempDir(), "lm")
	if err := m.Save(lm); err != nil {
		t.Fatal(err)
	}
	c, err := models.New(models.Config{Cell: graph.GRU, EmbedDim: 4, HiddenSize: 3, Labels: ds.Classes}, vocab, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	classifier = filepath.Join(t.TempDir(), "classifier")
	if err := c.Save(classifier); err != nil {
		t.Fatal(err)
	}
	return lm, classifier
}

func TestGenerateCommand(t *testing.T) {
	lm, classifier := dirs(t)
	run := func(args ...string) (int, string, string) {
		var stdout, stderr bytes.Buffer
		code := run(args, &stdout, &stderr)
		return code, stdout.String(), stderr.String()
	}
	usage := []struct {
		name string
		args []string
		want string
	}{
		{"no model", nil, "-model is required"},
		{"negative temperature", []string{"-model", lm, "-temperature", "-0.5"}, "-temperature -0.5"},
		{"top-p zero", []string{"-model", lm, "-top-p", "0"}, "-top-p 0"},
		{"top-p above one", []string{"-model", lm, "-top-p", "1.5"}, "-top-p 1.5"},
		{"negative top-k", []string{"-model", lm, "-top-k", "-1"}, "-top-k -1"},
		{"n over the limit", []string{"-model", lm, "-n", "100001"}, "-n 100001: want 1..100000"},
		{"n zero", []string{"-model", lm, "-n", "0"}, "-n 0"},
		{"count zero", []string{"-model", lm, "-count", "0"}, "-count 0"},
		{"stray argument", []string{"-model", lm, "Stocks"}, "the prompt is -prompt"},
	}
	for _, c := range usage {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(c.args...)
			if code != exitUsage || !strings.Contains(stderr, c.want) {
				t.Errorf("exit status %d, want %d; stderr should mention %q:\n%s", code, exitUsage, c.want, stderr)
			}
		})
	}
	failures := []struct {
		name string
		args []string
		want string
	}{
		{"a classifier directory", []string{"-model", classifier}, `format "gornn-classifier/1", not a language model`},
		{"a prompt of unknown characters", []string{"-model", lm, "-prompt", "日本"}, "no char token in the vocabulary"},
		{"no directory", []string{"-model", filepath.Join(t.TempDir(), "none")}, "config.json"},
	}
	for _, c := range failures {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := run(c.args...)
			if code != exitFailure || !strings.Contains(stderr, c.want) {
				t.Errorf("exit status %d, want %d; stderr should mention %q:\n%s", code, exitFailure, c.want, stderr)
			}
		})
	}

	code, text, stderr := run("-model", lm, "-prompt", "the", "-n", "15", "-count", "2", "-seed", "9")
	lines := strings.Split(strings.TrimSuffix(text, "\n"), "\n")
	if code != exitOK || len(lines) != 2 || !strings.HasPrefix(lines[0], "the") {
		t.Fatalf("two samples: exit status %d, output %q, %s", code, text, stderr)
	}
	_, again, _ := run("-model", lm, "-prompt", "the", "-n", "15", "-seed", "10")
	if again != lines[1]+"\n" {
		t.Errorf("sample 2 of seed 9 is %q, seed 10 alone gives %q", lines[1], again)
	}
	_, warned, stderr := run("-model", lm, "-prompt", "the 日", "-n", "3", "-json", "-temperature", "0")
	var answer struct {
		Prompt, Text, Stopped string
		Tokens                []struct{ Token string }
	}
	if err := json.Unmarshal([]byte(warned), &answer); err != nil || answer.Prompt != "the 日" || len(answer.Tokens) > 3 {
		t.Errorf("-json: %v, %q", err, warned)
	}
	if !strings.Contains(stderr, "1 token(s) of the prompt are not in the vocabulary") {
		t.Errorf("no warning about the unknown prompt token: %q", stderr)
	}
}
