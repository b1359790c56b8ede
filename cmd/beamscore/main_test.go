package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"

	"github.com/apache/beam/sdks/v2/go/pkg/beam/testing/ptest"
	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// TestMain runs the tests with the Beam SDK set up (flags, the local
// runner's worker).
func TestMain(m *testing.M) { ptest.Main(m) }

// repoRoot is gornn's main module, two folders up.
const repoRoot = "../.."

// classifierDir saves an untrained classifier over the built-in data's
// vocabulary and returns its folder.
func classifierDir(t *testing.T) string {
	t.Helper()
	ds := datasets.Builtin(200, 1)
	tok, _ := datasets.NewTokenizer("basic_english")
	vocab, err := datasets.BuildVocab(ds, tok, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.New(models.Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 8, Labels: ds.Classes}, vocab, models.Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "model")
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

// writeInputs writes the test's input files into dir: built-in texts one a
// line, JSON Lines with good and bad lines, and the AG News evaluation
// rows (6001..7600) when the shared data is there. It returns the texts
// that must be scored and the failures expected, as "file:line: error".
func writeInputs(t *testing.T, dir string) (texts []string, failures []string) {
	t.Helper()
	write := func(name string, lines []string) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return path
	}
	var plain []string
	for _, e := range datasets.Builtin(150, 7).Examples {
		plain = append(plain, e.Text)
	}
	texts = append(texts, plain...)
	plain = append(plain, "   ") // line 151: blank
	path := write("builtin.txt", plain)
	failures = append(failures, path+":151: empty text")

	var docs []string
	for i, text := range []string{"the match was not good", "stocks rose", "a film worth seeing"} {
		line, _ := json.Marshal(map[string]any{"id": i, "text": text})
		docs = append(docs, string(line))
		texts = append(texts, text)
	}
	docs = append(docs, `{"text": "unterminated`, `{"title": "no text"}`, `{"text": 42}`, `{"text": ""}`, `[1, 2]`)
	path = write("docs.jsonl", docs)
	failures = append(failures, path+":4: not a JSON object", path+`:5: no "text" key`, path+`:6: "text" is not a string`,
		path+":7: empty text", path+":8: not a JSON object")

	if agnews, ok := datasets.AGNewsDir(); ok {
		ds, err := datasets.Load(filepath.Join(agnews, "test.csv"), datasets.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		eval, err := ds.Slice(6000, 7600)
		if err != nil {
			t.Fatal(err)
		}
		var rows []string
		for _, e := range eval.Examples {
			rows = append(rows, e.Text)
		}
		write("agnews_eval.txt", rows)
		texts = append(texts, rows...)
		t.Logf("AG News evaluation rows: %d texts", len(rows))
	} else {
		t.Logf("AG News not found at %s: built-in data only", agnews)
	}
	return texts, failures
}

// buildCommand builds gornn's command cmd (./cmd/NAME) from its main module into
// a temporary folder and returns the binary.
func buildCommand(t *testing.T, cmd string) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), filepath.Base(cmd))
	b := exec.Command(filepath.Join(runtime.GOROOT(), "bin", "go"), "build", "-o", bin, cmd)
	b.Dir = repoRoot
	if out, err := b.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", cmd, err, out)
	}
	return bin
}

// trainedDir trains a model with cmd/train (binary trainBin) and args,
// and returns its best/ directory.
func trainedDir(t *testing.T, trainBin string, args ...string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(trainBin, append(args, "-epochs", "1", "-quiet", "-out", out)...)
	if text, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("cmd/train %v: %v\n%s", args, err, text)
	}
	return filepath.Join(out, "best")
}

