package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/models"
	"github.com/pkg/errors"
)

// decodeFlags are the flags of a sequence-to-sequence model directory
// (gornn-seq2seq/1): how it decodes.
type decodeFlags struct {
	beam, nbest        int
	alpha, maxLenRatio float64
}

// seq2seqFlags holds the decoding flags of the command line being run.
var seq2seqFlags decodeFlags

// register declares the flags in fs, resetting them to their defaults.
func (f *decodeFlags) register(fs *flag.FlagSet) {
	fs.IntVar(&f.beam, "beam", 1, "seq2seq: beam width; 1 is greedy decoding")
	fs.IntVar(&f.nbest, "nbest", 1, "seq2seq: outputs per text, best first (at most -beam)")
	fs.Float64Var(&f.alpha, "alpha", 0, "seq2seq: length normalisation exponent of Wu et al. (2016); 0: none")
	fs.Float64Var(&f.maxLenRatio, "max-len-ratio", decode.DefaultMaxLenRatio, "seq2seq: longest output, in tokens per source token")
}

// check reports a decoding flag out of range (a usage error).
func (f *decodeFlags) check() error {
	_, err := f.beamSearch()
	return err
}

// beamSearch returns the decoding the flags describe.
func (f *decodeFlags) beamSearch() (decode.Beam, error) {
	switch {
	case f.beam < 1:
		return decode.Beam{}, errors.Errorf("-beam %d: want a width of at least 1 (1 is greedy decoding)", f.beam)
	case f.nbest < 1 || f.nbest > f.beam:
		return decode.Beam{}, errors.Errorf("-nbest %d: want 1..%d (-beam)", f.nbest, f.beam)
	case !(f.alpha >= 0):
		return decode.Beam{}, errors.Errorf("-alpha %v: must not be negative", f.alpha)
	case !(f.maxLenRatio > 0):
		return decode.Beam{}, errors.Errorf("-max-len-ratio %v: must be positive", f.maxLenRatio)
	}
	return decode.Beam{Width: f.beam, NBest: f.nbest, Alpha: f.alpha, MaxLenRatio: f.maxLenRatio}, nil
}

// translate decodes each text with a sequence-to-sequence model: one line
// per output, "TEXT<TAB>OUTPUT<TAB>SCORE" (n-best lines in order), or
// with asJSON one models.TranslationAnswer per text: the source's tokens,
// its unknown tokens, and each output's tokens, text, score,
// log-probability and attention matrix ([output tokens + <eos>][source
// tokens]).
func translate(dir string, texts []string, asJSON bool, out io.Writer) error {
	beam, err := seq2seqFlags.beamSearch()
	if err != nil {
		return err
	}
	model, err := models.LoadSeq2Seq(dir, models.Options{})
	if err != nil {
		return err
	}
	results, err := model.Translate(texts, beam)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false) // <unk> and <eos> as written
	for i, r := range results {
		if !asJSON {
			for _, o := range r.Outputs {
				fmt.Fprintf(out, "%s\t%s\t%.4f\n", texts[i], o.Text, o.Score)
			}
			continue
		}
		if err := enc.Encode(r.Answer(texts[i])); err != nil {
			return err
		}
	}
	return nil
}

// seq2seqUsage describes the decoding flags for the usage message.
func seq2seqUsage() string {
	return strings.Join([]string{
		"A sequence-to-sequence model (gornn-seq2seq/1) decodes each text (-beam, -nbest, -alpha, -max-len-ratio);",
		"-json adds the source's tokens, those outside its vocabulary (read as <unk>), and each output's attention matrix.",
	}, "\n")
}
