package sim

import (
	"encoding/binary"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// The tests of this file check, through the socket, the rules of protocol
// notes §0 that TestWorkerRules does not: they concern both layers or the
// main process's half-applied failures.

func queryListeners(t *testing.T, h *harness) *sozupb.ListenersList {
	t.Helper()
	return h.ok(&sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}}).
		GetContent().GetListenersList()
}

func stateCerts(t *testing.T, h *harness) map[string]*sozupb.CertificateAndKey {
	t.Helper()
	return h.ok(&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromTheState{
		QueryCertificatesFromTheState: &sozupb.QueryCertificatesFilters{},
	}}).GetContent().GetCertificatesWithFingerprints().GetCerts()
}

// §0.10: a TCP and a UDP listener may share an address; each routes on its
// own, and removing one leaves the other.
func TestRuleListenersShareAnAddress(t *testing.T) {
	const a = "0.0.0.0:5353"
	h := start(t, Options{})
	for _, r := range []*sozupb.Request{
		addTCPListener(a), addUDPListener(a), addCluster("t"), addCluster("u"),
		addTCPFront("t", a), addUDPFront("u", a),
	} {
		h.ok(r)
	}
	w := h.sim.Worker(0)
	if c, ok := w.TCPRoute(a); !ok || c != "t" {
		t.Errorf("TCP routes to %q, %v", c, ok)
	}
	if c, ok := w.UDPRoute(a); !ok || c != "u" {
		t.Errorf("UDP routes to %q, %v", c, ok)
	}
	h.ok(&sozupb.Request{RequestType: &sozupb.Request_RemoveListener{RemoveListener: &sozupb.RemoveListener{
		Address: addr(a), Proxy: sozupb.ListenerType_TCP.Enum(),
	}}})
	if w.HasListener(sozupb.ListenerType_TCP, a) || !w.HasListener(sozupb.ListenerType_UDP, a) {
		t.Error("removing the TCP listener did not leave exactly the UDP one")
	}
	l := queryListeners(t, h)
	if len(l.GetTcpListeners()) != 0 || len(l.GetUdpListeners()) != 1 {
		t.Errorf("main process lists %d TCP and %d UDP listeners", len(l.GetTcpListeners()), len(l.GetUdpListeners()))
	}
}

// §0.11: an update patch sets what it carries and cannot clear anything.
func TestRuleUpdateCannotClear(t *testing.T) {
	const a = "0.0.0.0:80"
	h := start(t, Options{})
	h.ok(addHTTPListener(a, false))
	h.ok(&sozupb.Request{RequestType: &sozupb.Request_UpdateHttpListener{UpdateHttpListener: &sozupb.UpdateHttpListenerConfig{
		Address: addr(a), PublicAddress: addr("192.0.2.1:80"), FrontTimeout: proto.Uint32(5),
	}}})
	h.ok(&sozupb.Request{RequestType: &sozupb.Request_UpdateHttpListener{UpdateHttpListener: &sozupb.UpdateHttpListenerConfig{
		Address: addr(a), BackTimeout: proto.Uint32(7),
	}}})
	l := queryListeners(t, h).GetHttpListeners()[a]
	if l.GetPublicAddress() == nil || l.GetFrontTimeout() != 5 || l.GetBackTimeout() != 7 {
		t.Errorf("listener after two patches: public %v front %d back %d", l.GetPublicAddress(), l.GetFrontTimeout(), l.GetBackTimeout())
	}
}

// §0.12: ReplaceCertificate drops the old fingerprint from the main process
// before it fails on a bad new certificate; nothing reaches the workers,
// which keep serving the old one.
func TestRuleReplaceCertificateHalfApplied(t *testing.T) {
	const a = "0.0.0.0:443"
	h := start(t, Options{})
	old := newCert(t, "a.example.com")
	h.ok(addHTTPSListener(a))
	h.ok(addCert(a, old.and()))
	bad := &sozupb.CertificateAndKey{Certificate: proto.String("not a certificate"), Key: proto.String("nor a key")}
	proc, msg := h.fail(replaceCert(a, bad, old.fingerprint))
	if proc != 0 || !strings.HasPrefix(msg, msgDispatchFailed) {
		t.Errorf("%d PROCESSING, message %q; want an immediate main-process FAILURE", proc, msg)
	}
	if _, ok := stateCerts(t, h)[old.fingerprint]; ok {
		t.Error("the main process still holds the old certificate")
	}
	if got := h.sim.Worker(0).Certificates(a)["a.example.com"]; got != old.fingerprint {
		t.Errorf("worker serves %q for a.example.com, want the old certificate", got)
	}
	if _, ok := h.sim.Worker(1).State().Certificates[a][old.fingerprint]; !ok {
		t.Error("the worker's state copy lost the old certificate, but the request never reached it")
	}
}

