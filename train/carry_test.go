package train_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// streamData is a character stream of built-in sentences, cut into
// columns of windows, with a validation stream.
func streamData(t *testing.T, columns, bptt int) (trainData, valData *datasets.Encoded, vocab *datasets.Vocab) {
	t.Helper()
	corpus := datasets.CorpusOf(datasets.Builtin(120, 3))
	tok, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	vocab, err := datasets.BuildCorpusVocab(corpus, tok, []string{datasets.EOSToken}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	head, _ := corpus.Rows(datasets.Rows{From: 1, To: 100})
	tail, _ := corpus.Rows(datasets.Rows{From: 101, To: 120})
	opts := datasets.StreamOptions{Columns: columns, BPTT: bptt}
	if trainData, err = datasets.EncodeStream(head, tok, vocab, opts); err != nil {
		t.Fatal(err)
	}
	if valData, err = datasets.EncodeStream(tail, tok, vocab, opts); err != nil {
		t.Fatal(err)
	}
	return trainData, valData, vocab
}

func streamModel(t *testing.T, vocab *datasets.Vocab, columns int) *models.LanguageModel {
	t.Helper()
	m, err := models.NewLanguageModel(models.LMConfig{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 8, NumLayers: 2, Dropout: 0.2, Tied: true},
		vocab, models.LMOptions{Seed: 5, StreamColumns: columns})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// lmStopper cancels a context during the n-th training batch.
type lmStopper struct {
	*models.LanguageModel
	n      int
	cancel context.CancelFunc
}

func (s *lmStopper) Network(b datasets.Batch, mode graph.Mode, replica int) (models.Network, error) {
	if mode == graph.Train && replica == 0 {
		if s.n--; s.n == 0 {
			s.cancel()
		}
	}
	return s.LanguageModel.Network(b, mode, replica)
}

func paramValues(ps *graph.Params) [][]float64 {
	var w [][]float64
	for _, p := range ps.List() {
		w = append(w, p.Values())
	}
	return w
}

// TestStreamResumeIsExact interrupts a stream language model in the
// middle of an epoch, when its columns carry state from window to window,
// resumes it in a new model, and checks that the weights end bit for bit
// as an uninterrupted run's (dropout on, two workers, plateau schedule).
func TestStreamResumeIsExact(t *testing.T) {
	const columns, bptt = 4, 6
	trainData, valData, vocab := streamData(t, columns, bptt)
	cfg := train.Config{Epochs: 2, BatchSize: columns, Workers: 2, Seed: 7, Optimizer: "sgd", LR: 5, Clip: 0.25, Schedule: "plateau"}

	whole := streamModel(t, vocab, columns)
	tr, err := train.New(whole, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), trainData, valData); err != nil {
		t.Fatal(err)
	}

	cfg.OutDir = t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	first := &lmStopper{LanguageModel: streamModel(t, vocab, columns), n: 9, cancel: cancel}
	if tr, err = train.New(first, cfg); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(ctx, trainData, valData); err != train.ErrInterrupted {
		t.Fatalf("interrupted run: %v, want ErrInterrupted", err)
	}
	if _, err := os.Stat(filepath.Join(cfg.OutDir, train.LastDir, models.CarriedStateFile)); err != nil {
		t.Errorf("the checkpoint lacks the carried state: %v", err)
	}
	resumed := streamModel(t, vocab, columns)
	if tr, err = train.New(resumed, cfg); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(cfg.OutDir); err != nil {
		t.Fatal(err)
	}
	result, err := tr.Fit(context.Background(), trainData, valData)
	if err != nil {
		t.Fatal(err)
	}
	if len(result.Epochs) != 2 || result.Epochs[1].Val["perplexity"] <= 1 {
		t.Errorf("resumed run: %+v", result.Epochs)
	}
	sameBits(t, "resumed vs uninterrupted", paramValues(resumed.Params()), paramValues(whole.Params()))

}

// TestPlateauDividesTheRate trains with a learning rate too small to move
// a float32 weight, so validation never improves after the first epoch,
// and checks that the epoch after each such validation trains at the rate
// before divided by 4 (word_language_model: epoch 2 still at the base
// rate, its validation no better, epoch 3 at a quarter of it).
func TestPlateauDividesTheRate(t *testing.T) {
	trainData, valData, vocab := streamData(t, 4, 6)
	m := streamModel(t, vocab, 4)
	var rates []float64
	cfg := train.Config{Epochs: 3, BatchSize: 4, Workers: 1, Optimizer: "sgd", LR: 1e-30, Schedule: "plateau", OnEpoch: func(e train.EpochMetrics) error {
		rates = append(rates, e.LR)
		return nil
	}}
	tr, err := train.New(m, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), trainData, valData); err != nil {
		t.Fatal(err)
	}
	want := []float64{1e-30, 1e-30, 1e-30 / 4}
	for i := range want {
		if math.Abs(rates[i]-want[i]) > 1e-12*want[i] {
			t.Errorf("epoch rates %v, want %v", rates, want)
			break
		}
	}
}
