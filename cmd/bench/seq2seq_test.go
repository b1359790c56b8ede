package main

import (
	"bytes"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
)

func TestSeq2SeqPlanRoundTrip(t *testing.T) {
	second := &datasets.Batch{IDs: []int{2, 5, 6, 2, 7, 0}, Lengths: []int{3, 2}, Targets: []int{5, 6, 3, 7, 3, -100}, Size: 2, Steps: 3}
	plan := [][]datasets.Batch{{{IDs: []int{4, 5, 6, 0}, Lengths: []int{2, 1}, Second: second, Size: 2, Steps: 2}}, {}}
	path := filepath.Join(t.TempDir(), "train.plan")
	if err := writeSeq2SeqPlan(path, plan); err != nil {
		t.Fatal(err)
	}
	got, err := readSeq2SeqPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[0]) != 1 || !reflect.DeepEqual(got[0][0], plan[0][0]) {
		t.Errorf("read %+v, wrote %+v", got, plan)
	}
	sources := [][]int{{4, 5}, {6}, {7, 7, 7}}
	path = filepath.Join(t.TempDir(), "test.src")
	if err := writeSources(path, sources); err != nil {
		t.Fatal(err)
	}
	if back, err := readSources(path); err != nil || !reflect.DeepEqual(back, sources) {
		t.Errorf("sources %v, %v", back, err)
	}
	if _, err := readSources(filepath.Join(filepath.Dir(path), "..", "missing")); err == nil {
		t.Error("a missing file read")
	}
}

func TestSeq2SeqUsage(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"-task", "seq2seq", "-modes", "latency"}, `unknown mode "latency"`},
		{[]string{"-task=seq2seq", "-beam", "0"}, "-beam 0: must be at least 1"},
		{[]string{"-task", "seq2seq", "words"}, "flags only"},
		{[]string{"-task", "seq2seq", "-torch-setting", "x"}, "torch-setting"},
	} {
		var stdout, stderr bytes.Buffer
		if code := run(c.args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("%v: exit status %d, stderr %q, want %q", c.args, code, stderr.String(), c.want)
		}
	}
}

// TestSeq2SeqWithoutPyTorch runs every mode of the seq2seq benchmark on a
// few CMUdict pairs with gornn alone, then scores the initial model of the
// run directory on a few test words.
func TestSeq2SeqWithoutPyTorch(t *testing.T) {
	dir, ok := datasets.CMUdictDir()
	if !ok {
		t.Skipf("CMUdict not found at %s: skipping", dir)
	}
	work := t.TempDir()
	common := []string{"-task", "seq2seq", "-data", dir, "-python", filepath.Join(work, "no-python"), "-train-pairs", "150", "-words", "12",
		"-hidden", "8", "-embed", "4", "-batch", "16", "-wait-idle", "0", "-repeats", "1", "-steps", "2", "-beam", "3", "-workdir", work}
	for _, c := range []struct {
		args []string
		want []string
	}{
		{nil, []string{"PyTorch did not run", "| training | gornn tokens/s", "| test decoding, greedy |", "| test decoding, beam 3 |"}},
		{[]string{"-accuracy", "-epochs", "2"}, []string{"| 2 | ", "gornn dev WER"}},
		{[]string{"-model", filepath.Join(work, "seq2seq", s2sModelDir)}, []string{"| greedy | ", "| beam 3 | ", "12 words"}},
	} {
		var stdout, stderr bytes.Buffer
		args := append(append([]string(nil), common...), c.args...)
		if code := run(args, &stdout, &stderr); code != exitOK {
			t.Fatalf("%v: exit status %d:\n%s", c.args, code, stderr.String())
		}
		for _, w := range c.want {
			if !strings.Contains(stdout.String()+stderr.String(), w) {
				t.Errorf("%v: output lacks %q:\n%s", c.args, w, stdout.String())
			}
		}
	}
}
