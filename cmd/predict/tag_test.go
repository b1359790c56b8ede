package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
)

// taggerDir saves an untrained IOB2 tagger, with a CRF or a softmax, and
// returns its folder.
func taggerDir(t *testing.T, crf bool) string {
	t.Helper()
	vocab, err := datasets.VocabFromTokens([][]string{{"Ann", "went", "to", "Paris"}}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := datasets.NewTagSet([]string{"B-LOC", "B-PER", "I-PER", "O"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := models.TaggerConfig{Cell: graph.LSTM, EmbedDim: 4, HiddenSize: 3, CRF: crf, Scheme: metrics.IOB2, Constrained: crf}
	m, err := models.NewTagger(cfg, vocab, tags, nil, models.Options{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "tagger")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPredictTagger(t *testing.T) {
	for _, crf := range []bool{false, true} {
		dir := taggerDir(t, crf)
		var stdout, stderr bytes.Buffer
		if code := run([]string{"-model", dir, "Ann went to Paris", "", "x"}, strings.NewReader(""), &stdout, &stderr); code != 0 {
			t.Fatalf("exit status %d: %s", code, stderr.String())
		}
		lines := strings.Split(stdout.String(), "\n")
		if len(lines) != 4 || !strings.HasPrefix(lines[0], "Ann/") || strings.Count(lines[0], "/") != 4 || lines[1] != "" || !strings.HasPrefix(lines[2], "x/") {
			t.Errorf("crf=%v: output %q", crf, stdout.String())
		}
		stdout.Reset()
		if code := run([]string{"-model", dir, "-json"}, strings.NewReader("Ann went to Paris\n\n"), &stdout, &stderr); code != 0 {
			t.Fatalf("exit status %d: %s", code, stderr.String())
		}
		lines = strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if len(lines) != 2 {
			t.Fatalf("%d lines:\n%s", len(lines), stdout.String())
		}
		var answer models.TagAnswer
		if err := json.Unmarshal([]byte(lines[0]), &answer); err != nil {
			t.Fatal(err)
		}
		if len(answer.Tags) != 4 || crf != (answer.Score != nil) || crf == (len(answer.Probabilities) == 4) || answer.Spans == nil {
			t.Errorf("crf=%v: answer %s", crf, lines[0])
		}
		for _, s := range answer.Spans {
			if s.Start < 0 || s.End > 4 || s.Text == "" {
				t.Errorf("span %+v", s)
			}
		}
		if lines[1] != `{"tokens":[],"tags":[],"spans":[]}` {
			t.Errorf("empty line: %s", lines[1])
		}
	}
}
