// Command bench runs gornn and PyTorch side by side on the same CPU, the
// same data, the same batches and the same initial weights, and prints a
// Markdown table of their training and inference speed, utilization and
// memory, and a table of their latency for one text at a time:
//
//	go run ./cmd/bench                          # rnn, lstm, gru, bilstm; train, infer, latency; 3 repeats
//	go run ./cmd/bench -configs lstm -steps 50 -torch-setting openmp:2:2  # a quick look
//	go run ./cmd/bench -accuracy                # evaluation accuracy per epoch, both sides
//	go run ./cmd/bench -task tag                # the BiLSTM tagger and the BiLSTM-CRF; train, infer (Viterbi)
//	go run ./cmd/bench -task tag -accuracy -epochs 3   # their token accuracy per epoch
//	go run ./cmd/bench -task seq2seq            # G2P on CMUdict: training, greedy and beam-5 decoding (seq2seq.go)
//	go run ./cmd/bench -serve                   # model servers: cmd/serve vs FastAPI + uvicorn + PyTorch (serve.go)
//
// With -task tag the models are taggers (models.Tagger, gornn_torch.Tagger
// with a batched CRF) on the truecasing task built from the same AG News
// rows (datasets.TruecaseAGNews: each description's tokens lowercased and
// tagged by their case); inference decodes (Viterbi for the CRF) and
// counts the tokens tagged right, and the plans carry per-token tags.
// The data are rows 1..6000 of the shared AG News test split (-data to
// use another file; the built-in dataset, saying so, when the file is
// absent), tokenized with basic_english, with a vocabulary of at most
// 20000 tokens. The parent process prepares everything once and writes,
// per config, a run directory: the model's initial weights (a
// models.Classifier directory) and a plan file with every padded batch
// (see plan.go). Each measured run is then a separate process, so that its
// peak RSS is its own: this binary re-executed in a hidden worker mode for
// gornn, and torch_bench.py under -python for PyTorch, which loads the same
// weights into the equivalent torch.nn module (gornn_torch.py) and runs
// the same batches. Both time only the batches after the first (a warm-up;
// gornn also compiles every graph shape it needs before timing) and report
// JSON. The two sides alternate, gornn first on odd repeats.
//
// PyTorch runs at its fastest setting: before measuring a config in a
// mode, a search times each OpenBLAS build, OpenBLAS thread count and
// torch thread count on a few batches and keeps the fastest (see
// torchsetting.go; -torch-setting skips it). Utilization is the achieved
// GFLOP/s of the matrix products (modelFLOPs) against the machine's peak:
// gornn's SGEMM at its best on one core (internal/gemm), measured in the
// run, times gornn's cores. The latency mode sends one 40-token text at a
// time through models.Classifier.PredictIDs and through the PyTorch module.
//
// Without PyTorch (the -python interpreter missing or unable to import
// torch) gornn runs alone and the output says why.
//
// Exit status: 0 on success, 1 when a run fails, 2 for bad usage.
package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
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

// maxVocab bounds the vocabulary, <pad> and <unk> included.
const maxVocab = 20000

// benchConfig is one model the benchmark runs, with its batch size.
type benchConfig struct {
	name    string
	model   models.Config
	batch   int
	latency bool                 // also measured in the latency mode
	tagger  *models.TaggerConfig // a tagger (model unused); nil for a classifier
}

// speedConfigs are the models of the speed comparison: the lesson's and
// the issue's. The latency mode runs the lesson's LSTM and the BiLSTM.
var speedConfigs = []benchConfig{
	{"rnn", models.Config{Cell: graph.RNNTanh, EmbedDim: 64, HiddenSize: 32, Pooling: graph.MeanAll, Padded: true}, 16, false, nil},
	{"lstm", models.Config{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 32, Pooling: graph.Last}, 16, true, nil},
	{"gru", models.Config{Cell: graph.GRU, EmbedDim: 64, HiddenSize: 128, Pooling: graph.Last}, 64, false, nil},
	{"bilstm", models.Config{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 128, NumLayers: 2, Bidirectional: true, Pooling: graph.Last}, 64, true, nil},
}

// accuracyConfigs are the models of the accuracy comparison: all with
// batch 16, embedding 64 and hidden size 32.
var accuracyConfigs = []benchConfig{
	{"rnn", models.Config{Cell: graph.RNNTanh, EmbedDim: 64, HiddenSize: 32, Pooling: graph.MeanAll, Padded: true}, 16, false, nil},
	{"lstm", models.Config{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 32, Pooling: graph.Last}, 16, false, nil},
	{"bilstm", models.Config{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 32, NumLayers: 2, Bidirectional: true, Pooling: graph.Last}, 16, false, nil},
}

