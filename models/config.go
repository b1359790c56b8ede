package models

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// FormatV1 is the format tag of a classifier's config.json.
const FormatV1 = "gornn-classifier/1"

// Config describes a Classifier; it is saved as the model directory's
// config.json. The zero value of an optional field is its documented
// default.
type Config struct {
	// Format is FormatV1; New fills it in.
	Format string `json:"format"`
	// Cell is the recurrent cell: rnn_tanh (default), rnn_relu, lstm, gru.
	Cell graph.Cell `json:"cell"`
	// VocabSize is V, the rows of the embedding; New takes it from the
	// vocabulary.
	VocabSize int `json:"vocab_size"`
	// EmbedDim is E, the size of a token's vector (required).
	EmbedDim int `json:"embed_dim"`
	// HiddenSize is H, the size of each recurrent state (required).
	HiddenSize int `json:"hidden_size"`
	// NumLayers is the number of stacked recurrent layers; 0 means 1.
	NumLayers int `json:"num_layers"`
	// Bidirectional adds a reverse direction to every layer.
	Bidirectional bool `json:"bidirectional"`
	// Merge combines the directions: concat (default), sum, mul or ave.
	Merge graph.Merge `json:"merge"`
	// Pooling reduces the steps: last (default), mean, max or mean_all.
	Pooling graph.Pooling `json:"pooling"`
	// Padded runs the recurrent stack over the padding too, as an
	// unpacked PyTorch RNN does (the lesson's first RNN and LSTM); the
	// default follows packed sequences.
	Padded bool `json:"padded"`
	// Dropout is the dropout probability between recurrent layers; it
	// needs at least 2 layers (graph.RecurrentConfig.Dropout).
	Dropout float64 `json:"dropout"`
	// NumClasses is C, the number of labels; New takes it from Labels.
	NumClasses int `json:"num_classes"`
	// Labels are the class names, in class index order (required).
	Labels []string `json:"labels"`
	// Tokenizer names the datasets tokenizer: basic_english or char. New
	// takes it from the vocabulary when the vocabulary knows it (and
	// refuses another); otherwise it defaults to basic_english.
	Tokenizer string `json:"tokenizer"`
	// MaxLen truncates texts to their first MaxLen tokens, in training
	// (Model.MaxLen) and in prediction alike; 0 keeps them whole.
	MaxLen int `json:"max_len"`
}

// Limits on a Config, which Validate enforces. They bound what a config.json
// can make New or Load allocate (see MaxParameters) and keep every size in
// the range where shape arithmetic cannot overflow; the models gornn trains
// are far inside them.
const (
	// MaxVocabSize bounds vocab_size: 16,777,216 tokens.
	MaxVocabSize = datasets.MaxVocabSize
	// MaxEmbedDim bounds embed_dim: 65,536.
	MaxEmbedDim = 1 << 16
	// MaxHiddenSize bounds hidden_size: 65,536.
	MaxHiddenSize = 1 << 16
	// MaxNumLayers bounds num_layers: 64.
	MaxNumLayers = 64
	// MaxNumClasses bounds num_classes and the number of labels: 65,536.
	MaxNumClasses = 1 << 16
	// MaxLabelBytes bounds the length of a label in bytes: 256.
	MaxLabelBytes = 256
	// MaxParameters bounds the learnable scalars of the whole model,
	// 1,073,741,824 (4 GiB of float32 weights).
	MaxParameters = 1 << 30
)

// withDefaults returns cfg with its zero optional fields set.
func (cfg Config) withDefaults() Config {
	cfg.Format = FormatV1
	if cfg.NumLayers == 0 {
		cfg.NumLayers = 1
	}
	if cfg.NumClasses == 0 {
		cfg.NumClasses = len(cfg.Labels)
	}
	return cfg
}

