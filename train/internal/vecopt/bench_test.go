package vecopt

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// benchElems is the size of the parameters of train's benchmark model (an
// embedding 20000×64, an LSTM with H = 128, a linear head): 1.38M floats,
// whose Adam state (22 MB with p and g) fits in a 32 MB L3 cache.
const benchElems = 20000*64 + 512*64 + 512*128 + 2*512 + 4*128 + 4

// benchUpdate times one update per iteration of 16384 elements (in L2
// cache) and of benchElems, and reports ns/elem. Each iteration first restores the gradients (untimed),
// since the update zeroes them. With sparse set, only one 64-float row in
// 16 has a gradient and state, like an embedding early in training; the
// rest is skipped.
func benchUpdate(b *testing.B, states int, sparse bool, run func(impl *kernels, p, g []float32, st [][]float32)) {
	for _, n := range []int{1 << 14, benchElems} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchUpdateN(b, n, states, sparse, run) })
	}
}

// benchUpdateN is benchUpdate for n elements.
func benchUpdateN(b *testing.B, n, states int, sparse bool, run func(impl *kernels, p, g []float32, st [][]float32)) {
	rng := rand.New(rand.NewPCG(1, 1))
	p, g0, g := make([]float32, n), make([]float32, n), make([]float32, n)
	st := make([][]float32, states)
	for k := range st {
		st[k] = make([]float32, n)
	}
	for i := range p {
		p[i] = float32(rng.NormFloat64() * 0.1)
		if sparse && (i/64)%16 != 0 {
			continue
		}
		g0[i] = float32(rng.NormFloat64() * 1e-2)
		for k := range st {
			st[k][i] = float32(rng.Float64() * 1e-4)
		}
	}
	for _, impl := range backends() {
		b.Run(impl.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(4 * n))
			for b.Loop() {
				b.StopTimer()
				copy(g, g0)
				b.StartTimer()
				run(impl, p, g, st)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/elem")
		})
	}
}

func BenchmarkAdamStep(b *testing.B) {
	for _, sparse := range []bool{false, true} {
		b.Run(fmt.Sprintf("sparse=%v", sparse), func(b *testing.B) {
			k := adamAt(1e-3, 0.9, 0.999, 1e-8, 0, 10)
			benchUpdate(b, 2, sparse, func(impl *kernels, p, g []float32, st [][]float32) { impl.adam(&k, p, g, st[0], st[1]) })
		})
	}
	b.Run("decay", func(b *testing.B) {
		k := adamAt(1e-3, 0.9, 0.999, 1e-8, 1e-2, 10)
		benchUpdate(b, 2, false, func(impl *kernels, p, g []float32, st [][]float32) { impl.adam(&k, p, g, st[0], st[1]) })
	})
}

func BenchmarkSGDStep(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		k := SGD{NegLR: -0.1}
		benchUpdate(b, 0, false, func(impl *kernels, p, g []float32, st [][]float32) { impl.sgd(&k, p, g) })
	})
	b.Run("nesterov", func(b *testing.B) {
		k := SGD{NegLR: -0.1, Momentum: 0.9, OneMinusDampening: 1, Nesterov: true, WeightDecay: 1e-4}
		benchUpdate(b, 1, false, func(impl *kernels, p, g []float32, st [][]float32) { impl.sgdMomentum(&k, p, g, st[0]) })
	})
}

func BenchmarkRMSpropStep(b *testing.B) {
	b.Run("plain", func(b *testing.B) {
		k := RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), Eps: 1e-8, NegLR: -1e-2}
		benchUpdate(b, 1, false, func(impl *kernels, p, g []float32, st [][]float32) { impl.rmsprop(&k, p, g, st[0]) })
	})
	b.Run("momentum", func(b *testing.B) {
		k := RMSprop{Alpha: 0.99, OneMinusAlpha: float32(1 - 0.99), Eps: 1e-8, NegLR: -1e-2, Momentum: 0.5}
		benchUpdate(b, 2, false, func(impl *kernels, p, g []float32, st [][]float32) { impl.rmspropMomentum(&k, p, g, st[0], st[1]) })
	})
}

func BenchmarkAdagradStep(b *testing.B) {
	k := Adagrad{Eps: 1e-10, NegLR: -1e-2}
	benchUpdate(b, 1, false, func(impl *kernels, p, g []float32, st [][]float32) { impl.adagrad(&k, p, g, st[0]) })
}
