package models

import (
	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
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
	// (train.Model.MaxLen) and in prediction alike; 0 keeps them whole.
	MaxLen int `json:"max_len"`
}

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

// Validate reports the first field that makes cfg unusable.
func (cfg Config) Validate() error {
	switch {
	case cfg.Format != FormatV1:
		return errors.Errorf("models: config format %q, want %q", cfg.Format, FormatV1)
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
	return errors.Wrap(cfg.Recurrent().Validate(), "models")
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
