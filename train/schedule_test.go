package train

import (
	"math"
	"strings"
	"testing"
)

// scheduleTol is the tolerance against PyTorch's schedules, whose cosine is
// computed recursively (each rate from the previous one) rather than in
// closed form, so the two differ by rounding.
const scheduleTol = 1e-12

func TestSchedulesMatchPyTorch(t *testing.T) {
	for _, c := range loadFixtures(t).Schedules {
		t.Run(c.Name, func(t *testing.T) {
			s, err := ParseSchedule(c.Spec)
			if err != nil {
				t.Fatal(err)
			}
			worst := 0.0
			for step, want := range c.LRs {
				got := s.LR(c.Base, step, c.StepsPerEpoch, c.TotalSteps)
				if math.Abs(got-want) > scheduleTol {
					t.Errorf("step %d: lr %v, want %v", step, got, want)
				}
				worst = max(worst, math.Abs(got-want))
			}
			t.Logf("max |error| %.3g over %d steps", worst, len(c.LRs))
		})
	}
}

func TestScheduleValues(t *testing.T) {
	const base = 0.1
	tests := []struct {
		spec          string
		stepsPerEpoch int
		totalSteps    int
		steps         []int
		want          []float64
	}{
		{"", 10, 100, []int{0, 50, 99}, []float64{0.1, 0.1, 0.1}},
		{"constant", 10, 100, []int{0, 99}, []float64{0.1, 0.1}},
		// 9 epochs: by default decays after epochs 3 and 6.
		{"step", 10, 90, []int{0, 29, 30, 59, 60, 89}, []float64{0.1, 0.1, 0.01, 0.01, 0.001, 0.001}},
		{"step:every=1,gamma=0.5", 4, 20, []int{0, 3, 4, 8, 19}, []float64{0.1, 0.1, 0.05, 0.025, 0.00625}},
		{"cosine", 10, 100, []int{0, 50, 100, 120}, []float64{0.1, 0.05, 0, 0}},
		// Default warm-up: a tenth of 100 steps.
		{"warmup", 10, 100, []int{0, 4, 9, 10, 99}, []float64{0.01, 0.05, 0.1, 0.1, 0.1}},
		{"warmup:warmup=4", 10, 100, []int{0, 3, 4}, []float64{0.025, 0.1, 0.1}},
		{"warmup:warmup=0.5", 10, 10, []int{0, 4, 5}, []float64{0.02, 0.1, 0.1}},
		{"warmup_cosine:warmup=10", 10, 110, []int{0, 9, 10, 60, 110}, []float64{0.01, 0.1, 0.1, 0.05, 0}},
		// Degenerate runs do not divide by zero.
		{"warmup_cosine", 0, 0, []int{0}, []float64{0.1}},
		{"step", 0, 0, []int{0, 5}, []float64{0.1, 1e-6}}, // every step an epoch, decayed each
	}
	for _, tt := range tests {
		s, err := ParseSchedule(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		for i, step := range tt.steps {
			if got := s.LR(base, step, tt.stepsPerEpoch, tt.totalSteps); math.Abs(got-tt.want[i]) > 1e-15 {
				t.Errorf("%q: LR(step %d) = %v, want %v", tt.spec, step, got, tt.want[i])
			}
		}
	}
}

func TestParseSchedule(t *testing.T) {
	good := []struct{ spec, str string }{
		{"", "constant"},
		{"step", "step"},
		{" step:every=2, gamma=0.5 ", "step:every=2,gamma=0.5"},
		{"cosine", "cosine"},
		{"warmup:warmup=0.05", "warmup:warmup=0.05"},
		{"warmup_cosine:warmup=200", "warmup_cosine:warmup=200"},
		{"plateau", "plateau"},
		{"plateau:factor=2", "plateau:factor=2"},
	}
	for _, g := range good {
		s, err := ParseSchedule(g.spec)
		if err != nil {
			t.Errorf("ParseSchedule(%q): %v", g.spec, err)
			continue
		}
		if s.String() != g.str {
			t.Errorf("ParseSchedule(%q).String() = %q, want %q", g.spec, s.String(), g.str)
		}
		if again, err := ParseSchedule(s.String()); err != nil || again != s {
			t.Errorf("ParseSchedule(%q) = %v, %v; want %v", s.String(), again, err, s)
		}
	}
	bad := []struct{ spec, want string }{
		{"linear", `unknown schedule "linear"`},
		{"cosine:warmup=3", `unknown option "warmup"`},
		{"step:gamma", "not key=number"},
		{"step:gamma=x", "not key=number"},
		{"step:every=1.5", "whole number of epochs"},
		{"step:gamma=-1", "gamma not negative"},
		{"warmup:warmup=2.5", "whole number of steps"},
		{"warmup:warmup=-0.1", "whole number of steps"},
		{"warmup:warmup=NaN", "not key=number"},
		{"plateau:factor=1", "factor must be above 1"},
		{"plateau:every=2", `unknown option "every"`},
	}
	for _, b := range bad {
		if _, err := ParseSchedule(b.spec); err == nil || !strings.Contains(err.Error(), b.want) {
			t.Errorf("ParseSchedule(%q) error %v, want one containing %q", b.spec, err, b.want)
		}
	}
}

// TestPlateauDecay checks the word_language_model rule, lr /= 4 at each
// epoch without improvement, and another factor.
func TestPlateauDecay(t *testing.T) {
	tests := []struct {
		spec     string
		plateaus []int
		want     []float64
	}{
		{"plateau", []int{0, 1, 2}, []float64{20, 5, 1.25}},
		{"plateau:factor=2", []int{0, 3}, []float64{20, 2.5}},
	}
	for _, tt := range tests {
		s, err := ParseSchedule(tt.spec)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := s.(PlateauSchedule)
		if !ok {
			t.Fatalf("%q is not a PlateauSchedule", tt.spec)
		}
		for i, n := range tt.plateaus {
			if got := p.Decay(p.LR(20, 7, 10, 100), n); got != tt.want[i] {
				t.Errorf("%q after %d plateaus: %v, want %v", tt.spec, n, got, tt.want[i])
			}
		}
	}
}
