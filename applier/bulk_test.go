package applier

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func TestBulk(t *testing.T) {
	f := startSim(t, sim.Options{Workers: 2})
	desired := withTLS(t, site(t, 20, 3))
	o := f.opts(nil)
	o.Bulk = true
	res, err := Run(context.Background(), o, planTo(desired, planner.Options{}))
	if err != nil {
		t.Fatalf("bulk: %v", err)
	}
	if res.Outcome != Applied || res.Bulk == nil || len(res.Bulk.Missing) != 0 {
		t.Fatalf("outcome %s bulk %+v", res.Outcome, res.Bulk)
	}
	if !f.sim.MainState().Equal(desired) || !f.sim.Worker(1).State().Equal(desired) {
		t.Fatal("not everything arrived")
	}
	if res.Applied != len(res.Plan.Requests) || len(res.Requests) != 1 || res.Requests[0].Verb != "load_state" {
		t.Errorf("applied %d, requests %+v", res.Applied, res.Requests)
	}
	if _, err := os.Stat(res.Bulk.File); !os.IsNotExist(err) {
		t.Errorf("the bulk file (it holds keys) was left: %v", err)
	}
	// A plan that does more than create is refused, changing nothing.
	before := f.sim.Received()
	_, err = Run(context.Background(), o, planTo(site(t, 21, 3), planner.Options{}))
	var be *BulkError
	if !errors.As(err, &be) || f.sim.Received() != before {
		t.Fatalf("error %v", err)
	}
}

// missing is missingFrom of the plan from got to expected.
func missing(got, expected *state.State) []string {
	p, err := planner.Compute(got, expected, planner.Options{})
	return missingFrom(p, err)
}

// missingFrom names every planned object that did not arrive, or arrived
// changed, and nothing the proxy has besides.
func TestMissingFrom(t *testing.T) {
	expected := site(t, 3, 2)
	got := site(t, 2, 2)
	mustApply(t, got, clusterReq("extra"))
	m := missing(got, expected)
	want := []string{"cluster.c2", "cluster.c2.backend.c2-b0", "cluster.c2.backend.c2-b1", `cluster.c2.http_frontend["0.0.0.0:80;c2.example.com;P/"]`}
	if strings.Join(m, "|") != strings.Join(want, "|") {
		t.Errorf("missing %q\nwant    %q", m, want)
	}
	if len(missing(expected, expected)) != 0 {
		t.Error("missing objects in an equal state")
	}
}

// BenchmarkApply compares one request at a time with one load_state, on the
// simulator, for a plan creating about 6,000 objects (-bench-objects-style
// sizes: set APPLIER_BENCH_CLUSTERS for more; 6,000 clusters with 9
// backends each make 60,000 objects).
func BenchmarkApply(b *testing.B) {
	clusters := 600
	if v := os.Getenv("APPLIER_BENCH_CLUSTERS"); v != "" {
		fmt.Sscan(v, &clusters)
	}
	desired := site(b, clusters, 9)
	for _, bulk := range []bool{false, true} {
		name := "one-by-one"
		if bulk {
			name = "bulk"
		}
		b.Run(fmt.Sprintf("%s/objects=%d", name, desired.Len()), func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				f := startSim(b, sim.Options{Workers: 2})
				o := f.opts(nil)
				o.Bulk = bulk
				b.StartTimer()
				res, err := Run(context.Background(), o, planTo(desired, planner.Options{}))
				if err != nil || res.Outcome != Applied {
					b.Fatalf("%v %v", err, res.Outcome)
				}
				b.StopTimer()
				f.sim.Close()
				os.RemoveAll(filepath.Dir(f.socket))
				b.StartTimer()
			}
		})
	}
}

