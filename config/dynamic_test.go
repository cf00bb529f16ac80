package config

import (
	"sort"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func TestDynamicBlocksEverywhere(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `
variable "ports" { default = { web = 80, alt = 8080 } }
variable "apps" {
  default = {
    a = { backends = { "a-1" = "10.0.0.1:80" }, hosts = ["a.example.com"] }
    b = { backends = { "b-1" = "10.0.0.2:80", "b-2" = "10.0.0.3:80" }, hosts = ["b.example.com", "b2.example.com"] }
  }
}
locals { tls_port = 443 }

dynamic "listener" {
  for_each = var.ports
  labels   = ["http", listener.key]
  content { address = "0.0.0.0:${listener.value}" }
}
dynamic "listener" {
  for_each = [local.tls_port]
  labels   = ["https", "tls"]
  content { address = "0.0.0.0:${listener.value}" }
}

dynamic "cluster" {
  for_each = var.apps
  labels   = [cluster.key]
  content {
    dynamic "backend" {
      for_each = cluster.value.backends
      labels   = [backend.key]
      content { address = backend.value }
    }
    dynamic "http_frontend" {
      for_each = cluster.value.hosts
      content {
        listener = listener.http.web
        hostname = http_frontend.value
        dynamic "header" {
          for_each = { x-app = cluster.key }
          content {
            position = "REQUEST"
            key      = header.key
            val      = header.value
          }
        }
      }
    }
  }
}

dynamic "certificate" {
  for_each = ["api"]
  labels   = [certificate.value]
  content {
    listener    = listener.https.tls
    certificate = file("certs/${certificate.value}.pem")
    key         = file("certs/${certificate.value}.key")
  }
}

dynamic "http_frontend" {
  for_each = ["deny.example.com"]
  content {
    listener = listener.http.alt
    hostname = http_frontend.value
  }
}
`})
	copyCerts(t, dir)
	cfg := mustLoad(t, dir, Options{})
	var addrs []string
	for _, o := range cfg.Objects {
		addrs = append(addrs, o.Address)
	}
	sort.Strings(addrs)
	want := []string{
		"certificate.api",
		"cluster.a",
		`cluster.a.backend.a-1`,
		`cluster.a.http_frontend["0.0.0.0:80;a.example.com;P"]`,
		"cluster.b",
		`cluster.b.backend.b-1`,
		`cluster.b.backend.b-2`,
		`cluster.b.http_frontend["0.0.0.0:80;b.example.com;P"]`,
		`cluster.b.http_frontend["0.0.0.0:80;b2.example.com;P"]`,
		`http_frontend["0.0.0.0:8080;deny.example.com;P"]`,
		"listener.http.alt",
		"listener.http.web",
		"listener.https.tls",
	}
	if len(addrs) != len(want) {
		t.Fatalf("objects:\n%q\nwant:\n%q", addrs, want)
	}
	for i := range want {
		if addrs[i] != want[i] {
			t.Errorf("object %d = %s, want %s", i, addrs[i], want[i])
		}
	}
	f := cfg.Desired.HTTPFrontends["0.0.0.0:80;b2.example.com;P"]
	if f.GetClusterId() != "b" || len(f.GetHeaders()) != 1 || f.GetHeaders()[0].GetVal() != "b" {
		t.Errorf("frontend b2 = %v", f)
	}
	if deny := cfg.Desired.HTTPFrontends["0.0.0.0:8080;deny.example.com;P"]; deny == nil || deny.ClusterId != nil {
		t.Errorf("deny route = %v, want one without a cluster", deny)
	}
}

