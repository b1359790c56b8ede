package train_test

import (
	"context"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// smallData is a few hundred built-in examples with a validation split.
func smallData(t *testing.T) *datasets.Prepared {
	t.Helper()
	data, err := datasets.Prepare(datasets.Source{BuiltinSize: 240, Seed: 2})
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func smallModel(t *testing.T, data *datasets.Prepared, dropout float64) *models.Classifier {
	t.Helper()
	m, err := models.New(models.Config{
		Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 6, NumLayers: 2, Bidirectional: true, Dropout: dropout,
		Labels: data.Classes,
	}, data.Vocab, models.Options{Seed: 9})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// stopper wraps a model and cancels a context when the trainer asks for
// its training networks for the n-th time, i.e. during the n-th batch.
type stopper struct {
	*models.Classifier
	n      int
	cancel context.CancelFunc
}

func (s *stopper) Network(b datasets.Batch, mode graph.Mode, replica int) (models.Network, error) {
	if mode == graph.Train && replica == 0 {
		if s.n--; s.n == 0 {
			s.cancel()
		}
	}
	return s.Classifier.Network(b, mode, replica)
}

func weights(m *models.Classifier) [][]float64 {
	var w [][]float64
	for _, p := range m.Params().List() {
		w = append(w, p.Values())
	}
	return w
}

func sameBits(t *testing.T, what string, a, b [][]float64) {
	t.Helper()
	for i := range a {
		for j := range a[i] {
			if math.Float64bits(a[i][j]) != math.Float64bits(b[i][j]) {
				t.Fatalf("%s: parameter %d element %d: %v vs %v", what, i, j, a[i][j], b[i][j])
			}
		}
	}
}

// TestResumeIsExact interrupts a run in the middle of its first epoch,
// resumes it from the saved checkpoint in a fresh process state, and
// checks that the final weights equal those of an uninterrupted run bit for
// bit (dropout on, two workers).
func TestResumeIsExact(t *testing.T) {
	data := smallData(t)
	cfg := train.Config{Epochs: 2, BatchSize: 8, Workers: 2, Seed: 4}

	whole := smallModel(t, data, 0.3)
	tr, err := train.New(whole, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, data.Val); err != nil {
		t.Fatal(err)
	}

	dir := t.TempDir()
	cfg.OutDir = dir
	ctx, cancel := context.WithCancel(context.Background())
	first := &stopper{Classifier: smallModel(t, data, 0.3), n: 11, cancel: cancel}
	tr, err = train.New(first, cfg)
	if err != nil {
		t.Fatal(err)
	}
	result, err := tr.Fit(ctx, data.Train, data.Val)
	if err != train.ErrInterrupted || result.Stopped != "interrupted" {
		t.Fatalf("interrupted run returned %v (%+v), want ErrInterrupted", err, result)
	}

	resumed := smallModel(t, data, 0.3)
	tr, err = train.New(resumed, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(dir); err != nil {
		t.Fatal(err)
	}
	result, err = tr.Fit(context.Background(), data.Train, data.Val)
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Epochs) != 2 {
		t.Errorf("resumed run reports %d epochs, want 2", len(result.Epochs))
	}
	sameBits(t, "resumed vs uninterrupted", weights(resumed), weights(whole))
}

// TestSameSeedSameWeights trains twice with one seed and compares bits.
func TestSameSeedSameWeights(t *testing.T) {
	data := smallData(t)
	run := func() [][]float64 {
		m := smallModel(t, data, 0.2)
		tr, err := train.New(m, train.Config{BatchSize: 16, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
			t.Fatal(err)
		}
		return weights(m)
	}
	sameBits(t, "two runs of one seed", run(), run())
}

// TestWorkersAgree checks that splitting batches over workers gives the
// single-worker weights within 1e-6 (only the order of the gradient sums
// differs).
func TestWorkersAgree(t *testing.T) {
	data := smallData(t)
	run := func(workers int) [][]float64 {
		m := smallModel(t, data, 0)
		tr, err := train.New(m, train.Config{BatchSize: 16, Workers: workers, Optimizer: "sgd", LR: 0.1, Seed: 3})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := tr.Fit(context.Background(), data.Train, nil); err != nil {
			t.Fatal(err)
		}
		return weights(m)
	}
	one, two := run(1), run(2)
	worst := 0.0
	for i := range one {
		for j := range one[i] {
			worst = math.Max(worst, math.Abs(one[i][j]-two[i][j]))
		}
	}
	if worst > 1e-6 {
		t.Errorf("weights differ by up to %g between 1 and 2 workers, want <= 1e-6", worst)
	}
}

// TestNaNLossStops checks that a NaN loss stops training with an error
// naming the epoch and step.
func TestNaNLossStops(t *testing.T) {
	data := smallData(t)
	m := smallModel(t, data, 0)
	w := m.Params().Get("fc.bias")
	w.Value.Float32s()[0] = float32(math.NaN())
	tr, err := train.New(m, train.Config{BatchSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	_, err = tr.Fit(context.Background(), data.Train, nil)
	var diverged *train.NonFiniteLossError
	if !errors.As(err, &diverged) || diverged.Epoch != 1 || diverged.Step != 1 || !math.IsNaN(diverged.Loss) {
		t.Fatalf("error %v, want a *NonFiniteLossError at epoch 1 step 1", err)
	}
	if !strings.Contains(err.Error(), "epoch 1 step 1") || !strings.Contains(err.Error(), "NaN") {
		t.Errorf("error %q, want one naming epoch 1 step 1 and NaN", err)
	}
}

// TestEarlyStopping stops when validation accuracy does not improve.
func TestEarlyStopping(t *testing.T) {
	data := smallData(t)
	tr, err := train.New(smallModel(t, data, 0), train.Config{Epochs: 30, BatchSize: 16, LR: 1e-9, Patience: 2})
	if err != nil {
		t.Fatal(err)
	}
	result, err := tr.Fit(context.Background(), data.Train, data.Val)
	if err != nil {
		t.Fatal(err)
	}
	if result.Stopped != "early stopping" || len(result.Epochs) != 3 {
		t.Errorf("stopped %q after %d epochs, want early stopping after 3", result.Stopped, len(result.Epochs))
	}
}

// TestBadConfig rejects settings that cannot work.
func TestBadConfig(t *testing.T) {
	data := smallData(t)
	for _, c := range []struct {
		cfg  train.Config
		want string
	}{
		{train.Config{Optimizer: "lion"}, "lion"},
		{train.Config{Schedule: "zigzag"}, "zigzag"},
		{train.Config{LR: math.NaN()}, "learning rate"},
		{train.Config{Epochs: -1}, "must not be negative"},
		{train.Config{Clip: -1}, "must not be negative"},
	} {
		_, err := train.New(smallModel(t, data, 0), c.cfg)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("config %+v: error %v, want one containing %q", c.cfg, err, c.want)
		}
	}
}

// TestCallbacks checks that OnStep and OnEpoch see every step and epoch and
// that their errors stop training.
func TestCallbacks(t *testing.T) {
	data := smallData(t)
	var steps, epochs int
	stop := errors.New("enough")
	tr, err := train.New(smallModel(t, data, 0), train.Config{
		Epochs: 3, BatchSize: 16,
		OnStep: func(m train.StepMetrics) error {
			steps++
			if acc := m.Train["accuracy"]; m.Step != steps || m.LR != 1e-3 || acc < 0 || acc > 1 || m.Weight < 1 || m.Weight > 16 {
				t.Errorf("step metrics %+v", m)
			}
			return nil
		},
		OnEpoch: func(m train.EpochMetrics) error {
			epochs++
			if epochs == 2 {
				return stop
			}
			return nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, data.Val); err != stop {
		t.Errorf("Fit returned %v, want the callback's error", err)
	}
	if perEpoch := (data.Train.Len() + 15) / 16; epochs != 2 || steps != 2*perEpoch {
		t.Errorf("%d epochs and %d steps seen, want 2 and %d", epochs, steps, 2*perEpoch)
	}
}
