package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/metrics"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// tagOptions are the flags of -task tag.
type tagOptions struct {
	TokenCol     int    `json:"token_col"`
	TagCol       int    `json:"tag_col"`
	TokensKey    string `json:"tokens_key"`
	TagsKey      string `json:"tags_key"`
	Scheme       string `json:"scheme"`
	CRF          bool   `json:"crf"`
	Constrain    bool   `json:"constrain"`
	CharDim      int    `json:"char_dim"`
	CharHidden   int    `json:"char_hidden"`
	MaxWordChars int    `json:"max_word_chars"`
	Lowercase    bool   `json:"lowercase"`
}

// tagTask trains a models.Tagger: a tag per token. Without -data it
// trains on the built-in truecasing task (datasets.PrepareTagged).
type tagTask struct{}

func (tagTask) flags(fs *flag.FlagSet, o *options) {
	c := &o.Tag
	fs.IntVar(&c.TokenCol, "token-col", 0, "tag: CoNLL column of the tokens, 0-based (negative: from the end)")
	fs.IntVar(&c.TagCol, "tag-col", -1, "tag: CoNLL column of the tags, 0-based (negative: from the end; -1 the last)")
	fs.StringVar(&c.TokensKey, "tokens-key", "tokens", "tag: JSON Lines key of each sentence's tokens")
	fs.StringVar(&c.TagsKey, "tags-key", "tags", "tag: JSON Lines key of each sentence's tags")
	fs.StringVar(&c.Scheme, "scheme", "", "tag: how tags make spans: none, iob1, iob2 or iobes (span F1 picks the best model; none: token accuracy); default iob2 with -data, none for the built-in truecasing task")
	fs.BoolVar(&c.CRF, "crf", false, "tag: end with a linear-chain CRF (BiLSTM-CRF) instead of a softmax per token")
	fs.BoolVar(&c.Constrain, "constrain", true, "tag: with -crf and a scheme, Viterbi takes only the moves the scheme allows")
	fs.IntVar(&c.CharDim, "char-dim", 0, "tag: character vector size of the character-level word features (Lample et al.); 0: none")
	fs.IntVar(&c.CharHidden, "char-hidden", 25, "tag: state size of each direction of the character layer (with -char-dim)")
	fs.IntVar(&c.MaxWordChars, "max-word-chars", datasets.DefaultMaxWordChars, "tag: characters read of each word (with -char-dim)")
	fs.BoolVar(&c.Lowercase, "lowercase", false, "tag: lowercase words before looking them up (characters keep their case)")
}

// scheme returns the tag scheme of the options: -scheme, else iob2 with
// -data and none for the built-in truecasing task.
func (c tagOptions) scheme(o *options) (metrics.Scheme, error) {
	name := c.Scheme
	if name == "" {
		name = "none"
		if o.Data != "" {
			name = "iob2"
		}
	}
	s, err := metrics.ParseScheme(name)
	if err != nil {
		return s, usageError{errors.Wrap(err, "-scheme")}
	}
	return s, nil
}

func (tagTask) check(o *options) error {
	c := o.Tag
	switch datasets.Format(o.Format) {
	case datasets.FormatAuto, datasets.FormatCoNLL, datasets.FormatJSONL:
	default:
		return usageError{errors.Errorf("-format %q: want auto, conll or jsonl", o.Format)}
	}
	bad := func(format string, args ...any) error { return usageError{errors.Errorf(format, args...)} }
	switch {
	case c.TokenCol == c.TagCol:
		return bad("-token-col %d and -tag-col %d are the same column", c.TokenCol, c.TagCol)
	case c.CharDim < 0 || c.CharHidden <= 0 || c.MaxWordChars <= 0:
		return bad("-char-dim %d, -char-hidden %d, -max-word-chars %d: want -char-dim >= 0 and the others positive", c.CharDim, c.CharHidden, c.MaxWordChars)
	case o.Bidirectional:
		return bad("-bidirectional: a tagger's stack is always bidirectional")
	}
	_, err := taggerConfig(o)
	return err
}

// taggerConfig returns the tagger the options describe, without its
// vocabulary sizes.
func taggerConfig(o *options) (models.TaggerConfig, error) {
	c := o.Tag
	scheme, err := c.scheme(o)
	if err != nil {
		return models.TaggerConfig{}, err
	}
	rc, err := o.recurrent(o.Embed)
	if err != nil {
		return models.TaggerConfig{}, err
	}
	cfg := models.TaggerConfig{
		Cell: rc.Cell, EmbedDim: o.Embed, HiddenSize: o.Hidden, NumLayers: o.Layers, Dropout: o.Dropout,
		CRF: c.CRF, Scheme: scheme, Constrained: c.CRF && c.Constrain && scheme != metrics.NoScheme,
		MaxWordChars: c.MaxWordChars, Lowercase: c.Lowercase,
	}
	if c.CharDim > 0 {
		cfg.CharDim, cfg.CharHidden = c.CharDim, c.CharHidden
	}
	return cfg, nil
}

// columnNumber turns a 0-based column (negative from the end) into the
// numbering of datasets.TaggedOptions.
func columnNumber(col int) int {
	if col >= 0 {
		return col + 1
	}
	return col
}

