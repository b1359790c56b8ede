package gemm

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

// packedImpl is one backend under test for SgemmPackedB: its PackB and
// SgemmPackedB, and the Sgemm whose results they must reproduce bit for
// bit.
type packedImpl struct {
	name   string
	pack   func(transB bool, k, n int, b []float32, ldb int, into *PackedB) *PackedB
	packed func(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int)
	sgemm  sgemmFunc
}

// packedImpls lists the public API and every backend of this build.
func packedImpls() []packedImpl {
	with := func(be *backend) packedImpl {
		return packedImpl{
			name: be.name,
			pack: func(transB bool, k, n int, b []float32, ldb int, into *PackedB) *PackedB {
				return packBWith(be, transB, k, n, b, ldb, into)
			},
			packed: func(transA bool, m int, alpha float32, a []float32, lda int, pb *PackedB, beta float32, c []float32, ldc int) {
				sgemmPackedWith(be, transA, m, alpha, a, lda, pb, beta, c, ldc)
			},
			sgemm: func(transA, transB bool, m, n, k int, alpha float32, a []float32, lda int, b []float32, ldb int, beta float32, c []float32, ldc int) {
				checkSgemm(transA, transB, m, n, k, a, lda, b, ldb, c, ldc)
				run(be, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
			},
		}
	}
	list := []packedImpl{{"public", PackB, SgemmPackedB, Sgemm}, with(genericBackend)}
	if native != genericBackend {
		list = append(list, with(native))
	}
	if haveOpenBLAS {
		setOpenBLASThreads(1)
	}
	return list
}

// perStepShapes are the (n, k) of the recurrent layers' per-step products
// for H in {32, 128} and G*H in {32, 96, 128, 384, 512}: forward h·W_hhᵀ is
// m×GH×H, backward dG·W_hh is m×H×GH.
var perStepShapes = [][2]int{
	{32, 32}, {96, 32}, {128, 32}, {128, 128}, {384, 128}, {512, 128},
	{32, 96}, {32, 128}, {128, 384}, {128, 512},
}

// oddShapes cover narrow and padded panels, several depth blocks, several
// column blocks and products that Sgemm computes transposed (n < 8).
var oddShapes = [][2]int{
	{1, 1}, {4, 64}, {7, 300}, {17, 600}, {33, 257}, {15, 5}, {1100, 9},
}

// packedCase is one SgemmPackedB problem, described as for Sgemm.
type packedCase gemmCase

func (tc packedCase) String() string { return gemmCase(tc).String() }

// check runs the case with each implementation and compares
// SgemmPackedB's C with Sgemm's bit for bit, including the padding.
func (tc packedCase) check(rng *rand.Rand, list []packedImpl, pb *PackedB) []string {
	a, b, c0, lda, ldb, ldc := gemmCase(tc).operands(rng)
	want := make([]float32, len(c0))
	got := make([]float32, len(c0))
	var msgs []string
	for _, im := range list {
		copy(want, c0)
		im.sgemm(tc.transA, tc.transB, tc.m, tc.n, tc.k, tc.alpha, a, lda, b, ldb, tc.beta, want, ldc)
		pb = im.pack(tc.transB, tc.k, tc.n, b, ldb, pb)
		if pb.K() != tc.k || pb.N() != tc.n {
			msgs = append(msgs, fmt.Sprintf("%s: %v: PackedB is %d×%d", im.name, tc, pb.K(), pb.N()))
		}
		copy(got, c0)
		im.packed(tc.transA, tc.m, tc.alpha, a, lda, pb, tc.beta, got, ldc)
		for i := range got {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				msgs = append(msgs, fmt.Sprintf("%s: %v: C[%d][%d] = %v, Sgemm gives %v", im.name, tc, i/ldc, i%ldc, got[i], want[i]))
				break
			}
		}
	}
	return msgs
}

