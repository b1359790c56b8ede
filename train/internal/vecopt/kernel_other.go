//go:build !amd64 || purego

package vecopt

// hasAVX2FMA reports false: the assembly exists only on amd64 without the
// purego build tag.
func hasAVX2FMA() bool { return false }
