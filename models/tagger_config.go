package models

import (
	"fmt"
	"iter"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
)

// TaggerFormatV1 is the format tag of a tagger's config.json.
const TaggerFormatV1 = "gornn-tagger/1"

// TaggerConfig describes a Tagger; it is saved as the model directory's
// config.json, beside vocab.txt, tags.txt and, with character features,
// chars.txt. The zero value of an optional field is its documented
// default.
type TaggerConfig struct {
	// Format is TaggerFormatV1; NewTagger fills it in.
	Format string `json:"format"`
	// Cell is the recurrent cell of the stack (and of the character
	// features): rnn_tanh (the zero value), rnn_relu, lstm or gru.
	Cell graph.Cell `json:"cell"`
	// VocabSize is V, the rows of the word embedding; NewTagger takes it
	// from the vocabulary.
	VocabSize int `json:"vocab_size"`
	// EmbedDim is E, the size of a word's vector (required).
	EmbedDim int `json:"embed_dim"`
	// HiddenSize is H, the state size of each direction (required). The
	// stack is always bidirectional, its directions concatenated.
	HiddenSize int `json:"hidden_size"`
	// NumLayers is the number of stacked layers; 0 means 1.
	NumLayers int `json:"num_layers"`
	// Dropout is the dropout probability between stacked layers; it needs
	// at least 2 layers.
	Dropout float64 `json:"dropout"`
	// NumTags is K, the number of tags; NewTagger takes it from the tag
	// set.
	NumTags int `json:"num_tags"`
	// CRF ends the tagger with a linear-chain CRF (BiLSTM-CRF) instead of
	// a softmax per token.
	CRF bool `json:"crf"`
	// Scheme says how the tags make spans: none (the zero value), iob1,
	// iob2 or iobes. It picks the measures (span F1, or token accuracy
	// alone) and the constraints.
	Scheme metrics.Scheme `json:"scheme"`
	// Constrained makes a CRF's Viterbi decoding take only the moves the
	// scheme allows (no I-PER after O in IOB2, say).
	Constrained bool `json:"constrained"`
	// CharVocabSize is the size of the character alphabet (chars.txt); 0
	// means no character features.
	CharVocabSize int `json:"char_vocab_size"`
	// CharDim is the size of a character's vector (required with
	// character features).
	CharDim int `json:"char_dim"`
	// CharHidden is the state size of each direction of the character
	// layer (required with character features).
	CharHidden int `json:"char_hidden"`
	// MaxWordChars is the number of characters read of each word (its
	// first ones). Default datasets.DefaultMaxWordChars.
	MaxWordChars int `json:"max_word_chars"`
	// Lowercase lowercases words before looking them up (their characters
	// keep their case).
	Lowercase bool `json:"lowercase"`
}

// Limits of a TaggerConfig beyond those it shares with Config.
const (
	// MaxWordChars bounds max_word_chars: 1,024.
	MaxWordChars = 1 << 10
)

// withDefaults returns cfg with its zero optional fields set.
func (cfg TaggerConfig) withDefaults() TaggerConfig {
	cfg.Format = TaggerFormatV1
	if cfg.NumLayers == 0 {
		cfg.NumLayers = 1
	}
	if cfg.MaxWordChars == 0 {
		cfg.MaxWordChars = datasets.DefaultMaxWordChars
	}
	return cfg
}

// Chars reports whether the tagger reads characters.
func (cfg TaggerConfig) Chars() bool { return cfg.CharVocabSize > 0 }

// Validate reports the first field that makes cfg unusable, including a
// size past its limit.
func (cfg TaggerConfig) Validate() error {
	limits := []struct {
		field      string
		value, max int
	}{
		{"vocab_size", cfg.VocabSize, MaxVocabSize},
		{"embed_dim", cfg.EmbedDim, MaxEmbedDim},
		{"hidden_size", cfg.HiddenSize, MaxHiddenSize},
		{"num_layers", cfg.NumLayers, MaxNumLayers},
		{"num_tags", cfg.NumTags, MaxNumClasses},
		{"char_vocab_size", cfg.CharVocabSize, MaxVocabSize},
		{"char_dim", cfg.CharDim, MaxEmbedDim},
		{"char_hidden", cfg.CharHidden, MaxHiddenSize},
		{"max_word_chars", cfg.MaxWordChars, MaxWordChars},
	}
	for _, l := range limits {
		if l.value > l.max {
			return errors.Errorf("models: %s %d is over the limit of %d", l.field, l.value, l.max)
		}
	}
	switch {
	case cfg.Format != TaggerFormatV1:
		return errors.Errorf("models: config format %s, want %q", regularfile.Excerpt(cfg.Format), TaggerFormatV1)
	case cfg.VocabSize < 2:
		return errors.Errorf("models: vocab_size %d, want at least 2 (<pad> and <unk>)", cfg.VocabSize)
	case cfg.EmbedDim <= 0 || cfg.HiddenSize <= 0:
		return errors.Errorf("models: embed_dim %d and hidden_size %d must be positive", cfg.EmbedDim, cfg.HiddenSize)
	case cfg.NumLayers <= 0:
		return errors.Errorf("models: num_layers %d must be positive", cfg.NumLayers)
	case cfg.NumTags < 1:
		return errors.Errorf("models: num_tags %d, want at least 1", cfg.NumTags)
	case cfg.CharVocabSize < 0 || (cfg.Chars() && (cfg.CharVocabSize < 2 || cfg.CharDim <= 0 || cfg.CharHidden <= 0)):
		return errors.Errorf("models: char_vocab_size %d, char_dim %d, char_hidden %d: want 0 (no character features), or at least 2 characters and positive sizes",
			cfg.CharVocabSize, cfg.CharDim, cfg.CharHidden)
	case !cfg.Chars() && (cfg.CharDim != 0 || cfg.CharHidden != 0):
		return errors.Errorf("models: char_dim %d and char_hidden %d without a character alphabet (char_vocab_size 0)", cfg.CharDim, cfg.CharHidden)
	case cfg.MaxWordChars <= 0:
		return errors.Errorf("models: max_word_chars %d must be positive", cfg.MaxWordChars)
	case cfg.Constrained && (!cfg.CRF || cfg.Scheme == metrics.NoScheme):
		return errors.New("models: constrained decoding needs a CRF and a tag scheme")
	case cfg.Scheme < metrics.NoScheme || cfg.Scheme > metrics.IOBES:
		return errors.Errorf("models: unknown scheme %d", cfg.Scheme)
	}
	if err := cfg.Recurrent().Validate(); err != nil {
		return errors.Wrap(err, "models")
	}
	if n := cfg.ParameterCount(); n > MaxParameters {
		return errors.Errorf("models: the config declares %d parameters, over the limit of %d", n, MaxParameters)
	}
	return nil
}

