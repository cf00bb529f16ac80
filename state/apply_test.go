package state

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/testing/protocmp"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func TestApply(t *testing.T) {
	certA := testCert(t, "a.example", []string{"a.example", "www.a.example"}, nil)
	certB := testCert(t, "b.example", nil, nil)
	fpA, _ := CertificateFingerprint(certA)
	fpB, _ := CertificateFingerprint(certB)
	// A PEM block that is not an X.509 certificate: it has a fingerprint
	// but no names.
	notX509 := "-----BEGIN CERTIFICATE-----\nAAECAw==\n-----END CERTIFICATE-----\n"
	fpNotX509, _ := CertificateFingerprint(notX509)
	https := func(addr string) *sozupb.HttpsListenerConfig { return NewHTTPSListener(mustAddr(t, addr)) }
	http := func(addr string) *sozupb.HttpListenerConfig { return NewHTTPListener(mustAddr(t, addr)) }
	addCert := func(addr, pemText string, names ...string) *sozupb.Request {
		return req(&sozupb.AddCertificate{Address: mustAddr(t, addr), Certificate: &sozupb.CertificateAndKey{
			Certificate: proto.String(pemText), Key: proto.String("k"), Names: names}, ExpiredAt: proto.Int64(123)})
	}
	activate := func(addr string, lt sozupb.ListenerType) *sozupb.Request {
		a, p := listenerRef(t, addr, lt)
		return req(&sozupb.ActivateListener{Address: a, Proxy: p, FromScm: proto.Bool(false)})
	}
	deactivate := func(addr string, lt sozupb.ListenerType) *sozupb.Request {
		a, p := listenerRef(t, addr, lt)
		return req(&sozupb.DeactivateListener{Address: a, Proxy: p, ToScm: proto.Bool(false)})
	}
	removeListener := func(addr string, lt sozupb.ListenerType) *sozupb.Request {
		a, p := listenerRef(t, addr, lt)
		return req(&sozupb.RemoveListener{Address: a, Proxy: p})
	}
	withHC := func(c *sozupb.Cluster, hc *sozupb.HealthCheckConfig) *sozupb.Cluster { c.HealthCheck = hc; return c }

	tests := []struct {
		name  string
		setup []*sozupb.Request
		req   *sozupb.Request
		kind  ErrorKind // 0: success
		msg   string    // expected message when kind != 0
		half  bool      // Sōzu keeps part of a rejected request
		check func(t *testing.T, s *State)
	}{
		{name: "add cluster", req: req(cluster("api")), check: func(t *testing.T, s *State) {
			if s.Clusters["api"] == nil {
				t.Error("cluster missing")
			}
		}},
		{name: "add cluster is an upsert", setup: []*sozupb.Request{req(withHC(cluster("api"), healthCheck("/h")))},
			req: req(cluster("api")), check: func(t *testing.T, s *State) {
				if s.Clusters["api"].HealthCheck != nil {
					t.Error("upsert kept the old health check")
				}
			}},
		{name: "add cluster with bad health check uri", req: req(withHC(cluster("api"), healthCheck("h"))), kind: Invalid,
			msg: "Invalid value for field 'health_check': health check URI must start with '/'"},
		{name: "add cluster with CRLF in health check uri", req: req(withHC(cluster("api"), healthCheck("/a\r\nb"))), kind: Invalid,
			msg: "Invalid value for field 'health_check': health check URI must not contain CR, LF, NUL, or other C0 control bytes"},
		{name: "add cluster with zero interval", req: req(withHC(cluster("api"), &sozupb.HealthCheckConfig{Uri: proto.String("/"), Interval: proto.Uint32(0)})), kind: Invalid,
			msg: "Invalid value for field 'health_check': health check interval must be > 0"},
		{name: "remove cluster leaves children", setup: []*sozupb.Request{req(cluster("api")), req(backend(t, "api", "b1", "10.0.0.1:80")),
			addHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "api"))},
			req: removeCluster("api"), check: func(t *testing.T, s *State) {
				if len(s.Clusters) != 0 || len(s.Backends["api"]) != 1 || len(s.HTTPFrontends) != 1 {
					t.Errorf("clusters=%d backends=%d fronts=%d", len(s.Clusters), len(s.Backends["api"]), len(s.HTTPFrontends))
				}
			}},
		{name: "remove absent cluster", req: removeCluster("api"), kind: NotFound, msg: "Did not find Cluster with address or id 'api'"},
		{name: "set health check", setup: []*sozupb.Request{req(cluster("api"))},
			req: req(&sozupb.SetHealthCheck{ClusterId: proto.String("api"), Config: healthCheck("/health")}),
			check: func(t *testing.T, s *State) {
				if s.Clusters["api"].GetHealthCheck().GetUri() != "/health" {
					t.Error("health check not set")
				}
			}},
		{name: "set health check on absent cluster", req: req(&sozupb.SetHealthCheck{ClusterId: proto.String("x"), Config: healthCheck("/")}),
			kind: NotFound, msg: "Did not find Cluster with address or id 'x'"},
		{name: "set invalid health check is checked before the cluster", req: req(&sozupb.SetHealthCheck{ClusterId: proto.String("x"), Config: &sozupb.HealthCheckConfig{Uri: proto.String("/"), Interval: proto.Uint32(1), Timeout: proto.Uint32(0)}}),
			kind: Invalid, msg: "Invalid value for field 'health_check': health check timeout must be > 0"},
		{name: "remove health check", setup: []*sozupb.Request{req(withHC(cluster("api"), healthCheck("/h")))},
			req: removeHealthCheck("api"), check: func(t *testing.T, s *State) {
				if s.Clusters["api"].HealthCheck != nil {
					t.Error("still there")
				}
			}},
		{name: "remove health check of absent cluster", req: removeHealthCheck("api"), kind: NotFound, msg: "Did not find Cluster with address or id 'api'"},
		{name: "add http listener stored verbatim", req: req(func() *sozupb.HttpListenerConfig { l := http("0.0.0.0:80"); l.Active = proto.Bool(true); return l }()),
			check: func(t *testing.T, s *State) {
				if !s.HTTPListeners["0.0.0.0:80"].GetActive() {
					t.Error("active not stored")
				}
			}},
		{name: "add http listener twice", setup: []*sozupb.Request{req(http("0.0.0.0:80"))}, req: req(http("0.0.0.0:80")),
			kind: Exists, msg: "HttpListener '0.0.0.0:80' already exists"},
		{name: "add https listener beside an http one on the same address", setup: []*sozupb.Request{req(http("[::1]:443"))},
			req: req(https("[::1]:443")), check: func(t *testing.T, s *State) {
				if l := s.HTTPSListeners["[::1]:443"]; l == nil || len(s.HTTPListeners) != 1 || l.GetActive() {
					t.Errorf("https listeners %v", s.HTTPSListeners)
				}
			}},
		{name: "add tcp listener with active set is stored active", req: req(func() *sozupb.TcpListenerConfig {
			l := NewTCPListener(mustAddr(t, "0.0.0.0:5432"))
			l.Active = proto.Bool(true)
			return l
		}()), check: func(t *testing.T, s *State) {
			if !s.TCPListeners["0.0.0.0:5432"].GetActive() {
				t.Error("the listener should be stored as sent, active")
			}
		}},
		{name: "add https listener twice (IPv6)", setup: []*sozupb.Request{req(https("[::1]:443"))}, req: req(https("[::1]:443")),
			kind: Exists, msg: "HttpsListener '[::1]:443' already exists"},
		{name: "tcp and udp listener share an address", setup: []*sozupb.Request{req(NewTCPListener(mustAddr(t, "0.0.0.0:53")))},
			req: req(NewUDPListener(mustAddr(t, "0.0.0.0:53"))), check: func(t *testing.T, s *State) {
				if len(s.TCPListeners) != 1 || len(s.UDPListeners) != 1 {
					t.Error("both listeners should exist")
				}
			}},
		{name: "add tcp listener twice", setup: []*sozupb.Request{req(NewTCPListener(mustAddr(t, "0.0.0.0:1")))}, req: req(NewTCPListener(mustAddr(t, "0.0.0.0:1"))),
			kind: Exists, msg: "TcpListener '0.0.0.0:1' already exists"},
		{name: "add udp listener twice", setup: []*sozupb.Request{req(NewUDPListener(mustAddr(t, "0.0.0.0:1")))}, req: req(NewUDPListener(mustAddr(t, "0.0.0.0:1"))),
			kind: Exists, msg: "UdpListener '0.0.0.0:1' already exists"},
		{name: "remove listener", setup: []*sozupb.Request{req(http("0.0.0.0:80")), addHTTPFront(httpFront(t, "0.0.0.0:80", "a", "/", "c"))},
			req: removeListener("0.0.0.0:80", sozupb.ListenerType_HTTP), check: func(t *testing.T, s *State) {
				if len(s.HTTPListeners) != 0 || len(s.HTTPFrontends) != 1 {
					t.Error("listener should go, frontend stay")
				}
			}},
		{name: "remove absent listener", setup: []*sozupb.Request{req(http("0.0.0.0:80"))}, req: removeListener("0.0.0.0:80", sozupb.ListenerType_HTTPS),
			kind: NoChange, msg: "dispatching this request did not bring any change to the state"},
		{name: "remove listener with unknown type", req: req(&sozupb.RemoveListener{Address: mustAddr(t, "0.0.0.0:1"), Proxy: sozupb.ListenerType(9).Enum()}),
			kind: Invalid, msg: "Wrong field value: unknown enumeration value 9"},
		{name: "activate listener", setup: []*sozupb.Request{req(https("0.0.0.0:443"))}, req: activate("0.0.0.0:443", sozupb.ListenerType_HTTPS),
			check: func(t *testing.T, s *State) {
				if !s.HTTPSListeners["0.0.0.0:443"].GetActive() {
					t.Error("not active")
				}
			}},
		{name: "activate absent listener", req: activate("0.0.0.0:443", sozupb.ListenerType_TCP), kind: NotFound,
			msg: "Did not find TcpListener with address or id '0.0.0.0:443'"},
		{name: "deactivate inactive listener is fine on the main process", setup: []*sozupb.Request{req(NewUDPListener(mustAddr(t, "0.0.0.0:53")))},
			req: deactivate("0.0.0.0:53", sozupb.ListenerType_UDP), check: func(t *testing.T, s *State) {
				if s.UDPListeners["0.0.0.0:53"].GetActive() {
					t.Error("active")
				}
			}},
		{name: "deactivate absent listener", req: deactivate("0.0.0.0:80", sozupb.ListenerType_HTTP), kind: NotFound,
			msg: "Did not find HttpListener with address or id '0.0.0.0:80'"},
		{name: "update http listener patches recorded fields only", setup: []*sozupb.Request{req(http("0.0.0.0:80"))},
			req: req(&sozupb.UpdateHttpListenerConfig{Address: mustAddr(t, "0.0.0.0:80"), FrontTimeout: proto.Uint32(5), H2MaxPingPerWindow: proto.Uint32(7),
				Answers: map[string]string{"404": "x"}, ElideXRealIp: proto.Bool(true), SozuIdHeader: proto.String("X-Id"),
				HttpAnswers: &sozupb.CustomHttpAnswers{Answer_404: proto.String("nf"), Answer_429: proto.String("slow")}}),
			check: func(t *testing.T, s *State) {
				l := s.HTTPListeners["0.0.0.0:80"]
				if l.GetFrontTimeout() != 5 || l.GetH2MaxPingPerWindow() != 7 || l.GetSozuIdHeader() != "X-Id" || l.GetBackTimeout() != 30 {
					t.Errorf("patch not applied: %v", l)
				}
				if len(l.Answers) != 0 || l.GetElideXRealIp() {
					t.Error("answers / elide_x_real_ip must be ignored")
				}
				if l.GetHttpAnswers().GetAnswer_404() != "nf" || l.GetHttpAnswers().Answer_429 != nil {
					t.Errorf("http_answers merge: %v", l.GetHttpAnswers())
				}
			}},
		{name: "update http listener absent", req: req(&sozupb.UpdateHttpListenerConfig{Address: mustAddr(t, "0.0.0.0:80")}), kind: NotFound,
			msg: "Did not find HttpListener with address or id '0.0.0.0:80'"},
		{name: "update http listener h2 knob zero changes nothing", setup: []*sozupb.Request{req(http("0.0.0.0:80"))},
			req:  req(&sozupb.UpdateHttpListenerConfig{Address: mustAddr(t, "0.0.0.0:80"), FrontTimeout: proto.Uint32(5), H2MaxGlitchCount: proto.Uint32(0)}),
			kind: Invalid, msg: "Invalid value for field 'h2_max_glitch_count': must be >= 1"},
		{name: "update http listener shrink ratio 1", setup: []*sozupb.Request{req(http("0.0.0.0:80"))},
			req:  req(&sozupb.UpdateHttpListenerConfig{Address: mustAddr(t, "0.0.0.0:80"), H2StreamShrinkRatio: proto.Uint32(1)}),
			kind: Invalid, msg: "Invalid value for field 'h2_stream_shrink_ratio': must be >= 2"},
		{name: "update http listener bad sozu_id_header is half-applied", setup: []*sozupb.Request{req(http("0.0.0.0:80"))},
			req:  req(&sozupb.UpdateHttpListenerConfig{Address: mustAddr(t, "0.0.0.0:80"), FrontTimeout: proto.Uint32(5), SozuIdHeader: proto.String("a b")}),
			kind: Invalid, half: true,
			msg: "Invalid value for field 'sozu_id_header': must be a valid HTTP header name (RFC 9110 §5.1 token: alphanumeric or one of !#$%&'*+-.^_`|~)",
			check: func(t *testing.T, s *State) {
				l := s.HTTPListeners["0.0.0.0:80"]
				if l.GetFrontTimeout() != 5 || l.SozuIdHeader != nil {
					t.Errorf("want front_timeout written and sozu_id_header not: %v", l)
				}
			}},
		{name: "update https listener empty sozu_id_header is half-applied, after alpn and the h2 knobs", setup: []*sozupb.Request{req(https("0.0.0.0:443"))},
			req: req(&sozupb.UpdateHttpsListenerConfig{Address: mustAddr(t, "0.0.0.0:443"), AlpnProtocols: &sozupb.AlpnProtocols{Values: []string{"h2"}},
				DisableHttp11: proto.Bool(true), H2MaxConcurrentStreams: proto.Uint32(7), SozuIdHeader: proto.String("")}),
			kind: Invalid, half: true, msg: "Invalid value for field 'sozu_id_header': must not be empty",
			check: func(t *testing.T, s *State) {
				l := s.HTTPSListeners["0.0.0.0:443"]
				if !slices.Equal(l.GetAlpnProtocols(), []string{"h2"}) || !l.GetDisableHttp11() || l.GetH2MaxConcurrentStreams() != 7 || l.SozuIdHeader != nil {
					t.Errorf("want alpn, disable_http11 and the h2 knob written, sozu_id_header not: %v", l)
				}
			}},
		{name: "update https listener bad alpn is half-applied", setup: []*sozupb.Request{req(https("0.0.0.0:443"))},
			req: req(&sozupb.UpdateHttpsListenerConfig{Address: mustAddr(t, "0.0.0.0:443"), StickyName: proto.String("S"),
				AlpnProtocols: &sozupb.AlpnProtocols{Values: []string{"h3"}}, DisableHttp11: proto.Bool(true)}),
			kind: Invalid, half: true, msg: `Invalid value for field 'alpn_protocols': each value must be "h2" or "http/1.1"`,
			check: func(t *testing.T, s *State) {
				l := s.HTTPSListeners["0.0.0.0:443"]
				if l.GetStickyName() != "S" || l.DisableHttp11 != nil || len(l.AlpnProtocols) != 2 {
					t.Errorf("want sticky_name written, disable_http11 and alpn not: %v", l)
				}
			}},
		{name: "update https listener ignores hsts and empty alpn resets", setup: []*sozupb.Request{req(https("0.0.0.0:443"))},
			req: req(&sozupb.UpdateHttpsListenerConfig{Address: mustAddr(t, "0.0.0.0:443"), Hsts: &sozupb.HstsConfig{Enabled: proto.Bool(true)},
				AlpnProtocols: &sozupb.AlpnProtocols{}, StrictSniBinding: proto.Bool(true)}),
			check: func(t *testing.T, s *State) {
				l := s.HTTPSListeners["0.0.0.0:443"]
				if l.Hsts != nil || len(l.AlpnProtocols) != 0 || !l.GetStrictSniBinding() {
					t.Errorf("%v", l)
				}
			}},
		{name: "update https listener absent", req: req(&sozupb.UpdateHttpsListenerConfig{Address: mustAddr(t, "0.0.0.0:443")}), kind: NotFound,
			msg: "Did not find HttpsListener with address or id '0.0.0.0:443'"},
		{name: "update tcp listener", setup: []*sozupb.Request{req(NewTCPListener(mustAddr(t, "0.0.0.0:1")))},
			req: req(&sozupb.UpdateTcpListenerConfig{Address: mustAddr(t, "0.0.0.0:1"), ExpectProxy: proto.Bool(true), PublicAddress: mustAddr(t, "1.2.3.4:1")}),
			check: func(t *testing.T, s *State) {
				l := s.TCPListeners["0.0.0.0:1"]
				if !l.GetExpectProxy() || FormatAddress(l.GetPublicAddress()) != "1.2.3.4:1" {
					t.Errorf("%v", l)
				}
			}},
		{name: "update tcp listener absent", req: req(&sozupb.UpdateTcpListenerConfig{Address: mustAddr(t, "0.0.0.0:1")}), kind: NotFound,
			msg: "Did not find TcpListener with address or id '0.0.0.0:1'"},
		{name: "update udp listener", setup: []*sozupb.Request{req(NewUDPListener(mustAddr(t, "0.0.0.0:1")))},
			req: req(&sozupb.UpdateUdpListenerConfig{Address: mustAddr(t, "0.0.0.0:1"), MaxFlows: proto.Uint32(9)}),
			check: func(t *testing.T, s *State) {
				if s.UDPListeners["0.0.0.0:1"].GetMaxFlows() != 9 {
					t.Error("max_flows")
				}
			}},
		{name: "update udp listener absent", req: req(&sozupb.UpdateUdpListenerConfig{Address: mustAddr(t, "0.0.0.0:1")}), kind: NotFound,
			msg: "Did not find UdpListener with address or id '0.0.0.0:1'"},
		{name: "frontends and backends keep their address as Sōzu stores it", setup: []*sozupb.Request{
			addHTTPFront(func() *sozupb.RequestHttpFrontend {
				f := httpFront(t, "0.0.0.0:80", "a.x", "/", "c")
				f.Address = &sozupb.SocketAddress{Port: proto.Uint32(65536 + 80)} // no IP, port over 16 bits
				return f
			}()),
			addTCPFront(&sozupb.RequestTcpFrontend{ClusterId: proto.String("db"), Address: &sozupb.SocketAddress{Ip: &sozupb.IpAddress{}, Port: proto.Uint32(5432)}}),
		},
			req: req(&sozupb.AddBackend{ClusterId: proto.String("c"), BackendId: proto.String("b"),
				Address: &sozupb.SocketAddress{Ip: &sozupb.IpAddress{Inner: &sozupb.IpAddress_V6{V6: &sozupb.Uint128{Low: proto.Uint64(1)}}}, Port: proto.Uint32(8080)}}),
			check: func(t *testing.T, s *State) {
				want := map[string]*sozupb.SocketAddress{
					"frontend": mustAddr(t, "0.0.0.0:80"),
					"tcp":      mustAddr(t, "0.0.0.0:5432"),
					"backend":  mustAddr(t, "[::1]:8080"),
				}
				got := map[string]*sozupb.SocketAddress{
					"frontend": s.HTTPFrontends["0.0.0.0:80;a.x;P/"].GetAddress(),
					"tcp":      s.TCPFrontends["db"][0].GetAddress(),
					"backend":  s.Backends["c"][0].GetAddress(),
				}
				if diff := cmp.Diff(want, got, protocmp.Transform()); diff != "" {
					t.Error(diff)
				}
			}},
		{name: "a listener keeps its address as sent", req: req(NewHTTPListener(&sozupb.SocketAddress{Ip: &sozupb.IpAddress{Inner: &sozupb.IpAddress_V4{V4: 0}}, Port: proto.Uint32(65536 + 80)})),
			check: func(t *testing.T, s *State) {
				if s.HTTPListeners["0.0.0.0:80"].GetAddress().GetPort() != 65536+80 {
					t.Error("the listener's address was rewritten")
				}
			}},
		{name: "add http frontend", req: addHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/api", "")), check: func(t *testing.T, s *State) {
			if s.HTTPFrontends["0.0.0.0:80;a.x;P/api"] == nil {
				t.Error("missing")
			}
		}},
		{name: "add http frontend same key other cluster", setup: []*sozupb.Request{addHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "c1"))},
			req: addHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "c2")), kind: Exists, msg: "HttpFrontend '0.0.0.0:80;a.x;P/' already exists"},
		{name: "add http frontend with unknown position", req: addHTTPFront(func() *sozupb.RequestHttpFrontend {
			f := httpFront(t, "0.0.0.0:80", "a", "/", "")
			f.Position = sozupb.RulePosition(7).Enum()
			return f
		}()), kind: Invalid, msg: "Could not convert the frontend to an insertable one. Frontend: 0.0.0.0:80;a;P/ error: invalid value 7 for field 'position'"},
		{name: "remove http frontend by key only", setup: []*sozupb.Request{addHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "c1"))},
			req: removeHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "other")), check: func(t *testing.T, s *State) {
				if len(s.HTTPFrontends) != 0 {
					t.Error("not removed")
				}
			}},
		{name: "remove absent http frontend", req: removeHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "")), kind: NotFound,
			msg: "Did not find HttpFrontend with address or id '0.0.0.0:80;a.x;P/'"},
		{name: "https frontends are a separate map", setup: []*sozupb.Request{addHTTPFront(httpFront(t, "0.0.0.0:80", "a.x", "/", ""))},
			req: addHTTPSFront(httpFront(t, "0.0.0.0:80", "a.x", "/", "")), check: func(t *testing.T, s *State) {
				if len(s.HTTPSFrontends) != 1 || len(s.HTTPFrontends) != 1 {
					t.Error("maps")
				}
			}},
		{name: "add https frontend twice", setup: []*sozupb.Request{addHTTPSFront(httpFront(t, "[::]:443", "a.x", "/", ""))},
			req: addHTTPSFront(httpFront(t, "[::]:443", "a.x", "/", "")), kind: Exists, msg: "HttpsFrontend '[::]:443;a.x;P/' already exists"},
		{name: "remove absent https frontend", req: removeHTTPSFront(httpFront(t, "0.0.0.0:443", "a.x", "/", "")), kind: NotFound,
			msg: "Did not find HttpsFrontend with address or id '0.0.0.0:443;a.x;P/'"},
		{name: "remove https frontend", setup: []*sozupb.Request{addHTTPSFront(httpFront(t, "0.0.0.0:443", "a.x", "/", ""))},
			req: removeHTTPSFront(httpFront(t, "0.0.0.0:443", "a.x", "/", "")), check: func(t *testing.T, s *State) {
				if len(s.HTTPSFrontends) != 0 {
					t.Error("not removed")
				}
			}},
		{name: "tcp frontend same address other tags is a second entry", setup: []*sozupb.Request{addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", nil))},
			req: addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", map[string]string{"k": "v"})), check: func(t *testing.T, s *State) {
				if len(s.TCPFrontends["db"]) != 2 {
					t.Error("want 2")
				}
			}},
		{name: "tcp frontend exact duplicate", setup: []*sozupb.Request{addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", map[string]string{"k": "v"}))},
			req: addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", map[string]string{"k": "v"})), kind: Exists,
			msg: `TcpFrontend 'TcpFrontend { cluster_id: "db", address: 0.0.0.0:5432, tags: {"k": "v"} }' already exists`},
		{name: "remove tcp frontend removes every entry on the address", setup: []*sozupb.Request{
			addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", nil)), addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", map[string]string{"a": "b"})),
			addTCPFront(tcpFront(t, "db", "0.0.0.0:5433", nil))},
			req: removeTCPFront(tcpFront(t, "db", "0.0.0.0:5432", map[string]string{"x": "y"})), check: func(t *testing.T, s *State) {
				if len(s.TCPFrontends["db"]) != 1 || FormatAddress(s.TCPFrontends["db"][0].GetAddress()) != "0.0.0.0:5433" {
					t.Errorf("%v", s.TCPFrontends["db"])
				}
			}},
		{name: "remove tcp frontend of unknown cluster", req: removeTCPFront(tcpFront(t, "db", "0.0.0.0:5432", nil)), kind: NotFound,
			msg: `Did not find TcpFrontend with address or id 'RequestTcpFrontend { cluster_id: "db", address: SocketAddress { ip: IpAddress { inner: Some(V4(0)) }, port: 5432 }, tags: {} }'`},
		{name: "remove tcp frontend no match", setup: []*sozupb.Request{addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", nil))},
			req: removeTCPFront(tcpFront(t, "db", "0.0.0.0:1", nil)), kind: NoChange, msg: "dispatching this request did not bring any change to the state"},
		{name: "add udp frontend", req: addUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil)), check: func(t *testing.T, s *State) {
			if len(s.UDPFrontends["dns"]) != 1 {
				t.Error("missing")
			}
		}},
		{name: "udp frontend duplicate", setup: []*sozupb.Request{addUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil))},
			req: addUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil)), kind: Exists,
			msg: `UdpFrontend 'UdpFrontend { cluster_id: "dns", address: 0.0.0.0:53, tags: {} }' already exists`},
		{name: "remove udp frontend", setup: []*sozupb.Request{addUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil))},
			req: removeUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil)), check: func(t *testing.T, s *State) {
				if len(s.UDPFrontends["dns"]) != 0 {
					t.Error("not removed")
				}
			}},
		{name: "remove udp frontend no match", setup: []*sozupb.Request{addUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil))},
			req: removeUDPFront(udpFront(t, "dns", "0.0.0.0:54", nil)), kind: NoChange, msg: "dispatching this request did not bring any change to the state"},
		{name: "remove udp frontend unknown cluster", req: removeUDPFront(udpFront(t, "dns", "[::1]:53", nil)), kind: NotFound,
			msg: `Did not find UdpFrontend with address or id 'RequestUdpFrontend { cluster_id: "dns", address: SocketAddress { ip: IpAddress { inner: Some(V6(Uint128 { low: 1, high: 0 })) }, port: 53 }, tags: {} }'`},
		{name: "add backend without cluster, kept sorted", setup: []*sozupb.Request{req(backend(t, "api", "b2", "10.0.0.2:80")), req(backend(t, "api", "b1", "[::1]:80"))},
			req: req(backend(t, "api", "b1", "10.0.0.9:80")), check: func(t *testing.T, s *State) {
				var got []string
				for _, b := range s.Backends["api"] {
					got = append(got, BackendKey(b))
				}
				want := []string{"api;b1;10.0.0.9:80", "api;b1;[::1]:80", "api;b2;10.0.0.2:80"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Error(diff)
				}
			}},
		{name: "backends follow Sōzu's order: id, sticky_id, weight, backup, then address", setup: []*sozupb.Request{
			req(func() *sozupb.AddBackend {
				b := backend(t, "api", "b1", "10.0.0.1:80")
				b.StickyId = proto.String("s")
				return b
			}()),
			req(func() *sozupb.AddBackend {
				b := backend(t, "api", "b1", "10.0.0.2:80")
				b.LoadBalancingParameters = &sozupb.LoadBalancingParams{Weight: proto.Int32(5)}
				return b
			}()),
			req(func() *sozupb.AddBackend {
				b := backend(t, "api", "b1", "10.0.0.3:80")
				b.Backup = proto.Bool(false)
				return b
			}()),
			req(backend(t, "api", "b0", "10.0.0.9:80"))},
			req: req(backend(t, "api", "b1", "[::1]:80")), check: func(t *testing.T, s *State) {
				var got []string
				for _, b := range s.Backends["api"] {
					got = append(got, BackendKey(b))
				}
				// Unset fields sort first, so the plain [::1] backend comes
				// before every IPv4 one here.
				want := []string{"api;b0;10.0.0.9:80", "api;b1;[::1]:80", "api;b1;10.0.0.3:80", "api;b1;10.0.0.2:80", "api;b1;10.0.0.1:80"}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Error(diff)
				}
			}},
		{name: "add backend is an upsert", setup: []*sozupb.Request{req(backend(t, "api", "b1", "10.0.0.1:80"))},
			req: req(func() *sozupb.AddBackend {
				b := backend(t, "api", "b1", "10.0.0.1:80")
				b.Backup = proto.Bool(true)
				return b
			}()),
			check: func(t *testing.T, s *State) {
				if len(s.Backends["api"]) != 1 || !s.Backends["api"][0].GetBackup() {
					t.Error("upsert")
				}
			}},
		{name: "remove backend", setup: []*sozupb.Request{req(backend(t, "api", "b1", "10.0.0.1:80")), req(backend(t, "api", "b2", "10.0.0.1:80"))},
			req: req(&sozupb.RemoveBackend{ClusterId: proto.String("api"), BackendId: proto.String("b1"), Address: mustAddr(t, "10.0.0.1:80")}),
			check: func(t *testing.T, s *State) {
				if len(s.Backends["api"]) != 1 || s.Backends["api"][0].GetBackendId() != "b2" {
					t.Error("wrong backend removed")
				}
			}},
		{name: "remove backend of unknown cluster", req: req(&sozupb.RemoveBackend{ClusterId: proto.String("api"), BackendId: proto.String("b1"), Address: mustAddr(t, "10.0.0.1:80")}),
			kind: NotFound, msg: "Did not find Backend with address or id 'b1'"},
		{name: "remove backend no match", setup: []*sozupb.Request{req(backend(t, "api", "b1", "10.0.0.1:80"))},
			req:  req(&sozupb.RemoveBackend{ClusterId: proto.String("api"), BackendId: proto.String("b1"), Address: mustAddr(t, "10.0.0.1:81")}),
			kind: NoChange, msg: "dispatching this request did not bring any change to the state"},
		{name: "add certificate fills names, drops expired_at", req: addCert("0.0.0.0:443", certA), check: func(t *testing.T, s *State) {
			c := s.Certificates["0.0.0.0:443"][fpA]
			if c == nil || strings.Join(c.Names, ",") != "a.example,www.a.example" {
				t.Errorf("%v", c)
			}
		}},
		{name: "add certificate keeps explicit names", req: addCert("0.0.0.0:443", certA, "z.example"), check: func(t *testing.T, s *State) {
			if got := s.Certificates["0.0.0.0:443"][fpA].GetNames(); len(got) != 1 || got[0] != "z.example" {
				t.Errorf("%v", got)
			}
		}},
		{name: "add certificate again is a no-op", setup: []*sozupb.Request{addCert("0.0.0.0:443", certA)},
			req: addCert("0.0.0.0:443", certA, "other.example"), check: func(t *testing.T, s *State) {
				if got := s.Certificates["0.0.0.0:443"][fpA].GetNames(); len(got) != 2 {
					t.Errorf("names changed: %v", got)
				}
			}},
		{name: "add certificate that is not PEM", req: addCert("0.0.0.0:443", "garbage"), kind: Invalid,
			msg: "Could not add certificate: Could not parse PEM certificate from bytes: no PEM block found"},
		{name: "add certificate whose names fail leaves the address map", req: addCert("0.0.0.0:443", notX509), kind: Invalid, half: true,
			check: func(t *testing.T, s *State) {
				certs, ok := s.Certificates["0.0.0.0:443"]
				if !ok || len(certs) != 0 {
					t.Errorf("want an empty map, got %v (present %v)", certs, ok)
				}
			}},
		{name: "add non-X.509 certificate with names is accepted", req: addCert("0.0.0.0:443", notX509, "n.example"), check: func(t *testing.T, s *State) {
			if s.Certificates["0.0.0.0:443"][fpNotX509] == nil {
				t.Error("missing")
			}
		}},
		{name: "remove certificate (uppercase hex)", setup: []*sozupb.Request{addCert("0.0.0.0:443", certA)},
			req: req(&sozupb.RemoveCertificate{Address: mustAddr(t, "0.0.0.0:443"), Fingerprint: proto.String(strings.ToUpper(fpA))}),
			check: func(t *testing.T, s *State) {
				if len(s.Certificates["0.0.0.0:443"]) != 0 {
					t.Error("not removed")
				}
			}},
		{name: "remove absent certificate is fine", req: req(&sozupb.RemoveCertificate{Address: mustAddr(t, "0.0.0.0:443"), Fingerprint: proto.String(fpA)})},
		{name: "remove certificate bad hex", req: req(&sozupb.RemoveCertificate{Address: mustAddr(t, "0.0.0.0:443"), Fingerprint: proto.String("abzz")}),
			kind: Invalid, msg: "Could not remove certificate: Invalid character 'z' at position 2"},
		{name: "remove certificate odd hex", req: req(&sozupb.RemoveCertificate{Address: mustAddr(t, "0.0.0.0:443"), Fingerprint: proto.String("abc")}),
			kind: Invalid, msg: "Could not remove certificate: Odd number of digits"},
		{name: "replace certificate keeps given names", setup: []*sozupb.Request{addCert("0.0.0.0:443", certA)},
			req: req(&sozupb.ReplaceCertificate{Address: mustAddr(t, "0.0.0.0:443"), OldFingerprint: proto.String(fpA),
				NewCertificate: &sozupb.CertificateAndKey{Certificate: proto.String(certB), Key: proto.String("k")}, NewExpiredAt: proto.Int64(1)}),
			check: func(t *testing.T, s *State) {
				certs := s.Certificates["0.0.0.0:443"]
				if len(certs) != 1 || certs[fpB] == nil || len(certs[fpB].Names) != 0 {
					t.Errorf("%v", certs)
				}
			}},
		{name: "replace certificate absent old is fine once the address has a map", setup: []*sozupb.Request{addCert("0.0.0.0:443", certA),
			req(&sozupb.RemoveCertificate{Address: mustAddr(t, "0.0.0.0:443"), Fingerprint: proto.String(fpA)})},
			req: req(&sozupb.ReplaceCertificate{Address: mustAddr(t, "0.0.0.0:443"), OldFingerprint: proto.String(fpA),
				NewCertificate: &sozupb.CertificateAndKey{Certificate: proto.String(certB), Key: proto.String("k")}}),
			check: func(t *testing.T, s *State) {
				if s.Certificates["0.0.0.0:443"][fpB] == nil {
					t.Error("missing")
				}
			}},
		{name: "replace certificate on address never used", req: req(&sozupb.ReplaceCertificate{Address: mustAddr(t, "0.0.0.0:443"), OldFingerprint: proto.String(fpA),
			NewCertificate: &sozupb.CertificateAndKey{Certificate: proto.String(certB), Key: proto.String("k")}}),
			kind: NotFound, msg: "Did not find Certificate with address or id '0.0.0.0:443'"},
		{name: "replace certificate bad old hex", req: req(&sozupb.ReplaceCertificate{Address: mustAddr(t, "0.0.0.0:443"), OldFingerprint: proto.String("x"),
			NewCertificate: &sozupb.CertificateAndKey{Certificate: proto.String(certB), Key: proto.String("k")}}),
			kind: Invalid, msg: "Could not remove certificate: Odd number of digits"},
		{name: "replace with a bad certificate removes the old one", setup: []*sozupb.Request{addCert("0.0.0.0:443", certA)},
			req: req(&sozupb.ReplaceCertificate{Address: mustAddr(t, "0.0.0.0:443"), OldFingerprint: proto.String(fpA),
				NewCertificate: &sozupb.CertificateAndKey{Certificate: proto.String("bad"), Key: proto.String("k")}}),
			kind: Invalid, half: true, msg: "Could not replace certificate: Could not parse PEM certificate from bytes: no PEM block found",
			check: func(t *testing.T, s *State) {
				if certs, ok := s.Certificates["0.0.0.0:443"]; !ok || len(certs) != 0 {
					t.Errorf("old certificate should be gone, map kept: %v", certs)
				}
			}},
		{name: "runtime-only verb is accepted and changes nothing", req: &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "debug"}}},
		{name: "query is accepted by the state", req: &sozupb.Request{RequestType: &sozupb.Request_QueryClustersHashes{QueryClustersHashes: &sozupb.QueryClustersHashes{}}}},
		{name: "list listeners is undispatchable", req: &sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}},
			kind: Undispatchable, msg: "State can not handle this request"},
		{name: "save state is undispatchable", req: &sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: "x"}},
			kind: Undispatchable, msg: "State can not handle this request"},
		{name: "empty request", req: &sozupb.Request{}, kind: Empty, msg: "Request came in empty"},
		{name: "nil verb message is an empty message", req: &sozupb.Request{RequestType: &sozupb.Request_AddCluster{}}, check: func(t *testing.T, s *State) {
			if _, ok := s.Clusters[""]; !ok {
				t.Error("want a cluster with an empty id")
			}
		}},
	}
	// The table drives every verb that changes the state, and each of them
	// at least once into a rejection, except AddBackend, which Sōzu never
	// rejects (an upsert that does not even need its cluster).
	accepted, rejected := map[string]bool{}, map[string]bool{}
	for _, tt := range tests {
		if tt.kind == 0 {
			accepted[VerbName(tt.req)] = true
		} else {
			rejected[VerbName(tt.req)] = true
		}
	}
	oneofs := (&sozupb.Request{}).ProtoReflect().Descriptor().Oneofs().ByName("request_type").Fields()
	for i := 0; i < oneofs.Len(); i++ {
		fd := oneofs.Get(i)
		r := &sozupb.Request{}
		r.ProtoReflect().Set(fd, r.ProtoReflect().NewField(fd))
		if !IsStateChanging(r) {
			continue
		}
		name := string(fd.Name())
		if !accepted[name] {
			t.Errorf("no case applies %s", name)
		}
		if !rejected[name] && name != "add_backend" {
			t.Errorf("no case rejects %s", name)
		}
	}

	// Every case runs through Apply, then through ApplyOwned with copies of
	// the requests handed over: both follow the same rules.
	for _, tt := range tests {
		for _, owned := range []bool{false, true} {
			name := tt.name
			apply := (*State).Apply
			if owned {
				name += " (owned)"
				apply = func(s *State, r *sozupb.Request) error {
					if r != nil {
						r = proto.Clone(r).(*sozupb.Request)
					}
					return s.ApplyOwned(r)
				}
			}
			t.Run(name, func(t *testing.T) {
				s := New()
				for i, r := range tt.setup {
					if err := apply(s, r); err != nil {
						t.Fatalf("setup %d: %v", i, err)
					}
				}
				before := s.Clone()
				err := apply(s, tt.req)
				if tt.kind == 0 {
					if err != nil {
						t.Fatalf("Apply: %v", err)
					}
				} else {
					var se *Error
					if !errors.As(err, &se) {
						t.Fatalf("Apply = %v, want *Error of kind %v", err, tt.kind)
					}
					if se.Kind != tt.kind {
						t.Errorf("kind = %v, want %v (%s)", se.Kind, tt.kind, se.Message)
					}
					if tt.msg != "" && se.Message != tt.msg {
						t.Errorf("message = %q\nwant      %q", se.Message, tt.msg)
					}
					if !errors.Is(err, &Error{Kind: tt.kind}) {
						t.Error("errors.Is by kind fails")
					}
					if !tt.half {
						if diff := cmp.Diff((*rawState)(before), (*rawState)(s), protocmp.Transform()); diff != "" {
							t.Errorf("rejected request changed the state:\n%s", diff)
						}
					} else if cmp.Equal((*rawState)(before), (*rawState)(s), protocmp.Transform()) {
						t.Error("a half-applied rejection should change the state")
					}
				}
				if tt.check != nil {
					tt.check(t, s)
				}
			})
		}
	}
}

