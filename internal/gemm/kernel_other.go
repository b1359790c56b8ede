//go:build !amd64 || purego

package gemm

// hasAVX2FMA reports false: the assembly kernel exists only on amd64
// without the purego build tag.
func hasAVX2FMA() bool { return false }
