package graph

import (
	"runtime"

	gemmpkg "github.com/gornn/gornn/internal/gemm"
	"github.com/pkg/errors"
	G "gorgonia.org/gorgonia"
	"gorgonia.org/tensor"
)

// recurrentKernel runs one direction of one recurrent layer over a padded
// batch as a single op: the cell equations of rnn.go, lstm.go and gru.go,
// computed on the batch's real tokens only (see packing), with one matmul
// for the input projections of all tokens and one for each step's hidden
// projection (in float32, against W_hh packed once per pass, see
// packWeights). Rows past their length keep their state, get zero
// outputs, and no gradient.
//
// Inputs: x [T, B, I], the layout of x's token sequence (its rows' lengths
// and padded length), weight_ih [G*H, I], weight_hh [G*H, H], bias_ih and
// bias_hh [G*H], h0 [B, H], c0 [B, H] (LSTM only). Output: [T, B, H];
// secondary outputs: the final h, and c for LSTM, [B, H]. Its backward
// returns the gradients of x, of every weight and of the initial states.
//
// Internally rows are in packing order and tokens in packed order: token j
// = offsets[t] + i is sorted row i at step t. Buffers named per token hold
// one row per token, for as many tokens as the largest batch so far.
type recurrentKernel[T float] struct {
	g       *Graph
	key     string // names the kernel's buffers in the workspace
	cell    Cell
	w       *DirectionWeights
	reverse bool
	batch   int
	steps   int // capacity T
	in      int // I
	hidden  int // H
	gh      int // gates * H

	packing packing // of the last forward's layout

	outDense *tensor.Dense
	out      []T // [T, B, H] the output, batch order
	x        []T // per token [I]: the input
	hp       []T // [B, GH] h W_hhᵀ (+ b_hh for GRU) of the current step
	bias     []T // [GH] b_ih + b_hh
	hPrev    []T // per token [H]: the state before the token
	act      []T // per token [GH]: x W_ihᵀ + b_ih, then in place the gate activations (RNN: h')
	hOut     []T // per token [H]: the new state h'
	cPrev    []T // per token [H]: LSTM cell state before the token
	tanhC    []T // per token [H]: LSTM tanh(c')
	hn       []T // per token [H]: GRU h W_hnᵀ + b_hn
	h, c     []T // [B, H] running state, sorted rows
	finalH   *tensor.Dense
	finalC   *tensor.Dense
	pendingH []T // [B, H] gradient of the final h, batch order
	pendingC []T // [B, H] gradient of the final c, batch order

	dGx, dGh []T // per token [GH]: pre-activation gradients (input and hidden side)
	dxDense  *tensor.Dense
	dx       []T // [T, B, I] the input gradient, batch order
	dh, dc   []T // [B, H] state gradients, sorted rows
	dh0Dense *tensor.Dense
	dc0Dense *tensor.Dense
	// the weights' gradients, overwritten by every backward pass
	dWihDense, dWhhDense, dBihDense, dBhhDense *tensor.Dense
	dWih, dWhh, dBih, dBhh                     []T

	active int // steps of the last forward

	// packedW is W_hh packed for the per-step products of one pass on the
	// float32 path: W_hhᵀ during the forward pass, W_hh during the
	// backward one; see packWeights. Its memory is the workspace's buffer
	// packedKey.
	packedW   gemmpkg.PackedB
	packedKey string

	// between prepare and compute: the weights, the packed W_hhᵀ (nil:
	// float64) and the biases of the forward pass (see prepare)
	wih, whh, inBias, stepBias []T
	pw                         *gemmpkg.PackedB

	// inputNodes are the kernel's input nodes. partner is the other
	// direction of its bidirectional layer when pairDirections paired
	// them; aheadRun is the graph's run in which the partner computed
	// this kernel's forward pass (0: none), on the input and layout
	// values aheadOn.
	inputNodes []*G.Node
	partner    *recurrentKernel[T]
	aheadRun   uint64
	aheadOn    [2]G.Value
}

