package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// TestMain lets the test binary serve as the gornn worker that bench
// re-executes (os.Executable is the test binary under go test).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && os.Args[1] == "-worker" {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tiny is a config small enough for tests.
var tiny = benchConfig{"tiny", models.Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 8, Pooling: graph.Last}, 8}

// TestWorker runs the gornn worker in each mode on a run directory of the
// built-in dataset.
func TestWorker(t *testing.T) {
	data := builtinData(t, 60, 20)
	dir := t.TempDir()
	if err := writeRun(dir, tiny, data, options{seed: 5}, 2); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode  string
		steps string
		want  int // measured batches
	}{{modeTrain, "2", 2}, {modeInfer, "2", 2}, {modeInfer, "0", 7}, {modeAccuracy, "0", 16}} {
		t.Run(c.mode+"/steps="+c.steps, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := run([]string{"-worker", c.mode, "-dir", dir, "-threads", "2", "-steps", c.steps}, &stdout, &stderr); code != exitOK {
				t.Fatalf("exit status %d: %s", code, stderr.String())
			}
			var res result
			if err := json.Unmarshal(stdout.Bytes(), &res); err != nil {
				t.Fatalf("%v: %s", err, stdout.String())
			}
			if res.Steps != c.want || res.Tokens <= 0 || res.PaddedTokens < res.Tokens || res.Seconds <= 0 {
				t.Errorf("result %+v: want %d steps and tokens counted", res, c.want)
			}
			switch c.mode {
			case modeTrain:
				if !(res.Loss > 0.5 && res.Loss < 1) { // two classes: about ln 2 at the start
					t.Errorf("mean loss %v, want about ln 2", res.Loss)
				}
			case modeAccuracy:
				if len(res.EvalAcc) != 2 {
					t.Errorf("accuracy after %d epochs, want 2", len(res.EvalAcc))
				}
			}
		})
	}
	var stderr bytes.Buffer
	if code := run([]string{"-worker", "fly", "-dir", dir}, &bytes.Buffer{}, &stderr); code != exitUsage || !strings.Contains(stderr.String(), `"fly"`) {
		t.Errorf("unknown worker mode: exit status %d, %s", code, stderr.String())
	}
}

// TestWithoutPyTorch runs the whole command with an interpreter that does
// not exist: gornn runs alone, the output says why, and the status is 0.
func TestWithoutPyTorch(t *testing.T) {
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	jsonOut := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"-python", filepath.Join(t.TempDir(), "no-python"), "-configs", "lstm", "-train-rows", "1:80",
		"-steps", "2", "-repeats", "2", "-threads", "1", "-wait-idle", "0", "-json", jsonOut}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	out := stdout.String()
	for _, want := range []string{"PyTorch not available: ", "no-python", "the built-in dataset (AG News not found", "| lstm | train | ", "| lstm | infer | "} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	var rep report
	data, err := os.ReadFile(jsonOut)
	if err == nil {
		err = json.Unmarshal(data, &rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Speed) != 2 || len(rep.Speed[0].Gornn) != 2 || len(rep.Speed[0].PyTorch) != 0 || rep.Speed[0].Gornn[0].PeakRSSKiB <= 0 {
		t.Errorf("raw results: %+v", rep.Speed)
	}
}

// TestUsage checks the exit status and message of bad command lines.
func TestUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-h"}, exitOK, "-accuracy"},
		{[]string{"-configs", "transformer"}, exitUsage, `unknown config "transformer" (want rnn, lstm, gru, bilstm)`},
		{[]string{"-accuracy", "-configs", "gru"}, exitUsage, `(want rnn, lstm, bilstm)`},
		{[]string{"-modes", "train,fly"}, exitUsage, `unknown mode "fly"`},
		{[]string{"-repeats", "0"}, exitUsage, "-repeats 0"},
		{[]string{"-train-rows", "9"}, exitUsage, "-train-rows"},
		{[]string{"extra"}, exitUsage, "unexpected arguments"},
		{[]string{"-data", filepath.Join(t.TempDir(), "nope.csv"), "-python", "/nonexistent"}, exitFailure, "nope.csv"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != c.code || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%q: exit status %d, want %d; stderr %q does not say %q", c.args, code, c.code, stderr.String(), c.want)
		}
	}
}
