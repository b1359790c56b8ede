package vecmath

// kernels is one implementation of the package's functions.
type kernels struct {
	name    string
	sigmoid func([]float32)
	tanh    func([]float32)
	exp     func([]float32)
	expSum  func([]float32, float32) float32

	// the cell kernels, given slices of the documented lengths
	lstmCell, gruCell, lstmCellGrad, gruCellGrad func(a, b, c, d, e, f, g []float32)
}

// generic is the portable pure-Go implementation, the reference for the
// others.
var generic = &kernels{
	name: "generic", sigmoid: sigmoidGeneric, tanh: tanhGeneric, exp: expGeneric, expSum: expSumGeneric,
	lstmCell: lstmCellGeneric, gruCell: gruCellGeneric, lstmCellGrad: lstmCellGradGeneric, gruCellGrad: gruCellGradGeneric,
}

// native is the fastest implementation for this machine, chosen at init.
var native = generic

// Sigmoid32 replaces each x[i] by the logistic sigmoid 1/(1 + e^-x[i]),
// within 4 ulp (absolute 1e-7 for tiny values): exactly 0 for
// x[i] < -88, 1 for large x[i], NaN for NaN (passed through unchanged).
// The result does not depend on the CPU, the build tags or the position
// of x in memory.
func Sigmoid32(x []float32) { native.sigmoid(x) }

// Tanh32 replaces each x[i] by tanh(x[i]), within 4 ulp: odd (the sign of
// ±0 is kept), ±1 for |x[i]| >= 10, NaN for NaN (passed through
// unchanged). The result does not depend on the CPU, the build tags or
// the position of x in memory.
func Tanh32(x []float32) { native.tanh(x) }

// Exp32 replaces each x[i] by e^x[i], within 1 ulp where the result is a
// normal float32 (x[i] >= -87.33655): +Inf for x[i] >= 88.37627 (the
// float32 0x42b0c0a6, a little below the true overflow at 88.72284), 0 for
// x[i] <= -87.68313 (0xc2af5dc3; subnormals between), NaN for NaN (passed
// through unchanged). The result does not depend on the CPU, the build
// tags or the position of x in memory.
func Exp32(x []float32) { native.exp(x) }

// ExpSum32 replaces each x[i] by e^(x[i] - shift), the float32 difference
// rounded once and then exponentiated as Exp32 does, and returns the sum
// of the new x[i]: the numerators and the denominator of a softmax, given
// the row's maximum as shift (a finite one: then every x[i] is in [0, 1],
// the maximum's is 1 and the sum is at least 1). An x[i] whose difference is NaN (x[i]
// or shift NaN, or both the same infinity) becomes the quiet NaN
// 0x7fc00000, and so does the sum then.
//
// The sum's rounding is fixed, the same on every backend: with x[i]
// already replaced and n = len(x) rounded down to a multiple of 8,
//
//	lane[j] = (((0 + x[j]) + x[j+8]) + x[j+16]) + … + x[j+n-8]   for j = 0..7
//	sum     = ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]))
//	sum     = (((sum + x[n]) + x[n+1]) + …) + x[len(x)-1]
//
// every + a float32 addition. Its relative error is below
// (len(x)/8 + 10)·2^-24 plus the terms' own 1 ulp (2^-23).
func ExpSum32(x []float32, shift float32) float32 { return native.expSum(x, shift) }

// Backend reports the implementation in use: "avx2" for the AVX2
// assembly, "generic" for pure Go. Both give the same bits.
func Backend() string { return native.name }
