package sim

import (
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// The tests of this file replay, over the socket, the unit tests of Sōzu
// 2.1.0's command/src/state.rs whose outcome a client can observe. Each
// names the Sōzu test it follows. Where Sōzu's test skips the listener a
// worker needs, these add it, so that the workers accept the request too.

func byDomain(h *harness, host string, path *string) map[string][]string {
	m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryClustersByDomain{QueryClustersByDomain: &sozupb.QueryClusterByDomain{
		Hostname: proto.String(host), Path: path,
	}}}).GetContent().GetWorkerResponses().GetMap()
	out := map[string][]string{}
	for k, v := range m {
		ids := []string{}
		for _, c := range v.GetClusters().GetVec() {
			ids = append(ids, c.GetConfiguration().GetClusterId())
		}
		out[k] = ids
	}
	return out
}

// Sōzu: cluster_ids_by_domain.
func TestSozuClusterIDsByDomain(t *testing.T) {
	h := start(t, Options{})
	for _, r := range []*sozupb.Request{
		addHTTPListener("0.0.0.0:8080", false), addHTTPSListener("0.0.0.0:8443"),
		addCluster("MyCluster_1"), addCluster("MyCluster_2"),
		addHTTPFront(front("0.0.0.0:8080", "lolcatho.st", "", "MyCluster_1", sozupb.RulePosition_TREE)),
		addHTTPFront(front("0.0.0.0:8080", "lolcatho.st", "/api", "MyCluster_2", sozupb.RulePosition_TREE)),
		addHTTPSFront(front("0.0.0.0:8443", "lolcatho.st", "", "MyCluster_1", sozupb.RulePosition_TREE)),
		addHTTPSFront(front("0.0.0.0:8443", "lolcatho.st", "/api", "MyCluster_2", sozupb.RulePosition_TREE)),
	} {
		h.ok(r)
	}
	tests := []struct {
		host string
		path *string
		want string
	}{
		{"lolcatho.st", nil, "MyCluster_1,MyCluster_2"},
		{"lolcatho.st", ptr("/api"), "MyCluster_2"},
		{"lolcathost", nil, ""},
		{"lolcathost", ptr("/sozu"), ""},
	}
	for _, tc := range tests {
		got := byDomain(h, tc.host, tc.path)
		if len(got) != 3 {
			t.Errorf("%s: entries %v, want main, 0 and 1", tc.host, got)
		}
		for k, ids := range got {
			if s := strings.Join(ids, ","); s != tc.want {
				t.Errorf("%s %v in %s: %q, want %q", tc.host, tc.path, k, s, tc.want)
			}
		}
	}
}

// Sōzu: duplicate_backends. A second AddBackend with the same id and
// address updates the backend in place.
func TestSozuDuplicateBackends(t *testing.T) {
	h := start(t, Options{})
	h.ok(addCluster("cluster_1"))
	h.ok(addBackend("cluster_1", "cluster_1-0", "127.0.0.1:1026"))
	again := addBackend("cluster_1", "cluster_1-0", "127.0.0.1:1026")
	again.GetAddBackend().StickyId = proto.String("sticky")
	h.ok(again)
	m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "cluster_1"}}).GetContent().GetWorkerResponses().GetMap()
	b := m["main"].GetClusters().GetVec()[0].GetBackends()
	if len(b) != 1 || b[0].GetStickyId() != "sticky" {
		t.Errorf("backends = %v, want one with sticky id", b)
	}
	if w := h.sim.Worker(0).Backends("cluster_1"); len(w) != 1 {
		t.Errorf("worker backends = %v", w)
	}
}