// packedWKey names the workspace buffer that holds the packed recurrent
// weights. The recurrent kernels of a graph share it: each uses it only
// within one forward or backward call, and the graphs of a workspace run
// one at a time; paired directions (pairDirections), which run at once,
// have buffers of their own.
const packedWKey = "recurrent/packedW"

func newRecurrentKernel[T float](g *Graph, cell Cell, w *DirectionWeights, steps, in, hidden int, reverse bool) *recurrentKernel[T] {
	return newRecurrentKernelOf[T](g, cell, w, g.cfg.Batch, steps, in, hidden, reverse)
}

// newRecurrentKernelOf is newRecurrentKernel over batches of b rows
// rather than the graph's (the words of a batch, for character features).
func newRecurrentKernelOf[T float](g *Graph, cell Cell, w *DirectionWeights, b, steps, in, hidden int, reverse bool) *recurrentKernel[T] {
	gh := cell.Gates() * hidden
	k := &recurrentKernel[T]{
		g: g, key: g.kernelKey("recurrent"), packedKey: packedWKey, cell: cell, w: w, reverse: reverse, batch: b, steps: steps, in: in, hidden: hidden, gh: gh,
		hp: make([]T, b*gh), bias: make([]T, gh),
		h: make([]T, b*hidden), c: make([]T, b*hidden),
		pendingH: make([]T, b*hidden), pendingC: make([]T, b*hidden),
		dh: make([]T, b*hidden), dc: make([]T, b*hidden),
	}
	g.workspace.reserve(k.key+"/out", steps*b*hidden)
	g.workspace.reserve(k.key+"/dx", steps*b*in)
	if _, ok := any(k.h).([]float32); ok {
		g.workspace.reserve(packedWKey, max(gemmpkg.PackedBLen(hidden, gh), gemmpkg.PackedBLen(gh, hidden)))
	}
	k.dh0Dense, _ = newBuffer[T](b, hidden)
	k.dc0Dense, _ = newBuffer[T](b, hidden)
	k.finalH, _ = newBuffer[T](b, hidden)
	k.finalC, _ = newBuffer[T](b, hidden)
	return k
}

// sizeForward points the per-token buffers of the forward pass at the
// workspace's, sized for tokens tokens. They grow to the most tokens seen,
// not to the graph's capacity, and graphs sharing a workspace share them.
func (k *recurrentKernel[T]) sizeForward(tokens int) {
	ws := k.g.workspace
	k.x = buffer[T](ws, k.key+"/x", tokens*k.in)
	// act later holds the packed input gradient, tokens*I elements.
	k.act = buffer[T](ws, k.key+"/act", tokens*max(k.gh, k.in))
	k.hOut = buffer[T](ws, k.key+"/hOut", tokens*k.hidden)
	// The states before each token serve only the backward pass.
	if k.g.learning {
		k.hPrev = buffer[T](ws, k.key+"/hPrev", tokens*k.hidden)
		if k.cell == LSTM {
			k.cPrev = buffer[T](ws, k.key+"/cPrev", tokens*k.hidden)
		}
	}
	switch k.cell {
	case LSTM:
		k.tanhC = buffer[T](ws, k.key+"/tanhC", tokens*k.hidden)
	case GRU:
		k.hn = buffer[T](ws, k.key+"/hn", tokens*k.hidden)
	}
	sharedTensor(ws, k.key+"/out", &k.outDense, &k.out, k.steps, k.batch, k.hidden)
}

// sizeBackward does the same for the backward pass's buffers; a graph that
// never runs backward never allocates them.
func (k *recurrentKernel[T]) sizeBackward(tokens int) {
	ws := k.g.workspace
	k.dGx = buffer[T](ws, k.key+"/dGx", tokens*k.gh)
	k.dGh = k.dGx
	if k.cell == GRU {
		k.dGh = buffer[T](ws, k.key+"/dGh", tokens*k.gh)
	}
	sharedTensor(ws, k.key+"/dx", &k.dxDense, &k.dx, k.steps, k.batch, k.in)
	sharedTensorDirty(ws, k.key+"/dWih", &k.dWihDense, &k.dWih, k.gh, k.in)
	sharedTensorDirty(ws, k.key+"/dWhh", &k.dWhhDense, &k.dWhh, k.gh, k.hidden)
	sharedTensor(ws, k.key+"/dBih", &k.dBihDense, &k.dBih, k.gh)
	sharedTensor(ws, k.key+"/dBhh", &k.dBhhDense, &k.dBhh, k.gh)
}

