package sim

import (
	"strings"
	"testing"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// TestWorkerRules checks each worker rule of the protocol notes (§0) through
// the socket: the request's answer, then what the worker and the main
// process hold afterwards.
func TestWorkerRules(t *testing.T) {
	const (
		http  = "0.0.0.0:80"
		https = "0.0.0.0:443"
		tcp   = "0.0.0.0:5432"
		udp   = "0.0.0.0:53"
	)
	certA := newCert(t, "a.example.com")
	tests := []struct {
		name    string
		setup   []*sozupb.Request
		req     *sozupb.Request
		wantErr string // "" for OK; else a substring of the FAILURE message
		check   func(t *testing.T, h *harness)
	}{
		{
			name:  "tcp frontend of a second cluster takes the route",
			setup: []*sozupb.Request{addTCPListener(tcp), addCluster("a"), addCluster("b"), addTCPFront("a", tcp)},
			req:   addTCPFront("b", tcp),
			check: func(t *testing.T, h *harness) {
				w := h.sim.Worker(0)
				if c, ok := w.TCPRoute(tcp); !ok || c != "b" {
					t.Errorf("TCPRoute = %q, %v; want b", c, ok)
				}
				if n := len(h.sim.MainState().TCPFrontends); n != 2 {
					t.Errorf("main process has TCP frontends for %d clusters, want 2", n)
				}
			},
		},
		{
			name:  "tcp frontend removal ignores the cluster id",
			setup: []*sozupb.Request{addTCPListener(tcp), addCluster("a"), addCluster("b"), addTCPFront("a", tcp), addTCPFront("b", tcp)},
			req:   removeTCPFront("a", tcp),
			check: func(t *testing.T, h *harness) {
				if c, ok := h.sim.Worker(1).TCPRoute(tcp); ok {
					t.Errorf("TCP listener still routes to %q", c)
				}
				if n := len(h.sim.MainState().TCPFrontends["b"]); n != 1 {
					t.Errorf("main process keeps %d frontends of b, want 1", n)
				}
			},
		},
		{
			name:  "udp frontend of a second cluster takes the route",
			setup: []*sozupb.Request{addUDPListener(udp), addCluster("a"), addCluster("b"), addUDPFront("a", udp)},
			req:   addUDPFront("b", udp),
			check: func(t *testing.T, h *harness) {
				if c, ok := h.sim.Worker(0).UDPRoute(udp); !ok || c != "b" {
					t.Errorf("UDPRoute = %q, %v; want b", c, ok)
				}
			},
		},
		{
			name: "backends are removed by address",
			setup: []*sozupb.Request{addCluster("a"), addBackend("a", "a-1", "10.0.0.1:80"),
				addBackend("a", "a-2", "10.0.0.1:80"), addBackend("a", "a-3", "10.0.0.2:80")},
			req: removeBackend("a", "a-1", "10.0.0.1:80"),
			check: func(t *testing.T, h *harness) {
				got := h.sim.Worker(0).Backends("a")
				if len(got) != 1 || got[0].ID != "a-3" {
					t.Errorf("worker backends = %v, want only a-3", got)
				}
				if n := len(h.sim.MainState().Backends["a"]); n != 2 {
					t.Errorf("main process keeps %d backends, want 2 (a-2 and a-3)", n)
				}
			},
		},
		{
			name:    "hostnames are lowercased by workers",
			setup:   []*sozupb.Request{addHTTPListener(http, false), addCluster("a"), addHTTPFront(front(http, "API.example.com", "/", "a", sozupb.RulePosition_TREE))},
			req:     addHTTPFront(front(http, "api.example.com", "/", "a", sozupb.RulePosition_TREE)),
			wantErr: "0: could not add frontend",
			check: func(t *testing.T, h *harness) {
				routes := h.sim.Worker(0).Routes()
				if len(routes) != 1 || routes[0].Hostname != "api.example.com" {
					t.Errorf("routes = %v, want one for api.example.com", routes)
				}
				if n := len(h.sim.MainState().HTTPFrontends); n != 2 {
					t.Errorf("main process has %d frontends, want 2", n)
				}
			},
		},
		{
			name:  "a TREE remove of a PRE route is OK and leaves it",
			setup: []*sozupb.Request{addHTTPListener(http, false), addCluster("a"), addHTTPFront(front(http, "x.example.com", "/", "a", sozupb.RulePosition_PRE))},
			req:   removeHTTPFront(front(http, "x.example.com", "/", "a", sozupb.RulePosition_TREE)),
			check: func(t *testing.T, h *harness) {
				routes := h.sim.Worker(0).Routes()
				if len(routes) != 1 || routes[0].Position != sozupb.RulePosition_PRE {
					t.Errorf("routes = %v, want the PRE route kept", routes)
				}
				if n := len(h.sim.MainState().HTTPFrontends); n != 0 {
					t.Errorf("main process has %d frontends, want 0", n)
				}
			},
		},
		{
			name:    "a PRE remove of a TREE route fails in the workers",
			setup:   []*sozupb.Request{addHTTPListener(http, false), addCluster("a"), addHTTPFront(front(http, "x.example.com", "/", "a", sozupb.RulePosition_TREE))},
			req:     removeHTTPFront(front(http, "x.example.com", "/", "a", sozupb.RulePosition_PRE)),
			wantErr: "could not remove frontend",
			check: func(t *testing.T, h *harness) {
				if routes := h.sim.Worker(1).Routes(); len(routes) != 1 {
					t.Errorf("routes = %v, want the TREE route kept", routes)
				}
			},
		},
		{
			name: "an EQUALS route is never removed by a worker",
			setup: []*sozupb.Request{addHTTPListener(http, false), addCluster("a"), addHTTPFront(func() *sozupb.RequestHttpFrontend {
				f := front(http, "x.example.com", "/exact", "a", sozupb.RulePosition_TREE)
				f.Path.Kind = sozupb.PathRuleKind_EQUALS.Enum()
				return f
			}())},
			req: removeHTTPFront(func() *sozupb.RequestHttpFrontend {
				f := front(http, "x.example.com", "/exact", "a", sozupb.RulePosition_TREE)
				f.Path.Kind = sozupb.PathRuleKind_EQUALS.Enum()
				return f
			}()),
			check: func(t *testing.T, h *harness) {
				if routes := h.sim.Worker(0).Routes(); len(routes) != 1 || routes[0].Path != "=/exact" {
					t.Errorf("routes = %v, want the EQUALS route kept", routes)
				}
				if n := len(h.sim.MainState().HTTPFrontends); n != 0 {
					t.Errorf("main process has %d frontends, want 0", n)
				}
			},
		},
		{
			name:  "an invalid regex path fails in workers",
			setup: []*sozupb.Request{addHTTPListener(http, false)},
			req: addHTTPFront(func() *sozupb.RequestHttpFrontend {
				f := front(http, "x.example.com", "(", "", sozupb.RulePosition_TREE)
				f.Path.Kind = sozupb.PathRuleKind_REGEX.Enum()
				return f
			}()),
			wantErr: "could not add frontend",
		},
		{
			name:    "deactivating an inactive listener fails",
			setup:   []*sozupb.Request{addHTTPListener(http, false)},
			req:     deactivate(http, sozupb.ListenerType_HTTP),
			wantErr: "0: the listener is not activated, 1: the listener is not activated",
		},
		{
			name: "a listener added active is recorded active but not bound",
			req:  addHTTPListener(http, true),
			check: func(t *testing.T, h *harness) {
				if h.sim.Worker(0).Bound(http) {
					t.Error("worker bound the listener")
				}
				if !h.sim.MainState().HTTPListeners[http].GetActive() {
					t.Error("main process does not record the listener active")
				}
			},
		},
		{
			name:    "an HTTPS listener without TLS versions fails in workers",
			req:     httpsListenerWith(https, func(l *sozupb.HttpsListenerConfig) { l.Versions = nil }),
			wantErr: "no usable cipher suites configured",
			check: func(t *testing.T, h *harness) {
				if h.sim.Worker(0).HasListener(sozupb.ListenerType_HTTPS, https) {
					t.Error("worker created the listener")
				}
				if _, ok := h.sim.MainState().HTTPSListeners[https]; !ok {
					t.Error("main process did not keep the listener")
				}
			},
		},
		{
			name: "an HTTPS listener with only versions older than TLS 1.2 fails in workers",
			req: httpsListenerWith(https, func(l *sozupb.HttpsListenerConfig) {
				l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_0, sozupb.TlsVersion_TLS_V1_1}
			}),
			wantErr: "no usable cipher suites configured",
		},
		{
			name: "an HTTPS listener whose ciphers are all of another version fails in workers",
			req: httpsListenerWith(https, func(l *sozupb.HttpsListenerConfig) {
				l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
				l.CipherList = []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "RC4-MD5"}
			}),
			wantErr: "no usable cipher suites configured",
		},
		{
			name: "an HTTPS listener with only unknown groups fails in workers",
			req: httpsListenerWith(https, func(l *sozupb.HttpsListenerConfig) {
				l.GroupsList = []string{"ffdhe2048"}
			}),
			wantErr: "no kx groups configured",
		},
		{
			name: "an HTTPS listener with one usable cipher and one known group is created",
			req: httpsListenerWith(https, func(l *sozupb.HttpsListenerConfig) {
				l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_2}
				l.CipherList = []string{"nonsense", "TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256"}
				l.GroupsList = []string{"nonsense", "P-256"}
			}),
			check: func(t *testing.T, h *harness) {
				if !h.sim.Worker(1).HasListener(sozupb.ListenerType_HTTPS, https) {
					t.Error("worker has no listener")
				}
			},
		},
		{
			name:  "activation binds, deactivation unbinds",
			setup: []*sozupb.Request{addHTTPListener(http, false), activate(http, sozupb.ListenerType_HTTP)},
			req:   deactivate(http, sozupb.ListenerType_HTTP),
			check: func(t *testing.T, h *harness) {
				if h.sim.Worker(0).Bound(http) {
					t.Error("listener still bound")
				}
			},
		},
		{
			name:    "a frontend needs a listener of its protocol",
			setup:   []*sozupb.Request{addHTTPSListener(http), addCluster("a")},
			req:     addHTTPFront(front(http, "x.example.com", "/", "a", sozupb.RulePosition_TREE)),
			wantErr: "0: found no listener with address 0.0.0.0:80",
			check: func(t *testing.T, h *harness) {
				if n := len(h.sim.MainState().HTTPFrontends); n != 1 {
					t.Errorf("main process has %d frontends, want 1 (it keeps the change)", n)
				}
			},
		},
		{
			name:    "a TCP frontend needs a TCP listener",
			setup:   []*sozupb.Request{addCluster("a")},
			req:     addTCPFront("a", tcp),
			wantErr: "found no listener",
		},
		{
			name:  "HSTS on an HTTP frontend fails",
			setup: []*sozupb.Request{addHTTPListener(http, false), addCluster("a")},
			req: func() *sozupb.Request {
				f := front(http, "x.example.com", "/", "a", sozupb.RulePosition_TREE)
				f.Hsts = &sozupb.HstsConfig{}
				return addHTTPFront(f)
			}(),
			wantErr: "HSTS",
		},
		{
			name:    "a certificate needs an HTTPS listener",
			setup:   []*sozupb.Request{addHTTPListener(https, false)},
			req:     addCert(https, certA.and()),
			wantErr: "found no listener",
		},
		{
			name:    "removing a certificate where no HTTPS listener is fails",
			req:     removeCert(https, certA.fingerprint),
			wantErr: "found no listener",
		},
		{
			name:  "a loaded certificate keeps its names",
			setup: []*sozupb.Request{addHTTPSListener(https), addCert(https, certA.and("a.example.com"))},
			req:   addCert(https, certA.and("b.example.com")),
			check: func(t *testing.T, h *harness) {
				got := h.sim.Worker(0).Certificates(https)
				if len(got) != 1 || got["a.example.com"] != certA.fingerprint {
					t.Errorf("served names = %v, want only a.example.com", got)
				}
			},
		},
		{
			name:  "replacing a certificate by itself does nothing in workers",
			setup: []*sozupb.Request{addHTTPSListener(https), addCert(https, certA.and("a.example.com"))},
			req:   replaceCert(https, certA.and("z.example.com"), certA.fingerprint),
			check: func(t *testing.T, h *harness) {
				got := h.sim.Worker(0).Certificates(https)
				if len(got) != 1 || got["a.example.com"] != certA.fingerprint {
					t.Errorf("served names = %v, want a.example.com unchanged", got)
				}
			},
		},
		{
			name:  "a bad key fails in workers",
			setup: []*sozupb.Request{addHTTPSListener(https)},
			req: func() *sozupb.Request {
				ck := certA.and()
				ck.Key = ptr("not a key")
				return addCert(https, ck)
			}(),
			wantErr: "empty key",
			check: func(t *testing.T, h *harness) {
				if n := len(h.sim.MainState().Certificates[https]); n != 1 {
					t.Errorf("main process has %d certificates, want 1", n)
				}
			},
		},
		{
			name: "removing a listener drops its routes in workers",
			setup: []*sozupb.Request{addHTTPListener(http, false), addCluster("a"),
				addHTTPFront(front(http, "x.example.com", "/", "a", sozupb.RulePosition_TREE))},
			req: removeListener(http, sozupb.ListenerType_HTTP),
			check: func(t *testing.T, h *harness) {
				if routes := h.sim.Worker(0).Routes(); len(routes) != 0 {
					t.Errorf("routes = %v, want none", routes)
				}
				if n := len(h.sim.MainState().HTTPFrontends); n != 1 {
					t.Errorf("main process has %d frontends, want 1", n)
				}
			},
		},
		{
			name:  "an HTTPS hsts patch without enabled fails in workers",
			setup: []*sozupb.Request{addHTTPSListener(https)},
			req: &sozupb.Request{RequestType: &sozupb.Request_UpdateHttpsListener{UpdateHttpsListener: &sozupb.UpdateHttpsListenerConfig{
				Address: addr(https), Hsts: &sozupb.HstsConfig{MaxAge: ptr(uint32(60))},
			}}},
			wantErr: "hsts",
		},
		{
			name:  "removing a cluster keeps its routes and backends in workers",
			setup: []*sozupb.Request{addTCPListener(tcp), addCluster("a"), addTCPFront("a", tcp), addBackend("a", "a-1", "10.0.0.1:80")},
			req:   removeCluster("a"),
			check: func(t *testing.T, h *harness) {
				w := h.sim.Worker(0)
				if w.HasCluster("a") {
					t.Error("worker keeps the cluster's settings")
				}
				if _, ok := w.TCPRoute(tcp); !ok {
					t.Error("worker dropped the TCP route")
				}
				if len(w.Backends("a")) != 1 {
					t.Error("worker dropped the backend")
				}
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := start(t, Options{})
			for _, r := range tc.setup {
				h.ok(r)
			}
			if tc.wantErr == "" {
				h.ok(tc.req)
			} else {
				proc, msg := h.fail(tc.req)
				if proc != 1 {
					t.Errorf("FAILURE after %d PROCESSING answers, want 1 (a worker failure)", proc)
				}
				if !strings.Contains(msg, tc.wantErr) {
					t.Errorf("FAILURE message %q does not contain %q", msg, tc.wantErr)
				}
			}
			if tc.check != nil {
				tc.check(t, h)
			}
		})
	}
}

