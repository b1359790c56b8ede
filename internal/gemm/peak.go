package gemm

// The machine's peak for gornn: the best single-core GFLOP/s of Sgemm (the
// kernel under the fused layers) on a few square-ish products. cmd/bench
// reports the throughput it achieves as a share of this peak times the
// cores it uses.

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Peak is the best throughput MeasurePeak found.
type Peak struct {
	GFLOPS  float64 // 2·M·N·K per second, in units of 1e9, on one core
	M, N, K int     // the product that reached it: C [M, N] = A [M, K] · B [K, N]
	Backend string  // the kernel: "avx2", "generic" or "openblas"
}

// String describes r, e.g. "93.1 GFLOP/s (avx2, 480x512x512)".
func (r Peak) String() string {
	return fmt.Sprintf("%.1f GFLOP/s (%s, %dx%dx%d)", r.GFLOPS, r.Backend, r.M, r.N, r.K)
}

// shapes are the measured products, M×N×K: square-ish, M a multiple of
// the kernel's 6-row tile and N of its 16-column one, from L2-resident to
// larger than L2. On a Zen 3 core with AVX2 all three reach 95-99 GFLOP/s.
var shapes = [][3]int{{192, 192, 192}, {288, 256, 256}, {480, 512, 512}}

// MeasurePeak multiplies each of a few square-ish products repeatedly on the
// calling goroutine (the kernel is single-threaded) for about budget in
// all, and returns the best GFLOP/s of one call. The best, not a mean,
// because other processes can only slow a call down.
func MeasurePeak(budget time.Duration) Peak {
	best := Peak{Backend: Backend()}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, s := range shapes {
		m, n, k := s[0], s[1], s[2]
		a, b, c := random(rng, m*k), random(rng, k*n), make([]float32, m*n)
		flops := 2 * float64(m) * float64(n) * float64(k)
		for end := time.Now().Add(budget / time.Duration(len(shapes))); time.Now().Before(end); {
			start := time.Now()
			Sgemm(false, false, m, n, k, 1, a, k, b, n, 0, c, n)
			if g := flops / time.Since(start).Seconds() / 1e9; g > best.GFLOPS {
				best.GFLOPS, best.M, best.N, best.K = g, m, n, k
			}
		}
	}
	return best
}

func random(rng *rand.Rand, n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = 2*rng.Float32() - 1
	}
	return x
}
