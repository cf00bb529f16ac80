package state

import (
	"fmt"
	"net/netip"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// largeRequests builds the requests of SPEC §8's large state: 10,000
// clusters, each with 3 backends and 2 HTTPS frontends (60,000 objects),
// plus one HTTP and one HTTPS listener.
func largeRequests(tb testing.TB) []*sozupb.Request {
	reqs := []*sozupb.Request{
		req(NewHTTPListener(mustAddr(tb, "0.0.0.0:80"))),
		req(NewHTTPSListener(mustAddr(tb, "0.0.0.0:443"))),
	}
	for i := 0; i < 10000; i++ {
		id := fmt.Sprintf("cluster-%05d", i)
		reqs = append(reqs, req(cluster(id)))
		for j := 0; j < 3; j++ {
			n := uint32(i*3 + j + 1)
			ip := netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
			reqs = append(reqs, req(&sozupb.AddBackend{ClusterId: proto.String(id), BackendId: proto.String(fmt.Sprintf("%s-%d", id, j)),
				Address: AddressFromAddrPort(netip.AddrPortFrom(ip, 8080))}))
		}
		for j := 0; j < 2; j++ {
			f := httpFront(tb, "0.0.0.0:443", fmt.Sprintf("h%d.%s.example", j, id), "/", id)
			reqs = append(reqs, addHTTPSFront(f))
		}
	}
	return reqs
}

var (
	largeOnce  sync.Once
	largeState *State
	largeReqs  []*sozupb.Request
)

func large(b *testing.B) (*State, []*sozupb.Request) {
	largeOnce.Do(func() {
		largeReqs = largeRequests(b)
		s, err := FromRequests(largeReqs)
		if err != nil {
			b.Fatal(err)
		}
		largeState = s
	})
	if largeState == nil {
		b.Fatal("large state not built")
	}
	return largeState, largeReqs
}

func BenchmarkFingerprint60k(b *testing.B) {
	s, _ := large(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = s.Fingerprint()
	}
}

func BenchmarkEqual60k(b *testing.B) {
	s, _ := large(b)
	o := s.Clone()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if !s.Equal(o) {
			b.Fatal("clone not equal")
		}
	}
}

func BenchmarkApply60k(b *testing.B) {
	_, reqs := large(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s := New()
		for _, r := range reqs {
			if err := s.Apply(r); err != nil {
				b.Fatal(err)
			}
		}
	}
}

func BenchmarkRequests60k(b *testing.B) {
	s, _ := large(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = s.Requests()
	}
}

func BenchmarkClone60k(b *testing.B) {
	s, _ := large(b)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		_ = s.Clone()
	}
}
