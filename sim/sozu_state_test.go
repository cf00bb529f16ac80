package sim

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
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
