package vecopt

import "math"

// Adam is one step of torch.optim.Adam (amsgrad=False) on float32 elements,
// with its coefficients as PyTorch rounds them to float32 (the step-size
// terms computed in float64 first). For each element, with state m
// ("exp_avg") and v ("exp_avg_sq"):
//
//	g = fma(WeightDecay, p, g)                             if WeightDecay != 0
//	m = fma(OneMinusBeta1, g, m·Beta1)
//	v = fma(OneMinusBeta2·g, g, v·Beta2)
//	p = p + (NegStepSize·m) / (sqrt(v)/BiasCorrection2Sqrt + Eps)
//
// fma is x·y + z rounded once, as PyTorch's AVX2 kernels compute it; every
// other operation rounds on its own, in the order shown.
type Adam struct {
	WeightDecay         float32 // coupled L2 penalty; 0 for none
	Beta1, Beta2        float32
	OneMinusBeta1       float32 // float32(1 - beta1), computed in float64
	OneMinusBeta2       float32 // float32(1 - beta2), likewise
	Eps                 float32
	BiasCorrection2Sqrt float32 // sqrt(1 - beta2^t)
	NegStepSize         float32 // -lr / (1 - beta1^t)
}

// Update applies the step to the parameters p with gradients g and state
// m and v, and zeroes g. All four slices must have the same length.
//
// When WeightDecay is 0, the elements that the update would leave as they
// are (g = ±0, m = v = +0: e.g. the rows of an embedding that
// no batch has touched yet) are skipped, with the same bits as a result.
func (k *Adam) Update(p, g, m, v []float32) {
	checkLen(len(p), len(g), len(m), len(v))
	native.adam(k, p, g, m, v)
}

// skippable reports whether the step's coefficients leave an element with
// zero gradient and state exactly as it is, so that skipping it is exact:
// no Inf·0 or 0/0 NaN, and p + NegStepSize·(+0)/Eps = p + (-0) = p (a
// positive zero would turn p = -0 into +0). The coefficients of train's
// optimizers always qualify.
func (k *Adam) skippable() bool {
	return k.Eps > 0 && k.BiasCorrection2Sqrt > 0 && nonPositive(k.NegStepSize) &&
		nonNegative(k.Beta1) && nonNegative(k.Beta2) && finite(k.OneMinusBeta1) && finite(k.OneMinusBeta2) &&
		k.WeightDecay == 0
}

// SGD is one step of torch.optim.SGD on float32 elements. For each element,
// with b the state "momentum_buffer" of UpdateMomentum:
//
//	g = fma(WeightDecay, p, g)                   if WeightDecay != 0
//	b = g                                        if First
//	b = fma(OneMinusDampening, g, b·Momentum)    otherwise
//	g = fma(Momentum, b, g)  if Nesterov,  g = b  otherwise
//	p = fma(NegLR, g, p)
//
// Update is the step without momentum: only the first and last lines.
type SGD struct {
	WeightDecay       float32 // coupled L2 penalty; 0 for none
	NegLR             float32 // -lr
	Momentum          float32 // used by UpdateMomentum only
	OneMinusDampening float32 // float32(1 - dampening)
	Nesterov          bool
	First             bool // the first step: the buffer takes the gradient
}

// Update applies the step without momentum to p with gradients g, and
// zeroes g. Both slices must have the same length. When WeightDecay is 0,
// elements with g = +0 are skipped, exactly.
func (k *SGD) Update(p, g []float32) {
	checkLen(len(p), len(g), len(p), len(p))
	native.sgd(k, p, g)
}

// UpdateMomentum applies the step with momentum to p with gradients g and
// momentum buffer buf, and zeroes g. The slices must have the same length.
// When WeightDecay is 0, elements with g = +0, buf = +0 are
// skipped, exactly.
func (k *SGD) UpdateMomentum(p, g, buf []float32) {
	checkLen(len(p), len(g), len(buf), len(p))
	native.sgdMomentum(k, p, g, buf)
}

func (k *SGD) skippable() bool {
	return nonPositive(k.NegLR) && nonNegative(k.Momentum) && finite(k.OneMinusDampening) && k.WeightDecay == 0
}

// RMSprop is one step of torch.optim.RMSprop (centered=False) on float32
// elements. For each element, with state v ("square_avg") and, for
// UpdateMomentum, b ("momentum_buffer"):
//
//	g = fma(WeightDecay, p, g)                   if WeightDecay != 0
//	v = fma(OneMinusAlpha·g, g, v·Alpha)
//	a = sqrt(v) + Eps
//	p = p + (NegLR·g) / a                        (Update)
//	b = b·Momentum + g/a;  p = fma(NegLR, b, p)  (UpdateMomentum)
type RMSprop struct {
	WeightDecay   float32 // coupled L2 penalty; 0 for none
	Alpha         float32
	OneMinusAlpha float32 // float32(1 - alpha), computed in float64
	Eps           float32
	NegLR         float32 // -lr
	Momentum      float32 // used by UpdateMomentum only
}

