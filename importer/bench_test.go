package importer

import (
	"fmt"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// largeState is SPEC §8's shape: n clusters with 3 backends and 2 HTTP
// frontends each, on one listener.
func largeState(t testing.TB, n int) *state.State {
	t.Helper()
	s := state.New()
	s.HTTPListeners["0.0.0.0:80"] = state.NewHTTPListener(addr(t, "0.0.0.0:80"))
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("c%05d", i)
		s.Clusters[id] = &sozupb.Cluster{ClusterId: proto.String(id)}
		for b := 0; b < 3; b++ {
			s.Backends[id] = append(s.Backends[id], &sozupb.AddBackend{
				ClusterId: proto.String(id), BackendId: proto.String(fmt.Sprintf("%s-%d", id, b)),
				Address:                 addr(t, fmt.Sprintf("10.%d.%d.%d:80", i/256, i%256, b)),
				LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(100)},
			})
		}
		for f := 0; f < 2; f++ {
			fr := &sozupb.RequestHttpFrontend{
				ClusterId: proto.String(id), Address: addr(t, "0.0.0.0:80"),
				Hostname: proto.String(fmt.Sprintf("h%d-%d.example.com", i, f)),
				Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/")},
			}
			s.HTTPFrontends[state.RouteKey(fr)] = fr
		}
	}
	return s
}

// BenchmarkRender60k renders 10,000 clusters (60,000 objects); run it with
// -benchtime=1x.
func BenchmarkRender60k(b *testing.B) {
	s := largeState(b, 10000)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := Render(s)
		if err != nil {
			b.Fatal(err)
		}
		b.SetBytes(int64(len(out.Files[0].Data)))
	}
}