// String describes the config, e.g. "2-layer bidirectional LSTM h128, b64,
// e64, last, packed".
func (c benchConfig) String() string {
	if c.tagger != nil {
		return c.taggerString()
	}
	m := c.model
	var s strings.Builder
	if m.NumLayers > 1 {
		fmt.Fprintf(&s, "%d-layer ", m.NumLayers)
	}
	if m.Bidirectional {
		s.WriteString("bidirectional ")
	}
	cell := map[graph.Cell]string{graph.RNNTanh: "RNN tanh", graph.RNNReLU: "RNN relu", graph.LSTM: "LSTM", graph.GRU: "GRU"}[m.Cell]
	packing := "packed"
	if m.Padded {
		packing = "padded"
	}
	fmt.Fprintf(&s, "%s h%d, b%d, e%d, %s, %s", cell, m.HiddenSize, c.batch, m.EmbedDim, m.Pooling, packing)
	return s.String()
}

// options are the command line.
type options struct {
	task      string // classify or tag
	data      string
	configs   []benchConfig
	modes     []string
	repeats   int
	steps     int
	threads   int
	torch     *torchSetting // -torch-setting, or -accuracy's default; nil: search
	trials    int           // -trial-steps
	requests  int           // -requests
	bucket    bool
	seed      uint64
	python    string
	jsonOut   string
	workdir   string
	idleWait  time.Duration
	accuracy  bool
	lm        bool            // -lm: the language models
	lmConfigs []lmBenchConfig // -lm's configs
	epochs    int
	trainRows datasets.Rows
	evalRows  datasets.Rows
	serve     serveOptions // -serve and its flags (serve.go)
	args      []string     // as given, for the report
}

func main() {
	gctarget.Set()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run is the command, returning its exit status. "-worker" as the first
// argument selects the hidden worker mode (see runWorker).
func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "-worker" {
		return runWorker(args, stdout, stderr)
	}
	if len(args) > 0 && args[0] == seq2seqWorkerFlag {
		return runSeq2SeqWorker(args, stdout, stderr)
	}
	if taskArg(args) == "seq2seq" {
		return runSeq2Seq(args, stdout, stderr)
	}
	o, err := parse(args, stderr)
	if err == flag.ErrHelp {
		return exitOK
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitUsage
	}
	compare := bench
	switch {
	case o.serve.on:
		compare = benchServe
	case o.lm:
		compare = benchLM
	}
	if err := compare(o, stdout, stderr); err != nil {
		fmt.Fprintln(stderr, "bench:", err)
		return exitFailure
	}
	return exitOK
}

