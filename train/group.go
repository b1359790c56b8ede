package train

import (
	"encoding/json"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
	"gorgonia.org/tensor"
)

// Group is the set of processes that train one model together
// (data-parallel training across processes, or machines): every process
// holds a replica of the model, reads the same batches and trains its
// share of each batch's rows; before each optimizer step the trainer sums
// the processes' gradients, so that every replica takes the same step.
// Config.Group sets it; nil is one process. Package mpi implements it
// over MPI (built with -tags mpi).
//
// Process r of N runs workers r·W to r·W+W-1 of N·W, W being
// Config.Workers, on the rows one process with N·W workers gives them,
// with the same dropout masks; its gradients, weighted by the batch's
// global weight (rows or tokens), are summed over the processes in rank
// order. Validation is split the same way, and the processes combine
// their losses and measures. N processes of W workers thus train as one
// process of N·W workers, up to the rounding of the sums' order (with
// W = 1, bit for bit), and a rerun gives the same bits.
//
// The trainer calls AllGather once, then SumFloat32 once, per step, on
// every process in the same order; an implementation may carry its own
// signals with them (package mpi decides there, together, when to stop).
// Fit's context must be cancelled on every process before the same batch,
// or the processes part ways and a collective fails.
type Group interface {
	// Rank returns this process's place in the group, 0 to Size()-1.
	Rank() int
	// Size returns the number of processes, N.
	Size() int
	// AllGather returns every process's data, of any length, in rank
	// order, on every process.
	AllGather(data []byte) ([][]byte, error)
	// SumFloat32 replaces x, the same length on every process, with the
	// elementwise sum over processes of their x, added in rank order
	// ((x₀ + x₁) + x₂ ...), so that every process gets the same bits, run
	// after run.
	SumFloat32(x []float32) error
}

// checkGroup reports why model cannot train in g.
func checkGroup(g Group, model models.Model) error {
	if g.Size() < 1 || g.Rank() < 0 || g.Rank() >= g.Size() {
		return errors.Errorf("train: group rank %d of %d", g.Rank(), g.Size())
	}
	if dt := model.Params().Dtype(); dt != tensor.Float32 {
		return errors.Errorf("train: a group sums float32 gradients; the model's parameters are %v", dt)
	}
	if _, ok := model.NewMetrics().(metrics.Merger); !ok {
		return errors.Errorf("train: the task's measures (%T) cannot be combined across a group's processes: they need a Merge method (metrics.Merger)", model.NewMetrics())
	}
	return nil
}

// share returns the workers of each batch this process runs.
func (t *Trainer) share() workerShare {
	w := t.cfg.Workers
	if t.cfg.Group == nil {
		return workerShare{Workers: w, Of: w}
	}
	return workerShare{First: t.cfg.Group.Rank() * w, Workers: w, Of: t.cfg.Group.Size() * w}
}

// stepShare is what a process of a group tells the others after running
// its share of a step, or of a validation.
type stepShare struct {
	Step     int             `json:"step"`     // optimizer steps taken before this one
	LossSum  float64         `json:"loss_sum"` // its mean loss times its weight
	Weight   int             `json:"weight"`   // its rows or tokens
	Measures json.RawMessage `json:"measures"` // its share's measures, as the task's accumulator encodes them
}

// gatherStep exchanges the step's losses and measures with the other
// processes of the group: it returns the batch's mean loss and weight over
// every process, and the measures of every process's share merged in rank
// order.
func (t *Trainer) gatherStep(s *split, loss float64, weight int) (mean float64, total int, measured metrics.Accumulator, err error) {
	own := t.model.NewMetrics()
	if err := s.measure(own); err != nil {
		return 0, 0, nil, err
	}
	sum, total, measured, err := t.gather("step", loss*float64(weight), weight, own)
	if err != nil || total == 0 {
		return 0, 0, measured, err
	}
	return sum / float64(total), total, measured, nil
}

// validate evaluates the model on data with the trainer's batch size and
// workers. In a group every process evaluates its workers' share of each
// batch (the rows and replicas one process with every worker would give
// them) and the processes combine their losses and measures.
func (t *Trainer) validate(data *datasets.Encoded) (Evaluation, error) {
	e, err := NewEvaluator(t.model, EvalOptions{BatchSize: t.cfg.BatchSize, Workers: t.cfg.Workers})
	if err != nil {
		return Evaluation{}, err
	}
	if t.cfg.Group == nil {
		return e.all(data)
	}
	e.share = t.share()
	if _, err := e.all(data); err != nil {
		return Evaluation{}, err
	}
	sum, total, measured, err := t.gather("validation", e.lossSum, e.weight, e.metrics)
	if err != nil {
		return Evaluation{}, err
	}
	ev := Evaluation{Scores: measured.Scores(), Metrics: measured}
	if total > 0 {
		ev.Loss = sum / float64(total)
	}
	return ev, nil
}

// gather exchanges a loss sum, its weight and measures with the other
// processes of the group, in the exchange called what ("step",
// "validation"), and returns their sums and merged measures, in rank
// order.
func (t *Trainer) gather(what string, lossSum float64, weight int, own metrics.Accumulator) (sum float64, total int, measured metrics.Accumulator, err error) {
	encoded, err := json.Marshal(own)
	if err != nil {
		return 0, 0, nil, errors.Wrapf(err, "train: encoding the %s's measures", what)
	}
	data, err := json.Marshal(stepShare{Step: t.state.Step, LossSum: lossSum, Weight: weight, Measures: encoded})
	if err != nil {
		return 0, 0, nil, errors.Wrapf(err, "train: encoding the %s's share", what)
	}
	all, err := t.cfg.Group.AllGather(data)
	if err != nil {
		return 0, 0, nil, errors.Wrapf(err, "train: gathering the %s's losses", what)
	}
	measured = t.model.NewMetrics()
	for rank, data := range all {
		var share stepShare
		if err := json.Unmarshal(data, &share); err != nil {
			return 0, 0, nil, errors.Wrapf(err, "train: the %s's share from rank %d", what, rank)
		}
		if share.Step != t.state.Step {
			return 0, 0, nil, errors.Errorf("train: rank %d is at step %d, rank %d at step %d: the processes do not train on the same batches (same data, settings and checkpoint on every rank?)",
				rank, share.Step+1, t.cfg.Group.Rank(), t.state.Step+1)
		}
		m := t.model.NewMetrics()
		if err := json.Unmarshal(share.Measures, m); err != nil {
			return 0, 0, nil, errors.Wrapf(err, "train: the %s's measures from rank %d", what, rank)
		}
		if err := measured.(metrics.Merger).Merge(m); err != nil {
			return 0, 0, nil, errors.Wrapf(err, "train: the %s's measures from rank %d", what, rank)
		}
		sum += share.LossSum
		total += share.Weight
	}
	return sum, total, measured, nil
}

// sumGrads replaces every parameter's gradient with its sum over the
// group's processes.
func (t *Trainer) sumGrads() error {
	params := t.params.List()
	if t.flat == nil {
		t.flat = make([]float32, t.params.Count())
	}
	at := 0
	for _, p := range params {
		at += copy(t.flat[at:], p.Grad.Float32s())
	}
	if err := t.cfg.Group.SumFloat32(t.flat); err != nil {
		return errors.Wrap(err, "train: summing the gradients")
	}
	at = 0
	for _, p := range params {
		at += copy(p.Grad.Float32s(), t.flat[at:])
	}
	return nil
}
