package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func saveReq(p string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: p}}
}

func loadReq(p string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_LoadState{LoadState: p}}
}

// populate gives the simulator one object of every kind.
func populate(t *testing.T, h *harness) {
	cert := newCert(t, "a.example.com")
	for _, r := range []*sozupb.Request{
		addHTTPListener("0.0.0.0:80", false), addHTTPSListener("[::]:443"), addTCPListener("0.0.0.0:5432"),
		addUDPListener("0.0.0.0:53"),
		activate("0.0.0.0:80", sozupb.ListenerType_HTTP),
		addCluster("api"), addCluster("db"),
		addHTTPFront(front("0.0.0.0:80", "a.example.com", "/", "api", sozupb.RulePosition_TREE)),
		addHTTPSFront(front("[::]:443", "a.example.com", "/v1", "api", sozupb.RulePosition_PRE)),
		addTCPFront("db", "0.0.0.0:5432"), addUDPFront("db", "0.0.0.0:53"),
		addBackend("api", "api-1", "10.0.0.1:8080"), addBackend("db", "db-1", "[fd00::1]:5432"),
		addCert("[::]:443", cert.and()),
	} {
		h.ok(r)
	}
}

func TestSaveAndLoadState(t *testing.T) {
	h := start(t, Options{})
	populate(t, h)
	file := filepath.Join(testsock.Dir(t), "saved.state")
	proc, resp, err := h.send(saveReq(file))
	if err != nil || len(proc) != 0 {
		t.Fatalf("save_state: %v after %d PROCESSING", err, len(proc))
	}
	want := h.sim.MainState()
	if msg := fmt.Sprintf("Saved %d config messages to %s", len(want.Requests()), file); resp.GetMessage() != msg {
		t.Errorf("message %q, want %q", resp.GetMessage(), msg)
	}
	got, err := statefile.Read(file)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Error("the saved file does not read back as the main state")
	}

	fresh := start(t, Options{Workers: 3})
	proc, resp, err = fresh.send(loadReq(file))
	if err != nil || len(proc) != 2 {
		t.Fatalf("load_state: %v after %d PROCESSING", err, len(proc))
	}
	n := len(want.Requests())
	if wantMsg := fmt.Sprintf("Successfully loaded state from path %s, %d ok messages, 0 errors", file, 3*n); resp.GetMessage() != wantMsg {
		t.Errorf("message %q, want %q", resp.GetMessage(), wantMsg)
	}
	if !fresh.sim.MainState().Equal(want) {
		t.Error("loading the file into a fresh simulator gives another state")
	}
	hs := fresh.hashes()
	for _, k := range []string{"0", "1", "2"} {
		for id, v := range hs["main"] {
			if hs[k][id] != v {
				t.Errorf("worker %s disagrees on %s after load_state", k, id)
			}
		}
	}
	if !fresh.sim.Worker(0).Bound("0.0.0.0:80") {
		t.Error("the activated listener is not bound after load_state")
	}

	// Loading it again: every record is a duplicate or an upsert; listeners
	// and frontends are rejected and skipped, so fewer messages count.
	_, resp, err = fresh.send(loadReq(file))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(resp.GetMessage(), fmt.Sprintf(" %d ok", 3*n)) {
		t.Errorf("a second load counted every record: %q", resp.GetMessage())
	}
}

