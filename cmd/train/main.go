// Command train trains a recurrent text classifier and writes a run
// directory with the best and last models, metrics.jsonl and curves.png.
//
// With no arguments it trains an LSTM on gornn's built-in dataset (no
// download), a task where word order decides the label. With -data it
// reads AG News CSV, CSV/TSV, JSON Lines or a folder per class:
//
//	go run ./cmd/train
//	go run ./cmd/train -data ../shared/data/ag_news/test.csv -train-rows 1:6000 -val-rows 6001:7600 -epochs 5
//	go run ./cmd/train -resume runs/20261129-101500
//
// With -task tag it trains a tagger (models.Tagger), a tag per token: on
// the built-in truecasing task (derived from AG News when the shared copy
// is there, from built-in text otherwise), or on CoNLL column files or
// JSON Lines of tokens and tags, with a softmax or a CRF, character
// features and pretrained word vectors:
//
//	go run ./cmd/train -task tag
//	go run ./cmd/train -task tag -data train.conll -val-data dev.conll -token-col 0 -tag-col 3 -scheme iob2 -crf -char-dim 25 -embeddings glove.6B.100d.txt -embed 100
//
// Built with -tags mpi (cgo and an MPI library), -mpi makes each process
// one rank of an MPI job, every task alike: each rank trains its share of
// every batch, and rank 0 writes the run (README, "Beyond one machine"):
//
//	go build -tags mpi -o gornn-train ./cmd/train
//	mpirun -np 2 ./gornn-train -mpi -workers 1
//
// A new run refuses an -out directory that already holds a run, unless
// -overwrite replaces it. run.json records the data paths made absolute,
// so -resume works from any working directory. Checkpoints are written
// whole (see train.Resume), so a run killed at any moment, kill -9
// included, resumes exactly or is refused with the reason.
//
// Exit status: 0 on success, 1 when training fails, 2 for bad usage, 130
// or 143 when interrupted by SIGINT or SIGTERM (the run is saved and can be
// resumed).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/gctarget"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
	"github.com/pkg/errors"
)

// Exit statuses.
const (
	exitOK          = 0
	exitFailure     = 1
	exitUsage       = 2
	exitInterrupted = 128 // plus the signal number
)

// argsFile records a run's options in its directory, for -resume.
const argsFile = "run.json"

// maxArgsFileBytes bounds the run.json -resume reads.
const maxArgsFileBytes = 1 << 20

// options are the command line, as recorded in run.json: the flags every
// task shares, and each task's own.
type options struct {
	Task string `json:"task"`

	Data       string  `json:"data"`
	ValData    string  `json:"val_data"`
	ValSplit   float64 `json:"val_split"`
	TrainRows  string  `json:"train_rows"`
	ValRows    string  `json:"val_rows"`
	Format     string  `json:"format"`
	LabelCol   string  `json:"label_col"`
	TextCols   string  `json:"text_cols"`
	TitlesOnly bool    `json:"titles_only"`
	Lenient    bool    `json:"lenient"`
	Builtin    int     `json:"builtin"`

	Cell          string  `json:"cell"`
	Layers        int     `json:"layers"`
	Bidirectional bool    `json:"bidirectional"`
	Embed         int     `json:"embed"`
	Hidden        int     `json:"hidden"`
	Dropout       float64 `json:"dropout"`
	Impl          string  `json:"impl"`

	Epochs      int     `json:"epochs"`
	Batch       int     `json:"batch"`
	LR          float64 `json:"lr"`
	Optimizer   string  `json:"optimizer"`
	Momentum    float64 `json:"momentum"`
	Clip        float64 `json:"clip"`
	WeightDecay float64 `json:"weight_decay"`
	Schedule    string  `json:"schedule"`
	MaxLen      int     `json:"max_len"`
	VocabSize   int     `json:"vocab_size"`
	MinFreq     int     `json:"min_freq"`
	Bucket      bool    `json:"bucket"`
	Seed        uint64  `json:"seed"`
	Patience    int     `json:"patience"`
	Workers     int     `json:"-"`

	Embeddings         string `json:"embeddings"`
	FreezeEmbeddings   bool   `json:"freeze_embeddings"`
	EmbeddingsAddWords bool   `json:"embeddings_add_words"`

	Classify classifyOptions `json:"classify"`
	Tag      tagOptions      `json:"tag"`
	Seq2Seq  seq2seqOptions  `json:"seq2seq"`
	LM       lmOptions       `json:"lm"`

	Out       string `json:"-"`
	Resume    string `json:"-"`
	Overwrite bool   `json:"-"`
	Quiet     bool   `json:"-"`

	MPI        bool          `json:"-"`
	MPITimeout time.Duration `json:"-"`
	job        mpiJob        // the MPI job of a -mpi run (runMPI), nil otherwise
}

