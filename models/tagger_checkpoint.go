package models

import (
	"os"
	"path/filepath"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/pkg/errors"
)

// The files a tagger's model directory adds to ConfigFile, VocabFile and
// WeightsFile.
const (
	TagsFile  = "tags.txt"  // the tag set, one tag a line in id order
	CharsFile = "chars.txt" // the character alphabet, a vocabulary file (character features only)
)

// Save writes the tagger to the model directory dir (created if needed):
// config.json, vocab.txt, tags.txt, chars.txt with character features,
// and model.safetensors, each written atomically.
func (t *Tagger) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "models: saving to %s", dir)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ConfigFile), t.cfg); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := t.vocab.Save(filepath.Join(dir, VocabFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := t.tags.Save(filepath.Join(dir, TagsFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	if t.chars != nil {
		if err := t.chars.Save(filepath.Join(dir, CharsFile)); err != nil {
			return errors.Wrap(err, "models")
		}
	}
	return errors.Wrap(t.params.Save(filepath.Join(dir, WeightsFile), map[string]string{"format": "pt", "gornn": TaggerFormatV1}), "models")
}

// LoadTagger reads a tagger's model directory written by Save (or by
// PyTorch in the same layout), distrusting it as Load does: config.json
// within its limits and valid, the weights file's header listing exactly
// the tensors the config implies before any parameter is allocated,
// vocab.txt, tags.txt and chars.txt of exactly the config's sizes, and
// finite weights.
func LoadTagger(dir string, opts Options) (*Tagger, error) {
	cfg, err := ReadTaggerConfig(filepath.Join(dir, ConfigFile))
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
	tags, err := datasets.LoadTagSet(filepath.Join(dir, TagsFile), cfg.NumTags)
	if err != nil {
		return nil, errors.Wrapf(err, "models: the tags must be num_tags=%d", cfg.NumTags)
	}
	var chars *datasets.Vocab
	if cfg.Chars() {
		if chars, err = datasets.LoadVocabOfSize(filepath.Join(dir, CharsFile), cfg.CharVocabSize); err != nil {
			return nil, errors.Wrapf(err, "models: the characters must be char_vocab_size=%d", cfg.CharVocabSize)
		}
	}
	t, err := NewTagger(cfg, vocab, tags, chars, opts)
	if err != nil {
		return nil, errors.Wrapf(err, "models: %s", filepath.Join(dir, ConfigFile))
	}
	if err := t.params.Load(weights); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if err := checkFinite(weights, t.params); err != nil {
		return nil, err
	}
	return t, nil
}

// ReadTaggerConfig reads and validates a tagger's config.json, as
// ReadConfig reads a classifier's: a regular file of at most
// MaxConfigBytes holding one JSON object and nothing after it, with no
// unknown fields, valid by TaggerConfig.Validate.
func ReadTaggerConfig(path string) (TaggerConfig, error) {
	var cfg TaggerConfig
	if err := readStrictJSON(path, &cfg); err != nil {
		return cfg, err
	}
	if err := cfg.Validate(); err != nil {
		return cfg, errors.Wrapf(err, "%s", path)
	}
	return cfg, nil
}
