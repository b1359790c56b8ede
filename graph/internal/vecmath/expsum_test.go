package vecmath

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

// expSumReference is ExpSum32 as its doc comment states it, written apart
// from the kernels on Exp32's elements: the differences (quietNaN where
// NaN), their exponentials, each lane summed with a stride of 8 over the
// full blocks, the lanes pairwise, then the tail in order.
func expSumReference(x []float32, shift float32) ([]float32, float32) {
	e := make([]float32, len(x))
	for i, v := range x {
		e[i] = v - shift
		if e[i] != e[i] {
			e[i] = math.Float32frombits(quietNaN)
		}
	}
	generic.exp(e)
	n := len(e) &^ 7
	var lane [8]float32
	for j := range lane {
		for i := j; i < n; i += 8 {
			lane[j] += e[i]
		}
	}
	sum := ((lane[0] + lane[4]) + (lane[2] + lane[6])) + ((lane[1] + lane[5]) + (lane[3] + lane[7]))
	for _, v := range e[n:] {
		sum += v
	}
	if sum != sum {
		sum = math.Float32frombits(quietNaN)
	}
	return e, sum
}

// logits fills x with N(0, sigma²) values, as a softmax row, and returns
// their maximum.
func logits(rng *rand.Rand, x []float32, sigma float64) float32 {
	for i := range x {
		x[i] = float32(sigma * rng.NormFloat64())
	}
	if len(x) == 0 {
		return 0
	}
	return slices.Max(x)
}

// expSumInputs are TestExpSumAgree's kinds of rows: softmax logits shifted
// by their maximum, and the special-laden mix of randomFloat32 with a
// shift drawn the same way.
var expSumInputs = []struct {
	name string
	fill func(rng *rand.Rand, x []float32) (shift float32)
}{
	{"logits", func(rng *rand.Rand, x []float32) float32 { return logits(rng, x, 5) }},
	{"mixed", func(rng *rand.Rand, x []float32) float32 {
		for i := range x {
			x[i] = randomFloat32(rng)
		}
		return randomFloat32(rng)
	}},
}

// TestExpSumAgree checks every backend's ExpSum32 against
// expSumReference, bit for bit, elements and sum, for every length 0..70
// and softmax-sized ones at every start offset 0..7 in a guarded buffer.
// Backends that agree with the reference agree with each other.
func TestExpSumAgree(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	const guard = 8
	lengths := []int{1000, 20000, 20007, 30001}
	for n := 70; n >= 0; n-- {
		lengths = append([]int{n}, lengths...)
	}
	for _, in := range expSumInputs {
		for _, k := range backends() {
			t.Run(in.name+"/"+k.name, func(t *testing.T) {
				nans := 0
				for _, n := range lengths {
					for off := range 8 {
						buf := make([]float32, off+n+guard)
						for i := range buf {
							buf[i] = randomFloat32(rng)
						}
						shift := in.fill(rng, buf[off:off+n])
						before := slices.Clone(buf)
						want, wantSum := expSumReference(buf[off:off+n], shift)
						sum := k.expSum(buf[off:off+n], shift)
						if i, ok := sameBits(buf[off:off+n], want); !ok {
							t.Fatalf("n=%d off=%d shift=%v: e^(%v - shift) = %#08x, reference %#08x", n, off, shift, before[off+i], math.Float32bits(buf[off+i]), math.Float32bits(want[i]))
						}
						if math.Float32bits(sum) != math.Float32bits(wantSum) {
							t.Fatalf("n=%d off=%d shift=%v: sum %v (%#08x), reference %v (%#08x)", n, off, shift, sum, math.Float32bits(sum), wantSum, math.Float32bits(wantSum))
						}
						if i, ok := sameBits(buf[:off], before[:off]); !ok {
							t.Fatalf("n=%d off=%d: wrote before the slice at %d", n, off, i)
						}
						if i, ok := sameBits(buf[off+n:], before[off+n:]); !ok {
							t.Fatalf("n=%d off=%d: wrote past the slice at %d", n, off, off+n+i)
						}
						if sum != sum {
							nans++
						}
					}
				}
				t.Logf("%d rows bit-identical, %d of them with a NaN sum", len(lengths)*8, nans)
			})
		}
	}
}

