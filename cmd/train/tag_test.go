package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// conllSample writes a small IOB2 NER file in CoNLL-2003's layout
// (token, POS, chunk, NER) and returns its path.
func conllSample(t *testing.T, dir, name string, sentences int) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("-DOCSTART- -X- -X- O\n\n")
	people := []string{"Ann", "Bob", "Carla"}
	places := []string{"Paris", "Lima", "Oslo"}
	for i := range sentences {
		b.WriteString(people[i%3] + " NNP B-NP B-PER\n")
		if i%2 == 0 {
			b.WriteString("Smith NNP I-NP I-PER\n")
		}
		b.WriteString("visited VBD B-VP O\n")
		b.WriteString(places[i%3] + " NNP B-NP B-LOC\n. . O O\n\n")
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestTagTask trains taggers: on the built-in truecasing task, and on a
// CoNLL file with a CRF, character features and pretrained embeddings,
// and checks the run's report, metrics and model directory.
func TestTagTask(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	dir := t.TempDir()
	trainFile := conllSample(t, dir, "train.conll", 40)
	valFile := conllSample(t, dir, "val.conll", 10)
	vectors := filepath.Join(dir, "vectors.txt")
	if err := os.WriteFile(vectors, []byte("paris 1 0 0 0 0 0 0 0\nann 0 1 0 0 0 0 0 0\nnew 1 1 1 1 1 1 1 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"-task", "tag", "-embed", "8", "-hidden", "8", "-batch", "8", "-epochs", "2", "-quiet"}
	cases := []struct {
		name   string
		args   []string
		want   []string
		scheme string
	}{
		{"built-in truecasing", []string{"-builtin", "200"}, []string{"built-in truecasing text", "4 tags (Title UPPER lower mixed)", "scheme none", "accuracy:"}, "none"},
		{"conll with a CRF", []string{
			"-data", trainFile, "-val-data", valFile, "-format", "conll", "-token-col", "0", "-tag-col", "3", "-scheme", "iob2",
			"-crf", "-char-dim", "4", "-char-hidden", "3", "-lr", "0.02", "-embeddings", vectors, "-embeddings-add-words",
		}, []string{
			"40 training, 10 validation", "4 tags (B-LOC B-PER I-PER O)", "3 of them added from", "embeddings: 5 of 12 vocabulary tokens", "CRF (constrained to iob2)",
			"processed", "PER: precision:",
		}, "iob2"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "run")
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), append(append(append([]string{}, common...), tc.args...), "-out", out), &stdout, &stderr); code != exitOK {
				t.Fatalf("exit status %d:\n%s%s", code, stdout.String(), stderr.String())
			}
			for _, want := range tc.want {
				if !strings.Contains(stdout.String(), want) {
					t.Errorf("output does not mention %q:\n%s", want, stdout.String())
				}
			}
			log, err := train.ReadMetricsLog(filepath.Join(out, train.MetricsFile))
			if err != nil || len(log) != 2 {
				t.Fatalf("metrics log: %d epochs, %v", len(log), err)
			}
			if report, _ := log[1].ValDetails.(map[string]any)["report"].(string); !strings.HasPrefix(report, "processed ") {
				t.Errorf("metrics.jsonl has no conlleval report: %v", log[1].ValDetails)
			}
			tagger, err := models.LoadTagger(filepath.Join(out, train.BestDir), models.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tagger.Config().Scheme.String(); got != tc.scheme {
				t.Errorf("scheme %s, want %s", got, tc.scheme)
			}
			data, err := os.ReadFile(filepath.Join(out, argsFile))
			if err != nil {
				t.Fatal(err)
			}
			var recorded options
			if err := json.Unmarshal(data, &recorded); err != nil || recorded.Task != "tag" {
				t.Errorf("run.json: %v %+v", err, recorded)
			}
		})
	}
}

// TestTagTaskErrors checks the exit status and message of bad tagging
// runs: malformed CoNLL, options that do not fit the task.
func TestTagTaskErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.conll")
	if err := os.WriteFile(bad, []byte("a X O\nb O\n\nc X O\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	good := conllSample(t, dir, "good.conll", 10)
	vectors := filepath.Join(dir, "v.txt")
	if err := os.WriteFile(vectors, []byte("paris 1 2 3\nlima 4 5\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	wide := filepath.Join(dir, "wide.txt")
	if err := os.WriteFile(wide, []byte("paris 1 2 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out := func(name string) []string {
		return []string{"-out", filepath.Join(dir, name), "-quiet", "-epochs", "1"}
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"wrong column count", append([]string{"-task", "tag", "-data", bad}, out("a")...), exitFailure, "bad.conll:2: 2 columns, want 3 like line 1"},
		{"lenient", append([]string{"-task", "tag", "-data", bad, "-lenient", "-val-split", "0", "-embed", "4", "-hidden", "4"}, out("b")...), exitOK, "bad.conll:2: 2 columns"},
		{"unknown scheme", []string{"-task", "tag", "-scheme", "bilou2"}, exitUsage, `unknown tag scheme "bilou2"`},
		{"classify format", []string{"-task", "tag", "-format", "csv"}, exitUsage, "want auto, conll or jsonl"},
		{"same columns", []string{"-task", "tag", "-token-col", "2", "-tag-col", "2"}, exitUsage, "same column"},
		{"bidirectional", []string{"-task", "tag", "-bidirectional"}, exitUsage, "always bidirectional"},
		{"tags off the scheme", append([]string{"-task", "tag", "-data", good, "-scheme", "iob2", "-tag-col", "1", "-val-split", "0"}, out("c")...), exitFailure, `tag "." does not follow`},
		{"malformed vectors", append([]string{"-task", "tag", "-data", good, "-embeddings", vectors, "-embed", "3", "-val-split", "0"}, out("d")...), exitFailure, "v.txt:2: 2 values, want 3"},
		{"vectors of another size", append([]string{"-task", "tag", "-data", good, "-embeddings", wide, "-embed", "8", "-val-split", "0"}, out("e")...), exitUsage, "set -embed 3"},
		{"classify with vectors of another size", append([]string{"-builtin", "40", "-embeddings", wide, "-embed", "8"}, out("f")...), exitUsage, "set -embed 3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit status %d, want %d; output:\n%s%s", code, c.code, stdout.String(), stderr.String())
			}
			if !strings.Contains(stderr.String()+stdout.String(), c.want) {
				t.Errorf("output does not mention %q:\n%s%s", c.want, stdout.String(), stderr.String())
			}
		})
	}
}
