package train_test

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// memHub joins the members of an in-process train.Group: goroutines that
// stand for the processes of an MPI job.
type memHub struct {
	n   int
	in  chan memPart
	out []chan []any
}

type memPart struct {
	rank int
	data any // []byte or []float32, copied
}

func newMemHub(n int) *memHub {
	h := &memHub{n: n, in: make(chan memPart), out: make([]chan []any, n)}
	for r := range h.out {
		h.out[r] = make(chan []any, 1)
	}
	go func() {
		for {
			got := make([]any, n)
			for range n {
				p, ok := <-h.in
				if !ok {
					return
				}
				got[p.rank] = p.data
			}
			for _, out := range h.out {
				out <- got
			}
		}
	}()
	return h
}

// memGroup is one member of a memHub.
type memGroup struct {
	hub  *memHub
	rank int
}

func (g memGroup) Rank() int { return g.rank }
func (g memGroup) Size() int { return g.hub.n }

func (g memGroup) exchange(data any) []any {
	g.hub.in <- memPart{rank: g.rank, data: data}
	return <-g.hub.out[g.rank]
}

func (g memGroup) AllGather(data []byte) ([][]byte, error) {
	var all [][]byte
	for _, d := range g.exchange(append([]byte(nil), data...)) {
		all = append(all, d.([]byte))
	}
	return all, nil
}

func (g memGroup) SumFloat32(x []float32) error {
	all := g.exchange(append([]float32(nil), x...))
	copy(x, all[0].([]float32))
	for _, d := range all[1:] {
		for i, v := range d.([]float32) {
			x[i] += v
		}
	}
	return nil
}

// groupRun trains one model per member of an in-process group of size
// ranks, concurrently, and returns each member's weights and result.
func groupRun(t *testing.T, data *datasets.Prepared, dropout float64, cfg train.Config, ranks int) ([][][]float64, []*train.Result) {
	t.Helper()
	hub := newMemHub(ranks)
	defer close(hub.in)
	ws := make([][][]float64, ranks)
	results := make([]*train.Result, ranks)
	errs := make([]error, ranks)
	var wg sync.WaitGroup
	for r := range ranks {
		m := smallModel(t, data, dropout)
		c := cfg
		c.Group = memGroup{hub: hub, rank: r}
		tr, err := train.New(m, c)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[r], errs[r] = tr.Fit(context.Background(), data.Train, data.Val)
			ws[r] = weights(m)
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != nil {
			t.Fatalf("rank %d: %v", r, err)
		}
	}
	return ws, results
}

func maxDiff(a, b [][]float64) float64 {
	worst := 0.0
	for i := range a {
		for j := range a[i] {
			worst = math.Max(worst, math.Abs(a[i][j]-b[i][j]))
		}
	}
	return worst
}

// TestGroupTrainsAsOneProcess checks that N processes of W workers train
// as one process of N·W workers: the same row ranges and dropout masks,
// so the same weights (bit for bit with W = 1, within 1e-6 otherwise, the
// order of the gradient sums aside), the same training loss and measures,
// and the same weights on every process. The batch size leaves a last
// batch smaller than N·W, so that some workers have no rows.
func TestGroupTrainsAsOneProcess(t *testing.T) {
	data := smallData(t)
	for _, c := range []struct {
		name           string
		ranks, workers int
		exact          bool
	}{
		{"2 ranks x 1 worker", 2, 1, true},
		{"2 ranks x 2 workers", 2, 2, false},
		{"3 ranks x 2 workers", 3, 2, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			cfg := train.Config{Epochs: 2, BatchSize: 10, Seed: 5}
			single := smallModel(t, data, 0.3)
			one := cfg
			one.Workers = c.ranks * c.workers
			tr, err := train.New(single, one)
			if err != nil {
				t.Fatal(err)
			}
			want, err := tr.Fit(context.Background(), data.Train, data.Val)
			if err != nil {
				t.Fatal(err)
			}
			cfg.Workers = c.workers
			ws, results := groupRun(t, data, 0.3, cfg, c.ranks)
			for r := 1; r < c.ranks; r++ {
				sameBits(t, "rank 0 vs another rank", ws[0], ws[r])
			}
			if c.exact {
				sameBits(t, "group vs one process", ws[0], weights(single))
			} else if d := maxDiff(ws[0], weights(single)); d > 1e-6 {
				t.Errorf("weights differ by up to %g from one process with %d workers, want <= 1e-6", d, c.ranks*c.workers)
			}
			for e, m := range results[0].Epochs {
				w := want.Epochs[e]
				if math.Abs(m.TrainLoss-w.TrainLoss) > 1e-6 || m.Train["accuracy"] != w.Train["accuracy"] || m.Val["accuracy"] != w.Val["accuracy"] {
					t.Errorf("epoch %d: train loss %v accuracy %v val accuracy %v, one process %v %v %v",
						e+1, m.TrainLoss, m.Train["accuracy"], m.Val["accuracy"], w.TrainLoss, w.Train["accuracy"], w.Val["accuracy"])
				}
			}
		})
	}
}

