package planfile

import (
	"net/netip"
	"strconv"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// bigPlan creates n backends, one change and one request each.
func bigPlan(n int) *planner.Plan {
	p := &planner.Plan{Base: planner.Base{Source: planner.SourceEmpty}}
	for i := 0; i < n; i++ {
		b := &sozupb.AddBackend{ClusterId: ptr("c" + strconv.Itoa(i/3)), BackendId: ptr("b" + strconv.Itoa(i)),
			Address: state.AddressFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 8080))}
		p.Changes = append(p.Changes, planner.Change{Address: "cluster.c" + strconv.Itoa(i/3) + ".backend.b" + strconv.Itoa(i),
			Kind: state.KindBackend, Key: state.BackendKey(b), Action: planner.Create, After: b,
			Attributes: []planner.AttributeChange{{Path: "backend_id", After: b.GetBackendId()}}})
		p.Requests = append(p.Requests, &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: b}})
		p.RequestChange = append(p.RequestChange, i)
	}
	p.Summary.Create = n
	return p
}

func BenchmarkMarshal60k(b *testing.B) {
	f := &File{Plan: bigPlan(60000)}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Marshal(f); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecode60k(b *testing.B) {
	data, err := Marshal(&File{Plan: bigPlan(60000)})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Decode(data); err != nil {
			b.Fatal(err)
		}
	}
}
