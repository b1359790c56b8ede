package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// tinyLMs are a per-document and a stream language model small enough for
// tests.
var tinyLMs = []lmBenchConfig{
	{"tiny-char", models.LMConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 6, Tokenizer: datasets.CharTokenizer, BOSToken: datasets.BOSToken}, "title",
		lmRun{Batch: 8, Optimizer: "adam", LR: learningRate}},
	{"tiny-word", models.LMConfig{Cell: graph.GRU, EmbedDim: 6, HiddenSize: 6, NumLayers: 2, Dropout: 0.2, Tied: true, Tokenizer: datasets.BasicEnglishTokenizer}, "description",
		lmRun{Stream: true, Batch: 4, BPTT: 5, Optimizer: "sgd", LR: 5, Clip: 0.25, Plateau: true}},
}

// tinyLMOptions reads the built-in sentences: AG News is made absent.
func tinyLMOptions(t *testing.T) options {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	return options{trainRows: datasets.Rows{From: 1, To: 60}, evalRows: datasets.Rows{From: 61, To: 80}, seed: 3}
}

func TestLMPlanRoundTrip(t *testing.T) {
	o := tinyLMOptions(t)
	for _, c := range tinyLMs {
		d, err := prepareLM(o, c)
		if err != nil {
			t.Fatal(err)
		}
		plan, err := makePlan(d.train, datasets.BatcherOptions{BatchSize: c.Batch, Shuffle: !c.Stream, Seed: 2}, 2)
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(t.TempDir(), "lm.plan")
		if err := writeLMPlan(path, plan); err != nil {
			t.Fatal(err)
		}
		got, err := readLMPlan(path)
		if err != nil {
			t.Fatal(err)
		}
		for e := range plan {
			for i, b := range plan[e] {
				g := got[e][i]
				if !reflect.DeepEqual(g.IDs, b.IDs) || !reflect.DeepEqual(g.Lengths, b.Lengths) || !reflect.DeepEqual(g.Targets, b.Targets) {
					t.Fatalf("%s: epoch %d batch %d changed on its way through a plan", c.name, e, i)
				}
				if c.Stream && !reflect.DeepEqual(g.Index, b.Index) { // in order: the positions are the stream's
					t.Fatalf("%s: batch %d positions %v, want %v", c.name, i, g.Index, b.Index)
				}
			}
		}
	}
	if _, err := decodeLMPlan(strings.NewReader("GRNNPLAN")); err == nil {
		t.Error("a classifier's plan read as a language model's")
	}
}

// TestLMWorker runs the gornn worker's language-model modes on run
// directories of the built-in sentences.
func TestLMWorker(t *testing.T) {
	o := tinyLMOptions(t)
	for _, c := range tinyLMs {
		d, err := prepareLM(o, c)
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()
		if err := writeLMRun(dir, c, d, options{seed: 5, steps: 2}, 2); err != nil {
			t.Fatal(err)
		}
		for _, mode := range []string{modeLMTrain, modeLMGenerate, modeLMPerplexity} {
			t.Run(c.name+"/"+mode, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				if code := run([]string{"-worker", mode, "-dir", dir, "-threads", "2", "-steps", "2"}, &stdout, &stderr); code != exitOK {
					t.Fatalf("exit status %d: %s", code, stderr.String())
				}
				var res result
				if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
					t.Fatalf("%v: %s", err, stdout.String())
				}
				switch mode {
				case modeLMTrain:
					if res.Steps != 2 || !(res.Loss > 0) || res.Tokens <= 0 {
						t.Errorf("train: %+v", res)
					}
				case modeLMGenerate:
					if res.Tokens < 2*generateChunk || res.Seconds <= 0 {
						t.Errorf("generate: %+v, want at least %d tokens", res, 2*generateChunk)
					}
				case modeLMPerplexity:
					if len(res.EvalPPL) != 2 || !(res.EvalPPL[1] > 1) || math.IsInf(res.EvalPPL[1], 0) {
						t.Errorf("perplexity after each of 2 epochs: %v", res.EvalPPL)
					}
				}
			})
		}
	}
}

