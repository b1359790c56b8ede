//go:build amd64 && !purego

package vecmath

// The cell kernels of kernel_amd64.s: one row over blocks*8 columns j,
// the gate rows stride bytes apart (4·H for a row of H).
//
//go:noescape
func lstmCell8(gates, bias, hp, c, tanhC, h, out *float32, stride, blocks int)

//go:noescape
func gruCell8(gates, biasIH, biasHH, hp, hn, h, out *float32, stride, blocks int)

//go:noescape
func lstmCellGrad8(dGates, gates, cPrev, tanhC, dOut, dh, dc *float32, stride, blocks int)

//go:noescape
func gruCellGrad8(dGx, dGh, gates, hPrev, hn, dOut, dh *float32, stride, blocks int)

// The kernels of the partial block at the end of a row, H mod 8 columns
// from the pointers on: the same step on the columns that mask selects
// (-1 for each column, then 0s), moved in and out of the buffer t.
//
//go:noescape
func lstmCellTail8(gates, bias, hp, c, tanhC, h, out *float32, stride int, mask *int32, t *cellTail)

//go:noescape
func gruCellTail8(gates, biasIH, biasHH, hp, hn, h, out *float32, stride int, mask *int32, t *cellTail)

//go:noescape
func lstmCellGradTail8(dGates, gates, cPrev, tanhC, dOut, dh, dc *float32, stride int, mask *int32, t *cellTail)

//go:noescape
func gruCellGradTail8(dGx, dGh, gates, hPrev, hn, dOut, dh *float32, stride int, mask *int32, t *cellTail)

// cellTail is the tail kernels' buffer: a row of H = 8 for the partial
// block, up to 4 gate-wide slices of up to 4 gates, then up to 5
// state-wide slices (offsets G0.. and S0.. in kernel_amd64.s).
type cellTail struct {
	gates [4][4][8]float32
	state [5][8]float32
}

// tailMasks[8-r:] is the lane mask of a partial block of r columns.
var tailMasks = [16]int32{-1, -1, -1, -1, -1, -1, -1, -1}

// lstmCellAVX2 is LSTMCell32 on the assembly kernels: the full blocks,
// then the partial one.
func lstmCellAVX2(gates, bias, hp, c, tanhC, h, out []float32) {
	n := len(c)
	full := n &^ 7
	if full > 0 {
		lstmCell8(&gates[0], &bias[0], &hp[0], &c[0], &tanhC[0], &h[0], &out[0], 4*n, full/8)
	}
	if full < n {
		var t cellTail
		lstmCellTail8(&gates[full], &bias[full], &hp[full], &c[full], &tanhC[full], &h[full], &out[full], 4*n, &tailMasks[8-(n-full)], &t)
	}
}

// gruCellAVX2 is GRUCell32 on the assembly kernels, as lstmCellAVX2.
func gruCellAVX2(gates, biasIH, biasHH, hp, hn, h, out []float32) {
	n := len(h)
	full := n &^ 7
	if full > 0 {
		gruCell8(&gates[0], &biasIH[0], &biasHH[0], &hp[0], &hn[0], &h[0], &out[0], 4*n, full/8)
	}
	if full < n {
		var t cellTail
		gruCellTail8(&gates[full], &biasIH[full], &biasHH[full], &hp[full], &hn[full], &h[full], &out[full], 4*n, &tailMasks[8-(n-full)], &t)
	}
}

// lstmCellGradAVX2 is LSTMCellGrad32 on the assembly kernels, as
// lstmCellAVX2.
func lstmCellGradAVX2(dGates, gates, cPrev, tanhC, dOut, dh, dc []float32) {
	n := len(dh)
	full := n &^ 7
	if full > 0 {
		lstmCellGrad8(&dGates[0], &gates[0], &cPrev[0], &tanhC[0], &dOut[0], &dh[0], &dc[0], 4*n, full/8)
	}
	if full < n {
		var t cellTail
		lstmCellGradTail8(&dGates[full], &gates[full], &cPrev[full], &tanhC[full], &dOut[full], &dh[full], &dc[full], 4*n, &tailMasks[8-(n-full)], &t)
	}
}

// gruCellGradAVX2 is GRUCellGrad32 on the assembly kernels, as
// lstmCellAVX2.
func gruCellGradAVX2(dGx, dGh, gates, hPrev, hn, dOut, dh []float32) {
	n := len(dh)
	full := n &^ 7
	if full > 0 {
		gruCellGrad8(&dGx[0], &dGh[0], &gates[0], &hPrev[0], &hn[0], &dOut[0], &dh[0], 4*n, full/8)
	}
	if full < n {
		var t cellTail
		gruCellGradTail8(&dGx[full], &dGh[full], &gates[full], &hPrev[full], &hn[full], &dOut[full], &dh[full], 4*n, &tailMasks[8-(n-full)], &t)
	}
}