// predictJSON runs cmd/predict -json (binary predictBin, built from gornn's
// main module) on texts, one a line on its standard input, and returns
// its answer for each text.
func predictJSON(t *testing.T, predictBin, model string, texts []string) map[string]string {
	t.Helper()
	cmd := exec.Command(predictBin, "-model", model, "-json")
	cmd.Stdin = strings.NewReader(strings.Join(texts, "\n") + "\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("cmd/predict: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(texts) {
		t.Fatalf("cmd/predict answered %d lines for %d texts", len(lines), len(texts))
	}
	answers := map[string]string{}
	for i, text := range texts {
		answers[text] = lines[i]
	}
	return answers
}

// readShards returns the lines of every shard written under prefix.
func readShards(t *testing.T, prefix string) []string {
	t.Helper()
	names, err := filepath.Glob(prefix + "-[0-9][0-9][0-9][0-9][0-9]-of-*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, name := range names {
		f, err := os.Open(name)
		if err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(f)
		sc.Buffer(nil, 4<<20)
		for sc.Scan() {
			lines = append(lines, sc.Text())
		}
		f.Close()
		if err := sc.Err(); err != nil {
			t.Fatal(err)
		}
	}
	return lines
}

// writeWords writes words to score with a sequence-to-sequence model
// (G2P) into dir, and one longer than the model takes, which only the
// model refuses: the scorer finds it in its batch and sends it to the
// dead letters.
func writeWords(t *testing.T, dir string) (texts []string, failures []string) {
	t.Helper()
	texts = []string{"hello", "world", "yellow", "bold", "cold", "held", "howl", "dew", "owl", "led"}
	path := filepath.Join(dir, "words.txt")
	long := strings.Repeat("w", 60)
	if err := os.WriteFile(path, []byte(strings.Join(texts[:5], "\n")+"\n"+long+"\n"+strings.Join(texts[5:], "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	return texts, []string{path + ":6: "}
}

// TestPipeline runs the pipeline on the local runner with a model of each
// kind: a classifier over the built-in data (and the AG News evaluation
// rows when present), a tagger and a language model over the same texts,
// a G2P model over words. Every text is scored once, each output line equals cmd/predict
// -json for the same text, and the inputs that cannot be scored are in
// the dead-letter output with their file and line.
func TestPipeline(t *testing.T) {
	trainBin, predictBin := buildCommand(t, "./cmd/train"), buildCommand(t, "./cmd/predict")
	pairs := filepath.Join(t.TempDir(), "pairs.tsv")
	if err := os.WriteFile(pairs, []byte("hello\tHH AH L OW\nworld\tW ER L D\nhelp\tHH EH L P\nyellow\tY EH L OW\nold\tOW L D\n"+
		"well\tW EH L\ndew\tD UW\nbold\tB OW L D\ncold\tK OW L D\nhold\tHH OW L D\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name   string
		model  func(t *testing.T) string
		inputs func(t *testing.T, dir string) ([]string, []string)
	}{
		{"classifier", classifierDir, writeInputs},
		{"tagger", func(t *testing.T) string {
			return trainedDir(t, trainBin, "-task", "tag", "-builtin", "200", "-embed", "8", "-hidden", "8")
		}, writeInputs},
		{"language model", func(t *testing.T) string {
			return trainedDir(t, trainBin, "-task", "lm", "-builtin", "200", "-embed", "8", "-hidden", "8")
		}, writeInputs},
		{"seq2seq", func(t *testing.T) string {
			return trainedDir(t, trainBin, "-task", "seq2seq", "-data", pairs, "-val-split", "0.2", "-embed", "6", "-hidden", "6", "-max-source-len", "20")
		}, writeWords},
	} {
		t.Run(c.name, func(t *testing.T) {
			model := c.model(t)
			in, out := t.TempDir(), t.TempDir()
			texts, failures := c.inputs(t, in)
			cfg := config{Inputs: []string{filepath.Join(in, "*")}, Format: "auto", TextField: "text",
				Model: model, Output: filepath.Join(out, "scored"), Shards: 3, Batch: 16}
			var stderr bytes.Buffer
			if code := run(context.Background(), cfg, &stderr); code != exitOK {
				t.Fatalf("exit status %d: %s", code, stderr.String())
			}
			checkScored(t, readShards(t, filepath.Join(out, "scored")), predictJSON(t, predictBin, model, texts), texts)
			checkFailures(t, readShards(t, filepath.Join(out, "scored-errors")), failures)
		})
	}
}

// checkScored checks that the scored lines answer each of texts once,
// each as want has it.
func checkScored(t *testing.T, scored []string, want map[string]string, texts []string) {
	t.Helper()
	if len(scored) != len(texts) {
		t.Errorf("%d lines scored, want %d", len(scored), len(texts))
	}
	byTokens := map[string]string{} // a tagger's answers, by their tokens
	for text, line := range want {
		byTokens[strings.Join(strings.Fields(text), " ")] = line
	}
	seen := map[string]int{}
	for _, line := range scored {
		var answer struct {
			Text   string          `json:"text"`
			Tags   []string        `json:"tags"`   // a tagger's answer has its tokens and tags, not its text
			Tokens json.RawMessage `json:"tokens"` // a tagger's tokens are strings
		}
		if err := json.Unmarshal([]byte(line), &answer); err != nil {
			t.Fatalf("output line %q: %v", line, err)
		}
		text, w := answer.Text, want[answer.Text]
		if answer.Tags != nil {
			var tokens []string
			if err := json.Unmarshal(answer.Tokens, &tokens); err != nil {
				t.Fatalf("output line %q: %v", line, err)
			}
			text = strings.Join(tokens, " ")
			w = byTokens[text]
		}
		seen[text]++
		if line != w {
			t.Errorf("text %q:\n beamscore    %s\n cmd/predict  %s", text, line, w)
		}
	}
	for _, text := range texts {
		if seen[strings.Join(strings.Fields(text), " ")] == 0 && seen[text] == 0 {
			t.Errorf("text %q was not scored", text)
		}
	}
}

// checkFailures checks the dead letters against failures, each
// "file:line: error" or its start.
func checkFailures(t *testing.T, deadLetters, failures []string) {
	t.Helper()
	var got []string
	for _, line := range deadLetters {
		var f failure
		if err := json.Unmarshal([]byte(line), &f); err != nil {
			t.Fatalf("dead letter %q: %v", line, err)
		}
		got = append(got, fmt.Sprintf("%s:%d: %s", f.File, f.Line, f.Error))
	}
	sort.Strings(got)
	sort.Strings(failures)
	if len(got) != len(failures) {
		t.Fatalf("dead letters:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(failures, "\n"))
	}
	for i := range got {
		if !strings.HasPrefix(got[i], failures[i]) {
			t.Errorf("dead letter %q, want %q...", got[i], failures[i])
		}
	}
}

// TestUsage checks the settings refused before any pipeline runs.
func TestUsage(t *testing.T) {
	good := config{Inputs: []string{"x"}, Format: "auto", TextField: "text", Model: "m", Output: "o", Shards: 1}
	for _, c := range []struct {
		change func(*config)
		want   string
	}{
		{func(c *config) { c.Inputs = nil }, "-input is required"},
		{func(c *config) { c.Model = "" }, "-model is required"},
		{func(c *config) { c.Output = "" }, "-output is required"},
		{func(c *config) { c.Format = "xml" }, `-format "xml"`},
		{func(c *config) { c.Shards = 0 }, "-shards 0"},
		{func(c *config) { c.Batch = -1 }, "-batch -1"},
	} {
		cfg := good
		c.change(&cfg)
		var stderr bytes.Buffer
		if code := run(context.Background(), cfg, &stderr); code != exitUsage || !strings.Contains(stderr.String(), c.want) {
			t.Errorf("exit status %d, %q: want %d and %q", code, stderr.String(), exitUsage, c.want)
		}
	}
}

// TestReadLines checks line numbers, line ends and overlong lines.
func TestReadLines(t *testing.T) {
	long := strings.Repeat("x", maxLine+1)
	input := "first\r\nsecond\n\n" + long + "\nlast"
	var got []string
	err := readLines(strings.NewReader(input), func(n int, data []byte, tooLong bool) {
		got = append(got, fmt.Sprintf("%d %d %v", n, len(data), tooLong))
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"1 5 false", "2 6 false", "3 0 false", fmt.Sprintf("4 %d true", maxExcerpt), "5 4 false"}
	if strings.Join(got, ", ") != strings.Join(want, ", ") {
		t.Errorf("lines %v, want %v", got, want)
	}
}
