package sim

import (
	"encoding/binary"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
)

// TestAnswerSequences checks the answers of each request kind: how many
// PROCESSING, the terminal status and message.
func TestAnswerSequences(t *testing.T) {
	tests := []struct {
		name     string
		setup    []*sozupb.Request
		req      *sozupb.Request
		wantProc int
		wantOK   bool
		wantMsg  string // prefix of the terminal message
	}{
		{"accepted mutation", nil, addCluster("a"), 1, true, "Successfully applied request to all workers"},
		{"duplicate listener", []*sozupb.Request{addHTTPListener("0.0.0.0:80", false)}, addHTTPListener("0.0.0.0:80", false),
			0, false, "could not dispatch request on the main process state: "},
		{"duplicate frontend", []*sozupb.Request{addHTTPListener("0.0.0.0:80", false), addHTTPFront(front("0.0.0.0:80", "a.x", "/", "", sozupb.RulePosition_TREE))},
			addHTTPFront(front("0.0.0.0:80", "a.x", "/", "", sozupb.RulePosition_TREE)), 0, false, "could not dispatch request on the main process state: "},
		{"cluster upsert", []*sozupb.Request{addCluster("a")}, addCluster("a"), 1, true, "Successfully applied"},
		{"remove of a missing cluster", nil, removeCluster("nope"), 0, false, "could not dispatch request on the main process state: Did not find"},
		{"list workers", nil, &sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}}, 0, true, "Successfully listed workers"},
		{"status", nil, &sozupb.Request{RequestType: &sozupb.Request_Status{Status: &sozupb.Status{}}}, 1, true, "Successfully collected the status of workers"},
		{"list listeners", nil, &sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}}, 0, true, "Successfully listed listeners"},
		{"list frontends", nil, &sozupb.Request{RequestType: &sozupb.Request_ListFrontends{ListFrontends: &sozupb.FrontendFilters{
			Http: proto.Bool(false), Https: proto.Bool(false), Tcp: proto.Bool(false)}}}, 0, true, "Successfully listed frontends"},
		{"certificates from the state", nil, &sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromTheState{
			QueryCertificatesFromTheState: &sozupb.QueryCertificatesFilters{}}}, 0, true, "Successfully queried certificates"},
		{"certificates from workers", nil, &sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromWorkers{
			QueryCertificatesFromWorkers: &sozupb.QueryCertificatesFilters{}}}, 1, true, "Successfully queried clusters"},
		{"health checks", nil, &sozupb.Request{RequestType: &sozupb.Request_QueryHealthChecks{QueryHealthChecks: &sozupb.QueryHealthChecks{}}}, 0, true, "Successfully listed health check"},
		{"count requests", nil, &sozupb.Request{RequestType: &sozupb.Request_CountRequests{CountRequests: &sozupb.CountRequests{}}}, 0, true, "Successfully counted"},
		{"clusters hashes", nil, hashesReq(), 1, true, "Successfully queried clusters"},
		{"cluster by id", nil, &sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "a"}}, 1, true, "Successfully queried clusters"},
		{"logging", nil, &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "info"}}, 1, true, "Successfully applied"},
		{"logging by module", nil, &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "WARN,sozu=debug,lib=/regex"}}, 1, true, "Successfully applied"},
		{"logging with a bad level", nil, &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "loud"}}, 0, false,
			"Error parsing logging filter:\n- Invalid log level: loud"},
		{"logging with bad directives", nil, &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "a=b=c,x=noisy/r/s"}}, 0, false,
			"Error parsing logging filter:\n- Too many '/'s: a=b=c,x=noisy/r/s; Too many '='s: a=b=c; Invalid log level: x=noisy"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Options{})
			for _, r := range tc.setup {
				h.ok(r)
			}
			proc, resp, err := h.send(tc.req)
			if tc.wantOK != (err == nil) {
				t.Fatalf("error = %v, want OK %v", err, tc.wantOK)
			}
			if len(proc) != tc.wantProc {
				t.Errorf("%d PROCESSING answers, want %d", len(proc), tc.wantProc)
			}
			if !strings.HasPrefix(resp.GetMessage(), tc.wantMsg) {
				t.Errorf("message %q does not start with %q", resp.GetMessage(), tc.wantMsg)
			}
		})
	}
}

