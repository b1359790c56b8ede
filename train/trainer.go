package train

import (
	"context"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// Config sets up a Trainer. The zero value of each field is its documented
// default, so Config{} trains one epoch with the lesson's settings.
type Config struct {
	// Epochs is the number of passes over the training data. Default 1.
	Epochs int `json:"epochs"`
	// BatchSize is B. Default datasets.DefaultBatchSize (16, the
	// lesson's).
	BatchSize int `json:"batch_size"`
	// Bucket groups rows of similar length into batches, cutting padding.
	// Default false: the lesson's shuffled batches.
	Bucket bool `json:"bucket"`
	// Optimizer is sgd, adam (default), rmsprop or adagrad, with PyTorch's
	// update rules.
	Optimizer string `json:"optimizer"`
	// LR is the base learning rate. Default 1e-3.
	LR float64 `json:"lr"`
	// Momentum is SGD's and RMSprop's momentum. Default 0.
	Momentum float64 `json:"momentum"`
	// WeightDecay is the L2 penalty the optimizer adds to each gradient.
	WeightDecay float64 `json:"weight_decay"`
	// Clip rescales the gradients when their global 2-norm exceeds it
	// (torch.nn.utils.clip_grad_norm_). Default 0: no clipping.
	Clip float64 `json:"clip"`
	// Schedule varies the learning rate: constant (default), step, cosine,
	// warmup or warmup_cosine.
	Schedule string `json:"schedule"`
	// Patience stops training after this many epochs without a better
	// validation objective (the model's: accuracy for classifiers, the
	// loss for language models). Default 0: never stop early.
	Patience int `json:"patience"`
	// Workers is the number of data-parallel replicas a batch is split
	// over. Default runtime.NumCPU().
	Workers int `json:"workers"`
	// Seed fixes every random choice: batch order and dropout masks.
	Seed uint64 `json:"seed"`
	// OutDir receives best/ and last/ checkpoints, metrics.jsonl and
	// curves.png. Default "": nothing is written.
	OutDir string `json:"-"`
	// Progress receives a progress bar (a terminal) or progress lines
	// during each epoch, and its EpochSummary line after validation.
	// Default nil: silent.
	Progress io.Writer `json:"-"`
	// OnEpoch is called after each epoch with its metrics; an error stops
	// training and is returned by Fit.
	OnEpoch func(EpochMetrics) error `json:"-"`
	// OnStep is called after each optimizer step; an error stops training
	// and is returned by Fit.
	OnStep func(StepMetrics) error `json:"-"`
	// Group makes this trainer one process of several that train the
	// model together, each on its share of every batch (see Group).
	// Default nil: one process.
	Group Group `json:"-"`
}

// StepMetrics describe one training step, for Config.OnStep.
type StepMetrics struct {
	Epoch  int            // 1-based
	Batch  int            // 1-based batch of the epoch
	Step   int            // optimizer steps taken, this one included
	Loss   float64        // the batch's mean loss
	Weight int            // the rows or tokens Loss is a mean over
	Train  metrics.Scores // the task's measures on the epoch's batches so far
	LR     float64        // the learning rate of this step
}

func (cfg Config) withDefaults() Config {
	if cfg.Epochs == 0 {
		cfg.Epochs = 1
	}
	if cfg.BatchSize == 0 {
		cfg.BatchSize = datasets.DefaultBatchSize
	}
	if cfg.Optimizer == "" {
		cfg.Optimizer = "adam"
	}
	if cfg.LR == 0 {
		cfg.LR = 1e-3
	}
	if cfg.Schedule == "" {
		cfg.Schedule = "constant"
	}
	if cfg.Workers == 0 {
		cfg.Workers = runtime.NumCPU()
	}
	return cfg
}

func (cfg Config) validate() error {
	switch {
	case cfg.Epochs < 0 || cfg.BatchSize < 0 || cfg.Patience < 0 || cfg.Workers < 0:
		return errors.Errorf("train: epochs %d, batch size %d, patience %d and workers %d must not be negative",
			cfg.Epochs, cfg.BatchSize, cfg.Patience, cfg.Workers)
	case cfg.LR < 0 || math.IsNaN(cfg.LR) || math.IsInf(cfg.LR, 0):
		return errors.Errorf("train: learning rate %v must be a non-negative number", cfg.LR)
	case cfg.Clip < 0 || cfg.WeightDecay < 0 || cfg.Momentum < 0:
		return errors.Errorf("train: clip %v, weight decay %v and momentum %v must not be negative", cfg.Clip, cfg.WeightDecay, cfg.Momentum)
	}
	return nil
}

// ErrInterrupted is returned by Fit when its context is cancelled: the
// current batch was finished and, with an OutDir, the run saved so that
// Resume continues it exactly.
var ErrInterrupted = errors.New("train: interrupted")

// NonFiniteLossError is the error Fit returns when a batch's loss is NaN
// or infinite: training stops there, leaving the last good checkpoint in
// place. errors.As finds it in Fit's error.
type NonFiniteLossError struct {
	Epoch int     // 1-based
	Step  int     // the optimizer step that diverged, 1-based
	Loss  float64 // NaN or ±Inf
}

func (e *NonFiniteLossError) Error() string {
	return fmt.Sprintf("train: epoch %d step %d: loss is %v", e.Epoch, e.Step, e.Loss)
}

// Trainer trains a models.Model with one loop shared by every model and task:
// epochs of shuffled padded batches, data-parallel workers, an optimizer
// step per batch, validation and checkpoints each epoch.
type Trainer struct {
	model     models.Model
	cfg       Config
	objective metrics.Objective
	params    *graph.Params
	opt       Optimizer
	sched     Schedule
	state     runState
	rngs      []*graph.RNG
	train     metrics.Accumulator // the task's measures of the epoch so far
	flat      []float32           // the gradients a Group sums, one after another

	carried *groupCarry // in a Group, the state a carrying model carries, as the processes hold it

	checkpointed bool // the run's state is in OutDir's last checkpoint (saved or resumed)
}

// New returns a trainer for model with cfg.
func New(model models.Model, cfg Config) (*Trainer, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if cfg.Group != nil {
		if err := checkGroup(cfg.Group, model); err != nil {
			return nil, err
		}
	}
	opt, err := NewOptimizer(cfg.Optimizer, model.Params(), OptimizerConfig{Momentum: cfg.Momentum, WeightDecay: cfg.WeightDecay, Workers: cfg.Workers})
	if err != nil {
		return nil, err
	}
	sched, err := ParseSchedule(cfg.Schedule)
	if err != nil {
		return nil, err
	}
	t := &Trainer{model: model, cfg: cfg, objective: model.Objective(), params: model.Params(), opt: opt, sched: sched, state: runState{Config: cfg}, train: model.NewMetrics()}
	for w := 0; w < cfg.Workers; w++ {
		t.rngs = append(t.rngs, graph.NewRNG(cfg.Seed))
	}
	return t, nil
}

// Result is what Fit returns: the metrics of every epoch run (including
// those before a resume) and why training stopped.
type Result struct {
	Epochs    []EpochMetrics
	BestEpoch int    // 1-based epoch of the best validation objective, 0 without validation
	Stopped   string // "completed", "early stopping" or "interrupted"
}

// Fit trains on trainData, validating on valData (nil: no validation)
// after each epoch. When ctx is cancelled it finishes the current batch,
// saves the run (with an OutDir) and returns ErrInterrupted. A NaN or
// infinite loss stops training with a *NonFiniteLossError naming the
// epoch and step, leaving the last good checkpoint in place.
func (t *Trainer) Fit(ctx context.Context, trainData, valData *datasets.Encoded) (*Result, error) {
	cfg := t.cfg
	_, inOrder := carrier(t.model) // each batch continues the one before
	batcher, err := datasets.NewBatcher(trainData, datasets.BatcherOptions{
		BatchSize: cfg.BatchSize, MaxLen: t.model.MaxLen(), Shuffle: !inOrder, Bucket: cfg.Bucket && !inOrder, Seed: cfg.Seed,
	})
	if err != nil {
		return nil, errors.Wrap(err, "train: batching the training data")
	}
	result := &Result{Stopped: "completed", BestEpoch: t.state.BestEpoch}
	if cfg.OutDir != "" {
		if result.Epochs, err = t.startRun(); err != nil {
			return nil, err
		}
	}
	if cfg.Patience > 0 && t.state.Stale >= cfg.Patience { // a resumed run that had stopped early
		result.Stopped = "early stopping"
		return result, nil
	}
	if err := t.baseCarried(); err != nil {
		return nil, err
	}
	perEpoch := batcher.NumBatches()
	for ; t.state.Epoch < cfg.Epochs; t.state.Epoch++ {
		epoch := t.state.Epoch
		progress := NewProgress(cfg.Progress, perEpoch, epochLabel(epoch, cfg.Epochs))
		it := batcher.Epoch(epoch)
		started := time.Now()
		for i := 0; it.Next(); i++ {
			if i < t.state.Batch {
				continue // done before an interruption
			}
			if ctx.Err() != nil {
				progress.Finish()
				t.state.Batch = i
				if err := t.syncCarried(); err != nil {
					return nil, err
				}
				if err := t.saveLast(); err != nil {
					return nil, err
				}
				result.Stopped = "interrupted"
				return result, ErrInterrupted
			}
			batch := it.Batch()
			lr := t.learningRate(t.state.Step, perEpoch)
			loss, weight, err := t.step(batch, lr)
			var diverged *NonFiniteLossError
			switch {
			case errors.As(err, &diverged):
				diverged.Epoch = epoch + 1
				progress.Finish()
				return nil, diverged
			case err != nil:
				progress.Finish()
				return nil, errors.Wrapf(err, "train: epoch %d step %d (batch %d of %d)", epoch+1, t.state.Step+1, i+1, perEpoch)
			}
			t.state.Partial.add(batch, loss, weight, time.Since(started))
			scores := t.train.Scores()
			if cfg.OnStep != nil {
				m := StepMetrics{Epoch: epoch + 1, Batch: i + 1, Step: t.state.Step, Loss: loss, Weight: weight, Train: scores, LR: lr}
				if err := cfg.OnStep(m); err != nil {
					progress.Finish()
					return result, err
				}
			}
			started = time.Now()
			p := t.state.Partial
			name, value := progressScore(t.objective, scores)
			progress.Update(i+1, p.LossSum/float64(max(p.Weight, 1)), name, value, p.Tokens)
		}
		progress.Finish()
		m, err := t.finishEpoch(valData, perEpoch, result.Epochs)
		if err != nil {
			return nil, err
		}
		result.Epochs = append(result.Epochs, m)
		result.BestEpoch = t.state.BestEpoch
		if cfg.Progress != nil {
			fmt.Fprintln(cfg.Progress, EpochSummary(m, cfg.Epochs))
		}
		if cfg.OnEpoch != nil {
			if err := cfg.OnEpoch(m); err != nil {
				return result, err
			}
		}
		if cfg.Patience > 0 && t.state.Stale >= cfg.Patience {
			t.state.Epoch++
			result.Stopped = "early stopping"
			break
		}
	}
	return result, nil
}

// learningRate returns the learning rate of step (0-based, over the
// run): the schedule's, decayed by the plateaus so far for a
// PlateauSchedule.
func (t *Trainer) learningRate(step, perEpoch int) float64 {
	lr := t.sched.LR(t.cfg.LR, step, perEpoch, perEpoch*t.cfg.Epochs)
	if p, ok := t.sched.(PlateauSchedule); ok {
		lr = p.Decay(lr, t.state.Plateaus)
	}
	return lr
}

// startRun readies OutDir for Fit and returns the epochs its metrics log
// holds, which must be those the run has finished. A run not resumed
// starts by removing what a killed run left in OutDir and saving its first
// checkpoint, so that it can be resumed however it stops.
func (t *Trainer) startRun() ([]EpochMetrics, error) {
	dir := t.cfg.OutDir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, errors.Wrap(err, "train")
	}
	if !t.checkpointed {
		if _, err := atomicfile.RemoveTemps(dir); err != nil {
			return nil, errors.Wrap(err, "train")
		}
	}
	logged, err := ReadMetricsLog(filepath.Join(dir, MetricsFile))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	if len(logged) != t.state.Epoch {
		return nil, errors.Errorf("train: %s holds %d epochs, the run has finished %d: a log of another run? Resume that run, or write to another OutDir",
			filepath.Join(dir, MetricsFile), len(logged), t.state.Epoch)
	}
	if !t.checkpointed {
		if err := t.saveLast(); err != nil {
			return nil, err
		}
	}
	return logged, nil
}

