package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// TestMain lets the test binary serve as the gornn worker that bench
// re-executes (os.Executable is the test binary under go test).
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && (os.Args[1] == "-worker" || os.Args[1] == seq2seqWorkerFlag) {
		os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// tiny is a config small enough for tests.
var tiny = benchConfig{"tiny", models.Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 8, Pooling: graph.Last}, 8, true, nil}

// TestWorker runs the gornn worker in each mode on a run directory of the
// built-in dataset.
func TestWorker(t *testing.T) {
	data := builtinData(t, 60, 20)
	dir := t.TempDir()
	if err := writeRun(dir, tiny, data, options{seed: 5}, 2); err != nil {
		t.Fatal(err)
	}
	request, err := latencyRequest(data.Train)
	if err != nil {
		t.Fatal(err)
	}
	if err := writePlan(filepath.Join(dir, latencyPlan), [][]datasets.Batch{slices.Repeat([]datasets.Batch{request}, 4)}); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		mode  string
		steps string
		want  int // measured batches
	}{{modeTrain, "2", 2}, {modeInfer, "2", 2}, {modeInfer, "0", 7}, {modeLatency, "0", 3}, {modeAccuracy, "0", 16}} {
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
			case modeLatency:
				if len(res.BatchSeconds) != 3 || res.Tokens != 3*latencyTokens || res.Rows != 3 {
					t.Errorf("latency: %d request times, %d tokens, %d rows; want 3, 3×%d, 3", len(res.BatchSeconds), res.Tokens, res.Rows, latencyTokens)
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
		"-steps", "2", "-repeats", "2", "-requests", "3", "-threads", "1", "-wait-idle", "0", "-json", jsonOut}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	checkContains(t, "the output", stdout.String(), "PyTorch not available: ", "no-python", "the built-in dataset (AG News not found",
		"| lstm | train | ", "| lstm | infer | ", "- Peak: ", "times the 1 cores gornn uses", "Latency of one request: one 40-token text", "| lstm | ")
	rep := readReport(t, jsonOut)
	if len(rep.Speed) != 2 || len(rep.Speed[0].Gornn) != 2 || len(rep.Speed[0].PyTorch) != 0 || rep.Speed[0].Gornn[0].PeakRSSKiB <= 0 ||
		rep.Speed[0].Gornn[0].FLOPs <= 0 || rep.Setup.CoreGFLOPS <= 0 {
		t.Errorf("raw results: %+v, core GFLOP/s %v", rep.Speed, rep.Setup.CoreGFLOPS)
	}
	if len(rep.Latency) != 1 || len(rep.Latency[0].Gornn) != 2 || len(rep.Latency[0].Gornn[0].BatchSeconds) != 3 {
		t.Errorf("latency results: %+v", rep.Latency)
	}
}

// fakePython stands in for the Python interpreter: it ignores the script
// and answers like torch_bench.py. Its trials are fastest with the OpenMP
// build (or the system's, when none is installed), 2 OpenBLAS threads and
// 2 torch threads; a measured run reports 1000·OPENBLAS_NUM_THREADS +
// torch threads as its tokens, so that the test sees the setting it ran
// with.
const fakePython = `#!/bin/sh
shift
case "$*" in
*--info*) echo '{"torch": "fake", "python": "0", "blas": "BLAS_INFO=fake"}'; exit;;
esac
b=$OPENBLAS_NUM_THREADS
v=1
case "$LD_LIBRARY_PATH" in *openmp*) v=2;; esac
case "$*" in
*--trial-threads*)
	n=$(echo "$*" | sed 's/.*--trial-threads \([0-9]*\).*/\1/')
	awk -v b=$b -v v=$v -v n=$n -v lib="${LD_LIBRARY_PATH%%:*}" 'BEGIN {
		printf "{\"blas\": \"loaded %s/libblas.so.3\", \"batch_tokens\": [100, 100], \"trials\": [", lib
		printf "{\"torch_threads\": %d, \"batch_seconds\": [%g, %g]}", n, 1/(b*v*n), 1/(b*v*n)
		print "]}"
	}';;
*)
	threads=$(echo "$*" | sed 's/.*--threads \([0-9]*\).*/\1/')
	echo "{\"steps\": 2, \"rows\": 2, \"tokens\": $((1000 * b + threads)), \"padded_tokens\": 4000, \"seconds\": 0.5, \"batch_seconds\": [0.001, 0.002]}";;
esac
`

// TestSearch runs the whole command with fakePython: the search tries
// every setting of the installed OpenBLAS builds, and the measured runs
// use the fastest, which the report names.
func TestSearch(t *testing.T) {
	if _, err := exec.LookPath("awk"); err != nil {
		t.Skip("needs sh and awk:", err)
	}
	t.Setenv("GORNN_AG_NEWS", filepath.Join(t.TempDir(), "absent"))
	python := filepath.Join(t.TempDir(), "python")
	if err := os.WriteFile(python, []byte(fakePython), 0o755); err != nil {
		t.Fatal(err)
	}
	jsonOut := filepath.Join(t.TempDir(), "bench.json")
	var stdout, stderr bytes.Buffer
	args := []string{"-python", python, "-configs", "lstm", "-modes", "infer,latency", "-train-rows", "1:80",
		"-steps", "2", "-repeats", "1", "-requests", "2", "-threads", "2", "-wait-idle", "0", "-json", jsonOut}
	if code := run(args, &stdout, &stderr); code != exitOK {
		t.Fatalf("exit status %d: %s", code, stderr.String())
	}
	installed, _ := installedVariants(multiarchLibDir)
	winner := torchSetting{variantSystem, 2, 2}
	if len(installed) > 0 {
		winner.OpenBLAS = installed[len(installed)-1] // openmp when installed
	}
	rep := readReport(t, jsonOut)
	for _, m := range append(rep.Speed, rep.Latency...) {
		settings := 4 * max(1, len(installed)) // OpenBLAS threads 1, 2 × torch threads 1, 2 per build
		if m.TorchSetting == nil || *m.TorchSetting != winner || len(m.TorchTrials) != settings ||
			m.TorchTrials[0].torchSetting != winner || len(m.PyTorch) != 1 || m.PyTorch[0].Tokens != 2002 {
			t.Errorf("%s: ran with %v after %d trials (first %+v), tokens %d; want %v after %d, tokens 2002",
				m.Mode, m.TorchSetting, len(m.TorchTrials), m.TorchTrials, m.PyTorch[0].Tokens, winner, settings)
		}
	}
	checkContains(t, "the output", stdout.String(),
		"the fastest setting of a search", "| "+winner.String()+" |", "PyTorch settings tried", "- lstm latency: "+winner.String())
}

// readReport reads the -json output at path.
func readReport(t *testing.T, path string) report {
	t.Helper()
	var rep report
	data, err := os.ReadFile(path)
	if err == nil {
		err = json.Unmarshal(data, &rep)
	}
	if err != nil {
		t.Fatal(err)
	}
	return rep
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
		{[]string{"-torch-setting", "openmp:2"}, exitUsage, "want VARIANT:BLAS:TORCH"},
		{[]string{"-trial-steps", "0"}, exitUsage, "-trial-steps 0"},
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
