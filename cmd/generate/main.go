// Command generate continues a prompt with a language model directory
// written by cmd/train -task lm (format gornn-lm/1), streaming each token
// to standard output as it is produced:
//
//	go run ./cmd/generate -model runs/X/best -prompt "Stocks"
//	go run ./cmd/generate -model runs/X/best -prompt "Stocks" -temperature 0   # greedy
//	go run ./cmd/generate -model runs/X/best -prompt "The" -top-p 0.9 -count 3 -json
//
// Each sample is the prompt followed by its continuation, on a line of
// its own; with -json one object a line, {"prompt", "text", "tokens":
// [{"token", "logprob"}], "stopped", "seed"}. Generation stops at the
// model's end-of-text token, at -stop, or after -n tokens. Sample i of
// -count uses the seed -seed + i, so a seed gives the same text.
//
// Exit status: 0 on success, 1 on a runtime failure (a model directory of
// another format, a prompt none of whose tokens the model knows), 2 for
// bad usage.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/gornn/gornn/internal/gctarget"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// Exit statuses.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// MaxCount bounds -count.
const maxCount = 10_000

func main() {
	gctarget.Set()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// options are the command line.
type options struct {
	model, prompt, stop string
	n, count            int
	seed                uint64
	asJSON              bool
	sampling            models.Sampling
}

// usageError is a bad command line (exit status 2).
type usageError struct{ error }

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: generate -model DIR [-prompt TEXT] [-n TOKENS] [-temperature T] [-top-k K] [-top-p P] [-seed S] [-count N] [-stop TEXT] [-json]\n\n"+
			"Continues the prompt with a language model (cmd/train -task lm), streaming the tokens as they come.\n\nFlags:\n")
		fs.PrintDefaults()
	}
	fs.StringVar(&o.model, "model", "", "language model directory (config.json of format gornn-lm/1, vocab.txt, model.safetensors) (required)")
	fs.StringVar(&o.prompt, "prompt", "", "text to continue; empty: start a new text")
	fs.IntVar(&o.n, "n", models.DefaultGenerateTokens, fmt.Sprintf("most tokens to generate per sample, 1..%d", models.MaxGenerateTokens))
	fs.Float64Var(&o.sampling.Temperature, "temperature", 1, "divides the logits before sampling; 0: greedy (the most likely token each step)")
	fs.IntVar(&o.sampling.TopK, "top-k", 0, "sample among the K most likely tokens only; 0: all")
	fs.Float64Var(&o.sampling.TopP, "top-p", 1, "sample within the smallest set of most likely tokens whose probability reaches P, in (0, 1]")
	fs.Uint64Var(&o.seed, "seed", 1, "random seed of the first sample (sample i uses seed+i)")
	fs.IntVar(&o.count, "count", 1, fmt.Sprintf("samples to generate, 1..%d", maxCount))
	fs.StringVar(&o.stop, "stop", "", "stop a sample once its text contains this string")
	fs.BoolVar(&o.asJSON, "json", false, "print one JSON object per sample, with each token's log-probability")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	switch {
	case fs.NArg() > 0:
		return o, errors.Errorf("unexpected arguments %q (flags start with -; the prompt is -prompt)", fs.Args())
	case o.model == "":
		return o, errors.New("-model is required")
	case !(o.sampling.Temperature >= 0) || math.IsInf(o.sampling.Temperature, 0):
		return o, errors.Errorf("-temperature %v: want a number >= 0", o.sampling.Temperature)
	case !(o.sampling.TopP > 0 && o.sampling.TopP <= 1):
		return o, errors.Errorf("-top-p %v: want 0 < P <= 1", o.sampling.TopP)
	case o.sampling.TopK < 0:
		return o, errors.Errorf("-top-k %d: want K >= 0", o.sampling.TopK)
	case o.n < 1 || o.n > models.MaxGenerateTokens:
		return o, errors.Errorf("-n %d: want 1..%d tokens", o.n, models.MaxGenerateTokens)
	case o.count < 1 || o.count > maxCount:
		return o, errors.Errorf("-count %d: want 1..%d", o.count, maxCount)
	}
	return o, nil
}

func run(args []string, stdout, stderr io.Writer) int {
	o, err := parse(args, stderr)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "generate:", err)
		return exitUsage
	}
	if err := generate(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "generate:", err)
		return exitFailure
	}
	return exitOK
}

// generate loads the model and writes o.count samples.
func generate(o options, stdout, stderr io.Writer) error {
	format, err := models.ReadFormat(o.model)
	if err != nil {
		return err
	}
	if format != models.LMFormatV1 {
		return errors.Errorf("%s holds a model of format %q, not a language model (%s): generate needs cmd/train -task lm's output", o.model, format, models.LMFormatV1)
	}
	model, err := models.LoadLanguageModel(o.model, models.LMOptions{})
	if err != nil {
		return err
	}
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	for i := range o.count {
		seed := o.seed + uint64(i)
		opts := models.GenerateOptions{Sampling: o.sampling, MaxTokens: o.n, Stop: o.stop, Seed: seed}
		if !o.asJSON {
			fmt.Fprint(out, o.prompt)
			opts.OnToken = func(t models.GeneratedToken) error {
				if _, err := out.WriteString(t.Text); err != nil {
					return err
				}
				return out.Flush() // stream each token
			}
		}
		gen, err := model.Generate(o.prompt, opts)
		if err != nil {
			return err
		}
		if i == 0 && gen.PromptUnknown > 0 {
			fmt.Fprintf(stderr, "generate: warning: %d token(s) of the prompt are not in the vocabulary and read as <unk>\n", gen.PromptUnknown)
		}
		if !o.asJSON {
			fmt.Fprintln(out)
			continue
		}
		if err := enc.Encode(gen.Answer(o.prompt, seed)); err != nil {
			return err
		}
	}
	return nil
}
