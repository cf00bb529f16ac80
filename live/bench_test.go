package live

import (
	"context"
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// benchState has n clusters with 3 backends and 2 HTTP frontends each, the
// shape of SPEC §8.
func benchState(b *testing.B, n int) *state.State {
	b.Helper()
	reqs := []*sozupb.Request{rq(state.NewHTTPListener(addr(b, "0.0.0.0:80")))}
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%05d", i)
		reqs = append(reqs, rq(cluster(id)))
		for j := 0; j < 3; j++ {
			reqs = append(reqs, rq(backend(b, id, fmt.Sprintf("%s-%d", id, j), fmt.Sprintf("10.%d.%d.%d:80", i/256%256, i%256, j))))
		}
		for j := 0; j < 2; j++ {
			f := httpFront(b, false, "0.0.0.0:80", fmt.Sprintf("h%d.%s.example.com", j, id), id)
			f.GetAddHttpFrontend().Tags = nil
			f.GetAddHttpFrontend().Path.Value = proto.String(fmt.Sprintf("/%d", j))
			reqs = append(reqs, f)
		}
	}
	st, err := state.FromRequests(reqs)
	if err != nil {
		b.Fatal(err)
	}
	return st
}

// BenchmarkReadSaveState reads 1,000 clusters (6,000 objects) from the
// simulator through save_state.
func BenchmarkReadSaveState(b *testing.B) {
	st := benchState(b, 1000)
	c := dial(b, serveSim(b, st))
	dir := privateDir(b)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, err := ReadSaveState(context.Background(), c, dir)
		if err != nil {
			b.Fatal(err)
		}
		if got.Len() != st.Len() {
			b.Fatalf("%d objects, want %d", got.Len(), st.Len())
		}
	}
}

// BenchmarkReadQueries reads 100 clusters (600 objects) through queries:
// one query_cluster_by_id per cluster. (The simulator's
// query_clusters_hashes grows with the square of the clusters, so larger
// sizes measure the simulator rather than the client.)
func BenchmarkReadQueries(b *testing.B) {
	st := benchState(b, 100)
	c := dial(b, serveSim(b, st))
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		got, _, err := ReadQueries(context.Background(), c)
		if err != nil {
			b.Fatal(err)
		}
		if got.Len() != st.Len() {
			b.Fatalf("%d objects, want %d", got.Len(), st.Len())
		}
	}
}
