package graph

import "github.com/gornn/gornn/graph/internal/vecmath"

// cellKernels sends the float32 rows of the fused LSTM and GRU layers
// through vecmath's cell kernels (AVX2 assembly where the CPU has it),
// which give the bits of the Go rows of stepForward and cellBackward, the
// float64 path; TestCellKernelsMatchGoRows turns it off to compare the
// two.
var cellKernels = true

// float32Cells returns k as a float32 kernel when its cell's rows go
// through vecmath, nil when they take the Go rows.
func (k *recurrentKernel[T]) float32Cells() *recurrentKernel[float32] {
	if !cellKernels || (k.cell != LSTM && k.cell != GRU) {
		return nil
	}
	k32, _ := any(k).(*recurrentKernel[float32])
	return k32
}

// stepCells is k.stepForward on vecmath's cell kernels, for the same
// arguments.
func stepCells(k *recurrentKernel[float32], off, m int, inBias, stepBias []float32) {
	hidden, gh := k.hidden, k.gh
	for r := range m {
		j := off + r
		a, hp := k.act[j*gh:(j+1)*gh], k.hp[r*gh:(r+1)*gh]
		h, out := k.h[r*hidden:(r+1)*hidden], k.hOut[j*hidden:(j+1)*hidden]
		if k.cell == LSTM {
			vecmath.LSTMCell32(a, inBias, hp, k.c[r*hidden:(r+1)*hidden], k.tanhC[j*hidden:(j+1)*hidden], h, out)
		} else {
			vecmath.GRUCell32(a, inBias, stepBias, hp, k.hn[j*hidden:(j+1)*hidden], h, out)
		}
	}
}

// cellBackwardCells is k.cellBackward on vecmath's cell kernels, for the
// same arguments.
func cellBackwardCells(k *recurrentKernel[float32], j, r int, dOut []float32) {
	hidden, gh := k.hidden, k.gh
	act, dGx, dh := k.act[j*gh:(j+1)*gh], k.dGx[j*gh:(j+1)*gh], k.dh[r*hidden:(r+1)*hidden]
	if k.cell == LSTM {
		vecmath.LSTMCellGrad32(dGx, act, k.cPrev[j*hidden:(j+1)*hidden], k.tanhC[j*hidden:(j+1)*hidden], dOut, dh, k.dc[r*hidden:(r+1)*hidden])
	} else {
		vecmath.GRUCellGrad32(dGx, k.dGh[j*gh:(j+1)*gh], act, k.hPrev[j*hidden:(j+1)*hidden], k.hn[j*hidden:(j+1)*hidden], dOut, dh)
	}
}
