package sim

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
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

// bigState builds n clusters with 3 backends and 2 HTTP frontends each, the
// shape of SPEC §8's benchmarks.
func bigState(b *testing.B, n int) *state.State {
	st := state.New()
	must := func(r *sozupb.Request) {
		if err := st.Apply(r); err != nil {
			b.Fatal(err)
		}
	}
	must(addHTTPListener("0.0.0.0:80", false))
	for i := range n {
		id := fmt.Sprintf("c%05d", i)
		must(addCluster(id))
		for j := range 3 {
			must(addBackend(id, fmt.Sprintf("%s-%d", id, j), fmt.Sprintf("10.%d.%d.%d:80", i/256, i%256, j)))
		}
		must(addHTTPFront(front("0.0.0.0:80", id+".example.com", "/", id, sozupb.RulePosition_TREE)))
		must(addHTTPFront(front("0.0.0.0:80", id+".example.com", "/api", id, sozupb.RulePosition_TREE)))
	}
	return st
}

// BenchmarkClusterHashes10k hashes 10,000 clusters (60,000 objects), what
// every process computes for one QueryClustersHashes.
func BenchmarkClusterHashes10k(b *testing.B) {
	st := bigState(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		if len(ClusterHashes(st)) != 10_000 {
			b.Fatal("wrong count")
		}
	}
}

// BenchmarkPreload10k boots a simulator with two workers from 60,000 objects.
func BenchmarkPreload10k(b *testing.B) {
	st := bigState(b, 10_000)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := New(Options{Preload: st}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkLoadState10k replays a 60,000-object state file through the
// main process and two workers, as load_state does (the file is read and
// parsed inside each iteration).
func BenchmarkLoadState10k(b *testing.B) {
	st := bigState(b, 10_000)
	file := filepath.Join(testsock.Dir(b), "big.state")
	if err := statefile.Write(file, st); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		s, err := New(Options{})
		if err != nil {
			b.Fatal(err)
		}
		answers := s.loadState(file)
		if last := answers[len(answers)-1]; last.GetStatus() != sozupb.ResponseStatus_OK {
			b.Fatal(last.GetMessage())
		}
	}
}

// BenchmarkQueryClustersHashes10k sends one QueryClustersHashes through the
// socket to a simulator holding 10,000 clusters (60,000 objects): the main
// process and both workers hash their copies, and the answer is encoded.
func BenchmarkQueryClustersHashes10k(b *testing.B) {
	h := start(b, Options{Preload: bigState(b, 10_000)})
	b.ReportAllocs()
	for b.Loop() {
		resp, err := h.c.Send(b.Context(), hashesReq(), nil)
		if err != nil {
			b.Fatal(err)
		}
		if n := len(resp.GetContent().GetWorkerResponses().GetMap()["main"].GetClusterHashes().GetMap()); n != 10_000 {
			b.Fatalf("%d hashes", n)
		}
	}
}

// BenchmarkBulk60k compares the two ways of giving an empty simulator (two
// workers) 60,000 objects over the socket, with one client: "load_state"
// sends one load_state of a state file, "one-by-one" sends every request of
// that file and waits for each answer. SPEC §8 wants the first at least 50
// times faster; run with -benchtime=1x.
func BenchmarkBulk60k(b *testing.B) {
	st := bigState(b, 10_000)
	file := filepath.Join(testsock.Dir(b), "big.state")
	if err := statefile.Write(file, st); err != nil {
		b.Fatal(err)
	}
	reqs := st.Requests()
	b.Run("load_state", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			h := start(b, Options{})
			h.c.SetTimeout(time.Minute) // a loaded machine may take longer than the harness's 5 s
			b.StartTimer()
			if _, err := h.c.Send(b.Context(), loadReq(file), nil); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			h.sim.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(len(reqs))*float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
	b.Run("one-by-one", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			b.StopTimer()
			h := start(b, Options{})
			b.StartTimer()
			for _, r := range reqs {
				if _, err := h.c.Send(b.Context(), r, nil); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			h.sim.Close()
			b.StartTimer()
		}
		b.ReportMetric(float64(len(reqs))*float64(b.N)/b.Elapsed().Seconds(), "req/s")
	})
}
