package gemm

import (
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkKernel measures the micro-kernel alone on L1-resident packed
// panels: the ceiling for the blocked driver.
func BenchmarkKernel(b *testing.B) {
	const k = 256
	ap := make([]float32, mr*k)
	bp := make([]float32, nr*k)
	c := make([]float32, mr*nr)
	for i := range ap {
		ap[i] = 1
	}
	for i := range bp {
		bp[i] = 1
	}
	b.ResetTimer()
	cpu0 := cpuTime()
	for i := 0; i < b.N; i++ {
		native.kernel(k, ap, 1, mr, bp, nr, c, nr, mr, 1, 0, true)
	}
	reportGFLOPS(b, 2*mr*nr*k*float64(b.N), cpu0)
}

// tuneShape times the variants on shape s in interleaved trials of about
// 2 ms each (so that all variants see the same machine conditions) and
// returns, per variant, the best and the median throughput in GFLOPS.
func tuneShape(s benchShape, variants []impl, rounds int) (best, median []float64) {
	a, bb, c := shapeOperands(s)
	flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
	calls := make([]func(), len(variants))
	reps := make([]int, len(variants))
	for i, v := range variants {
		calls[i] = func() { v.fn(s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda(), bb, s.ldb(), 0, c, s.n) }
		calls[i]()
		t0 := time.Now()
		calls[i]()
		reps[i] = max(1, int(2*time.Millisecond/max(time.Since(t0), time.Microsecond)))
	}
	res := make([][]float64, len(variants))
	for r := 0; r < rounds; r++ {
		for i, call := range calls {
			t0 := time.Now()
			for j := 0; j < reps[i]; j++ {
				call()
			}
			res[i] = append(res[i], flops*float64(reps[i])/time.Since(t0).Seconds()/1e9)
		}
	}
	for _, r := range res {
		slices.Sort(r)
		best = append(best, r[len(r)-1])
		median = append(median, r[len(r)/2])
	}
	return best, median
}

// TestTune prints best/median GFLOPS per shape for the variants in
// tuneVariants; it runs only with GEMM_TUNE=1 (a development aid).
// GEMM_TUNE_SHAPES filters shapes by regexp; GEMM_TUNE_PLANS adds plans.
func TestTune(t *testing.T) {
	if os.Getenv("GEMM_TUNE") == "" {
		t.Skip("set GEMM_TUNE=1")
	}
	variants := tuneVariants()
	for i, v := range variants {
		fmt.Printf("v%d = %s\n", i, v.name)
	}
	line := fmt.Sprintf("%-22s", "shape (best/median)")
	for i := range variants {
		line += fmt.Sprintf(" %11s", fmt.Sprintf("v%d", i))
	}
	fmt.Println(line)
	filter := regexp.MustCompile(os.Getenv("GEMM_TUNE_SHAPES"))
	shapes := slices.Clone(benchShapes)
	for _, spec := range strings.Fields(os.Getenv("GEMM_TUNE_EXTRA")) {
		var m, n, k int
		var tA, tB bool
		if _, err := fmt.Sscanf(spec, "%d,%d,%d,%t,%t", &m, &n, &k, &tA, &tB); err != nil {
			panic(err)
		}
		shapes = append(shapes, shape(m, n, k, tA, tB))
	}
	for _, s := range shapes {
		if !filter.MatchString(s.name) {
			continue
		}
		best, med := tuneShape(s, variants, 60)
		line := fmt.Sprintf("%-22s", s.name)
		for i := range variants {
			line += fmt.Sprintf(" %5.1f/%5.1f", best[i], med[i])
		}
		fmt.Println(line)
	}
}

func tuneVariants() []impl {
	v := []impl{{"native", sgemmNative}}
	for _, spec := range strings.Fields(os.Getenv("GEMM_TUNE_PLANS")) {
		// spec: packA,packB,kc,mc,nc
		var pa, pb bool
		var pl plan
		if _, err := fmt.Sscanf(spec, "%t,%t,%d,%d,%d", &pa, &pb, &pl.kc, &pl.mc, &pl.nc); err != nil {
			panic(err)
		}
		pl.packA, pl.packB = pa, pb
		v = append(v, impl{spec, func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
			q := pl
			q.packB = q.packB || transB
			sgemm(native, q, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
		}})
	}
	return v
}

// BenchmarkKernelCall measures the micro-kernel through the backend's
// kernelFunc at small depths, exposing the per-call overhead.
func BenchmarkKernelCall(b *testing.B) {
	for _, k := range []int{1, 8, 32, 128} {
		b.Run(fmt.Sprint("k=", k), func(b *testing.B) {
			ap := make([]float32, mr*k)
			bp := make([]float32, nr*k)
			c := make([]float32, mr*nr)
			for b.Loop() {
				native.kernel(k, ap, 1, mr, bp, nr, c, nr, mr, 1, 0, true)
			}
		})
	}
}