// TestExpSumAccuracy checks the sum of softmax-like rows (V = 20000, the
// maximum as shift) against float64 math on the same float32 differences.
// The bound is that of the documented order: recursive summation of
// positive terms, each through at most V/8 + 9 roundings of 2^-24, plus
// the 1 ulp (2^-23 relative) of each term.
func TestExpSumAccuracy(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	const v = 20000
	x := make([]float32, v)
	for _, sigma := range []float64{0.1, 1, 4, 16} {
		for _, k := range backends() {
			shift := logits(rng, x, sigma)
			want := 0.0
			for _, xi := range x {
				want += math.Exp(float64(xi - shift))
			}
			got := k.expSum(x, shift)
			rel := math.Abs(float64(got)-want) / want
			if bound := float64(v/8+10)/(1<<24) + 1.0/(1<<23); rel > bound {
				t.Errorf("sigma=%g/%s: sum %v, float64 %v: relative error %.3g, want at most %.3g", sigma, k.name, got, want, rel, bound)
			}
			t.Logf("sigma=%g/%s: sum %v, relative error %.3g (%.1f·2^-24)", sigma, k.name, got, rel, rel*(1<<24))
		}
	}
}

// TestExpSumSpecialValues pins the documented results at the edges:
// elements and sum, bit for bit.
func TestExpSumSpecialValues(t *testing.T) {
	inf := float32(math.Inf(1))
	qnan := math.Float32frombits(quietNaN)
	payload := math.Float32frombits(0x7fa00001) // a signalling NaN
	tests := []struct {
		name  string
		x     []float32
		shift float32
		want  []float32
		sum   float32
	}{
		{"empty", nil, 3, nil, 0},
		{"max is 1", []float32{2, 1, 0}, 2, []float32{1, 0.36787945, 0.13533528}, 1.5032147},
		{"masked -Inf logits", []float32{-inf, 0, -inf}, 0, []float32{0, 1, 0}, 1},
		{"underflow", []float32{-100, 0}, 0, []float32{0, 1}, 1},
		{"overflow", []float32{100, 0}, 0, []float32{inf, 1}, inf},
		{"shift -Inf", []float32{1, 2}, -inf, []float32{inf, inf}, inf},
		{"Inf - Inf", []float32{inf, 1}, inf, []float32{qnan, 0}, qnan},
		{"NaN shift", []float32{1, 2}, qnan, []float32{qnan, qnan}, qnan},
		{"NaN payload dropped", []float32{payload, 0}, 0, []float32{qnan, 1}, qnan},
		{"9 ones", []float32{0, 0, 0, 0, 0, 0, 0, 0, 0}, 0, []float32{1, 1, 1, 1, 1, 1, 1, 1, 1}, 9},
	}
	for _, tt := range tests {
		for _, k := range backends() {
			x := slices.Clone(tt.x)
			sum := k.expSum(x, tt.shift)
			if i, ok := sameBits(x, tt.want); !ok {
				t.Errorf("%s/%s: x[%d] = %v (%#08x), want %v (%#08x)", tt.name, k.name, i, x[i], math.Float32bits(x[i]), tt.want[i], math.Float32bits(tt.want[i]))
			}
			if math.Float32bits(sum) != math.Float32bits(tt.sum) {
				t.Errorf("%s/%s: sum %v (%#08x), want %v (%#08x)", tt.name, k.name, sum, math.Float32bits(sum), tt.sum, math.Float32bits(tt.sum))
			}
		}
	}
}

// expGoldenHash hashes Exp32 over 2^20 values evenly spread over
// [-100, 100), and ExpSum32 over the same values in rows of 997 (124
// blocks and a tail of 5), each shifted by its last value: elements and
// sums.
func expGoldenHash(k *kernels) string {
	x := make([]float32, 1<<20)
	for i := range x {
		x[i] = float32(-100 + 200*float64(i)/float64(len(x)))
	}
	y := slices.Clone(x)
	k.exp(x)
	var sums []float32
	for row := range slices.Chunk(y, 997) {
		sums = append(sums, k.expSum(row, row[len(row)-1]))
	}
	return hashFloats(x, y, sums)
}

// TestGoldenExp pins Exp32's and ExpSum32's bits as first written, on
// every architecture and build: changing them is a decision, not a side
// effect.
func TestGoldenExp(t *testing.T) {
	const want = "ccb1d55d0a93db8e"
	for _, k := range backends() {
		if got := expGoldenHash(k); got != want {
			t.Errorf("%s: hash %s, want %s", k.name, got, want)
		}
	}
}
