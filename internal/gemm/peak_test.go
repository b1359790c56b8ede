package gemm

import (
	"strings"
	"testing"
	"time"
)

// TestMeasure checks that a short measurement names one of the shapes and
// a positive throughput (no timed assertion: the value depends on the
// machine and its load).
func TestMeasurePeak(t *testing.T) {
	r := MeasurePeak(20 * time.Millisecond)
	if !(r.GFLOPS > 0) || r.M == 0 || r.Backend == "" {
		t.Fatalf("Measure = %+v", r)
	}
	if s := r.String(); !strings.Contains(s, "GFLOP/s ("+r.Backend+", ") {
		t.Errorf("String() = %q", s)
	}
}
