package importer

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// every builds a state with one object of every kind and most optional
// fields set, from requests.
func every(t testing.TB) *state.State {
	t.Helper()
	api, apiKey := readTestdata(t, "certs/api.pem"), readTestdata(t, "certs/api.key")
	other, otherKey := readTestdata(t, "certs/other.pem"), readTestdata(t, "certs/other.key")
	chain := readTestdata(t, "certs/chain.pem")
	httpL := state.NewHTTPListener(addr(t, "0.0.0.0:80"))
	httpL.Active = proto.Bool(true)
	httpL.FrontTimeout = proto.Uint32(120)
	httpL.Answers = map[string]string{"503": "HTTP/1.1 503 Busy\r\n\r\n"}
	httpsL := state.NewHTTPSListener(addr(t, "0.0.0.0:443"))
	httpsL.Active = proto.Bool(true)
	httpsL.AlpnProtocols = []string{"http/1.1"}
	httpsL.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
	httpsL.Certificate, httpsL.Key, httpsL.CertificateChain = proto.String(other), proto.String(otherKey), []string{chain}
	httpsL.Hsts = &sozupb.HstsConfig{Enabled: proto.Bool(true), MaxAge: proto.Uint32(31536000)}
	tcpL := state.NewTCPListener(addr(t, "[::1]:5432"))
	tcpL.ExpectProxy = proto.Bool(true)
	udpL := state.NewUDPListener(addr(t, "0.0.0.0:53"))
	udpL.Active = proto.Bool(true)
	reqs := []*sozupb.Request{
		{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: httpL}},
		{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: httpsL}},
		{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: tcpL}},
		{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: udpL}},
		{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: proto.String("api"), StickySession: proto.Bool(true), HttpsRedirect: proto.Bool(false),
			LoadBalancing: sozupb.LoadBalancingAlgorithms_LEAST_LOADED.Enum(), LoadMetric: sozupb.LoadMetric_REQUESTS.Enum(),
			Answers:     map[string]string{"404": "gone"},
			HealthCheck: &sozupb.HealthCheckConfig{Uri: proto.String("/healthz"), Interval: proto.Uint32(10), Timeout: proto.Uint32(2), HealthyThreshold: proto.Uint32(3), UnhealthyThreshold: proto.Uint32(3), ExpectedStatus: proto.Uint32(200)},
		}}},
		{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: proto.String("db"), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false),
			ProxyProtocol: sozupb.ProxyProtocolConfig_EXPECT_HEADER.Enum(), LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
		}}},
		{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: proto.String("dns"), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false),
			LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
			Udp:           &sozupb.UdpClusterConfig{AffinityKey: sozupb.UdpAffinityKey_SOURCE_IP.Enum(), Health: &sozupb.UdpHealthConfig{Mode: sozupb.UdpHealthMode_UDP_PROBE.Enum(), UdpProbePayload: []byte("ping")}},
		}}},
		{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
			ClusterId: proto.String("api"), Address: addr(t, "0.0.0.0:80"), Hostname: proto.String("api.example.com"),
			Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("")}, Position: sozupb.RulePosition_PRE.Enum(),
			Tags: map[string]string{"team": "core"},
		}}},
		{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
			Address: addr(t, "0.0.0.0:80"), Hostname: proto.String("old.example.com"),
			Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_EQUALS.Enum(), Value: proto.String("/x")}, Position: sozupb.RulePosition_TREE.Enum(),
			Redirect: sozupb.RedirectPolicy_PERMANENT.Enum(), RedirectScheme: sozupb.RedirectScheme_USE_HTTPS.Enum(),
		}}},
		{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
			Address: addr(t, "0.0.0.0:443"), Certificate: &sozupb.CertificateAndKey{Certificate: proto.String(api), Key: proto.String(apiKey), CertificateChain: []string{chain}},
		}}},
		{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: &sozupb.RequestHttpFrontend{
			ClusterId: proto.String("api"), Address: addr(t, "0.0.0.0:443"), Hostname: proto.String("api.example.com"),
			Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_REGEX.Enum(), Value: proto.String("/v[0-9]+")}, Position: sozupb.RulePosition_POST.Enum(),
			Method:  proto.String("GET"),
			Headers: []*sozupb.Header{{Position: sozupb.HeaderPosition_RESPONSE.Enum(), Key: proto.String("x-served-by"), Val: proto.String("sozu")}, {Position: sozupb.HeaderPosition_REQUEST.Enum(), Key: proto.String("x-drop"), Val: proto.String("")}},
			Hsts:    &sozupb.HstsConfig{Enabled: proto.Bool(false)},
		}}},
		{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: &sozupb.RequestTcpFrontend{ClusterId: proto.String("db"), Address: addr(t, "[::1]:5432"), Tags: map[string]string{"k": "v"}}}},
		{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: &sozupb.RequestUdpFrontend{ClusterId: proto.String("dns"), Address: addr(t, "0.0.0.0:53")}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{ClusterId: proto.String("api"), BackendId: proto.String("api-0-10.0.0.1:8080"), Address: addr(t, "10.0.0.1:8080"), LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(100)}}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{ClusterId: proto.String("api"), BackendId: proto.String("api-2"), Address: addr(t, "10.0.0.2:8080"), LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(5)}, StickyId: proto.String("s2"), Backup: proto.Bool(true)}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{ClusterId: proto.String("db"), BackendId: proto.String("db-1"), Address: addr(t, "[fd00::1]:5432"), LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(100)}}}},
	}
	s, err := state.FromRequests(reqs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRenderEveryKindRoundTrips(t *testing.T) {
	s := every(t)
	out, _ := roundTrip(t, s)
	if len(out.Warnings) != 0 {
		t.Errorf("warnings: %q", out.Warnings)
	}
	golden.Check(t, filepath.Join("testdata", "every.golden.hcl"), out.Files[0].Data)
}

func TestRenderEmptyState(t *testing.T) {
	out, _ := roundTrip(t, state.New())
	if len(out.Files) != 1 || len(bytes.TrimSpace(out.Files[0].Data)) != 0 {
		t.Errorf("an empty state renders %d files, main.hcl %q", len(out.Files), out.Files[0].Data)
	}
}

func TestRenderIsDeterministic(t *testing.T) {
	s := every(t)
	a, _ := Render(s)
	b, _ := Render(s.Clone())
	if len(a.Files) != len(b.Files) {
		t.Fatalf("%d files, then %d", len(a.Files), len(b.Files))
	}
	for i := range a.Files {
		if a.Files[i].Path != b.Files[i].Path || !bytes.Equal(a.Files[i].Data, b.Files[i].Data) || a.Files[i].Mode != b.Files[i].Mode {
			t.Errorf("file %d differs: %s / %s", i, a.Files[i].Path, b.Files[i].Path)
		}
	}
}

func TestWriteModesAndNoKeyInHCL(t *testing.T) {
	s := every(t)
	dir := t.TempDir()
	if _, err := WriteHCL(dir, s, Options{}); err != nil {
		t.Fatal(err)
	}
	keys := 0
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		isKey := strings.HasSuffix(p, ".key")
		if isKey {
			keys++
			if info.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", p, info.Mode().Perm())
			}
		} else {
			if info.Mode().Perm() != 0o644 {
				t.Errorf("%s has mode %v, want 0644", p, info.Mode().Perm())
			}
			if bytes.Contains(data, []byte("PRIVATE KEY")) {
				t.Errorf("%s holds a private key", p)
			}
		}
		if strings.Contains(filepath.Base(p), ".tmp") {
			t.Errorf("temporary file %s left behind", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if keys != 2 {
		t.Errorf("%d key files, want 2 (listener default and certificate)", keys)
	}
}

func TestWriteRefusesToOverwrite(t *testing.T) {
	s := every(t)
	dir := t.TempDir()
	if _, err := WriteHCL(dir, s, Options{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, MainFile), []byte("# mine\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := WriteHCL(dir, s, Options{})
	var ee *ExistsError
	if !errors.As(err, &ee) || filepath.Base(ee.Path) != MainFile {
		t.Fatalf("second write: %v, want an ExistsError for %s", err, MainFile)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, MainFile)); string(b) != "# mine\n" {
		t.Errorf("main.hcl was changed without --force")
	}
	if _, err := WriteHCL(dir, s, Options{Force: true}); err != nil {
		t.Fatalf("forced write: %v", err)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, MainFile)); string(b) == "# mine\n" {
		t.Errorf("main.hcl was not replaced with --force")
	}
}

// TestRenderWarnings covers states that a configuration cannot declare
// exactly: each gives a warning naming the object, never a failure.
func TestRenderWarnings(t *testing.T) {
	cases := []struct {
		name  string
		build func(s *state.State)
		want  string
	}{
		{"backend without cluster", func(s *state.State) {
			s.Backends["ghost"] = []*sozupb.AddBackend{{ClusterId: proto.String("ghost"), BackendId: proto.String("g1"), Address: addr(t, "10.0.0.1:1"), LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(100)}}}
		}, `cluster "ghost"`},
		{"backend without load-balancing parameters", func(s *state.State) {
			s.Clusters["c"] = &sozupb.Cluster{ClusterId: proto.String("c")}
			s.Backends["c"] = []*sozupb.AddBackend{{ClusterId: proto.String("c"), BackendId: proto.String("b"), Address: addr(t, "10.0.0.1:1")}}
		}, "weight 100"},
		{"HTTPS listener without versions", func(s *state.State) {
			l := state.NewHTTPSListener(addr(t, "0.0.0.0:443"))
			l.Versions = nil
			s.HTTPSListeners["0.0.0.0:443"] = l
		}, "no TLS version"},
		{"HTTPS listener with TLS 1.1 only", func(s *state.State) {
			l := state.NewHTTPSListener(addr(t, "0.0.0.0:443"))
			l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_1}
			s.HTTPSListeners["0.0.0.0:443"] = l
		}, "neither TLS_V1_2 nor TLS_V1_3"},
		{"HTTPS listener with an unknown ALPN protocol", func(s *state.State) {
			l := state.NewHTTPSListener(addr(t, "0.0.0.0:443"))
			l.AlpnProtocols = []string{"h3"}
			s.HTTPSListeners["0.0.0.0:443"] = l
		}, `"h3"`},
		{"two clusters on one TCP listener", func(s *state.State) {
			s.TCPListeners["0.0.0.0:1"] = state.NewTCPListener(addr(t, "0.0.0.0:1"))
			for _, id := range []string{"a", "b"} {
				s.Clusters[id] = &sozupb.Cluster{ClusterId: proto.String(id)}
				s.TCPFrontends[id] = []*sozupb.RequestTcpFrontend{{ClusterId: proto.String(id), Address: addr(t, "0.0.0.0:1")}}
			}
		}, "one cluster per TCP listener"},
		{"frontend without listener", func(s *state.State) {
			f := &sozupb.RequestHttpFrontend{Address: addr(t, "0.0.0.0:80"), Hostname: proto.String("x"), Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("")}}
			s.HTTPFrontends[state.RouteKey(f)] = f
		}, "no HTTP listener"},
		{"route to a cluster that does not exist", func(s *state.State) {
			s.HTTPListeners["0.0.0.0:80"] = state.NewHTTPListener(addr(t, "0.0.0.0:80"))
			f := &sozupb.RequestHttpFrontend{ClusterId: proto.String("gone"), Address: addr(t, "0.0.0.0:80"), Hostname: proto.String("x"), Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("")}}
			s.HTTPFrontends[state.RouteKey(f)] = f
		}, `cluster "gone"`},
		{"certificate that does not parse", func(s *state.State) {
			s.HTTPSListeners["0.0.0.0:443"] = state.NewHTTPSListener(addr(t, "0.0.0.0:443"))
			s.Certificates["0.0.0.0:443"] = map[string]*sozupb.CertificateAndKey{"ab": {Certificate: proto.String("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"), Key: proto.String("k"), Names: []string{"a.example.com"}}}
		}, "does not parse"},
		{"hostname with capitals", func(s *state.State) {
			s.HTTPListeners["0.0.0.0:80"] = state.NewHTTPListener(addr(t, "0.0.0.0:80"))
			f := &sozupb.RequestHttpFrontend{Address: addr(t, "0.0.0.0:80"), Hostname: proto.String("API.example.com"), Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("")}}
			s.HTTPFrontends[state.RouteKey(f)] = f
		}, "capitals"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := state.New()
			tc.build(s)
			out, err := Render(s)
			if err != nil {
				t.Fatal(err)
			}
			if len(out.Warnings) != 1 || !strings.Contains(out.Warnings[0], tc.want) {
				t.Errorf("warnings %q, want one saying %q", out.Warnings, tc.want)
			}
		})
	}
}

