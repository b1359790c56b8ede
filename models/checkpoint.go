package models

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/pkg/errors"
)

// The files of a model directory.
const (
	ConfigFile  = "config.json"
	VocabFile   = "vocab.txt"
	WeightsFile = graph.ParamsFile
)

// Save writes the classifier to the model directory dir (created if
// needed): config.json, vocab.txt and model.safetensors, each written
// atomically.
func (c *Classifier) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "models: saving to %s", dir)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ConfigFile), c.cfg); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := c.vocab.Save(filepath.Join(dir, VocabFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	return errors.Wrap(c.params.Save(filepath.Join(dir, WeightsFile), map[string]string{"format": "pt", "gornn": FormatV1}), "models")
}

// Load reads a model directory written by Save (or by PyTorch, following
// the same layout) and checks every tensor's name, shape and dtype against
// its config.json.
func Load(dir string, opts Options) (*Classifier, error) {
	cfg, err := ReadConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	vocab, err := datasets.LoadVocab(filepath.Join(dir, VocabFile))
	if err != nil {
		return nil, errors.Wrap(err, "models")
	}
	c, err := New(cfg, vocab, opts)
	if err != nil {
		return nil, errors.Wrapf(err, "models: %s", filepath.Join(dir, ConfigFile))
	}
	if err := c.params.Load(filepath.Join(dir, WeightsFile)); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	return c, nil
}

// ReadConfig reads and validates a config.json; unknown fields are errors.
func ReadConfig(path string) (Config, error) {
	var cfg Config
	data, err := os.ReadFile(path)
	if err != nil {
		return cfg, errors.Wrap(err, "models")
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&cfg); err != nil {
		return cfg, errors.Wrapf(err, "models: %s", path)
	}
	if err := cfg.Validate(); err != nil {
		return cfg, errors.Wrapf(err, "%s", path)
	}
	return cfg, nil
}