// usageError is a bad command line (exit status 2).
type usageError struct{ error }

func main() {
	gctarget.Set()
	ctx, stop := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	var caught os.Signal
	go func() {
		caught = <-signals
		fmt.Fprintf(os.Stderr, "\n%v: finishing the current batch, then saving\n", caught)
		stop()
		signal.Stop(signals) // a second signal kills at once
	}()
	status := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	if status == exitInterrupted && caught != nil {
		status += int(caught.(syscall.Signal))
	}
	os.Exit(status)
}

// run is the command: it parses args, trains and reports, returning the
// exit status (exitInterrupted without the signal number).
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	opts, err := parse(args, stderr)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "train:", err)
		return exitUsage
	}
	if opts.MPI {
		return runMPI(ctx, opts, stdout, stderr)
	}
	return report(trainRun(ctx, opts, stdout, stderr), opts, stderr)
}

// report tells stderr how trainRun ended, with err, and returns the exit
// status.
func report(err error, opts options, stderr io.Writer) int {
	var usage usageError
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, train.ErrInterrupted):
		fmt.Fprintf(stderr, "interrupted: the run is saved in %s\nresume it with: go run ./cmd/train -resume %s\n", opts.Out, opts.Out)
		return exitInterrupted
	case errors.As(err, &usage):
		fmt.Fprintln(stderr, "train:", err)
		return exitUsage
	}
	fmt.Fprintln(stderr, "train:", err)
	return exitFailure
}

