// Command beamscore labels a corpus with a trained gornn model of any
// kind (classifier, tagger, sequence to sequence, language model) in an
// Apache Beam
// pipeline: it reads texts from files (globs; one text a line, or JSON
// Lines), scores them in batches with a model directory loaded once per
// worker, and writes one JSON object per text to JSONL shards: the object
// cmd/predict -json prints for the same text (a sequence-to-sequence
// model decodes greedily, cmd/predict's default). Inputs it cannot score
// (a malformed JSON line, a missing text field, an empty text, a line over
// 1 MiB, a text the model refuses) go to a dead-letter output with their
// file and line, and the job goes on.
//
//	go run ./cmd/beamscore -model runs/X/best -input 'corpus/*.txt' -output scored/part
//	go run ./cmd/beamscore -model runs/X/best -input 'news/*.jsonl' -text-field body -output scored/part -shards 16
//
// It is a module of its own (cmd/beamscore/go.mod), so that gornn's main
// module does not carry the Beam SDK's dependencies; run it from this
// folder, or with go -C cmd/beamscore. It runs on the SDK's local runner
// (prism) by default; Beam's own flags pick another (see the README:
// -runner flink, spark or dataflow, and their endpoints).
//
// Exit status: 0 on success, 1 when the pipeline fails, 2 for bad usage.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/x/beamx"
	"github.com/pkg/errors"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// flags are beamscore's own; beam.Init adds the SDK's (-runner and the
// runners' options) to the same command line.
var (
	inputs     = flag.String("input", "", "comma-separated files or globs to score (required; any Beam filesystem: a local path, gs://...)")
	format     = flag.String("format", "auto", "input format: lines (one text a line), jsonl (one JSON object a line), or auto (jsonl for .jsonl and .json files, lines otherwise)")
	textField  = flag.String("text-field", "text", "jsonl: the key of the text")
	modelDir   = flag.String("model", "", "model directory written by cmd/train (required; a local path, or a Beam filesystem path copied to each worker)")
	output     = flag.String("output", "", "prefix of the JSONL shards written: PREFIX-00000-of-0000N.jsonl (required)")
	deadLetter = flag.String("dead-letter", "", "prefix of the dead-letter shards (inputs that could not be scored, with file and line); default: -output followed by -errors")
	shards     = flag.Int("shards", 4, "number of output shards (and of dead-letter shards); shards with nothing to write are not written")
	batchSize  = flag.Int("batch", 0, "texts scored together; 0: the models' predict batch, 64")
)

func main() {
	flag.Usage = func() {
		fmt.Fprintf(flag.CommandLine.Output(), "Usage: beamscore -model DIR -input GLOB[,GLOB...] -output PREFIX [flags]\n\n"+
			"Scores every text of the inputs with the model in an Apache Beam pipeline (the local runner unless -runner says otherwise).\n\nFlags:\n")
		flag.PrintDefaults()
	}
	flag.Parse()
	beam.Init() // a worker started by a runner stops here, serving the pipeline
	cfg := config{Inputs: splitList(*inputs), Format: *format, TextField: *textField, Model: *modelDir,
		Output: *output, DeadLetter: *deadLetter, Shards: *shards, Batch: *batchSize}
	os.Exit(run(context.Background(), cfg, os.Stderr))
}

// run builds the pipeline of cfg, runs it with the runner the flags name,
// and returns the exit status.
func run(ctx context.Context, cfg config, stderr io.Writer) int {
	if err := cfg.check(); err != nil {
		fmt.Fprintln(stderr, "beamscore:", err)
		return exitUsage
	}
	p, s := beam.NewPipelineWithRoot()
	if err := build(s, cfg); err != nil {
		fmt.Fprintln(stderr, "beamscore:", err)
		return exitUsage
	}
	if err := beamx.Run(ctx, p); err != nil {
		fmt.Fprintln(stderr, "beamscore:", err)
		return exitFailure
	}
	return exitOK
}

// splitList splits a comma-separated list, dropping empty items.
func splitList(s string) []string {
	var items []string
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			items = append(items, item)
		}
	}
	return items
}

// config is a pipeline's settings, from the flags.
type config struct {
	Inputs     []string // files or globs
	Format     string   // lines, jsonl or auto
	TextField  string   // jsonl: the text's key
	Model      string   // model directory
	Output     string   // prefix of the scored shards
	DeadLetter string   // prefix of the dead-letter shards; "" is Output + "-errors"
	Shards     int      // shards of each output
	Batch      int      // texts scored together; 0 the model kind's default
}

// check reports the first setting out of range.
func (c *config) check() error {
	switch {
	case len(c.Inputs) == 0:
		return errors.New("-input is required")
	case c.Model == "":
		return errors.New("-model is required")
	case c.Output == "":
		return errors.New("-output is required")
	case c.Format != "auto" && c.Format != formatLines && c.Format != formatJSONL:
		return errors.Errorf("-format %q: want lines, jsonl or auto", c.Format)
	case c.Format != formatLines && c.TextField == "":
		return errors.New("-text-field must not be empty")
	case c.Shards < 1:
		return errors.Errorf("-shards %d: must be at least 1", c.Shards)
	case c.Batch < 0:
		return errors.Errorf("-batch %d: must not be negative", c.Batch)
	}
	if c.DeadLetter == "" {
		c.DeadLetter = c.Output + "-errors"
	}
	return nil
}
