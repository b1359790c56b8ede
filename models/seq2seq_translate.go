package models

import (
	"strings"

	"github.com/gornn/gornn/datasets"
	"github.com/gornn/gornn/decode"
	"github.com/gornn/gornn/metrics"
	"github.com/pkg/errors"
)

// Translation is a Seq2Seq's answer for one source text.
type Translation struct {
	// Source are the source's tokens.
	Source []string
	// Unknown are the positions in Source of the tokens outside the
	// source vocabulary, which the model read as <unk>.
	Unknown []int
	// Outputs are the n-best outputs, best first.
	Outputs []TranslationOutput
}

// TranslationOutput is one output of a source.
type TranslationOutput struct {
	Tokens []string
	// Text is the tokens joined as the target tokenizer splits them: with
	// nothing between characters (char), else with spaces.
	Text string
	// Score and LogProb are decode.Hypothesis's.
	Score, LogProb float64
	// Attention holds the weights of each output step (the last one
	// output <eos>) over the source's tokens, [len(Tokens)+1][len(Source)].
	Attention [][]float64
}

// ReadSource tokenizes a source text, without its leading and trailing
// white space, with the source tokenizer and maps its tokens to ids,
// returning the ids, the tokens and the positions of the tokens outside
// the vocabulary (read as <unk>). A text without tokens, or with more than
// MaxSourceLen, is an error.
func (m *Seq2Seq) ReadSource(text string) (ids []int, tokens []string, unknown []int, err error) {
	tokens = m.srcTok.Tokenize(strings.TrimSpace(text))
	switch {
	case len(tokens) == 0:
		return nil, nil, nil, errors.Errorf("models: empty source: %q has no %s tokens", excerpt(text), m.srcTok.Name())
	case len(tokens) > m.cfg.MaxSourceLen:
		return nil, nil, nil, errors.Errorf("models: source of %d %s tokens, over the model's limit of %d (max_source_len)", len(tokens), m.srcTok.Name(), m.cfg.MaxSourceLen)
	}
	ids = m.srcVocab.EncodeSeq(tokens)
	for i, id := range ids {
		if id == datasets.UnkID {
			unknown = append(unknown, i)
		}
	}
	return ids, tokens, unknown, nil
}

// Decode decodes id sources with beam, Options.PredictBatch sources at a
// time, the batches at once on up to Options.PredictConcurrency cores,
// and returns each source's n-best outputs. It is safe for
// concurrent use (see Seq2Seq).
func (m *Seq2Seq) Decode(sources [][]int, beam decode.Beam) ([][]decode.Hypothesis, error) {
	out := make([][]decode.Hypothesis, len(sources))
	err := m.inference.inChunks(len(sources), m.opts.PredictBatch, "sources", func(slot *inferenceSlot, from, to int) error {
		lists, err := beam.Search(m.slotStepper(slot), sources[from:to])
		copy(out[from:to], lists)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Translate decodes each text with beam (decode.Beam{} is greedy
// decoding) and returns its n-best outputs.
func (m *Seq2Seq) Translate(texts []string, beam decode.Beam) ([]Translation, error) {
	sources := make([][]int, len(texts))
	results := make([]Translation, len(texts))
	for i, text := range texts {
		ids, tokens, unknown, err := m.ReadSource(text)
		if err != nil {
			return nil, errors.Wrapf(err, "text %d", i+1)
		}
		sources[i], results[i] = ids, Translation{Source: tokens, Unknown: unknown}
	}
	lists, err := m.Decode(sources, beam)
	if err != nil {
		return nil, err
	}
	for i, list := range lists {
		for _, h := range list {
			tokens := m.tgtVocab.Decode(h.Tokens)
			results[i].Outputs = append(results[i].Outputs, TranslationOutput{
				Tokens: tokens, Text: m.joinTargets(tokens), Score: h.Score, LogProb: h.LogProb, Attention: h.Attention,
			})
		}
	}
	return results, nil
}

// joinTargets joins target tokens into a text.
func (m *Seq2Seq) joinTargets(tokens []string) string {
	if m.cfg.TgtTokenizer == datasets.CharTokenizer {
		return strings.Join(tokens, "")
	}
	return strings.Join(tokens, " ")
}

// DecodingResult is a Seq2Seq's decoding of a parallel corpus.
type DecodingResult struct {
	// Metrics holds the word and token error rates (Scores "wer", "per").
	Metrics *metrics.Transduction
	// Words are the distinct sources with their outputs, in order.
	Words []DecodedWord
}

// DecodedWord is the output decoded for one distinct source and its
// references.
type DecodedWord struct {
	Source     string
	Output     string
	References []string
	// Distance is the edit distance, in target tokens, to the closest
	// reference: 0 when the output is right.
	Distance int
}

// EvaluateDecoding decodes every distinct source of p once with beam
// (decode.Beam{} is greedy decoding) and scores the best output against
// all of the source's references (a word is right when it matches any of
// its pronunciations). A pair the model cannot read is an error naming its
// file and line.
func (m *Seq2Seq) EvaluateDecoding(p *datasets.Parallel, beam decode.Beam) (*DecodingResult, error) {
	enc, err := datasets.EncodeParallel(p, m.srcTok, m.tgtTok, m.srcVocab, m.tgtVocab, datasets.ParallelEncodeOptions{MaxSourceLen: m.cfg.MaxSourceLen})
	if err != nil {
		return nil, err
	}
	first := map[int]int{} // group -> its first row
	var sources [][]int
	var order []int // the groups in order
	for i, pair := range p.Pairs {
		if _, ok := first[pair.Group]; !ok {
			first[pair.Group] = len(sources)
			sources = append(sources, enc.IDs[i])
			order = append(order, pair.Group)
		}
	}
	lists, err := m.Decode(sources, beam)
	if err != nil {
		return nil, err
	}
	result := &DecodingResult{Metrics: &metrics.Transduction{}, Words: make([]DecodedWord, len(sources))}
	for i, pair := range p.Pairs {
		k := first[pair.Group]
		target := enc.Second.Targets[i]
		result.Metrics.AddDecoded(sources[k], lists[k][0].Tokens, target[:len(target)-1])
		w := &result.Words[k]
		w.Source = pair.Source
		w.References = append(w.References, pair.Target)
	}
	for k := range order {
		w := &result.Words[k]
		w.Output = m.joinTargets(m.tgtVocab.Decode(lists[k][0].Tokens))
		w.Distance, _ = result.Metrics.Sources[metrics.SourceKey(sources[k])].Errors()
	}
	return result, nil
}