// Sōzu: remove_backend. Over the socket the workers show their own rule:
// the ten backends share one address, so removing one removes all ten.
func TestSozuRemoveBackend(t *testing.T) {
	h := start(t, Options{})
	h.ok(addCluster("cluster_1"))
	for i := range 10 {
		h.ok(addBackend("cluster_1", "cluster_1-"+string(rune('0'+i)), "127.0.0.1:1026"))
	}
	if n := len(h.sim.MainState().Backends["cluster_1"]); n != 10 {
		t.Fatalf("%d backends, want 10", n)
	}
	rm := removeBackend("cluster_1", "cluster_1-0", "127.0.0.1:1026")
	h.ok(rm)
	if n := len(h.sim.MainState().Backends["cluster_1"]); n != 9 {
		t.Errorf("main process has %d backends, want 9", n)
	}
	if w := h.sim.Worker(0).Backends("cluster_1"); len(w) != 0 {
		t.Errorf("worker keeps %d backends, want 0 (removed by address)", len(w))
	}
	proc, msg := h.fail(rm)
	if proc != 0 || msg != msgDispatchFailed+"dispatching this request did not bring any change to the state" {
		t.Errorf("redundant remove: %d PROCESSING, %q", proc, msg)
	}
	if n := len(h.sim.MainState().Backends["cluster_1"]); n != 9 {
		t.Errorf("main process has %d backends after the redundant remove, want 9", n)
	}
}

// Sōzu: certificate_retrieval.
func TestSozuCertificateRetrieval(t *testing.T) {
	h := start(t, Options{})
	cert := newCert(t, "lolcatho.st")
	h.ok(addHTTPSListener("127.0.0.1:8080"))
	h.ok(addCert("127.0.0.1:8080", cert.and("lolcatho.st")))
	query := func(f *sozupb.QueryCertificatesFilters) map[string]*sozupb.CertificateAndKey {
		return h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromTheState{QueryCertificatesFromTheState: f}}).
			GetContent().GetCertificatesWithFingerprints().GetCerts()
	}
	if c := query(&sozupb.QueryCertificatesFilters{Fingerprint: ptr(cert.fingerprint)}); len(c) == 0 {
		t.Error("not found by fingerprint")
	}
	if c := query(&sozupb.QueryCertificatesFilters{Domain: ptr("lolcatho.st")}); len(c) == 0 {
		t.Error("not found by domain")
	}
	// The workers find it by fingerprint in their state copies.
	m := h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromWorkers{
		QueryCertificatesFromWorkers: &sozupb.QueryCertificatesFilters{Fingerprint: ptr(cert.fingerprint)}}}).GetContent().GetWorkerResponses().GetMap()
	if len(m) != 2 || len(m["0"].GetCertificatesWithFingerprints().GetCerts()) != 1 {
		t.Errorf("workers = %v", m)
	}
}

// Sōzu: list_frontends_includes_udp.
func TestSozuListFrontendsIncludesUDP(t *testing.T) {
	h := start(t, Options{})
	h.ok(addTCPListener("0.0.0.0:6379"))
	h.ok(addUDPListener("0.0.0.0:5353"))
	h.ok(addTCPFront("tcp_cluster", "0.0.0.0:6379"))
	h.ok(addUDPFront("udp_cluster", "0.0.0.0:5353"))
	list := func(http, tcp bool, domain *string) *sozupb.ListedFrontends {
		f := &sozupb.FrontendFilters{Http: proto.Bool(http), Https: proto.Bool(false), Tcp: proto.Bool(tcp), Domain: domain}
		return h.ok(&sozupb.Request{RequestType: &sozupb.Request_ListFrontends{ListFrontends: f}}).GetContent().GetFrontendList()
	}
	all := list(false, false, nil)
	if len(all.TcpFrontends) != 1 || len(all.UdpFrontends) != 1 || all.UdpFrontends[0].GetClusterId() != "udp_cluster" {
		t.Errorf("all = %v", all)
	}
	if tcp := list(false, true, nil); len(tcp.TcpFrontends) != 1 || len(tcp.UdpFrontends) != 1 {
		t.Errorf("tcp only = %v (UDP rides the tcp flag)", tcp)
	}
	if http := list(true, false, nil); len(http.TcpFrontends)+len(http.UdpFrontends) != 0 {
		t.Errorf("http only = %v", http)
	}
	if dom := list(false, false, ptr("example.com")); len(dom.TcpFrontends)+len(dom.UdpFrontends) != 0 {
		t.Errorf("domain = %v", dom)
	}
}

