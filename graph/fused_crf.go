package graph

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// crfKernel is a CRF's negative log-likelihood as one op (see
// CRF.NegLogLikelihood). Inputs: emissions [T, B, K], the layout of their
// token sequence, the gold tags [T*B] time-major (-1 past each row's
// length), transitions [K, K], start and end transitions [K]. Output: the
// loss, a scalar.
//
// Its forward pass runs, for each row of length n, the forward algorithm
// in log space,
//
//	α_0[j] = start[j] + e_0[j]
//	α_t[j] = logsumexp_i(α_{t-1}[i] + trans[i, j]) + e_t[j]
//	log Z  = logsumexp_j(α_{n-1}[j] + end[j])
//
// and, in a training graph, the backward algorithm
//
//	β_{n-1}[i] = end[i]
//	β_t[i]     = logsumexp_j(trans[i, j] + e_{t+1}[j] + β_{t+1}[j])
//
// for the marginals p_t(j) = exp(α_t[j] + β_t[j] - log Z) and
// p_t(i, j) = exp(α_{t-1}[i] + trans[i, j] + e_t[j] + β_t[j] - log Z), from
// which the gradients of the mean loss follow: each marginal minus the
// gold path's indicator, over the number of tags. Its backward pass only
// scales them by the loss's own gradient. The recursions run in float64
// whatever the graph's dtype.
type crfKernel[T float] struct {
	g      *Graph
	key    string
	tags   int
	steps  int // capacity T
	loss   G.Value
	alpha  []float64 // [T, B, K] of the last forward
	beta   []float64 // [T, B, K]
	scaled bool

	dEDense, dTransDense, dStartDense, dEndDense *tensor.Dense
	dE, dTrans, dStart, dEnd                     []T
}

func newCRFKernel[T float](g *Graph, tags, steps int) *crfKernel[T] {
	k := &crfKernel[T]{g: g, key: g.kernelKey("crf"), tags: tags, steps: steps, loss: scalarValue(g.Dtype(), 0)}
	g.workspace.reserve(k.key+"/d", steps*g.cfg.Batch*tags)
	k.dTransDense, k.dTrans = newBuffer[T](tags, tags)
	k.dStartDense, k.dStart = newBuffer[T](tags)
	k.dEndDense, k.dEnd = newBuffer[T](tags)
	return k
}

// The inputs of a crfKernel.
const (
	crfEmissions = iota
	crfLayout
	crfTags
	crfTransitions
	crfStart
	crfEnd
)

func (k *crfKernel[T]) name() string                        { return "fused_crf" }
func (k *crfKernel[T]) outputShape() tensor.Shape           { return tensor.ScalarShape() }
func (k *crfKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *crfKernel[T]) diffWRT() []bool                     { return []bool{true, false, false, true, true, true} }
func (k *crfKernel[T]) secondary(int) G.Value               { return nil }
func (k *crfKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *crfKernel[T]) inputGrad(i int) G.Value {
	switch i {
	case crfEmissions:
		return k.dEDense
	case crfTransitions:
		return k.dTransDense
	case crfStart:
		return k.dStartDense
	}
	return k.dEndDense
}

func (k *crfKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	e, err := valueData[T](inputs[crfEmissions])
	if err != nil {
		return nil, errors.Wrap(err, "emissions")
	}
	lengths, steps, err := layoutOf(inputs[crfLayout])
	if err != nil {
		return nil, err
	}
	ys, err := intsOf(inputs[crfTags])
	if err != nil {
		return nil, errors.Wrap(err, "tags")
	}
	var params [3][]T
	for i, in := range []int{crfTransitions, crfStart, crfEnd} {
		if params[i], err = valueData[T](inputs[in]); err != nil {
			return nil, errors.Wrapf(err, "input %d", in)
		}
	}
	trans, start, end := params[0], params[1], params[2]
	batch, kk := k.g.cfg.Batch, k.tags
	count := 0
	for b, n := range lengths {
		for t := 0; t < n; t++ {
			if y := ys[t*batch+b]; y < 0 || y >= kk {
				return nil, errors.Errorf("row %d step %d: tag %d, want 0..%d (a CRF needs every token's tag)", b, t, y, kk-1)
			}
		}
		count += n
	}
	size := steps * batch * kk
	k.alpha = growFloats(k.alpha, size)
	learning := k.g.learning
	if learning {
		k.beta = growFloats(k.beta, size)
		sharedTensorPrefix(k.g.workspace, k.key+"/d", size, &k.dEDense, &k.dE, k.steps, batch, kk)
		clear(k.dE[:size])
		clear(k.dTrans)
		clear(k.dStart)
		clear(k.dEnd)
		k.scaled = false
	}
	inv := 1 / float64(max(count, 1))
	at := func(t, b, j int) int { return (t*batch+b)*kk + j }
	scratch := make([]float64, kk)
	total := 0.0
	for b, n := range lengths {
		// The forward algorithm.
		for j := range kk {
			k.alpha[at(0, b, j)] = float64(start[j]) + float64(e[at(0, b, j)])
		}
		for t := 1; t < n; t++ {
			prev := k.alpha[at(t-1, b, 0):at(t-1, b, kk)]
			for j := range kk {
				for i := range kk {
					scratch[i] = prev[i] + float64(trans[i*kk+j])
				}
				k.alpha[at(t, b, j)] = logSumExpOf(scratch) + float64(e[at(t, b, j)])
			}
		}
		last := k.alpha[at(n-1, b, 0):at(n-1, b, kk)]
		for j := range kk {
			scratch[j] = last[j] + float64(end[j])
		}
		logZ := logSumExpOf(scratch)
		// The gold path's score.
		gold, prev := 0.0, -1
		for t := 0; t < n; t++ {
			y := ys[t*batch+b]
			gold += float64(e[at(t, b, y)])
			if prev < 0 {
				gold += float64(start[y])
			} else {
				gold += float64(trans[prev*kk+y])
			}
			prev = y
		}
		gold += float64(end[prev])
		total += logZ - gold
		if learning {
			k.rowGradients(e, trans, end, ys, b, n, logZ, inv, scratch)
		}
	}
	setScalar(k.loss, total*inv)
	return k.loss, nil
}