// packedCases enumerates every m in 1..70 with every per-step and odd
// shape, cycling through the transposes, alpha, beta and the padding
// (short: fewer m).
func packedCases(short bool) []packedCase {
	alphas := []float32{1, -0.5, 0, 2.5}
	betas := []float32{0, 1, 0.3, -1}
	pads := []int{0, 3, 17}
	var cases []packedCase
	idx := 0
	for m := 1; m <= 70; m++ {
		if short && m > 8 && m != 13 && m != 16 && m != 32 && m != 33 && m != 64 {
			continue
		}
		for _, s := range append(perStepShapes[:len(perStepShapes):len(perStepShapes)], oddShapes...) {
			for t := 0; t < 2; t++ {
				idx++
				tc := packedCase{
					m: m, n: s[0], k: s[1],
					alpha: alphas[idx%4], beta: betas[(idx/4)%4],
					padA: pads[idx%3], padB: pads[(idx/3)%3], padC: pads[(idx/9)%3],
				}
				// Both transposes of B for every shape; A cycles.
				tc.transB = t == 1
				tc.transA = (idx/2+m)%2 == 1
				cases = append(cases, tc)
			}
		}
	}
	return cases
}

func TestSgemmPackedB(t *testing.T) {
	list := packedImpls()
	rng := rand.New(rand.NewSource(7))
	var pb *PackedB // reused (grown and shrunk) across cases
	fails := 0
	for _, tc := range packedCases(testing.Short()) {
		for _, msg := range tc.check(rng, list, pb) {
			t.Error(msg)
			if fails++; fails > 20 {
				t.Fatal("too many failures")
			}
		}
		if pb == nil {
			pb = new(PackedB)
		}
	}
}

// TestSgemmPackedBDegenerate covers empty products and the alpha == 0 and
// k == 0 shortcuts.
func TestSgemmPackedBDegenerate(t *testing.T) {
	list := packedImpls()
	rng := rand.New(rand.NewSource(8))
	for _, tc := range []packedCase{
		{m: 0, n: 5, k: 3, alpha: 1, beta: 0.3},
		{m: 5, n: 0, k: 3, alpha: 1, beta: 0.3},
		{m: 4, n: 5, k: 0, alpha: 1, beta: 0},
		{m: 4, n: 5, k: 0, alpha: 1, beta: 0.3, padC: 2, transB: true},
		{m: 7, n: 17, k: 9, alpha: 0, beta: 0, padC: 1},
		{m: 7, n: 17, k: 9, alpha: 0, beta: -2, transA: true},
	} {
		for _, msg := range tc.check(rng, list, nil) {
			t.Error(msg)
		}
	}
}

// TestPackBCopies checks that a PackedB does not depend on B after PackB.
func TestPackBCopies(t *testing.T) {
	rng := rand.New(rand.NewSource(9))
	const m, n, k = 9, 40, 33
	a := randMatrix(rng, m, k, k)
	b := randMatrix(rng, n, k, k)
	want := make([]float32, m*n)
	Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
	pb := PackB(true, k, n, b, k, nil)
	for i := range b {
		b[i] = float32(math.NaN())
	}
	got := make([]float32, m*n)
	SgemmPackedB(false, m, 1, a, k, pb, 0, got, n)
	for i := range got {
		if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
			t.Fatalf("C[%d] = %v after B changed, want %v", i, got[i], want[i])
		}
	}
}

func TestSgemmPackedBPanics(t *testing.T) {
	x := make([]float32, 64)
	pb := PackB(false, 4, 4, x, 4, nil) // op(B) 4×4
	checkPanics(t, []panicCase{
		{"PackB negative k", func() { PackB(false, -1, 2, x, 2, nil) }},
		{"PackB small ldb", func() { PackB(false, 2, 3, x, 2, nil) }},
		{"PackB small ldb transposed", func() { PackB(true, 3, 2, x, 2, nil) }},
		{"PackB short b", func() { PackB(true, 8, 9, x, 8, nil) }},
		{"nil PackedB", func() { SgemmPackedB(false, 2, 1, x, 4, nil, 0, x, 4) }},
		{"negative m", func() { SgemmPackedB(false, -1, 1, x, 4, pb, 0, x, 4) }},
		{"small lda", func() { SgemmPackedB(false, 2, 1, x, 3, pb, 0, x, 4) }},
		{"small lda transposed", func() { SgemmPackedB(true, 5, 1, x, 4, pb, 0, x, 5) }},
		{"short a", func() { SgemmPackedB(false, 17, 1, x, 4, pb, 0, make([]float32, 68), 4) }},
		{"small ldc", func() { SgemmPackedB(false, 2, 1, x, 4, pb, 0, x, 3) }},
		{"short c", func() { SgemmPackedB(false, 2, 1, x, 4, pb, 0, x[:7], 4) }},
	})
}

