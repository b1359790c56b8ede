package main

import (
	"bytes"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// tinyTaggers are tagger configs small enough for tests.
var tinyTaggers = []benchConfig{
	{name: "tagger", tagger: &models.TaggerConfig{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 8}, batch: 8},
	{name: "tagger_crf", tagger: &models.TaggerConfig{Cell: graph.GRU, EmbedDim: 8, HiddenSize: 8, CRF: true}, batch: 8},
}

// TestTagWorker runs the gornn worker in each mode on run directories of
// taggers over the built-in truecasing text, and checks that a tagger's
// plans keep their per-token tags.
func TestTagWorker(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	o := options{seed: 5, trainRows: datasets.Rows{From: 1, To: 60}, evalRows: datasets.Rows{From: 61, To: 80}, accuracy: true}
	var s setup
	data, err := prepareTagged(o, &s)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(s.Data, "built-in truecasing") || s.TrainExamples != 60 || s.EvalExamples != 20 || !strings.Contains(s.Tokens, "4 tags") {
		t.Errorf("setup %+v", s)
	}
	for _, c := range tinyTaggers {
		dir := t.TempDir()
		if err := (benchData{tagged: data}).writeRun(dir, c, o, 2); err != nil {
			t.Fatal(err)
		}
		plan, err := readPlan(filepath.Join(dir, trainPlan))
		if err != nil {
			t.Fatal(err)
		}
		b := plan[0][0]
		if b.Labels != nil || len(b.Targets) != b.Size*b.Steps || !slices.Contains(b.Targets, datasets.NoTarget) && slices.Min(b.Lengths) < b.Steps {
			t.Errorf("%s: planned batch %+v", c.name, b)
		}
		for _, mode := range []string{modeTrain, modeInfer, modeAccuracy} {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-worker", mode, "-dir", dir, "-threads", "2", "-steps", "2"}, &stdout, &stderr); code != exitOK {
				t.Fatalf("%s %s: exit status %d: %s", c.name, mode, code, stderr.String())
			}
			var res result
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("%v: %s", err, stdout.String())
			}
			switch mode {
			case modeTrain:
				if !(res.Loss > 0.5 && res.Loss < 2) { // four tags: about ln 4 at the start
					t.Errorf("%s: mean loss %v", c.name, res.Loss)
				}
			case modeInfer:
				if res.Correct <= 0 || res.Correct > res.Tokens {
					t.Errorf("%s: %d of %d tokens tagged right", c.name, res.Correct, res.Tokens)
				}
			case modeAccuracy:
				if len(res.EvalAcc) != 2 || res.EvalAcc[1] <= 0 || res.EvalAcc[1] > 1 {
					t.Errorf("%s: accuracy %v", c.name, res.EvalAcc)
				}
			}
		}
	}
	cfg := *tinyTaggers[1].tagger
	cfg.NumTags = 4
	// per token: 2 directions × 2·3·8·(8+8), and 2·16·4 in the linear layer
	if got, want := taggerFLOPs(cfg, modeInfer, 10), 10*(2*2*24*16.0+2*16*4); got != want {
		t.Errorf("taggerFLOPs = %v, want %v", got, want)
	}
	if got := taggerFLOPs(cfg, modeTrain, 10); got != 3*taggerFLOPs(cfg, modeInfer, 10) {
		t.Errorf("training FLOPs %v, want 3 times the forward ones", got)
	}
}

// TestTagTaskWithoutPyTorch runs the whole command for the taggers with
// an interpreter that does not exist.
func TestTagTaskWithoutPyTorch(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	var stdout, stderr bytes.Buffer
	args := []string{"-task", "tag", "-python", filepath.Join(t.TempDir(), "no-python"), "-configs", "tagger_crf", "-train-rows", "1:80",
		"-steps", "1", "-repeats", "1", "-threads", "1", "-wait-idle", "0"}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	checkContains(t, "the output", stdout.String(), "built-in truecasing text", "| tagger_crf | train | ", "| tagger_crf | infer | ", "BiLSTM-CRF h128, b32, e100, Viterbi decoding")
	if strings.Contains(stdout.String(), "Latency of one request") {
		t.Error("taggers have no latency mode, but the report has a latency table")
	}
	if code := run([]string{"-task", "parse"}, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), `-task "parse"`) {
		t.Errorf("unknown task: exit status %d, %s", code, stderr.String())
	}
}
