package planner_test

import (
	"fmt"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// A new cluster behind a new listener: the listener is added inactive, the
// cluster and its backend come before the route, and the listener is
// activated last.
func ExampleCompute() {
	addr, _ := state.ParseAddress("0.0.0.0:80")
	l := state.NewHTTPListener(addr)
	l.Active = proto.Bool(true)
	desired := state.New()
	desired.HTTPListeners["0.0.0.0:80"] = l
	desired.Clusters["api"] = &sozupb.Cluster{ClusterId: proto.String("api")}
	backendAddr, _ := state.ParseAddress("10.0.0.1:8080")
	desired.Backends["api"] = []*sozupb.AddBackend{{ClusterId: proto.String("api"), BackendId: proto.String("api-1"), Address: backendAddr}}
	f := &sozupb.RequestHttpFrontend{ClusterId: proto.String("api"), Address: addr, Hostname: proto.String("api.example.com"),
		Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/")}}
	desired.HTTPFrontends[state.RouteKey(f)] = f

	p, err := planner.Compute(nil, desired, planner.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for i, r := range p.Requests {
		fmt.Printf("%s  (%s)\n", state.VerbName(r), p.Changes[p.RequestChange[i]].Address)
	}
	fmt.Printf("%+v\n", p.Summary)
	// Output:
	// add_http_listener  (listener.http["0.0.0.0:80"])
	// add_cluster  (cluster.api)
	// add_backend  (cluster.api.backend.api-1)
	// add_http_frontend  (cluster.api.http_frontend["0.0.0.0:80;api.example.com;P/"])
	// activate_listener  (listener.http["0.0.0.0:80"])
	// {Create:4 Update:0 Replace:0 Delete:0}
}