func TestListenerDefaultsAndActivation(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `
listener "http" "a" { address = "0.0.0.0:80" }
listener "http" "b" {
  address = "[::1]:8080"
  active  = false
}
listener "https" "c" { address = "0.0.0.0:443" }
listener "udp" "d" { address = "0.0.0.0:53" }
`})
	cfg := mustLoad(t, dir, Options{})
	a := state.NewHTTPListener(mustAddr(t, "0.0.0.0:80"))
	a.Active = proto.Bool(true)
	if got := cfg.Desired.HTTPListeners["0.0.0.0:80"]; !proto.Equal(got, a) {
		t.Errorf("listener a = %v, want the loader's defaults, active:\n%v", got, a)
	}
	if got := cfg.Desired.HTTPListeners["[::1]:8080"]; got.GetActive() {
		t.Errorf("listener b is active, want inactive")
	}
	c := state.NewHTTPSListener(mustAddr(t, "0.0.0.0:443"))
	c.Active = proto.Bool(true)
	if got := cfg.Desired.HTTPSListeners["0.0.0.0:443"]; !proto.Equal(got, c) {
		t.Errorf("listener c = %v, want %v", got, c)
	}
	var adds, activations int
	for _, r := range cfg.Requests {
		switch {
		case r.GetAddHttpListener() != nil:
			adds++
			if r.GetAddHttpListener().GetActive() {
				t.Errorf("listener added active: %v", r)
			}
		case r.GetAddHttpsListener() != nil, r.GetAddUdpListener() != nil:
			adds++
		case r.GetActivateListener() != nil:
			activations++
		}
	}
	if adds != 4 || activations != 3 {
		t.Errorf("%d adds and %d activations, want 4 and 3", adds, activations)
	}
}

func mustAddr(t *testing.T, s string) *sozupb.SocketAddress {
	t.Helper()
	a, err := state.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestEnumAliases(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `
listener "https" "tls" {
  address  = "0.0.0.0:443"
  versions = ["TLS_V12", "tls_v1_3"]
}
cluster "c" {
  load_balancing = "power_of_two"
  load_metric    = "connection-time"
  udp {
    affinity_key = "source_ip_port"
    health { mode = "udp_probe" }
  }
  https_frontend {
    listener        = listener.https.tls
    hostname        = "c.example.com"
    redirect        = "permanent"
    redirect_scheme = "use-https"
    position        = "pre"
    header {
      position = "response"
      key      = "a"
      val      = "b"
    }
  }
}
`})
	cfg := mustLoad(t, dir, Options{})
	l := cfg.Desired.HTTPSListeners["0.0.0.0:443"]
	if v := l.GetVersions(); len(v) != 2 || v[0] != sozupb.TlsVersion_TLS_V1_2 || v[1] != sozupb.TlsVersion_TLS_V1_3 {
		t.Errorf("versions = %v", v)
	}
	c := cfg.Desired.Clusters["c"]
	if c.GetLoadBalancing() != sozupb.LoadBalancingAlgorithms_POWER_OF_TWO || c.GetLoadMetric() != sozupb.LoadMetric_CONNECTION_TIME {
		t.Errorf("cluster = %v", c)
	}
	if c.GetUdp().GetAffinityKey() != sozupb.UdpAffinityKey_SOURCE_IP_PORT || c.GetUdp().GetHealth().GetMode() != sozupb.UdpHealthMode_UDP_PROBE {
		t.Errorf("udp = %v", c.GetUdp())
	}
	f := cfg.Desired.HTTPSFrontends["0.0.0.0:443;c.example.com;P"]
	if f.GetRedirect() != sozupb.RedirectPolicy_PERMANENT || f.GetRedirectScheme() != sozupb.RedirectScheme_USE_HTTPS ||
		f.GetPosition() != sozupb.RulePosition_PRE || f.GetHeaders()[0].GetPosition() != sozupb.HeaderPosition_RESPONSE {
		t.Errorf("frontend = %v", f)
	}
}

