//go:build amd64 && !purego

package vecopt

import (
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2FMA reports whether the CPU and the operating system support
// AVX2 and FMA3.
func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// Flags of the assembly kernels, see kernel_amd64.s.
const (
	flagDecay    = 1 << iota // WeightDecay != 0
	flagSkip                 // skip the elements the update leaves as they are
	flagFirst                // SGD: the first step
	flagNesterov             // SGD: Nesterov momentum
)

// The assembly kernels update blocks*8 elements from the given pointers,
// see kernel_amd64.s.

//go:noescape
func adam8(k *Adam, p, grad, m, v *float32, blocks, flags int)

//go:noescape
func sgd8(k *SGD, p, grad *float32, blocks, flags int)

//go:noescape
func sgdMomentum8(k *SGD, p, grad, buf *float32, blocks, flags int)

//go:noescape
func rmsprop8(k *RMSprop, p, grad, v *float32, blocks, flags int)

//go:noescape
func rmspropMomentum8(k *RMSprop, p, grad, v, buf *float32, blocks, flags int)

//go:noescape
func adagrad8(k *Adagrad, p, grad, s *float32, blocks, flags int)

// flags returns the kernel flags for a step with weight decay wd that may
// skip elements when skip is set.
func flags(wd float32, skip bool) int {
	f := 0
	if wd != 0 {
		f |= flagDecay
	}
	if skip {
		f |= flagSkip
	}
	return f
}

// ptr returns the address of x[0]; x must not be empty.
func ptr(x []float32) *float32 { return unsafe.SliceData(x) }

// The wrappers run whole blocks of 8 in assembly and the rest (fewer than
// 8 elements) in Go, which gives the same bits. The slices' lengths have
// been checked.

func adamAVX2(k *Adam, p, g, m, v []float32) {
	skip := k.skippable()
	n := len(p) &^ 7
	if n > 0 {
		adam8(k, ptr(p), ptr(g), ptr(m), ptr(v), n/8, flags(k.WeightDecay, skip))
	}
	adamGeneric(k, p[n:], g[n:], m[n:], v[n:], skip)
}

func sgdAVX2(k *SGD, p, g []float32) {
	skip := k.skippable()
	n := len(p) &^ 7
	if n > 0 {
		sgd8(k, ptr(p), ptr(g), n/8, flags(k.WeightDecay, skip))
	}
	sgdGeneric(k, p[n:], g[n:], skip)
}

func sgdMomentumAVX2(k *SGD, p, g, buf []float32) {
	skip := k.skippable()
	n := len(p) &^ 7
	if n > 0 {
		f := flags(k.WeightDecay, skip)
		if k.First {
			f |= flagFirst
		}
		if k.Nesterov {
			f |= flagNesterov
		}
		sgdMomentum8(k, ptr(p), ptr(g), ptr(buf), n/8, f)
	}
	sgdMomentumGeneric(k, p[n:], g[n:], buf[n:], skip)
}

func rmspropAVX2(k *RMSprop, p, g, v []float32) {
	skip := k.skippable()
	n := len(p) &^ 7
	if n > 0 {
		rmsprop8(k, ptr(p), ptr(g), ptr(v), n/8, flags(k.WeightDecay, skip))
	}
	rmspropGeneric(k, p[n:], g[n:], v[n:], skip)
}

func rmspropMomentumAVX2(k *RMSprop, p, g, v, buf []float32) {
	skip := k.skippable()
	n := len(p) &^ 7
	if n > 0 {
		rmspropMomentum8(k, ptr(p), ptr(g), ptr(v), ptr(buf), n/8, flags(k.WeightDecay, skip))
	}
	rmspropMomentumGeneric(k, p[n:], g[n:], v[n:], buf[n:], skip)
}

func adagradAVX2(k *Adagrad, p, g, s []float32) {
	skip := k.skippable()
	n := len(p) &^ 7
	if n > 0 {
		adagrad8(k, ptr(p), ptr(g), ptr(s), n/8, flags(k.WeightDecay, skip))
	}
	adagradGeneric(k, p[n:], g[n:], s[n:], skip)
}

func init() {
	if hasAVX2FMA() {
		native = &kernels{
			name:            "avx2",
			adam:            adamAVX2,
			sgd:             sgdAVX2,
			sgdMomentum:     sgdMomentumAVX2,
			rmsprop:         rmspropAVX2,
			rmspropMomentum: rmspropMomentumAVX2,
			adagrad:         adagradAVX2,
		}
	}
}
