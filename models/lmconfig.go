package models

import (
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// LMFormatV1 is the format tag of a language model's config.json.
const LMFormatV1 = "gornn-lm/1"

// LMConfig describes a LanguageModel; it is saved as the model
// directory's config.json. The zero value of an optional field is its
// documented default.
type LMConfig struct {
	// Format is LMFormatV1; NewLanguageModel fills it in.
	Format string `json:"format"`
	// Cell is the recurrent cell: rnn_tanh (default), rnn_relu, lstm, gru.
	Cell graph.Cell `json:"cell"`
	// VocabSize is V, the rows of the encoder and the decoder's outputs;
	// NewLanguageModel takes it from the vocabulary.
	VocabSize int `json:"vocab_size"`
	// EmbedDim is E, the size of a token's vector (required).
	EmbedDim int `json:"embed_dim"`
	// HiddenSize is H, the size of each recurrent state (required).
	HiddenSize int `json:"hidden_size"`
	// NumLayers is the number of stacked recurrent layers; 0 means 1.
	NumLayers int `json:"num_layers"`
	// Dropout is the probability of the word_language_model's dropouts,
	// in training only: on the embedded tokens, between recurrent layers
	// and before the decoder. Default 0; below 1.
	Dropout float64 `json:"dropout"`
	// Tied makes the decoder's weight the encoder's (Press & Wolf 2017),
	// which needs EmbedDim == HiddenSize; model.safetensors then holds it
	// once, as encoder.weight.
	Tied bool `json:"tied"`
	// Tokenizer names the datasets tokenizer: char or basic_english.
	// NewLanguageModel takes it from the vocabulary when the vocabulary
	// knows it; otherwise it defaults to basic_english.
	Tokenizer string `json:"tokenizer"`
	// BOSToken begins every text when set (a per-document model,
	// datasets.BOSToken); "" for a model trained on a stream, whose texts
	// begin after EOSToken as the stream's documents do.
	BOSToken string `json:"bos_token"`
	// EOSToken ends every text (datasets.EOSToken, the default).
	EOSToken string `json:"eos_token"`
	// MaxLen truncates training rows to their first MaxLen tokens (0:
	// none), as train.Model.MaxLen.
	MaxLen int `json:"max_len"`
}

// withDefaults returns cfg with its zero optional fields set.
func (cfg LMConfig) withDefaults() LMConfig {
	cfg.Format = LMFormatV1
	if cfg.NumLayers == 0 {
		cfg.NumLayers = 1
	}
	if cfg.EOSToken == "" {
		cfg.EOSToken = datasets.EOSToken
	}
	return cfg
}

// Validate reports the first field that makes cfg unusable, including a
// size past its limit (the classifier's: MaxVocabSize, MaxEmbedDim, ...).
func (cfg LMConfig) Validate() error {
	for _, l := range []struct {
		field      string
		value, max int
	}{
		{"vocab_size", cfg.VocabSize, MaxVocabSize},
		{"embed_dim", cfg.EmbedDim, MaxEmbedDim},
		{"hidden_size", cfg.HiddenSize, MaxHiddenSize},
		{"num_layers", cfg.NumLayers, MaxNumLayers},
	} {
		if l.value > l.max {
			return errors.Errorf("models: %s %d is over the limit of %d", l.field, l.value, l.max)
		}
	}
	switch {
	case cfg.Format != LMFormatV1:
		return errors.Errorf("models: config format %s, want %q", regularfile.Excerpt(cfg.Format), LMFormatV1)
	case cfg.VocabSize < 3:
		return errors.Errorf("models: vocab_size %d, want at least 3 (<pad>, <unk> and %s)", cfg.VocabSize, cfg.EOSToken)
	case cfg.EmbedDim <= 0 || cfg.HiddenSize <= 0:
		return errors.Errorf("models: embed_dim %d and hidden_size %d must be positive", cfg.EmbedDim, cfg.HiddenSize)
	case cfg.NumLayers <= 0:
		return errors.Errorf("models: num_layers %d must be positive", cfg.NumLayers)
	case !(cfg.Dropout >= 0 && cfg.Dropout < 1): // NaN too
		return errors.Errorf("models: dropout %v not in [0, 1)", cfg.Dropout)
	case cfg.Tied && cfg.EmbedDim != cfg.HiddenSize:
		return errors.Errorf("models: tied weights need embed_dim == hidden_size, got %d and %d", cfg.EmbedDim, cfg.HiddenSize)
	case cfg.EOSToken == "" || cfg.EOSToken == cfg.BOSToken:
		return errors.Errorf("models: eos_token %s must be set and differ from bos_token", regularfile.Excerpt(cfg.EOSToken))
	case cfg.MaxLen < 0:
		return errors.Errorf("models: max_len %d must not be negative", cfg.MaxLen)
	}
	for _, special := range []string{cfg.BOSToken, cfg.EOSToken} {
		if special == datasets.PadToken || special == datasets.UnkToken {
			return errors.Errorf("models: %s cannot begin or end a text", special)
		}
	}
	if _, err := datasets.NewTokenizer(cfg.Tokenizer); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := cfg.Recurrent().Validate(); err != nil {
		return errors.Wrap(err, "models")
	}
	if n := cfg.ParameterCount(); n > MaxParameters {
		return errors.Errorf("models: the config declares %d parameters, over the limit of %d", n, MaxParameters)
	}
	return nil
}

// Recurrent returns the configuration of the model's recurrent stack. Its
// dropout between layers is Dropout, for two or more layers.
func (cfg LMConfig) Recurrent() graph.RecurrentConfig {
	rc := graph.RecurrentConfig{Cell: cfg.Cell, InputSize: cfg.EmbedDim, HiddenSize: cfg.HiddenSize, NumLayers: max(cfg.NumLayers, 1)}
	if rc.NumLayers > 1 {
		rc.Dropout = cfg.Dropout
	}
	return rc
}

// Tensors lists the parameters NewLanguageModel declares for cfg, in
// declaration order, with the state_dict names of PyTorch's
// word_language_model RNNModel:
//
//	encoder.weight                 [V, E]
//	rnn.weight_ih_l<k>             [G*H, I]  I = E for layer 0, H above it
//	rnn.weight_hh_l<k>             [G*H, H]
//	rnn.bias_ih_l<k>, bias_hh_l<k> [G*H]
//	decoder.weight                 [V, H]    (not when Tied: encoder.weight serves)
//	decoder.bias                   [V]
func (cfg LMConfig) Tensors() []TensorSpec {
	specs := []TensorSpec{{"encoder.weight", []int{cfg.VocabSize, cfg.EmbedDim}}}
	specs = slices.AppendSeq(specs, recurrentTensors("rnn", cfg.Recurrent()))
	if !cfg.Tied {
		specs = append(specs, TensorSpec{"decoder.weight", []int{cfg.VocabSize, cfg.HiddenSize}})
	}
	return append(specs, TensorSpec{"decoder.bias", []int{cfg.VocabSize}})
}

// ParameterCount returns the number of learnable scalars of a model for
// cfg, the total size of Tensors.
func (cfg LMConfig) ParameterCount() int64 {
	return countParameters(slices.Values(cfg.Tensors()))
}

// specialIDs returns the ids of the start token (BOSToken, or EOSToken
// for a stream model) and of EOSToken in vocab, which must hold them.
func (cfg LMConfig) specialIDs(vocab *datasets.Vocab) (start, eos int, err error) {
	tokens := vocab.Tokens()
	eos = slices.Index(tokens, cfg.EOSToken)
	start = eos
	if cfg.BOSToken != "" {
		start = slices.Index(tokens, cfg.BOSToken)
	}
	if eos < 0 || start < 0 {
		return 0, 0, errors.Errorf("models: the vocabulary lacks the special tokens %q and %q of the config", cfg.BOSToken, cfg.EOSToken)
	}
	return start, eos, nil
}
