package importer

import (
	"fmt"
	"math/rand"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// genState builds a random state that a configuration can declare: every
// listener protocol with random settings, clusters with random options,
// backends, HTTP(S) frontends on existing listeners, one cluster per TCP
// or UDP listener, cluster-less routes and certificates. Requests
// the state rejects are dropped, so the state is always one Sōzu could hold.
func genState(t testing.TB, rng *rand.Rand) *state.State {
	t.Helper()
	pairs := [][2]string{
		{readTestdata(t, "certs/api.pem"), readTestdata(t, "certs/api.key")},
		{readTestdata(t, "certs/other.pem"), readTestdata(t, "certs/other.key")},
	}
	chain := readTestdata(t, "certs/chain.pem")
	pick := func(n int) bool { return rng.Intn(n) == 0 }
	ips := []string{"0.0.0.0", "127.0.0.1", "10.1.2.3", "[::]", "[::1]", "[fd00::7]"}
	randAddr := func() *sozupb.SocketAddress {
		return addr(t, fmt.Sprintf("%s:%d", ips[rng.Intn(len(ips))], 1+rng.Intn(20)))
	}
	var reqs []*sozupb.Request
	add := func(r *sozupb.Request) { reqs = append(reqs, r) }
	var httpAddrs, httpsAddrs, tcpAddrs, udpAddrs []*sozupb.SocketAddress
	for i := rng.Intn(4); i > 0; i-- {
		a := randAddr()
		l := state.NewHTTPListener(a)
		l.Active = proto.Bool(!pick(3))
		if pick(2) {
			l.FrontTimeout = proto.Uint32(uint32(rng.Intn(200)))
		}
		if pick(3) {
			l.StickyName = proto.String(fmt.Sprintf("S%d", rng.Intn(9)))
		}
		if pick(3) {
			l.Answers = map[string]string{"503": "busy", "404": ""}
		}
		if pick(4) {
			l.SozuIdHeader = proto.String("x-edge-id")
		}
		if pick(4) {
			l.ExpectProxy = proto.Bool(true)
		}
		if pick(4) {
			l.H2MaxConcurrentStreams = proto.Uint32(uint32(rng.Intn(500)))
		}
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: l}})
		httpAddrs = append(httpAddrs, a)
	}
	for i := rng.Intn(3); i > 0; i-- {
		a := randAddr()
		l := state.NewHTTPSListener(a)
		l.Active = proto.Bool(!pick(3))
		if pick(2) {
			l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
		}
		if pick(3) {
			l.AlpnProtocols = []string{"http/1.1"}
		}
		if pick(3) {
			l.SendTls13Tickets = proto.Uint64(uint64(rng.Intn(10)))
		}
		if pick(3) {
			p := pairs[rng.Intn(2)]
			l.Certificate, l.Key = proto.String(p[0]), proto.String(p[1])
			if pick(2) {
				l.CertificateChain = []string{chain}
			}
		}
		if pick(3) {
			l.Hsts = &sozupb.HstsConfig{Enabled: proto.Bool(true), MaxAge: proto.Uint32(uint32(rng.Intn(1 << 20)))}
		}
		if pick(4) {
			l.DisableHttp11 = proto.Bool(false)
		}
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: l}})
		httpsAddrs = append(httpsAddrs, a)
	}
	for i := rng.Intn(3); i > 0; i-- {
		a := randAddr()
		l := state.NewTCPListener(a)
		l.Active = proto.Bool(!pick(3))
		if pick(3) {
			l.ConnectTimeout = proto.Uint32(uint32(rng.Intn(9)))
		}
		if pick(4) {
			l.PublicAddress = randAddr()
		}
		add(&sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: l}})
		tcpAddrs = append(tcpAddrs, a)
	}
	for i := rng.Intn(3); i > 0; i-- {
		a := randAddr()
		l := state.NewUDPListener(a)
		l.Active = proto.Bool(!pick(3))
		if pick(3) {
			l.MaxFlows = proto.Uint32(uint32(rng.Intn(1000)))
		}
		add(&sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: l}})
		udpAddrs = append(udpAddrs, a)
	}
	lbs := []sozupb.LoadBalancingAlgorithms{sozupb.LoadBalancingAlgorithms_ROUND_ROBIN, sozupb.LoadBalancingAlgorithms_RANDOM, sozupb.LoadBalancingAlgorithms_MAGLEV}
	positions := []sozupb.RulePosition{sozupb.RulePosition_PRE, sozupb.RulePosition_POST, sozupb.RulePosition_TREE}
	hosts := []string{"a.example.com", "b.example.com", "*.example.com", ""}
	usedTCP := map[string]bool{}
	nClusters := rng.Intn(5)
	for c := 0; c < nClusters; c++ {
		id := fmt.Sprintf("c%d", c)
		cl := &sozupb.Cluster{ClusterId: proto.String(id), StickySession: proto.Bool(pick(3)), HttpsRedirect: proto.Bool(pick(3)), LoadBalancing: lbs[rng.Intn(len(lbs))].Enum()}
		if pick(3) {
			cl.HealthCheck = &sozupb.HealthCheckConfig{Uri: proto.String("/h"), Interval: proto.Uint32(uint32(1 + rng.Intn(20))), Timeout: proto.Uint32(5), HealthyThreshold: proto.Uint32(3), UnhealthyThreshold: proto.Uint32(3), ExpectedStatus: proto.Uint32(0)}
		}
		if pick(3) {
			cl.ProxyProtocol = sozupb.ProxyProtocolConfig_SEND_HEADER.Enum()
		}
		if pick(3) {
			cl.Answers = map[string]string{"503": "down"}
		}
		if pick(4) {
			cl.AuthorizedHashes = []string{"u:ab"}
			cl.WwwAuthenticate = proto.String("realm")
		}
		if pick(4) {
			cl.Udp = &sozupb.UdpClusterConfig{Requests: proto.Uint32(1), Health: &sozupb.UdpHealthConfig{Mode: sozupb.UdpHealthMode_TCP_PROBE.Enum(), TcpPort: proto.Uint32(9)}}
		}
		add(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: cl}})
		for b := rng.Intn(4); b > 0; b-- {
			be := &sozupb.AddBackend{ClusterId: proto.String(id), BackendId: proto.String(fmt.Sprintf("%s-b%d", id, b)), Address: addr(t, fmt.Sprintf("10.9.%d.%d:80", c, b)), LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(int32(rng.Intn(3) * 50))}}
			if pick(3) {
				be.Backup = proto.Bool(pick(2))
			}
			if pick(3) {
				be.StickyId = proto.String("st")
			}
			add(&sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: be}})
		}
		front := func(list []*sozupb.SocketAddress, https bool) {
			if len(list) == 0 || pick(2) {
				return
			}
			f := &sozupb.RequestHttpFrontend{
				ClusterId: proto.String(id), Address: list[rng.Intn(len(list))], Hostname: proto.String(hosts[rng.Intn(len(hosts))]),
				Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind(rng.Intn(3)).Enum(), Value: proto.String([]string{"", "/api", "^/x$"}[rng.Intn(3)])},
				Position: positions[rng.Intn(3)].Enum(),
			}
			if f.GetPath().GetKind() == sozupb.PathRuleKind_REGEX && f.GetPath().GetValue() == "" {
				f.Path.Value = proto.String(".*")
			}
			if pick(3) {
				f.Method = proto.String("POST")
			}
			if pick(3) {
				f.Tags = map[string]string{"k": "v"}
			}
			if pick(3) {
				f.Headers = []*sozupb.Header{{Position: sozupb.HeaderPosition_BOTH.Enum(), Key: proto.String("x-k"), Val: proto.String("v")}}
			}
			if pick(4) {
				f.RewritePath = proto.String("/new")
				f.RewritePort = proto.Uint32(8080)
			}
			if https {
				add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: f}})
			} else {
				add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: f}})
			}
		}
		front(httpAddrs, false)
		front(httpsAddrs, true)
		if len(tcpAddrs) > 0 && pick(2) {
			a := tcpAddrs[rng.Intn(len(tcpAddrs))]
			if k := state.FormatAddress(a); !usedTCP[k] {
				usedTCP[k] = true
				add(&sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: &sozupb.RequestTcpFrontend{ClusterId: proto.String(id), Address: a}}})
			}
		}
		if len(udpAddrs) > 0 && pick(2) {
			a := udpAddrs[rng.Intn(len(udpAddrs))]
			if k := "udp " + state.FormatAddress(a); !usedTCP[k] {
				usedTCP[k] = true
				add(&sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: &sozupb.RequestUdpFrontend{ClusterId: proto.String(id), Address: a, Tags: map[string]string{"z": "1"}}}})
			}
		}
	}
	if len(httpAddrs) > 0 && pick(2) {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
			Address: httpAddrs[0], Hostname: proto.String("deny.example.com"), Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("")},
			Redirect: sozupb.RedirectPolicy_PERMANENT.Enum(), RedirectScheme: sozupb.RedirectScheme_USE_HTTPS.Enum(),
		}}})
	}
	for _, a := range httpsAddrs {
		for _, p := range pairs {
			if pick(2) {
				ck := &sozupb.CertificateAndKey{Certificate: proto.String(p[0]), Key: proto.String(p[1])}
				if pick(2) {
					ck.CertificateChain = []string{chain}
				}
				if pick(3) {
					ck.Names = []string{"only.example.com"}
				}
				if pick(3) {
					ck.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_2}
				}
				add(&sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{Address: a, Certificate: ck}}})
			}
		}
	}
	s := state.New()
	for _, r := range reqs {
		_ = s.Apply(r) // a rejected request is simply not part of the state
	}
	return s
}

// TestPropertyRoundTrip checks the import contract over generated states:
// the HCL loads without error into a state Equal to the source, and a plan
// against the source has no change.
func TestPropertyRoundTrip(t *testing.T) {
	n := 100
	if testing.Short() {
		n = 30
	}
	for seed := int64(1); seed <= int64(n); seed++ {
		rng := rand.New(rand.NewSource(seed))
		s := genState(t, rng)
		t.Run(fmt.Sprintf("seed%d", seed), func(t *testing.T) {
			out, _ := roundTrip(t, s)
			if len(out.Warnings) != 0 {
				t.Errorf("warnings for a state the configuration can express: %q", out.Warnings)
			}
		})
	}
}

// BenchmarkRender measures rendering a generated state.
func BenchmarkRender(b *testing.B) {
	s := genState(b, rand.New(rand.NewSource(7)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Render(s); err != nil {
			b.Fatal(err)
		}
	}
}
