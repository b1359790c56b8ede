package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// lmOptions are the flags of -task lm.
type lmOptions struct {
	Level  string `json:"level"`
	BPTT   int    `json:"bptt"`
	Tie    bool   `json:"tie"`
	Stream bool   `json:"stream"`
}

// lmTask trains a models.LanguageModel: the next token at every step.
type lmTask struct{}

func (lmTask) flags(fs *flag.FlagSet, o *options) {
	l := &o.LM
	fs.StringVar(&l.Level, "level", "char", "lm: tokens: char (characters) or word (basic_english words)")
	fs.IntVar(&l.BPTT, "bptt", 35, "lm: steps of a truncated-backpropagation window (-stream)")
	fs.BoolVar(&l.Tie, "tie", false, "lm: tie the decoder's weight to the embedding's (needs -embed = -hidden)")
	fs.BoolVar(&l.Stream, "stream", false, "lm: train on the documents as one stream cut into -batch columns and -bptt windows, the state carried between windows "+
		"(PyTorch's word_language_model); default: one padded row per document")
}

func (lmTask) check(o *options) error {
	switch datasets.Format(o.Format) {
	case datasets.FormatAuto, datasets.FormatText, datasets.FormatJSONL, datasets.FormatAGNews:
	default:
		return usageError{errors.Errorf("-format %q: -task lm reads auto, text, jsonl or agnews", o.Format)}
	}
	if o.LM.BPTT <= 0 {
		return usageError{errors.Errorf("-bptt %d: must be positive", o.LM.BPTT)}
	}
	if _, err := lmTokenizer(o); err != nil {
		return err
	}
	cfg, err := lmConfig(o)
	if err != nil {
		return err
	}
	cfg.Format, cfg.VocabSize, cfg.EOSToken = models.LMFormatV1, 3, datasets.EOSToken
	if err := cfg.Validate(); err != nil {
		return usageError{errors.Wrapf(err, "-embed %d -hidden %d -layers %d -dropout %v -tie %v", o.Embed, o.Hidden, o.Layers, o.Dropout, o.LM.Tie)}
	}
	return nil
}

// lmTokenizer returns the tokenizer -level names.
func lmTokenizer(o *options) (datasets.Tokenizer, error) {
	switch o.LM.Level {
	case "char":
		return datasets.NewTokenizer(datasets.CharTokenizer)
	case "word":
		return datasets.NewTokenizer(datasets.BasicEnglishTokenizer)
	}
	return nil, usageError{errors.Errorf("-level %q: want char or word", o.LM.Level)}
}

// lmConfig returns the language model the options describe, without its
// vocabulary.
func lmConfig(o *options) (models.LMConfig, error) {
	if o.Bidirectional {
		return models.LMConfig{}, usageError{errors.New("-bidirectional: a language model reads left to right")}
	}
	cell, err := graph.ParseCell(o.Cell)
	if err != nil {
		return models.LMConfig{}, usageError{err}
	}
	tok, err := lmTokenizer(o)
	if err != nil {
		return models.LMConfig{}, err
	}
	cfg := models.LMConfig{
		Cell: cell, EmbedDim: o.Embed, HiddenSize: o.Hidden, NumLayers: o.Layers, Dropout: o.Dropout, Tied: o.LM.Tie,
		Tokenizer: tok.Name(), MaxLen: o.MaxLen,
	}
	if !o.LM.Stream {
		cfg.BOSToken = datasets.BOSToken
	}
	return cfg, nil
}

// specials returns the special tokens of the run's vocabulary: <bos> and
// <eos> per document, <eos> alone in a stream.
func (l lmOptions) specials() []string {
	if l.Stream {
		return []string{datasets.EOSToken}
	}
	return []string{datasets.BOSToken, datasets.EOSToken}
}

func (lmTask) prepare(o *options, w io.Writer) (*taskData, error) {
	trainCorpus, valCorpus, err := lmCorpora(o)
	if err != nil {
		return nil, err
	}
	tok, err := lmTokenizer(o)
	if err != nil {
		return nil, err
	}
	vocab, err := datasets.BuildCorpusVocab(trainCorpus, tok, o.LM.specials(), datasets.VocabOptions{MaxSize: o.VocabSize, MinFreq: o.MinFreq})
	if err != nil {
		return nil, err
	}
	encode := func(c *datasets.Corpus) (*datasets.Encoded, error) {
		if o.LM.Stream {
			return datasets.EncodeStream(c, tok, vocab, datasets.StreamOptions{Columns: o.Batch, BPTT: o.LM.BPTT})
		}
		return datasets.EncodeDocuments(c, tok, vocab)
	}
	data := &taskData{vocab: vocab}
	if data.train, err = encode(trainCorpus); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "documents: %d training", trainCorpus.Len())
	if valCorpus != nil {
		if data.val, err = encode(valCorpus); err != nil {
			return nil, errors.Wrap(err, "validation data")
		}
		fmt.Fprintf(w, ", %d validation", valCorpus.Len())
	}
	fmt.Fprintf(w, "; %s tokens, vocabulary %d", tok.Name(), vocab.Len())
	if o.LM.Stream {
		fmt.Fprintf(w, "; one stream in %d columns, %d windows of %d steps", o.Batch, data.train.Len()/o.Batch, o.LM.BPTT)
	}
	fmt.Fprintln(w)
	for _, c := range []*datasets.Corpus{trainCorpus, valCorpus} {
		if c != nil && len(c.Skipped) > 0 {
			fmt.Fprintf(w, "skipped %d malformed rows of %s (-lenient), the first: line %d: %s\n", len(c.Skipped), c.Path, c.Skipped[0].Line, c.Skipped[0].Reason)
		}
	}
	return data, nil
}