func parse(args []string, stderr io.Writer) (options, error) {
	var o options
	fs := flag.NewFlagSet("train", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: train [flags]\n\nTrains a recurrent model for a task: %s. With no flags it trains an LSTM classifier on the built-in dataset.\n\nFlags:\n", taskList())
		fs.PrintDefaults()
	}
	fs.StringVar(&o.Task, "task", "classify", "what to train: "+taskList())
	// data
	fs.StringVar(&o.Data, "data", "", "training data: a file (AG News CSV, CSV, TSV, JSON Lines) or a folder per class; empty: the built-in dataset")
	fs.StringVar(&o.ValData, "val-data", "", "validation data (same formats); default: -val-rows, else -val-split of the training data")
	fs.Float64Var(&o.ValSplit, "val-split", 0.1, "fraction of the training data held out for validation (stratified); 0: no validation")
	fs.StringVar(&o.TrainRows, "train-rows", "", "1-based inclusive rows FROM:TO of -data to train on (e.g. 1:6000); default all")
	fs.StringVar(&o.ValRows, "val-rows", "", "rows FROM:TO of -val-data (or of -data) to validate on (e.g. 6001:7600)")
	fs.StringVar(&o.Format, "format", "auto", "data format: auto, agnews, csv, tsv, jsonl or dir (-task seq2seq: auto, tsv or cmudict; -task lm: auto, text, jsonl or agnews)")
	fs.StringVar(&o.LabelCol, "label-col", "label", "label column (csv, tsv: name or 0-based index) or key (jsonl)")
	fs.StringVar(&o.TextCols, "text-cols", "text", "comma-separated text columns or keys, joined with a space (-task lm on AG News: title, description or both, the default)")
	fs.BoolVar(&o.TitlesOnly, "titles-only", false, "AG News: use the titles only (as the Keras lesson does)")
	fs.BoolVar(&o.Lenient, "lenient", false, "skip malformed rows (reported) instead of failing")
	fs.IntVar(&o.Builtin, "builtin", 4000, "examples of the built-in dataset, when -data is empty")
	// model
	fs.StringVar(&o.Cell, "cell", "lstm", "recurrent cell: rnn_tanh, rnn_relu, lstm or gru")
	fs.IntVar(&o.Layers, "layers", 1, "stacked recurrent layers")
	fs.BoolVar(&o.Bidirectional, "bidirectional", false, "add a reverse direction to every layer")
	fs.IntVar(&o.Embed, "embed", 64, "embedding size")
	fs.IntVar(&o.Hidden, "hidden", 32, "hidden state size")
	fs.Float64Var(&o.Dropout, "dropout", 0, "dropout between recurrent layers")
	fs.StringVar(&o.Impl, "impl", "fused", "graph implementation: fused or composed (the slower reference)")
	fs.StringVar(&o.Embeddings, "embeddings", "", "pretrained word vectors for the embedding: GloVe, word2vec text or fastText .vec (header line or not); -embed must be their dimension")
	fs.BoolVar(&o.FreezeEmbeddings, "freeze-embeddings", false, "keep the word embedding as it is while the rest trains (with -embeddings: the pretrained vectors)")
	fs.BoolVar(&o.EmbeddingsAddWords, "embeddings-add-words", false, "add the -embeddings file's words the training data lack to the vocabulary (up to -vocab-size tokens in all; 0: every word)")
	// training
	fs.IntVar(&o.Epochs, "epochs", 5, "passes over the training data")
	fs.IntVar(&o.Batch, "batch", datasets.DefaultBatchSize, "batch size")
	fs.Float64Var(&o.LR, "lr", 1e-3, "learning rate")
	fs.StringVar(&o.Optimizer, "optimizer", "adam", "optimizer: sgd, adam, rmsprop or adagrad")
	fs.Float64Var(&o.Momentum, "momentum", 0, "momentum of sgd and rmsprop")
	fs.Float64Var(&o.Clip, "clip", 0, "clip gradients to this global 2-norm; 0: no clipping")
	fs.Float64Var(&o.WeightDecay, "weight-decay", 0, "L2 weight decay")
	fs.StringVar(&o.Schedule, "schedule", "constant", "learning-rate schedule: constant, step, cosine, warmup, warmup_cosine or plateau (divided by 4 after an epoch without a better validation objective)")
	fs.IntVar(&o.MaxLen, "max-len", 0, "truncate texts to this many tokens; 0: no truncation")
	fs.IntVar(&o.VocabSize, "vocab-size", 20000, "largest vocabulary, <pad> and <unk> included; 0: no limit")
	fs.IntVar(&o.MinFreq, "min-freq", 1, "drop tokens seen fewer times in the training data")
	fs.BoolVar(&o.Bucket, "bucket", false, "batch rows of similar length together (less padding, faster)")
	fs.Uint64Var(&o.Seed, "seed", 1, "random seed: weights, batch order, dropout, split")
	fs.IntVar(&o.Patience, "patience", 0, "stop after this many epochs without a better validation objective (accuracy, loss, ...); 0: never")
	fs.IntVar(&o.Workers, "workers", runtime.NumCPU(), "data-parallel workers")
	// output
	fs.StringVar(&o.Out, "out", "", `run directory; default "runs/" and the start time`)
	fs.StringVar(&o.Resume, "resume", "", "continue the interrupted run in this directory (its options are reused)")
	fs.BoolVar(&o.Overwrite, "overwrite", false, "replace the run already in -out (default: refuse to mix two runs)")
	fs.BoolVar(&o.Quiet, "quiet", false, "no progress output")
	// MPI
	fs.BoolVar(&o.MPI, "mpi", false, "be one rank of an MPI job (mpirun -np N gornn-train -mpi ...; a binary built with -tags mpi): each rank trains its share of every batch, rank 0 writes the run")
	fs.DurationVar(&o.MPITimeout, "mpi-timeout", mpiTimeoutDefault, "with -mpi: fail, naming the ranks waited for, when the other ranks have not reached a step after this long; 0: wait forever")
	for _, t := range tasks {
		t.flags(fs, &o)
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if _, ok := taskNamed(o.Task); !ok {
		return o, errors.Errorf("-task %q: want %s", o.Task, taskList())
	}
	if fs.NArg() > 0 {
		return o, errors.Errorf("unexpected arguments %q (flags start with -)", fs.Args())
	}
	if o.Resume == "" {
		return o, nil
	}
	return resumeOptions(o, fs)
}

// resumeOptions reads the run's recorded options; only -epochs, -workers
// and -quiet may be given again.
func resumeOptions(o options, fs *flag.FlagSet) (options, error) {
	var bad []string
	fs.Visit(func(f *flag.Flag) {
		switch f.Name {
		case "resume", "epochs", "workers", "quiet", "mpi", "mpi-timeout":
		default:
			bad = append(bad, "-"+f.Name)
		}
	})
	if len(bad) > 0 {
		return o, errors.Errorf("-resume reuses the run's options; %s cannot change", strings.Join(bad, ", "))
	}
	data, err := regularfile.ReadFile(filepath.Join(o.Resume, argsFile), maxArgsFileBytes)
	if err != nil {
		return o, errors.Wrap(err, "-resume")
	}
	saved := o
	if err := json.Unmarshal(data, &saved); err != nil {
		return o, errors.Wrapf(err, "-resume: %s", filepath.Join(o.Resume, argsFile))
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "epochs" {
			saved.Epochs = o.Epochs
		}
	})
	saved.Out = o.Resume
	return saved, nil
}

