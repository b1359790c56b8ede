package train

import (
	"slices"
	"sync"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
)

// Split is one batch spread over data-parallel workers: network w ran rows
// From[w] to From[w+1] of the batch.
type Split struct {
	Nets []*graph.Network
	From []int
}

// RunSplit runs model over batch b for mode with its rows split over
// workers (at most one per row), each worker's share on its own network,
// concurrently. prepare, when not nil, is called with each network before
// its share is set (to give it a dropout source, say). Predict networks
// get no labels.
func RunSplit(model Model, b datasets.Batch, mode graph.Mode, workers int, prepare func(worker int, net *graph.Network)) (*Split, error) {
	n := max(1, min(workers, b.Size))
	s := &Split{Nets: make([]*graph.Network, n), From: make([]int, n+1)}
	for w := range s.Nets {
		s.From[w+1] = b.Size * (w + 1) / n
		lo, hi := s.From[w], s.From[w+1]
		net, err := model.Network(hi-lo, b.Steps, mode, w)
		if err != nil {
			return nil, err
		}
		if prepare != nil {
			prepare(w, net)
		}
		var labels []int
		if mode != graph.Predict {
			labels = b.Labels[lo:hi]
		}
		if err := net.SetBatch(b.IDs[lo*b.Steps:hi*b.Steps], b.Lengths[lo:hi], labels); err != nil {
			return nil, err
		}
		s.Nets[w] = net
	}
	return s, s.run()
}

// run runs the networks concurrently and returns the first error.
func (s *Split) run() error {
	if len(s.Nets) == 1 {
		return s.Nets[0].Run()
	}
	errs := make([]error, len(s.Nets))
	var wg sync.WaitGroup
	for w, net := range s.Nets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[w] = net.Run()
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// share returns the fraction of the batch's rows worker w ran.
func (s *Split) share(w int) float64 {
	return float64(s.From[w+1]-s.From[w]) / float64(s.From[len(s.Nets)])
}

// Loss returns the batch's mean loss: the workers' mean losses weighted by
// their shares of the rows.
func (s *Split) Loss() (float64, error) {
	loss := 0.0
	for w, net := range s.Nets {
		l, err := net.LossValue()
		if err != nil {
			return 0, err
		}
		loss += s.share(w) * l
	}
	return loss, nil
}

// Predictions returns each row's most likely class, [B], in classes
// resized to the batch's rows: its memory is reused when large enough, so
// a caller that passes the previous batch's result allocates nothing.
func (s *Split) Predictions(classes []int) ([]int, error) {
	classes = slices.Grow(classes[:0], s.From[len(s.Nets)])[:s.From[len(s.Nets)]]
	for w, net := range s.Nets {
		if err := net.Predictions(classes[s.From[w]:s.From[w+1]], nil); err != nil {
			return nil, err
		}
	}
	return classes, nil
}

// AccumulateGrads adds the workers' gradients, weighted by their shares of
// the rows, to the parameters' gradients, in worker order so that the sums
// are deterministic.
func (s *Split) AccumulateGrads() error {
	for w, net := range s.Nets {
		if err := net.AccumulateGrads(s.share(w)); err != nil {
			return err
		}
	}
	return nil
}
