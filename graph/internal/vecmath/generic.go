package vecmath

import "math"

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
	tanhMax    = 20.0  // tanh(x) rounds to 1 for x >= 10: clamp 2|x| there

	// The polynomial: e^r - 1 = r + r²(p0 + r(p1 + r(p2 + r(p3 + r(p4 + r p5))))).
	p0 = 5.0000001201e-1
	p1 = 1.6666665459e-1
	p2 = 4.1665795894e-2
	p3 = 8.3334519073e-3
	p4 = 1.3981999507e-3
	p5 = 1.9875691500e-4

	// exponentBias turns the bits of t = x·log2e + roundMagic into the
	// biased exponent n + 127 in their low bits.
	exponentBias = 0x4b400000 - 127 // math.Float32bits(roundMagic) - 127
	signBit      = 1 << 31
)

// Every float32 product below is converted to float32 before it is added:
// the Go specification lets a compiler fuse x*y + z into one FMA unless the
// product is explicitly rounded, and arm64 and GOAMD64=v3 builds do, which
// would change the bits. With the conversions, every operation rounds once,
// in the order the assembly performs it.

// expm1Parts returns e^a as 2^n (1 + m), for expMin <= a <= expMax, with
// 2^n as the float32 bits exponent<<23. It is small enough to be inlined.
func expm1Parts(a float32) (exponent uint32, m float32) {
	t := float32(a*log2e) + roundMagic
	fn := t - roundMagic
	r := (a - float32(fn*ln2Hi)) - float32(fn*ln2Lo)
	q := float32(p5*r) + p4
	q = float32(q*r) + p3
	q = float32(q*r) + p2
	q = float32(q*r) + p1
	q = float32(q*r) + p0
	m = float32(float32(q*r)*r) + r
	return math.Float32bits(t) - exponentBias, m
}

// sigmoidGeneric is the portable Sigmoid32 and the reference for the
// assembly: σ(v) = 1/(1 + 2^n (1 + m)) with e^-v = 2^n (1 + m), -v clamped
// to [expMin, expMax]; 0 below -expMax, where σ(v) is below float32's
// normal range, and NaN passed through unchanged.
func sigmoidGeneric(x []float32) {
	for i, v := range x {
		a := -v
		if a > expMax {
			a = expMax
		} else if a < expMin {
			a = expMin
		}
		exponent, m := expm1Parts(a)
		s := 1 / (1 + float32(math.Float32frombits(exponent<<23)*(1+m)))
		if v < -expMax {
			s = 0
		}
		if v != v {
			s = v
		}
		x[i] = s
	}
}

// tanhGeneric is the portable Tanh32 and the reference for the assembly:
// tanh|v| = (e^2|v| - 1)/(e^2|v| + 1) with e^2|v| - 1 = 2^n m + (2^n - 1),
// accurate near zero too, 2|v| clamped to tanhMax; v's sign copied onto
// the result, and NaN passed through unchanged.
func tanhGeneric(x []float32) {
	for i, v := range x {
		a := math.Float32frombits(math.Float32bits(v) &^ signBit)
		a += a // 2|v|, exactly (or +Inf)
		if a > tanhMax {
			a = tanhMax
		}
		exponent, m := expm1Parts(a)
		scale := math.Float32frombits(exponent << 23)
		em1 := float32(scale*m) + (scale - 1)
		t := em1 / (em1 + 2)
		t = math.Float32frombits(math.Float32bits(t)&^signBit | math.Float32bits(v)&signBit)
		if v != v {
			t = v
		}
		x[i] = t
	}
}