// TestWorkerStateCopyUpdatedOnFailure checks §0.9: a worker updates its own
// state copy even when its proxies reject the request, so the hashes match.
func TestWorkerStateCopyUpdatedOnFailure(t *testing.T) {
	h := start(t, Options{})
	h.ok(addCluster("a"))
	h.fail(addHTTPFront(front("0.0.0.0:80", "x.example.com", "/", "a", sozupb.RulePosition_TREE)))
	hs := h.hashes()
	if len(hs) != 3 {
		t.Fatalf("hash entries = %v, want main, 0 and 1", hs)
	}
	for _, id := range []string{"0", "1"} {
		if hs[id]["a"] != hs["main"]["a"] {
			t.Errorf("worker %s hash %x differs from main %x", id, hs[id]["a"], hs["main"]["a"])
		}
	}
	if !state.EffectiveEqual(h.sim.Worker(0).State().Clusters["a"], h.sim.MainState().Clusters["a"]) {
		t.Error("worker's state copy differs from the main state")
	}
}

// httpsListenerWith is an AddHttpsListener with the defaults of
// state.NewHTTPSListener changed by edit.
func httpsListenerWith(a string, edit func(*sozupb.HttpsListenerConfig)) *sozupb.Request {
	l := state.NewHTTPSListener(addr(a))
	edit(l)
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: l}}
}