func TestListenerName(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:80":     "http_0_0_0_0_80",
		"[::1]:443":      "http_1_443",
		"[fd00::7]:8080": "http_fd00_7_8080",
		"10.0.0.1:65535": "http_10_0_0_1_65535",
	} {
		if got := ListenerName("http", in); got != want {
			t.Errorf("ListenerName(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestStateFileSourceRoundTrips imports states after a trip through Sōzu's
// state-file format, as `import --state` reads them.
func TestStateFileSourceRoundTrips(t *testing.T) {
	for seed := int64(1); seed <= 20; seed++ {
		s := genState(t, rand.New(rand.NewSource(seed)))
		p := filepath.Join(t.TempDir(), "sozu.state")
		if err := statefile.Write(p, s); err != nil {
			t.Fatal(err)
		}
		read, err := statefile.Read(p)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, read)
	}
	s := every(t)
	p := filepath.Join(t.TempDir(), "every.state")
	if err := statefile.Write(p, s); err != nil {
		t.Fatal(err)
	}
	read, err := statefile.Read(p)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := roundTrip(t, read)
	golden.Check(t, filepath.Join("testdata", "every.golden.hcl"), out.Files[0].Data)
}

func TestWriteIntoAFile(t *testing.T) {
	dir := t.TempDir()
	blocker := filepath.Join(dir, "out")
	if err := os.WriteFile(blocker, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := WriteHCL(blocker, every(t), Options{Force: true})
	if err == nil || !strings.Contains(err.Error(), "out") {
		t.Fatalf("writing under a file: %v, want an error naming the path", err)
	}
}

// TestRenderTrickyStrings checks that strings HCL would otherwise read as
// templates or escapes come back unchanged.
func TestRenderTrickyStrings(t *testing.T) {
	s := state.New()
	s.HTTPListeners["0.0.0.0:80"] = state.NewHTTPListener(addr(t, "0.0.0.0:80"))
	tricky := []string{"${HOST}", "%{ if x }", "$${", "back\\slash", "quote\"d", "new\nline\r\n", "tab\there", "ünï €", "$HOST[1]/$PATH[0]"}
	s.Clusters["t"] = &sozupb.Cluster{ClusterId: proto.String("t"), Answers: map[string]string{}}
	for i, v := range tricky {
		s.Clusters["t"].Answers[fmt.Sprint(500+i)] = v
		f := &sozupb.RequestHttpFrontend{
			ClusterId: proto.String("t"), Address: addr(t, "0.0.0.0:80"), Hostname: proto.String(fmt.Sprintf("h%d.example.com", i)),
			Path:        &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String(v)},
			RewriteHost: proto.String(v), Tags: map[string]string{v: v},
		}
		s.HTTPFrontends[state.RouteKey(f)] = f
	}
	out, _ := roundTrip(t, s)
	if len(out.Warnings) != 0 {
		t.Errorf("warnings: %q", out.Warnings)
	}
}
