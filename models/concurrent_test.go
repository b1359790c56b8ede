package models

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/graph"
)

// concurrentTexts are 40 texts of assorted lengths, up to maxWords words,
// spanning several length buckets when maxWords allows, for the
// concurrency tests.
func concurrentTexts(maxWords int) []string {
	words := strings.Fields("the match was not good at all but the food was very good and the film was bad")
	texts := make([]string, 40)
	for i := range texts {
		n := min(maxWords, 1+(i*7)%len(words)+(i%3)*16)
		var b strings.Builder
		for k := range n {
			b.WriteString(words[(i+k)%len(words)])
			b.WriteByte(' ')
		}
		texts[i] = b.String()
	}
	return texts
}

// TestPredictConcurrently runs Predict from 16 goroutines at once on one
// classifier, each over its own slices of the texts, and checks every
// prediction bit for bit against a single-goroutine run of the same
// slices (issue 15, item 10: one shared Classifier used to panic in the
// fused recurrent kernel). Run it under -race.
func TestPredictConcurrently(t *testing.T) {
	const goroutines, rounds = 16, 3
	// A composed graph is compiled for each exact length, so its texts are
	// kept short.
	configs := []struct {
		name     string
		cfg      Config
		impl     graph.Impl
		maxWords int
	}{
		{"fused bidirectional lstm", testConfig(), graph.Fused, 50},
		{"composed gru", Config{Cell: graph.GRU, EmbedDim: 8, HiddenSize: 6, Pooling: graph.Mean, Labels: []string{"a", "b", "c"}}, graph.Composed, 4},
		{"fused padded rnn", Config{EmbedDim: 8, HiddenSize: 6, Padded: true, Pooling: graph.MeanAll, Labels: []string{"a", "b"}}, graph.Fused, 50},
	}
	// Goroutine g predicts texts[from:to]: varied batch sizes and lengths.
	span := func(g int) (from, to int) {
		from = (g * 5) % 40
		return from, min(40, from+1+g%9)
	}
	for _, tc := range configs {
		t.Run(tc.name, func(t *testing.T) {
			texts := concurrentTexts(tc.maxWords)
			c, err := New(tc.cfg, testVocab(t), Options{Seed: 7, Impl: tc.impl, PredictBatch: 4, PredictConcurrency: 8})
			if err != nil {
				t.Fatal(err)
			}
			want := make([][]Prediction, goroutines)
			for g := range want {
				from, to := span(g)
				if want[g], err = c.Predict(texts[from:to]); err != nil {
					t.Fatal(err)
				}
			}
			var wg sync.WaitGroup
			errs := make([]error, goroutines)
			for g := range goroutines {
				wg.Add(1)
				go func() {
					defer wg.Done()
					from, to := span(g)
					for range rounds {
						got, err := c.Predict(texts[from:to])
						if err == nil {
							err = samePredictions(got, want[g])
						}
						if err != nil {
							errs[g] = fmt.Errorf("goroutine %d, texts %d..%d: %w", g, from, to-1, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			for _, err := range errs {
				if err != nil {
					t.Error(err)
				}
			}
		})
	}
}

// samePredictions reports the first prediction of got that differs from
// want in any bit.
func samePredictions(got, want []Prediction) error {
	if len(got) != len(want) {
		return fmt.Errorf("%d predictions, want %d", len(got), len(want))
	}
	for i := range want {
		if got[i].Class != want[i].Class || !slices.Equal(got[i].Logits, want[i].Logits) || !slices.Equal(got[i].Probabilities, want[i].Probabilities) {
			return fmt.Errorf("text %d: %+v, want %+v", i, got[i], want[i])
		}
	}
	return nil
}

// TestRowsIndependent checks RowsIndependent's promise: a text predicted
// in a batch with others, in any position and whatever their lengths,
// gives the bits it gives alone, for every model whose RowsIndependent
// says so; and that the padded ones do depend on the batch.
func TestRowsIndependent(t *testing.T) {
	texts := concurrentTexts(50)
	cases := []struct {
		name        string
		cfg         Config
		impl        graph.Impl
		independent bool
	}{
		{"fused bidirectional lstm, max", testConfig(), graph.Fused, true},
		{"fused gru, last", Config{Cell: graph.GRU, EmbedDim: 8, HiddenSize: 6, NumLayers: 2, Labels: []string{"a", "b", "c"}}, graph.Fused, true},
		{"fused rnn_relu, mean", Config{Cell: graph.RNNReLU, EmbedDim: 8, HiddenSize: 6, Pooling: graph.Mean, Labels: []string{"a", "b"}}, graph.Fused, true},
		{"fused padded rnn", Config{EmbedDim: 8, HiddenSize: 6, Padded: true, Labels: []string{"a", "b"}}, graph.Fused, false},
		{"fused mean_all", Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 6, Pooling: graph.MeanAll, Labels: []string{"a", "b"}}, graph.Fused, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.cfg, testVocab(t), Options{Seed: 11, Impl: tc.impl})
			if err != nil {
				t.Fatal(err)
			}
			if c.RowsIndependent() != tc.independent {
				t.Fatalf("RowsIndependent() = %v, want %v", c.RowsIndependent(), tc.independent)
			}
			batched, err := c.Predict(texts)
			if err != nil {
				t.Fatal(err)
			}
			differs := 0
			for i, text := range texts {
				alone, err := c.Predict([]string{text})
				if err != nil {
					t.Fatal(err)
				}
				if samePredictions(batched[i:i+1], alone) != nil {
					differs++
				}
			}
			if tc.independent && differs > 0 {
				t.Errorf("%d of %d texts predicted differently in a batch than alone", differs, len(texts))
			}
			if !tc.independent && differs == 0 {
				t.Error("every text predicted the same in a batch as alone, though the model reads the padding")
			}
		})
	}
}
