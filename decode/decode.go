// Package decode turns the step-by-step log-probabilities of a
// sequence-to-sequence model into outputs: greedy decoding and beam search
// with Wu et al. (2016)'s length normalisation, n-best lists with their
// scores, and the attention weights of every output, for many sources at
// once.
//
// Decoding only asks the model, through the Stepper interface, to encode a
// batch of sources and to advance a batch of decoder states by one token,
// returning the next token's log-probabilities; it knows nothing of graphs
// or layers, as OpenNMT's and the PyTorch tutorial's beam searches know
// nothing of their models. models.Seq2Seq is a Stepper.
//
// Beam search here is the plain, shrinking beam: each source keeps Width
// hypotheses; at every step the live ones are extended by every token but
// the model's Never tokens, the best Width minus the finished ones (by
// summed log-probability) are kept, and those ending in <eos> finish. A
// hypothesis that reaches the maximum length can only be extended by
// <eos>. A source is done when none is live, and its finished hypotheses
// are ranked by their normalised score. Width 1 is greedy decoding.
package decode

import (
	"math"
	"slices"

	"github.com/pkg/errors"
)

// Stepper is what decoding asks of a sequence-to-sequence model: to
// encode sources and to step decoder states.
type Stepper interface {
	// Start encodes the sources (token ids, each non-empty) and returns the
	// decoder's state before its first step, one row per source, in order.
	Start(sources [][]int) (State, error)
	// Step feeds every row of state one token (tokens [N], N =
	// state.Rows()) and returns the log-probabilities of each row's next
	// token and the state after the step.
	Step(state State, tokens []int) (*StepOutput, error)
	// Specials returns the model's special tokens.
	Specials() Specials
}

// State is a batch of decoder states, one per row.
type State interface {
	// Rows returns N, the number of rows.
	Rows() int
	// Select returns the state whose row i is row rows[i] of this one
	// (beam expansion and reordering). Rows may repeat.
	Select(rows []int) (State, error)
}

// StepOutput is what a model's Step returns.
type StepOutput struct {
	// LogProbs are each row's log-probabilities of the next token, [N, V]
	// row-major.
	LogProbs []float64
	// Vocab is V.
	Vocab int
	// Attention holds each row's attention weights over its source, [N, S]
	// row-major with S = SourceSteps (zero past each source's length); nil
	// for a model without attention.
	Attention   []float64
	SourceSteps int
	// Next is the state after the step.
	Next State
}

// Specials are the special tokens of a model's target vocabulary.
type Specials struct {
	BOS, EOS int   // the first input of the decoder, and the end of an output
	Never    []int // tokens never output (<pad>, <bos>)
}

// Hypothesis is one output of a source.
type Hypothesis struct {
	// Tokens are the output's token ids, without <eos>.
	Tokens []int
	// LogProb is the sum of the log-probabilities of the output's tokens
	// and of its <eos>.
	LogProb float64
	// Score is LogProb divided by the length penalty ((5+|Y|)/6)^Alpha,
	// |Y| the tokens output, <eos> included: LogProb itself when Alpha is
	// 0. N-best lists are ordered by it.
	Score float64
	// Attention holds the attention weights of every step over the
	// source's tokens, [len(Tokens)+1][len(source)], the last row the
	// step that output <eos>; nil for a model without attention.
	Attention [][]float64
}

// DefaultMaxLenRatio is the default Beam.MaxLenRatio.
const DefaultMaxLenRatio = 3

// Beam is a beam search. The zero value is greedy decoding: width 1, one
// output per source, no length normalisation, outputs of at most
// DefaultMaxLenRatio tokens per source token.
type Beam struct {
	// Width is the number of hypotheses kept per source. Default 0: 1,
	// greedy decoding.
	Width int
	// NBest is the number of outputs returned per source, best first, at
	// most Width. Default 0: 1.
	NBest int
	// Alpha is Wu et al. (2016)'s length-normalisation exponent: finished
	// hypotheses are ranked by LogProb / ((5+|Y|)/6)^Alpha. Default 0: by
	// LogProb.
	Alpha float64
	// MaxLenRatio bounds each output to ceil(MaxLenRatio × the source's
	// length) tokens before <eos>, and at least 1: a hypothesis that long
	// can only be extended by <eos>. Default 0: DefaultMaxLenRatio.
	MaxLenRatio float64
}

