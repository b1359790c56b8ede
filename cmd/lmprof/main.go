package main

import (
	"flag"
	"fmt"
	"os"
	"runtime/pprof"
	"time"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/gornn/gornn/train"
)

func main() {
	word := flag.Bool("word", false, "")
	steps := flag.Int("steps", 20, "")
	workers := flag.Int("workers", 2, "")
	prof := flag.String("prof", "", "")
	gen := flag.Int("gen", 0, "")
	flag.Parse()
	cols := []string{"title"}
	tokName := datasets.CharTokenizer
	if *word {
		cols, tokName = []string{"description"}, datasets.BasicEnglishTokenizer
	}
	c, err := datasets.LoadCorpus("/work/shared/data/ag_news/test.csv", datasets.CorpusOptions{TextCols: cols})
	must(err)
	c, _ = c.Rows(datasets.Rows{From: 1, To: 6000})
	tok, _ := datasets.NewTokenizer(tokName)
	var cfg models.LMConfig
	var enc *datasets.Encoded
	var opts models.LMOptions
	var batch int
	if *word {
		vocab, err := datasets.BuildCorpusVocab(c, tok, []string{datasets.EOSToken}, datasets.VocabOptions{})
		must(err)
		batch = 20
		enc, err = datasets.EncodeStream(c, tok, vocab, datasets.StreamOptions{Columns: 20, BPTT: 35})
		must(err)
		cfg = models.LMConfig{Cell: graph.LSTM, EmbedDim: 200, HiddenSize: 200, NumLayers: 2, Dropout: 0.2}
		opts = models.LMOptions{StreamColumns: 20}
		m, err := models.NewLanguageModel(cfg, vocab, opts)
		must(err)
		fmt.Println("vocab", vocab.Len(), "rows", enc.Len())
		bench(m, enc, batch, *steps, *workers, *prof, "sgd", 20, 0.25, *gen)
	} else {
		vocab, err := datasets.BuildCorpusVocab(c, tok, []string{datasets.BOSToken, datasets.EOSToken}, datasets.VocabOptions{})
		must(err)
		batch = 32
		enc, err = datasets.EncodeDocuments(c, tok, vocab)
		must(err)
		cfg = models.LMConfig{Cell: graph.LSTM, EmbedDim: 64, HiddenSize: 128, NumLayers: 1, BOSToken: datasets.BOSToken}
		m, err := models.NewLanguageModel(cfg, vocab, opts)
		must(err)
		fmt.Println("vocab", vocab.Len(), "rows", enc.Len())
		bench(m, enc, batch, *steps, *workers, *prof, "adam", 2e-3, 0, *gen)
	}
}

func bench(m *models.LanguageModel, enc *datasets.Encoded, batch, steps, workers int, prof, optim string, lr, clip float64, gen int) {
	tr, err := train.New(m, train.Config{BatchSize: batch, Workers: workers, Optimizer: optim, LR: lr, Clip: clip})
	must(err)
	b, err := datasets.NewBatcher(enc, datasets.BatcherOptions{BatchSize: batch, Shuffle: !m.CarriesState(), Bucket: !m.CarriesState()})
	must(err)
	it := b.Epoch(0)
	var batches []datasets.Batch
	for it.Next() && len(batches) < steps+1 {
		batches = append(batches, it.Batch())
	}
	_, err = tr.Step(batches[0], lr)
	must(err)
	if prof != "" && gen >= 0 {
		f, _ := os.Create(prof)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	tokens := 0
	for _, bb := range batches[1:] {
		_, err := tr.Step(bb, lr)
		must(err)
		tokens += bb.Tokens()
	}
	el := time.Since(start).Seconds()
	fmt.Printf("train: %d steps, %.0f tokens/s, %.1f ms/step\n", len(batches)-1, float64(tokens)/el, el*1000/float64(len(batches)-1))
	if gen < 0 {
		genProf(m, prof+".gen")
		return
	}
	if gen > 0 {
		_, err := m.Generate("the", models.GenerateOptions{MaxTokens: 5, Sampling: models.Sampling{Temperature: 1}})
		must(err)
		start := time.Now()
		g, err := m.Generate("the", models.GenerateOptions{MaxTokens: gen, Sampling: models.Sampling{Temperature: 1}, Stop: "\x00"})
		must(err)
		el := time.Since(start).Seconds()
		fmt.Printf("generate: %d tokens (%s), %.0f tokens/s\n", len(g.Tokens), g.Stopped, float64(len(g.Tokens))/el)
	}
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func init() {
	genProf = func(m *models.LanguageModel, prof string) {
		f, _ := os.Create(prof)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
		start := time.Now()
		n := 0
		for i := 0; i < 400; i++ {
			g, _ := m.Generate("the", models.GenerateOptions{MaxTokens: 200, Sampling: models.Sampling{Temperature: 1}, Seed: uint64(i)})
			n += len(g.Tokens)
		}
		fmt.Printf("gen prof: %d tokens %.0f tok/s\n", n, float64(n)/time.Since(start).Seconds())
	}
}

var genProf func(*models.LanguageModel, string)