// rawConn dials the simulator without the client, to send what the client
// refuses to send.
func rawConn(t *testing.T, h *harness) net.Conn {
	t.Helper()
	c, err := net.Dial("unix", h.path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func frame(t *testing.T, m proto.Message) []byte {
	t.Helper()
	b, err := sozu.AppendFrame(nil, m)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// expectSilence fails unless nothing arrives on c for a short while.
func expectSilence(t *testing.T, c net.Conn) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	var b [1]byte
	if n, err := c.Read(b[:]); n > 0 || err == nil {
		t.Fatalf("got an answer, want none")
	} else if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		t.Fatalf("read: %v, want a timeout", err)
	}
	c.SetReadDeadline(time.Time{})
}

func TestNoAnswer(t *testing.T) {
	for name, req := range map[string]*sozupb.Request{
		"empty":                 {},
		"launch worker":         {RequestType: &sozupb.Request_LaunchWorker{LaunchWorker: "x"}},
		"return listen sockets": {RequestType: &sozupb.Request_ReturnListenSockets{ReturnListenSockets: &sozupb.ReturnListenSockets{}}},
	} {
		t.Run(name, func(t *testing.T) {
			h := start(t, Options{})
			c := rawConn(t, h)
			if _, err := c.Write(frame(t, req)); err != nil {
				t.Fatal(err)
			}
			expectSilence(t, c)
			// The connection still serves the next request.
			if _, err := c.Write(frame(t, addCluster("a"))); err != nil {
				t.Fatal(err)
			}
			for _, want := range []sozupb.ResponseStatus{sozupb.ResponseStatus_PROCESSING, sozupb.ResponseStatus_OK} {
				r, err := sozu.ReadResponse(c, 0)
				if err != nil || r.GetStatus() != want {
					t.Fatalf("answer %v, %v; want %v", r, err, want)
				}
			}
		})
	}
}

// TestUnknownVerbGetsNoAnswer: a request whose only field is a tag the
// schema does not know decodes as an empty request, and Sōzu says nothing.
func TestUnknownVerbGetsNoAnswer(t *testing.T) {
	h := start(t, Options{})
	c := rawConn(t, h)
	// Field 99, varint 1: tag bytes 0x98 0x06, value 0x01.
	if _, err := c.Write([]byte{11, 0, 0, 0, 0, 0, 0, 0, 0x98, 0x06, 0x01}); err != nil {
		t.Fatal(err)
	}
	expectSilence(t, c)
}

// TestPipelinedFramesKeepTheLast sends two frames in one write: as Sōzu,
// the simulator processes only the last.
func TestPipelinedFramesKeepTheLast(t *testing.T) {
	h := start(t, Options{})
	c := rawConn(t, h)
	b := append(frame(t, addCluster("first")), frame(t, addCluster("second"))...)
	if _, err := c.Write(b); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := sozu.ReadResponse(c, 0); err != nil {
			t.Fatal(err)
		}
	}
	expectSilence(t, c)
	st := h.sim.MainState()
	if _, ok := st.Clusters["first"]; ok {
		t.Error("the first of two pipelined requests was applied")
	}
	if _, ok := st.Clusters["second"]; !ok {
		t.Error("the last of two pipelined requests was not applied")
	}
}

// TestShortFrameIsSkipped: a frame declaring less than its own prefix is
// skipped (its 8 bytes consumed) and the connection reads on.
func TestShortFrameIsSkipped(t *testing.T) {
	h := start(t, Options{})
	c := rawConn(t, h)
	var short [8]byte
	binary.LittleEndian.PutUint64(short[:], 3)
	if _, err := c.Write(short[:]); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Write(frame(t, addCluster("a"))); err != nil {
		t.Fatal(err)
	}
	r, err := sozu.ReadResponse(c, 0)
	if err != nil || r.GetStatus() != sozupb.ResponseStatus_PROCESSING {
		t.Fatalf("answer %v, %v; want PROCESSING", r, err)
	}
}

