package models

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gornn/gornn/graph"
)

// interopTolerance is the largest logit difference accepted between gornn
// and PyTorch (float32 on both sides).
const interopTolerance = 1e-4

// TestInteropPyTorchModelDirectories loads model directories that PyTorch
// wrote (testdata/interop.py write) and checks that gornn predicts the
// logits PyTorch computed, with both implementations.
func TestInteropPyTorchModelDirectories(t *testing.T) {
	dirs, err := filepath.Glob("testdata/torch/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no PyTorch fixtures in testdata/torch (%v)", err)
	}
	for _, dir := range dirs {
		for _, impl := range []graph.Impl{graph.Fused, graph.Composed} {
			t.Run(filepath.Base(dir)+"/"+impl.String(), func(t *testing.T) {
				var want struct {
					Texts  []string    `json:"texts"`
					Logits [][]float64 `json:"logits"`
				}
				data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
				if err != nil {
					t.Fatal(err)
				}
				if err := json.Unmarshal(data, &want); err != nil {
					t.Fatal(err)
				}
				c, err := Load(dir, Options{Impl: impl})
				if err != nil {
					t.Fatal(err)
				}
				preds, err := c.Predict(want.Texts)
				if err != nil {
					t.Fatal(err)
				}
				for i, p := range preds {
					for j, l := range p.Logits {
						if math.Abs(l-want.Logits[i][j]) > interopTolerance {
							t.Errorf("text %d logit %d = %.6f, PyTorch %.6f", i, j, l, want.Logits[i][j])
						}
					}
				}
			})
		}
	}
}

// TestInteropWriteGornnModelDirectories saves gornn classifiers and the
// logits they predict under testdata/gornn, where testdata/interop.py check
// loads them into PyTorch. It rewrites them only with GORNN_UPDATE_INTEROP=1;
// otherwise it checks that the committed directories still load and predict
// their logits.
func TestInteropWriteGornnModelDirectories(t *testing.T) {
	texts := []string{"the match was good , not bad", "I thought it would be bad, but it was great!", "zzz"}
	configs := map[string]Config{
		"lstm_last":           {Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, Labels: []string{"a", "b", "c"}},
		"gru_bi2_ave_max":     {Cell: graph.GRU, EmbedDim: 6, HiddenSize: 5, NumLayers: 2, Bidirectional: true, Merge: graph.Ave, Pooling: graph.Max, Labels: []string{"a", "b"}},
		"rnn_relu_mean_all":   {Cell: graph.RNNReLU, EmbedDim: 6, HiddenSize: 5, Pooling: graph.MeanAll, Padded: true, Labels: []string{"a", "b"}},
		"lstm_bi_concat_mean": {Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, Bidirectional: true, Pooling: graph.Mean, Labels: []string{"a", "b", "c", "d"}},
	}
	update := os.Getenv("GORNN_UPDATE_INTEROP") == "1"
	for name, cfg := range configs {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join("testdata", "gornn", name)
			var c *Classifier
			var err error
			if update {
				if c, err = New(cfg, testVocab(t), Options{Seed: 11}); err == nil {
					err = c.Save(dir)
				}
			} else {
				c, err = Load(dir, Options{})
			}
			if err != nil {
				t.Fatal(err)
			}
			preds, err := c.Predict(texts)
			if err != nil {
				t.Fatal(err)
			}
			logits := make([][]float64, len(preds))
			for i, p := range preds {
				logits[i] = p.Logits
			}
			path := filepath.Join(dir, "gornn_logits.json")
			if update {
				data, _ := json.MarshalIndent(map[string]any{"texts": texts, "logits": logits}, "", " ")
				if err := os.WriteFile(path, data, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			var saved struct {
				Logits [][]float64 `json:"logits"`
			}
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(data, &saved); err != nil {
				t.Fatal(err)
			}
			for i := range logits {
				for j := range logits[i] {
					if math.Abs(logits[i][j]-saved.Logits[i][j]) > 1e-6 {
						t.Errorf("text %d logit %d = %v, the committed run gave %v", i, j, logits[i][j], saved.Logits[i][j])
					}
				}
			}
		})
	}
}
