package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// seq2seqOptions are the flags of -task seq2seq.
type seq2seqOptions struct {
	SrcLevel       string  `json:"src_level"`
	TgtLevel       string  `json:"tgt_level"`
	TargetData     string  `json:"target_data"`
	ValTargetData  string  `json:"val_target_data"`
	Attention      string  `json:"attention"`
	AttentionSize  int     `json:"attention_size"`
	DecoderHidden  int     `json:"decoder_hidden"`
	DecoderLayers  int     `json:"decoder_layers"`
	InputFeeding   bool    `json:"input_feeding"`
	Bridge         string  `json:"bridge"`
	TieEmbeddings  bool    `json:"tie_embeddings"`
	LabelSmoothing float64 `json:"label_smoothing"`
	MaxSourceLen   int     `json:"max_source_len"`
}

// seq2seqTask trains a models.Seq2Seq: an output sequence per input
// sequence, such as a word's pronunciation (CMUdict).
type seq2seqTask struct{}

func (seq2seqTask) flags(fs *flag.FlagSet, o *options) {
	s := &o.Seq2Seq
	levels := "char, whitespace or basic_english"
	fs.StringVar(&s.SrcLevel, "src-level", datasets.CharTokenizer, "seq2seq: source tokens: "+levels)
	fs.StringVar(&s.TgtLevel, "tgt-level", datasets.WhitespaceTokenizer, "seq2seq: target tokens: "+levels)
	fs.StringVar(&s.TargetData, "target-data", "", "seq2seq: the target file of two aligned files, -data holding the sources (one text a line)")
	fs.StringVar(&s.ValTargetData, "val-target-data", "", "seq2seq: the target file aligned with -val-data")
	fs.StringVar(&s.Attention, "attention", "additive", "seq2seq: attention score: additive (Bahdanau), dot or general (Luong)")
	fs.IntVar(&s.AttentionSize, "attention-size", 0, "seq2seq: hidden size of the additive score; 0: the decoder's")
	fs.IntVar(&s.DecoderHidden, "decoder-hidden", 0, "seq2seq: decoder state size; 0: -hidden")
	fs.IntVar(&s.DecoderLayers, "decoder-layers", 0, "seq2seq: stacked decoder layers; 0: -layers")
	fs.BoolVar(&s.InputFeeding, "input-feeding", true, "seq2seq: feed each decoder step the previous attentional vector (Luong et al.)")
	fs.StringVar(&s.Bridge, "bridge", "linear", "seq2seq: decoder initial states from the encoder's final ones: linear or zeros")
	fs.BoolVar(&s.TieEmbeddings, "tie-embeddings", false, "seq2seq: tie the output layer to the target embedding (needs -embed = the decoder's size)")
	fs.Float64Var(&s.LabelSmoothing, "label-smoothing", 0, "seq2seq: label smoothing of the training loss")
	fs.IntVar(&s.MaxSourceLen, "max-source-len", models.DefaultMaxSourceLen, "seq2seq: longest source in tokens; a longer one is refused, in training and prediction")
}

func (seq2seqTask) check(o *options) error {
	switch datasets.Format(o.Format) {
	case datasets.FormatAuto, datasets.FormatTSV, datasets.FormatCMUdict:
	default:
		return usageError{errors.Errorf("-format %q: -task seq2seq reads auto, tsv or cmudict", o.Format)}
	}
	for _, f := range []struct{ name, value string }{{"-train-rows", o.TrainRows}, {"-val-rows", o.ValRows}} {
		if f.value != "" {
			return usageError{errors.Errorf("%s: -task seq2seq takes whole files (split them by word, as the CMUdict split does)", f.name)}
		}
	}
	if o.MaxLen != 0 {
		return usageError{errors.New("-max-len: -task seq2seq never truncates; -max-source-len refuses longer sources")}
	}
	if o.Seq2Seq.TargetData != "" && o.Data == "" {
		return usageError{errors.New("-target-data needs -data, its source file")}
	}
	if o.Seq2Seq.ValTargetData != "" && o.ValData == "" {
		return usageError{errors.New("-val-target-data needs -val-data, its source file")}
	}
	cfg, err := seq2seqConfig(o)
	if err != nil {
		return err
	}
	cfg.Format, cfg.SrcVocabSize, cfg.TgtVocabSize = models.Seq2SeqFormatV1, 5, 5
	if err := cfg.Validate(); err != nil {
		return usageError{err}
	}
	return nil
}

