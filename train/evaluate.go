package train

import (
	"runtime"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// Evaluation is a model's quality on some data.
type Evaluation struct {
	// Loss is the mean loss over the data's rows or tokens (0 for a
	// Predict evaluator, which computes no loss).
	Loss float64
	// Scores are the task's measures (accuracy, macro_f1, perplexity...).
	Scores metrics.Scores
	// Metrics is the accumulator they come from, for details such as a
	// classifier's confusion matrix (*metrics.Classes).
	Metrics metrics.Accumulator
}

// EvalOptions are the settings of an evaluation. The zero value gives the
// defaults.
type EvalOptions struct {
	// BatchSize is B. Default datasets.DefaultBatchSize.
	BatchSize int
	// Workers is the number of data-parallel replicas a batch is split
	// over. Default runtime.NumCPU().
	Workers int
	// Mode is graph.Evaluate (default: loss and measures) or
	// graph.Predict (measures only, no loss).
	Mode graph.Mode
}

func (o EvalOptions) withDefaults() (EvalOptions, error) {
	if o.BatchSize == 0 {
		o.BatchSize = datasets.DefaultBatchSize
	}
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.Mode == graph.Train {
		o.Mode = graph.Evaluate
	}
	if o.BatchSize < 0 || o.Workers < 0 {
		return o, errors.Errorf("train: batch size %d and workers %d must be positive", o.BatchSize, o.Workers)
	}
	return o, nil
}

// Evaluator runs a model forward, without dropout or gradients, over
// batches split over workers, and gathers the task's measures.
type Evaluator struct {
	model   models.Model
	opts    EvalOptions
	metrics metrics.Accumulator
	lossSum float64
	weight  int
}

// NewEvaluator returns an evaluator of model.
func NewEvaluator(model models.Model, opts EvalOptions) (*Evaluator, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Evaluator{model: model, opts: opts, metrics: model.NewMetrics()}, nil
}

// Batch runs one batch and adds its results.
func (e *Evaluator) Batch(b datasets.Batch) error {
	s, err := runSplit(e.model, b, e.opts.Mode, e.opts.Workers, nil)
	if err != nil {
		return err
	}
	if e.opts.Mode == graph.Evaluate {
		loss, _, weight, err := s.loss()
		if err != nil {
			return err
		}
		e.lossSum += loss * float64(weight)
		e.weight += weight
	}
	return s.measure(e.metrics)
}

// Result returns the evaluation of the batches run so far.
func (e *Evaluator) Result() Evaluation {
	ev := Evaluation{Scores: e.metrics.Scores(), Metrics: e.metrics}
	if e.weight > 0 {
		ev.Loss = e.lossSum / float64(e.weight)
	}
	return ev
}

// Evaluate runs model over data in order, truncated to the model's
// MaxLen, and returns its evaluation.
func Evaluate(model models.Model, data *datasets.Encoded, opts EvalOptions) (Evaluation, error) {
	e, err := NewEvaluator(model, opts)
	if err != nil {
		return Evaluation{}, err
	}
	batcher, err := datasets.NewBatcher(data, datasets.BatcherOptions{BatchSize: e.opts.BatchSize, MaxLen: model.MaxLen()})
	if err != nil {
		return Evaluation{}, errors.Wrap(err, "train: batching the evaluation data")
	}
	for it := batcher.Epoch(0); it.Next(); {
		if err := e.Batch(it.Batch()); err != nil {
			return Evaluation{}, err
		}
	}
	return e.Result(), nil
}
