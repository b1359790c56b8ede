package models

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"gorgonia.org/tensor"
)

// lmFixture is one case of testdata/pytorch_lm.json (see
// make_lm_fixtures.py).
type lmFixture struct {
	Name      string                  `json:"name"`
	Cell      string                  `json:"cell"`
	Tied      bool                    `json:"tied"`
	VocabSize int                     `json:"vocab_size"`
	Size      int                     `json:"size"`
	NumLayers int                     `json:"num_layers"`
	Columns   int                     `json:"columns"`
	BPTT      int                     `json:"bptt"`
	Params    map[string]fixtureValue `json:"params"`
	Windows   []struct {
		IDs     []int                   `json:"ids"`
		Targets []int                   `json:"targets"`
		Logits  fixtureValue            `json:"logits"`
		Loss    float64                 `json:"loss"`
		Grads   map[string]fixtureValue `json:"grads"`
	} `json:"windows"`
}

func readLMFixtures(t *testing.T) []lmFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "pytorch_lm.json"))
	if err != nil {
		t.Fatal(err)
	}
	var file struct {
		Cases []lmFixture `json:"cases"`
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	return file.Cases
}

// numberedVocab returns a vocabulary of n tokens: <pad>, <unk>, <eos>,
// then "t3", "t4", ...
func numberedVocab(t *testing.T, n int, specials ...string) *datasets.Vocab {
	t.Helper()
	tokens := append([]string{datasets.PadToken, datasets.UnkToken}, specials...)
	for len(tokens) < n {
		tokens = append(tokens, fmt.Sprintf("t%d", len(tokens)))
	}
	path := filepath.Join(t.TempDir(), "vocab.txt")
	data := ""
	for _, tok := range tokens {
		data += tok + "\n"
	}
	if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	v, err := datasets.LoadVocab(path)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// fixtureModel builds the case's model as a stream model over its
// columns, with the fixture's weights.
func fixtureModel(t *testing.T, c lmFixture, impl graph.Impl) *LanguageModel {
	t.Helper()
	cell, err := graph.ParseCell(c.Cell)
	if err != nil {
		t.Fatal(err)
	}
	cfg := LMConfig{Cell: cell, EmbedDim: c.Size, HiddenSize: c.Size, NumLayers: c.NumLayers, Tied: c.Tied, Tokenizer: datasets.CharTokenizer}
	m, err := NewLanguageModel(cfg, numberedVocab(t, c.VocabSize, datasets.EOSToken), LMOptions{Impl: impl, StreamColumns: c.Columns})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(m.Params().List()), len(c.Params); got != want {
		t.Fatalf("%d parameters, PyTorch has %d", got, want)
	}
	for name, v := range c.Params {
		if err := m.Params().SetValues(name, tensor.Shape(v.Shape), v.Data); err != nil {
			t.Fatal(err)
		}
	}
	return m
}

func closeTo(got, want float64) bool {
	return math.Abs(got-want) <= parityAbs+parityRel*math.Abs(want)
}

// TestLanguageModelMatchesPyTorch trains the word_language_model RNNModel
// cases (LSTM and GRU, 2 layers, tied and untied) over two consecutive
// BPTT windows of a stream, the state carried from the first into the
// second and detached, through the model's train.Network, and compares
// each window's per-step logits, loss and every parameter's gradient with
// PyTorch's, for both graph implementations.
func TestLanguageModelMatchesPyTorch(t *testing.T) {
	for _, c := range readLMFixtures(t) {
		for _, impl := range []graph.Impl{graph.Fused, graph.Composed} {
			t.Run(impl.String()+"/"+c.Name, func(t *testing.T) {
				t.Parallel()
				m := fixtureModel(t, c, impl)
				for w, win := range c.Windows {
					b := datasets.Batch{IDs: win.IDs, Targets: win.Targets, Size: c.Columns, Steps: c.BPTT}
					for col := 0; col < c.Columns; col++ {
						b.Lengths = append(b.Lengths, c.BPTT)
						b.Index = append(b.Index, w*c.Columns+col)
					}
					net, err := m.Network(b, graph.Train, 0)
					if err != nil {
						t.Fatal(err)
					}
					if err := net.SetBatch(b); err != nil {
						t.Fatal(err)
					}
					if err := net.Run(); err != nil {
						t.Fatal(err)
					}
					loss, weight, err := net.Loss()
					if err != nil {
						t.Fatal(err)
					}
					if weight != c.Columns*c.BPTT || !closeTo(loss, win.Loss) {
						t.Errorf("window %d: loss %.8g over %d tokens, PyTorch %.8g over %d", w+1, loss, weight, win.Loss, c.Columns*c.BPTT)
					}
					logits, err := graph.Values(net.(*lmNetwork).logitsNode)
					if err != nil {
						t.Fatal(err)
					}
					compareValues(t, fmt.Sprintf("window %d logits", w+1), logits[:len(win.Logits.Data)], win.Logits.Data)
					if err := net.AccumulateGrads(1); err != nil {
						t.Fatal(err)
					}
					for _, p := range m.Params().List() {
						compareValues(t, fmt.Sprintf("window %d gradient of %s", w+1, p.Name), p.Gradients(), win.Grads[p.Name].Data)
					}
					m.Params().ZeroGrads()
				}
			})
		}
	}
}
