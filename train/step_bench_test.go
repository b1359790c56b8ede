package train_test

import (
	"fmt"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// BenchmarkTrainStep times one training step (forward, backward, gradient
// reduction, Adam) of the classifier shapes on a fixed batch of
// full-length rows, T = 48, vocabulary 20000, 4 classes, and reports the
// memory allocated per step after warm-up.
func BenchmarkTrainStep(b *testing.B) {
	for _, s := range []struct {
		cell          graph.Cell
		batch, hidden int
		layers        int
		bidirectional bool
	}{
		{graph.LSTM, 16, 32, 1, false},
		{graph.LSTM, 64, 128, 1, false},
		{graph.RNNTanh, 16, 32, 1, false},
		{graph.GRU, 64, 128, 1, false},
		{graph.LSTM, 64, 128, 2, true},
	} {
		name := fmt.Sprintf("%v/layers=%d/bidirectional=%v/B=%d,H=%d", s.cell, s.layers, s.bidirectional, s.batch, s.hidden)
		b.Run(name, func(b *testing.B) {
			const vocabSize, steps = 20000, 48
			tokens := make([]string, vocabSize-2)
			for i := range tokens {
				tokens[i] = fmt.Sprint("w", i)
			}
			vocab, err := datasets.VocabFromTokens([][]string{tokens}, datasets.VocabOptions{})
			if err != nil {
				b.Fatal(err)
			}
			m, err := models.New(models.Config{
				Cell: s.cell, EmbedDim: 64, HiddenSize: s.hidden, NumLayers: s.layers, Bidirectional: s.bidirectional,
				Labels: []string{"a", "b", "c", "d"},
			}, vocab, models.Options{})
			if err != nil {
				b.Fatal(err)
			}
			t, err := train.New(m, train.Config{BatchSize: s.batch})
			if err != nil {
				b.Fatal(err)
			}
			batch := datasets.Batch{Size: s.batch, Steps: steps, IDs: make([]int, s.batch*steps), Lengths: make([]int, s.batch), Labels: make([]int, s.batch)}
			for i := range batch.IDs {
				batch.IDs[i] = 2 + (i*7919)%(vocabSize-2)
			}
			for i := range batch.Lengths {
				batch.Lengths[i], batch.Labels[i] = steps, i%4
			}
			for i := 0; i < 3; i++ { // warm-up: compile the graphs, size the buffers
				if _, err := t.Step(batch, 1e-3); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := t.Step(batch, 1e-3); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/step")
		})
	}
}