// packWeights packs the recurrent weights whh ([GH, H]) once for the
// per-step products of a pass, into the workspace's buffer: W_hhᵀ for the
// forward pass's h·W_hhᵀ (transposed), W_hh for the backward pass's
// dG·W_hh. SgemmPackedB with the result gives the same bits as Sgemm with
// whh, without packing it again at every step. It returns nil on the
// float64 path, whose products go through gemm; the caller drops the
// packed weights with k.packedW.SetMemory(nil) after the pass.
func (k *recurrentKernel[T]) packWeights(whh []T, transposed bool) *gemmpkg.PackedB {
	w, ok := any(whh).([]float32)
	if !ok {
		return nil
	}
	depth, width := k.gh, k.hidden // op(W) = W_hh: [GH, H]
	if transposed {
		depth, width = k.hidden, k.gh
	}
	k.packedW.SetMemory(buffer[float32](k.g.workspace, k.packedKey, gemmpkg.PackedBLen(depth, width)))
	return gemmpkg.PackB(transposed, depth, width, w, k.hidden, &k.packedW)
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
	rkLayout
	rkWih
	rkWhh
	rkBih
	rkBhh
	rkH0
	rkC0 // LSTM only
)

func (k *recurrentKernel[T]) diffWRT() []bool {
	diff := []bool{true, false, true, true, true, true, true}
	if k.cell == LSTM {
		diff = append(diff, true)
	}
	return diff
}

// stepAt returns the i-th step in processing order.
func (k *recurrentKernel[T]) stepAt(i int) int {
	if k.reverse {
		return k.active - 1 - i
	}
	return i
}

// rows copies the rows of src (row length width) selected by order into
// dst, or back when scatter.
func rows[T float](dst, src []T, order []int, width int, scatter bool) {
	for i, r := range order {
		if scatter {
			copy(dst[r*width:(r+1)*width], src[i*width:(i+1)*width])
		} else {
			copy(dst[i*width:(i+1)*width], src[r*width:(r+1)*width])
		}
	}
}

func (k *recurrentKernel[T]) forward(inputs []G.Value) (G.Value, error) {
	if k.aheadRun != 0 && k.aheadRun == k.g.runs && inputs[rkX] == k.aheadOn[0] && inputs[rkLayout] == k.aheadOn[1] {
		k.aheadRun = 0 // the partner computed this run's forward pass
		return k.outDense, nil
	}
	if err := k.prepare(inputs); err != nil {
		return nil, err
	}
	p := k.partner
	if p == nil || k.g.learning || int(running.Load()) >= runtime.GOMAXPROCS(0) {
		k.compute()
		return k.outDense, nil
	}
	pin := make([]G.Value, len(inputs))
	for i, n := range p.inputNodes {
		pin[i] = inputs[i]
		if n != k.inputNodes[i] {
			pin[i] = n.Value()
		}
	}
	if err := p.prepare(pin); err != nil {
		return nil, errors.Wrap(err, p.name())
	}
	var failure any
	done := tryHelp(func() {
		defer func() { failure = recover() }()
		p.compute()
	})
	k.compute()
	if done == nil { // the helper is busy: one after the other
		p.compute()
	} else {
		<-done
	}
	if failure != nil {
		return nil, errors.Errorf("%s: %v", p.name(), failure)
	}
	p.aheadRun, p.aheadOn = k.g.runs, [2]G.Value{inputs[rkX], inputs[rkLayout]}
	return k.outDense, nil
}