// Recurrent returns the configuration of the tagger's recurrent stack:
// bidirectional, over the word vectors and their character features.
func (cfg TaggerConfig) Recurrent() graph.RecurrentConfig {
	in := cfg.EmbedDim
	if cfg.Chars() {
		in += 2 * cfg.CharHidden
	}
	return graph.RecurrentConfig{
		Cell: cfg.Cell, InputSize: in, HiddenSize: cfg.HiddenSize, NumLayers: max(cfg.NumLayers, 1),
		Bidirectional: true, Dropout: cfg.Dropout,
	}
}

// Tensors lists the parameters NewTagger declares for cfg, in
// declaration order, with their PyTorch state_dict names and shapes:
//
//	embedding.weight                     [V, E]
//	char.embedding.weight                [Vc, Ec]      with character features
//	char.rnn.weight_ih_l0[_reverse]      [G*Hc, Ec]    and weight_hh, bias_ih, bias_hh
//	rnn.weight_ih_l<k>[_reverse]         [G*H, I]      I = E (+ 2*Hc) for layer 0, 2H above
//	rnn.weight_hh_l<k>[_reverse]         [G*H, H]      and bias_ih, bias_hh [G*H]
//	fc.weight                            [K, 2H]
//	fc.bias                              [K]
//	crf.start_transitions                [K]           with a CRF
//	crf.end_transitions                  [K]
//	crf.transitions                      [K, K]
//
// for G gates of the cell, computed from cfg alone (see Config.Tensors).
func (cfg TaggerConfig) Tensors() []TensorSpec { return slices.Collect(cfg.tensors()) }

// ParameterCount returns the number of learnable scalars of a tagger for
// cfg, the total size of Tensors.
func (cfg TaggerConfig) ParameterCount() int64 { return countParameters(cfg.tensors()) }

func (cfg TaggerConfig) tensors() iter.Seq[TensorSpec] {
	return func(yield func(TensorSpec) bool) {
		k, gates := cfg.NumTags, cfg.Cell.Gates()
		specs := []TensorSpec{{"embedding.weight", []int{cfg.VocabSize, cfg.EmbedDim}}}
		if cfg.Chars() {
			specs = append(specs, TensorSpec{"char.embedding.weight", []int{cfg.CharVocabSize, cfg.CharDim}})
			specs = append(specs, directionTensors("char.rnn", 0, 2, gates, cfg.CharDim, cfg.CharHidden)...)
		}
		rc := cfg.Recurrent()
		for layer := range rc.NumLayers {
			in := rc.InputSize
			if layer > 0 {
				in = 2 * cfg.HiddenSize
			}
			specs = append(specs, directionTensors("rnn", layer, 2, gates, in, cfg.HiddenSize)...)
		}
		specs = append(specs, TensorSpec{"fc.weight", []int{k, 2 * cfg.HiddenSize}}, TensorSpec{"fc.bias", []int{k}})
		if cfg.CRF {
			specs = append(specs, TensorSpec{"crf.start_transitions", []int{k}}, TensorSpec{"crf.end_transitions", []int{k}}, TensorSpec{"crf.transitions", []int{k, k}})
		}
		for _, s := range specs {
			if !yield(s) {
				return
			}
		}
	}
}

// directionTensors lists the recurrent weights of one layer of name.
func directionTensors(name string, layer, directions, gates, in, hidden int) []TensorSpec {
	var specs []TensorSpec
	for dir := range directions {
		suffix := fmt.Sprintf("_l%d", layer)
		if dir == 1 {
			suffix += "_reverse"
		}
		specs = append(specs,
			TensorSpec{name + ".weight_ih" + suffix, []int{gates * hidden, in}},
			TensorSpec{name + ".weight_hh" + suffix, []int{gates * hidden, hidden}},
			TensorSpec{name + ".bias_ih" + suffix, []int{gates * hidden}},
			TensorSpec{name + ".bias_hh" + suffix, []int{gates * hidden}})
	}
	return specs
}

// countParameters sums the sizes of specs.
func countParameters(specs iter.Seq[TensorSpec]) int64 {
	var n int64
	for spec := range specs {
		size := int64(1)
		for _, d := range spec.Shape {
			size *= int64(d)
		}
		n += size
	}
	return n
}
