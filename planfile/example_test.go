package planfile_test

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/sozuctl-plan/sozuctl-plan/planfile"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// A plan saved by plan --out and read back by apply.
func Example() {
	dir, err := os.MkdirTemp("", "planfile-example")
	if err != nil {
		fmt.Println(err)
		return
	}
	defer os.RemoveAll(dir)

	p := &planner.Plan{
		Base:          planner.Base{Source: planner.SourceLive, Socket: "/run/sozu/sozu.sock"},
		Requests:      []*sozupb.Request{{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "legacy"}}},
		RequestChange: []int{-1},
	}
	f, err := planfile.New(p, planfile.Inputs{ConfigDir: dir})
	if err != nil {
		fmt.Println(err)
		return
	}
	path := filepath.Join(dir, "api.plan")
	if err := planfile.Write(path, f); err != nil {
		fmt.Println(err)
		return
	}
	st, _ := os.Stat(path)
	fmt.Println("mode:", st.Mode().Perm())

	back, err := planfile.Read(path)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println("socket:", back.Plan.Base.Socket)
	fmt.Println("request:", back.Plan.Requests[0].GetRemoveCluster())
	fmt.Println("keys to give again:", len(back.Pending()))
	// Output:
	// mode: -rw-------
	// socket: /run/sozu/sozu.sock
	// request: legacy
	// keys to give again: 0
}