// Sōzu: update_https_listener_not_found and update_tcp_listener_not_found.
func TestSozuUpdateListenerNotFound(t *testing.T) {
	h := start(t, Options{})
	for _, r := range []*sozupb.Request{
		{RequestType: &sozupb.Request_UpdateHttpsListener{UpdateHttpsListener: &sozupb.UpdateHttpsListenerConfig{Address: addr("127.0.0.1:8443")}}},
		{RequestType: &sozupb.Request_UpdateTcpListener{UpdateTcpListener: &sozupb.UpdateTcpListenerConfig{Address: addr("127.0.0.1:8443")}}},
	} {
		proc, msg := h.fail(r)
		if proc != 0 || !strings.HasPrefix(msg, msgDispatchFailed+"Did not find") {
			t.Errorf("%d PROCESSING, %q", proc, msg)
		}
	}
}

// Sōzu: add_cluster_invalid_health_check_uri_rejected.
func TestSozuAddClusterInvalidHealthCheckURI(t *testing.T) {
	h := start(t, Options{})
	c := cluster("evil_cluster")
	c.HealthCheck = &sozupb.HealthCheckConfig{
		Uri: proto.String("/foo\r\nGET /admin"), Interval: proto.Uint32(5000), Timeout: proto.Uint32(1000),
		HealthyThreshold: proto.Uint32(2), UnhealthyThreshold: proto.Uint32(2), ExpectedStatus: proto.Uint32(0),
	}
	proc, msg := h.fail(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: c}})
	if proc != 0 || !strings.Contains(msg, "health_check") {
		t.Errorf("%d PROCESSING, %q", proc, msg)
	}
	if _, ok := h.sim.MainState().Clusters["evil_cluster"]; ok || h.sim.Worker(0).HasCluster("evil_cluster") {
		t.Error("the rejected cluster was stored")
	}
}

