// Package gemm is gornn's single-threaded float32 matrix multiply: the
// kernel under the fused recurrent layers, tuned for the small and skinny
// shapes of recurrent text models (a batch of 16..64 rows times
// 32..512-wide gates) as well as for large input projections.
//
// # API
//
// Sgemm computes C = alpha*op(A)*op(B) + beta*C on row-major float32
// matrices with BLAS semantics (op(X) is X or Xᵀ; lda, ldb, ldc are row
// strides; beta == 0 overwrites C without reading it). Dgemm is the same
// for float64, for gradient checks only; it delegates to gonum. Backend
// names the implementation Sgemm runs on. Sgemm panics on invalid
// dimensions, strides or slice lengths: it is an internal kernel whose
// callers validate shapes, so a panic means a bug.
//
// Sgemm is safe for concurrent use (gornn runs one worker per core, each
// calling it) and allocates nothing in steady state: each call takes its
// packing buffers from a sync.Pool and returns them.
//
// PackB and SgemmPackedB split Sgemm in two for a B that is used many
// times, as the recurrent weights are at every time step: PackB copies
// op(B) once into a PackedB, in the micro-kernel's packed layout (its
// memory reused by the next PackB, or provided with SetMemory and
// PackedBLen), and SgemmPackedB computes alpha*op(A)*op(B) + beta*C with
// it, skipping the packing of B that Sgemm does at every call. Its result
// is bit-identical to Sgemm's with the same arguments on the same
// backend: it runs the same driver with the same depth blocking, and only
// the origin of the B panels differs. A PackedB is read-only once packed
// and may be shared by concurrent SgemmPackedB calls.
//
// # Design
//
// The driver follows the GotoBLAS/BLIS structure. Five loops surround a
// register-tile micro-kernel:
//
//	for jc in steps of nc (≤ 1024) over the columns of C
//	  for pc in steps of kc (≤ 256) over the depth k
//	    pack op(B)[pc:pc+kc, jc:jc+nc] into 16-column micro-panels
//	    for ic in steps of mc (≤ 144) over the rows of C
//	      pack op(A)[ic:ic+mc, pc:pc+kc] into 6-row micro-panels
//	      for jr in steps of 16, for ir in steps of 6:
//	        micro-kernel: C[ir:ir+6, jr:jr+16] (+)= A-panel × B-panel
//
// A packed micro-panel lists, for each k step, the 6 (A) or 16 (B)
// values the micro-kernel consumes, so the kernel streams through memory
// contiguously. The block sizes fit the cache levels of current x86 cores
// (32 KiB L1d, ≥ 512 KiB L2): a 6×256 A and a 256×16 B micro-panel (6 +
// 16 KiB) stay in L1 while a tile is computed, and the 144×256 packed A
// block (144 KiB) stays in L2 while every B micro-panel streams past it.
// Block sizes are balanced (k = 300 runs as two blocks of 150, not 256 +
// 44) and, for C, rounded to whole tiles. Beyond the first depth block,
// tiles accumulate into C with beta = 1.
//
// Packing costs O(mk + kn) memory traffic against O(mnk) arithmetic, which
// does not pay off for gornn's smallest shapes, so the micro-kernel can
// also read operands in place through (row, column) strides. A
// non-transposed A is always read in place (six contiguous row streams,
// which the hardware prefetchers follow as well as a packed panel); a
// transposed A is read in place while it is at most 512 KiB, and packed
// beyond, where its tiles scatter over a cache line per k step. A
// non-transposed B is read in place when m ≤ 24; a transposed B is always
// packed, since the kernel needs 16 contiguous values per k step. Edge
// tiles narrower than 16 columns are computed into a scratch tile and
// merged into C; edge tiles with fewer than 6 rows use kernel variants
// that compute only those rows. With A read in place, a block that ends
// with 7 or 8 rows ends with tiles of 4+3 or 4+4 rows rather than 6+1 or
// 6+2: a tile of one or two rows has too few accumulators (2 or 4) to
// cover the FMA latency and costs about as much as one of four rows
// (BenchmarkSgemmPackedB, m = 8 and 32). For the same reason products of
// one or two rows use thin tiles of 1×64 (or 1×32) and 2×32, eight
// accumulators each, about twice as fast at m = 1 and 2. The tile shapes
// change no result: every element is the same chain of FMAs over k, then
// the same scaling and merge, whichever tile computes it, so a row of C
// is the same whatever the other rows (TestSgemmRowsIndependent).
// The loop over the row tiles of a 16-column panel runs in the assembly
// kernel, one call per panel, which matters at the small depths of the
// recurrent steps (k = 32). A product with fewer than 8 columns and
// at least 16 rows (the classifier head, n = 4) is computed transposed,
// Cᵀ = op(B)ᵀ·op(A)ᵀ, so that its long side fills the 16-wide tiles; the
// tiles are then stored transposed into C.
//
// # Backends
//
// avx2 (amd64, chosen at run time when golang.org/x/sys/cpu reports AVX2
// and FMA, which includes the OS saving YMM state): the micro-kernel, in Go assembly
// (kernel_amd64.s), holds a 6×16 tile of C in twelve YMM accumulators;
// each k step loads two vectors of B, broadcasts six values of A and
// issues twelve VFMADD231PS, which keeps both FMA pipes of a Zen 3 or
// Skylake-class core busy (about 90 GFLOPS on L1-resident panels on a
// Zen 3 core, BenchmarkKernel). Variants of the k loop compute 1 to 6
// rows, and alpha == 1 skips the scaling; kernelPanel loops over the row
// tiles of a panel, kernelThin computes the thin tiles.
// Packing is also in assembly: 8×8 AVX transposes for Bᵀ and A, vector
// copies for B and Aᵀ.
//
// generic (every other GOARCH, amd64 without AVX2, or the purego build
// tag): the same driver with a pure-Go micro-kernel that computes the
// tile in 3×4 blocks of register accumulators, on always-packed
// operands: a correct, portable fallback (2-4 GFLOPS on the amd64 host
// above with -tags purego), not a fast path.
//
// openblas (build tag openblas, needs cgo and libopenblas-dev): Sgemm
// calls cblas_sgemm through the cblas subpackage, for measurements and
// for users who prefer OpenBLAS. The default build needs neither cgo nor
// OpenBLAS.
//
// # Benchmarks
//
// BenchmarkSgemm times gornn's shapes for each backend, gonum's Sgemm
// and, with -tags openblas, single-threaded OpenBLAS, reporting GFLOPS
// (per wall-clock second) and cpuGFLOPS (per second of process CPU time,
// steadier on a shared machine). gonum parallelises large products, so
// compare with -cpu 1. BenchmarkSgemmPackedB compares Sgemm with
// SgemmPackedB on the recurrent layers' per-step shapes:
//
//	go test -run '^$' -bench 'BenchmarkSgemm$' -cpu 1 -count 3 ./internal/gemm/
//	go test -run '^$' -bench BenchmarkSgemmPackedB -cpu 1 -count 3 ./internal/gemm/
//	go test -tags openblas -run '^$' -bench BenchmarkSgemm -cpu 1 -count 3 ./internal/gemm/
package gemm
