// Command predict classifies texts with a model directory written by
// cmd/train (or by PyTorch in the same layout).
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
	"strings"

	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// maxLine is the longest standard-input line read (bytes).
const maxLine = 1 << 20

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("predict", flag.ContinueOnError)
	fs.SetOutput(stderr)
	modelDir := fs.String("model", "", "model directory (config.json, vocab.txt, model.safetensors) (required)")
	asJSON := fs.Bool("json", false, "print one JSON object per text")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: predict -model DIR [-json] [TEXT ...]\n\nClassifies the texts given, or standard input lines.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if err == flag.ErrHelp {
			return 0
		}
		return 2
	}
	if *modelDir == "" {
		fmt.Fprintln(stderr, "predict: -model is required")
		fs.Usage()
		return 2
	}
	model, err := models.Load(*modelDir, models.Options{})
	if err != nil {
		fmt.Fprintln(stderr, "predict:", err)
		return 1
	}
	texts := fs.Args()
	if len(texts) == 0 {
		if texts, err = readLines(stdin); err != nil {
			fmt.Fprintln(stderr, "predict:", err)
			return 1
		}
	}
	preds, err := model.Predict(texts)
	if err != nil {
		fmt.Fprintln(stderr, "predict:", err)
		return 1
	}
	labels := model.Config().Labels
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	for i, p := range preds {
		if *asJSON {
			probs := make(map[string]float64, len(labels))
			for j, l := range labels {
				probs[l] = p.Probabilities[j]
			}
			line, err := json.Marshal(struct {
				Text          string             `json:"text"`
				Label         string             `json:"label"`
				Probabilities map[string]float64 `json:"probabilities"`
			}{texts[i], p.Label, probs})
			if err != nil {
				fmt.Fprintln(stderr, "predict:", err)
				return 1
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
	return 0
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