func TestParseLM(t *testing.T) {
	o, err := parse([]string{"-lm"}, &bytes.Buffer{})
	if err != nil || len(o.lmConfigs) != 2 || !reflect.DeepEqual(o.modes, []string{modeLMTrain, modeLMGenerate}) {
		t.Errorf("-lm: configs %v, modes %v, %v", o.lmConfigs, o.modes, err)
	}
	o, err = parse([]string{"-lm", "-configs", "word-lm", "-modes", "generate"}, &bytes.Buffer{})
	if err != nil || len(o.lmConfigs) != 1 || o.lmConfigs[0].name != "word-lm" || !reflect.DeepEqual(o.modes, []string{modeLMGenerate}) {
		t.Errorf("-lm -configs word-lm -modes generate: %v %v, %v", o.lmConfigs, o.modes, err)
	}
	for _, bad := range [][]string{{"-lm", "-configs", "lstm"}, {"-lm", "-modes", "infer"}} {
		if _, err := parse(bad, &bytes.Buffer{}); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestLMFLOPs(t *testing.T) {
	cfg := models.LMConfig{Cell: graph.LSTM, EmbedDim: 200, HiddenSize: 200, NumLayers: 2}
	// per token: layers 2·800·(200+200) twice, decoder 2·200·1000
	perToken := 2*2*800*400.0 + 2*200*1000
	if got := lmFLOPs(cfg, 1000, modeLMGenerate, 10); got != 10*perToken {
		t.Errorf("generate: %v, want %v", got, 10*perToken)
	}
	if got := lmFLOPs(cfg, 1000, modeLMTrain, 10); got != 30*perToken {
		t.Errorf("train: %v, want %v", got, 30*perToken)
	}
}

// TestLMWithoutPyTorch runs -lm with an interpreter that does not exist:
// gornn runs alone on the built-in sentences.
func TestLMWithoutPyTorch(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	var stdout, stderr bytes.Buffer
	args := []string{"-lm", "-python", filepath.Join(t.TempDir(), "no-python"), "-train-rows", "1:200", "-eval-rows", "201:320",
		"-steps", "2", "-repeats", "1", "-threads", "1", "-wait-idle", "0"}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	checkContains(t, "the output", stdout.String(), "PyTorch not available: ", "the built-in dataset (AG News not found",
		"| char-lstm | train | ", "| char-lstm | generate | ", "| word-lm | train | ", "| word-lm | generate | ")
}

// TestLMTorchSideAgrees runs the PyTorch side (torch_lm.py) and the gornn
// worker on the same run directory of a model without dropout: their
// validation perplexities after each epoch agree. It runs only with
// GORNN_TEST_PYTORCH=1 (tests never need Python otherwise), and needs
// /usr/bin/python3 with PyTorch:
//
//	GORNN_TEST_PYTORCH=1 go test -run TestLMTorchSideAgrees ./cmd/bench
func TestLMTorchSideAgrees(t *testing.T) {
	if os.Getenv("GORNN_TEST_PYTORCH") != "1" {
		t.Skip("set GORNN_TEST_PYTORCH=1 to run PyTorch")
	}
	o := tinyLMOptions(t)
	dir := t.TempDir()
	r, err := newRunner(options{python: "/usr/bin/python3", threads: 1}, dir, &bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	r.script = filepath.Join(dir, "torch_lm.py")
	if _, err := r.probe(); err != nil {
		t.Skip("no PyTorch:", err)
	}
	c := tinyLMs[0]
	d, err := prepareLM(o, c)
	if err != nil {
		t.Fatal(err)
	}
	run := filepath.Join(dir, c.name)
	if err := writeLMRun(run, c, d, options{seed: 5}, 2); err != nil {
		t.Fatal(err)
	}
	m, err := r.pair(c.name, modeLMPerplexity, run, 1, defaultTorchSetting(1))
	if err != nil {
		t.Fatal(err)
	}
	g, p := m.Gornn[0].EvalPPL, m.PyTorch[0].EvalPPL
	for e := range g {
		if math.Abs(g[e]/p[e]-1) > 1e-3 {
			t.Errorf("epoch %d: perplexity gornn %v, PyTorch %v", e+1, g[e], p[e])
		}
	}
}