// Sōzu: the update_*_listener tests of command/src/state.rs (not_found,
// noop_patch, invalid_value_flood_knob_zero, alpn_*, sozu_id_header_*,
// graceful_shutdown_zero_allowed, update_http_listener_happy_path and
// flood_knob_zero_rejected, update_tcp_listener_happy_path and not_found),
// each sent over the socket and checked with ListListeners.
func TestSozuUpdateListeners(t *testing.T) {
	const https, http, tcp = "0.0.0.0:8443", "0.0.0.0:8080", "0.0.0.0:9000"
	httpsWithALPN := func(alpn ...string) *sozupb.Request {
		return httpsListenerWith(https, func(l *sozupb.HttpsListenerConfig) { l.AlpnProtocols = alpn })
	}
	patchHTTPS := func(edit func(*sozupb.UpdateHttpsListenerConfig)) *sozupb.Request {
		p := &sozupb.UpdateHttpsListenerConfig{Address: addr(https)}
		edit(p)
		return &sozupb.Request{RequestType: &sozupb.Request_UpdateHttpsListener{UpdateHttpsListener: p}}
	}
	type listeners = *sozupb.ListenersList
	tests := []struct {
		name    string
		setup   []*sozupb.Request
		patch   *sozupb.Request
		wantErr string // substring of the main process's FAILURE; "" for OK
		check   func(t *testing.T, l listeners)
	}{
		{
			name: "https not found",
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) {
				p.Address = addr("1.2.3.4:9999")
				p.H2MaxRstStreamPerWindow = proto.Uint32(50)
			}),
			wantErr: "Did not find HttpsListener",
		},
		{
			name:  "https no-op patch",
			setup: []*sozupb.Request{httpsWithALPN()},
			patch: patchHTTPS(func(*sozupb.UpdateHttpsListenerConfig) {}),
			check: func(t *testing.T, l listeners) {
				if got := l.GetHttpsListeners()[https].GetFrontTimeout(); got != 60 {
					t.Errorf("front_timeout %d, want 60", got)
				}
			},
		},
		{
			name:    "https flood knob zero",
			setup:   []*sozupb.Request{httpsWithALPN()},
			patch:   patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.H2MaxRstStreamPerWindow = proto.Uint32(0) }),
			wantErr: "'h2_max_rst_stream_per_window'",
		},
		{
			name:  "https unknown ALPN",
			setup: []*sozupb.Request{httpsWithALPN()},
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) {
				p.AlpnProtocols = &sozupb.AlpnProtocols{Values: []string{"h3"}}
			}),
			wantErr: "'alpn_protocols'",
		},
		{
			name:  "https empty ALPN resets it",
			setup: []*sozupb.Request{httpsWithALPN("h2")},
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.AlpnProtocols = &sozupb.AlpnProtocols{} }),
			check: func(t *testing.T, l listeners) {
				if got := l.GetHttpsListeners()[https].GetAlpnProtocols(); len(got) != 0 {
					t.Errorf("ALPN %q, want none", got)
				}
			},
		},
		{
			name:  "https valid ALPN",
			setup: []*sozupb.Request{httpsWithALPN()},
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) {
				p.AlpnProtocols = &sozupb.AlpnProtocols{Values: []string{"h2", "http/1.1"}}
			}),
			check: func(t *testing.T, l listeners) {
				if got := l.GetHttpsListeners()[https].GetAlpnProtocols(); !equalStrings(got, []string{"h2", "http/1.1"}) {
					t.Errorf("ALPN %q", got)
				}
			},
		},
		{
			name:  "https ALPN kept when not patched",
			setup: []*sozupb.Request{httpsWithALPN("h2")},
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.FrontTimeout = proto.Uint32(10) }),
			check: func(t *testing.T, l listeners) {
				if got := l.GetHttpsListeners()[https].GetAlpnProtocols(); !equalStrings(got, []string{"h2"}) {
					t.Errorf("ALPN %q, want h2", got)
				}
			},
		},
		{
			name:    "https empty sozu_id_header",
			setup:   []*sozupb.Request{httpsWithALPN()},
			patch:   patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.SozuIdHeader = proto.String("") }),
			wantErr: "'sozu_id_header'",
		},
		{
			name:    "https sozu_id_header with a colon",
			setup:   []*sozupb.Request{httpsWithALPN()},
			patch:   patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.SozuIdHeader = proto.String("bad: value") }),
			wantErr: "'sozu_id_header'",
		},
		{
			name:  "https valid sozu_id_header",
			setup: []*sozupb.Request{httpsWithALPN()},
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.SozuIdHeader = proto.String("X-Edge-Id") }),
			check: func(t *testing.T, l listeners) {
				if got := l.GetHttpsListeners()[https].GetSozuIdHeader(); got != "X-Edge-Id" {
					t.Errorf("sozu_id_header %q", got)
				}
			},
		},
		{
			name:  "https graceful shutdown zero",
			setup: []*sozupb.Request{httpsWithALPN()},
			patch: patchHTTPS(func(p *sozupb.UpdateHttpsListenerConfig) { p.H2GracefulShutdownDeadlineSeconds = proto.Uint32(0) }),
			check: func(t *testing.T, l listeners) {
				if got := l.GetHttpsListeners()[https].H2GracefulShutdownDeadlineSeconds; got == nil || *got != 0 {
					t.Errorf("h2_graceful_shutdown_deadline_seconds %v, want 0", got)
				}
			},
		},
		{
			name:  "http happy path",
			setup: []*sozupb.Request{addHTTPListener(http, false)},
			patch: &sozupb.Request{RequestType: &sozupb.Request_UpdateHttpListener{UpdateHttpListener: &sozupb.UpdateHttpListenerConfig{
				Address: addr(http), FrontTimeout: proto.Uint32(15), H2MaxRstStreamPerWindow: proto.Uint32(25),
			}}},
			check: func(t *testing.T, l listeners) {
				got := l.GetHttpListeners()[http]
				if got.GetFrontTimeout() != 15 || got.GetH2MaxRstStreamPerWindow() != 25 || got.GetBackTimeout() != 30 {
					t.Errorf("front %d, rst %d, back %d", got.GetFrontTimeout(), got.GetH2MaxRstStreamPerWindow(), got.GetBackTimeout())
				}
			},
		},
		{
			name:  "http flood knob zero",
			setup: []*sozupb.Request{addHTTPListener(http, false)},
			patch: &sozupb.Request{RequestType: &sozupb.Request_UpdateHttpListener{UpdateHttpListener: &sozupb.UpdateHttpListenerConfig{
				Address: addr(http), H2MaxWindowUpdateStream0PerWindow: proto.Uint32(0),
			}}},
			wantErr: "'h2_max_window_update_stream0_per_window'",
		},
		{
			name:  "tcp happy path",
			setup: []*sozupb.Request{addTCPListener(tcp)},
			patch: &sozupb.Request{RequestType: &sozupb.Request_UpdateTcpListener{UpdateTcpListener: &sozupb.UpdateTcpListenerConfig{
				Address: addr(tcp), FrontTimeout: proto.Uint32(5),
			}}},
			check: func(t *testing.T, l listeners) {
				got := l.GetTcpListeners()[tcp]
				if got.GetFrontTimeout() != 5 || got.GetBackTimeout() != 30 {
					t.Errorf("front %d, back %d", got.GetFrontTimeout(), got.GetBackTimeout())
				}
			},
		},
		{
			name: "tcp not found",
			patch: &sozupb.Request{RequestType: &sozupb.Request_UpdateTcpListener{UpdateTcpListener: &sozupb.UpdateTcpListenerConfig{
				Address: addr("9.9.9.9:9999"), FrontTimeout: proto.Uint32(5),
			}}},
			wantErr: "Did not find TcpListener",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Options{})
			for _, r := range tc.setup {
				h.ok(r)
			}
			if tc.wantErr != "" {
				proc, msg := h.fail(tc.patch)
				if proc != 0 || !strings.HasPrefix(msg, msgDispatchFailed) || !strings.Contains(msg, tc.wantErr) {
					t.Errorf("%d PROCESSING, %q; want the main process's FAILURE naming %s", proc, msg, tc.wantErr)
				}
				return
			}
			h.ok(tc.patch)
			tc.check(t, queryListeners(t, h))
		})
	}
}

