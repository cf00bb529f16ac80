package state

import (
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func mustAddr(t testing.TB, s string) *sozupb.SocketAddress {
	t.Helper()
	a, err := ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestListenerConstructors(t *testing.T) {
	addr := mustAddr(t, "0.0.0.0:443")
	https := NewHTTPSListener(addr)
	if err := proto.CheckInitialized(https); err != nil {
		t.Fatalf("HTTPS listener misses a required field: %v", err)
	}
	if got := https.GetVersions(); len(got) != 2 || got[0] != sozupb.TlsVersion_TLS_V1_2 || got[1] != sozupb.TlsVersion_TLS_V1_3 {
		t.Errorf("versions = %v, want TLS_V1_2, TLS_V1_3", got)
	}
	if https.GetSendTls13Tickets() != 4 || https.GetStickyName() != "SOZUBALANCEID" || https.GetActive() {
		t.Errorf("tickets=%d sticky=%q active=%v", https.GetSendTls13Tickets(), https.GetStickyName(), https.GetActive())
	}
	if len(https.GetCipherList()) != 9 || len(https.GetCipherSuites()) != 9 || len(https.GetSignatureAlgorithms()) != 9 || len(https.GetGroupsList()) != 4 {
		t.Errorf("lists: %d %d %d %d", len(https.GetCipherList()), len(https.GetCipherSuites()), len(https.GetSignatureAlgorithms()), len(https.GetGroupsList()))
	}
	if FormatAddress(https.GetAddress()) != "0.0.0.0:443" {
		t.Errorf("address %s", FormatAddress(https.GetAddress()))
	}
	addr.Port = proto.Uint32(1)
	if https.GetAddress().GetPort() != 443 {
		t.Error("constructor shares the caller's address")
	}
	http := NewHTTPListener(mustAddr(t, "[::1]:80"))
	if err := proto.CheckInitialized(http); err != nil {
		t.Fatal(err)
	}
	if http.GetFrontTimeout() != 60 || http.GetBackTimeout() != 30 || http.GetConnectTimeout() != 3 || http.GetRequestTimeout() != 10 {
		t.Errorf("timeouts %v", http)
	}
	if http.ElideXRealIp == nil || http.SendXRealIp == nil || http.HttpAnswers == nil {
		t.Error("loader sets elide_x_real_ip, send_x_real_ip and http_answers")
	}
	tcp := NewTCPListener(mustAddr(t, "10.0.0.1:5432"))
	if err := proto.CheckInitialized(tcp); err != nil {
		t.Fatal(err)
	}
	udp := NewUDPListener(mustAddr(t, "10.0.0.1:53"))
	if err := proto.CheckInitialized(udp); err != nil {
		t.Fatal(err)
	}
	if udp.GetFrontTimeout() != 30 || udp.GetMaxRxDatagramSize() != 1500 || udp.GetMaxFlows() != 0 {
		t.Errorf("udp %v", udp)
	}
}

func TestNormalizeEquivalences(t *testing.T) {
	addr := mustAddr(t, "0.0.0.0:443")
	bare := func() *sozupb.HttpsListenerConfig {
		return &sozupb.HttpsListenerConfig{
			Address:          addr,
			StickyName:       proto.String(DefaultStickyName),
			Versions:         DefaultTLSVersions(),
			SendTls13Tickets: proto.Uint64(4),
		}
	}
	tests := []struct {
		name string
		a, b proto.Message
		same bool
	}{
		{"https loader defaults = empty lists and unset timeouts", NewHTTPSListener(addr), bare(), true},
		{"https versions empty differs", NewHTTPSListener(addr), func() proto.Message { l := bare(); l.Versions = nil; return l }(), false},
		{"https tickets 0 differs", NewHTTPSListener(addr), func() proto.Message { l := bare(); l.SendTls13Tickets = nil; return l }(), false},
		{"https other cipher list differs", NewHTTPSListener(addr), func() proto.Message { l := bare(); l.CipherList = []string{"TLS13_AES_128_GCM_SHA256"}; return l }(), false},
		{"https alpn order matters", NewHTTPSListener(addr), func() proto.Message { l := bare(); l.AlpnProtocols = []string{"http/1.1", "h2"}; return l }(), false},
		{"http unset x-real-ip = false", NewHTTPListener(addr), &sozupb.HttpListenerConfig{Address: addr, StickyName: proto.String(DefaultStickyName)}, true},
		{"http sticky name empty differs", NewHTTPListener(addr), &sozupb.HttpListenerConfig{Address: addr}, false},
		{"http h2 knob set differs", NewHTTPListener(addr), func() proto.Message { l := NewHTTPListener(addr); l.H2MaxPingPerWindow = proto.Uint32(100); return l }(), false},
		{"frontend position TREE = unset", &sozupb.RequestHttpFrontend{Address: addr, Hostname: proto.String("a"), Path: &sozupb.PathRule{Value: proto.String("/")}},
			&sozupb.RequestHttpFrontend{Address: addr, Hostname: proto.String("a"), Position: sozupb.RulePosition_TREE.Enum(), Redirect: sozupb.RedirectPolicy_FORWARD.Enum(),
				RedirectScheme: sozupb.RedirectScheme_USE_SAME.Enum(), Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/")}}, true},
		{"frontend position PRE differs", &sozupb.RequestHttpFrontend{Address: addr, Hostname: proto.String("a")},
			&sozupb.RequestHttpFrontend{Address: addr, Hostname: proto.String("a"), Position: sozupb.RulePosition_PRE.Enum()}, false},
		{"cluster load_balancing unset = ROUND_ROBIN", &sozupb.Cluster{ClusterId: proto.String("c")},
			&sozupb.Cluster{ClusterId: proto.String("c"), LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false)}, true},
		{"port above 65535 is its low 16 bits", &sozupb.AddBackend{ClusterId: proto.String("c"), BackendId: proto.String("b"), Address: mustAddr(t, "10.0.0.1:80")},
			&sozupb.AddBackend{ClusterId: proto.String("c"), BackendId: proto.String("b"), Address: &sozupb.SocketAddress{Ip: mustAddr(t, "10.0.0.1:80").Ip, Port: proto.Uint32(65536 + 80)}}, true},
		{"missing ip is 0.0.0.0", &sozupb.AddBackend{Address: mustAddr(t, "0.0.0.0:80")}, &sozupb.AddBackend{Address: &sozupb.SocketAddress{Port: proto.Uint32(80)}}, true},
		{"ipv4-mapped ipv6 differs from ipv4", &sozupb.AddBackend{Address: mustAddr(t, "1.2.3.4:80")}, &sozupb.AddBackend{Address: mustAddr(t, "[::ffff:1.2.3.4]:80")}, false},
		{"cluster http2 unset differs from false", &sozupb.Cluster{ClusterId: proto.String("c")}, &sozupb.Cluster{ClusterId: proto.String("c"), Http2: proto.Bool(false)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := EffectiveEqual(tt.a, tt.b); got != tt.same {
				t.Errorf("EffectiveEqual = %v, want %v\na=%v\nb=%v", got, tt.same, Normalize(tt.a), Normalize(tt.b))
			}
		})
	}
}

func TestNormalizeDoesNotModifyInput(t *testing.T) {
	l := &sozupb.HttpsListenerConfig{Address: mustAddr(t, "0.0.0.0:1")}
	n := Normalize(l)
	if l.CipherList != nil || l.FrontTimeout != nil {
		t.Fatal("Normalize changed its input")
	}
	if n.GetFrontTimeout() != 60 || n.FrontTimeout == nil || len(n.CipherList) != 9 {
		t.Fatalf("normalized %v", n)
	}
	var nilMsg *sozupb.Cluster
	if Normalize(nilMsg) != nil {
		t.Fatal("Normalize(nil) != nil")
	}
	var nilIface proto.Message
	if Normalize(nilIface) != nil {
		t.Fatal("Normalize(nil interface) != nil")
	}
}
