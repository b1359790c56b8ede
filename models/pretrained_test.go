package models_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

// TestClassifierPretrained fills a classifier's embedding with vectors
// (one by its lowercase form), freezes it, and trains a step: the
// embedding keeps the vectors, the other weights move.
func TestClassifierPretrained(t *testing.T) {
	vocab := builtinVocab(t)
	path := filepath.Join(t.TempDir(), "v.txt")
	if err := os.WriteFile(path, []byte("good 1 2 3 4 5 6 7 8\nBAD 0 0 0 0 0 0 0 1\nbad 8 7 6 5 4 3 2 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	vectors, err := datasets.ReadVectors(path, datasets.VectorOptions{Want: datasets.WantedBy(vocab)})
	if err != nil {
		t.Fatal(err)
	}
	c, err := models.New(models.Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 6, NumLayers: 2, Bidirectional: true, Pooling: graph.Max, Labels: []string{"negative", "positive"}}, vocab, models.Options{Seed: 1, FreezeEmbeddings: true})
	if err != nil {
		t.Fatal(err)
	}
	cov, err := c.UsePretrained(vectors)
	if err != nil || cov.Exact != 2 || cov.Tokens != vocab.Len()-2 {
		t.Fatalf("coverage %v, %v", cov, err)
	}
	emb := c.Params().Get("embedding.weight")
	before := emb.Values()
	if id := vocab.ID("bad"); fmt.Sprint(before[id*8:id*8+8]) != "[8 7 6 5 4 3 2 1]" {
		t.Errorf("bad's row %v", before[id*8:id*8+8])
	}
	fc := c.Params().Get("fc.weight").Values()
	tr, err := train.New(c, train.Config{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	enc := &datasets.Encoded{IDs: [][]int{{vocab.ID("good"), vocab.ID("bad")}, {vocab.ID("bad")}}, Labels: []int{0, 1}}
	b, err := datasets.NewBatcher(enc, datasets.BatcherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	it := b.Epoch(0)
	it.Next()
	if _, err := tr.Step(it.Batch(), 0.1); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(emb.Values()) != fmt.Sprint(before) {
		t.Error("the frozen embedding changed")
	}
	if fmt.Sprint(c.Params().Get("fc.weight").Values()) == fmt.Sprint(fc) {
		t.Error("the linear layer did not move")
	}
}

// builtinVocab builds a vocabulary from the built-in dataset.
func builtinVocab(t *testing.T) *datasets.Vocab {
	t.Helper()
	tok, err := datasets.NewTokenizer(datasets.BasicEnglishTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	v, err := datasets.BuildVocab(datasets.Builtin(200, 1), tok, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}
