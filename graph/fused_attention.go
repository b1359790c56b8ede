package graph

import (
	"math"

	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// attentionKernel is one step of an Attention (see its doc) as a single
// op: the query projection, the scores over each row's real source steps,
// the masked softmax, the context and the attentional output, forward and
// backward.
//
// Inputs: the query s [B, Hd], the memory [S, B, He], the layout of the
// memory's token sequence, out.weight [Hd, He+Hd], out.bias [Hd], then
// query.weight (General [He, Hd], Additive [A, Hd]) and, for Additive, the
// keys [S, B, A] and v.weight [1, A]. Output: h̃ [B, Hd]; secondary
// output: the weights [B, S]. Its backward returns the gradients of the
// query, the memory, the keys and every weight.
type attentionKernel[T float] struct {
	g     *Graph
	key   string
	score Score
	a     *Attention
	batch int
	steps int // S, the memory's capacity
	hd    int // Hd
	he    int // He
	p     int // width of the projected query: A (Additive), He (General, Dot)

	lengths []int // of the last forward
	active  int   // its padded length

	outDense     *tensor.Dense
	out          []T // [B, Hd] h̃
	weightsDense *tensor.Dense
	weights      []T // [B, S] a
	pendingA     []T // [B, S] the weights' gradient, when recorded
	hasPendingA  bool

	// savedOut and savedWeights are the backward pass's own copies of h̃
	// and a: the tensors the forward pass returns belong to Gorgonia's
	// tape, which may write into them before the backward pass runs (a
	// 2-worker seq2seq run on CMUdict found row 31 of one step's h̃ so
	// overwritten with non-finite values at epoch 9 and stopped on a NaN
	// loss).
	savedOut, savedWeights []T

	query  []T // [B, Hd] copy of s
	proj   []T // [B, P] the projected query
	memory []T // [S', B, He] copy of the memory's real steps
	u      []T // Additive: [S', B, A] tanh(proj + keys)
	joined []T // [B, He+Hd] [c; s]

	dQueryDense, dMemoryDense, dKeysDense, dOutWDense, dOutBDense, dQueryWDense, dVDense *tensor.Dense
	dQuery, dMemory, dKeys, dOutW, dOutB, dQueryW, dV                                    []T
}

// input positions
const (
	akQuery = iota
	akMemory
	akLayout
	akOutW
	akOutB
	akQueryW
	akKeys
	akV
)

func newAttentionKernel[T float](g *Graph, a *Attention, steps int) *attentionKernel[T] {
	cfg := a.Config
	b := g.cfg.Batch
	k := &attentionKernel[T]{
		g: g, key: g.kernelKey("attention"), score: cfg.Score, a: a, batch: b, steps: steps,
		hd: cfg.QueryWidth, he: cfg.MemoryWidth, p: cfg.MemoryWidth,
		pendingA: make([]T, b*steps),
	}
	if cfg.Score == Additive {
		k.p = cfg.Size
	}
	k.outDense, k.out = newBuffer[T](b, k.hd)
	k.weightsDense, k.weights = newBuffer[T](b, steps)
	ws := g.workspace
	ws.reserve(k.key+"/memory", steps*b*k.he)
	ws.reserve(k.key+"/dMemory", steps*b*k.he)
	if cfg.Score == Additive {
		ws.reserve(k.key+"/u", steps*b*k.p)
		ws.reserve(k.key+"/dKeys", steps*b*k.p)
	}
	return k
}

func (k *attentionKernel[T]) name() string              { return "fused_attention_" + k.score.String() }
func (k *attentionKernel[T]) outputShape() tensor.Shape { return tensor.Shape{k.batch, k.hd} }
func (k *attentionKernel[T]) secondaryShapes() []tensor.Shape {
	return []tensor.Shape{{k.batch, k.steps}}
}
func (k *attentionKernel[T]) secondary(int) G.Value { return k.weightsDense }

func (k *attentionKernel[T]) diffWRT() []bool {
	diff := []bool{true, true, false, true, true}
	switch k.score {
	case General:
		diff = append(diff, true)
	case Additive:
		diff = append(diff, true, true, true)
	}
	return diff
}

func (k *attentionKernel[T]) setSecondaryGrad(_ int, grad G.Value) error {
	data, err := valueData[T](grad)
	if err != nil {
		return err
	}
	copy(k.pendingA, data)
	k.hasPendingA = true
	return nil
}

func (k *attentionKernel[T]) inputGrad(i int) G.Value {
	switch i {
	case akQuery:
		return k.dQueryDense
	case akMemory:
		return k.dMemoryDense
	case akOutW:
		return k.dOutWDense
	case akOutB:
		return k.dOutBDense
	case akQueryW:
		return k.dQueryWDense
	case akKeys:
		return k.dKeysDense
	}
	return k.dVDense
}

func (k *attentionKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	k.hasPendingA = false
	lengths, active, err := layoutOf(inputs[akLayout])
	if err != nil {
		return nil, err
	}
	k.lengths, k.active = append(k.lengths[:0], lengths...), active
	data := make([][]T, len(inputs))
	for i, in := range inputs {
		if i == akLayout {
			continue
		}
		if data[i], err = valueData[T](in); err != nil {
			return nil, errors.Wrapf(err, "input %d", i)
		}
	}
	ws, b, hd, he, p, s := k.g.workspace, k.batch, k.hd, k.he, k.p, k.steps
	real := k.active * b
	k.query = append(k.query[:0], data[akQuery]...)
	k.memory = append(buffer[T](ws, k.key+"/memory", real*he)[:0], data[akMemory][:real*he]...)
	k.proj = grow(k.proj, b*p)
	if k.score == Dot {
		copy(k.proj, k.query)
	} else {
		gemm(false, true, b, p, hd, k.query, hd, data[akQueryW], hd, 0, k.proj, p)
	}
	var keys, v []T
	if k.score == Additive {
		keys, v = data[akKeys], data[akV]
		k.u = buffer[T](ws, k.key+"/u", real*p)
	}
	clear(k.weights)
	ctxWidth := he + hd
	k.joined = grow(k.joined, b*ctxWidth)
	for row, n := range k.lengths {
		e := k.weights[row*s : row*s+n]
		q := k.proj[row*p : (row+1)*p]
		for j := range e {
			at := (j*b + row)
			if k.score == Additive {
				u := k.u[at*p : (at+1)*p]
				kj := keys[at*p : (at+1)*p]
				for i := range u {
					u[i] = q[i] + kj[i]
				}
				tanhs(u)
				e[j] = dot(u, v)
			} else {
				e[j] = dot(q, k.memory[at*he:(at+1)*he])
			}
		}
		softmaxInPlace(e)
		context := k.joined[row*ctxWidth : row*ctxWidth+he]
		clear(context)
		for j, w := range e {
			at := j*b + row
			for i, x := range k.memory[at*he : (at+1)*he] {
				context[i] += w * x
			}
		}
		copy(k.joined[row*ctxWidth+he:(row+1)*ctxWidth], k.query[row*hd:(row+1)*hd])
	}
	gemm(false, true, b, hd, ctxWidth, k.joined, ctxWidth, data[akOutW], ctxWidth, 0, k.out, hd)
	addRows(k.out, data[akOutB])
	tanhs(k.out)
	if k.g.learning { // only the backward pass reads the copies
		k.savedOut = append(k.savedOut[:0], k.out...)
		k.savedWeights = append(k.savedWeights[:0], k.weights...)
	}
	return k.outDense, nil
}

func (k *attentionKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	ws, b, hd, he, p, s := k.g.workspace, k.batch, k.hd, k.he, k.p, k.steps
	ctxWidth := he + hd
	sharedTensor(ws, k.key+"/dQuery", &k.dQueryDense, &k.dQuery, b, hd)
	sharedTensor(ws, k.key+"/dMemory", &k.dMemoryDense, &k.dMemory, s, b, he)
	sharedTensorDirty(ws, k.key+"/dOutW", &k.dOutWDense, &k.dOutW, hd, ctxWidth)
	sharedTensor(ws, k.key+"/dOutB", &k.dOutBDense, &k.dOutB, hd)
	// dz = dh̃ (1 - h̃²), then the output layer's gradients.
	dz := buffer[T](ws, k.key+"/dz", b*hd)
	for i, y := range k.savedOut {
		dz[i] = dOut[i] * (1 - y*y)
	}
	gemm(true, false, hd, ctxWidth, b, dz, hd, k.joined, ctxWidth, 0, k.dOutW, ctxWidth)
	addColumnSums(k.dOutB, dz)
	dJoined := buffer[T](ws, k.key+"/dJoined", b*ctxWidth)
	gemm(false, false, b, ctxWidth, hd, dz, hd, paramData[T](k.a.Out.Weight), ctxWidth, 0, dJoined, ctxWidth)
	dProj := buffer[T](ws, k.key+"/dProj", b*p)
	clear(dProj)
	var v []T
	if k.score == Additive {
		v = paramData[T](k.a.V)
		sharedTensor(ws, k.key+"/dKeys", &k.dKeysDense, &k.dKeys, s, b, p)
		sharedTensor(ws, k.key+"/dV", &k.dVDense, &k.dV, 1, p)
	}
	de := buffer[T](ws, k.key+"/de", s)
	for row, n := range k.lengths {
		dContext := dJoined[row*ctxWidth : row*ctxWidth+he]
		copy(k.dQuery[row*hd:(row+1)*hd], dJoined[row*ctxWidth+he:(row+1)*ctxWidth])
		w := k.savedWeights[row*s : row*s+n]
		// da_j = dc·h_j (+ the weights' own gradient); dh_j = a_j dc.
		mean := T(0)
		for j, a := range w {
			at := j*b + row
			h := k.memory[at*he : (at+1)*he]
			da := dot(dContext, h)
			if k.hasPendingA {
				da += k.pendingA[row*s+j]
			}
			de[j] = da
			mean += a * da
			dh := k.dMemory[at*he : (at+1)*he]
			for i, x := range dContext {
				dh[i] += a * x
			}
		}
		// de_j = a_j (da_j - Σ_k a_k da_k), the softmax's backward.
		q := k.proj[row*p : (row+1)*p]
		dq := dProj[row*p : (row+1)*p]
		for j, a := range w {
			dej := a * (de[j] - mean)
			at := j*b + row
			if k.score == Additive {
				u := k.u[at*p : (at+1)*p]
				dk := k.dKeys[at*p : (at+1)*p]
				for i, ui := range u {
					k.dV[i] += dej * ui
					pre := dej * v[i] * (1 - ui*ui)
					dk[i] = pre
					dq[i] += pre
				}
				continue
			}
			h := k.memory[at*he : (at+1)*he]
			dh := k.dMemory[at*he : (at+1)*he]
			for i := range dq {
				dq[i] += dej * h[i]
				dh[i] += dej * q[i]
			}
		}
	}
	if k.score == Dot {
		for i, x := range dProj {
			k.dQuery[i] += x
		}
		return nil
	}
	sharedTensorDirty(ws, k.key+"/dQueryW", &k.dQueryWDense, &k.dQueryW, p, hd)
	gemm(false, false, b, hd, p, dProj, p, paramData[T](k.a.Query), hd, 1, k.dQuery, hd)
	gemm(true, false, p, hd, b, dProj, p, k.query, hd, 0, k.dQueryW, hd)
	return nil
}

// dot returns the dot product of two vectors of one length.
func dot[T float](a, b []T) T {
	sum := T(0)
	for i, x := range a {
		sum += x * b[i]
	}
	return sum
}

// softmaxInPlace replaces the scores e with softmax(e), shifted by their
// maximum and summed in float64.
func softmaxInPlace[T float](e []T) {
	if len(e) == 0 {
		return
	}
	shift := e[0]
	for _, x := range e {
		shift = max(shift, x)
	}
	sum := 0.0
	for j, x := range e {
		v := math.Exp(float64(x - shift))
		e[j] = T(v)
		sum += v
	}
	for j := range e {
		e[j] = T(float64(e[j]) / sum)
	}
}

// grow returns buf with length n, reallocated only when too small.
func grow[T float](buf []T, n int) []T {
	if cap(buf) < n {
		return make([]T, n)
	}
	return buf[:n]
}
