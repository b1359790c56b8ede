package train

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
)

func TestMetricsLog(t *testing.T) {
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	epochs := []EpochMetrics{
		{Epoch: 1, Step: 10, TrainLoss: 1.2, Train: metrics.Scores{"accuracy": 0.4}},
		{Epoch: 2, Step: 20, TrainLoss: 0.9, Train: metrics.Scores{"accuracy": 0.6}, ValLoss: 1.0, Val: metrics.Scores{"accuracy": 0.55},
			ValDetails: map[string]any{"confusion": []any{[]any{1.0, 0.0}, []any{1.0, 1.0}}}},
		{Epoch: 3, Step: 30, TrainLoss: 0.7, Train: metrics.Scores{"accuracy": 0.7}},
	}
	// Two sessions append to the same file.
	for _, part := range [][]EpochMetrics{epochs[:2], epochs[2:]} {
		log, err := OpenMetricsLog(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range part {
			if err := log.Append(m); err != nil {
				t.Fatal(err)
			}
		}
		if err := log.Close(); err != nil {
			t.Fatal(err)
		}
	}
	got, err := ReadMetricsLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(epochs) {
		t.Fatalf("read %d epochs, want %d", len(got), len(epochs))
	}
	for i := range got {
		if !sameMetrics(got[i], epochs[i]) {
			t.Errorf("epoch %d: %+v, want %+v", i+1, got[i], epochs[i])
		}
	}

	// A crash mid-line: reading ignores the torn line, and reopening cuts
	// it so the next epoch starts a line of its own.
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"epoch":4,"st`)
	f.Close()
	if got, err := ReadMetricsLog(path); err != nil || len(got) != 3 {
		t.Fatalf("with a torn line: %d epochs, %v", len(got), err)
	}
	log, err := OpenMetricsLog(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := log.Append(EpochMetrics{Epoch: 4, Step: 40}); err != nil {
		t.Fatal(err)
	}
	log.Close()
	got, err = ReadMetricsLog(path)
	if err != nil || len(got) != 4 || got[3].Epoch != 4 {
		t.Fatalf("after reopening: %+v, %v", got, err)
	}

	// Rewriting keeps the first two epochs only.
	if err := WriteMetricsLog(path, got[:2]); err != nil {
		t.Fatal(err)
	}
	if got, err := ReadMetricsLog(path); err != nil || len(got) != 2 || got[1].Epoch != 2 {
		t.Fatalf("after rewriting: %+v, %v", got, err)
	}
}

func TestReadMetricsLogErrors(t *testing.T) {
	dir := t.TempDir()
	_, err := ReadMetricsLog(filepath.Join(dir, "missing.jsonl"))
	if !os.IsNotExist(errors.Cause(err)) {
		t.Errorf("missing file: error %v, want one satisfying os.IsNotExist", err)
	}
	path := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(path, []byte("{\"epoch\":1}\n\nnot json\n{\"epoch\":3}\n"), 0o644)
	if _, err := ReadMetricsLog(path); err == nil || !strings.Contains(err.Error(), path+":3") {
		t.Errorf("malformed line: error %v, want one naming %s:3", err, path)
	}
	if _, err := OpenMetricsLog(filepath.Join(dir, "no", "dir", "m.jsonl")); err == nil {
		t.Error("OpenMetricsLog in a missing directory succeeded")
	}
}

func TestCutTornLineLongLine(t *testing.T) {
	// A torn line longer than cutTornLine's block, after a complete one.
	path := filepath.Join(t.TempDir(), "metrics.jsonl")
	whole := `{"epoch":1}` + "\n"
	os.WriteFile(path, []byte(whole+strings.Repeat("x", 10000)), 0o644)
	log, err := OpenMetricsLog(path)
	if err != nil {
		t.Fatal(err)
	}
	log.Close()
	if data, _ := os.ReadFile(path); string(data) != whole {
		t.Errorf("file holds %d bytes after cutting, want %q", len(data), whole)
	}
	// A file that is one torn line becomes empty.
	os.WriteFile(path, []byte(strings.Repeat("y", 5000)), 0o644)
	log, err = OpenMetricsLog(path)
	if err != nil {
		t.Fatal(err)
	}
	log.Close()
	if data, _ := os.ReadFile(path); len(data) != 0 {
		t.Errorf("file holds %d bytes, want 0", len(data))
	}
}
