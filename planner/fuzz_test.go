package planner

import (
	"testing"
)

// FuzzPlan plans pairs of generated states chosen by the fuzzer (two seeds
// and a mutation rate) and replays the plan with state.Apply: every
// request must be accepted and the result must be the desired state.
func FuzzPlan(f *testing.F) {
	f.Add(uint64(1), uint64(2), uint8(0))
	f.Add(uint64(7), uint64(7), uint8(30))
	f.Fuzz(func(t *testing.T, seedA, seedB uint64, rate uint8) {
		g := newGenome(seedA)
		base := generate(t, g)
		var desired = generate(t, g.mutate(seedB, float64(rate)/255))
		if rate == 0 {
			desired = generate(t, newGenome(seedB))
		}
		p, err := Compute(base, desired, Options{})
		if err != nil {
			t.Fatal(err)
		}
		replay(t, base, desired, p)
		p2, err := Compute(desired, desired, Options{})
		if err != nil || p2.HasChanges() {
			t.Fatalf("desired against itself: %v, %v", err, describeAll(p2))
		}
	})
}
