package vecmath

// kernels is one implementation of the package's functions.
type kernels struct {
	name    string
	sigmoid func([]float32)
	tanh    func([]float32)
}

// generic is the portable pure-Go implementation, the reference for the
// others.
var generic = &kernels{name: "generic", sigmoid: sigmoidGeneric, tanh: tanhGeneric}

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

// Backend reports the implementation in use: "avx2" for the AVX2
// assembly, "generic" for pure Go. Both give the same bits.
func Backend() string { return native.name }
