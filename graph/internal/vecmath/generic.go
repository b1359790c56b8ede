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

	// Exp32 clamps its argument to [expUnderflow, expOverflow], where
	// round(a·log2e) is -127 and 128: 2^n's bits are then those of +0 and
	// +Inf, so that the result underflows to 0 and overflows to +Inf without
	// a test of its own. Beyond them n would leave the exponent field.
	expOverflow  = 89.0
	expUnderflow = -88.0

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

	// quietNaN is the bits of the NaN ExpSum32 writes, float32(math.NaN()):
	// quiet, positive, no payload.
	quietNaN = 0x7fc00000
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

// exp is e^v = 2^n (1 + m) for v clamped to [expUnderflow, expOverflow]:
// +Inf from n = 128 (v >= 88.37626), 0 from n = -127 (v <= -87.68312),
// a subnormal between that and -87.33655, and v itself if v is NaN. It is
// Exp32's element and the reference for the assembly.
func exp(v float32) float32 {
	a := v
	if a > expOverflow {
		a = expOverflow
	} else if a < expUnderflow {
		a = expUnderflow
	}
	exponent, m := expm1Parts(a)
	e := float32(math.Float32frombits(exponent<<23) * (1 + m))
	if v != v {
		e = v
	}
	return e
}

// expGeneric is the portable Exp32.
func expGeneric(x []float32) {
	for i, v := range x {
		x[i] = exp(v)
	}
}

// expSumGeneric is the portable ExpSum32: the elements, then the lane
// sums over the full blocks of 8 and sumLanes for the rest.
func expSumGeneric(x []float32, shift float32) float32 {
	for i, v := range x {
		d := v - shift
		e := exp(d)
		if d != d {
			e = math.Float32frombits(quietNaN)
		}
		x[i] = e
	}
	var lanes [8]float32
	n := len(x) &^ 7
	for i, e := range x[:n] {
		lanes[i&7] += e
	}
	return sumLanes(&lanes, x[n:])
}

// sumLanes returns ExpSum32's sum from the 8 lane sums and the tail of
// fewer than 8 terms, in the documented order: the lanes pairwise, then
// the tail one term at a time; a NaN sum as quietNaN.
func sumLanes(lanes *[8]float32, tail []float32) float32 {
	s := ((lanes[0] + lanes[4]) + (lanes[2] + lanes[6])) + ((lanes[1] + lanes[5]) + (lanes[3] + lanes[7]))
	for _, e := range tail {
		s += e
	}
	if s != s {
		s = math.Float32frombits(quietNaN)
	}
	return s
}
