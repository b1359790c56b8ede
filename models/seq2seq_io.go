package models

import (
	"os"
	"path/filepath"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/internal/atomicfile"
	"github.com/pkg/errors"
)

// The vocabulary files of a sequence-to-sequence model directory.
const (
	SourceVocabFile = "src_vocab.txt"
	TargetVocabFile = "tgt_vocab.txt"
)

// Save writes the model to the model directory dir (created if needed):
// config.json, src_vocab.txt, tgt_vocab.txt and model.safetensors, each
// written atomically.
func (m *Seq2Seq) Save(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return errors.Wrapf(err, "models: saving to %s", dir)
	}
	if err := atomicfile.WriteJSON(filepath.Join(dir, ConfigFile), m.cfg); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := m.srcVocab.Save(filepath.Join(dir, SourceVocabFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	if err := m.tgtVocab.Save(filepath.Join(dir, TargetVocabFile)); err != nil {
		return errors.Wrap(err, "models")
	}
	return errors.Wrap(m.params.Save(filepath.Join(dir, WeightsFile), map[string]string{"format": "pt", "gornn": Seq2SeqFormatV1}), "models")
}

// LoadSeq2Seq reads a model directory written by Save (or by PyTorch in
// the same layout), distrusting it as Load does: config.json within its
// limits, the header of model.safetensors listing exactly the tensors the
// config implies (Seq2SeqConfig.Tensors) before any parameter is
// allocated or vocabulary read, vocabularies of the configured sizes
// starting with <pad> <unk> <bos> <eos>, finite weights.
func LoadSeq2Seq(dir string, opts Options) (*Seq2Seq, error) {
	cfg, err := ReadSeq2SeqConfig(filepath.Join(dir, ConfigFile))
	if err != nil {
		return nil, err
	}
	weights := filepath.Join(dir, WeightsFile)
	if err := checkWeights(weights, cfg.Tensors()); err != nil {
		return nil, err
	}
	srcVocab, err := datasets.LoadVocabOfSize(filepath.Join(dir, SourceVocabFile), cfg.SrcVocabSize)
	if err != nil {
		return nil, errors.Wrapf(err, "models: the source vocabulary must hold src_vocab_size=%d tokens", cfg.SrcVocabSize)
	}
	tgtVocab, err := datasets.LoadVocabOfSize(filepath.Join(dir, TargetVocabFile), cfg.TgtVocabSize)
	if err != nil {
		return nil, errors.Wrapf(err, "models: the target vocabulary must hold tgt_vocab_size=%d tokens", cfg.TgtVocabSize)
	}
	m, err := NewSeq2Seq(cfg, srcVocab, tgtVocab, opts)
	if err != nil {
		return nil, errors.Wrapf(err, "models: %s", dir)
	}
	if err := m.params.Load(weights); err != nil {
		return nil, errors.Wrap(err, "models")
	}
	if err := checkFinite(weights, m.params); err != nil {
		return nil, err
	}
	return m, nil
}
