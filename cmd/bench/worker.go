package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
	"github.com/pkg/errors"
)

// The files of a run directory, which the parent writes and both workers
// read.
const (
	modelDir    = "model"        // the initial weights, a models.Classifier or models.Tagger directory
	trainPlan   = "train.plan"   // the training batches (one epoch, or -epochs for accuracy)
	evalPlan    = "eval.plan"    // the evaluation batches (accuracy only)
	latencyPlan = "latency.plan" // the requests of the latency mode, one text each
)

// The measured modes.
const (
	modeTrain    = "train"    // forward, backward and an Adam step per batch
	modeInfer    = "infer"    // forward only, no gradients
	modeLatency  = "latency"  // one text per request, forward only, each request timed
	modeAccuracy = "accuracy" // train every epoch, evaluate after each
)

// learningRate is Adam's learning rate on both sides.
const learningRate = 1e-3

// result is what a worker reports on stdout as JSON, the same keys from
// gornn and from torch_bench.py. The parent adds the peak RSS and the
// other processes' load.
type result struct {
	Steps        int       `json:"steps"`                   // measured batches
	Rows         int       `json:"rows"`                    // sequences in them
	Tokens       int       `json:"tokens"`                  // real (unpadded) tokens in them
	PaddedTokens int       `json:"padded_tokens"`           // B*T summed over them
	Seconds      float64   `json:"seconds"`                 // wall time of the measured batches
	SetupSeconds float64   `json:"setup_seconds"`           // before them: loading, gornn's graph compiles, the warm-up batch
	Loss         float64   `json:"loss"`                    // train: mean loss over the measured batches
	Correct      int       `json:"correct"`                 // infer, latency: rows (a tagger: tokens) of the measured batches predicted right
	EvalAcc      []float64 `json:"eval_acc,omitempty"`      // accuracy: evaluation accuracy after each epoch
	EvalPPL      []float64 `json:"eval_ppl,omitempty"`      // lm-perplexity: validation perplexity after each epoch
	BatchSeconds []float64 `json:"batch_seconds,omitempty"` // latency: each request's wall time
	PeakRSSKiB   int64     `json:"peak_rss_kib"`            // the process's peak resident set, from its rusage
	OtherCPUs    float64   `json:"other_cpus"`              // CPUs other processes kept busy, on average, while it ran
	FLOPs        float64   `json:"flops"`                   // the matrix products' work, see modelFLOPs (train, infer)
}

// workerArgs are the command line of a gornn worker:
//
//	bench -worker MODE -dir DIR -threads N [-steps S]
//
// The parent starts one per measured run (see runner.gornn).
type workerArgs struct {
	mode, dir      string
	threads, steps int
	mpi            bool // one rank of an MPI job (train only; see mpi.go)
}

func parseWorker(args []string, stderr io.Writer) (workerArgs, error) {
	var a workerArgs
	fs := flag.NewFlagSet("bench -worker", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.mode, "worker", "", "train, infer, latency or accuracy")
	fs.StringVar(&a.dir, "dir", "", "run directory with model/, train.plan, latency.plan and eval.plan")
	fs.IntVar(&a.threads, "threads", 1, "data-parallel workers")
	fs.IntVar(&a.steps, "steps", 0, "measured batches after the warm-up one; 0: the rest of the epoch")
	fs.BoolVar(&a.mpi, "mpi", false, "train as one rank of an MPI job (a binary built with -tags mpi); rank 0 reports")
	if err := fs.Parse(args); err != nil {
		return a, err
	}
	switch {
	case a.mpi && a.mode != modeTrain:
		return a, errors.Errorf("-mpi with -worker %q: only train runs over MPI", a.mode)
	case !slices.Contains([]string{modeTrain, modeInfer, modeLatency, modeAccuracy, modeLMTrain, modeLMGenerate, modeLMPerplexity}, a.mode):
		return a, errors.Errorf("-worker %q: want train, infer, latency, accuracy or lm-train, lm-generate, lm-perplexity", a.mode)
	case a.dir == "" || a.threads < 1 || a.steps < 0:
		return a, errors.Errorf("-dir %q, -threads %d, -steps %d: want a directory, threads >= 1, steps >= 0", a.dir, a.threads, a.steps)
	}
	return a, nil
}