// withDefaults returns b with its defaults filled in, checked.
func (b Beam) withDefaults() (Beam, error) {
	if b.Width == 0 {
		b.Width = 1
	}
	if b.NBest == 0 {
		b.NBest = 1
	}
	if b.MaxLenRatio == 0 {
		b.MaxLenRatio = DefaultMaxLenRatio
	}
	switch {
	case b.Width < 0 || b.NBest < 0:
		return b, errors.Errorf("decode: width %d and n-best %d must be positive", b.Width, b.NBest)
	case b.NBest > b.Width:
		return b, errors.Errorf("decode: n-best %d is more than the beam's width %d", b.NBest, b.Width)
	case !(b.Alpha >= 0) || math.IsInf(b.Alpha, 0):
		return b, errors.Errorf("decode: alpha %v must be a non-negative number", b.Alpha)
	case !(b.MaxLenRatio > 0) || math.IsInf(b.MaxLenRatio, 0):
		return b, errors.Errorf("decode: max length ratio %v must be a positive number", b.MaxLenRatio)
	}
	return b, nil
}

// Validate reports a setting out of range: a negative width or n-best, an
// n-best over the width, a negative or non-finite alpha, a negative or
// infinite MaxLenRatio.
func (b Beam) Validate() error {
	_, err := b.withDefaults()
	return err
}

// MaxLen returns the most tokens an output of a source of n tokens holds
// before its <eos>.
func (b Beam) MaxLen(n int) int {
	ratio := b.MaxLenRatio
	if ratio == 0 {
		ratio = DefaultMaxLenRatio
	}
	return max(1, int(math.Ceil(ratio*float64(n))))
}

// Greedy decodes every source with beam's settings at width 1 (the most
// likely token at every step) and returns one output per source.
func Greedy(model Stepper, sources [][]int, beam Beam) ([]Hypothesis, error) {
	beam.Width, beam.NBest = 1, 1
	lists, err := beam.Search(model, sources)
	if err != nil {
		return nil, err
	}
	best := make([]Hypothesis, len(lists))
	for i, l := range lists {
		best[i] = l[0]
	}
	return best, nil
}

// live is a hypothesis still being extended.
type live struct {
	tokens    []int
	logProb   float64
	attention [][]float64
	parent    int // the slot of the live hypothesis it extends
}

// candidate is a live hypothesis extended by one token.
type candidate struct {
	logProb float64
	slot    int // the live hypothesis it extends
	token   int
}

// before orders candidates: the higher log-probability first, then the
// lower slot, then the lower token, so that ties break the same way
// everywhere.
func (c candidate) before(d candidate) bool {
	if c.logProb != d.logProb {
		return c.logProb > d.logProb
	}
	if c.slot != d.slot {
		return c.slot < d.slot
	}
	return c.token < d.token
}

// search is one source's beam.
type search struct {
	source   []int
	maxLen   int
	live     []live
	finished []Hypothesis
}

