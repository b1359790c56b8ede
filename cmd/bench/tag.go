package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/graph"
	"github.com/gornn/gornn/models"
)

// tagConfigs are the taggers of -task tag, the issue's: a BiLSTM tagger
// and a BiLSTM-CRF, embedding 100, hidden size 128, batch 32. Their
// inference mode decodes (Viterbi for the CRF) and counts the tokens
// tagged right.
var tagConfigs = []benchConfig{
	{name: "tagger", tagger: &models.TaggerConfig{Cell: graph.LSTM, EmbedDim: 100, HiddenSize: 128}, batch: 32},
	{name: "tagger_crf", tagger: &models.TaggerConfig{Cell: graph.LSTM, EmbedDim: 100, HiddenSize: 128, CRF: true}, batch: 32},
}

// taggerString describes a tagger config, e.g. "BiLSTM-CRF h128, b32,
// e100, Viterbi decoding" or "BiLSTM tagger (softmax) h128, ...".
func (c benchConfig) taggerString() string {
	m := c.tagger
	cell := map[graph.Cell]string{graph.RNNTanh: "RNN", graph.RNNReLU: "RNN", graph.LSTM: "LSTM", graph.GRU: "GRU"}[m.Cell]
	output, decoding := " tagger (softmax)", "argmax decoding"
	if m.CRF {
		output, decoding = "-CRF", "Viterbi decoding"
	}
	return fmt.Sprintf("Bi%s%s h%d, b%d, e%d, %s", cell, output, m.HiddenSize, c.batch, m.EmbedDim, decoding)
}

// benchData is a benchmark's data: a classification task's or a tagging
// task's.
type benchData struct {
	classify *datasets.Prepared
	tagged   *datasets.PreparedTagged
}

// writeRun writes config c's run directory (see the writeRun function,
// and writeTagRun).
func (d benchData) writeRun(dir string, c benchConfig, o options, epochs int) error {
	if c.tagger != nil {
		return writeTagRun(dir, c, d.tagged, o, epochs)
	}
	return writeRun(dir, c, d.classify, o, epochs)
}

// flops returns the matrix products' work of config c in mode (see
// modelFLOPs and taggerFLOPs).
func (d benchData) flops(c benchConfig, mode string, tokens, rows int) float64 {
	if c.tagger != nil {
		cfg := *c.tagger
		cfg.NumTags = d.tagged.Tags.Len()
		return taggerFLOPs(cfg, mode, tokens)
	}
	cfg := c.model
	cfg.NumClasses = len(d.classify.Classes)
	return modelFLOPs(cfg, mode, tokens, rows)
}

// taggerFLOPs returns the floating-point operations of the matrix
// products of cfg's tagger on tokens real tokens in mode, counted as
// modelFLOPs counts a classifier's: each token costs, forward, in each
// layer l and each of the 2 directions, 2·G·H·(I_l + H), and 2·2H·K in
// the linear layer over the K tags; training is 3 times the forward work.
// The CRF's forward-backward and Viterbi recursions are not products and
// are not counted.
func taggerFLOPs(cfg models.TaggerConfig, mode string, tokens int) float64 {
	rc := cfg.Recurrent()
	gh, h := float64(rc.Cell.Gates()*rc.HiddenSize), float64(rc.HiddenSize)
	perToken, in := 0.0, float64(rc.InputSize)
	for range rc.NumLayers {
		perToken += 2 * 2 * gh * (in + h)
		in = 2 * h
	}
	perToken += 2 * 2 * h * float64(cfg.NumTags)
	if mode == modeTrain {
		return 3 * float64(tokens) * perToken
	}
	return float64(tokens) * perToken
}

// prepareTagged builds the truecasing task from the benchmark's AG News
// rows (datasets.TruecaseAGNews; built-in text, saying so, when the file
// is absent) and encodes it, recording what it is in s.
func prepareTagged(o options, s *setup) (*datasets.PreparedTagged, error) {
	path := o.data
	if path == "" {
		dir, _ := datasets.AGNewsDir()
		path = filepath.Join(dir, "test.csv")
		if _, err := os.Stat(path); err != nil {
			s.Data = fmt.Sprintf("built-in truecasing text (AG News not found: %v)", err)
			path = ""
		}
	}
	var sentences *datasets.Tagged
	if path == "" {
		sentences = datasets.BuiltinTruecasing(max(o.trainRows.To, o.evalRows.To), o.seed)
	} else {
		var err error
		if sentences, err = datasets.TruecaseAGNews(path); err != nil {
			return nil, err
		}
		s.Data = "truecasing built from " + path + " (its descriptions)"
	}
	src := datasets.TaggedSource{Sentences: sentences, TrainRows: o.trainRows, ValSplit: -1, Seed: o.seed, Vocab: datasets.VocabOptions{MaxSize: maxVocab}}
	if o.accuracy {
		src.ValRows = o.evalRows
	}
	data, err := datasets.PrepareTagged(src)
	if err != nil {
		return nil, err
	}
	s.Tokens = fmt.Sprintf("tokens lowercased, each tagged by its case (%d tags)", data.Tags.Len())
	s.TrainRows, s.TrainExamples, s.Vocab = o.trainRows.String(), data.Train.Len(), data.Vocab.Len()
	if data.Val != nil {
		s.EvalRows, s.EvalExamples = o.evalRows.String(), data.Val.Len()
	}
	return data, nil
}

// writeTagRun writes a tagger config's run directory: the initial weights
// and the plans of the training sentences (shuffled, epoch by epoch) and
// of the evaluation sentences (in order), with per-token tags.
func writeTagRun(dir string, c benchConfig, data *datasets.PreparedTagged, o options, epochs int) error {
	model, err := models.NewTagger(*c.tagger, data.Vocab, data.Tags, nil, models.Options{Seed: o.seed})
	if err != nil {
		return err
	}
	if err := model.Save(filepath.Join(dir, modelDir)); err != nil {
		return err
	}
	return writePlans(dir, c, data.Train, data.Val, o, epochs)
}