// TestSgemmPackedBConcurrent shares one PackedB between goroutines, as the
// workers of a model share its weights; run it with -race.
func TestSgemmPackedBConcurrent(t *testing.T) {
	const workers, k, n = 6, 128, 384
	rng := rand.New(rand.NewSource(10))
	b := randMatrix(rng, n, k, k)
	pb := PackB(true, k, n, b, k, nil)
	inParallel(t, workers, func(w int) string {
		rng := rand.New(rand.NewSource(int64(200 + w)))
		for i := 0; i < 10; i++ {
			m := 1 + rng.Intn(64)
			a := randMatrix(rng, m, k, k)
			want := make([]float32, m*n)
			got := make([]float32, m*n)
			Sgemm(false, true, m, n, k, 1, a, k, b, k, 0, want, n)
			SgemmPackedB(false, m, 1, a, k, pb, 0, got, n)
			for j := range got {
				if math.Float32bits(got[j]) != math.Float32bits(want[j]) {
					return fmt.Sprintf("m=%d: C[%d] = %v, want %v", m, j, got[j], want[j])
				}
			}
		}
		return ""
	})
}

// TestSgemmPackedBAllocs checks that repacking into a PackedB and the
// products with it allocate nothing in steady state.
func TestSgemmPackedBAllocs(t *testing.T) {
	if raceEnabled {
		t.Skip("sync.Pool drops objects under the race detector")
	}
	for _, s := range perStepShapes {
		n, k := s[0], s[1]
		for _, m := range []int{1, 7, 16, 33, 64} {
			rng := rand.New(rand.NewSource(11))
			a := randMatrix(rng, m, k, k)
			b := randMatrix(rng, n, k, k)
			c := make([]float32, m*n)
			pb := PackB(true, k, n, b, k, nil)
			call := func() {
				PackB(true, k, n, b, k, pb)
				SgemmPackedB(false, m, 1, a, k, pb, 1, c, n)
			}
			call()
			if got := testing.AllocsPerRun(10, call); got != 0 {
				t.Errorf("m=%d n=%d k=%d: %v allocations per call, want 0", m, n, k, got)
			}
		}
	}
}

// TestTileRows checks that the row tiles of a block cover it exactly.
func TestTileRows(t *testing.T) {
	for _, split := range []bool{false, true} {
		for mc := 1; mc <= 2*mcMax; mc++ {
			var tiles []int
			for ir, h := 0, 0; ir < mc; ir += h {
				h = tileRows(mc-ir, split)
				if h < 1 || h > mr || h > mc-ir {
					t.Fatalf("split=%v mc=%d: tile of %d rows at %d", split, mc, h, ir)
				}
				tiles = append(tiles, h)
			}
			if !split && len(tiles) != ceilDiv(mc, mr) {
				t.Errorf("mc=%d: tiles %v", mc, tiles)
			}
			if split && mc > mr && mc%mr == 2 && tiles[len(tiles)-1] != 4 {
				t.Errorf("split mc=%d: tiles %v, want 4+4 at the end", mc, tiles)
			}
		}
	}
}

