package train

import (
	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/pkg/errors"
)

// Evaluation is a model's quality on a dataset.
type Evaluation struct {
	Loss      float64 // mean cross-entropy over the rows
	Accuracy  float64
	MacroF1   float64
	Confusion *Confusion
}

// Evaluate runs model over data in batches of batchSize rows (truncated to
// maxLen tokens when positive), split over workers, without dropout or
// gradients.
func Evaluate(model Model, data *datasets.Encoded, batchSize, maxLen, workers int) (Evaluation, error) {
	batcher, err := datasets.NewBatcher(data, datasets.BatcherOptions{BatchSize: batchSize, MaxLen: maxLen})
	if err != nil {
		return Evaluation{}, errors.Wrap(err, "train: batching the evaluation data")
	}
	conf := NewConfusion(len(data.Classes))
	lossSum := 0.0
	var classes []int
	it := batcher.Epoch(0)
	for it.Next() {
		b := it.Batch()
		n := max(1, min(workers, b.Size))
		nets := make([]*graph.Network, n)
		from := make([]int, n+1)
		for w := range nets {
			from[w+1] = b.Size * (w + 1) / n
			lo, hi := from[w], from[w+1]
			if nets[w], err = model.Network(hi-lo, b.Steps, graph.Evaluate, w); err != nil {
				return Evaluation{}, err
			}
			if err := nets[w].SetBatch(b.IDs[lo*b.Steps:hi*b.Steps], b.Lengths[lo:hi], b.Labels[lo:hi]); err != nil {
				return Evaluation{}, err
			}
		}
		if err := runAll(nets); err != nil {
			return Evaluation{}, err
		}
		for w, net := range nets {
			lo, hi := from[w], from[w+1]
			loss, err := net.LossValue()
			if err != nil {
				return Evaluation{}, err
			}
			lossSum += loss * float64(hi-lo)
			classes = append(classes[:0], make([]int, hi-lo)...)
			if err := net.Predictions(classes, nil); err != nil {
				return Evaluation{}, err
			}
			for i, c := range classes {
				conf.Add(b.Labels[lo+i], c)
			}
		}
	}
	return Evaluation{
		Loss:      lossSum / float64(data.Len()),
		Accuracy:  conf.Accuracy(),
		MacroF1:   conf.MacroF1(),
		Confusion: conf,
	}, nil
}
