package gemm

import (
	"fmt"
	"math/rand"
	"testing"
	"time"

	"gonum.org/v1/gonum/blas/gonum"
)

// benchShape is one of the GEMM shapes gornn's recurrent layers issue.
type benchShape struct {
	name           string
	m, n, k        int
	transA, transB bool
}

func (s benchShape) lda() int {
	if s.transA {
		return s.m
	}
	return s.k
}

func (s benchShape) ldb() int {
	if s.transB {
		return s.k
	}
	return s.n
}

func shape(m, n, k int, tA, tB bool) benchShape {
	return benchShape{fmt.Sprintf("%dx%dx%d_%s%s", m, n, k, opName(tA), opName(tB)), m, n, k, tA, tB}
}

// benchShapes: forward input projections X·W_ihᵀ, recurrent steps h·W_hhᵀ,
// backward dX = dG·W_ih, dW = dGᵀ·X, per-step dH = dG_t·W_hh, and the
// classifier head.
var benchShapes = []benchShape{
	shape(768, 128, 64, false, true),
	shape(3072, 512, 64, false, true),
	shape(3072, 512, 256, false, true),
	shape(16, 128, 32, false, true),
	shape(64, 512, 128, false, true),
	shape(16, 96, 32, false, true),
	shape(64, 384, 128, false, true),
	shape(3072, 64, 512, false, false),
	shape(768, 64, 128, false, false),
	shape(512, 64, 3072, true, false),
	shape(128, 64, 768, true, false),
	shape(512, 128, 3072, true, false),
	shape(64, 128, 512, false, false),
	shape(16, 32, 128, false, false),
	shape(16, 4, 64, false, true),
}

// reportGFLOPS reports the throughput of b's timed loop, which performed
// flops floating-point operations and started at process CPU time cpu0:
// GFLOPS per wall-clock second, and cpuGFLOPS per second of CPU time used
// by the process (steadier when other processes compete for the cores;
// only meaningful single-threaded, i.e. with -cpu 1).
func reportGFLOPS(b *testing.B, flops float64, cpu0 time.Duration) {
	cpu := cpuTime() - cpu0
	b.ReportMetric(flops/b.Elapsed().Seconds()/1e9, "GFLOPS")
	if cpu > 0 {
		b.ReportMetric(flops/cpu.Seconds()/1e9, "cpuGFLOPS")
	}
}

// shapeOperands returns random A and B and a zeroed C for s.
func shapeOperands(s benchShape) (a, b, c []float32) {
	rng := rand.New(rand.NewSource(1))
	a = make([]float32, s.m*s.k)
	b = make([]float32, s.k*s.n)
	c = make([]float32, s.m*s.n)
	for i := range a {
		a[i] = 2*rng.Float32() - 1
	}
	for i := range b {
		b[i] = 2*rng.Float32() - 1
	}
	return a, b, c
}

func gonumSgemm(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
	gonum.Implementation{}.Sgemm(blasTrans(transA), blasTrans(transB), m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
}

// BenchmarkSgemm compares, per gornn shape, this package's native kernel
// (avx2 where available), its pure-Go kernel (generic), gonum's Sgemm and,
// with -tags openblas, OpenBLAS (one thread). gonum parallelises large
// products over GOMAXPROCS, so single-threaded numbers need -cpu 1.
func BenchmarkSgemm(b *testing.B) {
	backends := []impl{}
	if native != genericBackend {
		backends = append(backends, impl{native.name, sgemmNative})
	}
	backends = append(backends, impl{"generic", sgemmGeneric}, impl{"gonum", gonumSgemm})
	if haveOpenBLAS {
		setOpenBLASThreads(1)
		backends = append(backends, impl{"openblas", sgemmOpenBLAS})
	}
	for _, s := range benchShapes {
		a, bb, c := shapeOperands(s)
		for _, be := range backends {
			b.Run(s.name+"/"+be.name, func(b *testing.B) {
				b.ReportAllocs()
				be.fn(s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda(), bb, s.ldb(), 0, c, s.n)
				b.ResetTimer()
				cpu0 := cpuTime()
				for i := 0; i < b.N; i++ {
					be.fn(s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda(), bb, s.ldb(), 0, c, s.n)
				}
				reportGFLOPS(b, 2*float64(s.m)*float64(s.n)*float64(s.k)*float64(b.N), cpu0)
			})
		}
	}
}

// stepShapes are the per-step products of the recurrent layers, forward
// h·W_hhᵀ (m×GH×H, B transposed) and backward dG_t·W_hh (m×H×GH), for the
// LSTM with H = 32 and 128 and the GRU with H = 128, at typical numbers m
// of active rows.
var stepShapes = func() []benchShape {
	var s []benchShape
	for _, hg := range [][2]int{{32, 128}, {128, 512}, {128, 384}} {
		h, gh := hg[0], hg[1]
		for _, m := range []int{1, 8, 16, 32, 64} {
			s = append(s, shape(m, gh, h, false, true), shape(m, h, gh, false, false))
		}
	}
	return s
}()

// BenchmarkSgemmPackedB compares, per recurrent step shape, Sgemm with
// SgemmPackedB on op(B) packed once (the packing is not timed): what the
// fused recurrent kernel saves per step. C accumulates (beta = 1), as in
// the backward step.
func BenchmarkSgemmPackedB(b *testing.B) {
	for _, s := range stepShapes {
		a, bb, c := shapeOperands(s)
		pb := PackB(s.transB, s.k, s.n, bb, s.ldb(), nil)
		flops := 2 * float64(s.m) * float64(s.n) * float64(s.k)
		b.Run(s.name+"/Sgemm", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda(), bb, s.ldb(), 1, c, s.n)
			}
			reportGFLOPS(b, flops*float64(b.N), cpu0)
		})
		b.Run(s.name+"/PackedB", func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				SgemmPackedB(s.transA, s.m, 1, a, s.lda(), pb, 1, c, s.n)
			}
			reportGFLOPS(b, flops*float64(b.N), cpu0)
		})
	}
}
