package main

import (
	"math"
	"testing"

	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// TestModelFLOPs checks the FLOP count against products counted by hand.
func TestModelFLOPs(t *testing.T) {
	cfg := func(c benchConfig) models.Config { m := c.model; m.NumClasses = 4; return m }
	for _, c := range []struct {
		name         string
		cfg          models.Config
		mode         string
		tokens, rows int
		want         float64
	}{
		// One token of an LSTM E=2, H=1 with C=2: x [1,2]·W_ihᵀ [2,4] = 16,
		// h [1,1]·W_hhᵀ [1,4] = 8, and the head [1,1]·[1,2] = 4.
		{"lstm E2 H1", models.Config{Cell: graph.LSTM, EmbedDim: 2, HiddenSize: 1, NumClasses: 2}, modeInfer, 1, 1, 16 + 8 + 4},
		{"lstm E2 H1 train", models.Config{Cell: graph.LSTM, EmbedDim: 2, HiddenSize: 1, NumClasses: 2}, modeTrain, 1, 1, 3 * 28},
		// RNN h32 e64: 2·32·(64+32) = 6144 a token; head 2·32·4 = 256 a row.
		{"rnn", cfg(speedConfigs[0]), modeInfer, 10, 2, 10*6144 + 2*256},
		// GRU h128 e64: 2·384·(64+128) = 147456 a token; head 2·128·4 a row.
		{"gru", cfg(speedConfigs[2]), modeTrain, 1000, 10, 3 * (1000*147456 + 10*1024)},
		// BiLSTM h128 e64, 2 layers: 2 directions · 2·512·(64+128) in the
		// first, 2 · 2·512·(256+128) in the second; head 2·256·4.
		{"bilstm", cfg(speedConfigs[3]), modeInfer, 100, 3, 100*(393216+786432) + 3*2048},
		// Merged by sum, the head reads H features, not 2H.
		{"bilstm sum", models.Config{Cell: graph.RNNTanh, EmbedDim: 3, HiddenSize: 2, Bidirectional: true, Merge: graph.Sum, NumClasses: 5},
			modeLatency, 1, 1, 2*2*2*(3+2) + 2*2*5},
	} {
		if got := modelFLOPs(c.cfg, c.mode, c.tokens, c.rows); got != c.want {
			t.Errorf("%s: modelFLOPs = %v, want %v", c.name, got, c.want)
		}
	}
}

// TestModelFLOPsIssue10 reproduces issue 10's figures counted by hand from
// the README's tokens/s: GRU h128 b64 training at 107,247 tokens/s is
// about 47 GFLOP/s, the BiLSTM's at 20,703 about 73 (38% of 190), LSTM
// h32 b16 at 187,948 about 14 (7%). The rows' head is negligible there.
func TestModelFLOPsIssue10(t *testing.T) {
	for _, c := range []struct {
		config       benchConfig
		tokensPerSec int
		wantGFLOPS   float64
	}{{speedConfigs[2], 107247, 47.4}, {speedConfigs[3], 20703, 73.3}, {speedConfigs[1], 187948, 13.9}} {
		m := c.config.model
		m.NumClasses = 4
		got := modelFLOPs(m, modeTrain, c.tokensPerSec, 0) / 1e9
		if math.Abs(got-c.wantGFLOPS) > 0.05 {
			t.Errorf("%s: %.2f GFLOP/s, want %.1f", c.config.name, got, c.wantGFLOPS)
		}
	}
}