// §0.15: the main process accepts, and the workers refuse, a certificate
// removal where no HTTPS listener is; the FAILURE lists every worker.
func TestRuleWorkerOnlyRejectionListsWorkers(t *testing.T) {
	h := start(t, Options{Workers: 3})
	proc, msg := h.fail(removeCert("0.0.0.0:443", strings.Repeat("ab", 32)))
	if proc != 1 {
		t.Errorf("%d PROCESSING, want 1", proc)
	}
	parts := strings.Split(msg, ", ")
	if len(parts) != 3 {
		t.Fatalf("message %q does not list three workers", msg)
	}
	for i, p := range parts {
		if !strings.HasPrefix(p, string(rune('0'+i))+": ") || strings.HasSuffix(p, ": OK") {
			t.Errorf("worker entry %q", p)
		}
	}
}

// §0.16: a frontend whose position is missing decodes as TREE, the
// declared default: a later TREE removal finds it in the workers.
func TestRuleMissingPositionIsTree(t *testing.T) {
	const a = "0.0.0.0:80"
	h := start(t, Options{})
	h.ok(addHTTPListener(a, false))
	h.ok(addCluster("c"))
	f := front(a, "x.example.com", "/", "c", sozupb.RulePosition_TREE)
	f.Position = nil
	// The sozu client refuses to send a request missing a required field;
	// Sōzu's decoder takes it with the declared default.
	payload, err := proto.MarshalOptions{AllowPartial: true}.Marshal(addHTTPFront(f))
	if err != nil {
		t.Fatal(err)
	}
	c := rawConn(t, h)
	c.Write(append(binary.LittleEndian.AppendUint64(nil, uint64(8+len(payload))), payload...))
	for {
		frame, err := rawRead(t, c)
		if err != nil {
			t.Fatal(err)
		}
		r := &sozupb.Response{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(frame[8:], r); err != nil {
			t.Fatal(err)
		}
		if r.GetStatus() == sozupb.ResponseStatus_FAILURE {
			t.Fatalf("add without position: %s", r.GetMessage())
		}
		if r.GetStatus() == sozupb.ResponseStatus_OK {
			break
		}
	}
	routes := h.sim.Worker(0).Routes()
	if len(routes) != 1 {
		t.Fatalf("worker has %d routes, want 1", len(routes))
	}
	h.ok(&sozupb.Request{RequestType: &sozupb.Request_RemoveHttpFrontend{RemoveHttpFrontend: front(a, "x.example.com", "/", "c", sozupb.RulePosition_TREE)}})
	if n := len(h.sim.Worker(0).Routes()); n != 0 {
		t.Errorf("worker keeps %d routes after the TREE removal", n)
	}
}

// QueryHealthChecks answers at once from the main process: every cluster's
// health check, or the one cluster_id names (none for an unknown id).
func TestQueryHealthChecks(t *testing.T) {
	h := start(t, Options{})
	hc := func(uri string) *sozupb.HealthCheckConfig {
		return &sozupb.HealthCheckConfig{
			Uri: proto.String(uri), Interval: proto.Uint32(10), Timeout: proto.Uint32(5),
			HealthyThreshold: proto.Uint32(2), UnhealthyThreshold: proto.Uint32(3), ExpectedStatus: proto.Uint32(0),
		}
	}
	for _, r := range []*sozupb.Request{
		addCluster("a"), addCluster("b"), addCluster("none"),
		{RequestType: &sozupb.Request_SetHealthCheck{SetHealthCheck: &sozupb.SetHealthCheck{ClusterId: proto.String("a"), Config: hc("/a")}}},
		{RequestType: &sozupb.Request_SetHealthCheck{SetHealthCheck: &sozupb.SetHealthCheck{ClusterId: proto.String("b"), Config: hc("/b")}}},
	} {
		h.ok(r)
	}
	query := func(id *string) map[string]*sozupb.HealthCheckConfig {
		t.Helper()
		proc, resp, err := h.send(&sozupb.Request{RequestType: &sozupb.Request_QueryHealthChecks{QueryHealthChecks: &sozupb.QueryHealthChecks{ClusterId: id}}})
		if err != nil || len(proc) != 0 {
			t.Fatalf("%v after %d PROCESSING", err, len(proc))
		}
		return resp.GetContent().GetHealthChecksList().GetMap()
	}
	if got := query(nil); len(got) != 2 || got["a"].GetUri() != "/a" || got["b"].GetUri() != "/b" {
		t.Errorf("all health checks: %v", got)
	}
	if got := query(proto.String("b")); len(got) != 1 || got["b"].GetUri() != "/b" {
		t.Errorf("health check of b: %v", got)
	}
	if got := query(proto.String("zz")); len(got) != 0 {
		t.Errorf("health checks of an unknown cluster: %v", got)
	}
}
