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

// classifyOptions are the flags of -task classify.
type classifyOptions struct {
	Merge   string `json:"merge"`
	Pooling string `json:"pooling"`
	Padded  bool   `json:"padded"`
}

// classifyTask trains a models.Classifier: a label per text.
type classifyTask struct{}

func (classifyTask) flags(fs *flag.FlagSet, o *options) {
	c := &o.Classify
	fs.StringVar(&c.Merge, "merge", "concat", "classify: how bidirectional outputs combine: concat, sum, mul or ave")
	fs.StringVar(&c.Pooling, "pooling", "last", "classify: pooling over steps: last, mean, max or mean_all")
	fs.BoolVar(&c.Padded, "padded", false, "classify: run over the padding like an unpacked PyTorch RNN (default: packed sequences)")
}

func (classifyTask) check(o *options) error {
	switch datasets.Format(o.Format) {
	case datasets.FormatAuto, datasets.FormatAGNews, datasets.FormatCSV, datasets.FormatTSV, datasets.FormatJSONL, datasets.FormatDir:
	default:
		return usageError{errors.Errorf("-format %q: want auto, agnews, csv, tsv, jsonl or dir", o.Format)}
	}
	_, err := classifierConfig(o)
	return err
}

// classifierConfig returns the classifier the options describe, without
// its labels.
func classifierConfig(o *options) (models.Config, error) {
	rc, err := o.recurrent(o.Embed)
	if err != nil {
		return models.Config{}, err
	}
	merge, err := graph.ParseMerge(o.Classify.Merge)
	if err != nil {
		return models.Config{}, usageError{err}
	}
	pooling, err := graph.ParsePooling(o.Classify.Pooling)
	if err != nil {
		return models.Config{}, usageError{err}
	}
	return models.Config{
		Cell: rc.Cell, EmbedDim: o.Embed, HiddenSize: o.Hidden, NumLayers: o.Layers, Bidirectional: o.Bidirectional,
		Merge: merge, Pooling: pooling, Padded: o.Classify.Padded, Dropout: o.Dropout, MaxLen: o.MaxLen,
	}, nil
}

func (classifyTask) prepare(o *options, w io.Writer) (*taskData, error) {
	src, err := o.source()
	if err != nil {
		return nil, err
	}
	what := "the built-in dataset (word order decides the label)"
	if o.Data != "" {
		what = o.Data
	}
	fmt.Fprintf(w, "data: %s\n", what)
	data, err := datasets.Prepare(src)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "examples: %d training", data.Train.Len())
	if data.Val != nil {
		fmt.Fprintf(w, ", %d validation", data.Val.Len())
	}
	fmt.Fprintf(w, "; classes %s; vocabulary %d tokens\n", strings.Join(data.Classes, ", "), data.Vocab.Len())
	reportSkipped(w, data)
	vectors, vocab, err := readEmbeddings(o, data.Vocab, w)
	if err != nil {
		return nil, err
	}
	if vocab != data.Vocab {
		if err := reencode(data, vocab, src); err != nil {
			return nil, err
		}
	}
	return &taskData{train: data.Train, val: data.Val, prepared: data, vectors: vectors}, nil
}

// reencode encodes data's texts again with vocab, grown by pretrained
// vectors' words.
func reencode(data *datasets.Prepared, vocab *datasets.Vocab, src datasets.Source) error {
	opts := datasets.EncodeOptions{Lenient: src.Load.Lenient}
	var err error
	data.Vocab = vocab
	if data.Train, err = datasets.Encode(data.TrainSource, data.Tokenizer, vocab, opts); err != nil {
		return err
	}
	if data.ValSource != nil {
		data.Val, err = datasets.Encode(data.ValSource, data.Tokenizer, vocab, opts)
	}
	return err
}

func (classifyTask) model(o *options, data *taskData) (models.Model, error) {
	cfg, err := classifierConfig(o)
	if err != nil {
		return nil, err
	}
	opts, err := modelOptions(o)
	if err != nil {
		return nil, err
	}
	cfg.Labels = data.prepared.Classes
	c, err := models.New(cfg, data.prepared.Vocab, opts)
	if err != nil {
		return nil, err
	}
	return c, usePretrained(c, data)
}

func (classifyTask) load(o *options, _ *taskData, dir string) (models.Model, error) {
	opts, err := modelOptions(o)
	if err != nil {
		return nil, err
	}
	return models.Load(dir, opts)
}

func (classifyTask) describe(w io.Writer, _ *options, m models.Model) {
	cfg := m.(*models.Classifier).Config()
	fmt.Fprintf(w, "model: %s, %d layer(s)%s, embed %d, hidden %d, pooling %s: %d parameters\n",
		cfg.Cell, cfg.NumLayers, map[bool]string{true: " bidirectional", false: ""}[cfg.Bidirectional],
		cfg.EmbedDim, cfg.HiddenSize, cfg.Pooling, m.Params().Count())
}
