package models

import (
	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
)

// Model is what the one training loop (train.Trainer) trains, whatever the
// task: learnable parameters, networks compiled over them for any batch,
// and the task's measures. Classifier is one.
type Model interface {
	// Params returns the learnable parameters.
	Params() *graph.Params
	// Network returns a network for batches shaped like b (one worker's
	// share of a batch: its rows and padded lengths), built for mode;
	// replica tells apart the networks of parallel workers. The model may
	// cache what it returns.
	Network(b datasets.Batch, mode graph.Mode, replica int) (Network, error)
	// NewMetrics returns an empty accumulator of the task's measures,
	// which Network.Measure fills.
	NewMetrics() metrics.Accumulator
	// Objective names the validation measure that picks the best
	// checkpoint.
	Objective() metrics.Objective
	// MaxLen is the number of tokens each sequence is truncated to, 0 for
	// none: the same truncation the model applies to the texts it is
	// asked to predict.
	MaxLen() int
	// Save writes a complete model directory (the best and last
	// checkpoints).
	Save(dir string) error
}

// Network is one compiled graph of a Model, loaded with one worker's share
// of a batch.
type Network interface {
	// SetBatch loads the rows of b.
	SetBatch(b datasets.Batch) error
	// SetRNG sets the source of the dropout masks of a training network.
	SetRNG(rng *graph.RNG)
	// Run runs forward, and backward in a training network.
	Run() error
	// AccumulateGrads adds scale times the last run's gradients to the
	// parameters' (graph.Graph.AccumulateGrads).
	AccumulateGrads(scale float64) error
	// Loss returns the mean loss of the last run and its weight: the
	// rows or the tokens it is a mean over, by which workers and batches
	// combine.
	Loss() (mean float64, weight int, err error)
	// Measure adds the last run's results on b, the batch it ran, to m,
	// an accumulator from the model's NewMetrics.
	Measure(b datasets.Batch, m metrics.Accumulator) error
}
