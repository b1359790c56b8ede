package models

import (
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/metrics"
)

// The concurrency tests of the tagger, the language model and the
// sequence-to-sequence model: as TestPredictConcurrently does for the
// classifier, goroutine g of 16 runs call g (its own slice of the inputs,
// or its own prompt and seed) several times at once on one model, and
// each answer must equal, bit for bit (reflect.DeepEqual: floats by ==),
// the one a single goroutine got for the same call. Run them under -race.
const (
	concurrentGoroutines = 16
	concurrentRounds     = 2
)

// runConcurrently runs call(g) for g < concurrentGoroutines once on this
// goroutine, then concurrentRounds times on each of as many goroutines at
// once, and reports every answer that differs from the first.
func runConcurrently[T any](t *testing.T, call func(g int) (T, error)) {
	t.Helper()
	want := make([]T, concurrentGoroutines)
	for g := range want {
		var err error
		if want[g], err = call(g); err != nil {
			t.Fatalf("call %d alone: %v", g, err)
		}
	}
	var wg sync.WaitGroup
	errs := make([]error, concurrentGoroutines)
	for g := range concurrentGoroutines {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for round := range concurrentRounds {
				got, err := call(g)
				if err == nil && !reflect.DeepEqual(got, want[g]) {
					err = fmt.Errorf("%+v\nwant %+v", got, want[g])
				}
				if err != nil {
					errs[g] = fmt.Errorf("call %d, round %d: %w", g, round, err)
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
}

// span returns the inputs of call g: a slice of n inputs, of varied
// sizes and offsets.
func span(g, n int) (from, to int) {
	from = (g * 5) % n
	return from, min(n, from+1+g%9)
}

// testSentences returns 40 sentences of 1 to 23 tokens, some unknown to
// a vocabulary built on the first ten.
func testSentences() [][]string {
	words := strings.Fields("Ann went to Paris and Bob stayed in New York with Carla Diaz Ruiz . zzzqq Supercalifragilistic")
	sentences := make([][]string, 40)
	for i := range sentences {
		for k := range 1 + (i*7)%23 {
			sentences[i] = append(sentences[i], words[(i+k*3)%len(words)])
		}
	}
	return sentences
}

// testTagger returns an untrained tagger over testSentences' first ten,
// with character features, and a CRF when crf.
func testTagger(t *testing.T, crf bool, opts Options) *Tagger {
	t.Helper()
	sentences := testSentences()
	vocab, err := datasets.VocabFromTokens(sentences[:10], datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var words [][]string
	for _, s := range sentences {
		for _, w := range s {
			words = append(words, strings.Split(w, ""))
		}
	}
	chars, err := datasets.VocabFromTokens(words, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	tags, err := datasets.NewTagSet([]string{"B-LOC", "B-PER", "I-LOC", "I-PER", "O"})
	if err != nil {
		t.Fatal(err)
	}
	cfg := TaggerConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, NumLayers: 2, CRF: crf, Scheme: metrics.IOB2, Constrained: crf, CharDim: 3, CharHidden: 2, MaxWordChars: 8}
	m, err := NewTagger(cfg, vocab, tags, chars, opts)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// testTexts returns 40 lowercase texts of testSentences.
func testTexts() []string {
	var texts []string
	for _, s := range testSentences() {
		texts = append(texts, strings.ToLower(strings.Join(s, " ")))
	}
	return texts
}

// testSeq2Seq returns an untrained letters-to-letters model with additive
// attention and input feeding, and 40 words of 2 to 20 letters.
func testSeq2Seq(t *testing.T, opts Options) (*Seq2Seq, []string) {
	t.Helper()
	chars, _ := datasets.NewTokenizer(datasets.CharTokenizer)
	words, _ := datasets.NewTokenizer(datasets.WhitespaceTokenizer)
	p := &datasets.Parallel{Path: "letters", Pairs: []datasets.Pair{{Source: "abcdefghijklm", Target: "A B C D E F G H I J K L M"}, {Source: "nopqrstuvwxyz", Target: "N O P Q R S T U V W X Y Z", Group: 1}}}
	src, tgt, err := datasets.BuildParallelVocabs(p, chars, words, datasets.VocabOptions{}, datasets.VocabOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cfg := Seq2SeqConfig{Cell: graph.LSTM, EmbedDim: 4, EncoderHidden: 5, Bidirectional: true, DecoderHidden: 6, InputFeeding: true, MaxSourceLen: 24}
	m, err := NewSeq2Seq(cfg, src, tgt, opts)
	if err != nil {
		t.Fatal(err)
	}
	texts := make([]string, 40)
	for i := range texts {
		var b strings.Builder
		for k := range 2 + (i*7)%19 {
			b.WriteByte(byte('a' + (i+k*5)%26))
		}
		texts[i] = b.String()
	}
	return m, texts
}

// TestTaggerPredictConcurrently: Tagger.Predict from 16 goroutines.
func TestTaggerPredictConcurrently(t *testing.T) {
	m := testTagger(t, true, Options{Seed: 3, PredictBatch: 4, PredictConcurrency: 8})
	sentences := testSentences()
	runConcurrently(t, func(g int) ([]TagPrediction, error) {
		from, to := span(g, len(sentences))
		return m.Predict(sentences[from:to])
	})
}

// TestLanguageModelConcurrently: Score and Generate (greedy and sampled,
// a prompt and a seed each) from 16 goroutines, half scoring and half
// generating.
func TestLanguageModelConcurrently(t *testing.T) {
	m := charLM(t, LMConfig{Cell: graph.LSTM, EmbedDim: 6, HiddenSize: 5, NumLayers: 2}, LMOptions{Seed: 2, PredictBatch: 4, PredictConcurrency: 4})
	texts := testTexts()
	runConcurrently(t, func(g int) (any, error) {
		if g%2 == 0 {
			from, to := span(g, len(texts))
			return m.Score(texts[from:to])
		}
		opts := GenerateOptions{MaxTokens: 5 + g, Seed: uint64(g)}
		if g%4 == 1 {
			opts.Sampling = Sampling{Temperature: 0.8, TopK: 5, TopP: 0.9}
		}
		return m.Generate(texts[g][:g%5], opts)
	})
}

// TestSeq2SeqDecodesConcurrently: Translate (beam search) and a greedy
// decode.Search over the model's own Start and Step from 16 goroutines.
func TestSeq2SeqDecodesConcurrently(t *testing.T) {
	m, texts := testSeq2Seq(t, Options{Seed: 2, PredictBatch: 4, PredictConcurrency: 8})
	sources := make([][]int, len(texts))
	for i, text := range texts {
		ids, _, _, err := m.ReadSource(text)
		if err != nil {
			t.Fatal(err)
		}
		sources[i] = ids
	}
	runConcurrently(t, func(g int) (any, error) {
		from, to := span(g, len(texts))
		if g%2 == 0 {
			return m.Translate(texts[from:to], decode.Beam{Width: 3, NBest: 2})
		}
		return decode.Beam{}.Search(m, sources[from:to])
	})
}

// TestRowsIndependentOfTheirBatch checks the promise of each kind's
// LengthBucket, which a server's dynamic batcher relies on: an input's
// answer in a call with others, whatever their lengths, is the one it
// gets alone, bit for bit.
func TestRowsIndependentOfTheirBatch(t *testing.T) {
	tagger := testTagger(t, true, Options{Seed: 5})
	lm := charLM(t, LMConfig{Cell: graph.GRU, EmbedDim: 6, HiddenSize: 5, NumLayers: 2}, LMOptions{Seed: 5})
	s2s, words := testSeq2Seq(t, Options{Seed: 5})
	sentences, texts := testSentences(), testTexts()
	beam := decode.Beam{Width: 2, NBest: 2}
	cases := []struct {
		name string
		n    int
		call func(from, to int) (any, error)
		row  func(answers any, i int) any
	}{
		{"tagger", len(sentences), func(from, to int) (any, error) { return tagger.Predict(sentences[from:to]) },
			func(a any, i int) any { return a.([]TagPrediction)[i] }},
		{"language model", len(texts), func(from, to int) (any, error) { return lm.Score(texts[from:to]) },
			func(a any, i int) any { return a.([]TextScore)[i] }},
		{"seq2seq", len(words), func(from, to int) (any, error) { return s2s.Translate(words[from:to], beam) },
			func(a any, i int) any { return a.([]Translation)[i] }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			all, err := c.call(0, c.n)
			if err != nil {
				t.Fatal(err)
			}
			for i := range c.n {
				alone, err := c.call(i, i+1)
				if err != nil {
					t.Fatal(err)
				}
				if got, want := c.row(all, i), c.row(alone, 0); !reflect.DeepEqual(got, want) {
					t.Errorf("input %d: in a batch %+v\nalone %+v", i, got, want)
				}
			}
		})
	}
}