func parse(args []string, stderr io.Writer) (options, error) {
	o := options{args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(stderr, `Usage: go run ./cmd/bench [flags]

Runs gornn and PyTorch alternately, each measured run in its own process,
over the same batches from the same initial weights, and prints a Markdown
table of tokens/s, GFLOP/s and their share of the machine's peak, ms/step
and peak RSS, and a table of the latency of one text at a time. PyTorch
runs at the fastest setting (OpenBLAS build and threads, torch threads) a
short search finds for each config and mode, unless -torch-setting names
one. With -accuracy it trains both on rows 1..6000 and compares their
accuracy on rows 6001..7600 after each epoch.

Configs (speed; Adam, lr 1e-3):
`)
		for _, c := range speedConfigs {
			fmt.Fprintf(stderr, "  %-7s %s\n", c.name, c)
		}
		fmt.Fprintln(stderr, "Configs (-accuracy):")
		for _, c := range accuracyConfigs {
			fmt.Fprintf(stderr, "  %-7s %s\n", c.name, c)
		}
		fmt.Fprintln(stderr, "Configs (-task tag, speed and -accuracy):")
		for _, c := range tagConfigs {
			fmt.Fprintf(stderr, "  %-10s %s\n", c.name, c)
		}
		fmt.Fprint(stderr, `
Exit status: 0 on success (also when PyTorch is unavailable: gornn runs
alone, and the output says so), 1 when a run fails, 2 for bad usage.

Flags:
`)
		fs.PrintDefaults()
	}
	agnews, _ := datasets.AGNewsDir()
	var configs, modes, trainRows, evalRows, setting, concurrency, torchWorkers string
	fs.StringVar(&o.task, "task", "classify", "what to compare: classify (the classifiers above) or tag (the taggers below, on truecasing built from the same AG News rows)")
	fs.StringVar(&o.data, "data", "", "AG News CSV file (default: test.csv in "+agnews+"; the built-in dataset when that is absent)")
	fs.StringVar(&trainRows, "train-rows", "1:6000", "rows FROM:TO of the data to train (and measure) on")
	fs.StringVar(&evalRows, "eval-rows", "6001:7600", "rows FROM:TO to evaluate on (-accuracy)")
	fs.StringVar(&configs, "configs", "", "comma-separated configs (default: all of the mode's, see above)")
	fs.StringVar(&modes, "modes", "train,infer,latency", "comma-separated modes: train (forward, backward, Adam step), infer (forward only), latency (one "+
		strconv.Itoa(latencyTokens)+"-token text per request, lstm and bilstm only), mpi (gornn's training as -threads MPI ranks of 1 worker "+
		"against 1 process of -threads workers; a binary built with -tags mpi, and mpirun)")
	fs.IntVar(&o.repeats, "repeats", 3, "measured runs of each side per config and mode")
	fs.IntVar(&o.steps, "steps", 0, "measure only this many batches after the warm-up one; 0: the whole epoch")
	fs.IntVar(&o.requests, "requests", 200, "timed requests of a latency run, after a warm-up one")
	fs.IntVar(&o.threads, "threads", runtime.NumCPU(), "gornn's workers and GOMAXPROCS; PyTorch's settings try 1 and this many threads")
	fs.StringVar(&setting, "torch-setting", "", "run PyTorch with this setting instead of searching for the fastest: VARIANT:BLAS:TORCH, "+
		"the OpenBLAS build (pthread, openmp, or system: LD_LIBRARY_PATH left alone), OPENBLAS_NUM_THREADS and torch.set_num_threads, e.g. openmp:2:2")
	fs.IntVar(&o.trials, "trial-steps", 8, "batches each PyTorch setting is timed on in the search (latency: every request)")
	fs.BoolVar(&o.bucket, "bucket", false, "batch rows of similar length together (default: the lesson's shuffled batches)")
	fs.Uint64Var(&o.seed, "seed", 1, "seed of the initial weights and the batch order")
	fs.StringVar(&o.python, "python", "/usr/bin/python3", "Python interpreter with PyTorch")
	fs.StringVar(&o.jsonOut, "json", "", "also write the raw results to this JSON file")
	fs.DurationVar(&o.idleWait, "wait-idle", time.Minute, "before each run, wait up to this long for other processes to leave the CPUs idle; 0: do not wait")
	fs.StringVar(&o.workdir, "workdir", "", "write the run directories (initial weights, plans, the PyTorch scripts) here and keep them; default: a temporary directory, removed")
	fs.BoolVar(&o.accuracy, "accuracy", false, "compare evaluation accuracy per epoch instead of speed")
	fs.IntVar(&o.epochs, "epochs", 5, "training epochs of -accuracy")
	addServeFlags(fs, &o.serve, &concurrency, &torchWorkers)
	fs.BoolVar(&o.lm, "lm", false, "compare the language models instead (configs char-lstm, word-lm; modes train, generate; "+
		"with -accuracy, the validation perplexity after each epoch)")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, errors.Errorf("unexpected arguments %q (flags start with -)", fs.Args())
	}
	var err error
	if o.trainRows, err = datasets.ParseRows(trainRows); err != nil {
		return o, errors.Wrap(err, "-train-rows")
	}
	if o.evalRows, err = datasets.ParseRows(evalRows); err != nil {
		return o, errors.Wrap(err, "-eval-rows")
	}
	all := speedConfigs
	switch {
	case o.task == "tag":
		all = tagConfigs
	case o.task != "classify":
		return o, errors.Errorf("-task %q: want classify or tag", o.task)
	case o.accuracy:
		all = accuracyConfigs
	}
	switch {
	case o.lm && !setFlag(fs, "modes"):
		err = o.parseLM(configs, lmModeDefault)
	case o.lm:
		err = o.parseLM(configs, modes)
	default:
		o.configs, err = pick(configs, all)
	}
	if err != nil {
		return o, err
	}
	for _, m := range strings.Split(modes, ",") {
		if o.lm {
			break // parseLM read them
		}
		if m != modeTrain && m != modeInfer && m != modeLatency && m != modeMPI {
			return o, errors.Errorf("-modes: unknown mode %q (want train, infer, latency, mpi)", m)
		}
		o.modes = append(o.modes, m)
	}
	if setting != "" {
		s, err := parseTorchSetting(setting)
		if err != nil {
			return o, err
		}
		o.torch = &s
	} else if o.accuracy {
		s := defaultTorchSetting(o.threads)
		o.torch = &s
	}
	for _, p := range []struct {
		name       string
		value, min int
	}{{"-repeats", o.repeats, 1}, {"-steps", o.steps, 0}, {"-threads", o.threads, 1}, {"-epochs", o.epochs, 1}, {"-trial-steps", o.trials, 1}, {"-requests", o.requests, 1}} {
		if p.value < p.min {
			return o, errors.Errorf("%s %d: must be at least %d", p.name, p.value, p.min)
		}
	}
	if o.idleWait < 0 {
		return o, errors.Errorf("-wait-idle %v: must not be negative", o.idleWait)
	}
	return o, checkServe(&o, concurrency, torchWorkers, configs != "")
}

// setFlag reports whether the command line set the flag called name.
func setFlag(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// pick returns the configs named in list (comma-separated; "" is all).
func pick(list string, all []benchConfig) ([]benchConfig, error) {
	if list == "" {
		return all, nil
	}
	var picked []benchConfig
	for _, name := range strings.Split(list, ",") {
		i := slices.IndexFunc(all, func(c benchConfig) bool { return c.name == name })
		if i < 0 {
			var names []string
			for _, c := range all {
				names = append(names, c.name)
			}
			return nil, errors.Errorf("-configs: unknown config %q (want %s)", name, strings.Join(names, ", "))
		}
		picked = append(picked, all[i])
	}
	return picked, nil
}
