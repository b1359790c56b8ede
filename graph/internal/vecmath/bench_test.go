package vecmath

import (
	"fmt"
	"slices"
	"testing"
)

// gateSizes are the lengths the activations are timed at: gate rows of
// the fused recurrent kernels; vocabSizes those of Exp32 and ExpSum32:
// softmax rows over a vocabulary.
var (
	gateSizes  = []int{64, 100, 512, 4096, 1 << 16}
	vocabSizes = []int{1000, 20000}
)

// benchInput returns n values in [-10, 10).
func benchInput(n int) []float32 {
	src := make([]float32, n)
	for i := range src {
		src[i] = float32(i%2000-1000) / 100
	}
	return src
}

// benchActivation times, for each of sizes and backend, the function
// get returns for the input src: over n floats (values in [-10, 10),
// refreshed by a copy included in the timing, as the fused kernels
// overwrite their inputs); it reports ns per element.
func benchActivation(b *testing.B, sizes []int, get func(k *kernels, src []float32) func([]float32)) {
	for _, n := range sizes {
		src := benchInput(n)
		x := make([]float32, n)
		for _, k := range backends() {
			fn := get(k, src)
			b.Run(fmt.Sprintf("%s/n=%d", k.name, n), func(b *testing.B) {
				b.ReportAllocs()
				b.SetBytes(int64(4 * n))
				for b.Loop() {
					copy(x, src)
					fn(x)
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
			})
		}
	}
}

func BenchmarkSigmoid32(b *testing.B) {
	benchActivation(b, gateSizes, func(k *kernels, _ []float32) func([]float32) { return k.sigmoid })
}

func BenchmarkTanh32(b *testing.B) {
	benchActivation(b, gateSizes, func(k *kernels, _ []float32) func([]float32) { return k.tanh })
}

func BenchmarkExp32(b *testing.B) {
	benchActivation(b, vocabSizes, func(k *kernels, _ []float32) func([]float32) { return k.exp })
}

// expSumSink keeps BenchmarkExpSum32's sums alive.
var expSumSink float32

// BenchmarkExpSum32 times a softmax row's exponentials and sum, shifted by
// the row's maximum.
func BenchmarkExpSum32(b *testing.B) {
	benchActivation(b, vocabSizes, func(k *kernels, src []float32) func([]float32) {
		shift := slices.Max(src)
		return func(x []float32) { expSumSink = k.expSum(x, shift) }
	})
}