// pairDirections lets the forward and reverse kernels of a bidirectional
// layer over the same input run at once, on two goroutines, in graphs
// that only run forward (inference): the kernel Gorgonia's tape reaches
// first computes both passes, and the other returns the result when the
// tape reaches it. They do so only while fewer graphs run in the process
// than GOMAXPROCS: when every core already runs a graph (parallel
// workers, a loaded server), each direction runs when the tape reaches
// it, as unpaired kernels do. Each direction's arithmetic is unchanged,
// and so are its bits. It pairs them only when every input of one that
// is not an input of the other is a value set before the run (a
// parameter, the zero initial state), so that both passes can start
// together.
func pairDirections(a, b kernelNodes) {
	ka, okA := a.base.k.(*recurrentKernel[float32])
	kb, okB := b.base.k.(*recurrentKernel[float32])
	if !okA || !okB || ka.g.cfg.Training {
		return
	}
	for i, n := range ka.inputNodes {
		if n != kb.inputNodes[i] && (!n.IsVar() || !kb.inputNodes[i].IsVar()) {
			return
		}
	}
	ka.partner, kb.partner = kb, ka
	for _, k := range []*recurrentKernel[float32]{ka, kb} {
		// Allocated now, at its full size, so that compute, which packs
		// the weights on both goroutines at once, only reads the
		// workspace's map of buffers.
		k.packedKey = k.key + "/packedW"
		size := max(gemmpkg.PackedBLen(k.hidden, k.gh), gemmpkg.PackedBLen(k.gh, k.hidden))
		k.g.workspace.reserve(k.packedKey, size)
		buffer[float32](k.g.workspace, k.packedKey, size)
	}
}

// prepare reads the inputs of a forward pass and sets up its buffers: the
// layout, the input in packed order, the summed biases and the initial
// states. compute then does the arithmetic (packing W_hhᵀ included),
// touching only the kernel's own buffers.
func (k *recurrentKernel[T]) prepare(inputs []G.Value) error {
	lengths, steps, err := layoutOf(inputs[rkLayout])
	if err != nil {
		return err
	}
	vals := make([][]T, len(inputs))
	for i := range vals {
		if i == rkLayout {
			continue
		}
		if vals[i], err = valueData[T](inputs[i]); err != nil {
			return errors.Wrapf(err, "input %d", i)
		}
	}
	x, bih, bhh := vals[rkX], vals[rkBih], vals[rkBhh]
	p := &k.packing
	p.set(lengths, steps)
	b, hidden := k.batch, k.hidden
	k.active = steps
	k.sizeForward(p.tokens())
	for t := 0; t < steps; t++ {
		off, m := p.offsets[t], p.sizes[t]
		rows(k.x[off*k.in:(off+m)*k.in], x[t*b*k.in:(t+1)*b*k.in], p.order[:m], k.in, false)
	}
	// The biases join the pre-activations inside each step's pass over
	// them (stepForward), not in passes of their own: both at once,
	// b_ih + b_hh, except for GRU, whose n gate needs b_hn inside
	// r * (h W_hnᵀ + b_hn).
	k.inBias, k.stepBias = bih, bhh
	if k.cell != GRU {
		copy(k.bias, bih)
		for j, v := range bhh {
			k.bias[j] += v
		}
		k.inBias, k.stepBias = k.bias, nil
	}
	rows(k.h, vals[rkH0], p.order, hidden, false)
	if k.cell == LSTM {
		rows(k.c, vals[rkC0], p.order, hidden, false)
	}
	clear(k.pendingH)
	clear(k.pendingC)
	k.wih, k.whh = vals[rkWih], vals[rkWhh]
	return nil
}

