package vecmath

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
)

var exhaustive = flag.Bool("exhaustive", false, "compare the backends on all 2^32 float32 inputs")

// backends lists the implementations to check against generic.
func backends() []*kernels {
	if native == generic {
		return []*kernels{generic}
	}
	return []*kernels{generic, native}
}

// functions lists the package's functions by name, with their kernels.
var functions = []struct {
	name string
	get  func(*kernels) func([]float32)
	want func(float64) float64
}{
	{"sigmoid", func(k *kernels) func([]float32) { return k.sigmoid }, func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }},
	{"tanh", func(k *kernels) func([]float32) { return k.tanh }, math.Tanh},
	{"exp", func(k *kernels) func([]float32) { return k.exp }, math.Exp},
}

// special holds the values the kernels treat apart: NaNs of both signs
// and several payloads (signalling included), infinities, signed zeros,
// subnormals, the clamp boundaries and their neighbours, huge values.
var special = func() []float32 {
	bits := []uint32{
		0x7fc00000, 0xffc00000, 0x7fc00001, 0x7fa00000, 0xff800001, 0x7fffffff, // NaNs
		0x7f800000, 0xff800000, // ±Inf
		0x00000000, 0x80000000, // ±0
		0x00000001, 0x80000001, 0x007fffff, 0x807fffff, 0x00400000, // subnormals
		0x00800000, 0x80800000, // smallest normals
		0x7f7fffff, 0xff7fffff, // ±MaxFloat32
	}
	out := make([]float32, 0, 64)
	for _, b := range bits {
		out = append(out, math.Float32frombits(b))
	}
	for _, v := range []float32{88, 87, 10, 20, 1e-4, 1e-8, 0.5, 1, 2, 44, 9.01, 89, 88.3762665, 87.6831284, 87.3365402} {
		for _, w := range []float32{v, math.Nextafter32(v, 0), math.Nextafter32(v, 200)} {
			out = append(out, w, -w)
		}
	}
	return out
}()

// randomFloat32 draws from a mix: special values, uniform values over the
// interesting range, values of any magnitude, and arbitrary bit patterns.
func randomFloat32(rng *rand.Rand) float32 {
	switch rng.IntN(8) {
	case 0:
		return special[rng.IntN(len(special))]
	case 1:
		return math.Float32frombits(rng.Uint32())
	case 2:
		return float32(math.Ldexp(rng.NormFloat64(), rng.IntN(300)-150))
	default:
		return float32(200*rng.Float64() - 100)
	}
}

// sameBits reports the first index where a and b differ in their bits.
func sameBits(a, b []float32) (int, bool) {
	for i := range a {
		if math.Float32bits(a[i]) != math.Float32bits(b[i]) {
			return i, false
		}
	}
	return 0, true
}

// TestBackendsAgree runs each backend on the same inputs as generic, for
// every length 0..70 at every start offset 0..7 in a guarded buffer, and
// checks the bits: equal results, untouched guards.
func TestBackendsAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	const guard = 8
	for _, f := range functions {
		for _, k := range backends() {
			t.Run(f.name+"/"+k.name, func(t *testing.T) {
				count := 0
				for n := 0; n <= 70; n++ {
					for off := 0; off < 8; off++ {
						for range 4 {
							buf := make([]float32, off+n+guard)
							for i := range buf {
								buf[i] = randomFloat32(rng)
							}
							in := append([]float32(nil), buf...)
							want := append([]float32(nil), in[off:off+n]...)
							f.get(generic)(want)
							f.get(k)(buf[off : off+n])
							if i, ok := sameBits(buf[off:off+n], want); !ok {
								t.Fatalf("n=%d off=%d: %s(%v) = %v (%#08x), generic %v (%#08x)", n, off, f.name, in[off+i], buf[off+i], math.Float32bits(buf[off+i]), want[i], math.Float32bits(want[i]))
							}
							if i, ok := sameBits(buf[:off], in[:off]); !ok {
								t.Fatalf("n=%d off=%d: wrote before the slice at %d", n, off, i)
							}
							if i, ok := sameBits(buf[off+n:], in[off+n:]); !ok {
								t.Fatalf("n=%d off=%d: wrote past the slice at %d", n, off, off+n+i)
							}
							count += n
						}
					}
				}
				t.Logf("%d values bit-identical", count)
			})
		}
	}
}

// TestBackendsAgreeRandom is a fuzz-style comparison with fixed seeds:
// long random slices, arbitrary bit patterns included.
func TestBackendsAgreeRandom(t *testing.T) {
	n := 1 << 20
	if testing.Short() {
		n = 1 << 14
	}
	for _, f := range functions {
		for _, k := range backends() {
			for seed := range uint64(4) {
				rng := rand.New(rand.NewPCG(seed, 99))
				x := make([]float32, n+int(seed))
				for i := range x {
					x[i] = randomFloat32(rng)
				}
				in := append([]float32(nil), x...)
				want := append([]float32(nil), x...)
				f.get(generic)(want[seed:]) // want[:seed] stays as it was
				f.get(k)(x[seed:])
				if i, ok := sameBits(x, want); !ok {
					t.Fatalf("%s/%s seed %d: at %d, %s(%v) = %#08x, generic %#08x", f.name, k.name, seed, i, f.name, in[i], math.Float32bits(x[i]), math.Float32bits(want[i]))
				}
			}
		}
	}
}

