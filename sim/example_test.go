package sim_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// A simulator on a unix socket, a client, and one request whose answers
// are those of Sōzu: PROCESSING, then OK once every worker applied it.
func ExampleSimulator_Serve() {
	dir, _ := os.MkdirTemp("", "sim")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "sozu.sock")

	s, _ := sim.New(sim.Options{Workers: 2})
	ln, _ := sim.Listen(path)
	go s.Serve(ln)
	defer s.Close()

	c, _ := sozu.Dial(context.Background(), path)
	defer c.Close()
	req := &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
		ClusterId:     proto.String("api"),
		StickySession: proto.Bool(false),
		HttpsRedirect: proto.Bool(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}}}
	resp, _ := c.Send(context.Background(), req, func(p *sozupb.Response) {
		fmt.Println(p.GetStatus(), p.GetMessage())
	})
	fmt.Println(resp.GetStatus(), resp.GetMessage())
	fmt.Println(s.Worker(1).HasCluster("api"))
	// Output:
	// PROCESSING Processing worker request...
	// OK Successfully applied request to all workers
	// true
}