func TestLoadStateFailures(t *testing.T) {
	dir := testsock.Dir(t)
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := `{"id":"SAVE-0","content":{"request_type":{"ADD_CLUSTER":{"cluster_id":"a","sticky_session":false,"https_redirect":false,"load_balancing":0}}}}` + "\n\x00"
	tests := []struct {
		name     string
		path     string
		wantProc int
		wantMsg  string
		applied  bool // whether cluster "a" is there afterwards
	}{
		{"missing file", filepath.Join(dir, "nope"), 0, "Cannot find file at path", false},
		{"record that does not parse", write("bad", good+"{not json}\n\x00"+good), 1, "Error consuming load state message", true},
		{"empty record", write("hole", good+"\x00"), 1, "Error consuming load state message", true},
		{"record missing a required field", write("partial", `{"id":"0","content":{"request_type":{"ADD_CLUSTER":{"sticky_session":false}}}}`+"\n\x00"), 1,
			"Error consuming load state message", false},
		{"directory", dir, 1, "Error reading the saved state file: Is a directory (os error 21)", false},
		{"record without terminator", write("unterminated", good+`{"id":"x"}`), 1, "Error consuming load state message", true},
		{"record too big", write("big", good+`{"id":"`+strings.Repeat("x", 100_000)+`"}`+"\n\x00"), 1, "Error consuming load state message", true},
		{"empty file", write("empty", ""), 2, "Successfully loaded state from path", false},
		{"record the state refuses is skipped", write("save", `{"id":"0","content":{"request_type":{"SAVE_STATE":"x"}}}`+"\n\x00"), 2,
			"Successfully loaded state from path " + filepath.Join(dir, "save") + ", 0 ok messages", false},
		{"runtime record is sent on", write("logging", `{"id":"0","content":{"request_type":{"LOGGING":"info"}}}`+"\n\x00"), 2,
			"Successfully loaded state from path " + filepath.Join(dir, "logging") + ", 2 ok messages", false},
		{"query record is sent on", write("query", `{"id":"0","content":{"request_type":{"QUERY_CLUSTERS_HASHES":{}}}}`+"\n\x00"), 2,
			"Successfully loaded state from path " + filepath.Join(dir, "query") + ", 2 ok messages", false},
		{"rejected record is skipped", write("skip", `{"id":"0","content":{"request_type":{"REMOVE_CLUSTER":"zz"}}}`+"\n\x00"+good), 2,
			"Successfully loaded state from path " + filepath.Join(dir, "skip") + ", 2 ok messages", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Options{})
			proc, resp, err := h.send(loadReq(tc.path))
			wantOK := strings.HasPrefix(tc.wantMsg, "Successfully")
			if wantOK != (err == nil) {
				t.Fatalf("load_state: error %v, want OK %v", err, wantOK)
			}
			if len(proc) != tc.wantProc {
				t.Errorf("%d PROCESSING answers, want %d", len(proc), tc.wantProc)
			}
			msg := resp.GetMessage()
			if !strings.HasPrefix(msg, tc.wantMsg) {
				t.Errorf("message %q, want prefix %q", msg, tc.wantMsg)
			}
			if _, ok := h.sim.MainState().Clusters["a"]; ok != tc.applied {
				t.Errorf("cluster applied = %v, want %v", ok, tc.applied)
			}
		})
	}
}

// TestPreload boots simulators from the sample state files of the statefile
// package, written as Sōzu 1.1.1 and 2.1.0 write them.
func TestPreload(t *testing.T) {
	for _, name := range []string{"sozu-1.1.1.state", "sozu-2.1.0-all.state"} {
		t.Run(name, func(t *testing.T) {
			st, err := statefile.Read(filepath.Join("..", "statefile", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			if st.Len() == 0 {
				t.Fatal("sample is empty")
			}
			h := start(t, Options{Preload: st})
			if !h.sim.MainState().Equal(st) {
				t.Error("main state differs from the preload")
			}
			if !h.sim.Worker(1).State().Equal(st) {
				t.Error("worker state copy differs from the preload")
			}
			for k, v := range h.hashes() {
				if len(v) != len(st.Clusters) {
					t.Errorf("%s hashes %d clusters, want %d", k, len(v), len(st.Clusters))
				}
			}
			if got := h.sim.Received(); got != 0 {
				t.Errorf("the preload counted %d requests", got)
			}
		})
	}
}

// TestLoadStateManyRecords replays more records than one hand-over batch to
// the workers, some of which the workers refuse (frontends without a
// listener), and checks Sōzu's counts and every process's state.
func TestLoadStateManyRecords(t *testing.T) {
	const clusters = 700
	st := state.New()
	for i := range clusters {
		id := fmt.Sprintf("c%d", i)
		for _, r := range []*sozupb.Request{
			addCluster(id),
			addBackend(id, id+"-0", fmt.Sprintf("10.0.%d.%d:80", i/250, i%250)),
		} {
			if err := st.Apply(r); err != nil {
				t.Fatal(err)
			}
		}
		if i%7 == 0 {
			if err := st.Apply(addHTTPFront(front("0.0.0.0:80", id+".example.com", "/", id, sozupb.RulePosition_TREE))); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := filepath.Join(testsock.Dir(t), "many.state")
	if err := statefile.Write(file, st); err != nil {
		t.Fatal(err)
	}
	records := len(st.Requests())
	fronts := (clusters + 6) / 7
	h := start(t, Options{Workers: 3})
	_, resp, err := h.send(loadReq(file))
	if err == nil {
		t.Fatal("load_state answered OK, want FAILURE for the frontends the workers refuse")
	}
	want := fmt.Sprintf("loading state: %d ok messages, %d errors", 3*(records-fronts), 3*fronts)
	if resp.GetMessage() != want {
		t.Errorf("message %q, want %q", resp.GetMessage(), want)
	}
	if !h.sim.MainState().Equal(st) {
		t.Error("main state differs from the file")
	}
	for i := range 3 {
		w := h.sim.Worker(i)
		if !w.State().Equal(st) {
			t.Errorf("worker %d's state copy differs from the file", i)
		}
		if got := len(w.Backends("c699")); got != 1 {
			t.Errorf("worker %d routes to %d backends of the last cluster", i, got)
		}
	}
}
