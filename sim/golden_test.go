package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/encoding/protojson"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// TestTranscriptGolden records every answer of a session that touches each
// answer shape (mutations, worker failures, rejections, lists, queries,
// hashes) and compares it with testdata/transcript.golden.
func TestTranscriptGolden(t *testing.T) {
	h := start(t, Options{})
	const http, tcp, udp = "0.0.0.0:80", "0.0.0.0:5432", "[::1]:53"
	all := &sozupb.FrontendFilters{}
	all.Http, all.Https, all.Tcp = ptr(false), ptr(false), ptr(false)
	session := []*sozupb.Request{
		addHTTPListener(http, false),
		addHTTPListener(http, false),
		addTCPListener(tcp), addUDPListener(udp),
		activate(http, sozupb.ListenerType_HTTP),
		deactivate(tcp, sozupb.ListenerType_TCP),
		addCluster("api"), addCluster("db"),
		addHTTPFront(front(http, "api.example.com", "/", "api", sozupb.RulePosition_TREE)),
		addHTTPFront(front(http, "API.example.com", "/", "api", sozupb.RulePosition_TREE)),
		addHTTPFront(front(http, "deny.example.com", "/admin", "", sozupb.RulePosition_PRE)),
		addTCPFront("db", tcp), addUDPFront("db", udp),
		addBackend("api", "api-1", "10.0.0.1:8080"), addBackend("db", "db-1", "[fd00::1]:5432"),
		removeBackend("api", "api-2", "10.0.0.1:8080"),
		{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}},
		{RequestType: &sozupb.Request_ListFrontends{ListFrontends: all}},
		{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}},
		{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "api"}},
		{RequestType: &sozupb.Request_QueryClustersByDomain{QueryClustersByDomain: &sozupb.QueryClusterByDomain{Hostname: ptr("api.example.com")}}},
		hashesReq(),
		{RequestType: &sozupb.Request_QueryHealthChecks{QueryHealthChecks: &sozupb.QueryHealthChecks{}}},
		{RequestType: &sozupb.Request_CountRequests{CountRequests: &sozupb.CountRequests{}}},
	}
	var out bytes.Buffer
	for _, req := range session {
		var answers []*sozupb.Response
		resp, _ := h.c.Send(t.Context(), req, func(r *sozupb.Response) { answers = append(answers, r) })
		answers = append(answers, resp)
		fmt.Fprintf(&out, "> %s\n", sozu.Verb(req))
		for _, a := range answers {
			fmt.Fprintf(&out, "< %s %s\n", a.GetStatus(), a.GetMessage())
			for _, w := range a.GetContent().GetWorkers().GetVec() {
				w.Pid = ptr(int32(0)) // the simulator's pid changes with every run
			}
			if a.Content != nil {
				raw, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(a.Content)
				if err != nil {
					t.Fatal(err)
				}
				var v any
				if err := json.Unmarshal(raw, &v); err != nil {
					t.Fatal(err)
				}
				b, err := json.MarshalIndent(v, "  ", "  ")
				if err != nil {
					t.Fatal(err)
				}
				fmt.Fprintf(&out, "  %s\n", b)
			}
		}
	}
	golden.Check(t, filepath.Join("testdata", "transcript.golden"), out.Bytes())
}