// compute runs the forward pass prepare set up.
func (k *recurrentKernel[T]) compute() {
	p := &k.packing
	b, hidden, gh, steps := k.batch, k.hidden, k.gh, k.active
	gemm(false, true, p.tokens(), gh, k.in, k.x, k.in, k.wih, k.in, 0, k.act, gh)
	// float32: h W_hhᵀ with W_hhᵀ packed once for all steps.
	k.pw = k.packWeights(k.whh, true)
	h32, _ := any(k.h).([]float32)
	hp32, _ := any(k.hp).([]float32)
	for s := 0; s < steps; s++ {
		t := k.stepAt(s)
		off, m := p.offsets[t], p.sizes[t]
		if k.g.learning {
			copy(k.hPrev[off*hidden:(off+m)*hidden], k.h[:m*hidden])
			if k.cell == LSTM {
				copy(k.cPrev[off*hidden:(off+m)*hidden], k.c[:m*hidden])
			}
		}
		if k.pw != nil {
			gemmpkg.SgemmPackedB(false, m, 1, h32, hidden, k.pw, 0, hp32, gh)
		} else {
			gemm(false, true, m, gh, hidden, k.h, hidden, k.whh, hidden, 0, k.hp, gh)
		}
		k.stepForward(off, m, k.inBias, k.stepBias)
	}
	k.packedW.SetMemory(nil)
	k.pw, k.wih, k.whh, k.inBias, k.stepBias = nil, nil, nil, nil, nil
	for t := 0; t < steps; t++ {
		off, m := p.offsets[t], p.sizes[t]
		rows(k.out[t*b*hidden:(t+1)*b*hidden], k.hOut[off*hidden:(off+m)*hidden], p.order[:m], hidden, true)
	}
	rows(k.finalH.Data().([]T), k.h, p.order, hidden, true)
	if k.cell == LSTM {
		rows(k.finalC.Data().([]T), k.c, p.order, hidden, true)
	}
	if !k.g.learning {
		k.release()
	}
}

// release drops the kernel's references to the workspace's per-token
// buffers once a run no longer needs them.
func (k *recurrentKernel[T]) release() {
	k.x, k.act, k.hPrev, k.hOut, k.cPrev, k.tanhC, k.hn, k.dGx, k.dGh = nil, nil, nil, nil, nil, nil, nil, nil, nil
}

// stepForward computes the m tokens from off, one step of the first m
// sorted rows, from their input projections x W_ihᵀ (in k.act) and h
// W_hhᵀ (in k.hp), adding the biases on the way: inBias to the input
// projection, then stepBias (GRU's b_hh; nil for the others, whose b_hh
// is in inBias) to the hidden one, in the rounding order of adding each
// bias to its product first. It writes the gate activations in place
// (k.act), the new state to k.h (and k.c) and k.hOut, row by row in one
// pass. The float32 LSTM and GRU rows go to vecmath (fused_cell.go); the
// Go rows here, the float64 path, give the same bits: every product that
// meets a sum is rounded (T(x*y)), which keeps compilers from fusing the
// two (arm64 and GOAMD64=v3 builds would), as in cellBackward.
func (k *recurrentKernel[T]) stepForward(off, m int, inBias, stepBias []T) {
	if k32 := k.float32Cells(); k32 != nil {
		stepCells(k32, off, m, any(inBias).([]float32), any(stepBias).([]float32))
		return
	}
	hidden, gh := k.hidden, k.gh
	for r := 0; r < m; r++ {
		a := k.act[(off+r)*gh : (off+r+1)*gh]
		hp := k.hp[r*gh : (r+1)*gh]
		h := k.h[r*hidden : (r+1)*hidden]
		out := k.hOut[(off+r)*hidden : (off+r+1)*hidden]
		switch k.cell {
		case RNNTanh, RNNReLU:
			addBiased(a, inBias, hp)
			if k.cell == RNNTanh {
				tanhs(a)
			} else {
				for j, v := range a {
					a[j] = max(v, 0)
				}
			}
			copy(out, a)
		case LSTM:
			addBiased(a, inBias, hp)
			sigmoids(a[:2*hidden])
			tanhs(a[2*hidden : 3*hidden])
			sigmoids(a[3*hidden:])
			c := k.c[r*hidden : (r+1)*hidden]
			tc := k.tanhC[(off+r)*hidden : (off+r+1)*hidden]
			ig, f, g, o := a[:hidden], a[hidden:2*hidden], a[2*hidden:3*hidden], a[3*hidden:]
			ig, f, g, tc, o, out = ig[:len(c)], f[:len(c)], g[:len(c)], tc[:len(c)], o[:len(c)], out[:len(c)]
			for j, cj := range c {
				cj = T(f[j]*cj) + T(ig[j]*g[j])
				c[j], tc[j] = cj, cj
			}
			tanhs(tc)
			for j, t := range tc {
				out[j] = o[j] * t
			}
		case GRU:
			// r and z: (x W_iᵀ + b_i) + (h W_hᵀ + b_h).
			rz, hpRZ, bRZ, sRZ := a[:2*hidden], hp[:2*hidden], inBias[:2*hidden], stepBias[:2*hidden]
			hpRZ, bRZ, sRZ = hpRZ[:len(rz)], bRZ[:len(rz)], sRZ[:len(rz)]
			for j, v := range rz {
				rz[j] = (v + bRZ[j]) + (hpRZ[j] + sRZ[j])
			}
			sigmoids(rz)
			// n = tanh(x W_inᵀ + b_in + r * (h W_hnᵀ + b_hn))
			n := a[2*hidden:]
			hn := k.hn[(off+r)*hidden : (off+r+1)*hidden]
			rg, z := rz[:hidden], rz[hidden:]
			hn, rg, z, h, out = hn[:len(n)], rg[:len(n)], z[:len(n)], h[:len(n)], out[:len(n)]
			hpN, bN, sN := hp[2*hidden:], inBias[2*hidden:], stepBias[2*hidden:]
			hpN, bN, sN = hpN[:len(n)], bN[:len(n)], sN[:len(n)]
			for j, v := range n {
				hn[j] = hpN[j] + sN[j]
				n[j] = (v + bN[j]) + T(hn[j]*rg[j])
			}
			tanhs(n)
			for j, nj := range n {
				out[j] = T((h[j]-nj)*z[j]) + nj
			}
		}
		copy(h, out)
	}
}