// Update applies the step without momentum to p with gradients g and
// state v, and zeroes g. The slices must have the same length. When
// WeightDecay is 0, elements with g = +0, v = +0 are
// skipped, exactly.
func (k *RMSprop) Update(p, g, v []float32) {
	checkLen(len(p), len(g), len(v), len(p))
	native.rmsprop(k, p, g, v)
}

// UpdateMomentum applies the step with momentum to p with gradients g and
// state v and buf, and zeroes g. The slices must have the same length.
// When WeightDecay is 0, elements with g = +0, v = buf = +0
// are skipped, exactly.
func (k *RMSprop) UpdateMomentum(p, g, v, buf []float32) {
	checkLen(len(p), len(g), len(v), len(buf))
	native.rmspropMomentum(k, p, g, v, buf)
}

func (k *RMSprop) skippable() bool {
	return k.Eps > 0 && nonPositive(k.NegLR) && nonNegative(k.Alpha) && finite(k.OneMinusAlpha) &&
		nonNegative(k.Momentum) && k.WeightDecay == 0
}

// Adagrad is one step of torch.optim.Adagrad on float32 elements. For each
// element, with state s ("sum"):
//
//	g = fma(WeightDecay, p, g)                   if WeightDecay != 0
//	s = fma(g, g, s)
//	p = p + (NegLR·g) / (sqrt(s) + Eps)
type Adagrad struct {
	WeightDecay float32 // coupled L2 penalty; 0 for none
	Eps         float32
	NegLR       float32 // -lr / (1 + (t-1)·lr_decay), computed in float64
}

// Update applies the step to p with gradients g and state s, and zeroes g.
// The slices must have the same length. When WeightDecay is 0, elements
// with g = +0, s in [+0, +Inf] are skipped, exactly.
func (k *Adagrad) Update(p, g, s []float32) {
	checkLen(len(p), len(g), len(s), len(p))
	native.adagrad(k, p, g, s)
}

func (k *Adagrad) skippable() bool {
	return k.Eps > 0 && nonPositive(k.NegLR) && k.WeightDecay == 0
}

// kernels is one implementation of the element kernels; the methods above
// have checked the lengths.
type kernels struct {
	name            string
	adam            func(k *Adam, p, g, m, v []float32)
	sgd             func(k *SGD, p, g []float32)
	sgdMomentum     func(k *SGD, p, g, buf []float32)
	rmsprop         func(k *RMSprop, p, g, v []float32)
	rmspropMomentum func(k *RMSprop, p, g, v, buf []float32)
	adagrad         func(k *Adagrad, p, g, s []float32)
}

// generic is the portable pure-Go implementation, the reference for the
// others.
var generic = &kernels{
	name: "generic",
	adam: func(k *Adam, p, g, m, v []float32) { adamGeneric(k, p, g, m, v, k.skippable()) },
	sgd:  func(k *SGD, p, g []float32) { sgdGeneric(k, p, g, k.skippable()) },
	sgdMomentum: func(k *SGD, p, g, buf []float32) {
		sgdMomentumGeneric(k, p, g, buf, k.skippable())
	},
	rmsprop: func(k *RMSprop, p, g, v []float32) { rmspropGeneric(k, p, g, v, k.skippable()) },
	rmspropMomentum: func(k *RMSprop, p, g, v, buf []float32) {
		rmspropMomentumGeneric(k, p, g, v, buf, k.skippable())
	},
	adagrad: func(k *Adagrad, p, g, s []float32) { adagradGeneric(k, p, g, s, k.skippable()) },
}

// native is the fastest implementation for this machine, chosen at init.
var native = generic

// Backend reports the implementation in use: "avx2" for the AVX2+FMA
// assembly, "generic" for pure Go. Both give the same bits.
func Backend() string { return native.name }

// checkLen panics unless the four lengths are equal: the callers own the
// slices, so a mismatch is a bug.
func checkLen(a, b, c, d int) {
	if a != b || a != c || a != d {
		panic("vecopt: slices of different lengths")
	}
}

// finite reports whether x is neither infinite nor NaN.
func finite(x float32) bool { return x-x == 0 }

// nonNegative reports whether x is finite with its sign bit clear (+0
// included): then +0·x = +0.
func nonNegative(x float32) bool { return finite(x) && !math.Signbit(float64(x)) }

// nonPositive reports whether x is finite with its sign bit set (-0
// included): then +0·x = -0, and p + (-0) = p for every p, +0 included.
func nonPositive(x float32) bool { return finite(x) && math.Signbit(float64(x)) }
