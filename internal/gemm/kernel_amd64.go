//go:build amd64 && !purego

package gemm

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// kernelPanel is the AVX2+FMA micro-kernel, looping over the row tiles of
// one 16-column panel of C, see kernel_amd64.s.
//
//go:noescape
func kernelPanel(k int, a *float32, rsa, csa, tsa int, b *float32, rsb int, c *float32, ldc int, m int, alpha, beta float32, flags int)

// kernelThin is the AVX2+FMA kernel for tiles of 1 or 2 rows spanning
// several panels, see kernel_amd64.s.
//
//go:noescape
func kernelThin(k int, a *float32, rsa, csa int, b *float32, rsb, psb int, c *float32, ldc int, rows, panels int, alpha, beta float32, flags int)

// Flags of kernelPanel and kernelThin.
const (
	flagBetaZero = 1 // C is overwritten, not read
	flagAlphaOne = 2 // the tile is not scaled
	flagSplit    = 4 // 7 and 8 last rows are cut 4+3 and 4+4 (see tileRows)
)

// kernelFlags returns the kernelPanel flags for alpha, betaZero and split.
func kernelFlags(alpha float32, betaZero, split bool) int {
	flags := 0
	if betaZero {
		flags = flagBetaZero
	}
	if alpha == 1 {
		flags |= flagAlphaOne
	}
	if split {
		flags |= flagSplit
	}
	return flags
}

// hasAVX2FMA reports whether the CPU and the operating system support
// AVX2 and FMA3.
func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// asmKernel adapts kernelPanel to the kernelFunc signature: one tile of
// rows rows. The driver guarantees that every element the kernel reads or
// writes is in bounds.
func asmKernel(k int, a []float32, rsa, csa int, b []float32, rsb int, c []float32, ldc, rows int, alpha, beta float32, betaZero bool) {
	kernelPanel(k, unsafe.SliceData(a), rsa, csa, 0, unsafe.SliceData(b), rsb, unsafe.SliceData(c), ldc, rows, alpha, beta, kernelFlags(alpha, betaZero, false))
}

// asmPanel adapts kernelPanel to the panelFunc signature, under the same
// guarantee.
func asmPanel(k int, a []float32, rsa, csa, tsa int, b []float32, rsb int, c []float32, ldc, m int, alpha, beta float32, betaZero, split bool) {
	kernelPanel(k, unsafe.SliceData(a), rsa, csa, tsa, unsafe.SliceData(b), rsb, unsafe.SliceData(c), ldc, m, alpha, beta, kernelFlags(alpha, betaZero, split))
}

// asmThin adapts kernelThin to the thinFunc signature, under the same
// guarantee as asmKernel.
func asmThin(k int, a []float32, rsa, csa int, b []float32, rsb, psb int, c []float32, ldc, rows, panels int, alpha, beta float32, betaZero bool) {
	kernelThin(k, unsafe.SliceData(a), rsa, csa, unsafe.SliceData(b), rsb, psb, unsafe.SliceData(c), ldc, rows, panels, alpha, beta, kernelFlags(alpha, betaZero, false))
}

// packBTrans16 packs 8*kc8 k steps of a 16-column panel of op(B) = Bᵀ
// with 8x8 AVX transposes, see kernel_amd64.s.
//
//go:noescape
func packBTrans16(dst, b *float32, ldb, kc8 int)

// packBRows16 packs kc k steps of a 16-column panel of op(B) = B.
//
//go:noescape
func packBRows16(dst, b *float32, ldb, kc int)

// packBTransAVX is the panelPacker for op(B) = Bᵀ: whole groups of 8 k
// steps in assembly, the rest in Go.
func packBTransAVX(dst, b []float32, ldb, kc int) {
	dst = dst[:kc*nr]
	_ = b[(nr-1)*ldb+kc-1] // everything the assembly reads is in bounds
	k8 := kc &^ 7
	if k8 > 0 {
		packBTrans16(unsafe.SliceData(dst), unsafe.SliceData(b), ldb, k8/8)
	}
	if k8 < kc {
		packBTransGo(dst[k8*nr:], b[k8:], ldb, kc-k8)
	}
}

// packBRowsAVX is the panelPacker for op(B) = B.
func packBRowsAVX(dst, b []float32, ldb, kc int) {
	_ = dst[kc*nr-1]
	_ = b[(kc-1)*ldb+nr-1]
	packBRows16(unsafe.SliceData(dst), unsafe.SliceData(b), ldb, kc)
}

// packATrans6 packs full 6-row panels of op(A) = Aᵀ, see kernel_amd64.s.
//
//go:noescape
func packATrans6(dst, a *float32, lda, kc, panels int)

// packARows6 packs 8*kc8 k steps of one 6-row panel of op(A) = A, writing
// 2 floats of overshoot, see kernel_amd64.s.
//
//go:noescape
func packARows6(dst, a *float32, lda, kc8 int)

// packATransAVX is the backend.packAT of the avx2 backend.
func packATransAVX(dst, a []float32, lda, kc, panels int) {
	_ = dst[panels*kc*mr-1]
	_ = a[(kc-1)*lda+panels*mr-1]
	packATrans6(unsafe.SliceData(dst), unsafe.SliceData(a), lda, kc, panels)
}

// packARowsAVX is the backend.packAN of the avx2 backend: whole groups of
// 8 k steps in assembly, the rest in Go.
func packARowsAVX(dst, a []float32, lda, kc int) {
	_ = dst[kc*mr+1] // room for the overshoot
	_ = a[(mr-1)*lda+kc-1]
	k8 := kc &^ 7
	if k8 > 0 {
		packARows6(unsafe.SliceData(dst), unsafe.SliceData(a), lda, k8/8)
	}
	if k8 < kc {
		packARowsGo(dst[k8*mr:], a[k8:], lda, kc-k8)
	}
}

func init() {
	if hasAVX2FMA() {
		native = &backend{
			name:      "avx2",
			kernel:    asmKernel,
			panel:     asmPanel,
			thin:      asmThin,
			packBT:    packBTransAVX,
			packBN:    packBRowsAVX,
			packAT:    packATransAVX,
			packAN:    packARowsAVX,
			exactRows: true,
		}
	}
}
