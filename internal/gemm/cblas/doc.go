// Package cblas binds OpenBLAS's cblas_sgemm through cgo for the gemm
// package's openblas build tag. Without that tag (or without cgo) the
// package is empty, so the default build needs neither cgo nor OpenBLAS.
// It is a separate package because a cgo package cannot also hold the
// Go assembly of the gemm micro-kernel.
package cblas
