package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// modelDir saves an untrained two-label classifier and returns its folder.
func modelDir(t *testing.T) string {
	t.Helper()
	ds := datasets.Builtin(50, 1)
	tok, _ := datasets.NewTokenizer("basic_english")
	vocab, err := datasets.BuildVocab(ds, tok, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.New(models.Config{Cell: graph.GRU, EmbedDim: 4, HiddenSize: 3, Labels: ds.Classes}, vocab, models.Options{})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPredict(t *testing.T) {
	dir := modelDir(t)
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		check func(t *testing.T, stdout, stderr string)
	}{
		{"arguments", []string{"-model", dir, "the match was good", "the match was bad"}, "", 0, func(t *testing.T, out, _ string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2 || !strings.Contains(lines[0], "negative ") || !strings.HasSuffix(lines[1], "\tthe match was bad") {
				t.Errorf("output:\n%s", out)
			}
		}},
		{"stdin as JSON", []string{"-model", dir, "-json"}, "first line\nsecond line\n", 0, func(t *testing.T, out, _ string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2 {
				t.Fatalf("%d lines, want 2:\n%s", len(lines), out)
			}
			var answer struct {
				Text          string             `json:"text"`
				Label         string             `json:"label"`
				Probabilities map[string]float64 `json:"probabilities"`
			}
			if err := json.Unmarshal([]byte(lines[1]), &answer); err != nil {
				t.Fatal(err)
			}
			sum := answer.Probabilities["negative"] + answer.Probabilities["positive"]
			if answer.Text != "second line" || (answer.Label != "negative" && answer.Label != "positive") || sum < 0.999 || sum > 1.001 {
				t.Errorf("answer %+v", answer)
			}
		}},
		{"no model flag", []string{"text"}, "", 2, func(t *testing.T, _, errOut string) {
			if !strings.Contains(errOut, "-model is required") {
				t.Errorf("stderr:\n%s", errOut)
			}
		}},
		{"missing model", []string{"-model", filepath.Join(dir, "nope"), "text"}, "", 1, func(t *testing.T, _, errOut string) {
			if !strings.Contains(errOut, "config.json") {
				t.Errorf("stderr:\n%s", errOut)
			}
		}},
		{"unknown format", []string{"-model", otherFormat(t), "text"}, "", 1, func(t *testing.T, _, errOut string) {
			if !strings.Contains(errOut, `format "gornn-something/9", which predict does not know`) {
				t.Errorf("stderr %q", errOut)
			}
		}},
		{"unknown flag", []string{"-colour"}, "", 2, func(t *testing.T, _, errOut string) {
			if !strings.Contains(errOut, "-colour") {
				t.Errorf("stderr:\n%s", errOut)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run(c.args, strings.NewReader(c.stdin), &stdout, &stderr); code != c.code {
				t.Fatalf("exit status %d, want %d; stderr:\n%s", code, c.code, stderr.String())
			}
			c.check(t, stdout.String(), stderr.String())
		})
	}
}

// otherFormat returns a model directory whose config.json names a format
// predict does not know.
func otherFormat(t *testing.T) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(`{"format": "gornn-something/9"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}
