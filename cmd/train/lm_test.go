package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// TestLMExitCodes checks the exit status and message of bad -task lm
// command lines and corpora.
func TestLMExitCodes(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty.txt")
	short := filepath.Join(dir, "short.txt")
	for path, content := range map[string]string{empty: "\n\n", short: "tiny\n"} {
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out := func(name string) []string { return []string{"-quiet", "-out", filepath.Join(dir, name)} }
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"unknown level", []string{"-task", "lm", "-level", "byte"}, exitUsage, `-level "byte": want char or word`},
		{"zero bptt", []string{"-task", "lm", "-bptt", "0"}, exitUsage, "-bptt 0"},
		{"tied sizes", []string{"-task", "lm", "-tie", "-embed", "8", "-hidden", "6"}, exitUsage, "tied weights need embed_dim == hidden_size"},
		{"classifier format", []string{"-task", "lm", "-format", "dir"}, exitUsage, "-task lm reads auto, text, jsonl or agnews"},
		{"bidirectional", []string{"-task", "lm", "-bidirectional"}, exitUsage, "reads left to right"},
		{"empty corpus", append([]string{"-task", "lm", "-data", empty}, out("e")...), exitFailure, "empty corpus"},
		{"corpus shorter than a window", append([]string{"-task", "lm", "-data", short, "-stream", "-val-split", "0", "-batch", "4", "-bptt", "10"}, out("s")...), exitFailure, "shorter than one window"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			if code != c.code || !strings.Contains(stderr.String()+stdout.String(), c.want) {
				t.Errorf("exit status %d, want %d; output should mention %q:\n%s%s", code, c.code, c.want, stdout.String(), stderr.String())
			}
		})
	}
}

// TestLMTrainResume trains character language models on the built-in
// sentences, per document and as a stream; the stream run is
// interrupted before its first batch and resumed.
func TestLMTrainResume(t *testing.T) {
	common := []string{"-task", "lm", "-builtin", "120", "-epochs", "1", "-embed", "8", "-hidden", "8", "-quiet"}
	out := filepath.Join(t.TempDir(), "docs")
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), append(common, "-tie", "-out", out), &stdout, &stderr); code != exitOK {
		t.Fatalf("per-document run: exit status %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "one row per document") {
		t.Errorf("output:\n%s", stdout.String())
	}
	if format, err := models.ReadFormat(filepath.Join(out, train.BestDir)); err != nil || format != models.LMFormatV1 {
		t.Errorf("best model: format %q, %v", format, err)
	}

	out = filepath.Join(t.TempDir(), "stream")
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	args := append(common, "-stream", "-batch", "4", "-bptt", "8", "-layers", "2", "-dropout", "0.1", "-out", out)
	if code := run(ctx, args, &stdout, &stderr); code != exitInterrupted {
		t.Fatalf("interrupted stream run: exit status %d\n%s", code, stderr.String())
	}
	stdout.Reset()
	if code := run(context.Background(), []string{"-resume", out, "-quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("resumed stream run: exit status %d\n%s", code, stderr.String())
	}
	if !strings.Contains(stdout.String(), "a stream of 4 columns, bptt 8") {
		t.Errorf("resumed output:\n%s", stdout.String())
	}
	if _, err := os.Stat(filepath.Join(out, train.LastDir, models.CarriedStateFile)); err != nil {
		t.Errorf("the last checkpoint of a stream run lacks its carried state: %v", err)
	}
}
