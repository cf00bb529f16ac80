package planner

import (
	"errors"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
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

// FuzzComputeAnyState builds two states from arbitrary bytes (each a list
// of length-prefixed protobuf Requests applied with state.Apply, rejected
// ones skipped) and plans between them: Compute must never panic, whatever
// the states hold.
func FuzzComputeAnyState(f *testing.F) {
	seed := func(reqs ...*sozupb.Request) []byte {
		var out []byte
		for _, r := range reqs {
			b, _ := proto.Marshal(r)
			out = append(out, byte(len(b)>>8), byte(len(b)))
			out = append(out, b...)
		}
		return out
	}
	f.Add(seed(req(httpL(h80, true)), req(cluster("a")), req(front(h80, "x", "/", "a"))), seed(req(httpL(h80, false))))
	f.Add(seed(req(tcpL(t54, true)), req(tcpF("a", t54))), seed(req(tcpF("b", t54)), req(backend("b", "1", "10.0.0.1:1", 1))))
	f.Add([]byte{}, []byte{0, 3, 1, 2, 3})
	f.Fuzz(func(t *testing.T, a, b []byte) {
		base, desired := fromBytes(a), fromBytes(b)
		for _, opts := range []Options{{}, {Destroy: true}, {Targets: []string{"cluster.a"}}} {
			var ae *AddressError
			if _, err := Compute(base, desired, opts); err != nil && !errors.As(err, &ae) {
				t.Fatal(err)
			}
		}
	})
}

func fromBytes(data []byte) *state.State {
	s := state.New()
	for len(data) >= 2 {
		n := int(data[0])<<8 | int(data[1])
		data = data[2:]
		if n > len(data) {
			n = len(data)
		}
		var r sozupb.Request
		if proto.Unmarshal(data[:n], &r) == nil {
			_ = s.Apply(&r)
		}
		data = data[n:]
	}
	return s
}
