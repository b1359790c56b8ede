package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExitCodes checks the exit status and message of bad command lines
// and bad data files.
func TestExitCodes(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.csv")
	if err := os.WriteFile(bad, []byte("label,text\npos,fine\nneg\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	partlyBad := filepath.Join(dir, "partly_bad.csv")
	if err := os.WriteFile(partlyBad, []byte("label,text\npos,fine\nneg,poor\nneg\npos,good\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, exitOK, "-cell"},
		{"unknown flag", []string{"-colour", "red"}, exitUsage, "flag provided but not defined: -colour"},
		{"stray argument", []string{"data.csv"}, exitUsage, "unexpected arguments"},
		{"unknown cell", []string{"-cell", "transformer"}, exitUsage, `unknown cell "transformer"`},
		{"unknown task", []string{"-task", "dance"}, exitUsage, `-task "dance": want classify`},
		{"dropout with one layer", []string{"-dropout", "0.2", "-builtin", "40", "-out", filepath.Join(dir, "d")}, exitUsage, "dropout 0.2 with one layer"},
		{"unknown pooling", []string{"-pooling", "first"}, exitUsage, `unknown pooling "first"`},
		{"bad rows", []string{"-train-rows", "10-1"}, exitUsage, "-train-rows"},
		{"bad split", []string{"-val-split", "1.5"}, exitUsage, "-val-split 1.5"},
		{"zero hidden", []string{"-hidden", "0"}, exitUsage, "-hidden 0"},
		{"hidden over the limit", []string{"-hidden", "100000"}, exitUsage, "-hidden 100000: over the limit of 65536"},
		{"layers over the limit", []string{"-layers", "65"}, exitUsage, "-layers 65: over the limit of 64"},
		{"no built-in examples", []string{"-builtin", "0"}, exitUsage, "-builtin 0"},
		{"negative max len", []string{"-max-len", "-3"}, exitUsage, "-max-len -3"},
		{"vocabulary of one", []string{"-vocab-size", "1"}, exitUsage, "-vocab-size 1"},
		{"negative min freq", []string{"-min-freq", "-1"}, exitUsage, "-min-freq -1"},
		{"dropout of one", []string{"-dropout", "1"}, exitUsage, "-dropout 1"},
		{"unknown optimizer", []string{"-optimizer", "lion", "-builtin", "40", "-out", filepath.Join(dir, "x")}, exitUsage, "lion"},
		{"missing data", []string{"-data", filepath.Join(dir, "nope.csv")}, exitFailure, "nope.csv"},
		{"malformed row", []string{"-data", bad}, exitFailure, "bad.csv:3"},
		{"lenient lists skipped rows", []string{"-data", partlyBad, "-lenient", "-val-split", "0", "-epochs", "1", "-quiet", "-out", filepath.Join(dir, "lenient")}, exitOK, "partly_bad.csv:4: got 1 fields"},
		{"resume without run", []string{"-resume", filepath.Join(dir, "none")}, exitUsage, "run.json"},
		{"resume with other options", []string{"-resume", dir, "-hidden", "8"}, exitUsage, "-hidden cannot change"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), c.args, &stdout, &stderr)
			if code != c.code {
				t.Errorf("exit status %d, want %d; stderr:\n%s", code, c.code, stderr.String())
			}
			if !strings.Contains(stderr.String()+stdout.String(), c.want) {
				t.Errorf("output does not mention %q:\n%s%s", c.want, stdout.String(), stderr.String())
			}
		})
	}
}

// TestTrainInterruptResume trains on a small built-in set, interrupted
// before its first batch, then resumes the run to completion.
func TestTrainInterruptResume(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-builtin", "200", "-epochs", "2", "-embed", "8", "-hidden", "8", "-quiet", "-out", out}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	if code := run(ctx, args, &stdout, &stderr); code != exitInterrupted {
		t.Fatalf("interrupted run: exit status %d, want %d\n%s", code, exitInterrupted, stderr.String())
	}
	if !strings.Contains(stderr.String(), "-resume "+out) {
		t.Errorf("the interrupted run does not say how to resume:\n%s", stderr.String())
	}
	stdout.Reset()
	stderr.Reset()
	if code := run(context.Background(), []string{"-resume", out, "-quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("resumed run: exit status %d\n%s", code, stderr.String())
	}
	for _, f := range []string{"best/config.json", "best/vocab.txt", "best/model.safetensors", "last/trainer_state.json", "last/optimizer.safetensors", "metrics.jsonl", "curves.png", "run.json"} {
		if _, err := os.Stat(filepath.Join(out, f)); err != nil {
			t.Errorf("run directory lacks %s", f)
		}
	}
	if !strings.Contains(stdout.String(), "done (completed): 2 epochs") {
		t.Errorf("summary missing:\n%s", stdout.String())
	}
}