// accuracy is each function's bound in TestAccuracy: at most maxULP
// float32 ulps over [lo, hi], errors measured in units of max(ulp, floor).
// Sigmoid and tanh have the bound graph's tests set, 4 ulps, absolute 1e-7
// where the value is tiny; exp has 1 ulp wherever its result is a normal
// float32, from the smallest x giving one to the largest below overflow.
var accuracy = map[string]struct{ lo, hi, floor, maxULP float64 }{
	"sigmoid": {-120, 120, 1e-7, 4},
	"tanh":    {-20, 20, 1e-7, 4},
	"exp":     {-87.3365402, 88.3762589, 0, 1},
}

// ulpError returns |got - want| in float32 ulps of want, or in units of
// floor where that is larger.
func ulpError(got float32, want, floor float64) float64 {
	ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want)))
	return math.Abs(float64(got)-want) / math.Max(ulp, floor)
}

// TestAccuracy checks every backend against float64 math over a dense
// sweep, with the bounds of accuracy.
func TestAccuracy(t *testing.T) {
	const n = 400001
	for _, f := range functions {
		for _, k := range backends() {
			bound := accuracy[f.name]
			lo, hi := bound.lo, bound.hi
			xs := make([]float32, n)
			for i := range xs {
				xs[i] = float32(lo + (hi-lo)*float64(i)/(n-1))
			}
			got := append([]float32(nil), xs...)
			f.get(k)(got)
			worst, at := 0.0, 0.0
			for i, x := range xs {
				if err := ulpError(got[i], f.want(float64(x)), bound.floor); err > worst {
					worst, at = err, float64(x)
				}
			}
			if worst > bound.maxULP {
				t.Errorf("%s/%s: error %.1f ulps at x = %g, want at most %g", f.name, k.name, worst, at, bound.maxULP)
			}
			t.Logf("%s/%s: max error %.2f ulps at x = %g", f.name, k.name, worst, at)
		}
	}
}

// TestSpecialValues pins the documented results at the edges.
func TestSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	negZero := math.Float32frombits(0x80000000)
	tests := []struct {
		name string
		x    float32
		want float32
	}{
		{"sigmoid", 0, 0.5},
		{"sigmoid", negZero, 0.5},
		{"sigmoid", inf, 1},
		{"sigmoid", -inf, 0},
		{"sigmoid", -88.00001, 0},
		{"sigmoid", 100, 1},
		{"tanh", 0, 0},
		{"tanh", negZero, negZero},
		{"tanh", inf, 1},
		{"tanh", -inf, -1},
		{"tanh", 10, 1},
		{"tanh", -1e30, -1},
		{"tanh", 1e-40, 1e-40}, // subnormal: tanh x = x
		{"exp", 0, 1},
		{"exp", negZero, 1},
		{"exp", 1, 2.7182817},
		{"exp", inf, inf},
		{"exp", -inf, 0},
		{"exp", 88.3762589, 2.40614363e+38},  // the largest finite result
		{"exp", 88.3762665, inf},             // the next float32: n = 128
		{"exp", -87.6831207, 8.31198121e-39}, // the smallest nonzero result, subnormal
		{"exp", -87.6831284, 0},              // the next float32 down: n = -127
		{"exp", math.MaxFloat32, inf},
		{"exp", -math.MaxFloat32, 0},
		{"exp", math.SmallestNonzeroFloat32, 1},
		{"exp", -87.3365402, 1.1754997e-38}, // the smallest x with a normal result
	}
	for _, tt := range tests {
		for _, k := range backends() {
			for _, f := range functions {
				if f.name != tt.name {
					continue
				}
				x := []float32{tt.x}
				f.get(k)(x)
				if math.Float32bits(x[0]) != math.Float32bits(tt.want) {
					t.Errorf("%s/%s(%v) = %v, want %v", tt.name, k.name, tt.x, x[0], tt.want)
				}
			}
		}
	}
	// NaNs pass through with their bits.
	for _, b := range []uint32{0x7fc00000, 0xffc00000, 0x7fa00001, 0xff812345} {
		for _, k := range backends() {
			for _, f := range functions {
				x := []float32{math.Float32frombits(b)}
				f.get(k)(x)
				if got := math.Float32bits(x[0]); got != b {
					t.Errorf("%s/%s(NaN %#08x) = %#08x", f.name, k.name, b, got)
				}
			}
		}
	}
}

// goldenHash hashes the results of both functions over 2^20 values evenly
// spread over [-30, 30).
func goldenHash(k *kernels) string {
	x := make([]float32, 1<<20)
	for i := range x {
		x[i] = float32(-30 + 60*float64(i)/float64(len(x)))
	}
	y := append([]float32(nil), x...)
	k.sigmoid(x)
	k.tanh(y)
	return hashFloats(x, y)
}

