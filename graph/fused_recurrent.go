package graph

import (
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recurrentKernel runs one direction of one recurrent layer over a padded
// batch as a single op: the cell equations of rnn.go, lstm.go and gru.go,
// with one matmul for the input projections of all steps and one for each
// step's hidden projection. Rows past their length keep their state, get
// zero outputs, and no gradient.
//
// Inputs: x [T, B, I], weight_ih [G*H, I], weight_hh [G*H, H], bias_ih and
// bias_hh [G*H], h0 [B, H], c0 [B, H] (LSTM only), and the graph's gradient
// anchor. Output: [T, B, H]; secondary outputs: the final h, and c for
// LSTM, [B, H]. The weights' gradients go to the graph's direct buffers.
type recurrentKernel[T float] struct {
	g       *Graph
	cell    Cell
	w       *DirectionWeights
	reverse bool
	batch   int
	steps   int // capacity T
	in      int // I
	hidden  int // H
	gh      int // gates * H

	dWih, dWhh, dBih, dBhh *gradBuffer

	outDense *tensor.Dense
	out      []T // [T, B, H]
	x        []T // [T, B, I] copy of the input
	xp       []T // [T, B, GH] x W_ihᵀ + b_ih
	hp       []T // [B, GH] h W_hhᵀ + b_hh of the current step
	hPrev    []T // [T, B, H] state before each step
	act      []T // [T, B, GH] gate activations (RNN: h')
	cPrev    []T // [T, B, H] LSTM cell state before each step
	tanhC    []T // [T, B, H] LSTM tanh(c')
	hn       []T // [T, B, H] GRU h W_hnᵀ + b_hn
	h, c     []T // [B, H] running state
	finalH   *tensor.Dense
	finalC   *tensor.Dense
	pendingH []T // [B, H] gradient of the final h
	pendingC []T // [B, H] gradient of the final c

	dGx, dGh   []T // [T, B, GH] pre-activation gradients (input and hidden side)
	dxDense    *tensor.Dense
	dx         []T // [T, B, I]
	dh0Dense   *tensor.Dense
	dh         []T // [B, H] state gradient
	dc0Dense   *tensor.Dense
	dc         []T // [B, H] LSTM cell state gradient
	anchorGrad G.Value

	active    int // steps of the last forward
	wroteOut  int // steps written in out by the previous forward
	wroteGrad int // steps written in dx by the previous backward
}

func newRecurrentKernel[T float](g *Graph, cell Cell, w *DirectionWeights, in, hidden int, reverse bool) *recurrentKernel[T] {
	b, steps := g.cfg.Batch, g.cfg.Steps
	gh := cell.Gates() * hidden
	k := &recurrentKernel[T]{
		g: g, cell: cell, w: w, reverse: reverse, batch: b, steps: steps, in: in, hidden: hidden, gh: gh,
		dWih: g.directGrad(w.WeightIH, false), dWhh: g.directGrad(w.WeightHH, false),
		dBih: g.directGrad(w.BiasIH, false), dBhh: g.directGrad(w.BiasHH, false),
		x: make([]T, steps*b*in), xp: make([]T, steps*b*gh), hp: make([]T, b*gh),
		hPrev: make([]T, steps*b*hidden), act: make([]T, steps*b*gh),
		h: make([]T, b*hidden), c: make([]T, b*hidden),
		pendingH: make([]T, b*hidden), pendingC: make([]T, b*hidden),
		dGx:        make([]T, steps*b*gh),
		anchorGrad: scalarValue(g.Dtype(), 0),
	}
	k.outDense, k.out = newBuffer[T](steps, b, hidden)
	k.dxDense, k.dx = newBuffer[T](steps, b, in)
	k.dh0Dense, k.dh = newBuffer[T](b, hidden)
	k.dc0Dense, k.dc = newBuffer[T](b, hidden)
	k.finalH, _ = newBuffer[T](b, hidden)
	k.finalC, _ = newBuffer[T](b, hidden)
	k.dGh = k.dGx
	switch cell {
	case LSTM:
		k.cPrev = make([]T, steps*b*hidden)
		k.tanhC = make([]T, steps*b*hidden)
	case GRU:
		k.hn = make([]T, steps*b*hidden)
		k.dGh = make([]T, steps*b*gh)
	}
	return k
}

func (k *recurrentKernel[T]) name() string {
	dir := "forward"
	if k.reverse {
		dir = "reverse"
	}
	return "fused_" + k.cell.String() + "_" + dir
}

func (k *recurrentKernel[T]) outputShape() tensor.Shape {
	return tensor.Shape{k.steps, k.batch, k.hidden}
}

func (k *recurrentKernel[T]) secondaryShapes() []tensor.Shape {
	s := tensor.Shape{k.batch, k.hidden}
	if k.cell == LSTM {
		return []tensor.Shape{s, s}
	}
	return []tensor.Shape{s}
}

// input positions
const (
	rkX = iota
	rkWih
	rkWhh
	rkBih
	rkBhh
	rkH0
	rkC0 // LSTM only; the anchor follows h0 otherwise
)

func (k *recurrentKernel[T]) diffWRT() []bool {
	if k.cell == LSTM {
		return []bool{true, false, false, false, false, true, true, true}
	}
	return []bool{true, false, false, false, false, true, true}
}

// order returns the steps in processing order.
func (k *recurrentKernel[T]) stepAt(i int) int {
	if k.reverse {
		return k.active - 1 - i
	}
	return i
}

func (k *recurrentKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	vals := make([][]T, len(inputs)-1)
	for i := range vals {
		var err error
		if vals[i], err = valueData[T](inputs[i]); err != nil {
			return nil, errors.Wrapf(err, "input %d", i)
		}
	}
	x, wih, whh, bih, bhh, h0 := vals[rkX], vals[rkWih], vals[rkWhh], vals[rkBih], vals[rkBhh], vals[rkH0]
	steps, b, hidden, gh := k.g.active, k.batch, k.hidden, k.gh
	k.active = steps
	rows := steps * b
	copy(k.x[:rows*k.in], x[:rows*k.in])
	gemm(false, true, rows, gh, k.in, k.x, k.in, wih, k.in, 0, k.xp, gh)
	addRows(k.xp[:rows*gh], bih)
	copy(k.h, h0)
	if k.cell == LSTM {
		copy(k.c, vals[rkC0])
	}
	zero(k.pendingH)
	zero(k.pendingC)
	for i := 0; i < steps; i++ {
		t := k.stepAt(i)
		base := t * b
		copy(k.hPrev[base*hidden:(base+b)*hidden], k.h)
		if k.cell == LSTM {
			copy(k.cPrev[base*hidden:(base+b)*hidden], k.c)
		}
		gemm(false, true, b, gh, hidden, k.h, hidden, whh, hidden, 0, k.hp, gh)
		addRows(k.hp, bhh)
		k.stepForward(t)
	}
	zero(k.out[steps*b*hidden : max(k.wroteOut, steps)*b*hidden])
	k.wroteOut = steps
	copy(k.finalH.Data().([]T), k.h)
	if k.cell == LSTM {
		copy(k.finalC.Data().([]T), k.c)
	}
	return k.outDense, nil
}

// stepForward computes step t for every batch row from k.xp and k.hp:
// the gate activations of all rows at once, then the new state of the rows
// still within their length (the others keep theirs and output zeros).
func (k *recurrentKernel[T]) stepForward(t int) {
	b, hidden, gh := k.batch, k.hidden, k.gh
	base := t * b
	act := k.act[base*gh : (base+b)*gh]
	xp := k.xp[base*gh : (base+b)*gh]
	for i := range act {
		act[i] = xp[i] + k.hp[i]
	}
	for r := 0; r < b; r++ {
		a := act[r*gh : (r+1)*gh]
		switch k.cell {
		case RNNTanh:
			tanhs(a)
		case RNNReLU:
			for j, v := range a {
				a[j] = max(v, 0)
			}
		case LSTM:
			sigmoids(a[:2*hidden])
			tanhs(a[2*hidden : 3*hidden])
			sigmoids(a[3*hidden:])
		case GRU:
			sigmoids(a[:2*hidden])
			// n = tanh(x W_inᵀ + b_in + r * (h W_hnᵀ + b_hn)): act held
			// xp + hp for the n gate; redo it with r.
			hn := k.hn[(base+r)*hidden : (base+r+1)*hidden]
			copy(hn, k.hp[r*gh+2*hidden:(r+1)*gh])
			n := a[2*hidden:]
			xn := xp[r*gh+2*hidden : (r+1)*gh]
			for j := range n {
				n[j] = xn[j] + hn[j]*a[j]
			}
			tanhs(n)
		}
	}
	lengths := k.g.lengths
	for r := 0; r < b; r++ {
		row := base + r
		out := k.out[row*hidden : (row+1)*hidden]
		if t >= lengths[r] {
			zero(out)
			continue
		}
		a := act[r*gh : (r+1)*gh]
		h := k.h[r*hidden : (r+1)*hidden]
		switch k.cell {
		case RNNTanh, RNNReLU:
			copy(out, a)
		case LSTM:
			c := k.c[r*hidden : (r+1)*hidden]
			tc := k.tanhC[row*hidden : (row+1)*hidden]
			for j := range c {
				c[j] = a[hidden+j]*c[j] + a[j]*a[2*hidden+j]
			}
			copy(tc, c)
			tanhs(tc)
			for j := range out {
				out[j] = a[3*hidden+j] * tc[j]
			}
		case GRU:
			for j := range out {
				n := a[2*hidden+j]
				out[j] = (h[j]-n)*a[hidden+j] + n
			}
		}
		copy(h, out)
	}
}

func (k *recurrentKernel[T]) secondary(i int) G.Value {
	if i == 1 {
		return k.finalC
	}
	return k.finalH
}

func (k *recurrentKernel[T]) setSecondaryGrad(i int, grad G.Value) error {
	data, err := valueData[T](grad)
	if err != nil {
		return err
	}
	if i == 1 {
		copy(k.pendingC, data)
	} else {
		copy(k.pendingH, data)
	}
	return nil
}

func (k *recurrentKernel[T]) backward(outGrad G.Value) error {
	dOut, err := valueData[T](outGrad)
	if err != nil {
		return errors.Wrap(err, "output gradient")
	}
	steps, b, hidden, gh := k.active, k.batch, k.hidden, k.gh
	wih, whh := paramData[T](k.w.WeightIH), paramData[T](k.w.WeightHH)
	copy(k.dh, k.pendingH)
	copy(k.dc, k.pendingC)
	lengths := k.g.lengths
	for i := steps - 1; i >= 0; i-- {
		t := k.stepAt(i)
		base := t * b
		for r := 0; r < b; r++ {
			row := base + r
			if t >= lengths[r] {
				zero(k.dGx[row*gh : (row+1)*gh])
				if k.cell == GRU {
					zero(k.dGh[row*gh : (row+1)*gh])
				}
				continue
			}
			k.cellBackward(row, r, dOut[row*hidden:(row+1)*hidden])
		}
		// dh += dGh_t W_hh for the rows that ran this step (others add 0).
		gemm(false, false, b, hidden, gh, k.dGh[base*gh:], gh, whh, hidden, 1, k.dh, hidden)
	}
	rows := steps * b
	gemm(true, false, gh, k.in, rows, k.dGx, gh, k.x, k.in, 1, bufferData[T](k.dWih), k.in)
	gemm(true, false, gh, hidden, rows, k.dGh, gh, k.hPrev, hidden, 1, bufferData[T](k.dWhh), hidden)
	addColumnSums(bufferData[T](k.dBih), k.dGx[:rows*gh])
	addColumnSums(bufferData[T](k.dBhh), k.dGh[:rows*gh])
	gemm(false, false, rows, k.in, gh, k.dGx, gh, wih, k.in, 0, k.dx, k.in)
	zero(k.dx[rows*k.in : max(k.wroteGrad, steps)*b*k.in])
	k.wroteGrad = steps
	return nil
}

// cellBackward computes the pre-activation gradients of step row (t*B + r)
// from the gradient of its output dOut, updating the running state
// gradients: k.dh becomes the part of dh_prev that does not pass through
// W_hh, k.dc becomes dc_prev.
func (k *recurrentKernel[T]) cellBackward(row, r int, dOut []T) {
	hidden, gh := k.hidden, k.gh
	act := k.act[row*gh : (row+1)*gh]
	dGx := k.dGx[row*gh : (row+1)*gh]
	dh := k.dh[r*hidden : (r+1)*hidden]
	switch k.cell {
	case RNNTanh:
		for j := range dh {
			g := dh[j] + dOut[j]
			dGx[j] = g * (1 - act[j]*act[j])
			dh[j] = 0
		}
	case RNNReLU:
		for j := range dh {
			g := dh[j] + dOut[j]
			dGx[j] = 0
			if act[j] > 0 {
				dGx[j] = g
			}
			dh[j] = 0
		}
	case LSTM:
		dc := k.dc[r*hidden : (r+1)*hidden]
		cPrev := k.cPrev[row*hidden : (row+1)*hidden]
		tc := k.tanhC[row*hidden : (row+1)*hidden]
		for j := range dh {
			i, f, g, o := act[j], act[hidden+j], act[2*hidden+j], act[3*hidden+j]
			dhj := dh[j] + dOut[j]
			dcj := dc[j] + dhj*o*(1-tc[j]*tc[j])
			dGx[j] = dcj * g * i * (1 - i)
			dGx[hidden+j] = dcj * cPrev[j] * f * (1 - f)
			dGx[2*hidden+j] = dcj * i * (1 - g*g)
			dGx[3*hidden+j] = dhj * tc[j] * o * (1 - o)
			dc[j] = dcj * f
			dh[j] = 0
		}
	case GRU:
		dGh := k.dGh[row*gh : (row+1)*gh]
		hPrev := k.hPrev[row*hidden : (row+1)*hidden]
		hn := k.hn[row*hidden : (row+1)*hidden]
		for j := range dh {
			rg, z, n := act[j], act[hidden+j], act[2*hidden+j]
			dhj := dh[j] + dOut[j]
			dn := dhj * (1 - z) * (1 - n*n)
			dr := dn * hn[j] * rg * (1 - rg)
			dz := dhj * (hPrev[j] - n) * z * (1 - z)
			dGx[j], dGx[hidden+j], dGx[2*hidden+j] = dr, dz, dn
			dGh[j], dGh[hidden+j], dGh[2*hidden+j] = dr, dz, dn*rg
			dh[j] = dhj * z
		}
	}
}

func (k *recurrentKernel[T]) inputGrad(i int) G.Value {
	switch {
	case i == rkX:
		return k.dxDense
	case i == rkH0:
		return k.dh0Dense
	case i == rkC0 && k.cell == LSTM:
		return k.dc0Dense
	}
	return k.anchorGrad
}