// addBiased sets a[j] = (a[j] + bias[j]) + b[j].
func addBiased[T float](a, bias, b []T) {
	bias, b = bias[:len(a)], b[:len(a)]
	for j, v := range a {
		a[j] = (v + bias[j]) + b[j]
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
	p := &k.packing
	steps, b, hidden, gh := k.active, k.batch, k.hidden, k.gh
	n := p.tokens()
	k.sizeBackward(n)
	wih, whh := paramData[T](k.w.WeightIH), paramData[T](k.w.WeightHH)
	rows(k.dh, k.pendingH, p.order, hidden, false)
	if k.cell == LSTM {
		rows(k.dc, k.pendingC, p.order, hidden, false)
	}
	// float32: dGh_t W_hh with W_hh packed once for all steps.
	pw := k.packWeights(whh, false)
	dGh32, _ := any(k.dGh).([]float32)
	dh32, _ := any(k.dh).([]float32)
	for s := steps - 1; s >= 0; s-- {
		t := k.stepAt(s)
		off, m := p.offsets[t], p.sizes[t]
		for r := 0; r < m; r++ {
			row := p.order[r]
			k.cellBackward(off+r, r, dOut[(t*b+row)*hidden:(t*b+row+1)*hidden])
		}
		// dh += dGh_t W_hh for the rows that ran this step.
		if pw != nil {
			gemmpkg.SgemmPackedB(false, m, 1, dGh32[off*gh:], gh, pw, 1, dh32, hidden)
		} else {
			gemm(false, false, m, hidden, gh, k.dGh[off*gh:], gh, whh, hidden, 1, k.dh, hidden)
		}
	}
	k.packedW.SetMemory(nil)
	gemm(true, false, gh, k.in, n, k.dGx, gh, k.x, k.in, 0, k.dWih, k.in)
	gemm(true, false, gh, hidden, n, k.dGh, gh, k.hPrev, hidden, 0, k.dWhh, hidden)
	addColumnSums(k.dBih, k.dGx[:n*gh])
	addColumnSums(k.dBhh, k.dGh[:n*gh])
	// The activations are spent: their memory takes the packed input
	// gradient.
	dxPacked := k.act[:n*k.in]
	gemm(false, false, n, k.in, gh, k.dGx, gh, wih, k.in, 0, dxPacked, k.in)
	for t := 0; t < steps; t++ {
		off, m := p.offsets[t], p.sizes[t]
		rows(k.dx[t*b*k.in:(t+1)*b*k.in], dxPacked[off*k.in:(off+m)*k.in], p.order[:m], k.in, true)
	}
	rows(k.dh0Dense.Data().([]T), k.dh, p.order, hidden, true)
	if k.cell == LSTM {
		rows(k.dc0Dense.Data().([]T), k.dc, p.order, hidden, true)
	}
	k.release()
	return nil
}

// cellBackward computes the pre-activation gradients of token j, sorted
// row r at its step, from the gradient of its output dOut, updating the
// running state gradients of row r: k.dh becomes the part of dh_prev that
// does not pass through W_hh, k.dc becomes dc_prev.
func (k *recurrentKernel[T]) cellBackward(j, r int, dOut []T) {
	if k32 := k.float32Cells(); k32 != nil {
		cellBackwardCells(k32, j, r, any(dOut).([]float32))
		return
	}
	hidden, gh := k.hidden, k.gh
	act := k.act[j*gh : (j+1)*gh]
	dGx := k.dGx[j*gh : (j+1)*gh]
	dh := k.dh[r*hidden : (r+1)*hidden]
	switch k.cell {
	case RNNTanh:
		for i := range dh {
			g := dh[i] + dOut[i]
			dGx[i] = g * (1 - act[i]*act[i])
			dh[i] = 0
		}
	case RNNReLU:
		for i := range dh {
			g := dh[i] + dOut[i]
			dGx[i] = 0
			if act[i] > 0 {
				dGx[i] = g
			}
			dh[i] = 0
		}
	case LSTM:
		dc := k.dc[r*hidden : (r+1)*hidden]
		cPrev := k.cPrev[j*hidden : (j+1)*hidden]
		tc := k.tanhC[j*hidden : (j+1)*hidden]
		for i := range dh {
			ig, f, g, o := act[i], act[hidden+i], act[2*hidden+i], act[3*hidden+i]
			dhi := dh[i] + dOut[i]
			dci := dc[i] + T(dhi*o*(1-T(tc[i]*tc[i])))
			dGx[i] = dci * g * ig * (1 - ig)
			dGx[hidden+i] = dci * cPrev[i] * f * (1 - f)
			dGx[2*hidden+i] = dci * ig * (1 - T(g*g))
			dGx[3*hidden+i] = dhi * tc[i] * o * (1 - o)
			dc[i] = dci * f
			dh[i] = 0
		}
	case GRU:
		dGh := k.dGh[j*gh : (j+1)*gh]
		hPrev := k.hPrev[j*hidden : (j+1)*hidden]
		hn := k.hn[j*hidden : (j+1)*hidden]
		for i := range dh {
			rg, z, n := act[i], act[hidden+i], act[2*hidden+i]
			dhi := dh[i] + dOut[i]
			dn := dhi * (1 - z) * (1 - T(n*n))
			dr := dn * hn[i] * rg * (1 - rg)
			dz := dhi * (hPrev[i] - n) * z * (1 - z)
			dGx[i], dGx[hidden+i], dGx[2*hidden+i] = dr, dz, dn
			dGh[i], dGh[hidden+i], dGh[2*hidden+i] = dr, dz, dn*rg
			dh[i] = dhi * z
		}
	}
}

func (k *recurrentKernel[T]) inputGrad(i int) G.Value {
	switch i {
	case rkX:
		return k.dxDense
	case rkWih:
		return k.dWihDense
	case rkWhh:
		return k.dWhhDense
	case rkBih:
		return k.dBihDense
	case rkBhh:
		return k.dBhhDense
	case rkH0:
		return k.dh0Dense
	case rkC0:
		return k.dc0Dense
	}
	return nil
}
