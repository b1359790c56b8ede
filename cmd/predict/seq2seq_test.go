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

// seq2seqDir saves an untrained letters-to-phonemes model with a source
// limit of 8 characters and returns its folder.
func seq2seqDir(t *testing.T) string {
	t.Helper()
	p := &datasets.Parallel{Path: "words", Pairs: []datasets.Pair{{Source: "cat", Target: "K AE T"}, {Source: "dog", Target: "D AO G", Group: 1}}}
	chars, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	phonemes, _ := datasets.NewTokenizer(datasets.WhitespaceTokenizer)
	src, tgt, err := datasets.BuildParallelVocabs(p, chars, phonemes, datasets.VocabOptions{}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := models.NewSeq2Seq(models.Seq2SeqConfig{Cell: graph.LSTM, EmbedDim: 4, EncoderHidden: 5, Bidirectional: true, InputFeeding: true, MaxSourceLen: 8}, src, tgt, models.Options{Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := m.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestPredictSeq2Seq(t *testing.T) {
	dir := seq2seqDir(t)
	cases := []struct {
		name  string
		args  []string
		stdin string
		code  int
		check func(t *testing.T, stdout, stderr string)
	}{
		{"greedy", []string{"-model", dir, "cat", "god"}, "", 0, func(t *testing.T, out, _ string) {
			lines := strings.Split(strings.TrimSpace(out), "\n")
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "cat\t") || strings.Count(lines[1], "\t") != 2 {
				t.Errorf("output:\n%s", out)
			}
		}},
		{"beam n-best", []string{"-model", dir, "-beam", "3", "-nbest", "2", "-alpha", "0.6", "cat"}, "", 0, func(t *testing.T, out, _ string) {
			if lines := strings.Split(strings.TrimSpace(out), "\n"); len(lines) != 2 {
				t.Errorf("%d lines, want 2:\n%s", len(lines), out)
			}
		}},
		{"json from stdin", []string{"-model", dir, "-json", "-beam", "2", "-nbest", "2"}, "cAt\n", 0, func(t *testing.T, out, _ string) {
			var answer struct {
				Text    string   `json:"text"`
				Source  []string `json:"source"`
				Unknown []struct {
					Position int    `json:"position"`
					Token    string `json:"token"`
				} `json:"unknown"`
				Outputs []struct {
					Text      string      `json:"text"`
					Tokens    []string    `json:"tokens"`
					Score     float64     `json:"score"`
					LogProb   float64     `json:"log_prob"`
					Attention [][]float64 `json:"attention"`
				} `json:"outputs"`
			}
			if err := json.Unmarshal([]byte(out), &answer); err != nil {
				t.Fatalf("%v:\n%s", err, out)
			}
			if answer.Text != "cAt" || len(answer.Source) != 3 || len(answer.Unknown) != 1 || answer.Unknown[0] != (struct {
				Position int    `json:"position"`
				Token    string `json:"token"`
			}{1, "A"}) {
				t.Errorf("source %q, unknown %+v", answer.Source, answer.Unknown)
			}
			if len(answer.Outputs) != 2 || answer.Outputs[0].Score < answer.Outputs[1].Score || answer.Outputs[0].LogProb >= 0 {
				t.Fatalf("outputs %+v", answer.Outputs)
			}
			o := answer.Outputs[0]
			if len(o.Attention) != len(o.Tokens)+1 || len(o.Attention[0]) != 3 {
				t.Errorf("attention of %d rows of %d, want %d of 3", len(o.Attention), len(o.Attention[0]), len(o.Tokens)+1)
			}
		}},
		{"beam 0", []string{"-model", dir, "-beam", "0", "cat"}, "", 2, func(t *testing.T, _, errs string) {
			if !strings.Contains(errs, "-beam 0") {
				t.Errorf("stderr: %s", errs)
			}
		}},
		{"n-best over the beam", []string{"-model", dir, "-beam", "2", "-nbest", "3", "cat"}, "", 2, func(t *testing.T, _, errs string) {
			if !strings.Contains(errs, "-nbest 3: want 1..2") {
				t.Errorf("stderr: %s", errs)
			}
		}},
		{"empty source", []string{"-model", dir, "cat", " "}, "", 1, func(t *testing.T, _, errs string) {
			if !strings.Contains(errs, "text 2: models: empty source") {
				t.Errorf("stderr: %s", errs)
			}
		}},
		{"source over the limit", []string{"-model", dir, "catalogue"}, "", 1, func(t *testing.T, _, errs string) {
			if !strings.Contains(errs, "source of 9 char tokens, over the model's limit of 8 (max_source_len)") {
				t.Errorf("stderr: %s", errs)
			}
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(c.args, strings.NewReader(c.stdin), &stdout, &stderr)
			if code != c.code {
				t.Fatalf("exit status %d, want %d; stderr: %s", code, c.code, stderr.String())
			}
			c.check(t, stdout.String(), stderr.String())
		})
	}
}