func (tagTask) prepare(o *options, w io.Writer) (*taskData, error) {
	trainRows, err := datasets.ParseRows(o.TrainRows)
	if err != nil {
		return nil, usageError{errors.Wrap(err, "-train-rows")}
	}
	valRows, err := datasets.ParseRows(o.ValRows)
	if err != nil {
		return nil, usageError{errors.Wrap(err, "-val-rows")}
	}
	valSplit := o.ValSplit
	if valSplit == 0 {
		valSplit = -1
	}
	c := o.Tag
	src := datasets.TaggedSource{
		Path: o.Data, ValPath: o.ValData, TrainRows: trainRows, ValRows: valRows, ValSplit: valSplit,
		BuiltinSize: o.Builtin, Lowercase: c.Lowercase, Chars: c.CharDim > 0, MaxWordChars: c.MaxWordChars, Seed: o.Seed,
		Vocab: datasets.VocabOptions{MaxSize: o.VocabSize, MinFreq: o.MinFreq},
		Load: datasets.TaggedOptions{
			Format: datasets.Format(o.Format), TokenColumn: columnNumber(c.TokenCol), TagColumn: columnNumber(c.TagCol),
			TokensKey: c.TokensKey, TagsKey: c.TagsKey, Lenient: o.Lenient,
		},
	}
	data, err := datasets.PrepareTagged(src)
	if err != nil {
		return nil, err
	}
	fmt.Fprintf(w, "data: %s\n", data.Data)
	fmt.Fprintf(w, "sentences: %d training", data.Train.Len())
	if data.Val != nil {
		fmt.Fprintf(w, ", %d validation", data.Val.Len())
	}
	fmt.Fprintf(w, "; %d tags (%s); vocabulary %d words", data.Tags.Len(), strings.Join(data.Tags.Names(), " "), data.Vocab.Len())
	if data.Chars != nil {
		fmt.Fprintf(w, ", %d characters", data.Chars.Len())
	}
	fmt.Fprintln(w)
	reportSkippedSentences(w, data)
	vectors, vocab, err := readEmbeddings(o, data.Vocab, w)
	if err != nil {
		return nil, err
	}
	if vocab != data.Vocab {
		if err := reencodeTagged(data, vocab, src); err != nil {
			return nil, err
		}
	}
	return &taskData{train: data.Train, val: data.Val, tagged: data, vectors: vectors}, nil
}

// reencodeTagged encodes data's sentences again with vocab, grown by
// pretrained vectors' words.
func reencodeTagged(data *datasets.PreparedTagged, vocab *datasets.Vocab, src datasets.TaggedSource) error {
	opts := datasets.TaggedEncodeOptions{Lowercase: src.Lowercase, MaxWordChars: src.MaxWordChars, Lenient: src.Load.Lenient}
	var err error
	data.Vocab = vocab
	if data.Train, err = datasets.EncodeTagged(data.TrainSource, vocab, data.Tags, data.Chars, opts); err != nil {
		return err
	}
	if data.ValSource != nil {
		data.Val, err = datasets.EncodeTagged(data.ValSource, vocab, data.Tags, data.Chars, opts)
	}
	return err
}

// reportSkippedSentences lists the sentences a lenient load or encoding
// left out.
func reportSkippedSentences(w io.Writer, data *datasets.PreparedTagged) {
	var skipped []string
	for _, part := range []struct {
		source *datasets.Tagged
		enc    *datasets.Encoded
	}{{data.TrainSource, data.Train}, {data.ValSource, data.Val}} {
		if part.source == nil {
			continue
		}
		for _, r := range part.source.Skipped {
			skipped = append(skipped, part.source.Describe(r))
		}
		if part.enc != nil {
			for _, r := range part.enc.Skipped {
				skipped = append(skipped, part.source.Describe(r))
			}
		}
	}
	if len(skipped) == 0 {
		return
	}
	fmt.Fprintf(w, "skipped %d malformed sentences (-lenient):\n", len(skipped))
	for i, line := range skipped {
		if i == maxSkippedShown {
			fmt.Fprintf(w, "  ... and %d more\n", len(skipped)-i)
			break
		}
		fmt.Fprintf(w, "  %s\n", line)
	}
}

func (tagTask) model(o *options, data *taskData) (models.Model, error) {
	cfg, err := taggerConfig(o)
	if err != nil {
		return nil, err
	}
	opts, err := modelOptions(o)
	if err != nil {
		return nil, err
	}
	t, err := models.NewTagger(cfg, data.tagged.Vocab, data.tagged.Tags, data.tagged.Chars, opts)
	if err != nil {
		return nil, err
	}
	return t, usePretrained(t, data)
}

func (tagTask) load(o *options, _ *taskData, dir string) (models.Model, error) {
	opts, err := modelOptions(o)
	if err != nil {
		return nil, err
	}
	return models.LoadTagger(dir, opts)
}

func (tagTask) describe(w io.Writer, _ *options, m models.Model) {
	cfg := m.(*models.Tagger).Config()
	output := "softmax"
	if cfg.CRF {
		output = "CRF"
		if cfg.Constrained {
			output += " (constrained to " + cfg.Scheme.String() + ")"
		}
	}
	chars := ""
	if cfg.Chars() {
		chars = fmt.Sprintf(", characters %d x %d", cfg.CharDim, cfg.CharHidden)
	}
	fmt.Fprintf(w, "model: bidirectional %s, %d layer(s), embed %d, hidden %d%s, %s over %d tags, scheme %s: %d parameters\n",
		cfg.Cell, cfg.NumLayers, cfg.EmbedDim, cfg.HiddenSize, chars, output, cfg.NumTags, cfg.Scheme, m.Params().Count())
}