// source returns the data source of the options (tokenizer and
// vocabulary bounds included); a task adds what it needs.
func (o options) source() (datasets.Source, error) {
	trainRows, err := datasets.ParseRows(o.TrainRows)
	if err != nil {
		return datasets.Source{}, usageError{errors.Wrap(err, "-train-rows")}
	}
	valRows, err := datasets.ParseRows(o.ValRows)
	if err != nil {
		return datasets.Source{}, usageError{errors.Wrap(err, "-val-rows")}
	}
	valSplit := o.ValSplit
	if valSplit == 0 {
		valSplit = -1
	}
	return datasets.Source{
		Path: o.Data, ValPath: o.ValData, TrainRows: trainRows, ValRows: valRows, ValSplit: valSplit,
		BuiltinSize: o.Builtin, Seed: o.Seed,
		Load: datasets.LoadOptions{
			Format: datasets.Format(o.Format), LabelCol: o.LabelCol, TextCols: strings.Split(o.TextCols, ","),
			TitlesOnly: o.TitlesOnly, Lenient: o.Lenient,
		},
		Vocab: datasets.VocabOptions{MaxSize: o.VocabSize, MinFreq: o.MinFreq},
	}, nil
}

// check reports the first common option out of range, as a usage error.
func (o options) check() error {
	bad := func(format string, args ...any) error { return usageError{errors.Errorf(format, args...)} }
	if o.ValSplit < 0 || o.ValSplit >= 1 {
		return bad("-val-split %v: want 0 <= F < 1", o.ValSplit)
	}
	if _, err := graph.ParseCell(o.Cell); err != nil {
		return usageError{err}
	}
	if _, err := o.impl(); err != nil {
		return err
	}
	type intFlag struct {
		name  string
		value int
	}
	positive := []intFlag{{"-embed", o.Embed}, {"-hidden", o.Hidden}, {"-layers", o.Layers}, {"-epochs", o.Epochs}, {"-batch", o.Batch}, {"-workers", o.Workers}}
	if o.Data == "" {
		positive = append(positive, intFlag{"-builtin", o.Builtin}) // 0 would mean the library's default size
	}
	for _, p := range positive {
		if p.value <= 0 {
			return bad("%s %d: must be positive", p.name, p.value)
		}
	}
	for _, l := range []struct {
		intFlag
		max int
	}{{intFlag{"-embed", o.Embed}, models.MaxEmbedDim}, {intFlag{"-hidden", o.Hidden}, models.MaxHiddenSize}, {intFlag{"-layers", o.Layers}, models.MaxNumLayers}} {
		if l.value > l.max {
			return bad("%s %d: over the limit of %d", l.name, l.value, l.max)
		}
	}
	for _, p := range []intFlag{{"-max-len", o.MaxLen}, {"-min-freq", o.MinFreq}, {"-patience", o.Patience}} {
		if p.value < 0 {
			return bad("%s %d: must not be negative", p.name, p.value)
		}
	}
	if o.VocabSize < 0 || o.VocabSize == 1 {
		return bad("-vocab-size %d: want 0 (no limit) or at least 2 (<pad> and <unk>)", o.VocabSize)
	}
	return nil
}

