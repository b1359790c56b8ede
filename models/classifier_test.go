package models

import (
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
)

// testVocab builds a vocabulary from the built-in dataset.
func testVocab(t *testing.T) *datasets.Vocab {
	t.Helper()
	ds := datasets.Builtin(200, 1)
	tok, err := datasets.NewTokenizer("basic_english")
	if err != nil {
		t.Fatal(err)
	}
	v, err := datasets.BuildVocab(ds, tok, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func testConfig() Config {
	return Config{Cell: graph.LSTM, EmbedDim: 8, HiddenSize: 6, NumLayers: 2, Bidirectional: true, Pooling: graph.Max, Labels: []string{"negative", "positive"}}
}

var texts = []string{"the match was good", "the food was not good at all", "", "unknownword zzz"}

func TestSaveLoadPredictsTheSame(t *testing.T) {
	c, err := New(testConfig(), testVocab(t), Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	want, err := c.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := c.Save(dir); err != nil {
		t.Fatal(err)
	}
	loaded, err := Load(dir, Options{Impl: graph.Composed})
	if err != nil {
		t.Fatal(err)
	}
	got, err := loaded.Predict(texts)
	if err != nil {
		t.Fatal(err)
	}
	for i := range want {
		if got[i].Label != want[i].Label {
			t.Errorf("text %d: label %q after loading, %q before", i, got[i].Label, want[i].Label)
		}
		for j, p := range want[i].Probabilities {
			if math.Abs(got[i].Probabilities[j]-p) > 1e-6 {
				t.Errorf("text %d: probability %d = %v after loading, %v before", i, j, got[i].Probabilities[j], p)
			}
		}
	}
}

func TestSameSeedSameWeights(t *testing.T) {
	a, err := New(testConfig(), testVocab(t), Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	b, err := New(testConfig(), testVocab(t), Options{Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	for i, p := range a.Params().List() {
		q := b.Params().List()[i]
		for j, v := range p.Values() {
			if q.Values()[j] != v {
				t.Fatalf("%s[%d] differs between two classifiers of one seed", p.Name, j)
			}
		}
	}
}

func TestNetworkCacheIsBounded(t *testing.T) {
	c, err := New(testConfig(), testVocab(t), Options{MaxGraphs: 3})
	if err != nil {
		t.Fatal(err)
	}
	for steps := 1; steps <= 200; steps += 20 {
		if _, err := c.network(2, steps, graph.Predict, 0); err != nil {
			t.Fatal(err)
		}
	}
	if c.networks.len() != 3 || len(c.networks.byKey) != 3 {
		t.Errorf("cache holds %d graphs (%d keys), want 3", c.networks.len(), len(c.networks.byKey))
	}
	first, _ := c.network(2, 30, graph.Predict, 0)
	again, _ := c.network(2, 31, graph.Predict, 0)
	if first != again {
		t.Error("lengths 30 and 31 did not share their bucket's graph")
	}
}

// TestBadModelDirectories checks that corrupt, truncated or mismatched
// model directories give errors that say what is wrong.
func TestBadModelDirectories(t *testing.T) {
	c, err := New(testConfig(), testVocab(t), Options{Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	good := t.TempDir()
	if err := c.Save(good); err != nil {
		t.Fatal(err)
	}
	other, err := New(Config{Cell: graph.GRU, EmbedDim: 8, HiddenSize: 6, Labels: []string{"a", "b"}}, testVocab(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	if err := other.Save(otherDir); err != nil {
		t.Fatal(err)
	}
	copyDir := func(t *testing.T) string {
		dir := t.TempDir()
		for _, f := range []string{ConfigFile, VocabFile, WeightsFile} {
			data, err := os.ReadFile(filepath.Join(good, f))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(dir, f), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	edit := func(file string, change func([]byte) []byte) func(t *testing.T) string {
		return func(t *testing.T) string {
			dir := copyDir(t)
			path := filepath.Join(dir, file)
			data, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, change(data), 0o644); err != nil {
				t.Fatal(err)
			}
			return dir
		}
	}
	cases := []struct {
		name string
		dir  func(t *testing.T) string
		want string
	}{
		{"missing weights", func(t *testing.T) string {
			dir := copyDir(t)
			os.Remove(filepath.Join(dir, WeightsFile))
			return dir
		}, "model.safetensors"},
		{"truncated weights", edit(WeightsFile, func(b []byte) []byte { return b[:len(b)/2] }), "model.safetensors"},
		{"garbage weights", edit(WeightsFile, func(b []byte) []byte { return []byte("not a safetensors file at all") }), "model.safetensors"},
		{"config not JSON", edit(ConfigFile, func(b []byte) []byte { return b[:10] }), "config.json"},
		{"unknown cell", edit(ConfigFile, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"lstm"`, `"transformer"`, 1))
		}), `unknown cell "transformer"`},
		{"unknown field", edit(ConfigFile, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"format"`, `"colour": 1, "format"`, 1))
		}), `unknown field "colour"`},
		{"hidden size mismatch", edit(ConfigFile, func(b []byte) []byte {
			return []byte(strings.Replace(string(b), `"hidden_size": 6`, `"hidden_size": 7`, 1))
		}), `has shape [24 8], want [28 8]`},
		{"vocabulary size mismatch", edit(VocabFile, func(b []byte) []byte { return append(b, "extra\n"...) }), "vocab_size"},
		{"weights of another model", func(t *testing.T) string {
			dir := copyDir(t)
			data, _ := os.ReadFile(filepath.Join(otherDir, WeightsFile))
			os.WriteFile(filepath.Join(dir, WeightsFile), data, 0o644)
			return dir
		}, "rnn.weight_ih_l0"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Load(c.dir(t), Options{})
			if err == nil {
				t.Fatalf("loaded, want an error containing %q", c.want)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Errorf("error %q, want it to contain %q", err, c.want)
			}
		})
	}
}

// TestTokenizerComesFromTheVocabulary checks that a classifier reads texts
// with the tokenizer its vocabulary was built with, and refuses another.
func TestTokenizerComesFromTheVocabulary(t *testing.T) {
	data, err := datasets.Prepare(datasets.Source{BuiltinSize: 100, Tokenizer: datasets.CharTokenizer, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Config{Cell: graph.LSTM, EmbedDim: 4, HiddenSize: 4, Labels: data.Classes}
	c, err := New(cfg, data.Vocab, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if c.Config().Tokenizer != datasets.CharTokenizer {
		t.Errorf("tokenizer %q, want the vocabulary's %q", c.Config().Tokenizer, datasets.CharTokenizer)
	}
	cfg.Tokenizer = datasets.BasicEnglishTokenizer
	if _, err := New(cfg, data.Vocab, Options{}); err == nil || !strings.Contains(err.Error(), "holds char tokens") {
		t.Errorf("basic_english over a char vocabulary: error %v, want a mismatch", err)
	}
	tok, err := datasets.NewTokenizer(datasets.BasicEnglishTokenizer)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := datasets.Encode(data.ValSource, tok, data.Vocab, datasets.EncodeOptions{}); err == nil {
		t.Error("encoding with another tokenizer than the vocabulary's succeeded")
	}
}