func TestBaseListeners(t *testing.T) {
	src := `cluster "c" {
  http_frontend {
    address  = "0.0.0.0:80"
    hostname = "c.example.com"
  }
}
`
	dir := writeConfig(t, map[string]string{"main.hcl": src})
	if _, diags := Load(dir, Options{Environ: []string{}}); !diags.HasErrors() {
		t.Fatal("a frontend without a listener loaded without error")
	}
	base := state.New()
	l := state.NewHTTPListener(mustAddr(t, "0.0.0.0:80"))
	if err := base.Apply(&sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: l}}); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, dir, Options{Base: base})
	if len(cfg.Desired.HTTPListeners) != 0 || len(cfg.Desired.HTTPFrontends) != 1 {
		t.Errorf("desired = %d listeners, %d frontends; want 0 and 1", len(cfg.Desired.HTTPListeners), len(cfg.Desired.HTTPFrontends))
	}
}

func TestListenerReferenceAttributes(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `
listener "http" "web" {
  address     = "0.0.0.0:80"
  sticky_name = "S"
}
cluster "c" {
  www_authenticate = "${listener.http.web.address} ${listener.http.web.sticky_name} ${listener.http.web.protocol} ${listener.http.web.active}"
}
http_frontend {
  listener   = listener.http.web
  hostname   = "x.example.com"
  cluster_id = cluster.c.cluster_id
}
`})
	cfg := mustLoad(t, dir, Options{})
	if got := cfg.Desired.Clusters["c"].GetWwwAuthenticate(); got != "0.0.0.0:80 S http true" {
		t.Errorf("www_authenticate = %q", got)
	}
	if f := cfg.Desired.HTTPFrontends["0.0.0.0:80;x.example.com;P"]; f.GetClusterId() != "c" {
		t.Errorf("frontend = %v", f)
	}
}

func TestEmptyConfiguration(t *testing.T) {
	cfg := mustLoad(t, writeConfig(t, map[string]string{"empty.hcl": ""}), Options{})
	if cfg.Desired.Len() != 0 || len(cfg.Requests) != 0 {
		t.Errorf("an empty file gave %d objects", cfg.Desired.Len())
	}
	if len(cfg.Sozu.Manage) != 3 || cfg.Sozu.MassRemovalThreshold != DefaultMassRemovalThreshold {
		t.Errorf("settings = %+v, want the defaults", cfg.Sozu)
	}
	_, diags := Load(t.TempDir(), Options{Environ: []string{}})
	if !diags.HasErrors() || diags[0].Summary != "No configuration files" {
		t.Errorf("an empty directory gave %s", describe(diags))
	}
}

func TestSeveralFiles(t *testing.T) {
	dir := writeConfig(t, map[string]string{
		"a.hcl": `listener "http" "web" { address = "0.0.0.0:80" }`,
		"b.hcl": `cluster "c" {
  http_frontend {
    listener = listener.http.web
    hostname = "c.example.com"
  }
}`,
		"c.hcl": `cluster "c" {}`,
		"d.txt": `not = hcl {`,
	})
	_, diags := Load(dir, Options{Environ: []string{}})
	checkDiags(t, diags, []wantDiag{errAt("Duplicate cluster", "c.hcl:1:9")})
}

func TestLocalsReferringToListenersAndClusters(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `
locals {
  port   = 80
  web    = listener.http.web
  host   = "${local.name}.example.com"
  name   = cluster.api.cluster_id
  banner = "${local.web.address} ${local.port}"
}
listener "http" "web" { address = "0.0.0.0:${local.port}" }
cluster "api" {
  www_authenticate = local.banner
  http_frontend {
    listener = local.web
    hostname = local.host
  }
}
`})
	cfg := mustLoad(t, dir, Options{})
	if got := cfg.Desired.Clusters["api"].GetWwwAuthenticate(); got != "0.0.0.0:80 80" {
		t.Errorf("www_authenticate = %q", got)
	}
	if cfg.Desired.HTTPFrontends["0.0.0.0:80;api.example.com;P"] == nil {
		t.Errorf("frontend missing; have %v", cfg.Desired.HTTPFrontends)
	}
}
