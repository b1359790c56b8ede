//go:build amd64 && !purego

package vecmath

import (
	"math"
	"unsafe"

	"golang.org/x/sys/cpu"
)

// hasAVX2FMA reports whether the CPU and the operating system support
// AVX2 and FMA3.
func hasAVX2FMA() bool { return cpu.X86.HasAVX2 && cpu.X86.HasFMA }

// sigmoid8 and tanh8 apply Sigmoid32 and Tanh32 to the blocks*8 floats
// at x, see kernel_amd64.s.
//
//go:noescape
func sigmoid8(x *float32, blocks int)

//go:noescape
func tanh8(x *float32, blocks int)

// exp8 applies Exp32 to the blocks*8 floats at x; expSum8 applies
// ExpSum32's elementwise step and adds block b's element j to lanes[j],
// for b in order.
//
//go:noescape
func exp8(x *float32, blocks int)

//go:noescape
func expSum8(x *float32, blocks int, shift float32, lanes *[8]float32)

// sigmoidAVX2 is Sigmoid32 on the assembly kernel. A tail of fewer than 8
// floats goes through the kernel in a stack buffer, so that short rows
// (H = 100: 12 blocks and 4 floats) stay on the fast path.
func sigmoidAVX2(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		sigmoid8(unsafe.SliceData(x), n/8)
	}
	if n < len(x) {
		var buf [8]float32
		copy(buf[:], x[n:])
		sigmoid8(&buf[0], 1)
		copy(x[n:], buf[:])
	}
}

// tanhAVX2 is Tanh32 on the assembly kernel, tail as sigmoidAVX2.
func tanhAVX2(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		tanh8(unsafe.SliceData(x), n/8)
	}
	if n < len(x) {
		var buf [8]float32
		copy(buf[:], x[n:])
		tanh8(&buf[0], 1)
		copy(x[n:], buf[:])
	}
}

// expAVX2 is Exp32 on the assembly kernel, tail as sigmoidAVX2. (One
// helper taking the kernel as a func value would serve all three, but
// moves buf to the heap: an allocation per call with a tail.)
func expAVX2(x []float32) {
	n := len(x) &^ 7
	if n > 0 {
		exp8(unsafe.SliceData(x), n/8)
	}
	if n < len(x) {
		var buf [8]float32
		copy(buf[:], x[n:])
		exp8(&buf[0], 1)
		copy(x[n:], buf[:])
	}
}

// expSumAVX2 is ExpSum32 on the assembly kernel: the full blocks
// accumulate the lane sums, the tail goes through the kernel in a stack
// buffer with its lane sums dropped, and sumLanes adds the lanes and the
// tail as the generic code does.
func expSumAVX2(x []float32, shift float32) float32 {
	var lanes [8]float32
	n := len(x) &^ 7
	if n > 0 {
		expSum8(unsafe.SliceData(x), n/8, shift, &lanes)
	}
	if n < len(x) {
		var buf, dropped [8]float32
		copy(buf[:], x[n:])
		expSum8(&buf[0], 1, shift, &dropped)
		copy(x[n:], buf[:])
	}
	return sumLanes(&lanes, x[n:])
}

// avxConsts holds, for the assembly, each constant of the generic code
// repeated in the 8 lanes of a YMM vector, in the order of the offsets
// defined at the top of kernel_amd64.s. Building it from the same Go
// constants, converted to float32 as the generic code converts them,
// keeps the two paths on the same values.
var avxConsts = [...][8]uint32{
	splat(log2e),
	splat(roundMagic),
	splat(ln2Hi),
	splat(ln2Lo),
	splat(p5),
	splat(p4),
	splat(p3),
	splat(p2),
	splat(p1),
	splat(p0),
	splat(1),
	splat(expMax),
	splat(expMin),
	splat(-expMax),
	splatBits(exponentBias),
	splatBits(signBit - 1), // |x| mask
	splatBits(signBit),
	splat(2),
	splat(tanhMax),
	splat(expOverflow),
	splat(expUnderflow),
	splatBits(quietNaN),
}

// splat returns v's bits in each of 8 lanes.
func splat(v float32) [8]uint32 { return splatBits(math.Float32bits(v)) }

func splatBits(b uint32) [8]uint32 { return [8]uint32{b, b, b, b, b, b, b, b} }

func init() {
	if hasAVX2FMA() {
		native = &kernels{
			name: "avx2", sigmoid: sigmoidAVX2, tanh: tanhAVX2, exp: expAVX2, expSum: expSumAVX2,
			lstmCell: lstmCellAVX2, gruCell: gruCellAVX2, lstmCellGrad: lstmCellGradAVX2, gruCellGrad: gruCellGradAVX2,
		}
	}
}
