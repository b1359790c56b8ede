package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"sync"
	"testing"
)

// sgemmFunc is the signature shared by Sgemm and its variants under test.
type sgemmFunc func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int)

// impl is one implementation under test.
type impl struct {
	name string
	fn   sgemmFunc
}

// withPlan runs the driver with the given kernel and a forced packing plan
// (a transposed B is always packed, as the driver requires).
func withPlan(be *backend, packA, packB bool) sgemmFunc {
	return func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
		checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
		sgemm(be, plan{packA: packA, packB: packB || transB}, transA, transB, m, n, k, alpha, a, lda, b, ldb, nil, beta, c, ldc)
	}
}

// impls lists every implementation to check: the public Sgemm, the native
// and generic kernels under every packing plan, and OpenBLAS when built in.
func impls() []impl {
	// Sgemm and the backends with their automatic plans (which include
	// the transposed-product path for narrow C), then every forced plan.
	list := []impl{{"Sgemm", Sgemm}, {"generic/auto", sgemmGeneric}}
	if native != genericBackend {
		list = append(list, impl{native.name + "/auto", sgemmNative})
	}
	backends := []*backend{genericBackend}
	if native != genericBackend {
		backends = append(backends, native)
	}
	for _, be := range backends {
		for _, pa := range []bool{false, true} {
			for _, pb := range []bool{false, true} {
				list = append(list, impl{fmt.Sprintf("%s/packA=%v/packB=%v", be.name, pa, pb), withPlan(be, pa, pb)})
			}
		}
	}
	if haveOpenBLAS {
		setOpenBLASThreads(1)
		list = append(list, impl{"openblas", sgemmOpenBLAS})
	}
	return list
}

// gemmCase is one problem: the matrices are stored with row strides larger
// than their rows by padA, padB and padC elements.
type gemmCase struct {
	transA, transB   bool
	m, n, k          int
	alpha, beta      float32
	padA, padB, padC int
}

func (tc gemmCase) String() string {
	return fmt.Sprintf("%s%s/m=%d,n=%d,k=%d/alpha=%g,beta=%g/pad=%d,%d,%d",
		opName(tc.transA), opName(tc.transB), tc.m, tc.n, tc.k, tc.alpha, tc.beta, tc.padA, tc.padB, tc.padC)
}

// opName names op(X): "T" for Xᵀ, "N" for X.
func opName(trans bool) string {
	if trans {
		return "T"
	}
	return "N"
}

// sentinel marks C elements outside the m×n result, which must survive.
const sentinel = float32(-12345.5)

// operands draws the case's A and B from rng (see randMatrix) and
// returns them with a C holding random values in the m×n result (NaNs
// when beta is zero, as C must not be read then) and sentinel in the
// padding of its rows.
func (tc gemmCase) operands(rng *rand.Rand) (a, b, c []float32, lda, ldb, ldc int) {
	ar, ac := storedDims(tc.transA, tc.m, tc.k)
	br, bc := storedDims(tc.transB, tc.k, tc.n)
	lda, ldb, ldc = max(1, ac+tc.padA), max(1, bc+tc.padB), max(1, tc.n+tc.padC)
	a = randMatrix(rng, ar, ac, lda)
	b = randMatrix(rng, br, bc, ldb)
	c = make([]float32, max(0, (tc.m-1)*ldc+tc.n+tc.padC))
	for i := range c {
		switch {
		case i%ldc >= tc.n:
			c[i] = sentinel
		case tc.beta == 0:
			c[i] = float32(math.NaN())
		default:
			c[i] = 2*rng.Float32() - 1
		}
	}
	return a, b, c, lda, ldb, ldc
}

// check runs the case with every implementation on the same random data
// (drawn from rng) and returns one message per mismatch against a float64
// reference.
func (tc gemmCase) check(rng *rand.Rand, list []impl) []string {
	a, b, c0, lda, ldb, ldc := tc.operands(rng)
	want := make([]float64, tc.m*tc.n)
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			var s float64
			for p := 0; p < tc.k; p++ {
				var av, bv float32
				if tc.transA {
					av = a[p*lda+i]
				} else {
					av = a[i*lda+p]
				}
				if tc.transB {
					bv = b[j*ldb+p]
				} else {
					bv = b[p*ldb+j]
				}
				s += float64(av) * float64(bv)
			}
			w := float64(tc.alpha) * s
			if tc.beta != 0 {
				w += float64(tc.beta) * float64(c0[i*ldc+j])
			}
			want[i*tc.n+j] = w
		}
	}
	// Entries are in [-1, 1], so each product is at most 1 in magnitude.
	tol := 1e-5 * float64(tc.k+2) * (math.Abs(float64(tc.alpha)) + math.Abs(float64(tc.beta)))

	var msgs []string
	c := make([]float32, len(c0))
	for _, im := range list {
		copy(c, c0)
		im.fn(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, c, ldc)
		if msg := compare(tc, c, ldc, want, tol); msg != "" {
			msgs = append(msgs, fmt.Sprintf("%s: %v: %s", im.name, tc, msg))
		}
	}
	return msgs
}

