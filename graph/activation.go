package graph

import (
	"math"

	"github.com/gornn/gornn/graph/internal/vecmath"
)

// The activations of the fused kernels work on whole slices: float32 goes
// to vecmath (AVX2 assembly where the CPU has it, the same bits in pure Go
// elsewhere), float64 to the math package.

// sigmoids replaces each x by 1/(1+e^-x).
func sigmoids[T float](x []T) {
	if x32, ok := any(x).([]float32); ok {
		vecmath.Sigmoid32(x32)
		return
	}
	for i, v := range x {
		x[i] = T(1 / (1 + math.Exp(-float64(v))))
	}
}

// tanhs replaces each x by tanh(x).
func tanhs[T float](x []T) {
	if x32, ok := any(x).([]float32); ok {
		vecmath.Tanh32(x32)
		return
	}
	for i, v := range x {
		x[i] = T(math.Tanh(float64(v)))
	}
}
