package train

import (
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
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
	BestSaved int     `json:"best_saved"` // the epoch (1-based) whose model best/ holds; 0 for none
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

// saveLast writes the last checkpoint, one unit (see writeCheckpoint):
// the model directory, the optimizer state and the trainer state, and a
// manifest that ties them to the metrics log's first state.Epoch lines.
func (t *Trainer) saveLast() error {
	if t.cfg.OutDir == "" {
		return nil
	}
	train, err := json.Marshal(t.train)
	if err != nil {
		return errors.Wrap(err, "train: saving the epoch's measures")
	}
	t.state.Partial.Train = train
	prefix, _, lines, err := metricsPrefix(filepath.Join(t.cfg.OutDir, MetricsFile), t.state.Epoch)
	if err != nil {
		return err
	}
	if lines != t.state.Epoch {
		return errors.Errorf("train: saving the last checkpoint: %s holds %d epochs, the run has finished %d", MetricsFile, lines, t.state.Epoch)
	}
	m := manifest{Epoch: t.state.Epoch, Step: t.state.Step, MetricsSHA256: sha256Hex(prefix)}
	err = writeCheckpoint(filepath.Join(t.cfg.OutDir, LastDir), m, func(dir string) error {
		if err := t.model.Save(dir); err != nil {
			return err
		}
		if c, ok := carrier(t.model); ok {
			if err := t.saveCarried(c, dir); err != nil {
				return errors.Wrap(err, "the carried state")
			}
		}
		if err := SaveOptimizerState(filepath.Join(dir, OptimizerFile), t.opt.State()); err != nil {
			return err
		}
		return atomicfile.WriteJSON(filepath.Join(dir, StateFile), t.state)
	})
	t.checkpointed = err == nil
	return errors.Wrap(err, "train: saving the last checkpoint")
}

// saveBest writes the model as the best checkpoint, finished at epoch
// (1-based) after step optimizer steps.
func (t *Trainer) saveBest(epoch, step int) error {
	err := writeCheckpoint(filepath.Join(t.cfg.OutDir, BestDir), manifest{Epoch: epoch, Step: step}, t.model.Save)
	return errors.Wrap(err, "train: saving the best model")
}

// Resume loads the last checkpoint of the run directory dir (weights,
// optimizer state, position) so that Fit continues where the run stopped,
// exactly: with the same weights, bit for bit, as a run never stopped. It
// first recovers the directory from a crash (RecoverRun) and checks that
// the checkpoint's parts agree: every file's size and SHA-256 against the
// manifest, the trainer state's epoch and step against the manifest's and
// the optimizer's, the metrics log's lines up to the checkpoint against the
// SHA-256 recorded with it, and best/ against the epoch the state says it
// holds. Any disagreement is an error that says what differs, and leaves
// the trainer as it was. Then it drops the metrics lines of
// epochs after the checkpoint (left by a crash before it was replaced),
// and rewrites best/ when a crash came between the two checkpoints. The
// trainer's settings must match the run's, except Epochs, which may grow,
// and Workers and Progress; its OutDir must be dir, where the run goes on,
// or "" to write nothing more.
func (t *Trainer) Resume(dir string) error {
	writes := t.cfg.OutDir != ""
	if writes && !sameDir(dir, t.cfg.OutDir) {
		return errors.Errorf("train: resuming %s with OutDir %s: a run goes on in its own directory", dir, t.cfg.OutDir)
	}
	man, err := recoverRun(dir)
	if err != nil {
		return err
	}
	last := filepath.Join(dir, LastDir)
	statePath := filepath.Join(last, StateFile)
	data, err := regularfile.ReadFile(statePath, MaxStateFileBytes)
	if err != nil {
		return errors.Wrap(err, "train: resuming")
	}
	var st runState
	if err := decodeStrict(data, &st); err != nil {
		return errors.Wrapf(err, "train: resuming: %s", statePath)
	}
	if saved, now := settingsOf(st.Config), settingsOf(t.cfg); saved != now {
		return errors.Errorf("train: resuming %s: settings differ from the run's (run: %s, now: %s)", dir, saved, now)
	}
	if st.Epoch != man.Epoch || st.Step != man.Step {
		return checkpointMismatch(dir, "%s is at epoch %d step %d, its manifest at epoch %d step %d", statePath, st.Epoch, st.Step, man.Epoch, man.Step)
	}
	optState, err := LoadOptimizerState(filepath.Join(last, OptimizerFile), t.params)
	if err != nil {
		return err
	}
	if optState.Step != st.Step {
		return checkpointMismatch(dir, "the optimizer state has taken %d steps, the trainer %d", optState.Step, st.Step)
	}
	logPath := filepath.Join(dir, MetricsFile)
	prefix, all, lines, err := metricsPrefix(logPath, st.Epoch)
	if err != nil {
		return err
	}
	if lines < st.Epoch {
		return checkpointMismatch(dir, "%s holds %d finished epochs, the checkpoint %d", logPath, lines, st.Epoch)
	}
	if sum := sha256Hex(prefix); sum != man.MetricsSHA256 {
		return checkpointMismatch(dir, "the first %d lines of %s are not those the checkpoint recorded", st.Epoch, logPath)
	}
	epochs, err := parseMetricsLog(logPath, prefix)
	if err != nil {
		return err
	}
	for i, m := range epochs {
		if m.Epoch != i+1 {
			return checkpointMismatch(dir, "line %d of %s is epoch %d", i+1, logPath, m.Epoch)
		}
	}
	if len(epochs) != st.Epoch || st.BestSaved < 0 || st.BestSaved > st.Epoch || st.Batch < 0 {
		return checkpointMismatch(dir, "%s (epoch %d, batch %d, best saved %d) does not fit %d logged epochs", statePath, st.Epoch, st.Batch, st.BestSaved, len(epochs))
	}
	resaveBest, err := bestCheck(dir, st, epochs)
	if err != nil {
		return err
	}
	train := t.model.NewMetrics()
	if len(st.Partial.Train) > 0 {
		if err := json.Unmarshal(st.Partial.Train, train); err != nil {
			return errors.Wrapf(err, "train: resuming: %s: the epoch's measures", statePath)
		}
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
	st.Config = t.cfg
	t.state, t.train, t.checkpointed = st, train, true
	if !writes {
		return nil
	}
	if len(prefix) < len(all) { // epochs after the checkpoint, or a torn line
		if err := atomicfile.WriteFile(logPath, func(w io.Writer) error { _, err := w.Write(prefix); return err }); err != nil {
			return errors.Wrap(err, "train: resuming")
		}
	}
	if resaveBest {
		if err := t.saveBest(st.BestSaved, st.Step); err != nil {
			return err
		}
	}
	if len(epochs) == 0 {
		return nil
	}
	return PlotCurves(filepath.Join(dir, CurvesFile), epochs)
}

// sameDir reports whether the paths a and b name one existing folder.
func sameDir(a, b string) bool {
	ai, err := os.Stat(a)
	if err != nil {
		return false
	}
	bi, err := os.Stat(b)
	return err == nil && os.SameFile(ai, bi)
}

// settingsOf returns the settings of cfg that a resumed run must share with
// the original, as JSON.
func settingsOf(cfg Config) string {
	cfg.Epochs, cfg.Workers = 0, 0
	data, _ := json.Marshal(cfg)
	return string(data)
}