// compare checks C against the reference and the sentinel padding.
func compare(tc gemmCase, c []float32, ldc int, want []float64, tol float64) string {
	for i := 0; i < tc.m; i++ {
		for j := 0; j < tc.n; j++ {
			got, w := float64(c[i*ldc+j]), want[i*tc.n+j]
			if !(math.Abs(got-w) <= tol) {
				return fmt.Sprintf("C[%d][%d] = %v, want %v (tol %g)", i, j, got, w, tol)
			}
		}
	}
	for i, v := range c {
		if row, col := i/ldc, i%ldc; (row >= tc.m || col >= tc.n) && v != sentinel {
			return fmt.Sprintf("C[%d][%d] outside the result was overwritten with %v", row, col, v)
		}
	}
	return ""
}

// randMatrix returns a rows×cols matrix with row stride ld, entries uniform
// in [-1, 1] and the padding filled with NaN (which must never be used).
func randMatrix(rng *rand.Rand, rows, cols, ld int) []float32 {
	if rows == 0 || cols == 0 {
		return nil
	}
	x := make([]float32, (rows-1)*ld+cols)
	for i := range x {
		if i%ld < cols {
			x[i] = 2*rng.Float32() - 1
		} else {
			x[i] = float32(math.NaN())
		}
	}
	return x
}

var (
	testSizes  = []int{1, 2, 3, 5, 7, 8, 15, 16, 17, 31, 33, 63, 65, 100, 129, 300}
	testAlphas = []float32{1, -0.5, 0}
	testBetas  = []float32{0, 1, 0.3}
	testPads   = []int{0, 3, 17}
)

// tableCases enumerates every (m, n, k) triple of testSizes with every
// transpose combination, cycling through the alpha, beta and padding
// values. Large products keep one transpose combination (cycling too) so
// that the float64 reference stays affordable; -short also caps them.
func tableCases(short bool) []gemmCase {
	var cases []gemmCase
	idx := 0
	for _, m := range testSizes {
		for _, n := range testSizes {
			for _, k := range testSizes {
				work := m * n * k
				if short && work > 300000 {
					continue
				}
				for t := 0; t < 4; t++ {
					idx++
					if work > 200000 && (idx/4+m+n+k)%4 != t {
						continue
					}
					ab := idx % 9
					cases = append(cases, gemmCase{
						transA: t&1 != 0, transB: t&2 != 0,
						m: m, n: n, k: k,
						alpha: testAlphas[ab/3], beta: testBetas[ab%3],
						padA: testPads[idx%3], padB: testPads[(idx/3)%3], padC: testPads[(idx/9)%3],
					})
				}
			}
		}
	}
	return cases
}

func TestSgemmTable(t *testing.T) {
	list := impls()
	rng := rand.New(rand.NewSource(1))
	fails := 0
	for _, tc := range tableCases(testing.Short()) {
		for _, msg := range tc.check(rng, list) {
			t.Error(msg)
			if fails++; fails > 20 {
				t.Fatal("too many failures")
			}
		}
	}
}

// TestSgemmRandom checks randomly drawn shapes (fixed seed), including odd
// alpha and beta values and shapes that span several cache blocks.
func TestSgemmRandom(t *testing.T) {
	n := 400
	if testing.Short() {
		n = 60
	}
	rng := rand.New(rand.NewSource(42))
	cases := make([]gemmCase, n)
	for i := range cases {
		dim := func() int {
			switch rng.Intn(4) {
			case 0:
				return 1 + rng.Intn(8)
			case 1:
				return 1 + rng.Intn(40)
			case 2:
				return 1 + rng.Intn(200)
			default:
				return 1 + rng.Intn(600)
			}
		}
		tc := gemmCase{
			transA: rng.Intn(2) == 1, transB: rng.Intn(2) == 1,
			m: dim(), n: dim(), k: dim(),
			alpha: []float32{1, -0.5, 0, 2.5, rng.Float32()}[rng.Intn(5)],
			beta:  []float32{0, 1, 0.3, -1, rng.Float32()}[rng.Intn(5)],
			padA:  rng.Intn(3) * rng.Intn(20), padB: rng.Intn(3) * rng.Intn(20), padC: rng.Intn(3) * rng.Intn(20),
		}
		for tc.m*tc.n*tc.k > 8e6 {
			tc.k = tc.k/2 + 1
		}
		cases[i] = tc
	}
	list := impls()
	for _, tc := range cases {
		if msgs := tc.check(rng, list); len(msgs) > 0 {
			t.Fatal(msgs)
		}
	}
}