func TestApplyOwnedKeepsRequest(t *testing.T) {
	s := New()
	c := cluster("api")
	if err := s.ApplyOwned(req(c)); err != nil {
		t.Fatal(err)
	}
	if s.Clusters["api"] != c {
		t.Fatal("ApplyOwned copied the request's cluster")
	}
	var nilState *State
	if err := nilState.ApplyOwned(req(cluster("x"))); err == nil {
		t.Fatal("ApplyOwned on a nil State: no error")
	}
}

func TestApplyDoesNotRetainRequest(t *testing.T) {
	s := New()
	c := cluster("api")
	if err := s.Apply(req(c)); err != nil {
		t.Fatal(err)
	}
	c.ClusterId = proto.String("changed")
	if s.Clusters["api"].GetClusterId() != "api" {
		t.Fatal("state aliases the request")
	}
}

func TestIsStateChanging(t *testing.T) {
	n := 0
	oneofs := (&sozupb.Request{}).ProtoReflect().Descriptor().Oneofs().ByName("request_type").Fields()
	for i := 0; i < oneofs.Len(); i++ {
		fd := oneofs.Get(i)
		r := &sozupb.Request{}
		m := r.ProtoReflect()
		if fd.Message() != nil {
			m.Set(fd, m.NewField(fd))
		} else {
			m.Set(fd, fd.Default())
		}
		if IsStateChanging(r) {
			n++
			if isStateNoOp(r) {
				t.Errorf("%s is both", fd.Name())
			}
		}
	}
	if n != 28 {
		t.Fatalf("%d state-changing verbs, want 28", n)
	}
	if IsStateChanging(nil) || IsStateChanging(&sozupb.Request{}) {
		t.Fatal("nil/empty request")
	}
}

func TestFromRequestsNamesIndex(t *testing.T) {
	_, err := FromRequests([]*sozupb.Request{req(cluster("a")), removeCluster("b")})
	if err == nil || !strings.HasPrefix(err.Error(), "request 2 (remove_cluster): Did not find Cluster") {
		t.Fatalf("err = %v", err)
	}
	var se *Error
	if !errors.As(err, &se) || se.Kind != NotFound {
		t.Fatal("not wrapped")
	}
}

// rawState has State's fields without its Equal method, so that cmp
// compares fields (empty maps included) instead of effective values.
type rawState State