// seq2seqConfig returns the model the options describe, without its
// vocabulary sizes.
func seq2seqConfig(o *options) (models.Seq2SeqConfig, error) {
	s := o.Seq2Seq
	// Not o.recurrent: a one-layer model takes dropout, on the attentional
	// vector (Seq2SeqConfig.Dropout).
	cell, err := graph.ParseCell(o.Cell)
	if err != nil {
		return models.Seq2SeqConfig{}, usageError{err}
	}
	score, err := graph.ParseScore(s.Attention)
	if err != nil {
		return models.Seq2SeqConfig{}, usageError{err}
	}
	bridge, err := models.ParseBridge(s.Bridge)
	if err != nil {
		return models.Seq2SeqConfig{}, usageError{err}
	}
	for _, level := range []string{s.SrcLevel, s.TgtLevel} {
		if _, err := datasets.NewTokenizer(level); err != nil {
			return models.Seq2SeqConfig{}, usageError{errors.Wrap(err, "-src-level/-tgt-level")}
		}
	}
	cfg := models.Seq2SeqConfig{
		Cell: cell, EmbedDim: o.Embed, EncoderHidden: o.Hidden, EncoderLayers: o.Layers, Bidirectional: o.Bidirectional,
		DecoderHidden: s.DecoderHidden, DecoderLayers: s.DecoderLayers, Dropout: o.Dropout, Attention: score, AttentionSize: s.AttentionSize,
		InputFeeding: s.InputFeeding, Bridge: bridge, TieEmbeddings: s.TieEmbeddings, LabelSmoothing: s.LabelSmoothing,
		SrcTokenizer: s.SrcLevel, TgtTokenizer: s.TgtLevel, MaxSourceLen: s.MaxSourceLen,
	}
	if cfg.DecoderHidden == 0 {
		cfg.DecoderHidden = o.Hidden
	}
	if cfg.DecoderLayers == 0 {
		cfg.DecoderLayers = o.Layers
	}
	if cfg.AttentionSize == 0 && score == graph.Additive {
		cfg.AttentionSize = cfg.DecoderHidden
	}
	if cfg.MaxSourceLen <= 0 {
		return cfg, usageError{errors.Errorf("-max-source-len %d: must be positive", cfg.MaxSourceLen)}
	}
	return cfg, nil
}

// parallelFormat returns the format of a data file: -format, or with auto
// cmudict for a file whose name starts with "cmudict" and tsv otherwise.
func parallelFormat(o *options, path string) datasets.Format {
	if f := datasets.Format(o.Format); f != datasets.FormatAuto {
		return f
	}
	if strings.HasPrefix(strings.ToLower(filepath.Base(path)), "cmudict") {
		return datasets.FormatCMUdict
	}
	return datasets.FormatTSV
}

// loadPairs reads a parallel corpus: path alone, or path and target as
// two aligned files.
func loadPairs(o *options, path, target string) (*datasets.Parallel, error) {
	opts := datasets.ParallelOptions{Format: parallelFormat(o, path), TargetPath: target}
	if target != "" {
		opts.Format = datasets.FormatTSV
	}
	return datasets.LoadParallel(path, opts)
}

