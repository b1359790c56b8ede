package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// TestSeq2SeqTask trains -task seq2seq on a TSV file, two aligned files
// and a CMUdict file, resumes a run for one more epoch, and checks the
// usage errors and data errors of the task.
func TestSeq2SeqTask(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	tsv := write("pairs.tsv", "hello\tHH AH L OW\nworld\tW ER L D\nhello\tHH EH L OW\nhelp\tHH EH L P\nyellow\tY EH L OW\nold\tOW L D\nwell\tW EH L\ndew\tD UW\n")
	src := write("src.txt", "hello\nworld\nhelp\nold\n")
	tgt := write("tgt.txt", "HH AH L OW\nW ER L D\nHH EH L P\nOW L D\n")
	short := write("short.txt", "HH AH L OW\n")
	dict := write("cmudict-mini.txt", ";;; comment\nA  AH0\nA(1)  EY1\nABLE  EY1 B AH0 L\nAXE  AE1 K S\nBE  B IY1\nBEE  B IY1\n")
	badDict := write("cmudict-bad.txt", "A  AH0\nB(1)  B IY1\n")
	noTab := write("no_tab.tsv", "hello\tHH AH L OW\nworld W ER L D\n")
	common := []string{"-task", "seq2seq", "-epochs", "1", "-embed", "6", "-hidden", "6", "-quiet", "-val-split", "0.25"}
	cases := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"tsv", []string{"-data", tsv, "-bidirectional", "-attention", "general", "-dropout", "0.3"}, exitOK, "best validation wer"},
		{"aligned files", []string{"-data", src, "-target-data", tgt, "-attention", "dot", "-val-split", "0", "-epochs", "2"}, exitOK, "4 training (4 sources)"},
		{"cmudict", []string{"-data", dict, "-src-level", "char", "-cell", "gru", "-tie-embeddings", "-label-smoothing", "0.1"}, exitOK, "4 training (4 sources), 2 validation (1 sources)"},
		{"unknown attention", []string{"-data", tsv, "-attention", "mlp"}, exitUsage, `unknown attention "mlp"`},
		{"unknown level", []string{"-data", tsv, "-src-level", "bytes"}, exitUsage, `unknown tokenizer "bytes"`},
		{"classifier format", []string{"-data", tsv, "-format", "jsonl"}, exitUsage, "-task seq2seq reads auto, tsv or cmudict"},
		{"rows", []string{"-data", tsv, "-train-rows", "1:4"}, exitUsage, "-train-rows: -task seq2seq takes whole files"},
		{"tie with other sizes", []string{"-data", tsv, "-tie-embeddings", "-decoder-hidden", "8"}, exitUsage, "tie_embeddings needs embed_dim (6) = decoder_hidden (8)"},
		{"dot over a bidirectional encoder", []string{"-data", tsv, "-attention", "dot", "-bidirectional"}, exitUsage, "dot attention needs"},
		{"target data alone", []string{"-target-data", tgt}, exitUsage, "-target-data needs -data"},
		{"no tab", []string{"-data", noTab}, exitFailure, "no_tab.tsv:2:"},
		{"alternate first", []string{"-data", badDict}, exitFailure, "cmudict-bad.txt:2: alternate \"B(1)\""},
		{"misaligned", []string{"-data", src, "-target-data", short}, exitFailure, "short.txt has 1 lines"},
		{"source too long", []string{"-data", tsv, "-max-source-len", "4"}, exitFailure, "pairs.tsv:2: source has 5 tokens, over the limit of 4"},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := filepath.Join(dir, "run", string(rune('a'+i)))
			args := append(append(append([]string(nil), common...), c.args...), "-out", out)
			var stdout, stderr bytes.Buffer
			code := run(context.Background(), args, &stdout, &stderr)
			output := stdout.String() + stderr.String()
			if code != c.code || !strings.Contains(output, c.want) {
				t.Errorf("exit status %d, want %d; output should contain %q:\n%s", code, c.code, c.want, output)
			}
			if code != exitOK {
				return
			}
			if _, err := models.LoadSeq2Seq(filepath.Join(out, train.BestDir), models.Options{}); err != nil {
				t.Errorf("best model: %v", err)
			}
		})
	}
	t.Run("resume", func(t *testing.T) {
		out := filepath.Join(dir, "resumed")
		var stdout, stderr bytes.Buffer
		args := append(append([]string(nil), common...), "-data", tsv, "-out", out)
		if code := run(context.Background(), args, &stdout, &stderr); code != exitOK {
			t.Fatalf("exit status %d:\n%s", code, stderr.String())
		}
		if code := run(context.Background(), []string{"-resume", out, "-epochs", "2"}, &stdout, &stderr); code != exitOK || !strings.Contains(stdout.String(), "done (completed): 2 epochs") {
			t.Errorf("resume: exit status %d:\n%s%s", code, stdout.String(), stderr.String())
		}
	})
}
