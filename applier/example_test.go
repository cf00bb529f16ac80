package applier_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/applier"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Run plans from the live state, read once the lock is held, and applies
// the plan: a checkpoint, the requests one at a time, then the verification.
func ExampleRun() {
	dir, _ := os.MkdirTemp("", "ex")
	defer os.RemoveAll(dir)
	socket := filepath.Join(dir, "sozu.sock")
	s, _ := sim.New(sim.Options{})
	ln, _ := sim.Listen(socket)
	go s.Serve(ln)
	defer s.Close()

	desired := state.New()
	desired.Apply(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
		ClusterId: proto.String("api"), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}}})

	res, err := applier.Run(context.Background(), applier.Options{
		Socket: socket,
		Events: func(e applier.Event) {
			if e.Type == applier.EventAnswer {
				fmt.Println(e.Index, e.Verb, e.Address, e.Status)
			}
		},
	}, func(_ context.Context, live *state.State) (*planner.Plan, error) {
		return planner.Compute(live, desired, planner.Options{Base: planner.Base{Source: planner.SourceLive, Socket: socket}})
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Outcome, res.Verification.OK())
	fmt.Println(res.Summary())
	// Output:
	// 1 add_cluster cluster.api OK
	// applied true
	// Apply complete: 1 added, 0 changed, 0 replaced, 0 destroyed.
}
