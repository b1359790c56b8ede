//go:build !openblas || !cgo

package gemm

// haveOpenBLAS reports whether sgemmOpenBLAS is available: only in builds
// with the openblas tag and cgo.
const haveOpenBLAS = false

func sgemmOpenBLAS(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	panic("gemm: built without the openblas tag")
}

func setOpenBLASThreads(n int) {}
