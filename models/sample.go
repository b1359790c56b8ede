package models

import (
	"math"
	"math/rand/v2"
	"slices"
	"sort"

	"github.com/pkg/errors"
)

// Sampling says how the next token is drawn from a step's logits. The
// zero value is greedy decoding.
type Sampling struct {
	// Temperature divides the logits before the softmax: below 1 sharper,
	// above 1 flatter. Default 0: greedy, the most likely token (the
	// limit as the temperature falls to 0).
	Temperature float64
	// TopK keeps only the K most likely tokens (ties by id). Default 0:
	// all.
	TopK int
	// TopP keeps only the nucleus: the smallest set of most likely tokens
	// whose probabilities (after TopK) sum to at least TopP. Default 0,
	// and 1: all.
	TopP float64
}

// Validate reports a setting out of range: a negative or non-finite
// temperature, a negative TopK, a TopP outside [0, 1].
func (s Sampling) Validate() error {
	switch {
	case !(s.Temperature >= 0) || math.IsInf(s.Temperature, 0):
		return errors.Errorf("models: temperature %v must be a number >= 0", s.Temperature)
	case s.TopK < 0:
		return errors.Errorf("models: top-k %d must not be negative", s.TopK)
	case !(s.TopP >= 0 && s.TopP <= 1):
		return errors.Errorf("models: top-p %v not in (0, 1] (0: off)", s.TopP)
	}
	return nil
}

// sampler draws tokens from logits by its settings, reusing its buffers.
type sampler struct {
	Sampling
	rng   *rand.Rand
	probs []float64 // [V]
	order []int     // candidate ids, most likely first
}

// sampleStream is the PCG stream of generation's random draws.
const sampleStream = 0x5eed_7e47

func newSampler(s Sampling, seed uint64) *sampler {
	return &sampler{Sampling: s, rng: rand.New(rand.NewPCG(seed, sampleStream))}
}

// pick returns the next token for logits [V]. exps, when not nil, are
// the logits' exponentials shifted by any constant (expShifted), which
// temperature 1 samples in proportion to, saving a pass of exponentials.
func (s *sampler) pick(logits, exps []float64) int {
	switch {
	case s.Temperature == 0:
		return argmax(logits)
	case s.Temperature == 1 && exps != nil:
		s.probs = append(s.probs[:0], exps...)
	default:
		s.probs = softmaxTemperature(s.probs, logits, s.Temperature)
	}
	s.order = candidates(s.order, s.probs, s.TopK, s.TopP)
	total := 0.0
	for _, id := range s.order {
		total += s.probs[id]
	}
	u := s.rng.Float64() * total
	for _, id := range s.order {
		if u -= s.probs[id]; u < 0 {
			return id
		}
	}
	return s.order[len(s.order)-1] // rounding left u at the total
}

// expShifted writes exp(logit - max) into dst (resized to [V]) and
// returns it with log Σ exp(logit), the log-softmax's normaliser.
func expShifted(dst, logits []float64) ([]float64, float64) {
	dst = slices.Grow(dst[:0], len(logits))[:len(logits)]
	top := logits[argmax(logits)]
	sum := 0.0
	for i, x := range logits {
		dst[i] = math.Exp(x - top)
		sum += dst[i]
	}
	return dst, top + math.Log(sum)
}

// softmaxTemperature writes softmax(logits / t) into dst (resized to
// [V]) and returns it.
func softmaxTemperature(dst, logits []float64, t float64) []float64 {
	dst = slices.Grow(dst[:0], len(logits))[:len(logits)]
	top := logits[argmax(logits)]
	sum := 0.0
	for i, x := range logits {
		dst[i] = math.Exp((x - top) / t)
		sum += dst[i]
	}
	for i := range dst {
		dst[i] /= sum
	}
	return dst
}

// candidates writes into order (resized) the ids sampling may draw from
// probs: every id, most likely first (ties by id), cut to the topK first
// (0: all) and then to the nucleus of mass topP (0 or 1: all).
func candidates(order []int, probs []float64, topK int, topP float64) []int {
	order = slices.Grow(order[:0], len(probs))[:len(probs)]
	for i := range order {
		order[i] = i
	}
	filterTop := topK > 0 && topK < len(probs)
	filterMass := topP > 0 && topP < 1
	if !filterTop && !filterMass {
		return order // every id: no need to sort
	}
	sort.SliceStable(order, func(a, b int) bool { return probs[order[a]] > probs[order[b]] })
	if filterTop {
		order = order[:topK]
	}
	if filterMass {
		order = order[:nucleusSize(order, probs, topP)]
	}
	return order
}

// nucleusSize returns how many of order (ids, most likely first) make the
// smallest prefix whose probabilities, renormalised over order, sum to at
// least p. Sums within massTolerance of p count as reaching it, so that
// rounding (0.5 + 0.3 against 0.8) does not add a token.
func nucleusSize(order []int, probs []float64, p float64) int {
	total := 0.0
	for _, id := range order {
		total += probs[id]
	}
	mass := 0.0
	for n, id := range order {
		mass += probs[id]
		if mass >= (p-massTolerance)*total {
			return n + 1
		}
	}
	return len(order)
}

// massTolerance is how far below top-p a nucleus's mass may fall from
// rounding alone.
const massTolerance = 1e-12
