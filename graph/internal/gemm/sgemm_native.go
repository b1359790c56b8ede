//go:build !openblas || !cgo

package gemm

// Sgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float32
// matrices, where op(X) is X, or Xᵀ when the matching trans flag is set.
// op(A) is m×k, op(B) is k×n and C is m×n; lda, ldb and ldc are the row
// strides of A, B and C as stored (so A is stored k×m when transA is set).
//
// When beta == 0, C is overwritten without being read, so it may hold
// NaNs or garbage; when alpha == 0 or k == 0, A and B are not read. C
// must not overlap A or B. Sgemm is safe for concurrent use (on disjoint
// C) and does not allocate in steady state.
//
// Sgemm panics on a negative dimension, a row stride smaller than its
// row length (or than 1), or a slice too short for its matrix; callers are
// expected to validate shapes, so these panics indicate bugs.
func Sgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	sgemmNative(transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// Backend reports which implementation Sgemm uses: "avx2" for the
// AVX2+FMA assembly kernel, "generic" for the pure-Go kernel, or
// "openblas" in builds with the openblas tag.
func Backend() string { return native.name }
