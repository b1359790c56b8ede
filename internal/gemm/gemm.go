package gemm

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/gonum"
)

// Dgemm computes C = alpha*op(A)*op(B) + beta*C for row-major float64
// matrices, with the same conventions as Sgemm. It is used only by
// float64 gradient checks and delegates to gonum's pure-Go BLAS, which
// panics on bad dimensions like Sgemm does.
func Dgemm(transA, transB bool, m, n, k int, alpha float64, a []float64, lda int, b []float64, ldb int, beta float64, c []float64, ldc int) {
	gonum.Implementation{}.Dgemm(blasTrans(transA), blasTrans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

func blasTrans(t bool) blas.Transpose {
	if t {
		return blas.Trans
	}
	return blas.NoTrans
}

// checkSgemm panics unless the arguments describe valid row-major
// matrices: non-negative sizes, row strides at least the row length (and
// at least 1) and slices long enough to hold every row.
func checkSgemm(transA, transB bool, m, n, k int, a []float32, lda int, b []float32, ldb int, c []float32, ldc int) {
	if m < 0 || n < 0 || k < 0 {
		panic("gemm: negative dimension")
	}
	ar, ac := storedDims(transA, m, k)
	br, bc := storedDims(transB, k, n)
	checkMatrix("A", ar, ac, len(a), lda)
	checkMatrix("B", br, bc, len(b), ldb)
	checkMatrix("C", m, n, len(c), ldc)
}

// storedDims returns the dimensions of X as stored for a rows×cols op(X):
// cols×rows when op(X) = Xᵀ.
func storedDims(trans bool, rows, cols int) (storedRows, storedCols int) {
	if trans {
		return cols, rows
	}
	return rows, cols
}

func checkMatrix(name string, rows, cols, length, ld int) {
	if ld < max(1, cols) {
		panic("gemm: bad leading dimension of " + name)
	}
	if rows > 0 && cols > 0 && length < (rows-1)*ld+cols {
		panic("gemm: slice too short for " + name)
	}
}

// sgemmNative is Sgemm on the built-in kernels: the AVX2+FMA assembly
// kernel when the CPU has it, the pure-Go kernel otherwise.
func sgemmNative(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	run(native, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// sgemmGeneric is Sgemm on the pure-Go kernel, whatever the CPU.
func sgemmGeneric(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
	run(genericBackend, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}
