package vecmath

import (
	"fmt"
	"testing"
)

// benchActivation times f over n floats (values in [-10, 10), refreshed by
// a copy included in the timing, as the fused kernels overwrite their
// gate pre-activations) and reports ns per element.
func benchActivation(b *testing.B, get func(*kernels) func([]float32)) {
	for _, n := range []int{64, 100, 512, 4096, 1 << 16} {
		src := make([]float32, n)
		for i := range src {
			src[i] = float32(i%2000-1000) / 100
		}
		x := make([]float32, n)
		for _, k := range backends() {
			fn := get(k)
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
	benchActivation(b, func(k *kernels) func([]float32) { return k.sigmoid })
}

func BenchmarkTanh32(b *testing.B) {
	benchActivation(b, func(k *kernels) func([]float32) { return k.tanh })
}
