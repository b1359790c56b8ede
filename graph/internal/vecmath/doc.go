// Package vecmath holds gornn's float32 activations over slices, the
// sigmoid and tanh of the fused recurrent kernels' gates, vectorised.
//
// # API
//
// Sigmoid32(x) and Tanh32(x) replace each element of x in place. Both are
// within 4 ulp of the true function (TestAccuracy measures under 1 ulp),
// pass NaNs through with their bits, allocate nothing and are safe for
// concurrent use on disjoint slices. Backend names the implementation in
// use.
//
// # Reproducibility
//
// The result depends on nothing but the input: not on the CPU, the build
// tags, GOARCH or GOAMD64, nor on the slice's length or alignment. Every
// backend performs the same IEEE float32 operations in the same order,
// each rounded once:
//
//	sigmoid(v):  a = clamp(-v, -87, 88);  e^a = 2^n (1 + m)
//	             s = 1 / (1 + 2^n·(1 + m));  0 if v < -88;  v if v is NaN
//	tanh(v):     a = min(2|v|, 20);       e^a = 2^n (1 + m)
//	             em1 = 2^n·m + (2^n - 1);  t = em1 / (em1 + 2) with v's sign
//	e^a:         n = round(a·log2e) by adding 1.5·2^23;  r = a - n·ln2Hi - n·ln2Lo
//	             m = r + r²(p0 + r(p1 + r(p2 + r(p3 + r(p4 + r·p5)))))   (Horner)
//
// The pure-Go code rounds every product explicitly (float32(x*y)): the Go
// specification lets compilers fuse x*y + z into one FMA, and arm64 and
// GOAMD64=v3 builds do, which changed the bits of the scalar code this
// package replaces. The assembly uses no FMA. TestGolden pins a hash of
// the results to that scalar code's (built without fusion), and
// TestExhaustive (-args -exhaustive, about four minutes) compares the
// backends on all 2^32 inputs.
//
// # Backends
//
// avx2 (amd64, chosen at run time when CPUID reports AVX2 and FMA and the
// OS saves YMM state): Go assembly (kernel_amd64.s) computing 8 floats per
// YMM vector with VMULPS, VADDPS, VSUBPS, VDIVPS, the clamps with
// VMINPS/VMAXPS and the special cases with compares and blends. The
// per-block dependency chain is about 30 operations long, so the loop
// interleaves three blocks instruction by instruction. A tail of fewer
// than 8 floats is computed in an 8-float stack buffer by the same kernel.
//
// generic (every other GOARCH, amd64 without AVX2, or the purego build
// tag): the same operations in pure Go, one element at a time; also the
// reference the assembly is tested against.
//
// # Benchmarks
//
// BenchmarkSigmoid32 and BenchmarkTanh32 time both backends for several
// lengths and report ns/elem; on the 2-core AMD EPYC (Zen 3) development
// VM the avx2 backend takes about 0.7-0.9 ns per element, the generic one
// 11-15:
//
//	go test -run '^$' -bench 'Sigmoid32|Tanh32' -cpu 1 ./graph/internal/vecmath/
package vecmath