// TestGroupResumes interrupts a two-process run in its first epoch and
// resumes it, as two processes again and as one process with two workers:
// batch order and position carry over, and two processes of one worker
// train as one of two, so both give the uninterrupted run's weights bit
// for bit.
func TestGroupResumes(t *testing.T) {
	data := smallData(t)
	cfg := train.Config{Epochs: 2, BatchSize: 8, Workers: 1, Seed: 4}
	ws, _ := groupRun(t, data, 0.3, cfg, 2)

	dir := t.TempDir()
	hub := newMemHub(2)
	defer close(hub.in)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for r := range 2 {
		c := cfg
		c.Group = memGroup{hub: hub, rank: r}
		if r == 0 {
			c.OutDir = dir // rank 0 alone writes
		}
		// Every rank stops before the same batch, as package mpi arranges.
		ctx, cancel := context.WithCancel(context.Background())
		tr, err := train.New(&stopper{Classifier: smallModel(t, data, 0.3), n: 11, cancel: cancel}, c)
		if err != nil {
			t.Fatal(err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[r] = tr.Fit(ctx, data.Train, data.Val)
		}()
	}
	wg.Wait()
	for r, err := range errs {
		if err != train.ErrInterrupted {
			t.Fatalf("rank %d: %v, want ErrInterrupted", r, err)
		}
	}

	resumed := smallModel(t, data, 0.3)
	one := cfg
	one.Workers = 2
	tr, err := train.New(resumed, one)
	if err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), data.Train, data.Val); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "resumed as one process vs uninterrupted group", weights(resumed), ws[0])
}

// TestGroupRefuses lists what a group cannot train.
func TestGroupRefuses(t *testing.T) {
	data := smallData(t)
	hub := newMemHub(2)
	defer close(hub.in)
	m := smallModel(t, data, 0)
	_, err := train.New(unmergeable{m}, train.Config{Group: memGroup{hub: hub, rank: 0}})
	if err == nil || !strings.Contains(err.Error(), "Merge") {
		t.Errorf("a task whose measures do not merge: error %v, want one asking for metrics.Merger", err)
	}
	_, err = train.New(m, train.Config{Group: memGroup{hub: hub, rank: 2}})
	if err == nil || !strings.Contains(err.Error(), "rank 2 of 2") {
		t.Errorf("rank 2 of 2: error %v", err)
	}
}

// unmergeable is a model whose measures cannot merge.
type unmergeable struct{ models.Model }

type plainScores struct{}

func (plainScores) Scores() metrics.Scores { return metrics.Scores{} }

func (unmergeable) NewMetrics() metrics.Accumulator { return plainScores{} }

// TestGroupCarriesState trains a stream language model, whose columns
// carry their state from window to window, as two processes of one
// worker: uninterrupted, and interrupted in the middle of an epoch and
// resumed as two processes and as one process of two workers. The
// checkpoint must hold the whole carried state (each process updates its
// own columns), so all three end with the weights of one process with two
// workers, bit for bit.
func TestGroupCarriesState(t *testing.T) {
	const columns, bptt = 4, 6
	trainData, valData, vocab := streamData(t, columns, bptt)
	cfg := train.Config{Epochs: 2, BatchSize: columns, Workers: 2, Seed: 7, Optimizer: "sgd", LR: 5, Clip: 0.25, Schedule: "plateau"}
	single := streamModel(t, vocab, columns)
	tr, err := train.New(single, cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), trainData, valData); err != nil {
		t.Fatal(err)
	}
	want := paramValues(single.Params())
	cfg.Workers = 1

	// fit trains one stream model per member of a two-process group and
	// returns rank 0's; stopAt > 0 interrupts every member at that batch.
	fit := func(dir, resume string, stopAt int) *models.LanguageModel {
		hub := newMemHub(2)
		defer close(hub.in)
		ms := make([]*models.LanguageModel, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for r := range 2 {
			c := cfg
			c.Group = memGroup{hub: hub, rank: r}
			if r == 0 {
				c.OutDir = dir
			}
			ms[r] = streamModel(t, vocab, columns)
			var m models.Model = ms[r]
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if stopAt > 0 {
				m = &lmStopper{LanguageModel: ms[r], n: stopAt, cancel: cancel}
			}
			tr, err := train.New(m, c)
			if err != nil {
				t.Fatal(err)
			}
			if resume != "" {
				if err := tr.Resume(resume); err != nil {
					t.Fatal(err)
				}
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				_, errs[r] = tr.Fit(ctx, trainData, valData)
			}()
		}
		wg.Wait()
		for r, err := range errs {
			if err != nil && !(stopAt > 0 && err == train.ErrInterrupted) {
				t.Fatalf("rank %d: %v", r, err)
			}
		}
		return ms[0]
	}
	sameBits(t, "two processes vs one", paramValues(fit("", "", 0).Params()), want)

	dir := t.TempDir()
	fit(dir, "", 9)
	again := filepath.Join(t.TempDir(), "run")
	if err := os.CopyFS(again, os.DirFS(dir)); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "interrupted, resumed as two processes", paramValues(fit(dir, dir, 0).Params()), want)

	one := streamModel(t, vocab, columns)
	c := cfg
	c.Workers, c.OutDir = 2, again
	if tr, err = train.New(one, c); err != nil {
		t.Fatal(err)
	}
	if err := tr.Resume(again); err != nil {
		t.Fatal(err)
	}
	if _, err := tr.Fit(context.Background(), trainData, valData); err != nil {
		t.Fatal(err)
	}
	sameBits(t, "interrupted, resumed as one process", paramValues(one.Params()), want)
}