func (seq2seqTask) prepare(o *options, w io.Writer) (*taskData, error) {
	s := o.Seq2Seq
	trainPath, valPath := o.Data, o.ValData
	if trainPath == "" {
		dir, ok := datasets.CMUdictDir()
		if !ok {
			return nil, usageError{errors.Errorf("-task seq2seq without -data trains on the CMUdict split, not found in %s ($GORNN_CMUDICT)", dir)}
		}
		trainPath = filepath.Join(dir, datasets.CMUdictTrain)
		if valPath == "" && o.ValSplit > 0 {
			valPath = filepath.Join(dir, datasets.CMUdictDev)
		}
	}
	fmt.Fprintf(w, "data: %s\n", trainPath)
	trainPairs, err := loadPairs(o, trainPath, s.TargetData)
	if err != nil {
		return nil, err
	}
	var valPairs *datasets.Parallel
	switch {
	case valPath != "":
		if valPairs, err = loadPairs(o, valPath, s.ValTargetData); err != nil {
			return nil, err
		}
	case o.ValSplit > 0:
		if trainPairs, valPairs, err = datasets.SplitParallel(trainPairs, o.ValSplit, o.Seed); err != nil {
			return nil, err
		}
	}
	srcTok, _ := datasets.NewTokenizer(s.SrcLevel)
	tgtTok, _ := datasets.NewTokenizer(s.TgtLevel)
	vocabOpts := datasets.VocabOptions{MaxSize: o.VocabSize, MinFreq: o.MinFreq}
	if vocabOpts.MaxSize > 0 && vocabOpts.MaxSize < 5 {
		return nil, usageError{errors.Errorf("-vocab-size %d: -task seq2seq needs at least 5 (<pad> <unk> <bos> <eos> and a token)", o.VocabSize)}
	}
	srcVocab, tgtVocab, err := datasets.BuildParallelVocabs(trainPairs, srcTok, tgtTok, vocabOpts, vocabOpts)
	if err != nil {
		return nil, err
	}
	encode := datasets.ParallelEncodeOptions{MaxSourceLen: s.MaxSourceLen}
	data := &taskData{srcVocab: srcVocab, tgtVocab: tgtVocab}
	if data.train, err = datasets.EncodeParallel(trainPairs, srcTok, tgtTok, srcVocab, tgtVocab, encode); err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "pairs: %d training (%d sources)", trainPairs.Len(), trainPairs.Groups())
	if valPairs != nil {
		if data.val, err = datasets.EncodeParallel(valPairs, srcTok, tgtTok, srcVocab, tgtVocab, encode); err != nil {
			return nil, err
		}
		fmt.Fprintf(w, ", %d validation (%d sources)", valPairs.Len(), valPairs.Groups())
	}
	fmt.Fprintf(w, "; vocabularies: %d source (%s), %d target (%s) tokens\n", srcVocab.Len(), s.SrcLevel, tgtVocab.Len(), s.TgtLevel)
	return data, nil
}

func (seq2seqTask) model(o *options, data *taskData) (models.Model, error) {
	cfg, err := seq2seqConfig(o)
	if err != nil {
		return nil, err
	}
	impl, err := o.impl()
	if err != nil {
		return nil, err
	}
	return models.NewSeq2Seq(cfg, data.srcVocab, data.tgtVocab, models.Options{Seed: o.Seed, Impl: impl})
}

func (seq2seqTask) load(o *options, _ *taskData, dir string) (models.Model, error) {
	impl, err := o.impl()
	if err != nil {
		return nil, err
	}
	return models.LoadSeq2Seq(dir, models.Options{Seed: o.Seed, Impl: impl})
}

func (seq2seqTask) describe(w io.Writer, _ *options, m models.Model) {
	cfg := m.(*models.Seq2Seq).Config()
	encoder := fmt.Sprintf("%d-layer %s", cfg.EncoderLayers, cfg.Cell)
	if cfg.Bidirectional {
		encoder = "bidirectional " + encoder
	}
	fmt.Fprintf(w, "model: %s encoder %d, %d-layer %s decoder %d, %s attention, embed %d, input feeding %v, %s bridge: %d parameters\n",
		encoder, cfg.EncoderHidden, cfg.DecoderLayers, cfg.Cell, cfg.DecoderHidden, cfg.Attention, cfg.EmbedDim, cfg.InputFeeding, cfg.Bridge, m.Params().Count())
}
