package statefile_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// A record as Sōzu writes it in a state file (without its "\n\x00").
func ExampleMarshalRecord() {
	addr, _ := state.ParseAddress("0.0.0.0:8080")
	proxy := sozupb.ListenerType_HTTP
	fromSCM := false
	id := "SAVE-1"
	b, err := statefile.MarshalRecord(&sozupb.WorkerRequest{
		Id: &id,
		Content: &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{
			Address: addr, Proxy: &proxy, FromScm: &fromSCM,
		}}},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(b))
	// Output:
	// {"id":"SAVE-1","content":{"request_type":{"ACTIVATE_LISTENER":{"address":{"ip":{"inner":{"V4":0}},"port":8080},"proxy":0,"from_scm":false}}}}
}

// Reading a state file that Sōzu would partly skip on load_state.
func ExampleLoadReader() {
	file := `{"id":"SAVE-0","content":{"request_type":{"ADD_CLUSTER":{"cluster_id":"api","sticky_session":false,"https_redirect":false,"load_balancing":0}}}}` + "\n\x00" +
		`{"id":"SAVE-1","content":{"request_type":{"REMOVE_HEALTH_CHECK":"web"}}}` + "\n\x00"
	res, err := statefile.LoadReader(strings.NewReader(file))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(res.Records, "records,", res.State.Len(), "object")
	for _, s := range res.Skipped {
		fmt.Println(s)
	}
	// Output:
	// 2 records, 1 object
	// record 2 (SAVE-1, REMOVE_HEALTH_CHECK "web") skipped: Did not find Cluster with address or id 'web'
}

// Writing a state file, then reading it back.
func ExampleWrite() {
	dir, _ := os.MkdirTemp("", "example")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "checkpoint.state")

	s := state.New()
	id, f := "api", false
	_ = s.Apply(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
		ClusterId: &id, StickySession: &f, HttpsRedirect: &f, LoadBalancing: sozupb.LoadBalancingAlgorithms_RANDOM.Enum(),
	}}})
	if err := statefile.Write(path, s); err != nil {
		fmt.Println(err)
		return
	}
	data, _ := os.ReadFile(path)
	fmt.Println(bytes.HasSuffix(data, []byte("\n\x00")))
	back, _ := statefile.Read(path)
	fmt.Println(back.Equal(s))
	// Output:
	// true
	// true
}