// BenchmarkApplyOverhead measures what one request costs the applier on
// the simulator when the journal's syncs cost nothing: the checkpoint
// directory (lock, journal, checkpoints) is on a tmpfs, /dev/shm, where
// fdatasync returns at once (the benchmark is skipped without one). The
// us/request figure is the whole run divided by its requests: it includes
// planning, the checkpoints, the verification and the simulator's own
// work, so the client's share is below it. Set APPLIER_BENCH_CLUSTERS for
// more clusters (default 600: 6,001 objects).
func BenchmarkApplyOverhead(b *testing.B) {
	const shm = "/dev/shm"
	if fi, err := os.Stat(shm); err != nil || !fi.IsDir() {
		b.Skip("no tmpfs at " + shm)
	}
	clusters := 600
	if v := os.Getenv("APPLIER_BENCH_CLUSTERS"); v != "" {
		fmt.Sscan(v, &clusters)
	}
	desired := site(b, clusters, 9)
	var requests int
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		f := startSimIn(b, shm, sim.Options{Workers: 2})
		o := f.opts(nil)
		b.StartTimer()
		res, err := Run(context.Background(), o, planTo(desired, planner.Options{}))
		if err != nil || res.Outcome != Applied {
			b.Fatalf("%v %v", err, res.Outcome)
		}
		requests += len(res.Requests)
		b.StopTimer()
		f.sim.Close()
		os.RemoveAll(f.dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Microseconds())/float64(requests), "us/request")
}

// Records that never arrive (here: the bulk file loses its second half
// before Sōzu reads it, as records load_state skips would) are each reported,
// and the run ends as a verification failure (exit 3), without rollback.
func TestBulkReportsMissing(t *testing.T) {
	f := startSim(t, sim.Options{})
	desired := site(t, 4, 1)
	o := f.opts(nil)
	o.Bulk = true
	o.Events = func(e Event) {
		if e.Type != EventRequest || e.Verb != "load_state" {
			return
		}
		data, err := os.ReadFile(e.Address)
		if err != nil {
			t.Error(err)
			return
		}
		// Keep the records up to the 8th: the listener, its activation,
		// and some of the clusters.
		end, n := 0, 0
		for i := 0; i+1 < len(data) && n < 8; i++ {
			if data[i] == '\n' && data[i+1] == 0 {
				end, n = i+2, n+1
			}
		}
		if err := os.WriteFile(e.Address, data[:end], 0o600); err != nil {
			t.Error(err)
		}
	}
	res, err := Run(context.Background(), o, planTo(desired, planner.Options{}))
	var ae *ApplyError
	if !errors.As(err, &ae) || ae.ExitCode() != 3 || res.Outcome != VerifyFailed {
		t.Fatalf("got %v, %+v", err, res)
	}
	got := f.sim.MainState()
	if got.Len() == 0 || got.Len() >= desired.Len() {
		t.Fatalf("the simulator holds %d objects of %d", got.Len(), desired.Len())
	}
	// Every object absent, and the listener, which arrived but was never
	// activated (its activation was among the lost records).
	if len(res.Bulk.Missing) != desired.Len()-got.Len()+1 || !slices.Contains(res.Bulk.Missing, `listener.http["0.0.0.0:80"]`) {
		t.Errorf("missing %d objects, want %d with the listener: %v", len(res.Bulk.Missing), desired.Len()-got.Len()+1, res.Bulk.Missing)
	}
	if !strings.Contains(err.Error(), "did not arrive") || res.Rollback != nil {
		t.Errorf("error %v, rollback %+v", err, res.Rollback)
	}
}

// An interrupt during the load_state waits for it, as for any request in
// flight, and the run then ends as usual: abandoned, the load would go on
// under a rollback.
func TestBulkInterruptWaitsForLoadState(t *testing.T) {
	f := startSim(t, sim.Options{Faults: sim.Faults{Delay: 50 * time.Millisecond}})
	desired := site(t, 5, 2)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := f.opts(nil)
	o.Bulk = true
	o.Events = func(e Event) {
		if e.Type == EventRequest && e.Verb == "load_state" {
			cancel()
		}
	}
	res, err := Run(ctx, o, planTo(desired, planner.Options{}))
	if err != nil || res.Outcome != Applied {
		t.Fatalf("outcome %v, error %v", res, err)
	}
	if len(res.Requests) != 1 || res.Requests[0].Status != StatusOK || res.Requests[0].Processing != 2 {
		t.Errorf("load_state %+v, want OK after 2 PROCESSING", res.Requests)
	}
	if !f.sim.MainState().Equal(desired) {
		t.Error("the load did not complete")
	}
}
