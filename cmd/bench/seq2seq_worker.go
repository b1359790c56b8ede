package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
	"github.com/pkg/errors"
)

// seq2seqWorkerFlag, as the first argument, selects the hidden worker
// mode of the sequence-to-sequence benchmark:
//
//	bench -seq2seq-worker MODE -dir DIR -threads N [-steps S] [-beam K]
const seq2seqWorkerFlag = "-seq2seq-worker"

// The files of a sequence-to-sequence run directory.
const (
	s2sModelDir   = "model"      // the initial weights, a models.Seq2Seq directory
	s2sTrainPlan  = "train.plan" // the training batches, one epoch or -epochs
	s2sTestFile   = "test.src"   // the test split's distinct sources
	s2sDevFile    = "dev.src"    // the dev split's distinct sources (accuracy)
	s2sDecodeSize = 64           // sources decoded at once, both sides
	s2sLR         = learningRate // Adam's learning rate
	s2sGreedy     = "greedy"     // decode the test sources greedily
	s2sBeam       = "beam"       // decode them with a beam
	s2sTrain      = modeTrain    // forward, backward and an Adam step per batch
	s2sAccuracy   = modeAccuracy // train every epoch, decode dev after each
	s2sModes      = "train, greedy, beam or accuracy"
	s2sMaxLenRate = decode.DefaultMaxLenRatio
)

// s2sResult is what a sequence-to-sequence worker reports on stdout as
// JSON, the same keys from gornn and from torch_seq2seq.py. The parent
// adds the peak RSS and the other processes' load, and scores the
// outputs.
type s2sResult struct {
	Steps        int       `json:"steps"`         // train: measured batches
	Rows         int       `json:"rows"`          // sequence pairs trained on, or sources decoded
	Tokens       int       `json:"tokens"`        // train: real tokens of both sequences; decoding: source tokens
	Seconds      float64   `json:"seconds"`       // wall time of the measured work
	SetupSeconds float64   `json:"setup_seconds"` // before it: loading, compiles, the warm-up batch
	Loss         float64   `json:"loss"`          // train: mean loss over the measured batches
	Outputs      [][]int   `json:"outputs,omitempty"`
	DevOutputs   [][][]int `json:"dev_outputs,omitempty"` // accuracy: greedy dev outputs after each epoch
	PeakRSSKiB   int64     `json:"peak_rss_kib"`
	OtherCPUs    float64   `json:"other_cpus"`
}

type s2sWorkerArgs struct {
	mode, dir            string
	threads, steps, beam int
}

// runSeq2SeqWorker is the hidden worker mode: one measured gornn run.
func runSeq2SeqWorker(args []string, stdout, stderr io.Writer) int {
	var a s2sWorkerArgs
	fs := flag.NewFlagSet("bench "+seq2seqWorkerFlag, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&a.mode, seq2seqWorkerFlag[1:], "", s2sModes)
	fs.StringVar(&a.dir, "dir", "", "run directory")
	fs.IntVar(&a.threads, "threads", 1, "data-parallel workers")
	fs.IntVar(&a.steps, "steps", 0, "train: measured batches after the warm-up one; 0: the rest of the epoch")
	fs.IntVar(&a.beam, "beam", 5, "beam: width")
	if err := fs.Parse(args); err != nil {
		return exitUsage
	}
	if !slices.Contains([]string{s2sTrain, s2sGreedy, s2sBeam, s2sAccuracy}, a.mode) || a.dir == "" || a.threads < 1 || a.steps < 0 || a.beam < 1 {
		fmt.Fprintf(stderr, "bench worker: mode %q (want %s), dir %q, threads %d, steps %d, beam %d\n", a.mode, s2sModes, a.dir, a.threads, a.steps, a.beam)
		return exitUsage
	}
	res, err := s2sWork(a)
	if err == nil {
		err = json.NewEncoder(stdout).Encode(res)
	}
	if err != nil {
		fmt.Fprintln(stderr, "bench worker:", err)
		return exitFailure
	}
	return exitOK
}

