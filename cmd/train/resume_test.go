package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestResumeAfterValidationIsExact trains each per-token task two epochs
// at once and one epoch then -resume for the second, with validation after
// the first: the final weights must be the same bits. (A regression test:
// validation graphs once left the memory of the fused loss's gradient as
// Gorgonia had written it, and the training graphs after them summed it
// into the decoder's bias.)
func TestResumeAfterValidationIsExact(t *testing.T) {
	pairs := filepath.Join(t.TempDir(), "pairs.tsv")
	if err := os.WriteFile(pairs, []byte("cat\tK AE1 T\ndog\tD AO1 G\nfish\tF IH1 SH\nbird\tB ER1 D\ncow\tK AW1\nhen\tHH EH1 N\npig\tP IH1 G\nowl\tAW1 L\nant\tAE1 N T\nbee\tB IY1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		task string
		args []string
	}{
		{"tag", []string{"-task", "tag", "-builtin", "300", "-embed", "8", "-hidden", "8", "-batch", "8"}},
		{"seq2seq", []string{"-task", "seq2seq", "-data", pairs, "-val-split", "0.3", "-embed", "6", "-hidden", "6", "-batch", "4"}},
	} {
		t.Run(c.task, func(t *testing.T) {
			dir := t.TempDir()
			train := func(out string, extra ...string) {
				t.Helper()
				args := append(append([]string{"-workers", "2", "-quiet", "-out", out}, c.args...), extra...)
				var stdout, stderr bytes.Buffer
				if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
					t.Fatalf("train %v: exit status %d\n%s", args, code, stderr.String())
				}
			}
			whole, split := filepath.Join(dir, "whole"), filepath.Join(dir, "split")
			train(whole, "-epochs", "2")
			train(split, "-epochs", "1")
			var stdout, stderr bytes.Buffer
			if code := run(context.Background(), []string{"-resume", split, "-epochs", "2", "-quiet"}, &stdout, &stderr); code != exitOK {
				t.Fatalf("resume: exit status %d\n%s", code, stderr.String())
			}
			a, err := os.ReadFile(filepath.Join(whole, "last", "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(filepath.Join(split, "last", "model.safetensors"))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(a, b) {
				t.Error("the resumed run's weights differ from the uninterrupted run's")
			}
		})
	}
}