// TestSgemmDegenerate covers empty dimensions and the alpha == 0 and
// k == 0 shortcuts, which must still apply beta (and never read C when
// beta == 0).
func TestSgemmDegenerate(t *testing.T) {
	list := impls()
	rng := rand.New(rand.NewSource(3))
	for _, tc := range []gemmCase{
		{m: 0, n: 5, k: 3, alpha: 1, beta: 0.3},
		{m: 5, n: 0, k: 3, alpha: 1, beta: 0.3},
		{m: 4, n: 5, k: 0, alpha: 1, beta: 0},
		{m: 4, n: 5, k: 0, alpha: 1, beta: 0.3, padC: 2},
		{m: 4, n: 5, k: 0, alpha: 1, beta: 1},
		{m: 7, n: 17, k: 9, alpha: 0, beta: 0, padC: 1},
		{m: 7, n: 17, k: 9, alpha: 0, beta: -2, transA: true},
	} {
		for _, msg := range tc.check(rng, list) {
			t.Error(msg)
		}
	}
}

// panicCase is a call that must panic.
type panicCase struct {
	name string
	f    func()
}

// checkPanics reports each call of cases that does not panic.
func checkPanics(t *testing.T, cases []panicCase) {
	t.Helper()
	for _, tt := range cases {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", tt.name)
				}
			}()
			tt.f()
		}()
	}
}

func TestSgemmPanics(t *testing.T) {
	a := make([]float32, 12)
	checkPanics(t, []panicCase{
		{"negative m", func() { Sgemm(false, false, -1, 2, 2, 1, a, 2, a, 2, 0, a, 2) }},
		{"small lda", func() { Sgemm(false, false, 2, 2, 3, 1, a, 2, a, 2, 0, a, 2) }},
		{"small ldb transposed", func() { Sgemm(false, true, 2, 2, 3, 1, a, 3, a, 2, 0, a, 2) }},
		{"zero ldc", func() { Sgemm(false, false, 0, 0, 0, 1, a, 1, a, 1, 0, a, 0) }},
		{"short a", func() { Sgemm(false, false, 4, 2, 4, 1, a, 4, a, 2, 0, a, 2) }},
		{"short c", func() { Sgemm(false, false, 2, 8, 2, 1, a, 2, a[:0], 8, 0, a, 8) }},
	})
}

// TestSgemmConcurrent runs several goroutines at once on their own C (and
// shared A and B), as gornn's per-core workers do; run it with -race.
func TestSgemmConcurrent(t *testing.T) {
	inParallel(t, 6, func(w int) string {
		rng := rand.New(rand.NewSource(int64(100 + w)))
		for i := 0; i < 12; i++ {
			tc := gemmCase{
				transA: (w+i)&1 != 0, transB: (w+i)&2 != 0,
				m: 1 + rng.Intn(150), n: 1 + rng.Intn(150), k: 1 + rng.Intn(300),
				alpha: 1, beta: testBetas[i%3], padC: i % 4,
			}
			if msgs := tc.check(rng, []impl{{"Sgemm", Sgemm}}); len(msgs) > 0 {
				return fmt.Sprint(msgs)
			}
		}
		return ""
	})
}

// inParallel runs work(0), ..., work(workers-1) in their own goroutines and
// reports each non-empty message it returns as an error of that worker.
func inParallel(t *testing.T, workers int, work func(w int) string) {
	t.Helper()
	msgs := make([]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			msgs[w] = work(w)
		}()
	}
	wg.Wait()
	for w, msg := range msgs {
		if msg != "" {
			t.Errorf("worker %d: %s", w, msg)
		}
	}
}

// TestSgemmAllocs checks that Sgemm allocates nothing once its packing
// buffers have been created, for a small direct shape and for packed ones.
func TestSgemmAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	for _, s := range benchShapes {
		if s.m*s.n*s.k > 30e6 {
			continue
		}
		a, b, c := shapeOperands(s)
		call := func() {
			Sgemm(s.transA, s.transB, s.m, s.n, s.k, 1, a, s.lda(), b, s.ldb(), 0, c, s.n)
		}
		call()
		if got := testing.AllocsPerRun(20, call); got != 0 {
			t.Errorf("%s: %v allocations per call, want 0", s.name, got)
		}
	}
}

func TestBackend(t *testing.T) {
	got := Backend()
	want := "generic"
	switch {
	case haveOpenBLAS:
		want = "openblas"
	case hasAVX2FMA():
		want = "avx2"
	}
	if got != want {
		t.Errorf("Backend() = %q, want %q", got, want)
	}
	t.Logf("Backend() = %q", got)
}

func TestDgemm(t *testing.T) {
	// op(A) = Aᵀ with A = [[1 2] [3 4] [5 6]] (3×2); op(B) = B = [[1] [2] [3]].
	a := []float64{1, 2, 3, 4, 5, 6}
	b := []float64{1, 2, 3}
	c := []float64{math.NaN(), 10}
	Dgemm(true, false, 2, 1, 3, 2, a, 2, b, 1, 0, c, 1)
	if c[0] != 44 || c[1] != 56 {
		t.Errorf("Dgemm = %v, want [44 56]", c)
	}
	c = []float64{1, 1}
	Dgemm(true, false, 2, 1, 3, 1, a, 2, b, 1, 0.5, c, 1)
	if c[0] != 22.5 || c[1] != 28.5 {
		t.Errorf("Dgemm with beta = %v, want [22.5 28.5]", c)
	}
}