// TestOversizedFrameCloses: a declared length beyond the maximum ends the
// connection without an answer.
func TestOversizedFrameCloses(t *testing.T) {
	h := start(t, Options{})
	c := rawConn(t, h)
	var big [8]byte
	binary.LittleEndian.PutUint64(big[:], 2_000_001)
	if _, err := c.Write(big[:]); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(2 * time.Second))
	if _, err := sozu.ReadResponse(c, 0); err == nil {
		t.Fatal("got an answer to an oversized frame")
	}
}

// TestAnswerTooBigCloses: an answer beyond the maximum frame size closes
// the connection without a word, as Sōzu does.
func TestAnswerTooBigCloses(t *testing.T) {
	h := start(t, Options{MaxFrameSize: 400})
	for i := range 10 {
		h.ok(addHTTPListener(fmt.Sprintf("0.0.0.0:%d", 80+i), false))
	}
	_, _, err := h.send(&sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}})
	if err == nil {
		t.Fatal("an oversized answer was delivered")
	}
	// Another connection still works.
	h.c = h.dial()
	h.ok(addCluster("a"))
}

func TestConcurrentClients(t *testing.T) {
	h := start(t, Options{})
	const clients, each = 4, 25
	errs := make(chan error, clients)
	for i := range clients {
		c := h.dial()
		go func() {
			for j := range each {
				_, err := c.Send(t.Context(), addBackend("a", "b", fmt.Sprintf("10.0.%d.%d:80", i, j)), nil)
				if err != nil {
					errs <- err
					return
				}
			}
			errs <- nil
		}()
	}
	for range clients {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if n := len(h.sim.MainState().Backends["a"]); n != clients*each {
		t.Errorf("%d backends, want %d", n, clients*each)
	}
	if n := len(h.sim.Worker(1).Backends("a")); n != clients*each {
		t.Errorf("worker has %d backends, want %d", n, clients*each)
	}
}

func TestQueries(t *testing.T) {
	h := start(t, Options{Workers: 3})
	cert := newCert(t, "a.example.com", "www.example.com")
	for _, r := range []*sozupb.Request{
		addHTTPListener("0.0.0.0:80", false), addHTTPSListener("0.0.0.0:443"), addTCPListener("0.0.0.0:5432"),
		addCluster("api"), addCluster("db"),
		addHTTPFront(front("0.0.0.0:80", "a.example.com", "/", "api", sozupb.RulePosition_TREE)),
		addHTTPSFront(front("0.0.0.0:443", "a.example.com", "/v1", "api", sozupb.RulePosition_TREE)),
		addTCPFront("db", "0.0.0.0:5432"),
		addBackend("api", "api-1", "10.0.0.1:8080"),
		addCert("0.0.0.0:443", cert.and()),
	} {
		h.ok(r)
	}

	t.Run("list workers", func(t *testing.T) {
		r := h.ok(&sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}})
		v := r.GetContent().GetWorkers().GetVec()
		if len(v) != 3 || v[2].GetId() != 2 || v[0].GetRunState() != sozupb.RunState_RUNNING {
			t.Errorf("workers = %v", v)
		}
	})
	t.Run("list frontends filters", func(t *testing.T) {
		list := func(http, https, tcp bool, domain *string) *sozupb.ListedFrontends {
			return h.ok(&sozupb.Request{RequestType: &sozupb.Request_ListFrontends{ListFrontends: &sozupb.FrontendFilters{
				Http: &http, Https: &https, Tcp: &tcp, Domain: domain}}}).GetContent().GetFrontendList()
		}
		all := list(false, false, false, nil)
		if len(all.HttpFrontends) != 1 || len(all.HttpsFrontends) != 1 || len(all.TcpFrontends) != 1 {
			t.Errorf("all = %v", all)
		}
		https := list(false, true, false, nil)
		if len(https.HttpFrontends) != 0 || len(https.HttpsFrontends) != 1 || len(https.TcpFrontends) != 0 {
			t.Errorf("https only = %v", https)
		}
		dom := list(false, false, false, ptr("example"))
		if len(dom.HttpFrontends) != 1 || len(dom.TcpFrontends) != 0 {
			t.Errorf("domain filter = %v", dom)
		}
		if none := list(false, false, false, ptr("nothing")); len(none.HttpFrontends)+len(none.HttpsFrontends) != 0 {
			t.Errorf("domain filter nothing = %v", none)
		}
	})
	t.Run("list listeners", func(t *testing.T) {
		l := h.ok(&sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}}).GetContent().GetListenersList()
		if len(l.HttpListeners) != 1 || len(l.HttpsListeners) != 1 || len(l.TcpListeners) != 1 || l.HttpListeners["0.0.0.0:80"] == nil {
			t.Errorf("listeners = %v", l)
		}
	})
	t.Run("cluster by id", func(t *testing.T) {
		m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "api"}}).GetContent().GetWorkerResponses().GetMap()
		for _, k := range []string{"main", "0", "1", "2"} {
			v := m[k].GetClusters().GetVec()
			if len(v) != 1 || len(v[0].HttpFrontends) != 1 || len(v[0].HttpsFrontends) != 1 || len(v[0].Backends) != 1 {
				t.Errorf("%s: %v", k, v)
			}
		}
		m = h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "nope"}}).GetContent().GetWorkerResponses().GetMap()
		if len(m["main"].GetClusters().GetVec()) != 0 {
			t.Errorf("unknown cluster: %v", m["main"])
		}
	})
	t.Run("cluster hashes", func(t *testing.T) {
		hs := h.hashes()
		if len(hs) != 4 || len(hs["main"]) != 2 {
			t.Fatalf("hashes = %v", hs)
		}
		for _, k := range []string{"0", "1", "2"} {
			for id, v := range hs["main"] {
				if hs[k][id] != v {
					t.Errorf("worker %s cluster %s: %x, main %x", k, id, hs[k][id], v)
				}
			}
		}
		if hs["main"]["api"] == hs["main"]["db"] {
			t.Error("two different clusters hash alike")
		}
	})
	t.Run("certificates from the state", func(t *testing.T) {
		certs := func(f *sozupb.QueryCertificatesFilters) map[string]*sozupb.CertificateAndKey {
			return h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromTheState{QueryCertificatesFromTheState: f}}).
				GetContent().GetCertificatesWithFingerprints().GetCerts()
		}
		if c := certs(&sozupb.QueryCertificatesFilters{}); len(c) != 1 || c[cert.fingerprint] == nil {
			t.Errorf("all = %v", c)
		}
		if c := certs(&sozupb.QueryCertificatesFilters{Domain: ptr("www.example.com")}); len(c) != 1 {
			t.Errorf("by domain = %v", c)
		}
		if c := certs(&sozupb.QueryCertificatesFilters{Fingerprint: ptr(strings.Repeat("0", 64))}); len(c) != 0 {
			t.Errorf("by unknown fingerprint = %v", c)
		}
	})
	t.Run("certificates from workers", func(t *testing.T) {
		m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromWorkers{QueryCertificatesFromWorkers: &sozupb.QueryCertificatesFilters{}}}).
			GetContent().GetWorkerResponses().GetMap()
		if _, ok := m["main"]; ok || len(m) != 3 {
			t.Fatalf("entries = %v, want one per worker and no main", m)
		}
		by := m["1"].GetCertificatesByAddress().GetCertificates()
		if len(by) != 1 || len(by[0].CertificateSummaries) != 2 || by[0].CertificateSummaries[0].GetFingerprint() != cert.fingerprint {
			t.Errorf("worker 1 = %v", by)
		}
		h.ok(addCert("0.0.0.0:443", newCert(t, "*.wild.example.com").and()))
		for domain, want := range map[string]int{"www.example.com": 1, "nope.example.com": 0, "a.wild.example.com": 1, "a.b.wild.example.com": 0} {
			m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromWorkers{QueryCertificatesFromWorkers: &sozupb.QueryCertificatesFilters{Domain: ptr(domain)}}}).
				GetContent().GetWorkerResponses().GetMap()
			by := m["0"].GetCertificatesByAddress().GetCertificates()
			if len(by) != 1 || len(by[0].CertificateSummaries) != want {
				t.Errorf("domain %s: %v, want %d summaries", domain, by, want)
			}
		}
	})
	t.Run("count requests", func(t *testing.T) {
		m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_CountRequests{CountRequests: &sozupb.CountRequests{}}}).GetContent().GetRequestCounts().GetMap()
		// Sōzu's census starts a verb at 2.
		if m["AddCluster"] != 3 || m["AddBackend"] != 2 {
			t.Errorf("counts = %v", m)
		}
	})
}