// Validate reports the first field that makes cfg unusable, including a
// size past its limit (MaxVocabSize and the others) and an empty,
// duplicate, overlong or control-character label.
func (cfg Config) Validate() error {
	limits := []struct {
		field      string
		value, max int
	}{
		{"vocab_size", cfg.VocabSize, MaxVocabSize},
		{"embed_dim", cfg.EmbedDim, MaxEmbedDim},
		{"hidden_size", cfg.HiddenSize, MaxHiddenSize},
		{"num_layers", cfg.NumLayers, MaxNumLayers},
		{"num_classes", cfg.NumClasses, MaxNumClasses},
		{"labels", len(cfg.Labels), MaxNumClasses},
	}
	for _, l := range limits {
		if l.value > l.max {
			return errors.Errorf("models: %s %d is over the limit of %d", l.field, l.value, l.max)
		}
	}
	switch {
	case cfg.Format != FormatV1:
		return errors.Errorf("models: config format %s, want %q", regularfile.Excerpt(cfg.Format), FormatV1)
	case cfg.VocabSize < 2:
		return errors.Errorf("models: vocab_size %d, want at least 2 (<pad> and <unk>)", cfg.VocabSize)
	case cfg.EmbedDim <= 0 || cfg.HiddenSize <= 0:
		return errors.Errorf("models: embed_dim %d and hidden_size %d must be positive", cfg.EmbedDim, cfg.HiddenSize)
	case cfg.NumLayers <= 0:
		return errors.Errorf("models: num_layers %d must be positive", cfg.NumLayers)
	case cfg.NumClasses < 2 || cfg.NumClasses != len(cfg.Labels):
		return errors.Errorf("models: num_classes %d with %d labels, want at least 2 and one label each", cfg.NumClasses, len(cfg.Labels))
	case cfg.MaxLen < 0:
		return errors.Errorf("models: max_len %d must not be negative", cfg.MaxLen)
	}
	if _, err := datasets.NewTokenizer(cfg.Tokenizer); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := cfg.Recurrent().Validate(); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := checkLabels(cfg.Labels); err != nil {
		return err
	}
	if n := cfg.ParameterCount(); n > MaxParameters {
		return errors.Errorf("models: the config declares %d parameters, over the limit of %d", n, MaxParameters)
	}
	return nil
}

// checkLabels reports the first label that is empty, longer than
// MaxLabelBytes, or holds a control character or invalid UTF-8, and then a
// label that repeats another.
func checkLabels(labels []string) error {
	bad := func(i int, problem string) error {
		return errors.Errorf("models: labels[%d] %s %s", i, regularfile.Excerpt(labels[i]), problem)
	}
	for i, label := range labels {
		switch {
		case label == "":
			return bad(i, "is empty")
		case len(label) > MaxLabelBytes:
			return bad(i, fmt.Sprintf("is %d bytes, over the limit of %d", len(label), MaxLabelBytes))
		case !utf8.ValidString(label) || strings.ContainsFunc(label, unicode.IsControl):
			return bad(i, "holds a control character or invalid UTF-8")
		}
	}
	// Sorting indices finds repeats in O(n log n) with 4 bytes a label.
	order := make([]int32, len(labels))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int {
		return cmp.Or(strings.Compare(labels[a], labels[b]), cmp.Compare(a, b))
	})
	for k := 1; k < len(order); k++ {
		if first, again := order[k-1], order[k]; labels[first] == labels[again] {
			return bad(int(again), fmt.Sprintf("repeats labels[%d]", first))
		}
	}
	return nil
}

// Recurrent returns the configuration of the classifier's recurrent stack.
func (cfg Config) Recurrent() graph.RecurrentConfig {
	return graph.RecurrentConfig{
		Cell: cfg.Cell, InputSize: cfg.EmbedDim, HiddenSize: cfg.HiddenSize, NumLayers: cfg.NumLayers,
		Bidirectional: cfg.Bidirectional, Merge: cfg.Merge, Dropout: cfg.Dropout,
	}
}

// OutputWidth returns F, the size of the pooled vector the linear layer
// reads: the recurrent stack's output width (2H for a bidirectional stack
// merged by concat, H otherwise).
func (cfg Config) OutputWidth() int { return cfg.Recurrent().OutputWidth() }
