package models

import (
	"testing"

	"github.com/gornn/gornn/graph"
)

// BenchmarkGenerate samples 200 tokens at batch 1 from the lesson's
// character LSTM (embed 64, hidden 128) and reports the time per token.
func BenchmarkGenerate(b *testing.B) {
	m := charLM(b, LMConfig{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 128}, LMOptions{Seed: 1})
	opts := GenerateOptions{MaxTokens: 200, Sampling: Sampling{Temperature: 1}}
	tokens := 0
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		opts.Seed = uint64(i + 1)
		g, err := m.Generate("", opts)
		if err != nil {
			b.Fatal(err)
		}
		tokens += len(g.Tokens) + 1
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(tokens), "ns/token")
}
