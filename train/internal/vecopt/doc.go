// Package vecopt holds the float32 element kernels of gornn's optimizers:
// one step of Adam, SGD (with or without momentum, Nesterov), RMSprop
// (with or without momentum) and Adagrad over slices, vectorised, with the
// gradients zeroed in the same pass.
//
// # API
//
// A value of Adam, SGD, RMSprop or Adagrad holds one step's coefficients,
// rounded to float32 as PyTorch rounds them (package train computes them
// in float64 from the learning rate, the betas and the step count). Its
// Update methods update the parameters p in place from the gradients g and
// the state buffers (m and v, momentum buffer, square average, sum), then
// zero g:
//
//	k := vecopt.Adam{Beta1: 0.9, OneMinusBeta1: 0.1, ...}
//	k.Update(p, g, m, v) // p, m, v updated; g = 0
//
// The slices must have equal lengths (Update panics otherwise: the caller
// owns them); any length and alignment is fine. Update allocates nothing
// and may run concurrently on disjoint slices with the same coefficients,
// which is how train splits a step among workers. FMA32 and Sqrt32 are the
// kernels' scalar operations, for code that must agree with them.
//
// # Reproducibility
//
// The updates are PyTorch 1.13's (AVX2 build) operation by operation: a
// fused multiply-add, rounded once, where PyTorch's vectorised kernels use
// one, and separately rounded products, sums, quotients and square roots
// elsewhere, in the same order (the equations are in each type's doc).
// Every backend computes exactly these operations, so that the results do
// not depend on the CPU, the build tags, GOARCH or GOAMD64, or on how a
// step is split among workers: the same bits, NaN payloads aside (a NaN is
// NaN on every path, but x86's FMA propagates an operand's NaN where the
// pure-Go emulation produces the default NaN). TestGolden pins hashes of
// the results; train's fixture tests compare with PyTorch at 0 ulp on
// every path.
//
// # Sparse updates
//
// When the step has no weight decay, an element whose gradient and state
// are zero (an embedding row no batch has touched yet) would only receive
// zeros: its state stays zero and its parameter p becomes p + (-0) = p.
// The kernels skip such elements, 8 at a time in the assembly, without
// writing them (or reading p), which changes no bit (TestSkipIsExact,
// TestSkipCombinations). The signs of zeros are handled exactly: Adam skips
// gradients of -0 too, since its state becomes +0 either way, but SGD,
// RMSprop and Adagrad do not, because their update would turn a parameter
// of -0 into +0. The coefficients must make the skipped update exact
// (negative learning rate factors, positive Eps, finite momentum); train's
// always do, and other coefficients simply disable skipping.
//
// # Backends
//
// avx2 (amd64, chosen at run time when CPUID reports AVX2 and FMA and the
// OS saves YMM state): Go assembly (kernel_amd64.s) updating 8 floats per
// YMM vector with VFMADD231PS where the Go code calls FMA32 and VMULPS,
// VADDPS, VDIVPS, VSQRTPS elsewhere; each loop prefetches its streams 512
// bytes ahead. A tail of fewer than 8 elements runs in Go.
//
// generic (every other GOARCH, amd64 without AVX2, or the purego build
// tag): the same operations in pure Go, FMA32 emulating the fused
// multiply-add in float64 with a correction for double-rounding ties.
//
// # Benchmarks
//
// BenchmarkAdamStep, BenchmarkSGDStep, BenchmarkRMSpropStep and
// BenchmarkAdagradStep time both backends on 16384 elements (in cache) and
// on the 1.38M parameters of train's benchmark model, and report ns/elem.
// On the 2-core AMD EPYC (Zen 3) development VM, one Adam step with the
// zeroing takes about 0.6-0.9 ns per element in cache (bound by the
// square root and two divisions per element) and 1.0-1.4 in memory
// (32 bytes per element), 0.7 with 15 embedding rows in 16 untouched; the
// generic backend takes 15-25:
//
//	go test -run '^$' -bench Step -cpu 1 ./train/internal/vecopt/
package vecopt