// impl returns the graph implementation -impl names.
func (o options) impl() (graph.Impl, error) {
	switch o.Impl {
	case "fused":
		return graph.Fused, nil
	case "composed":
		return graph.Composed, nil
	}
	return 0, usageError{errors.Errorf("-impl %q: want fused or composed", o.Impl)}
}

// recurrent returns the recurrent stack the options describe (the stack
// every task's model is built around), checked.
func (o options) recurrent(inputSize int) (graph.RecurrentConfig, error) {
	cell, err := graph.ParseCell(o.Cell)
	if err != nil {
		return graph.RecurrentConfig{}, usageError{err}
	}
	cfg := graph.RecurrentConfig{Cell: cell, InputSize: inputSize, HiddenSize: o.Hidden, NumLayers: o.Layers, Bidirectional: o.Bidirectional, Dropout: o.Dropout}
	if err := cfg.Validate(); err != nil {
		return cfg, usageError{errors.Wrapf(err, "-layers %d -dropout %v", o.Layers, o.Dropout)}
	}
	return cfg, nil
}

// trainConfig returns the trainer's settings.
func (o options) trainConfig() train.Config {
	return train.Config{
		Epochs: o.Epochs, BatchSize: o.Batch, Bucket: o.Bucket, Optimizer: o.Optimizer, LR: o.LR,
		Momentum: o.Momentum, WeightDecay: o.WeightDecay, Clip: o.Clip, Schedule: o.Schedule, Patience: o.Patience,
		Workers: o.Workers, Seed: o.Seed, OutDir: o.Out,
	}
}

func trainRun(ctx context.Context, o options, stdout, stderr io.Writer) error {
	if o.Out == "" {
		o.Out = filepath.Join("runs", time.Now().Format("20060102-150405"))
	}
	if err := o.check(); err != nil {
		return err
	}
	t, _ := taskNamed(o.Task)
	if err := t.check(&o); err != nil {
		return err
	}
	trainCfg := o.trainConfig()
	writes := o.job == nil || o.job.Rank() == 0 // of an MPI job's ranks, rank 0 alone writes the run
	if o.job != nil {
		trainCfg.Group, ctx = o.job, o.job.Watch(ctx)
		if !writes {
			trainCfg.OutDir = ""
		}
	}
	if o.Resume == "" && writes {
		if err := claimRunDir(o.Out, o.Overwrite); err != nil {
			return err
		}
	}
	if !o.Quiet && writes {
		trainCfg.Progress = stderr
	}
	data, err := t.prepare(&o, stdout)
	if err != nil {
		return err
	}
	if o.Resume != "" && !writes {
		if err := resumeInTurn(o.job); err != nil { // after rank 0 has recovered the run directory
			return err
		}
	}
	var model models.Model
	if o.Resume != "" {
		if err := train.RecoverRun(o.Out); err != nil { // before the model in last/ is trusted
			return err
		}
		model, err = t.load(&o, data, filepath.Join(o.Out, train.LastDir))
	} else {
		model, err = t.model(&o, data)
	}
	if err != nil {
		return err
	}
	t.describe(stdout, &o, model)
	trainer, err := train.New(model, trainCfg)
	if err != nil {
		return usageError{err}
	}
	if o.Resume != "" {
		if err := trainer.Resume(o.Out); err != nil {
			return err
		}
		if writes {
			if err := resumeInTurn(o.job); err != nil { // the other ranks may read the run directory now
				return err
			}
		}
	} else if writes {
		if err := saveOptions(o); err != nil {
			return err
		}
	}
	result, err := trainer.Fit(ctx, data.train, data.val)
	if err != nil {
		return err
	}
	if writes {
		summarize(stdout, o.Out, o.Task, result)
	}
	return nil
}

// runFiles are the entries of a run directory that a run writes.
var runFiles = []string{argsFile, train.MetricsFile, train.CurvesFile, train.BestDir, train.LastDir}