// rowGradients runs the backward algorithm over row b of length n and adds
// the row's gradients of the mean loss (marginals minus gold indicators,
// times inv) to dE, dTrans, dStart and dEnd.
func (k *crfKernel[T]) rowGradients(e, trans, end []T, ys []int, b, n int, logZ, inv float64, scratch []float64) {
	batch, kk := k.g.cfg.Batch, k.tags
	at := func(t, j int) int { return (t*batch+b)*kk + j }
	for i := range kk {
		k.beta[at(n-1, i)] = float64(end[i])
	}
	for t := n - 2; t >= 0; t-- {
		for i := range kk {
			for j := range kk {
				scratch[j] = float64(trans[i*kk+j]) + float64(e[at(t+1, j)]) + k.beta[at(t+1, j)]
			}
			k.beta[at(t, i)] = logSumExpOf(scratch)
		}
	}
	for t := 0; t < n; t++ {
		y := ys[t*batch+b]
		for j := range kk {
			p := math.Exp(k.alpha[at(t, j)] + k.beta[at(t, j)] - logZ)
			if j == y {
				p--
			}
			k.dE[at(t, j)] = T(p * inv)
			if t == 0 {
				k.dStart[j] += T(p * inv)
			}
			if t == n-1 {
				k.dEnd[j] += T(p * inv)
			}
		}
		if t == 0 {
			continue
		}
		for i := range kk {
			a := k.alpha[at(t-1, i)] - logZ
			for j := range kk {
				p := math.Exp(a + float64(trans[i*kk+j]) + float64(e[at(t, j)]) + k.beta[at(t, j)])
				k.dTrans[i*kk+j] += T(p * inv)
			}
		}
		k.dTrans[ys[(t-1)*batch+b]*kk+y] -= T(inv)
	}
}

func (k *crfKernel[T]) backward(outGrad G.Value) error {
	scale, err := scalarFrom(outGrad)
	if err != nil {
		return errors.Wrap(err, "loss gradient")
	}
	if scale != 1 && !k.scaled {
		s := T(scale)
		for _, d := range [][]T{k.dE, k.dTrans, k.dStart, k.dEnd} {
			for i := range d {
				d[i] *= s
			}
		}
		k.scaled = true
	}
	return nil
}

// logSumExpOf returns log Σ exp(x), shifted by the maximum; -Inf for an
// x of -Inf only.
func logSumExpOf(x []float64) float64 {
	m := math.Inf(-1)
	for _, v := range x {
		m = max(m, v)
	}
	if math.IsInf(m, -1) {
		return m
	}
	sum := 0.0
	for _, v := range x {
		sum += math.Exp(v - m)
	}
	return m + math.Log(sum)
}

// growFloats returns buf with at least n elements, reallocated only when
// too small.
func growFloats(buf []float64, n int) []float64 {
	if cap(buf) < n {
		return make([]float64, n)
	}
	return buf[:n]
}

// maxKernel is the maximum of x [B, K] or [B, K, K] along one axis, an op
// without gradient: the shift of a composed logsumexp, whose value does
// not change the logsumexp's gradient.
type maxKernel[T float] struct {
	shape    tensor.Shape
	axis     int
	outDense *tensor.Dense
	out      []T
}

func newMaxKernel[T float](shape tensor.Shape, axis int) *maxKernel[T] {
	k := &maxKernel[T]{shape: shape.Clone(), axis: axis}
	outShape := append(shape[:axis:axis].Clone(), shape[axis+1:]...)
	k.outDense, k.out = newBuffer[T](outShape...)
	return k
}

func (k *maxKernel[T]) name() string                        { return "max_no_grad" }
func (k *maxKernel[T]) outputShape() tensor.Shape           { return k.outDense.Shape().Clone() }
func (k *maxKernel[T]) secondaryShapes() []tensor.Shape     { return nil }
func (k *maxKernel[T]) diffWRT() []bool                     { return []bool{false} }
func (k *maxKernel[T]) secondary(int) G.Value               { return nil }
func (k *maxKernel[T]) setSecondaryGrad(int, G.Value) error { return nil }
func (k *maxKernel[T]) inputGrad(int) G.Value               { return nil }
func (k *maxKernel[T]) backward(G.Value) error              { return nil }

func (k *maxKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	x, err := valueData[T](inputs[0])
	if err != nil {
		return nil, err
	}
	outer := 1
	for _, d := range k.shape[:k.axis] {
		outer *= d
	}
	n := k.shape[k.axis]
	inner := k.shape.TotalSize() / (outer * n)
	for o := range outer {
		for i := range inner {
			m := x[o*n*inner+i]
			for a := 1; a < n; a++ {
				m = max(m, x[(o*n+a)*inner+i])
			}
			k.out[o*inner+i] = m
		}
	}
	return k.outDense, nil
}