// TestPackedBSetMemory checks that PackB packs into memory given by
// SetMemory when it is large enough, without allocating, and that the
// result is still that of Sgemm.
func TestPackedBSetMemory(t *testing.T) {
	rng := rand.New(rand.NewSource(12))
	for _, s := range append(perStepShapes, oddShapes...) {
		n, k := s[0], s[1]
		for _, transB := range []bool{false, true} {
			br, bc := storedDims(transB, k, n)
			b := randMatrix(rng, br, bc, bc)
			a := randMatrix(rng, 5, k, k)
			want := make([]float32, 5*n)
			got := make([]float32, 5*n)
			Sgemm(false, transB, 5, n, k, 1, a, k, b, bc, 0, want, n)
			buf := make([]float32, PackedBLen(k, n))
			var pb PackedB
			allocs := testing.AllocsPerRun(5, func() {
				pb.SetMemory(buf)
				PackB(transB, k, n, b, bc, &pb)
			})
			if allocs != 0 && !raceEnabled {
				t.Errorf("n=%d k=%d: PackB allocates %v times with SetMemory", n, k, allocs)
			}
			if &pb.raw[0] != &buf[0] || cap(pb.raw) != cap(buf) {
				t.Errorf("n=%d k=%d: PackB did not pack into the given memory", n, k)
			}
			SgemmPackedB(false, 5, 1, a, k, &pb, 0, got, n)
			for i := range got {
				if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
					t.Fatalf("n=%d k=%d transB=%v: C[%d] = %v, want %v", n, k, transB, i, got[i], want[i])
				}
			}
			// (The openblas build needs less: op(B) unpadded.)
			pb.SetMemory(buf[:PackedBLen(k, n)-1])
			if PackB(transB, k, n, b, bc, &pb); !haveOpenBLAS && &pb.raw[0] == &buf[0] {
				t.Errorf("n=%d k=%d: PackB packed into too small a buffer", n, k)
			}
			pb.SetMemory(nil)
			if pb.raw != nil || pb.K() != 0 || pb.N() != 0 {
				t.Errorf("SetMemory(nil) left %+v", pb)
			}
		}
	}
}

// TestSgemmRowsIndependent checks that each row of C comes out the same,
// bit for bit, whatever the other rows of the product: computing a few
// rows alone (which takes the thin kernels for one or two rows, or other
// tile heights) gives the rows of the whole product. SgemmPackedB's
// bit-identity with Sgemm, and the fused kernels' results for a row
// whatever the batch, rest on this. OpenBLAS does not promise it, so with
// the openblas tag Sgemm is left out and gornn's own kernels are checked.
func TestSgemmRowsIndependent(t *testing.T) {
	rng := rand.New(rand.NewSource(13))
	variants := []impl{{"generic", sgemmGeneric}}
	if Backend() != "openblas" {
		variants = append(variants, impl{"Sgemm", Sgemm})
	}
	if native != genericBackend {
		variants = append(variants, impl{"native/packA", withPlan(native, true, false)})
	}
	const rows = 22
	ks := []int{1, 5, 32, 128, 300}
	ns := []int{1, 4, 16, 32, 47, 64, 128, 200}
	if testing.Short() {
		ks, ns = []int{5, 128}, []int{4, 47, 128}
	}
	idx := 0
	for _, k := range ks {
		for _, n := range ns {
			idx++
			transA, transB := idx%2 == 1, (idx/2)%2 == 1
			alpha := []float32{1, -0.5}[idx%2]
			beta := []float32{0, 1, 0.3}[idx%3]
			ar, ac := storedDims(transA, rows, k)
			br, bc := storedDims(transB, k, n)
			lda, ldb, ldc := ac+1, bc+2, n+3
			a := randMatrix(rng, ar, ac, lda)
			b := randMatrix(rng, br, bc, ldb)
			c0 := randMatrix(rng, rows, n, ldc)
			for _, v := range variants {
				whole := append([]float32(nil), c0...)
				v.fn(transA, transB, rows, n, k, alpha, a, lda, b, ldb, beta, whole, ldc)
				for _, mm := range []int{1, 2, 3, 7, 8, 16} {
					for r0 := 0; r0+mm <= rows; r0 += 3 {
						part := append([]float32(nil), c0...)
						var ap []float32
						if transA {
							ap = a[r0:]
						} else {
							ap = a[r0*lda:]
						}
						v.fn(transA, transB, mm, n, k, alpha, ap, lda, b, ldb, beta, part[r0*ldc:], ldc)
						for i := r0 * ldc; i < (r0+mm)*ldc-3; i++ {
							if math.Float32bits(part[i]) != math.Float32bits(whole[i]) {
								t.Fatalf("%s: %s%s k=%d n=%d alpha=%g beta=%g: rows %d..%d alone: C[%d][%d] = %v, in the whole product %v",
									v.name, opName(transA), opName(transB),
									k, n, alpha, beta, r0, r0+mm-1, i/ldc, i%ldc, part[i], whole[i])
							}
						}
					}
				}
			}
		}
	}
}
