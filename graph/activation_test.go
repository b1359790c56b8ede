package graph

import (
	"math"
	"testing"
)

// TestFloat32Activations checks the float32 sigmoid and tanh against
// float64 math over a dense sweep: errors of a few float32 ulps at most
// (absolute 1e-7 where the value is tiny).
func TestFloat32Activations(t *testing.T) {
	cases := []struct {
		name   string
		apply  func([]float32)
		want   func(float64) float64
		lo, hi float64
	}{
		{"sigmoid", sigmoids[float32], func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }, -120, 120},
		{"tanh", tanhs[float32], math.Tanh, -20, 20},
	}
	const n = 400001
	for _, c := range cases {
		xs := make([]float32, n)
		for i := range xs {
			xs[i] = float32(c.lo + (c.hi-c.lo)*float64(i)/(n-1))
		}
		got := append([]float32(nil), xs...)
		c.apply(got)
		worst, at := 0.0, 0.0
		for i, x := range xs {
			want := c.want(float64(x))
			ulp := math.Abs(float64(math.Nextafter32(float32(want), float32(math.Inf(1))) - float32(want)))
			err := math.Abs(float64(got[i])-want) / math.Max(ulp, 1e-7)
			if err > worst {
				worst, at = err, float64(x)
			}
		}
		if worst > 4 {
			t.Errorf("%s: error %.1f ulps at x = %g, want at most 4", c.name, worst, at)
		}
		special := []float32{float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 0}
		out := append([]float32(nil), special...)
		c.apply(out)
		if out[0] == out[0] {
			t.Errorf("%s(NaN) = %v, want NaN", c.name, out[0])
		}
		for i, x := range special[1:] {
			if want := float32(c.want(float64(x))); out[i+1] != want {
				t.Errorf("%s(%v) = %v, want %v", c.name, x, out[i+1], want)
			}
		}
	}
}
