package sim

import (
	"fmt"
	"testing"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// BenchmarkAddBackend measures requests per second through the socket with
// one client: each iteration is one AddBackend answered PROCESSING then OK.
func BenchmarkAddBackend(b *testing.B) {
	h := start(b, Options{})
	h.ok(addCluster("a"))
	reqs := make([]*sozupb.Request, 1000)
	for i := range reqs {
		reqs[i] = addBackend("a", fmt.Sprintf("a-%d", i), fmt.Sprintf("10.0.%d.%d:80", i/250, i%250))
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		if _, err := h.c.Send(b.Context(), reqs[i%len(reqs)], nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}

// BenchmarkListWorkers measures the round trip of a master-only read.
func BenchmarkListWorkers(b *testing.B) {
	h := start(b, Options{})
	req := &sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := h.c.Send(b.Context(), req, nil); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
