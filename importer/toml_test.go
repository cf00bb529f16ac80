package importer

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// tomlDir writes text as sozu.toml into a new directory that also holds
// testdata/certs under certs/, and returns the file's path.
func tomlDir(t testing.TB, text string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"api.pem", "api.key", "other.pem", "other.key", "chain.pem"} {
		if err := os.WriteFile(filepath.Join(dir, "certs", n), []byte(readTestdata(t, "certs/"+n)), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "503.http"), []byte("HTTP/1.1 503 Busy\r\n\r\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "sozu.toml")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestFromTOML(t *testing.T) {
	cases := []struct {
		name  string
		toml  string
		check func(t *testing.T, s *state.State, warns []string)
	}{{
		name: "listener defaults and activation",
		toml: `
[[listeners]]
protocol = "http"
address = "0.0.0.0:80"
[[listeners]]
protocol = "https"
address = "0.0.0.0:443"
[[listeners]]
protocol = "tcp"
address = "0.0.0.0:5432"
[[listeners]]
protocol = "udp"
address = "0.0.0.0:53"
`,
		check: func(t *testing.T, s *state.State, _ []string) {
			want := state.New()
			h := state.NewHTTPListener(addr(t, "0.0.0.0:80"))
			h.Active = ptr(true)
			want.HTTPListeners["0.0.0.0:80"] = h
			hs := state.NewHTTPSListener(addr(t, "0.0.0.0:443"))
			hs.Active = ptr(true)
			want.HTTPSListeners["0.0.0.0:443"] = hs
			tl := state.NewTCPListener(addr(t, "0.0.0.0:5432"))
			tl.Active = ptr(true)
			want.TCPListeners["0.0.0.0:5432"] = tl
			u := state.NewUDPListener(addr(t, "0.0.0.0:53"))
			u.Active = ptr(true)
			want.UDPListeners["0.0.0.0:53"] = u
			if !s.Equal(want) {
				t.Errorf("got\n%s\nwant\n%s", objectsText(s), objectsText(want))
			}
		},
	}, {
		name: "activate_listeners false and global timeouts",
		toml: `
activate_listeners = false
front_timeout = 90
connect_timeout = 7
[[listeners]]
protocol = "http"
address = "0.0.0.0:80"
back_timeout = 45
[[listeners]]
protocol = "udp"
address = "0.0.0.0:53"
`,
		check: func(t *testing.T, s *state.State, _ []string) {
			h := s.HTTPListeners["0.0.0.0:80"]
			if h.GetActive() || h.GetFrontTimeout() != 90 || h.GetBackTimeout() != 45 || h.GetConnectTimeout() != 7 || h.GetRequestTimeout() != 10 {
				t.Errorf("HTTP listener: %v", h)
			}
			if u := s.UDPListeners["0.0.0.0:53"]; u.GetFrontTimeout() != 30 || u.GetActive() {
				t.Errorf("UDP listener takes no global timeout and stays inactive: %v", u)
			}
		},
	}, {
		name: "HTTPS listener settings, answers and certificate inherited by a frontend",
		toml: `
[[listeners]]
protocol = "https"
address = "0.0.0.0:443"
tls_versions = ["TLS_V13"]
alpn_protocols = ["http/1.1", "http/1.1"]
sticky_name = "LB"
send_tls13_tickets = 2
certificate = "certs/other.pem"
key = "certs/other.key"
certificate_chain = "certs/chain.pem"
answer_503 = "503.http"
answers = { "404" = "HTTP/1.1 404 Nope\r\n\r\n", "500" = "" }
hsts = { enabled = true }
[clusters.api]
protocol = "http"
frontends = [{ address = "0.0.0.0:443", hostname = "other.example.com" }]
backends = [{ address = "10.0.0.1:8080" }]
`,
		check: func(t *testing.T, s *state.State, _ []string) {
			l := s.HTTPSListeners["0.0.0.0:443"]
			if len(l.GetVersions()) != 1 || l.GetVersions()[0] != sozupb.TlsVersion_TLS_V1_3 {
				t.Errorf("versions %v", l.GetVersions())
			}
			if strings.Join(l.GetAlpnProtocols(), ",") != "http/1.1" || l.GetStickyName() != "LB" || l.GetSendTls13Tickets() != 2 {
				t.Errorf("listener %v", l)
			}
			if l.GetAnswers()["503"] == "" || l.GetAnswers()["404"] == "" || len(l.GetAnswers()) != 2 || l.GetHttpAnswers().GetAnswer_503() == "" {
				t.Errorf("answers %v / %v", l.GetAnswers(), l.GetHttpAnswers())
			}
			if l.GetHsts().GetMaxAge() != 31536000 {
				t.Errorf("hsts %v", l.GetHsts())
			}
			if len(s.HTTPSFrontends) != 1 || len(s.Certificates["0.0.0.0:443"]) != 1 {
				t.Fatalf("want one HTTPS frontend and one certificate: %s", objectsText(s))
			}
			for _, c := range s.Certificates["0.0.0.0:443"] {
				if c.GetCertificate() != l.GetCertificate() || len(c.GetCertificateChain()) != 1 {
					t.Errorf("the frontend does not inherit the listener's certificate and chain")
				}
			}
		},
	}, {
		name: "frontends: HTTP vs HTTPS by certificate, PRE by default, paths, auto listeners",
		toml: `
[clusters.api]
protocol = "http"
sticky_session = true
https_redirect = true
load_balancing = "LEAST_LOADED"
load_metric = "CONNECTIONS"
http2 = true
answer_503 = "503.http"
answers = { "502" = "file://503.http" }
authorized_hashes = ["u:00"]
health_check = { uri = "/h" }
frontends = [
  { address = "0.0.0.0:8080", hostname = "api.example.com", path = "/api", tags = { k = "v" } },
  { address = "0.0.0.0:8080", hostname = "api.example.com", path = "^/r$", path_type = "REGEX", position = "TREE", method = "GET" },
  { address = "0.0.0.0:8080", hostname = "old.example.com", path = "/x", path_type = "EQUALS", redirect = "permanent", redirect_scheme = "use-https" },
  { address = "0.0.0.0:8443", hostname = "api.example.com", certificate = "certs/api.pem", key = "certs/api.key", certificate_chain = "certs/chain.pem", tls_versions = ["TLS_V12"], headers = [{ position = "response", key = "x-a", value = "b" }], hsts = { enabled = false } },
]
backends = [
  { address = "10.0.0.1:8080" },
  { address = "10.0.0.2:8080", weight = 5, sticky_id = "s", backup = true, backend_id = "b2" },
]
`,
		check: func(t *testing.T, s *state.State, _ []string) {
			if s.HTTPListeners["0.0.0.0:8080"] == nil || s.HTTPSListeners["0.0.0.0:8443"] == nil || !s.HTTPListeners["0.0.0.0:8080"].GetActive() {
				t.Errorf("auto-created listeners missing or inactive: %s", objectsText(s))
			}
			f := s.HTTPFrontends["0.0.0.0:8080;api.example.com;P/api"]
			if f == nil || f.GetPosition() != sozupb.RulePosition_PRE {
				t.Errorf("prefix frontend with PRE: %v", f)
			}
			if f := s.HTTPFrontends["0.0.0.0:8080;api.example.com;R^/r$;GET"]; f == nil || f.GetPosition() != sozupb.RulePosition_TREE {
				t.Errorf("regex frontend with TREE: %v", f)
			}
			if f := s.HTTPFrontends["0.0.0.0:8080;old.example.com;=/x"]; f == nil || f.GetRedirect() != sozupb.RedirectPolicy_PERMANENT || f.GetRedirectScheme() != sozupb.RedirectScheme_USE_HTTPS {
				t.Errorf("equals frontend with redirect: %v", f)
			}
			hf := s.HTTPSFrontends["0.0.0.0:8443;api.example.com;P"]
			if hf == nil || len(hf.GetHeaders()) != 1 || hf.GetHsts() == nil {
				t.Errorf("HTTPS frontend: %v", hf)
			}
			c := s.Clusters["api"]
			if !c.GetStickySession() || !c.GetHttpsRedirect() || c.GetLoadBalancing() != sozupb.LoadBalancingAlgorithms_LEAST_LOADED || c.GetAnswer_503() == "" || c.GetAnswers()["502"] == "" || c.GetHealthCheck().GetInterval() != 10 || c.ProxyProtocol != nil {
				t.Errorf("cluster: %v", c)
			}
			bs := s.Backends["api"]
			if len(bs) != 2 {
				t.Fatalf("backends: %v", bs)
			}
			ids := map[string]int32{}
			for _, b := range bs {
				ids[b.GetBackendId()] = b.GetLoadBalancingParameters().GetWeight()
			}
			if ids["api-0-10.0.0.1:8080"] != 100 || ids["b2"] != 5 {
				t.Errorf("backend ids and weights: %v", ids)
			}
			for _, c := range s.Certificates["0.0.0.0:8443"] {
				if len(c.GetVersions()) != 1 || strings.Join(c.GetNames(), ",") != "api.example.com,www.api.example.com" {
					t.Errorf("certificate versions %v names %v", c.GetVersions(), c.GetNames())
				}
			}
		},
	}, {
		name: "TCP proxy protocol and UDP frontends",
		toml: `
[[listeners]]
protocol = "tcp"
address = "0.0.0.0:5432"
expect_proxy = true
[[listeners]]
protocol = "udp"
address = "0.0.0.0:53"
[clusters.relay]
protocol = "tcp"
send_proxy = true
frontends = [{ address = "0.0.0.0:5432" }]
backends = [{ address = "10.0.0.1:5432" }]
[clusters.send]
protocol = "tcp"
send_proxy = true
frontends = [{ address = "0.0.0.0:6000" }]
backends = []
[[listeners]]
protocol = "tcp"
address = "0.0.0.0:5433"
expect_proxy = true
[clusters.expect]
protocol = "tcp"
frontends = [{ address = "0.0.0.0:5433", tags = { t = "1" } }]
backends = []
[clusters.dns]
protocol = "tcp"
frontends = [{ address = "0.0.0.0:53" }]
backends = [{ address = "10.0.0.53:53" }]
udp = { affinity_key = "SOURCE_IP", health = { mode = "UDP_PROBE", udp_probe_payload = "ping" } }
`,
		check: func(t *testing.T, s *state.State, _ []string) {
			want := map[string]sozupb.ProxyProtocolConfig{"relay": sozupb.ProxyProtocolConfig_RELAY_HEADER, "send": sozupb.ProxyProtocolConfig_SEND_HEADER, "expect": sozupb.ProxyProtocolConfig_EXPECT_HEADER}
			for id, p := range want {
				if s.Clusters[id].GetProxyProtocol() != p || s.Clusters[id].ProxyProtocol == nil {
					t.Errorf("cluster %s: proxy_protocol %v, want %v", id, s.Clusters[id].ProxyProtocol, p)
				}
			}
			if s.Clusters["dns"].ProxyProtocol != nil {
				t.Errorf("dns: proxy protocol %v", s.Clusters["dns"].GetProxyProtocol())
			}
			if len(s.UDPFrontends["dns"]) != 1 || len(s.TCPFrontends["dns"]) != 0 {
				t.Errorf("dns frontend should be UDP: %s", objectsText(s))
			}
			if s.TCPListeners["0.0.0.0:6000"] == nil {
				t.Errorf("no TCP listener created for 0.0.0.0:6000")
			}
			if string(s.Clusters["dns"].GetUdp().GetHealth().GetUdpProbePayload()) != "ping" {
				t.Errorf("udp settings %v", s.Clusters["dns"].GetUdp())
			}
		},
	}, {
		name: "every other listener, cluster and frontend setting",
		toml: `
buffer_size = 1000
[[listeners]]
protocol = "http"
address = "[::]:80"
public_address = "[2001:db8::1]:80"
sticky_name = "STICKY"
request_timeout = 22
sozu_id_header = "x-edge-id"
elide_x_real_ip = true
send_x_real_ip = true
h2_max_concurrent_streams = 50
h2_max_rst_stream_lifetime = 9000
answers = { "404" = "file://503.http", "418" = "teapot" }
[[listeners]]
protocol = "https"
address = "[::]:443"
expect_proxy = true
cipher_suites = ["TLS13_AES_128_GCM_SHA256"]
groups_list = ["x25519"]
strict_sni_binding = true
disable_http11 = true
alpn_protocols = ["h2"]
hsts = { enabled = true, max_age = 600, include_subdomains = true, preload = false, force_replace_backend = true }
[[listeners]]
protocol = "udp"
address = "[::]:53"
front_timeout = 5
back_timeout = 6
max_rx_datagram_size = 9000
max_flows = 64
[clusters.web]
protocol = "http"
https_redirect_port = 8443
www_authenticate = "realm"
max_connections_per_ip = 10
retry_after = 30
health_check = { uri = "/hc", interval = 3, timeout = 1, healthy_threshold = 2, unhealthy_threshold = 4, expected_status = 204 }
frontends = [
  { address = "[::]:80", hostname = "web.example.com", required_auth = true, rewrite_host = "backend.local", rewrite_path = "/v2$PATH[1]", rewrite_port = 8080, redirect_template = "tpl", redirect = "unauthorized" },
  { address = "[::]:443", hostname = "web.example.com", path = "/s", certificate = "certs/other.pem", key = "certs/other.key", position = "POST" },
]
backends = [{ address = "[::1]:8080", backup = false }]
[clusters.dns]
protocol = "tcp"
frontends = [{ address = "[::]:53", tags = { zone = "a" } }]
backends = [{ address = "[::1]:53" }]
udp = { responses = 1, requests = 2, send_proxy_protocol = true, proxy_protocol_every_datagram = false, health = { mode = "TCP_PROBE", tcp_port = 53, rise = 1, fall = 2, fail_open = false, probe_interval_seconds = 9, probe_timeout_seconds = 3 } }
`,
		check: func(t *testing.T, s *state.State, warns []string) {
			h := s.HTTPListeners["[::]:80"]
			if h.GetRequestTimeout() != 22 || h.GetSozuIdHeader() != "x-edge-id" || !h.GetElideXRealIp() || h.GetH2MaxRstStreamLifetime() != 9000 || state.FormatAddress(h.GetPublicAddress()) != "[2001:db8::1]:80" || len(h.GetAnswers()) != 2 {
				t.Errorf("HTTP listener %v", h)
			}
			hs := s.HTTPSListeners["[::]:443"]
			if !hs.GetStrictSniBinding() || !hs.GetDisableHttp11() || hs.GetHsts().GetMaxAge() != 600 || strings.Join(hs.GetCipherSuites(), ",") != "TLS13_AES_128_GCM_SHA256" || len(hs.GetCipherList()) != 9 {
				t.Errorf("HTTPS listener %v", hs)
			}
			u := s.UDPListeners["[::]:53"]
			if u.GetMaxRxDatagramSize() != 1000 || u.GetMaxFlows() != 64 || u.GetFrontTimeout() != 5 {
				t.Errorf("UDP listener %v", u)
			}
			if len(warns) != 1 || !strings.Contains(warns[0], "buffer_size") {
				t.Errorf("warnings %q, want the datagram size lowered", warns)
			}
			c := s.Clusters["web"]
			if c.GetHttpsRedirectPort() != 8443 || c.GetRetryAfter() != 30 || c.GetHealthCheck().GetExpectedStatus() != 204 {
				t.Errorf("cluster %v", c)
			}
			f := s.HTTPFrontends["[::]:80;web.example.com;P"]
			if !f.GetRequiredAuth() || f.GetRewritePort() != 8080 || f.GetRedirect() != sozupb.RedirectPolicy_UNAUTHORIZED {
				t.Errorf("frontend %v", f)
			}
			if d := s.Clusters["dns"].GetUdp().GetHealth(); d.GetTcpPort() != 53 || d.GetFailOpen() {
				t.Errorf("udp health %v", d)
			}
		},
	}, {
		name: "a duplicate route is skipped with a warning, as Sōzu does at boot",
		toml: `
[clusters.a]
protocol = "http"
frontends = [{ address = "0.0.0.0:80", hostname = "x.example.com" }]
backends = []
[clusters.b]
protocol = "http"
frontends = [{ address = "0.0.0.0:80", hostname = "x.example.com" }]
backends = []
`,
		check: func(t *testing.T, s *state.State, warns []string) {
			if len(s.HTTPFrontends) != 1 || s.HTTPFrontends["0.0.0.0:80;x.example.com;P"].GetClusterId() != "a" {
				t.Errorf("frontends: %s", objectsText(s))
			}
			if len(warns) != 1 || !strings.Contains(warns[0], "x.example.com") {
				t.Errorf("warnings: %q", warns)
			}
		},
	}}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, warns, err := FromTOML(tomlDir(t, tc.toml))
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s, warns)
			roundTrip(t, s)
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestFromTOMLErrors(t *testing.T) {
	cases := []struct {
		name, toml, want string
		line             int
	}{
		{"syntax", "[[listeners]]\nprotocol = \"http\naddress = \"0.0.0.0:80\"\n", "", 2},
		{"unknown listener key", "[[listeners]]\nprotocol = \"http\"\naddress = \"0.0.0.0:80\"\nbogus = 1\n", "bogus", 4},
		{"wrong type", "[[listeners]]\nprotocol = \"http\"\naddress = \"0.0.0.0:80\"\nfront_timeout = \"x\"\n", "", 4},
		{"weight above 255", "[clusters.a]\nprotocol = \"tcp\"\nfrontends = []\nbackends = [{ address = \"10.0.0.1:1\", weight = 300 }]\n", "", 4},
		{"two listeners on one address", "[[listeners]]\nprotocol = \"http\"\naddress = \"0.0.0.0:80\"\n[[listeners]]\nprotocol = \"tcp\"\naddress = \"0.0.0.0:80\"\n", "two listeners", 4},
		{"no protocol", "[[listeners]]\naddress = \"0.0.0.0:80\"\n", "no protocol", 1},
		{"bad address", "[[listeners]]\nprotocol = \"http\"\naddress = \"localhost:80\"\n", "invalid address", 1},
		{"HTTPS frontend without certificate", "[[listeners]]\nprotocol = \"https\"\naddress = \"0.0.0.0:443\"\n[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:443\", hostname = \"a\" }]\nbackends = []\n", "needs a certificate", 6},
		{"certificate on an HTTP listener", "[[listeners]]\nprotocol = \"http\"\naddress = \"0.0.0.0:80\"\n[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:80\", hostname = \"a\", certificate = \"certs/api.pem\", key = \"certs/api.key\" }]\nbackends = []\n", "HTTP listener", 0},
		{"HTTP frontend on a TCP listener", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"0.0.0.0:80\"\n[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:80\", hostname = \"a\" }]\nbackends = []\n", "TCP listener", 0},
		{"TCP frontend with hostname", "[clusters.a]\nprotocol = \"tcp\"\nfrontends = [{ address = \"0.0.0.0:80\", hostname = \"a\" }]\nbackends = []\n", "hostname", 3},
		{"missing hostname", "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:80\" }]\nbackends = []\n", "hostname is missing", 3},
		{"mixed proxy protocol", "[[listeners]]\nprotocol = \"tcp\"\naddress = \"0.0.0.0:1\"\nexpect_proxy = true\n[clusters.a]\nprotocol = \"tcp\"\nfrontends = [{ address = \"0.0.0.0:1\" }, { address = \"0.0.0.0:2\" }]\nbackends = []\n", "mix", 7},
		{"bad enum", "[clusters.a]\nprotocol = \"http\"\nload_balancing = \"FASTEST\"\nfrontends = []\nbackends = []\n", "FASTEST", 1},
		{"hsts on plain HTTP", "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:80\", hostname = \"a\", hsts = { enabled = true } }]\nbackends = []\n", "plain HTTP", 0},
		{"header name not a token", "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:80\", hostname = \"a\", headers = [{ position = \"request\", key = \"x a\", value = \"v\" }] }]\nbackends = []\n", "not an HTTP field name", 3},
		{"header value with CRLF", "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:80\", hostname = \"a\", headers = [{ position = \"request\", key = \"x-a\", value = \"v\\r\\nEvil: 1\" }] }]\nbackends = []\n", "control characters", 0},
		{"hsts on an HTTP listener", "[[listeners]]\nprotocol = \"http\"\naddress = \"0.0.0.0:80\"\nhsts = { enabled = true }\n", "plain HTTP", 0},
		{"cluster without backends", "[clusters.a]\nprotocol = \"tcp\"\nfrontends = []\n", "no backends key", 1},
		{"cluster without frontends", "[clusters.a]\nprotocol = \"tcp\"\nbackends = []\n", "no frontends key", 0},
		{"missing certificate file", "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:443\", hostname = \"a\", certificate = \"certs/nope.pem\", key = \"certs/api.key\" }]\nbackends = []\n", "nope.pem", 3},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := FromTOML(tomlDir(t, tc.toml))
			if err == nil {
				t.Fatal("no error")
			}
			if !strings.Contains(err.Error(), "sozu.toml") {
				t.Errorf("error %q does not name the file", err)
			}
			if tc.want != "" && !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not say %q", err, tc.want)
			}
			if tc.line > 0 {
				var te *TOMLError
				if !errors.As(err, &te) || te.Line != tc.line {
					t.Errorf("error %q: want line %d", err, tc.line)
				}
			}
		})
	}
}