// lmCorpora loads the training and validation documents: -data (the
// built-in sentences without it) and -val-data, cut by -train-rows and
// -val-rows, or the last -val-split of the training documents.
func lmCorpora(o *options) (trainCorpus, valCorpus *datasets.Corpus, err error) {
	trainRows, err := datasets.ParseRows(o.TrainRows)
	if err != nil {
		return nil, nil, usageError{errors.Wrap(err, "-train-rows")}
	}
	valRows, err := datasets.ParseRows(o.ValRows)
	if err != nil {
		return nil, nil, usageError{errors.Wrap(err, "-val-rows")}
	}
	load := func(path string) (*datasets.Corpus, error) {
		if path == "" {
			return datasets.CorpusOf(datasets.Builtin(o.Builtin, o.Seed)), nil
		}
		opts := datasets.CorpusOptions{Format: datasets.Format(o.Format), Lenient: o.Lenient}
		switch {
		case o.TitlesOnly:
			opts.TextCols = []string{"title"}
		case o.TextCols != "text": // the default: a JSONL "text", AG News' title and description
			opts.TextCols = strings.Split(o.TextCols, ",")
		}
		return datasets.LoadCorpus(path, opts)
	}
	all, err := load(o.Data)
	if err != nil {
		return nil, nil, err
	}
	if trainCorpus, err = all.Rows(trainRows); err != nil {
		return nil, nil, err
	}
	switch {
	case o.ValData != "":
		var loaded *datasets.Corpus
		if loaded, err = load(o.ValData); err == nil {
			valCorpus, err = loaded.Rows(valRows)
		}
	case valRows != (datasets.Rows{}):
		valCorpus, err = all.Rows(valRows)
	case o.ValSplit > 0:
		n := trainCorpus.Len()
		held := int(float64(n) * o.ValSplit)
		if held == 0 || held == n {
			return nil, nil, errors.Errorf("-val-split %v of %d documents leaves no validation or no training document", o.ValSplit, n)
		}
		valCorpus, _ = trainCorpus.Rows(datasets.Rows{From: n - held + 1, To: n})
		trainCorpus, _ = trainCorpus.Rows(datasets.Rows{From: 1, To: n - held})
	}
	return trainCorpus, valCorpus, err
}

func (lmTask) model(o *options, data *taskData) (models.Model, error) {
	cfg, err := lmConfig(o)
	if err != nil {
		return nil, err
	}
	opts, err := lmModelOptions(o)
	if err != nil {
		return nil, err
	}
	return models.NewLanguageModel(cfg, data.vocab, opts)
}

// lmModelOptions returns the model's settings: the seed, the graphs, and
// with -stream the batch's columns.
func lmModelOptions(o *options) (models.LMOptions, error) {
	impl, err := o.impl()
	if err != nil {
		return models.LMOptions{}, err
	}
	opts := models.LMOptions{Seed: o.Seed, Impl: impl}
	if o.LM.Stream {
		opts.StreamColumns = o.Batch
	}
	return opts, nil
}

func (lmTask) load(o *options, _ *taskData, dir string) (models.Model, error) {
	opts, err := lmModelOptions(o)
	if err != nil {
		return nil, err
	}
	return models.LoadLanguageModel(dir, opts)
}

func (lmTask) describe(w io.Writer, o *options, m models.Model) {
	cfg := m.(*models.LanguageModel).Config()
	tied := ""
	if cfg.Tied {
		tied = ", tied"
	}
	mode := "one row per document"
	if o.LM.Stream {
		mode = fmt.Sprintf("a stream of %d columns, bptt %d", o.Batch, o.LM.BPTT)
	}
	fmt.Fprintf(w, "model: %s language model, %d layer(s), embed %d, hidden %d%s, %s level, %s: %d parameters\n",
		cfg.Cell, cfg.NumLayers, cfg.EmbedDim, cfg.HiddenSize, tied, o.LM.Level, mode, m.Params().Count())
}