func epochLabel(epoch, epochs int) string { return fmt.Sprintf("epoch %d/%d", epoch+1, epochs) }

// progressScore picks the training score a progress line shows: the
// objective's, abbreviated, unless the objective is the loss (shown
// anyway).
func progressScore(o metrics.Objective, scores metrics.Scores) (string, float64) {
	v, ok := scores[o.Score]
	switch {
	case !ok:
		return "", 0
	case o.Score == "accuracy":
		return "acc", v
	}
	return o.Score, v
}

// finishEpoch validates, records the epoch's metrics and writes the
// checkpoints, the metrics log, and the curves of logged (the epochs
// already in the log, as Fit holds them) followed by this one.
func (t *Trainer) finishEpoch(valData *datasets.Encoded, perEpoch int, logged []EpochMetrics) (EpochMetrics, error) {
	p := t.state.Partial
	m := EpochMetrics{
		Epoch:        t.state.Epoch + 1,
		Step:         t.state.Step,
		TrainLoss:    p.LossSum / float64(max(p.Weight, 1)),
		Train:        t.train.Scores(),
		Objective:    t.objective.Score,
		LR:           t.learningRate(t.state.Step-1, perEpoch),
		TokensPerSec: float64(p.Tokens) / p.Seconds,
		Seconds:      p.Seconds,
	}
	improved := valData == nil // without validation, the latest model is the best known
	if valData != nil {
		eval, err := t.validate(valData)
		if err != nil {
			return m, errors.Wrap(err, "train: validating")
		}
		m.ValLoss, m.Val = eval.Loss, eval.Scores
		if d, ok := eval.Metrics.(metrics.Detailer); ok {
			m.ValDetails = d.Details()
		}
		value, err := t.objective.Value(eval.Loss, eval.Scores)
		if err != nil {
			return m, errors.Wrap(err, "train: validating")
		}
		if t.state.BestEpoch == 0 || t.objective.Better(value, t.state.BestValue) {
			t.state.BestValue, t.state.BestEpoch, t.state.Stale = value, m.Epoch, 0
			improved = true
		} else {
			t.state.Stale++
			t.state.Plateaus++
		}
	}
	t.state.Batch = 0
	t.state.Partial = epochTotals{}
	t.train = t.model.NewMetrics()
	if err := t.syncCarried(); err != nil {
		return m, err
	}
	if t.cfg.OutDir == "" {
		return m, nil
	}
	if improved {
		t.state.BestSaved = m.Epoch
	}
	// The epoch's line goes into the log first, then the last checkpoint
	// that resumes at the next epoch (Resume drops a line a crash left
	// without its checkpoint), then the best model (which Resume rewrites
	// from the last one when a crash came between the two).
	log, err := OpenMetricsLog(filepath.Join(t.cfg.OutDir, MetricsFile))
	if err != nil {
		return m, err
	}
	if err := log.Append(m); err != nil {
		log.Close()
		return m, err
	}
	if err := log.Close(); err != nil {
		return m, err
	}
	t.state.Epoch++
	err = t.saveLast()
	t.state.Epoch--
	if err != nil {
		return m, err
	}
	if improved {
		if err := t.saveBest(m.Epoch, m.Step); err != nil {
			return m, err
		}
	}
	return m, PlotCurves(filepath.Join(t.cfg.OutDir, CurvesFile), append(slices.Clip(logged), m))
}

