package graph

import (
	"math"
)

// The activations of the fused kernels work on whole slices, so that the
// float32 exponential is inlined into one loop: called per element through
// a function it costs twenty times more.

// sigmoids replaces each x by 1/(1+e^-x).
func sigmoids[T float](x []T) {
	if x32, ok := any(x).([]float32); ok {
		sigmoids32(x32)
		return
	}
	for i, v := range x {
		x[i] = T(1 / (1 + math.Exp(-float64(v))))
	}
}

// tanhs replaces each x by tanh(x).
func tanhs[T float](x []T) {
	if x32, ok := any(x).([]float32); ok {
		tanhs32(x32)
		return
	}
	for i, v := range x {
		x[i] = T(math.Tanh(float64(v)))
	}
}

// Constants of the float32 exponential: e^x = 2^n e^r, x = n ln2 + r with
// |r| <= ln2/2, e^r - 1 from a degree-6 minimax polynomial (Cephes' expf
// coefficients), within about 1 ulp. n is rounded without a branch by
// adding roundMagic (1.5·2^23): the sum's low mantissa bits are round(x/ln2)
// in two's complement; data-dependent branches here cost more than the
// arithmetic.
const (
	log2e      = 1.44269504088896341
	ln2Hi      = 0.693359375
	ln2Lo      = -2.12194440e-4
	roundMagic = 12582912.0
	expMax     = 88.0  // e^88 and its reciprocal are normal float32s
	expMin     = -87.0 // likewise
)

// expm1Parts returns e^a as 2^n (1 + m), for expMin <= a <= expMax, with
// 2^n as the float32 bits exponent<<23; small enough to be inlined.
func expm1Parts(a float32) (exponent uint32, m float32) {
	t := a*log2e + roundMagic
	fn := t - roundMagic
	r := a - fn*ln2Hi - fn*ln2Lo
	m = (((((1.9875691500e-4*r+1.3981999507e-3)*r+8.3334519073e-3)*r+4.1665795894e-2)*r+1.6666665459e-1)*r+5.0000001201e-1)*r*r + r
	return math.Float32bits(t) - (math.Float32bits(roundMagic) - 127), m
}

func sigmoids32(x []float32) {
	for i, v := range x {
		a := -v
		if a > expMax {
			a = expMax
		} else if a < expMin {
			a = expMin
		}
		exponent, m := expm1Parts(a)
		x[i] = 1 / (1 + math.Float32frombits(exponent<<23)*(1+m))
		if v < -expMax {
			x[i] = 0 // e^-v overflows: the sigmoid is below float32's range
		}
		if v != v {
			x[i] = v
		}
	}
}

// tanhs32 computes tanh|x| = (e^2|x| - 1)/(e^2|x| + 1) with e^2|x| - 1 =
// 2^n m + (2^n - 1), accurate near zero too, and copies x's sign.
func tanhs32(x []float32) {
	for i, v := range x {
		a := 2 * float32(math.Abs(float64(v)))
		if a > 20 { // tanh rounds to 1
			a = 20
		}
		exponent, m := expm1Parts(a)
		scale := math.Float32frombits(exponent << 23)
		em1 := scale*m + (scale - 1)
		t := em1 / (em1 + 2)
		x[i] = float32(math.Copysign(float64(t), float64(v)))
		if v != v {
			x[i] = v
		}
	}
}
