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

// PackB packs the k×n matrix op(B) (B itself, or Bᵀ when transB is set;
// ldb is the row stride of B as stored) for SgemmPackedB, which then
// computes products with it without packing it again. It packs into into
// and returns it, reusing its memory when large enough, so that repacking
// into the same PackedB allocates nothing in steady state; with a nil
// into it returns a new PackedB.
//
// PackB panics on a negative dimension, a row stride smaller than the row
// length (or than 1), or a slice too short for B.
func PackB(transB bool, k, n int, b []float32, ldb int, into *PackedB) *PackedB {
	return packBWith(native, transB, k, n, b, ldb, into)
}

// SgemmPackedB computes C = alpha*op(A)*op(B) + beta*C like Sgemm, with
// op(B) the k×n matrix packed in pb (k = pb.K(), n = pb.N()): op(A) is
// m×k and C is m×n. The result is bit-identical to that of Sgemm with the
// same arguments and the op(B) that PackB was given, on the same backend.
//
// SgemmPackedB is safe for concurrent use with the same pb (on disjoint
// C) and does not allocate in steady state. It panics on a nil pb and on
// the invalid arguments Sgemm panics on.
func SgemmPackedB(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
	sgemmPackedWith(native, transA, m, alpha, a, lda, pb, beta, c, ldc)
}
