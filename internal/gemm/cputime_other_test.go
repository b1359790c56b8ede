//go:build !unix

package gemm

import "time"

// cpuTime is not available on this platform: it always returns 0.
func cpuTime() time.Duration { return 0 }