// Search decodes every source (non-empty token ids) and returns, per
// source, its NBest best outputs, best first. The sources are decoded
// together: row slot of source i is row i*Width+slot of the model's
// state.
func (b Beam) Search(model Stepper, sources [][]int) ([][]Hypothesis, error) {
	b, err := b.withDefaults()
	if err != nil {
		return nil, err
	}
	if len(sources) == 0 {
		return nil, nil
	}
	for i, s := range sources {
		if len(s) == 0 {
			return nil, errors.Errorf("decode: source %d is empty", i)
		}
	}
	specials := model.Specials()
	never := make(map[int]bool, len(specials.Never))
	for _, t := range specials.Never {
		never[t] = true
	}
	state, err := model.Start(sources)
	if err != nil {
		return nil, err
	}
	k := b.Width
	searches := make([]*search, len(sources))
	expand := make([]int, len(sources)*k)
	for i, s := range sources {
		searches[i] = &search{source: s, maxLen: b.MaxLen(len(s)), live: []live{{}}}
		for slot := 0; slot < k; slot++ {
			expand[i*k+slot] = i
		}
	}
	if state, err = state.Select(expand); err != nil {
		return nil, err
	}
	feed := make([]int, len(sources)*k)
	for i := range feed {
		feed[i] = specials.BOS
	}
	rows := make([]int, len(feed))
	for {
		out, err := model.Step(state, feed)
		if err != nil {
			return nil, err
		}
		if len(out.LogProbs) != len(feed)*out.Vocab {
			return nil, errors.Errorf("decode: the model returned %d log-probabilities for %d rows of %d tokens", len(out.LogProbs), len(feed), out.Vocab)
		}
		done := true
		for i, s := range searches {
			base := i * k
			if len(s.live) > 0 {
				s.advance(b, out, base, specials.EOS, never)
			}
			for slot := range k {
				rows[base+slot], feed[base+slot] = base, specials.EOS
			}
			for slot, h := range s.live {
				rows[base+slot], feed[base+slot] = base+h.parent, h.tokens[len(h.tokens)-1]
			}
			done = done && len(s.live) == 0
		}
		if done {
			break
		}
		if state, err = out.Next.Select(rows); err != nil {
			return nil, err
		}
	}
	lists := make([][]Hypothesis, len(searches))
	for i, s := range searches {
		slices.SortStableFunc(s.finished, func(x, y Hypothesis) int {
			switch {
			case x.Score > y.Score:
				return -1
			case x.Score < y.Score:
				return 1
			}
			return 0
		})
		lists[i] = s.finished[:min(b.NBest, len(s.finished))]
	}
	return lists, nil
}

// advance extends the source's live hypotheses, rows base+slot of out, by
// one token each and keeps the best.
func (s *search) advance(b Beam, out *StepOutput, base, eos int, never map[int]bool) {
	width := b.Width - len(s.finished)
	best := make([]candidate, 0, width)
	offer := func(c candidate) {
		if len(best) == width && !c.before(best[width-1]) {
			return
		}
		if len(best) < width {
			best = append(best, c)
		}
		at := len(best) - 1
		for at > 0 && c.before(best[at-1]) {
			best[at] = best[at-1]
			at--
		}
		best[at] = c
	}
	v := out.Vocab
	for slot, h := range s.live {
		logProbs := out.LogProbs[(base+slot)*v : (base+slot+1)*v]
		if len(h.tokens) == s.maxLen {
			offer(candidate{h.logProb + logProbs[eos], slot, eos})
			continue
		}
		for token, lp := range logProbs {
			if !never[token] {
				offer(candidate{h.logProb + lp, slot, token})
			}
		}
	}
	next := make([]live, 0, width)
	for _, c := range best {
		h := s.live[c.slot]
		attention := h.attention
		if out.Attention != nil {
			row := out.Attention[(base+c.slot)*out.SourceSteps:]
			attention = append(slices.Clip(attention), slices.Clone(row[:len(s.source)]))
		}
		if c.token == eos {
			s.finished = append(s.finished, Hypothesis{
				Tokens: h.tokens, LogProb: c.logProb, Attention: attention,
				Score: c.logProb / math.Pow((5+float64(len(h.tokens)+1))/6, b.Alpha),
			})
			continue
		}
		tokens := append(slices.Clip(h.tokens), c.token)
		next = append(next, live{tokens: tokens, logProb: c.logProb, attention: attention, parent: c.slot})
	}
	s.live = next
}
