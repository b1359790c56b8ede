package models

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/graph/safetensors"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/gornn/gornn/internal/regularfile"
	"github.com/pkg/errors"
)

// CarriedStateFile holds a stream language model's carried state in a
// training checkpoint (train.Carrier): per layer "h_l<k>" (and "c_l<k>"
// for LSTM), [columns, H], float64.
const CarriedStateFile = "carried_state.safetensors"

// Save writes the model to the model directory dir (created if needed):
// config.json, vocab.txt and model.safetensors, each written atomically.
// A tied model's weights file holds the shared weight once, as
// encoder.weight.
func (m *LanguageModel) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "models: saving to %s", dir)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ConfigFile), m.cfg); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := m.vocab.Save(filepath.Join(dir, VocabFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	return errors.Wrap(m.params.Save(filepath.Join(dir, WeightsFile), map[string]string{"format": "pt", "gornn": LMFormatV1}), "models")
}

// stateName names carried state s in CarriedStateFile.
func (m *LanguageModel) stateName(s int) string {
	if s >= m.cfg.NumLayers {
		return fmt.Sprintf("c_l%d", s-m.cfg.NumLayers)
	}
	return fmt.Sprintf("h_l%d", s)
}

// SaveState writes the training state each stream column carries to its
// next window into dir/CarriedStateFile (train.Carrier).
func (m *LanguageModel) SaveState(dir string) error {
	carry := m.carriedState(graph.Train)
	cols, hidden := m.opts.StreamColumns, m.cfg.HiddenSize
	tensors := make([]safetensors.Tensor, m.states())
	for s := range tensors {
		tensors[s] = safetensors.FromFloat64s(m.stateName(s), []int{cols, hidden}, carry[s*cols*hidden:(s+1)*cols*hidden])
	}
	return errors.Wrap(safetensors.WriteFile(filepath.Join(dir, CarriedStateFile), tensors, map[string]string{"gornn": "carried state"}), "models")
}

// LoadState restores the training state SaveState wrote into dir, which
// must be that of a model with the same layers, hidden size and stream
// columns.
func (m *LanguageModel) LoadState(dir string) error {
	path := filepath.Join(dir, CarriedStateFile)
	f, err := safetensors.ReadFile(path)
	if err != nil {
		return errors.Wrap(err, "models")
	}
	cols, hidden := m.opts.StreamColumns, m.cfg.HiddenSize
	if len(f.Names()) != m.states() {
		return errors.Errorf("models: %s holds %d tensors, want %d", path, len(f.Names()), m.states())
	}
	carry := make([]float64, m.states()*cols*hidden)
	for s := range m.states() {
		values, shape, err := f.Float64s(m.stateName(s))
		if err != nil {
			return errors.Wrapf(err, "models: %s", path)
		}
		if !slices.Equal(shape, []int{cols, hidden}) {
			return errors.Errorf("models: %s: %s has shape %v, want [%d %d] (columns, hidden size)", path, m.stateName(s), shape, cols, hidden)
		}
		copy(carry[s*cols*hidden:], values)
	}
	m.carried[graph.Train] = carry
	return nil
}

// ReadLMConfig reads and validates a language model's config.json: a
// regular file of at most MaxConfigBytes holding one JSON object and
// nothing after it, with no unknown fields, valid by LMConfig.Validate.
func ReadLMConfig(path string) (LMConfig, error) {
	var cfg LMConfig
	if err := readStrictJSON(path, &cfg); err != nil {
		return LMConfig{}, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, errors.Wrapf(err, "%s", path)
	}
	return cfg, nil
}

// checkFormat returns an error naming the format of the model directory
// dir when its config.json names another format than want. A config.json
// it cannot read is left for the config's reader to report in detail.
func checkFormat(dir, want string) error {
	format, err := ReadFormat(dir)
	if err == nil && format != want {
		return errors.Errorf("models: %s holds a model of format %s, not %q", dir, regularfile.Excerpt(format), want)
	}
	return nil
}

// LoadLanguageModel reads a model directory written by Save (or by
// PyTorch in the same layout), checked as Load checks a classifier's:
// the format must be LMFormatV1, each file a regular file within its
// limits, the config within LMConfig.Validate's limits, the weights
// header exactly the tensors the config implies (LMConfig.Tensors)
// before any parameter is allocated, and every weight finite.
func LoadLanguageModel(dir string, opts LMOptions) (*LanguageModel, error) {
	if err := checkFormat(dir, LMFormatV1); err != nil {
		return nil, err
	}
	cfg, err := ReadLMConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	weights := filepath.Join(dir, WeightsFile)
	if err := checkWeights(weights, cfg.Tensors()); err != nil {
		return nil, err
	}
	vocab, err := datasets.LoadVocabOfSize(filepath.Join(dir, VocabFile), cfg.VocabSize)
	if err != nil {
		return nil, errors.Wrapf(err, "models: the vocabulary must hold vocab_size=%d tokens", cfg.VocabSize)
	}
	m, err := NewLanguageModel(cfg, vocab, opts)
	if err != nil {
		return nil, errors.Wrapf(err, "models: %s", filepath.Join(dir, ConfigFile))
	}
	if err := m.params.Load(weights); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if err := checkFinite(weights, m.params); err != nil {
		return nil, err
	}
	return m, nil
}
