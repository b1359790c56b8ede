//go:build openblas && cgo

package gemm

import "github.com/gornn/gornn/internal/gemm/cblas"

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(X) is X, or Xᵀ when the matching trans flag is set.
// op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the row
// strides of A, B and C as stored (so A is stored k×m when transA is set).
//
// This build (tag openblas) calls OpenBLAS's cblas_sgemm. When beta == 0,
// C is overwritten without being read. Sgemm panics on a negative
// dimension, a row stride smaller than its row length (or than 1), or a
// slice too short for its matrix.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	sgemmOpenBLAS(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Backend reports which implementation Sgemm uses: "openblas" in this
// build.
func Backend() string { return "openblas" }

// haveOpenBLAS reports whether sgemmOpenBLAS is available.
const haveOpenBLAS = true

// sgemmOpenBLAS calls cblas_sgemm on validated arguments.
func sgemmOpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	if m == 0 || n == 0 {
		return
	}
	if k == 0 || alpha == 0 {
		// Avoid handing OpenBLAS possibly empty A and B slices.
		scaleC(m, n, beta, c, ldc)
		return
	}
	cblas.Sgemm(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// setOpenBLASThreads sets the number of OpenBLAS threads (benchmarks use 1
// for single-threaded comparisons).
func setOpenBLASThreads(n int) { cblas.SetThreads(n) }

// PackB prepares the k×n matrix op(B) (B itself, or Bᵀ when transB is
// set; ldb is the row stride of B as stored) for SgemmPackedB. This build
// copies B as stored, without padding, for cblas_sgemm (OpenBLAS packs
// its operands itself). It copies into into and returns it, reusing its
// memory when large enough; with a nil into it returns a new PackedB.
//
// PackB panics on a negative dimension, a row stride smaller than the row
// length (or than 1), or a slice too short for B.
func PackB(transB bool, k, n int, b []float32, ldb int, into *PackedB) *PackedB {
	checkPackB(transB, k, n, b, ldb)
	pb := packInto(k, n, into)
	br, bc := storedDims(transB, k, n)
	pb.transB, pb.ldb = transB, max(1, bc)
	pb.data = aligned(&pb.raw, br*bc)
	for i := 0; i < br && bc > 0; i++ {
		copy(pb.data[i*bc:(i+1)*bc], b[i*ldb:])
	}
	return pb
}

// SgemmPackedB computes C = alpha*op(A)*op(B) + beta*C like Sgemm, with
// op(B) the k×n matrix prepared by PackB (k = pb.K(), n = pb.N()); this
// build calls cblas_sgemm on the copy, so the result is bit-identical to
// that of Sgemm with the same arguments. It panics on a nil pb and on the
// invalid arguments Sgemm panics on.
func SgemmPackedB(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	checkSgemmPackedB(transA, m, a, lda, pb, c, ldc)
	sgemmOpenBLAS(transA, pb.transB, m, pb.n, pb.k, alpha, a, lda, pb.data, pb.ldb, beta, c, ldc)
}