// runWorker is the hidden worker mode: one measured gornn run in its own
// process, reported as JSON on stdout.
func runWorker(args []string, stdout, stderr io.Writer) int {
	a, err := parseWorker(args, stderr)
	if err != nil {
		fmt.Fprintln(stderr, "bench worker:", err)
		return exitUsage
	}
	if a.mpi {
		return runMPIWorker(a, stdout, stderr)
	}
	do := func(a workerArgs) (result, error) { return work(a, nil) }
	if strings.HasPrefix(a.mode, "lm-") {
		do = lmWork
	}
	res, err := do(a)
	if err == nil {
		err = json.NewEncoder(stdout).Encode(res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench worker:", err)
		return exitFailure
	}
	return exitOK
}

// work runs the worker's mode over the plans in a.dir, as one process of
// group when it is not nil.
func work(a workerArgs, group train.Group) (result, error) {
	start := time.Now()
	planFile := trainPlan
	if a.mode == modeLatency {
		planFile = latencyPlan
	}
	plan, err := readPlan(filepath.Join(a.dir, planFile))
	if err != nil {
		return result{}, err
	}
	if len(plan) == 0 {
		return result{}, errors.Errorf("%s has no epochs", planFile)
	}
	w := &worker{threads: a.threads, group: group}
	if a.mode == modeAccuracy {
		eval, err := readPlan(filepath.Join(a.dir, evalPlan))
		if err != nil {
			return result{}, err
		}
		if len(eval) != 1 {
			return result{}, errors.Errorf("%s: %d epochs, want 1", evalPlan, len(eval))
		}
		return w.accuracy(filepath.Join(a.dir, modelDir), plan, eval[0])
	}
	batches := plan[0]
	if len(batches) < 2 {
		return result{}, errors.Errorf("%s: %d batches, need a warm-up batch and one to measure", planFile, len(batches))
	}
	if a.steps > 0 && a.steps < len(batches)-1 {
		batches = batches[:1+a.steps]
	}
	if a.mode == modeLatency {
		return latency(filepath.Join(a.dir, modelDir), batches, start)
	}
	mode := graph.Train
	if a.mode == modeInfer {
		mode = graph.Predict
	}
	if err := w.load(filepath.Join(a.dir, modelDir), use{batches, mode}); err != nil {
		return result{}, err
	}
	if _, _, err := w.batch(batches[0], mode); err != nil {
		return result{}, errors.Wrap(err, "warm-up batch")
	}
	res := result{SetupSeconds: time.Since(start).Seconds()}
	start = time.Now()
	for i, b := range batches[1:] {
		loss, correct, err := w.batch(b, mode)
		if err != nil {
			return result{}, errors.Wrapf(err, "batch %d", i+2)
		}
		res.Loss += loss
		res.Correct += correct
		res.count(b)
	}
	res.Seconds = time.Since(start).Seconds()
	res.Loss /= float64(res.Steps)
	return res, nil
}

// latency classifies each batch's texts (one per request) through
// models.Classifier.PredictIDs, the path a server takes, timing each call;
// the first is an untimed warm-up that compiles the graph.
func latency(dir string, requests []datasets.Batch, start time.Time) (result, error) {
	model, err := models.Load(dir, models.Options{})
	if err != nil {
		return result{}, err
	}
	var res result
	for i, b := range requests {
		seqs := make([][]int, b.Size)
		for r := range seqs {
			seqs[r] = b.IDs[r*b.Steps : r*b.Steps+b.Lengths[r]]
		}
		begin := time.Now()
		preds, err := model.PredictIDs(seqs)
		elapsed := time.Since(begin).Seconds()
		if err != nil {
			return result{}, errors.Wrapf(err, "request %d", i+1)
		}
		if i == 0 {
			res.SetupSeconds = time.Since(start).Seconds()
			continue
		}
		res.Seconds += elapsed
		res.BatchSeconds = append(res.BatchSeconds, elapsed)
		for r, p := range preds {
			if p.Class == b.Labels[r] {
				res.Correct++
			}
		}
		res.count(b)
	}
	return res, nil
}

// count adds batch b to the measured work.
func (r *result) count(b datasets.Batch) {
	r.Steps++
	r.Rows += b.Size
	r.PaddedTokens += b.Size * b.Steps
	for _, n := range b.Lengths {
		r.Tokens += n
	}
}

// worker trains or runs a classifier over planned batches with gornn's own
// machinery: train.Trainer.Step for training (rows split over threads
// workers, gradients summed in order, one Adam step), a train.Evaluator
// in Predict mode for inference.
type worker struct {
	threads int
	group   train.Group // the MPI job a -mpi worker is a rank of, or nil
	model   models.Model
	trainer *train.Trainer
	infer   *train.Evaluator
}

// use is a run of batches in one mode.
type use struct {
	batches []datasets.Batch
	mode    graph.Mode
}

// load reads the model and compiles, untimed, every network the uses
// need, keeping them all (no graph cache evictions while measuring).
func (w *worker) load(dir string, uses ...use) error {
	type key struct {
		rows, steps int
		mode        graph.Mode
		replica     int
	}
	first, of := 0, w.threads // this process's workers among all: those of its rank in a group
	if w.group != nil {
		first, of = w.group.Rank()*w.threads, w.group.Size()*w.threads
	}
	keys := map[key]bool{}
	for _, u := range uses {
		for _, b := range u.batches {
			n := max(1, min(of, b.Size))
			for k := first; k < min(first+w.threads, n); k++ {
				keys[key{b.Size*(k+1)/n - b.Size*k/n, b.Steps, u.mode, k - first}] = true
			}
		}
	}
	model, err := loadModel(dir, models.Options{MaxGraphs: len(keys)})
	if err != nil {
		return err
	}
	for k := range keys {
		if _, err := model.Network(datasets.Batch{Size: k.rows, Steps: k.steps}, k.mode, k.replica); err != nil {
			return err
		}
	}
	w.model = model
	if w.infer, err = train.NewEvaluator(model, train.EvalOptions{Workers: w.threads, Mode: graph.Predict}); err != nil {
		return err
	}
	w.trainer, err = train.New(model, train.Config{Optimizer: "adam", LR: learningRate, Workers: w.threads, Group: w.group})
	return err
}

// batch runs one batch: in graph.Train mode forward, backward and an Adam
// step, returning the mean loss; in graph.Predict mode forward only,
// returning the number of rows predicted right.
func (w *worker) batch(b datasets.Batch, mode graph.Mode) (loss float64, correct int, err error) {
	if mode == graph.Train {
		loss, err = w.trainer.Step(b, learningRate)
		return loss, 0, err
	}
	before, _ := rightOf(w.infer.Result().Metrics)
	if err := w.infer.Batch(b); err != nil {
		return 0, 0, err
	}
	after, _ := rightOf(w.infer.Result().Metrics)
	return 0, after - before, nil
}

// rightOf returns what a classifier's or a tagger's measures counted
// right, and out of how many: rows, or tokens.
func rightOf(m metrics.Accumulator) (right, total int) {
	switch m := m.(type) {
	case *metrics.Classes:
		return m.Confusion.Correct(), m.Confusion.Total()
	case *metrics.Tagging:
		return m.Correct, m.Tokens
	}
	return 0, 0
}

// loadModel reads the model directory dir, a classifier's or a tagger's.
func loadModel(dir string, opts models.Options) (models.Model, error) {
	format, err := models.ReadFormat(dir)
	if err != nil {
		return nil, err
	}
	if format == models.TaggerFormatV1 {
		return models.LoadTagger(dir, opts)
	}
	return models.Load(dir, opts)
}

// accuracy trains over every epoch of plan and evaluates on eval after
// each; Seconds is the training time alone.
func (w *worker) accuracy(dir string, plan [][]datasets.Batch, eval []datasets.Batch) (result, error) {
	var all []datasets.Batch
	for _, epoch := range plan {
		all = append(all, epoch...)
	}
	if err := w.load(dir, use{all, graph.Train}, use{eval, graph.Predict}); err != nil {
		return result{}, err
	}
	var res result
	for e, epoch := range plan {
		start := time.Now()
		for i, b := range epoch {
			if _, _, err := w.batch(b, graph.Train); err != nil {
				return result{}, errors.Wrapf(err, "epoch %d batch %d", e+1, i+1)
			}
			res.count(b)
		}
		res.Seconds += time.Since(start).Seconds()
		infer, err := train.NewEvaluator(w.model, train.EvalOptions{Workers: w.threads, Mode: graph.Predict})
		if err != nil {
			return result{}, err
		}
		w.infer = infer
		for _, b := range eval {
			if _, _, err := w.batch(b, graph.Predict); err != nil {
				return result{}, errors.Wrapf(err, "evaluation after epoch %d", e+1)
			}
		}
		correct, total := rightOf(w.infer.Result().Metrics)
		res.EvalAcc = append(res.EvalAcc, float64(correct)/float64(total))
	}
	return res, nil
}
