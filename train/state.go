package train

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/pkg/errors"
)

// The files and folders of a run directory (Config.OutDir).
const (
	BestDir       = "best" // model directory of the best validation objective
	LastDir       = "last" // model directory of the last epoch or interruption, with the resume state
	OptimizerFile = "optimizer.safetensors"
	StateFile     = "trainer_state.json"
	MetricsFile   = "metrics.jsonl"
	CurvesFile    = "curves.png"
)

// runState is where a run stands, saved as last/trainer_state.json so that
// Resume continues it exactly. Batch order and dropout masks are functions
// of the seed, the epoch and the step, so no random state needs saving.
type runState struct {
	Config Config `json:"config"` // the run's settings, checked on resume
	Epoch  int    `json:"epoch"`  // 0-based epoch in progress (or next)
	Batch  int    `json:"batch"`  // batches of Epoch already trained
	Step   int    `json:"step"`   // optimizer steps taken

	BestValue float64 `json:"best_value"` // the best validation objective so far
	BestEpoch int     `json:"best_epoch"` // 1-based; 0 before any validation
	Stale     int     `json:"stale"`      // epochs since the best one
	Plateaus  int     `json:"plateaus"`   // epochs whose validation was not better than the best before (PlateauSchedule)

	Partial epochTotals `json:"partial"` // the current epoch's running totals
}

// epochTotals sums the training metrics of an epoch in progress.
type epochTotals struct {
	LossSum float64         `json:"loss_sum"` // sum over batches of the mean loss times its weight
	Weight  int             `json:"weight"`   // rows or tokens the losses are means over
	Tokens  int             `json:"tokens"`   // real (unpadded) tokens
	Seconds float64         `json:"seconds"`
	Train   json.RawMessage `json:"train,omitempty"` // the task's running measures, as its accumulator encodes them
}

func (p *epochTotals) add(b datasets.Batch, loss float64, weight int, took time.Duration) {
	p.LossSum += loss * float64(weight)
	p.Weight += weight
	p.Tokens += b.Tokens()
	p.Seconds += took.Seconds()
}

// saveLast writes the last checkpoint: the model directory, the optimizer
// state and the trainer state.
func (t *Trainer) saveLast() error {
	if t.cfg.OutDir == "" {
		return nil
	}
	dir := filepath.Join(t.cfg.OutDir, LastDir)
	if err := t.model.Save(dir); err != nil {
		return errors.Wrap(err, "train: saving the last checkpoint")
	}
	if err := SaveOptimizerState(filepath.Join(dir, OptimizerFile), t.opt.State()); err != nil {
		return err
	}
	train, err := json.Marshal(t.train)
	if err != nil {
		return errors.Wrap(err, "train: saving the epoch's measures")
	}
	t.state.Partial.Train = train
	if c, ok := carrier(t.model); ok {
		if err := c.SaveState(dir); err != nil {
			return errors.Wrap(err, "train: saving the carried state")
		}
	}
	return atomicfile.WriteJSON(filepath.Join(dir, StateFile), t.state)
}

// Resume loads the last checkpoint of the run directory dir (weights,
// optimizer state, position) so that Fit continues where the run stopped.
// The trainer's settings must match the run's, except Epochs, which may
// grow, and Workers, Progress and OutDir.
func (t *Trainer) Resume(dir string) error {
	last := filepath.Join(dir, LastDir)
	data, err := os.ReadFile(filepath.Join(last, StateFile))
	if err != nil {
		return errors.Wrap(err, "train: resuming")
	}
	var st runState
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&st); err != nil {
		return errors.Wrapf(err, "train: resuming: %s", filepath.Join(last, StateFile))
	}
	if saved, now := settingsOf(st.Config), settingsOf(t.cfg); saved != now {
		return errors.Errorf("train: resuming %s: settings differ from the run's (run: %s, now: %s)", dir, saved, now)
	}
	optState, err := LoadOptimizerState(filepath.Join(last, OptimizerFile), t.params)
	if err != nil {
		return err
	}
	if err := t.params.Load(filepath.Join(last, graph.ParamsFile)); err != nil {
		return errors.Wrap(err, "train: resuming")
	}
	if err := t.opt.LoadState(optState); err != nil {
		return errors.Wrap(err, "train: resuming")
	}
	if c, ok := carrier(t.model); ok {
		if err := c.LoadState(last); err != nil {
			return errors.Wrap(err, "train: resuming the carried state")
		}
	}
	train := t.model.NewMetrics()
	if len(st.Partial.Train) > 0 {
		if err := json.Unmarshal(st.Partial.Train, train); err != nil {
			return errors.Wrapf(err, "train: resuming: %s: the epoch's measures", filepath.Join(last, StateFile))
		}
	}
	st.Config = t.cfg
	t.state, t.train = st, train
	return nil
}

// settingsOf returns the settings of cfg that a resumed run must share with
// the original, as JSON.
func settingsOf(cfg Config) string {
	cfg.Epochs, cfg.Workers = 0, 0
	data, _ := json.Marshal(cfg)
	return string(data)
}
