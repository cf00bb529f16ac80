package statefile

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// largeState builds the state of SPEC §8: 10,000 clusters with 3 backends
// and 2 HTTP frontends each (60,000 objects), on one HTTP listener.
func largeState(tb testing.TB, clusters int) *state.State {
	tb.Helper()
	s := state.New()
	apply := func(r *sozupb.Request) {
		if err := s.Apply(r); err != nil {
			tb.Fatal(err)
		}
	}
	l := state.NewHTTPListener(addr(tb, "0.0.0.0:80"))
	apply(&sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: l}})
	for i := 0; i < clusters; i++ {
		id := fmt.Sprintf("cluster-%05d", i)
		apply(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: p(id), StickySession: p(false), HttpsRedirect: p(false),
			LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
			HealthCheck: &sozupb.HealthCheckConfig{Uri: p("/healthz"), Interval: p(uint32(10)), Timeout: p(uint32(5)),
				HealthyThreshold: p(uint32(3)), UnhealthyThreshold: p(uint32(3)), ExpectedStatus: p(uint32(200))},
		}}})
		for j := 0; j < 3; j++ {
			a := addr(tb, fmt.Sprintf("10.%d.%d.%d:8080", i/256%256, i%256, j+1))
			apply(&sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
				ClusterId: p(id), BackendId: p(fmt.Sprintf("%s-backend-%d", id, j)), Address: a,
				LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: p(int32(100))},
			}}})
		}
		for j, path := range []string{"/", "/api"} {
			apply(&sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
				ClusterId: p(id), Address: l.Address, Hostname: p(fmt.Sprintf("%s.example.com", id)),
				Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: p(path)},
				Position: sozupb.RulePosition_TREE.Enum(), Tags: map[string]string{"n": fmt.Sprint(j)},
			}}})
		}
	}
	return s
}

// peakHeap samples the heap while f runs and returns the highest value
// seen above the heap in use before f.
func peakHeap(f func()) uint64 {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	runtime.GC()
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	f()
	if v := read(); v > peak.Load() {
		peak.Store(v)
	}
	close(done)
	wg.Wait()
	if peak.Load() < base {
		return 0
	}
	return peak.Load() - base
}

// BenchmarkRead60k reads a 60,000-object state file (SPEC §8: under 500 ms
// and 200 MiB). Run with: go test -bench Read60k -benchtime 3x ./statefile
func BenchmarkRead60k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "large.state")
	if err := Write(path, largeState(b, 10_000)); err != nil {
		b.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(info.Size())
	b.ReportAllocs()
	var peak uint64
	cpu0 := cpuTime()
	b.ResetTimer()
	for b.Loop() {
		p := peakHeap(func() {
			s, err := Read(path)
			if err != nil {
				b.Fatal(err)
			}
			if s.Len() != 60_001 {
				b.Fatalf("%d objects", s.Len())
			}
		})
		peak = max(peak, p)
	}
	// CPU time per read: wall time means little on a loaded machine.
	b.ReportMetric(float64((cpuTime()-cpu0).Milliseconds())/float64(b.N), "cpu-ms/op")
	b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	b.ReportMetric(float64(info.Size())/(1<<20), "file-MiB")
}

// cpuTime returns the process's user and system CPU time so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecode60k measures the codec alone on the same file.
func BenchmarkDecode60k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "large.state")
	if err := Write(path, largeState(b, 10_000)); err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		f, _ := os.Open(path)
		if _, err := Decode(f); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
}

// BenchmarkWrite60k writes the same state.
func BenchmarkWrite60k(b *testing.B) {
	s := largeState(b, 10_000)
	path := filepath.Join(b.TempDir(), "large.state")
	b.ReportAllocs()
	for b.Loop() {
		if err := Write(path, s); err != nil {
			b.Fatal(err)
		}
	}
}

// TestLargeStateRoundTrip runs the benchmark's shape at a small size in
// every go test.
func TestLargeStateRoundTrip(t *testing.T) {
	s := largeState(t, 50)
	path := filepath.Join(t.TempDir(), "s.state")
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	back, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if back.Len() != 301 || !back.Equal(s) {
		t.Errorf("read back %d objects, equal %v", back.Len(), back.Equal(s))
	}
}
