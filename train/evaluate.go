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
		split, err := RunSplit(model, b, graph.Evaluate, workers, nil)
		if err != nil {
			return Evaluation{}, err
		}
		loss, err := split.Loss()
		if err != nil {
			return Evaluation{}, err
		}
		lossSum += loss * float64(b.Size)
		if classes, err = split.Predictions(classes); err != nil {
			return Evaluation{}, err
		}
		if err := conf.AddBatch(b.Labels, classes); err != nil {
			return Evaluation{}, err
		}
	}
	return Evaluation{
		Loss:      lossSum / float64(data.Len()),
		Accuracy:  conf.Accuracy(),
		MacroF1:   conf.MacroF1(),
		Confusion: conf,
	}, nil
}
