package planner

import (
	"fmt"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// bigState builds n clusters with 3 backends, an HTTP and an HTTPS
// frontend each (6n objects), on one HTTP and one HTTPS listener.
func bigState(b testing.TB, n int) *state.State {
	s := state.New()
	s.HTTPListeners[h80] = httpL(h80, true)
	s.HTTPSListeners[h443] = httpsL(h443, true)
	for i := range n {
		id := fmt.Sprintf("cluster-%05d", i)
		s.Clusters[id] = cluster(id)
		for j := range 3 {
			s.Backends[id] = append(s.Backends[id], backend(id, fmt.Sprintf("%s-%d", id, j), fmt.Sprintf("10.%d.%d.%d:8080", i/250, i%250, j+1), 100))
		}
		host := fmt.Sprintf("c%05d.example.com", i)
		f := front(h80, host, "/", id)
		s.HTTPFrontends[state.RouteKey(f)] = f
		hf := front(h443, host, "/", id)
		s.HTTPSFrontends[state.RouteKey(hf)] = hf
	}
	return s
}

// BenchmarkPlan60k plans 60,000 objects against a base that differs by 1%:
// 100 clusters with a backend reweighted, 100 with a new backend, 100
// frontends moved to another cluster, 100 clusters removed with their
// backends and frontends, and 100 new clusters.
func BenchmarkPlan60k(b *testing.B) {
	base := bigState(b, 10_000)
	desired := base.Clone()
	for i := 0; i < 100; i++ {
		id := fmt.Sprintf("cluster-%05d", i*100)
		desired.Backends[id][0].LoadBalancingParameters.Weight = proto.Int32(50)
		id = fmt.Sprintf("cluster-%05d", i*100+1)
		desired.Backends[id] = append(desired.Backends[id], backend(id, id+"-new", fmt.Sprintf("10.200.%d.%d:8080", i/250, i%250+1), 100))
		f := desired.HTTPFrontends[state.RouteKey(front(h80, fmt.Sprintf("c%05d.example.com", i*100+2), "/", ""))]
		f.ClusterId = proto.String(fmt.Sprintf("cluster-%05d", i*100+3))
		gone := fmt.Sprintf("cluster-%05d", i*100+4)
		delete(desired.Clusters, gone)
		delete(desired.Backends, gone)
		host := fmt.Sprintf("c%05d.example.com", i*100+4)
		delete(desired.HTTPFrontends, state.RouteKey(front(h80, host, "/", "")))
		delete(desired.HTTPSFrontends, state.RouteKey(front(h443, host, "/", "")))
		nid := fmt.Sprintf("new-%05d", i)
		desired.Clusters[nid] = cluster(nid)
		desired.Backends[nid] = []*sozupb.AddBackend{backend(nid, nid+"-0", fmt.Sprintf("10.201.%d.%d:8080", i/250, i%250+1), 100)}
	}
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		p, err := Compute(base, desired, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Summary.Create != 300 || p.Summary.Update != 100 || p.Summary.Replace != 100 || p.Summary.Delete != 100+300+200 {
			b.Fatalf("summary %+v", p.Summary)
		}
	}
}

// BenchmarkPlanCreate60k plans the same 60,000 objects from an empty base
// (a first apply): every object is a change with its attributes.
func BenchmarkPlanCreate60k(b *testing.B) {
	desired := bigState(b, 10_000)
	b.ReportAllocs()
	b.ResetTimer()
	start := cpuTime()
	defer func() { reportCPU(b, start) }()
	for b.Loop() {
		p, err := Compute(nil, desired, Options{})
		if err != nil {
			b.Fatal(err)
		}
		if p.Summary.Create != 60_002 {
			b.Fatalf("summary %+v", p.Summary)
		}
	}
}

// reportCPU reports the CPU time per operation since start.
func reportCPU(b *testing.B, start time.Duration) {
	if b.N > 0 {
		b.ReportMetric(float64(cpuTime()-start)/float64(b.N)/1e6, "cpu-ms/op")
	}
}
