//go:build unix

package gemm

import (
	"syscall"
	"time"
)

// cpuTime returns the CPU time (user + system) consumed so far by this
// process, or 0 when it cannot be read. On a loaded machine, throughput
// per CPU second is steadier than throughput per wall second.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(0, &ru); err != nil { // 0: RUSAGE_SELF
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