// Step trains on one batch with learning rate lr: the rows are split over
// the workers, each runs forward and backward on its own network, the
// gradients are summed in worker order, weighted by each worker's share of
// the batch's rows or tokens, clipped, and the optimizer steps. It returns
// the batch's mean loss. Fit calls it for every batch; it is exported for
// harnesses that drive training batch by batch. A non-finite loss is a
// *NonFiniteLossError, and leaves the parameters as they were. With a
// Config.Group, every process calls Step with the same batch and runs its
// share of the rows; the loss is the whole batch's.
func (t *Trainer) Step(b datasets.Batch, lr float64) (loss float64, err error) {
	loss, _, err = t.step(b, lr)
	return loss, err
}

// step is Step, also returning the weight (rows or tokens) of the loss.
func (t *Trainer) step(b datasets.Batch, lr float64) (loss float64, weight int, err error) {
	share := t.share()
	split, err := runShare(t.model, b, graph.Train, share, func(w int, net models.Network) {
		t.rngs[w].Seed(stepSeed(t.cfg.Seed, t.state.Step, share.First+w))
		net.SetRNG(t.rngs[w])
	})
	if err != nil {
		return 0, 0, err
	}
	loss, weights, weight, err := split.loss()
	if err != nil {
		return 0, 0, err
	}
	var measured metrics.Accumulator // with a group, every process's measures of the step
	if t.cfg.Group != nil {
		if loss, weight, measured, err = t.gatherStep(split, loss, weight); err != nil {
			return 0, 0, err
		}
	}
	if err := split.accumulateGrads(weights, weight); err != nil {
		return 0, 0, err
	}
	if t.cfg.Group != nil {
		if err := t.sumGrads(); err != nil {
			return 0, 0, err
		}
	}
	if math.IsNaN(loss) || math.IsInf(loss, 0) {
		t.params.ZeroGrads()
		return loss, weight, &NonFiniteLossError{Step: t.state.Step + 1, Loss: loss}
	}
	if measured != nil {
		err = t.train.(metrics.Merger).Merge(measured)
	} else {
		err = split.measure(t.train)
	}
	if err != nil {
		return 0, 0, err
	}
	if t.cfg.Clip > 0 {
		ClipGradNorm(t.params, t.cfg.Clip)
	}
	if err := t.opt.Step(lr); err != nil { // also zeroes the gradients
		return loss, weight, err
	}
	t.state.Step++
	return loss, weight, nil
}

// stepSeed derives the dropout seed of one worker at one step, so that a
// resumed run draws the same masks as an uninterrupted one.
func stepSeed(seed uint64, step, worker int) uint64 {
	x := seed ^ uint64(step)*0x9e3779b97f4a7c15 ^ uint64(worker+1)*0xbf58476d1ce4e5b9
	x ^= x >> 31
	x *= 0x94d049bb133111eb
	return x ^ x>>29
}
