//go:build !unix

package planner

import "time"

// cpuTime is unknown here: benchmarks then report zero CPU time.
func cpuTime() time.Duration { return 0 }
