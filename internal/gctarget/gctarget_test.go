package gctarget

import (
	"os"
	"runtime/debug"
	"testing"
)

// TestSet checks that Set gives Percent without GOGC in the environment
// and leaves the target alone with it.
func TestSet(t *testing.T) {
	for _, c := range []struct {
		name  string
		unset bool // GOGC not in the environment; else GOGC=80
		want  int
	}{
		{"unset", true, Percent},
		{"set", false, 80},
	} {
		t.Run(c.name, func(t *testing.T) {
			defer debug.SetGCPercent(debug.SetGCPercent(80))
			t.Setenv("GOGC", "80") // restored when the test ends
			if c.unset {
				os.Unsetenv("GOGC")
			}
			Set()
			if got := debug.SetGCPercent(80); got != c.want {
				t.Errorf("GC percent %d, want %d", got, c.want)
			}
		})
	}
}
