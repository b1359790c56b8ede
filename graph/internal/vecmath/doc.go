// Package vecmath holds gornn's float32 elementwise functions over slices,
// vectorised: the sigmoid and tanh of the fused recurrent kernels' gates,
// the whole pointwise step of an LSTM or GRU row, forward and backward,
// and the exponential and exponential-sum of a softmax / cross-entropy
// over a large vocabulary.
//
// # API
//
// Sigmoid32(x), Tanh32(x) and Exp32(x) replace each element of x in
// place. Sigmoid32 and Tanh32 are within 4 ulp of the true function
// (TestAccuracy measures under 1 ulp); Exp32 is within 1 ulp wherever e^x
// is a normal float32 (TestExpAccuracyExhaustive measures at most 0.992
// over every such input), +Inf from x >= 88.37627 on, 0 from x <= -87.68313
// down. ExpSum32(x, shift) replaces each x[i] by e^(x[i] - shift) and
// returns their sum in a fixed order, the inner loop of a softmax with
// the row's maximum as shift:
//
//	m := slices.Max(row)
//	sum := vecmath.ExpSum32(row, m)   // row[i] = e^(row[i] - m)
//	// softmax: row[i] / sum;  log-sum-exp: m + log(sum)
//
// LSTMCell32 and GRUCell32 compute the pointwise part of one row of an
// LSTM or GRU step, after its two matrix products: the bias sums, the
// gates' activations (written in place), the new state and output;
// LSTMCellGrad32 and GRUCellGrad32 the pre-activation gradients of the
// backward step. Each is one pass over the row's columns, 8 at a time.
//
// All pass NaNs through (ExpSum32 as the quiet NaN 0x7fc00000), allocate
// nothing and are safe for concurrent use on disjoint slices. Backend
// names the implementation in use.
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
//	exp(v):      a = clamp(v, -88, 89);   e^a = 2^n (1 + m)
//	             e = 2^n·(1 + m);  v if v is NaN
//	             (n = 128 at the top, where 2^n's bits are +Inf's, and -127
//	             at the bottom, where they are +0's: no test of its own)
//	expsum(v):   d = v - shift;  exp(d);  0x7fc00000 if d is NaN
//	             sum: 8 lane sums over the blocks of 8 in order, the lanes
//	             pairwise ((0+4)+(2+6))+((1+5)+(3+7)), then the tail of
//	             fewer than 8 in order (ExpSum32's doc comment)
//	e^a:         n = round(a·log2e) by adding 1.5·2^23;  r = a - n·ln2Hi - n·ln2Lo
//	             m = r + r²(p0 + r(p1 + r(p2 + r(p3 + r(p4 + r·p5)))))   (Horner)
//
//	cells:       the equations in each cell function's doc comment, one
//	             float32 operation at a time, Sigmoid32 and Tanh32 as above
//	             (a NaN that meets another NaN keeps either's payload)
//
// The pure-Go code rounds every product explicitly (float32(x*y)): the Go
// specification lets compilers fuse x*y + z into one FMA, and arm64 and
// GOAMD64=v3 builds do, which changed the bits of the scalar code this
// package replaces. The assembly uses no FMA. TestGolden pins a hash of
// the results to that scalar code's (built without fusion), TestGoldenExp
// those of Exp32 and ExpSum32 as first written, TestCellGolden those of
// the cell kernels, which give the bits of graph's scalar rows
// (graph's TestCellKernelsMatchGoRows). With -args -exhaustive,
// TestExhaustive compares the backends on all 2^32 inputs of the three
// elementwise functions (7.5 minutes on the shared 2-core VM) and
// TestExpAccuracyExhaustive measures Exp32 against math.Exp on every
// input with a normal result (2 minutes).
//
// # Backends
//
// avx2 (amd64, chosen at run time when CPUID reports AVX2 and FMA and the
// OS saves YMM state): Go assembly (kernel_amd64.s) computing 8 floats per
// YMM vector with VMULPS, VADDPS, VSUBPS, VDIVPS, the clamps with
// VMINPS/VMAXPS and the special cases with compares and blends. The
// per-block dependency chain is about 30 operations long, so the loop
// interleaves three blocks instruction by instruction; ExpSum32 adds the
// three to its one vector of lane sums in order. A tail of fewer than 8
// floats is computed in an 8-float stack buffer by the same kernel. The
// cell kernels run the activations' steps on each gate's blocks in place,
// three blocks of 8 columns at a time, between the steps of the cell; the
// last H mod 8 columns of a row go through a buffer of 8-column rows,
// moved in and out with masked loads and stores (VMASKMOVPS), which touch
// nothing past the row.
//
// generic (every other GOARCH, amd64 without AVX2, or the purego build
// tag): the same operations in pure Go, one element at a time; also the
// reference the assembly is tested against.
//
// # Benchmarks
//
// BenchmarkSigmoid32, BenchmarkTanh32, BenchmarkExp32 and
// BenchmarkExpSum32 time both backends for several lengths and report
// ns/elem; on the 2-core AMD EPYC (Zen 3) development VM the avx2 backend
// takes about 0.7-0.9 ns per element for the activations, the generic one
// 11-15, and for a row of 20000, copy included, about 0.6 (Exp32) and 0.75
// (ExpSum32) against 8-12 generic, at load average 4.6; the VM is shared
// and these double at load 8:
//
//	go test -run '^$' -bench 'Sigmoid32|Tanh32|Exp' -cpu 1 ./graph/internal/vecmath/
//
// BenchmarkCell times the cell kernels, one row of H = 128 or 100.
package vecmath
