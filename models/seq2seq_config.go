package models

import (
	"fmt"
	"iter"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// Seq2SeqFormatV1 is the format tag of a sequence-to-sequence model's
// config.json.
const Seq2SeqFormatV1 = "gornn-seq2seq/1"

// Bridge is how a Seq2Seq's decoder gets its initial states from the
// encoder's final ones.
type Bridge int

const (
	// LinearBridge sets each decoder layer's initial h to tanh(W [h_f; h_b]
	// + b) of the encoder's top layer's final states (both directions'
	// joined), and an LSTM's c to W' [c_f; c_b] + b'.
	LinearBridge Bridge = iota
	// ZeroBridge starts the decoder from zeros.
	ZeroBridge
)

// ParseBridge returns the bridge called name: linear or zeros.
func ParseBridge(name string) (Bridge, error) {
	switch name {
	case "linear":
		return LinearBridge, nil
	case "zeros":
		return ZeroBridge, nil
	}
	return 0, errors.Errorf("models: unknown bridge %q (want linear or zeros)", name)
}

// String returns "linear" or "zeros".
func (b Bridge) String() string {
	if b == ZeroBridge {
		return "zeros"
	}
	return "linear"
}

// MarshalText encodes the bridge by name.
func (b Bridge) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText decodes a bridge name.
func (b *Bridge) UnmarshalText(text []byte) (err error) {
	*b, err = ParseBridge(string(text))
	return err
}

// DefaultMaxSourceLen is the default Seq2SeqConfig.MaxSourceLen: 128
// tokens.
const DefaultMaxSourceLen = 128

// MaxSourceLenLimit bounds Seq2SeqConfig.MaxSourceLen: 65,536 tokens.
const MaxSourceLenLimit = 1 << 16

// Seq2SeqConfig describes a Seq2Seq; it is saved as the model directory's
// config.json. The zero value of an optional field is its documented
// default.
type Seq2SeqConfig struct {
	// Format is Seq2SeqFormatV1; NewSeq2Seq fills it in.
	Format string `json:"format"`
	// Cell is the encoder's and the decoder's cell: rnn_tanh (default),
	// rnn_relu, lstm or gru.
	Cell graph.Cell `json:"cell"`
	// SrcVocabSize and TgtVocabSize are the sizes of the source and target
	// vocabularies; NewSeq2Seq takes them from the vocabularies.
	SrcVocabSize int `json:"src_vocab_size"`
	TgtVocabSize int `json:"tgt_vocab_size"`
	// EmbedDim is E, the size of a token's vector on both sides
	// (required).
	EmbedDim int `json:"embed_dim"`
	// EncoderHidden is He, the size of each encoder state (required).
	EncoderHidden int `json:"encoder_hidden"`
	// EncoderLayers is the number of stacked encoder layers; 0 means 1.
	EncoderLayers int `json:"encoder_layers"`
	// Bidirectional adds a reverse direction to every encoder layer; the
	// memory the decoder attends over is then 2He wide.
	Bidirectional bool `json:"bidirectional"`
	// DecoderHidden is Hd, the size of each decoder state and of the
	// attentional vector. Default 0: EncoderHidden.
	DecoderHidden int `json:"decoder_hidden"`
	// DecoderLayers is the number of stacked decoder layers; 0 means 1.
	DecoderLayers int `json:"decoder_layers"`
	// Dropout is the probability of zeroing each value, in training only,
	// between the stacked layers of the encoder and of the decoder (those
	// with at least 2 layers) and of the attentional vector before the
	// output layer. It must be below 1.
	Dropout float64 `json:"dropout"`
	// Attention is the score: additive (default), dot or general.
	Attention graph.Score `json:"attention"`
	// AttentionSize is A, the additive score's hidden size. Default 0:
	// DecoderHidden.
	AttentionSize int `json:"attention_size"`
	// InputFeeding feeds each decoder step the previous step's attentional
	// vector beside the previous target token (Luong et al. 2015).
	InputFeeding bool `json:"input_feeding"`
	// Bridge is linear (default) or zeros.
	Bridge Bridge `json:"bridge"`
	// TieEmbeddings makes the output layer's weight the target embedding's
	// (Press and Wolf 2017); it needs EmbedDim = DecoderHidden.
	TieEmbeddings bool `json:"tie_embeddings"`
	// LabelSmoothing mixes each target with the uniform distribution in
	// the training loss (graph.LossOptions). Default 0.
	LabelSmoothing float64 `json:"label_smoothing"`
	// SrcTokenizer and TgtTokenizer name the datasets tokenizers of the
	// two sides: char, whitespace or basic_english. NewSeq2Seq takes them
	// from the vocabularies when they know them (and refuses others);
	// otherwise they default to char and whitespace.
	SrcTokenizer string `json:"src_tokenizer"`
	TgtTokenizer string `json:"tgt_tokenizer"`
	// MaxSourceLen is the longest source, in tokens, the model reads, in
	// training and in prediction: a longer one is refused. Default 0:
	// DefaultMaxSourceLen; at most MaxSourceLenLimit.
	MaxSourceLen int `json:"max_source_len"`
}

// withDefaults returns cfg with its zero optional fields set.
func (cfg Seq2SeqConfig) withDefaults() Seq2SeqConfig {
	cfg.Format = Seq2SeqFormatV1
	if cfg.EncoderLayers == 0 {
		cfg.EncoderLayers = 1
	}
	if cfg.DecoderLayers == 0 {
		cfg.DecoderLayers = 1
	}
	if cfg.DecoderHidden == 0 {
		cfg.DecoderHidden = cfg.EncoderHidden
	}
	if cfg.AttentionSize == 0 && cfg.Attention == graph.Additive {
		cfg.AttentionSize = cfg.DecoderHidden
	}
	if cfg.SrcTokenizer == "" {
		cfg.SrcTokenizer = datasets.CharTokenizer
	}
	if cfg.TgtTokenizer == "" {
		cfg.TgtTokenizer = datasets.WhitespaceTokenizer
	}
	if cfg.MaxSourceLen == 0 {
		cfg.MaxSourceLen = DefaultMaxSourceLen
	}
	return cfg
}

// Validate reports the first field that makes cfg unusable, including a
// size past its limit (MaxVocabSize, MaxEmbedDim, MaxHiddenSize,
// MaxNumLayers, MaxSourceLenLimit, MaxParameters).
func (cfg Seq2SeqConfig) Validate() error {
	for _, l := range []struct {
		field      string
		value, max int
	}{
		{"src_vocab_size", cfg.SrcVocabSize, MaxVocabSize},
		{"tgt_vocab_size", cfg.TgtVocabSize, MaxVocabSize},
		{"embed_dim", cfg.EmbedDim, MaxEmbedDim},
		{"encoder_hidden", cfg.EncoderHidden, MaxHiddenSize},
		{"decoder_hidden", cfg.DecoderHidden, MaxHiddenSize},
		{"attention_size", cfg.AttentionSize, MaxHiddenSize},
		{"encoder_layers", cfg.EncoderLayers, MaxNumLayers},
		{"decoder_layers", cfg.DecoderLayers, MaxNumLayers},
		{"max_source_len", cfg.MaxSourceLen, MaxSourceLenLimit},
	} {
		if l.value > l.max {
			return errors.Errorf("models: %s %d is over the limit of %d", l.field, l.value, l.max)
		}
	}
	switch {
	case cfg.Format != Seq2SeqFormatV1:
		return errors.Errorf("models: config format %s, want %q", regularfile.Excerpt(cfg.Format), Seq2SeqFormatV1)
	case cfg.SrcVocabSize < 5 || cfg.TgtVocabSize < 5:
		return errors.Errorf("models: src_vocab_size %d and tgt_vocab_size %d, want at least 5 (<pad> <unk> <bos> <eos> and a token)", cfg.SrcVocabSize, cfg.TgtVocabSize)
	case cfg.EmbedDim <= 0 || cfg.EncoderHidden <= 0 || cfg.DecoderHidden <= 0:
		return errors.Errorf("models: embed_dim %d, encoder_hidden %d and decoder_hidden %d must be positive", cfg.EmbedDim, cfg.EncoderHidden, cfg.DecoderHidden)
	case cfg.EncoderLayers <= 0 || cfg.DecoderLayers <= 0:
		return errors.Errorf("models: encoder_layers %d and decoder_layers %d must be positive", cfg.EncoderLayers, cfg.DecoderLayers)
	case !(cfg.Dropout >= 0 && cfg.Dropout < 1):
		return errors.Errorf("models: dropout %v not in [0, 1)", cfg.Dropout)
	case !(cfg.LabelSmoothing >= 0 && cfg.LabelSmoothing < 1):
		return errors.Errorf("models: label_smoothing %v not in [0, 1)", cfg.LabelSmoothing)
	case cfg.TieEmbeddings && cfg.EmbedDim != cfg.DecoderHidden:
		return errors.Errorf("models: tie_embeddings needs embed_dim (%d) = decoder_hidden (%d)", cfg.EmbedDim, cfg.DecoderHidden)
	case cfg.Bridge != LinearBridge && cfg.Bridge != ZeroBridge:
		return errors.Errorf("models: unknown bridge %d", cfg.Bridge)
	case cfg.Attention != graph.Additive && cfg.AttentionSize != 0:
		return errors.Errorf("models: attention_size %d is for the additive attention only", cfg.AttentionSize)
	case cfg.MaxSourceLen <= 0:
		return errors.Errorf("models: max_source_len %d must be positive", cfg.MaxSourceLen)
	}
	for _, name := range []string{cfg.SrcTokenizer, cfg.TgtTokenizer} {
		if _, err := datasets.NewTokenizer(name); err != nil {
			return errors.Wrap(err, "models")
		}
	}
	for _, rc := range []graph.RecurrentConfig{cfg.encoder(), cfg.decoder()} {
		if err := rc.Validate(); err != nil {
			return errors.Wrap(err, "models")
		}
	}
	if err := cfg.attention().Validate(); err != nil {
		return errors.Wrap(err, "models")
	}
	if n := cfg.ParameterCount(); n > MaxParameters {
		return errors.Errorf("models: the config declares %d parameters, over the limit of %d", n, MaxParameters)
	}
	return nil
}

// stackDropout is the dropout between the layers of a stack of layers
// layers: cfg.Dropout, or 0 for a single layer.
func (cfg Seq2SeqConfig) stackDropout(layers int) float64 {
	if layers < 2 {
		return 0
	}
	return cfg.Dropout
}

// encoder returns the configuration of the encoder stack.
func (cfg Seq2SeqConfig) encoder() graph.RecurrentConfig {
	return graph.RecurrentConfig{
		Cell: cfg.Cell, InputSize: cfg.EmbedDim, HiddenSize: cfg.EncoderHidden, NumLayers: cfg.EncoderLayers,
		Bidirectional: cfg.Bidirectional, Dropout: cfg.stackDropout(cfg.EncoderLayers),
	}
}

// decoder returns the configuration of the decoder stack, which steps one
// token at a time: its input is the target embedding, joined with the
// previous attentional vector under input feeding.
func (cfg Seq2SeqConfig) decoder() graph.RecurrentConfig {
	in := cfg.EmbedDim
	if cfg.InputFeeding {
		in += cfg.DecoderHidden
	}
	return graph.RecurrentConfig{Cell: cfg.Cell, InputSize: in, HiddenSize: cfg.DecoderHidden, NumLayers: cfg.DecoderLayers, Dropout: cfg.stackDropout(cfg.DecoderLayers)}
}

// memoryWidth is the width of the encoder's outputs.
func (cfg Seq2SeqConfig) memoryWidth() int { return cfg.encoder().OutputWidth() }

// attention returns the configuration of the attention.
func (cfg Seq2SeqConfig) attention() graph.AttentionConfig {
	return graph.AttentionConfig{Score: cfg.Attention, QueryWidth: cfg.DecoderHidden, MemoryWidth: cfg.memoryWidth(), Size: cfg.AttentionSize}
}

// Tensors lists the parameters NewSeq2Seq declares for cfg (with its
// defaults), in declaration order, with the state_dict names of the
// equivalent PyTorch modules (cmd/bench/gornn_seq2seq.py):
//
//	src_embedding.weight                   [Vs, E]
//	encoder.{weight_ih,weight_hh,bias_ih,bias_hh}_l<k>[_reverse]
//	tgt_embedding.weight                   [Vt, E]
//	bridge_h.<l>.weight [Hd, D*He], bridge_h.<l>.bias [Hd]   linear bridge, each decoder layer l
//	bridge_c.<l>.weight, bridge_c.<l>.bias                   the same, LSTM only
//	decoder.{weight_ih,weight_hh,bias_ih,bias_hh}_l<k>        input E (+Hd with input feeding)
//	attention.*                            see graph.Attention
//	output.weight [Vt, Hd] (none when tied), output.bias [Vt]
//
// It computes them from cfg alone, so that Load can check a weights
// file's header before any parameter exists.
func (cfg Seq2SeqConfig) Tensors() []TensorSpec { return slices.Collect(cfg.tensors()) }

// ParameterCount returns the number of learnable scalars of a model for
// cfg, the total size of Tensors.
func (cfg Seq2SeqConfig) ParameterCount() int64 {
	var n int64
	for spec := range cfg.tensors() {
		size := int64(1)
		for _, d := range spec.Shape {
			size *= int64(d)
		}
		n += size
	}
	return n
}

func (cfg Seq2SeqConfig) tensors() iter.Seq[TensorSpec] {
	cfg = cfg.withDefaults()
	return func(yield func(TensorSpec) bool) {
		emit := func(specs ...TensorSpec) bool {
			for _, s := range specs {
				if !yield(s) {
					return false
				}
			}
			return true
		}
		stack := func(name string, rc graph.RecurrentConfig) bool {
			for spec := range recurrentTensors(name, rc) {
				if !yield(spec) {
					return false
				}
			}
			return true
		}
		hd, e := cfg.DecoderHidden, cfg.EmbedDim
		if !emit(TensorSpec{"src_embedding.weight", []int{cfg.SrcVocabSize, e}}) || !stack("encoder", cfg.encoder()) ||
			!emit(TensorSpec{"tgt_embedding.weight", []int{cfg.TgtVocabSize, e}}) {
			return
		}
		if cfg.Bridge == LinearBridge {
			kinds := []string{"bridge_h"}
			if cfg.Cell == graph.LSTM {
				kinds = append(kinds, "bridge_c")
			}
			for _, kind := range kinds {
				for l := range cfg.DecoderLayers {
					name := fmt.Sprintf("%s.%d", kind, l)
					if !emit(TensorSpec{name + ".weight", []int{hd, cfg.memoryWidth()}}, TensorSpec{name + ".bias", []int{hd}}) {
						return
					}
				}
			}
		}
		if !stack("decoder", cfg.decoder()) {
			return
		}
		a, he := cfg.AttentionSize, cfg.memoryWidth()
		var attention []TensorSpec
		switch cfg.Attention {
		case graph.Additive:
			attention = []TensorSpec{{"attention.query.weight", []int{a, hd}}, {"attention.key.weight", []int{a, he}}, {"attention.key.bias", []int{a}}, {"attention.v.weight", []int{1, a}}}
		case graph.General:
			attention = []TensorSpec{{"attention.query.weight", []int{he, hd}}}
		}
		attention = append(attention, TensorSpec{"attention.out.weight", []int{hd, he + hd}}, TensorSpec{"attention.out.bias", []int{hd}})
		if !emit(attention...) {
			return
		}
		if !cfg.TieEmbeddings && !emit(TensorSpec{"output.weight", []int{cfg.TgtVocabSize, hd}}) {
			return
		}
		emit(TensorSpec{"output.bias", []int{cfg.TgtVocabSize}})
	}
}

// ReadSeq2SeqConfig reads and validates a sequence-to-sequence model's
// config.json: a regular file of at most MaxConfigBytes holding one JSON
// object and nothing after it, with no unknown fields, valid by
// Seq2SeqConfig.Validate. Errors name the file, and the line and column
// of a JSON error.
func ReadSeq2SeqConfig(path string) (Seq2SeqConfig, error) {
	var cfg Seq2SeqConfig
	if err := readStrictJSON(path, &cfg); err != nil {
		return Seq2SeqConfig{}, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, errors.Wrapf(err, "%s", path)
	}
	return cfg, nil
}