// Sōzu: test_udp_state_roundtrip, over the socket. An active UDP listener
// and a tagged UDP frontend survive save_state then load_state into a fresh
// simulator (Sōzu replays generate_requests there); a partial
// UpdateUdpListener then changes only what it carries.
func TestSozuUDPStateRoundtrip(t *testing.T) {
	const a = "127.0.0.1:5353"
	h := start(t, Options{})
	l := state.NewUDPListener(addr(a))
	l.Active = proto.Bool(true)
	front := &sozupb.RequestUdpFrontend{ClusterId: proto.String("udp_cluster"), Address: addr(a), Tags: map[string]string{"owner": "team"}}
	for _, r := range []*sozupb.Request{
		{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: l}},
		activate(a, sozupb.ListenerType_UDP),
		{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: front}},
	} {
		h.ok(r)
	}
	want := h.sim.MainState()
	if !want.UDPListeners[a].GetActive() || len(want.UDPFrontends["udp_cluster"]) != 1 {
		t.Fatalf("built state: listener %v, frontends %v", want.UDPListeners[a], want.UDPFrontends)
	}
	file := filepath.Join(testsock.Dir(t), "udp.state")
	h.ok(saveReq(file))
	fresh := start(t, Options{})
	fresh.ok(loadReq(file))
	if !fresh.sim.MainState().Equal(want) {
		t.Error("the UDP listener and frontend did not survive save_state and load_state")
	}
	if !fresh.sim.Worker(0).Bound(a) {
		t.Error("the reloaded UDP listener is not bound in the workers")
	}

	fresh.ok(&sozupb.Request{RequestType: &sozupb.Request_UpdateUdpListener{UpdateUdpListener: &sozupb.UpdateUdpListenerConfig{
		Address: addr(a), MaxFlows: proto.Uint32(4096), FrontTimeout: proto.Uint32(15),
	}}})
	got := queryListeners(t, fresh).GetUdpListeners()[a]
	if got.GetMaxFlows() != 4096 || got.GetFrontTimeout() != 15 || got.GetBackTimeout() != l.GetBackTimeout() {
		t.Errorf("after the patch: max_flows %d, front %d, back %d", got.GetMaxFlows(), got.GetFrontTimeout(), got.GetBackTimeout())
	}
}
