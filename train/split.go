package train

import (
	"sync"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// split is one batch spread over data-parallel workers: network w ran the
// rows of parts[w].
type split struct {
	nets  []models.Network
	parts []datasets.Batch
}

// runSplit runs model over batch b for mode with its rows split over
// workers (at most one per row), each worker's share on its own network,
// concurrently. prepare, when not nil, is called with each network before
// its share is set (to give it a dropout source, say).
func runSplit(model models.Model, b datasets.Batch, mode graph.Mode, workers int, prepare func(worker int, net models.Network)) (*split, error) {
	n := max(1, min(workers, b.Size))
	s := &split{nets: make([]models.Network, n), parts: make([]datasets.Batch, n)}
	for w := range s.nets {
		part := b.Rows(b.Size*w/n, b.Size*(w+1)/n)
		net, err := model.Network(part, mode, w)
		if err != nil {
			return nil, err
		}
		if prepare != nil {
			prepare(w, net)
		}
		if err := net.SetBatch(part); err != nil {
			return nil, err
		}
		s.nets[w], s.parts[w] = net, part
	}
	return s, s.run()
}

// run runs the networks concurrently and returns the first error.
func (s *split) run() error {
	if len(s.nets) == 1 {
		return s.nets[0].Run()
	}
	errs := make([]error, len(s.nets))
	var wg sync.WaitGroup
	for w, net := range s.nets {
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

// loss returns the batch's mean loss, the workers' means weighted by their
// weights (rows or tokens), each worker's weight, and their sum.
func (s *split) loss() (mean float64, weights []int, total int, err error) {
	weights = make([]int, len(s.nets))
	sum := 0.0
	for w, net := range s.nets {
		l, weight, err := net.Loss()
		if err != nil {
			return 0, nil, 0, err
		}
		if weight > 0 {
			sum += l * float64(weight)
		}
		weights[w] = weight
		total += weight
	}
	if total == 0 {
		return 0, weights, 0, nil
	}
	return sum / float64(total), weights, total, nil
}

// accumulateGrads adds the workers' gradients, weighted by their shares of
// the batch's weight, to the parameters' gradients, in worker order so
// that the sums are deterministic.
func (s *split) accumulateGrads(weights []int, total int) error {
	if total == 0 {
		return errors.New("train: the batch has nothing to learn from (no rows or tokens with a target)")
	}
	for w, net := range s.nets {
		if err := net.AccumulateGrads(float64(weights[w]) / float64(total)); err != nil {
			return err
		}
	}
	return nil
}

// measure adds every worker's results to m, in worker order.
func (s *split) measure(m metrics.Accumulator) error {
	for w, net := range s.nets {
		if err := net.Measure(s.parts[w], m); err != nil {
			return err
		}
	}
	return nil
}
