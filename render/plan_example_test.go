package render_test

import (
	"fmt"
	"os"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/render"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// A plan is turned into one document, which every view renders.
func ExampleWritePlanHuman() {
	cluster := &sozupb.Cluster{
		ClusterId:     ptr("api"),
		StickySession: ptr(false),
		HttpsRedirect: ptr(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}
	p := &planner.Plan{
		Base: planner.Base{Source: planner.SourceEmpty},
		Changes: []planner.Change{
			{Address: "cluster.api", Kind: state.KindCluster, Key: "api", Action: planner.Create, After: cluster},
		},
		Requests:      []*sozupb.Request{{RequestType: &sozupb.Request_AddCluster{AddCluster: cluster}}},
		RequestChange: []int{0},
		Summary:       planner.Summary{Create: 1},
	}
	doc, err := render.NewPlanDocument(p, render.PlanOptions{})
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := render.WritePlanHuman(os.Stdout, doc, render.HumanOptions{}); err != nil {
		fmt.Println(err)
	}
	// Output:
	// Base: empty (no --state, no socket): the plan starts from a proxy with no configuration.
	//
	// sozuctl-plan will perform the following actions:
	//
	//   # cluster.api will be created
	//   + cluster "api" {
	//       + cluster_id     = "api"
	//       + https_redirect = false
	//       + load_balancing = "ROUND_ROBIN"
	//       + sticky_session = false
	//     }
	//
	// Requests, in the order they are sent:
	//   1. add_cluster cluster.api
	//
	// Plan: 1 to add, 0 to change, 0 to replace, 0 to destroy.
}

func ptr[T any](v T) *T { return &v }