// TestExistingRunDirectory refuses a new run in a directory holding one,
// which used to append to its metrics.jsonl, unless -overwrite replaces it.
func TestExistingRunDirectory(t *testing.T) {
	out := filepath.Join(t.TempDir(), "run")
	args := []string{"-builtin", "100", "-epochs", "1", "-embed", "4", "-hidden", "4", "-quiet", "-out", out}
	var stdout, stderr bytes.Buffer
	if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
		t.Fatalf("first run: exit status %d\n%s", code, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), args, &stdout, &stderr); code != exitUsage || !strings.Contains(stderr.String(), "already holds a run") {
		t.Fatalf("second run into the same -out: exit status %d, want %d and a refusal\n%s", code, exitUsage, stderr.String())
	}
	stderr.Reset()
	if code := run(context.Background(), append(args, "-overwrite"), &stdout, &stderr); code != exitOK {
		t.Fatalf("-overwrite: exit status %d\n%s", code, stderr.String())
	}
	metrics, err := os.ReadFile(filepath.Join(out, "metrics.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	if lines := strings.Count(string(metrics), "\n"); lines != 1 {
		t.Errorf("metrics.jsonl has %d lines after -overwrite of a one-epoch run, want 1", lines)
	}
}

// TestResumeFromAnotherDirectory resumes a run started with a relative
// -data path from another working directory.
func TestResumeFromAnotherDirectory(t *testing.T) {
	start, elsewhere := t.TempDir(), t.TempDir()
	var rows strings.Builder
	rows.WriteString("label,text\n")
	for i := range 40 {
		fmt.Fprintf(&rows, "%s,text number %d %s\n", []string{"neg", "pos"}[i%2], i, []string{"bad", "good"}[i%2])
	}
	if err := os.WriteFile(filepath.Join(start, "data.csv"), []byte(rows.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(start, "run")
	t.Chdir(start)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var stdout, stderr bytes.Buffer
	args := []string{"-data", "data.csv", "-epochs", "1", "-embed", "4", "-hidden", "4", "-quiet", "-out", out}
	if code := run(ctx, args, &stdout, &stderr); code != exitInterrupted {
		t.Fatalf("interrupted run: exit status %d\n%s", code, stderr.String())
	}
	t.Chdir(elsewhere)
	stderr.Reset()
	if code := run(context.Background(), []string{"-resume", out, "-quiet"}, &stdout, &stderr); code != exitOK {
		t.Fatalf("resume from another directory: exit status %d\n%s", code, stderr.String())
	}
}

// TestDataProblems checks what the command says about validation labels
// and class folders.
func TestDataProblems(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	train := write("train.csv", "label,text\npos,good\nneg,bad\npos,great\nneg,awful\n")
	onlyPos := write("val_pos.csv", "label,text\npos,fine\n")
	unseen := write("val_unseen.csv", "label,text\npos,fine\nmeh,so so\nneg,poor\n")
	folders := filepath.Join(dir, "folders")
	write("folders/pos/1.txt", "good")
	write("folders/pos/2.txt", "great")
	write("folders/neg/1.txt", "bad")
	write("folders/neg/img.txt", "\xff\xd8 not text")
	emptyClass := filepath.Join(dir, "empty_class")
	write("empty_class/pos/1.txt", "good")
	write("empty_class/neg/notes.md", "no text files")
	common := []string{"-epochs", "1", "-embed", "4", "-hidden", "4", "-quiet"}
	cases := []struct {
		name    string
		args    []string
		code    int
		want    string
		notWant string
	}{
		{"validation file lacking a class", []string{"-data", train, "-val-data", onlyPos}, exitOK, "1 validation", ""},
		{"validation label unseen in training", []string{"-data", train, "-val-data", unseen}, exitFailure, `val_unseen.csv:3: label "meh" is not a class of the training data`, ""},
		{"unseen label skipped", []string{"-data", train, "-val-data", unseen, "-lenient"}, exitOK, `val_unseen.csv:3: label "meh"`, ""},
		{"skipped file named", []string{"-data", folders, "-val-split", "0", "-lenient"}, exitOK, filepath.Join(folders, "neg", "img.txt") + ": invalid UTF-8", ":2:"},
		{"empty class folder", []string{"-data", emptyClass, "-val-split", "0", "-lenient"}, exitFailure, `class folder "neg" has no .txt files`, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			args := append(append(c.args, common...), "-out", filepath.Join(dir, fmt.Sprint("run", i)))
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			output := stdout.String() + stderr.String()
			if code != c.code || !strings.Contains(output, c.want) || (c.notWant != "" && strings.Contains(output, c.notWant)) {
				t.Errorf("exit status %d, want %d; output should contain %q (and not %q):\n%s", code, c.code, c.want, c.notWant, output)
			}
		})
	}
}
