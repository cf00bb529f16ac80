//go:build unix

package planner

import (
	"syscall"
	"time"
)

// cpuTime is the process's CPU time so far (user + system), every
// goroutine included: benchmarks report it beside wall time, which a
// loaded machine inflates.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