func s2sWork(a s2sWorkerArgs) (s2sResult, error) {
	start := time.Now()
	model, err := models.LoadSeq2Seq(filepath.Join(a.dir, s2sModelDir), models.Options{PredictBatch: s2sDecodeSize, MaxGraphs: 1024})
	if err != nil {
		return s2sResult{}, err
	}
	switch a.mode {
	case s2sGreedy, s2sBeam:
		sources, err := readSources(filepath.Join(a.dir, s2sTestFile))
		if err != nil {
			return s2sResult{}, err
		}
		beam := decode.Beam{Width: 1, MaxLenRatio: s2sMaxLenRate}
		if a.mode == s2sBeam {
			beam.Width = a.beam
		}
		// The warm-up compiles the graphs of a full chunk.
		if _, err := model.Decode(sources[:min(s2sDecodeSize, len(sources))], beam); err != nil {
			return s2sResult{}, err
		}
		res := s2sResult{SetupSeconds: time.Since(start).Seconds()}
		begin := time.Now()
		lists, err := model.Decode(sources, beam)
		if err != nil {
			return res, err
		}
		res.Seconds = time.Since(begin).Seconds()
		for i, l := range lists {
			res.Outputs = append(res.Outputs, l[0].Tokens)
			res.Rows++
			res.Tokens += len(sources[i])
		}
		return res, nil
	}
	plan, err := readSeq2SeqPlan(filepath.Join(a.dir, s2sTrainPlan))
	if err != nil {
		return s2sResult{}, err
	}
	trainer, err := train.New(model, train.Config{Optimizer: "adam", LR: s2sLR, Workers: a.threads})
	if err != nil {
		return s2sResult{}, err
	}
	if a.mode == s2sAccuracy {
		return s2sAccuracyRun(a, model, trainer, plan)
	}
	batches := plan[0]
	if len(batches) < 2 {
		return s2sResult{}, errors.Errorf("%s: %d batches, need a warm-up batch and one to measure", s2sTrainPlan, len(batches))
	}
	if a.steps > 0 && a.steps < len(batches)-1 {
		batches = batches[:1+a.steps]
	}
	if _, err := trainer.Step(batches[0], s2sLR); err != nil {
		return s2sResult{}, errors.Wrap(err, "warm-up batch")
	}
	res := s2sResult{SetupSeconds: time.Since(start).Seconds()}
	begin := time.Now()
	for i, b := range batches[1:] {
		loss, err := trainer.Step(b, s2sLR)
		if err != nil {
			return res, errors.Wrapf(err, "batch %d", i+2)
		}
		res.Loss += loss
		res.count(b)
	}
	res.Seconds = time.Since(begin).Seconds()
	res.Loss /= float64(res.Steps)
	return res, nil
}

// count adds a training batch to the measured work.
func (r *s2sResult) count(b datasets.Batch) {
	r.Steps++
	r.Rows += b.Size
	r.Tokens += b.Tokens()
}

// s2sAccuracyRun trains over every epoch of plan and decodes the dev
// sources greedily after each; Seconds is the training time alone.
func s2sAccuracyRun(a s2sWorkerArgs, model *models.Seq2Seq, trainer *train.Trainer, plan [][]datasets.Batch) (s2sResult, error) {
	dev, err := readSources(filepath.Join(a.dir, s2sDevFile))
	if err != nil {
		return s2sResult{}, err
	}
	var res s2sResult
	for e, epoch := range plan {
		begin := time.Now()
		for i, b := range epoch {
			if _, err := trainer.Step(b, s2sLR); err != nil {
				return res, errors.Wrapf(err, "epoch %d batch %d", e+1, i+1)
			}
			res.count(b)
		}
		res.Seconds += time.Since(begin).Seconds()
		lists, err := model.Decode(dev, decode.Beam{MaxLenRatio: s2sMaxLenRate})
		if err != nil {
			return res, errors.Wrapf(err, "decoding dev after epoch %d", e+1)
		}
		outputs := make([][]int, len(lists))
		for i, l := range lists {
			outputs[i] = l[0].Tokens
		}
		res.DevOutputs = append(res.DevOutputs, outputs)
	}
	return res, nil
}