// hashFloats returns the first 8 bytes of the SHA-256 of the slices'
// bits, little-endian, in hex.
func hashFloats(slices ...[]float32) string {
	h := sha256.New()
	var b [4]byte
	for _, s := range slices {
		for _, v := range s {
			binary.LittleEndian.PutUint32(b[:], math.Float32bits(v))
			h.Write(b[:])
		}
	}
	return hex.EncodeToString(h.Sum(nil)[:8])
}

// TestGolden pins the results to those of gornn's scalar float32
// activations as first written (graph/activation.go before vecmath, built
// for amd64 without FMA contraction): the same weights on every machine
// and build, on every architecture and with GOAMD64=v3 too.
func TestGolden(t *testing.T) {
	const want = "5a30f95195f7374e"
	for _, k := range backends() {
		if got := goldenHash(k); got != want {
			t.Errorf("%s: hash %s, want %s", k.name, got, want)
		}
	}
}

// TestExhaustive compares native with generic on every float32 input; it
// takes a minute and runs with -exhaustive only.
func TestExhaustive(t *testing.T) {
	if !*exhaustive {
		t.Skip("run with -exhaustive")
	}
	if native == generic {
		t.Skip("no other backend than generic")
	}
	const chunk = 1 << 16
	for _, f := range functions {
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			bad  []string
			next = make(chan uint32)
		)
		for range runtime.GOMAXPROCS(0) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				x := make([]float32, chunk)
				y := make([]float32, chunk)
				for start := range next {
					for i := range x {
						x[i] = math.Float32frombits(start + uint32(i))
					}
					copy(y, x)
					f.get(generic)(x)
					f.get(native)(y)
					if i, ok := sameBits(x, y); !ok {
						mu.Lock()
						bad = append(bad, fmt.Sprintf("%s(%#08x): generic %#08x, %s %#08x", f.name, start+uint32(i), math.Float32bits(x[i]), native.name, math.Float32bits(y[i])))
						mu.Unlock()
					}
				}
			}()
		}
		for hi := uint64(0); hi < 1<<32; hi += chunk {
			next <- uint32(hi)
		}
		close(next)
		wg.Wait()
		for _, b := range bad {
			t.Error(b)
		}
		t.Logf("%s: all 2^32 inputs compared, %d chunks differ", f.name, len(bad))
	}
}

// TestExpAccuracyExhaustive measures Exp32 against math.Exp on every
// float32 input whose result is normal, the range of accuracy["exp"]; it
// runs with -exhaustive only.
func TestExpAccuracyExhaustive(t *testing.T) {
	if !*exhaustive {
		t.Skip("run with -exhaustive")
	}
	bound := accuracy["exp"]
	lo, hi := float32(bound.lo), float32(bound.hi)
	type result struct{ worst, at float64 }
	const chunk = 1 << 16
	var (
		wg      sync.WaitGroup
		results = make(chan result, runtime.GOMAXPROCS(0))
		next    = make(chan uint32)
	)
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var r result
			x := make([]float32, chunk)
			for start := range next {
				for i := range x {
					x[i] = math.Float32frombits(start + uint32(i))
				}
				in := append([]float32(nil), x...)
				native.exp(x)
				for i, v := range in {
					if v < lo || v > hi {
						continue
					}
					if err := ulpError(x[i], math.Exp(float64(v)), 0); err > r.worst {
						r = result{err, float64(v)}
					}
				}
			}
			results <- r
		}()
	}
	// The positive inputs up to hi, then the negative ones down to lo.
	for _, end := range []float32{hi, lo} {
		first := math.Float32bits(end) &^ (chunk - 1) & signBit
		for start := uint64(first); start <= uint64(math.Float32bits(end)); start += chunk {
			next <- uint32(start)
		}
	}
	close(next)
	wg.Wait()
	close(results)
	var worst result
	for r := range results {
		if r.worst > worst.worst {
			worst = r
		}
	}
	if worst.worst > bound.maxULP {
		t.Errorf("%s: error %.2f ulps at x = %g, want at most %g", native.name, worst.worst, worst.at, bound.maxULP)
	}
	t.Logf("%s: max error %.3f ulps at x = %.9g over every float32 in [%.9g, %.9g]", native.name, worst.worst, worst.at, lo, hi)
}

func TestBackend(t *testing.T) {
	want := "generic"
	if hasAVX2FMA() {
		want = "avx2"
	}
	if got := Backend(); got != want {
		t.Errorf("Backend() = %q, want %q", got, want)
	}
	t.Logf("Backend() = %q", Backend())
}

func TestAllocs(t *testing.T) {
	x := make([]float32, 77)
	for _, k := range backends() {
		calls := map[string]func(){"expSum": func() { k.expSum(x, 0) }}
		for _, f := range functions {
			fn := f.get(k)
			calls[f.name] = func() { fn(x) }
		}
		for name, call := range calls {
			if got := testing.AllocsPerRun(50, call); got != 0 {
				t.Errorf("%s/%s: %v allocations per call, want 0", name, k.name, got)
			}
		}
	}
}