func TestFromTOMLMissingFile(t *testing.T) {
	_, _, err := FromTOML(filepath.Join(t.TempDir(), "none.toml"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("error %v, want one wrapping ErrNotExist", err)
	}
}

func TestSplitCertificateChain(t *testing.T) {
	c := strings.TrimSpace(readTestdata(t, "certs/chain.pem"))
	got := SplitCertificateChain("\n" + c + "\n\n" + c + "\ntrailing")
	if len(got) != 2 || got[0] != c || got[1] != c {
		t.Errorf("got %d blocks", len(got))
	}
	if len(SplitCertificateChain("no pem")) != 0 {
		t.Errorf("text without a certificate gives blocks")
	}
}

// TestExampleTOMLGolden imports a configuration shaped like Sōzu's own
// example files and compares the HCL with testdata/toml/example.golden.hcl.
func TestExampleTOMLGolden(t *testing.T) {
	s, warns, err := FromTOML(filepath.Join("testdata", "toml", "example.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if len(warns) != 0 {
		t.Errorf("warnings: %q", warns)
	}
	out, _ := roundTrip(t, s)
	golden.Check(t, filepath.Join("testdata", "toml", "example.golden.hcl"), out.Files[0].Data)
	var paths []string
	for _, f := range out.Files[1:] {
		paths = append(paths, f.Path+" "+f.Mode.String())
	}
	want := "certs/api_example_com.pem -rw-r--r--,certs/api_example_com-chain-1.pem -rw-r--r--,certs/api_example_com.key -rw-------"
	if strings.Join(paths, ",") != want {
		t.Errorf("files:\n%s\nwant\n%s", strings.Join(paths, ","), want)
	}
}

// BenchmarkFromTOML measures reading the example configuration.
func BenchmarkFromTOML(b *testing.B) {
	p := filepath.Join("testdata", "toml", "example.toml")
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, _, err := FromTOML(p); err != nil {
			b.Fatal(err)
		}
	}
}

func TestTOMLLines(t *testing.T) {
	lines := tomlLines([]byte(readTestdata(t, "toml/example.toml")))
	for path, want := range map[string]int{
		"listeners.0":               15,
		"listeners.2":               26,
		"clusters.shop":             33,
		"clusters.shop.frontends.1": 38,
		"clusters.shop.backends.1":  42,
		"clusters.pg":               45,
	} {
		if lines[path] != want {
			t.Errorf("%s: line %d, want %d", path, lines[path], want)
		}
	}
	_, _, err := FromTOML(tomlDir(t, "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:443\", hostname = \"a\", certificate = \"certs/nope.pem\", key = \"certs/api.key\" }]\nbackends = []\n"))
	if !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a missing certificate file: %v, want an error wrapping ErrNotExist", err)
	}
}

// TestFromTOMLFilesDir reads relative paths from another directory, as
// Sōzu does from its working directory.
func TestFromTOMLFilesDir(t *testing.T) {
	p := tomlDir(t, "[clusters.a]\nprotocol = \"http\"\nfrontends = [{ address = \"0.0.0.0:443\", hostname = \"api.example.com\", certificate = \"api.pem\", key = \"api.key\" }]\nbackends = []\n")
	if _, _, err := FromTOML(p); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("without FilesDir: %v, want a missing file", err)
	}
	s, _, err := FromTOMLWith(p, TOMLOptions{FilesDir: filepath.Join(filepath.Dir(p), "certs")})
	if err != nil {
		t.Fatal(err)
	}
	if len(s.Certificates["0.0.0.0:443"]) != 1 {
		t.Errorf("certificates: %s", objectsText(s))
	}
}