// claimRunDir makes sure a new run does not mix with one already in dir:
// when dir holds any of runFiles, it refuses (a usage error) unless
// overwrite is set, and then removes them. Other files in dir are left
// alone.
func claimRunDir(dir string, overwrite bool) error {
	var found []string
	for _, name := range runFiles {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			found = append(found, name)
		}
	}
	if len(found) == 0 {
		return nil
	}
	if !overwrite {
		return usageError{errors.Errorf("-out %s already holds a run (%s): continue it with -resume %s, or replace it with -overwrite",
			dir, strings.Join(found, ", "), dir)}
	}
	for _, name := range found {
		if err := os.RemoveAll(filepath.Join(dir, name)); err != nil {
			return errors.Wrap(err, "-overwrite")
		}
	}
	return nil
}

// saveOptions records the run's options in its directory, with the data
// paths made absolute so that -resume works from any working directory.
func saveOptions(o options) error {
	if err := os.MkdirAll(o.Out, 0o755); err != nil {
		return errors.Wrap(err, "run directory")
	}
	for _, path := range []*string{&o.Data, &o.ValData, &o.Embeddings, &o.Seq2Seq.TargetData, &o.Seq2Seq.ValTargetData} {
		if *path == "" {
			continue
		}
		abs, err := filepath.Abs(*path)
		if err != nil {
			return errors.Wrapf(err, "run directory: recording %s", *path)
		}
		*path = abs
	}
	return atomicfile.WriteJSON(filepath.Join(o.Out, argsFile), o)
}

// reportSkipped lists the rows a lenient load left out of the sources and
// encodings of data.
func reportSkipped(w io.Writer, data *datasets.Prepared) {
	var skipped []string
	note := func(ds *datasets.Dataset, rows []datasets.SkippedRow) {
		for _, r := range rows {
			skipped = append(skipped, ds.Describe(r))
		}
	}
	note(data.TrainSource, data.TrainSource.Skipped)
	note(data.TrainSource, data.Train.Skipped)
	if data.ValSource != nil {
		note(data.ValSource, data.ValSource.Skipped)
		if data.Val != nil {
			note(data.ValSource, data.Val.Skipped)
		}
	}
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(w, "skipped %d malformed or empty rows (-lenient):\n", len(skipped))
	for i, line := range skipped {
		if i == maxSkippedShown {
			fmt.Fprintf(w, "  ... and %d more\n", len(skipped)-i)
			break
		}
		fmt.Fprintf(w, "  %s\n", line)
	}
}

// maxSkippedShown bounds the skipped rows report lists one by one.
const maxSkippedShown = 20

// summarize tells w how the run ended and where its model is, with the
// command that uses it (cmd/generate for a language model).
func summarize(w io.Writer, out, task string, result *train.Result) {
	if len(result.Epochs) == 0 {
		return
	}
	last := result.Epochs[len(result.Epochs)-1]
	fmt.Fprintf(w, "done (%s): %d epochs", result.Stopped, last.Epoch)
	if acc, ok := last.Train["accuracy"]; ok {
		fmt.Fprintf(w, ", train accuracy %.4f", acc)
	}
	if i := result.BestEpoch - 1; i >= 0 && i < len(result.Epochs) {
		best := result.Epochs[i]
		value := best.ValLoss
		if v, ok := best.Val[best.Objective]; ok {
			value = v
		}
		fmt.Fprintf(w, ", best validation %s %.4f (epoch %d)", best.Objective, value, best.Epoch)
		if ppl, ok := best.Val["perplexity"]; ok {
			fmt.Fprintf(w, ", perplexity %.2f", ppl)
		}
		if details, ok := best.ValDetails.(map[string]any); ok && details["report"] != nil {
			fmt.Fprintf(w, "\nvalidation report (epoch %d):\n%s", best.Epoch, strings.TrimSuffix(fmt.Sprint(details["report"]), "\n"))
		}
	}
	fmt.Fprintf(w, "\nmodel: %s\nmetrics: %s, %s\npredict: go run ./cmd/predict -model %s \"some text\"\n",
		filepath.Join(out, train.BestDir), filepath.Join(out, train.MetricsFile), filepath.Join(out, train.CurvesFile), filepath.Join(out, train.BestDir))
	if task == "lm" {
		fmt.Fprintf(w, "generate: go run ./cmd/generate -model %s -prompt \"Some\"\n", filepath.Join(out, train.BestDir))
	}
}
