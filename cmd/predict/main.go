// Command predict runs a model directory written by cmd/train (or by
// PyTorch in the same layout) over texts: the kind of model, named by the
// "format" of its config.json, says what it answers. A classifier
// (gornn-classifier/1) labels each text; a tagger (gornn-tagger/1) tags
// each token of each text, its tokens split on white space, printing
// token/TAG pairs or, with -json, the tokens, tags, probabilities (softmax)
// or Viterbi score (CRF), and spans; a language model (gornn-lm/1) gives
// each text's perplexity, and with -json the log-probability of each of
// its tokens.
//
//	go run ./cmd/predict -model runs/X/best "the match was not good"
//	echo "stocks fell sharply" | go run ./cmd/predict -model runs/X/best -json
//
// Texts come from the arguments or, when there are none, from standard
// input, one a line. Each answer is the label and the probability of every
// label, or with -json one object a line:
//
//	{"text": "...", "label": "Sports", "probabilities": {"World": 0.01, ...}}
//
// Exit status: 0 on success, 1 on a runtime failure, 2 for bad usage.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/gornn/gornn/internal/gctarget"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

func main() {
	gctarget.Set()
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// maxLine is the longest standard-input line read (bytes).
const maxLine = 1 << 20

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelDir := fs.String("model", "", "model directory (config.json, vocab.txt, model.safetensors) (required)")
	asJSON := fs.Bool("json", false, "print one JSON object per text")
	seq2seqFlags.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: predict -model DIR [-json] [TEXT ...]\n\nRuns the model over the texts given, or standard input lines: a classifier's labels, a tagger's tags, a language model's perplexities.\n%s\n\nFlags:\n", seq2seqUsage())
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if err := seq2seqFlags.check(); err != nil {
		fmt.Fprintln(stderr, "predict:", err)
		return 2
	}
	if *modelDir == "" {
		fmt.Fprintln(stderr, "predict: -model is required")
		fs.Usage()
		return 2
	}
	format, err := models.ReadFormat(*modelDir)
	if err != nil {
		fmt.Fprintln(stderr, "predict:", err)
		return 1
	}
	predict, ok := predictors[format]
	if !ok {
		fmt.Fprintf(stderr, "predict: %s holds a model of format %q, which predict does not know (want one of %s)\n", *modelDir, format, formatList())
		return 1
	}
	texts := fs.Args()
	if len(texts) == 0 {
		if texts, err = readLines(stdin); err != nil {
			fmt.Fprintln(stderr, "predict:", err)
			return 1
		}
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	if err := predict(*modelDir, texts, *asJSON, out); err != nil {
		fmt.Fprintln(stderr, "predict:", err)
		return 1
	}
	return 0
}

// A predictor loads the model directory dir and writes its answers for
// texts to out, one line each (a JSON object with asJSON).
type predictor func(dir string, texts []string, asJSON bool, out io.Writer) error

// predictors are the predictors by model format.
var predictors = map[string]predictor{
	models.FormatV1:        classify,
	models.TaggerFormatV1:  tag,
	models.Seq2SeqFormatV1: translate,
	models.LMFormatV1:      perplexity,
}

// formatList returns the known formats, for messages.
func formatList() string {
	names := make([]string, 0, len(predictors))
	for name := range predictors {
		names = append(names, name)
	}
	sort.Strings(names)
	return strings.Join(names, ", ")
}

// classify labels each text: the label and the probability of every
// label, or with asJSON a models.Answer {"text", "label", "probabilities"}.
func classify(dir string, texts []string, asJSON bool, out io.Writer) error {
	model, err := models.Load(dir, models.Options{})
	if err != nil {
		return err
	}
	preds, err := model.Predict(texts)
	if err != nil {
		return err
	}
	labels := model.Config().Labels
	for i, p := range preds {
		if asJSON {
			line, err := json.Marshal(model.Answer(texts[i], p))
			if err != nil {
				return err
			}
			fmt.Fprintf(out, "%s\n", line)
			continue
		}
		parts := make([]string, len(labels))
		for j, l := range labels {
			parts[j] = fmt.Sprintf("%s %.3f", l, p.Probabilities[j])
		}
		fmt.Fprintf(out, "%s\t%s\t%s\n", p.Label, strings.Join(parts, ", "), texts[i])
	}
	return nil
}

func readLines(r io.Reader) ([]string, error) {
	var lines []string
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := sc.Err(); err != nil {
		return nil, errors.Wrapf(err, "standard input line %d", len(lines)+1)
	}
	return lines, nil
}
