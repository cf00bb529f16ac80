package config

import (
	"runtime/debug"
	"testing"
)

// gcPercent reads the garbage collector's target.
func gcPercent() int {
	p := debug.SetGCPercent(100)
	debug.SetGCPercent(p)
	return p
}

// TestTightGC checks that Load's GC target applies while a Load runs, is
// restored when the last one ends, and never raises a lower target.
func TestTightGC(t *testing.T) {
	defer debug.SetGCPercent(debug.SetGCPercent(100))
	outer := tightGC()
	inner := tightGC()
	if got := gcPercent(); got != loadGCPercent {
		t.Errorf("during Load: GC percent %d, want %d", got, loadGCPercent)
	}
	outer()
	if got := gcPercent(); got != loadGCPercent {
		t.Errorf("while a second Load runs: GC percent %d, want %d", got, loadGCPercent)
	}
	inner()
	if got := gcPercent(); got != 100 {
		t.Errorf("after Load: GC percent %d, want 100", got)
	}
	for _, low := range []int{30, -1} {
		debug.SetGCPercent(low)
		done := tightGC()
		if got := gcPercent(); got != low {
			t.Errorf("GC percent %d during Load: got %d, want it left alone", low, got)
		}
		done()
		if got := gcPercent(); got != low {
			t.Errorf("GC percent %d after Load: got %d", low, got)
		}
	}
}
