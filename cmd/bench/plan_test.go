package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
)

// builtinData prepares n built-in examples for training, and m more for
// evaluation when m > 0.
func builtinData(t *testing.T, n, m int) *datasets.Prepared {
	t.Helper()
	src := datasets.Source{BuiltinSize: n + m, TrainRows: datasets.Rows{From: 1, To: n}, ValSplit: -1, Seed: 3}
	if m > 0 {
		src.ValRows = datasets.Rows{From: n + 1, To: n + m}
	}
	data, err := datasets.Prepare(src)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// TestPlanRoundTrip writes the batches of two shuffled epochs and reads
// them back unchanged.
func TestPlanRoundTrip(t *testing.T) {
	data := builtinData(t, 50, 0)
	plan, err := makePlan(data.Train, datasets.BatcherOptions{BatchSize: 16, Shuffle: true, Seed: 9}, 2)
	if err != nil {
		t.Fatal(err)
	}
	if len(plan) != 2 || len(plan[0]) != 4 || plan[0][3].Size != 2 {
		t.Fatalf("plan of 50 rows in batches of 16: %d epochs, %d batches, last of %d rows; want 2, 4, 2", len(plan), len(plan[0]), plan[0][3].Size)
	}
	if slices.Equal(plan[0][0].IDs, plan[1][0].IDs) {
		t.Error("both epochs start with the same batch: not shuffled per epoch")
	}
	path := filepath.Join(t.TempDir(), trainPlan)
	if err := writePlan(path, plan); err != nil {
		t.Fatal(err)
	}
	got, err := readPlan(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(plan) {
		t.Fatalf("read %d epochs, wrote %d", len(got), len(plan))
	}
	for e := range plan {
		if len(got[e]) != len(plan[e]) {
			t.Fatalf("epoch %d: read %d batches, wrote %d", e, len(got[e]), len(plan[e]))
		}
		for i, want := range plan[e] {
			b := got[e][i]
			if b.Size != want.Size || b.Steps != want.Steps || !slices.Equal(b.IDs, want.IDs) ||
				!slices.Equal(b.Lengths, want.Lengths) || !slices.Equal(b.Labels, want.Labels) {
				t.Errorf("epoch %d batch %d: read %+v, wrote %+v", e, i, b, want)
			}
		}
	}
}

// TestPlanCorrupt checks that damaged plan files are refused with a
// message saying what is wrong.
func TestPlanCorrupt(t *testing.T) {
	var good bytes.Buffer
	good.WriteString(planMagic)
	// version 1, 1 epoch of 1 batch: B 1, T 2, ids 5 6, length 2, label 1;
	// then a stray word
	for _, v := range []byte{1, 1, 1, 1, 2, 5, 6, 2, 1, 3} {
		good.Write([]byte{v, 0, 0, 0})
	}
	words := func(n int) []byte { return good.Bytes()[:len(planMagic)+4*n] }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"magic", []byte("GRNNPLAX"), "not a plan file"},
		{"version", append([]byte(planMagic), 9, 0, 0, 0, 0, 0, 0, 0), "version 9"},
		{"truncated", words(6), "truncated"},
		{"trailing data", words(10), "data after the last batch"},
		{"length beyond T", append(append([]byte{}, words(7)...), 3, 0, 0, 0, 1, 0, 0, 0), "length 3 not in 1..2"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "x.plan")
			if err := os.WriteFile(path, c.data, 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := readPlan(path)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %v, want one mentioning %q", err, c.want)
			}
		})
	}
	path := filepath.Join(t.TempDir(), "ok.plan")
	if err := os.WriteFile(path, words(9), 0o644); err != nil {
		t.Fatal(err)
	}
	if plan, err := readPlan(path); err != nil || len(plan) != 1 || !slices.Equal(plan[0][0].IDs, []int{5, 6}) {
		t.Errorf("the intact plan reads as %+v, %v", plan, err)
	}
}

// TestLatencyRequest checks the latency mode's text: the training rows'
// first latencyTokens tokens, joined, as one row; and the error when the
// rows hold fewer.
func TestLatencyRequest(t *testing.T) {
	enc := &datasets.Encoded{IDs: [][]int{{5, 6, 7}, slices.Repeat([]int{9}, 50)}, Labels: []int{1, 0}}
	b, err := latencyRequest(enc)
	want := append([]int{5, 6, 7}, slices.Repeat([]int{9}, latencyTokens-3)...)
	if err != nil || b.Size != 1 || b.Steps != latencyTokens || !slices.Equal(b.IDs, want) ||
		!slices.Equal(b.Lengths, []int{latencyTokens}) || !slices.Equal(b.Labels, []int{1}) {
		t.Errorf("latencyRequest = %+v, %v; want one row of %v labelled 1", b, err, want)
	}
	if _, err := latencyRequest(&datasets.Encoded{IDs: [][]int{{5, 6}}, Labels: []int{0}}); err == nil || !strings.Contains(err.Error(), "2 tokens in all") {
		t.Errorf("from 2 tokens: error %v", err)
	}
}
