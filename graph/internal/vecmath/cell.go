package vecmath

// The fused cell kernels: one row of one step of an LSTM or GRU layer,
// the pointwise part that follows the step's matrix products. Row
// vectors of H floats; the gate rows [G*H] hold the gates one after the
// other, PyTorch's order (LSTM i, f, g, o; GRU r, z, n). Every operation
// is one float32 IEEE operation, rounded once, in the order written in
// each function's doc comment (no fused multiply-add), with Sigmoid32 and
// Tanh32 as the activations: the same bits on every backend, and those of
// gornn's scalar Go rows (graph's fused recurrent kernel, built without
// FMA contraction), NaNs apart: a NaN that meets another NaN keeps the
// payload of either. The slices must not overlap; each function panics if
// a slice is shorter than its shape, and reads or writes no element past
// it.

// LSTMCell32 computes one LSTM row of a step, H = len(c): from the gates'
// input projections gates = x W_ihᵀ [4H], the summed biases bias = b_ih +
// b_hh [4H] and the hidden projections hp = h W_hhᵀ [4H], for each
// element j,
//
//	gates[j] = act((gates[j] + bias[j]) + hp[j])   act: σ for i, f, o; tanh for g
//	c[j]     = f[j]·c[j] + i[j]·g[j]                (both products rounded, then the sum)
//	tanhC[j] = tanh(c[j])
//	h[j]     = out[j] = o[j]·tanhC[j]
//
// gates ends holding the gate activations i, f, g, o, c the new cell
// state [H], tanhC its tanh [H], h and out both the new hidden state [H].
func LSTMCell32(gates, bias, hp, c, tanhC, h, out []float32) {
	n := len(c)
	native.lstmCell(fit(gates, 4*n), fit(bias, 4*n), fit(hp, 4*n), c, fit(tanhC, n), fit(h, n), fit(out, n))
}

// GRUCell32 computes one GRU row of a step, H = len(h): from the gates'
// input projections gates = x W_ihᵀ [3H], the biases biasIH = b_ih and
// biasHH = b_hh [3H] and the hidden projections hp = h W_hhᵀ [3H], for
// each element j,
//
//	r[j], z[j] = σ((gates[j] + biasIH[j]) + (hp[j] + biasHH[j]))   the first 2H
//	hn[j]      = hp_n[j] + biasHH_n[j]                             the last H
//	n[j]       = tanh((gates_n[j] + biasIH_n[j]) + hn[j]·r[j])
//	h[j]       = out[j] = (h[j] - n[j])·z[j] + n[j]
//
// gates ends holding the activations r, z, n, hn h W_hnᵀ + b_hn [H] (the
// backward pass needs it), h (the previous state on entry) and out both
// the new hidden state [H].
func GRUCell32(gates, biasIH, biasHH, hp, hn, h, out []float32) {
	n := len(h)
	native.gruCell(fit(gates, 3*n), fit(biasIH, 3*n), fit(biasHH, 3*n), fit(hp, 3*n), fit(hn, n), h, fit(out, n))
}

// LSTMCellGrad32 computes the pre-activation gradients of one LSTM row of
// a step, H = len(dh), from the step's gate activations gates [4H] (i, f,
// g, o, as LSTMCell32 leaves them), the cell state before the step cPrev
// [H], tanhC [H] of LSTMCell32, the gradient of the step's output dOut
// [H], and the running state gradients dh and dc [H] (the gradients of
// the new h, less dOut, and of the new c). For each element j,
//
//	dhj     = dh[j] + dOut[j]
//	dcj     = dc[j] + (dhj·o)·(1 - tanhC²)
//	dGates  = ((dcj·g)·i)·(1 - i),  ((dcj·cPrev)·f)·(1 - f),
//	          (dcj·i)·(1 - g·g),    ((dhj·tanhC)·o)·(1 - o)      for i, f, g, o [4H]
//	dc[j]   = dcj·f
//	dh[j]   = 0
//
// each product rounded before the next operation: dc becomes the
// gradient of the previous cell state, dh the part of the previous
// hidden state's that does not pass through W_hh, none.
func LSTMCellGrad32(dGates, gates, cPrev, tanhC, dOut, dh, dc []float32) {
	n := len(dh)
	native.lstmCellGrad(fit(dGates, 4*n), fit(gates, 4*n), fit(cPrev, n), fit(tanhC, n), fit(dOut, n), dh, fit(dc, n))
}

// GRUCellGrad32 computes the pre-activation gradients of one GRU row of a
// step, H = len(dh): from the step's gate activations gates [3H] (r, z,
// n, as GRUCell32 leaves them), the hidden state before the step hPrev
// [H], hn [H] of GRUCell32, the gradient of the step's output dOut [H]
// and the running gradient of the new hidden state dh [H] (less dOut), for
// each element j,
//
//	dhj    = dh[j] + dOut[j]
//	dn     = (dhj·(1 - z))·(1 - n·n)
//	dr     = ((dn·hn)·r)·(1 - r)
//	dz     = ((dhj·(hPrev - n))·z)·(1 - z)
//	dGx    = dr, dz, dn           the gradient of x W_ihᵀ + b_ih [3H]
//	dGh    = dr, dz, dn·r         the gradient of h W_hhᵀ + b_hh [3H]
//	dh[j]  = dhj·z
//
// each product rounded before the next operation: dh becomes the part of
// the previous hidden state's gradient that does not pass through W_hh.
func GRUCellGrad32(dGx, dGh, gates, hPrev, hn, dOut, dh []float32) {
	n := len(dh)
	native.gruCellGrad(fit(dGx, 3*n), fit(dGh, 3*n), fit(gates, 3*n), fit(hPrev, n), fit(hn, n), fit(dOut, n), dh)
}

// fit returns x[:size], panicking if x is shorter: a kernel must not
// reach past a slice's length into its capacity.
func fit(x []float32, size int) []float32 {
	if len(x) < size {
		panic("vecmath: cell kernel: slice shorter than its shape")
	}
	return x[:size]
}
