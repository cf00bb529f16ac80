package applier

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
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

// missing names every planned object that did not arrive, or arrived
// changed, and nothing the proxy has besides.
func TestMissing(t *testing.T) {
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
