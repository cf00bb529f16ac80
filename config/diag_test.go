package config

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

// wantDiag is an expected diagnostic: its severity, a piece of its summary
// or detail, and where it points ("main.hcl:3:5").
type wantDiag struct {
	sev  hcl.DiagnosticSeverity
	text string
	at   string
}

func errAt(text, at string) wantDiag  { return wantDiag{hcl.DiagError, text, at} }
func warnAt(text, at string) wantDiag { return wantDiag{hcl.DiagWarning, text, at} }

func diagPos(d *hcl.Diagnostic) string {
	if d.Subject == nil {
		return "-"
	}
	return fmt.Sprintf("%s:%d:%d", filepath.Base(d.Subject.Filename), d.Subject.Start.Line, d.Subject.Start.Column)
}

func describe(diags hcl.Diagnostics) string {
	var b strings.Builder
	for _, d := range diags {
		sev := "error"
		if d.Severity == hcl.DiagWarning {
			sev = "warning"
		}
		fmt.Fprintf(&b, "\n  %s %s: %s; %s", sev, diagPos(d), d.Summary, d.Detail)
	}
	return b.String()
}

// checkDiags asserts that diags are exactly want, in any order.
func checkDiags(t *testing.T, diags hcl.Diagnostics, want []wantDiag) {
	t.Helper()
	used := make([]bool, len(diags))
	for _, w := range want {
		found := false
		for i, d := range diags {
			if used[i] || d.Severity != w.sev || diagPos(d) != w.at {
				continue
			}
			if !strings.Contains(d.Summary+": "+d.Detail, w.text) {
				continue
			}
			used[i], found = true, true
			break
		}
		if !found {
			t.Errorf("missing diagnostic %q at %s; got:%s", w.text, w.at, describe(diags))
		}
	}
	for i, d := range diags {
		if !used[i] {
			t.Errorf("unexpected diagnostic:%s", describe(hcl.Diagnostics{d}))
		}
	}
}

const httpListener = `listener "http" "web" { address = "0.0.0.0:80" }
`

func TestDiagnostics(t *testing.T) {
	tests := []struct {
		name string
		hcl  string
		want []wantDiag
	}{
		{"syntax", `cluster "a" {`, []wantDiag{errAt("Unclosed configuration block", "main.hcl:1:13")}},
		{"unknown block", `clustr "a" {}`, []wantDiag{errAt(`Did you mean "cluster"?`, "main.hcl:1:1")}},
		{"unknown attribute", `cluster "a" { load_balancin = "RANDOM" }`, []wantDiag{errAt(`Did you mean "load_balancing"?`, "main.hcl:1:15")}},
		{"unknown nested block", "cluster \"a\" {\n  backnd \"b\" { address = \"10.0.0.1:80\" }\n}", []wantDiag{errAt(`Did you mean "backend"?`, "main.hcl:2:3")}},
		{"unknown dynamic type", `dynamic "clustr" {
  for_each = []
  content {}
}`, []wantDiag{errAt(`Did you mean "cluster"?`, "main.hcl:1:9")}},
		{"unknown nested dynamic type", `cluster "a" {
  dynamic "bakend" {
    for_each = {}
    content {}
  }
}`, []wantDiag{errAt(`Did you mean "backend"?`, "main.hcl:2:11")}},
		{"wrong type", `cluster "a" { sticky_session = [1] }`, []wantDiag{errAt("bool is required", "main.hcl:1:32")}},
		{"not a whole number", `cluster "a" { https_redirect_port = 1.5 }`, []wantDiag{errAt("whole number", "main.hcl:1:37")}},
		{"number out of range", `cluster "a" { https_redirect_port = -1 }`, []wantDiag{errAt("out of range", "main.hcl:1:37")}},
		{"unknown enum", `cluster "a" { load_balancing = "ROUND_ROBINN" }`, []wantDiag{errAt(`Did you mean "ROUND_ROBIN"?`, "main.hcl:1:32")}},
		{"enum lists valid names", `cluster "a" { load_metric = "x" }`, []wantDiag{errAt(`"CONNECTIONS", "REQUESTS", "CONNECTION_TIME"`, "main.hcl:1:29")}},
		{"bad address", `listener "http" "web" { address = "0.0.0.0" }`, []wantDiag{errAt("Invalid socket address", "main.hcl:1:35")}},
		{"port out of range", `listener "http" "web" { address = "0.0.0.0:70000" }`, []wantDiag{errAt("Invalid socket address", "main.hcl:1:35")}},
		{"no cascade from a failed listener", `listener "http" "web" { address = "nope" }
cluster "a" {
  http_frontend {
    listener = listener.http.web
    hostname = "a.example.com"
  }
}`, []wantDiag{errAt("Invalid socket address", "main.hcl:1:35")}},
		{"null listener address", `listener "http" "web" { address = null }`, []wantDiag{errAt("Missing required value", "main.hcl:1:35")}},
		{"null backend address", `cluster "a" {
  backend "b" { address = null }
}`, []wantDiag{errAt("Missing required value", "main.hcl:2:27")}},
		{"bad listener protocol", `listener "htp" "web" { address = "0.0.0.0:80" }`, []wantDiag{errAt(`Did you mean "http"?`, "main.hcl:1:10")}},
		{"duplicate cluster", "cluster \"a\" {}\ncluster \"a\" {}\n", []wantDiag{errAt("Duplicate cluster", "main.hcl:2:9")}},
		{"duplicate backend", `cluster "a" {
  backend "b" { address = "10.0.0.1:80" }
  backend "b" { address = "10.0.0.2:80" }
}`, []wantDiag{errAt("Duplicate backend", "main.hcl:3:11")}},
		{"backend address reused", `cluster "a" {
  backend "b" { address = "10.0.0.1:80" }
  backend "c" { address = "10.0.0.1:80" }
}`, []wantDiag{errAt("Duplicate backend address", "main.hcl:3:27")}},
		{"same backend id in two clusters", `cluster "a" {
  backend "b" { address = "10.0.0.1:80" }
}
cluster "c" {
  backend "b" { address = "10.0.0.1:80" }
}`, nil},
		{"duplicate listener address", httpListener + `listener "http" "web2" { address = "0.0.0.0:80" }`, []wantDiag{errAt("Duplicate listener", "main.hcl:2:36")}},
		{"duplicate listener name", httpListener + `listener "http" "web" { address = "0.0.0.0:81" }`, []wantDiag{errAt("Duplicate listener", "main.hcl:2:17")}},
		{"same address two protocols", httpListener + `listener "tcp" "web" { address = "0.0.0.0:80" }`, nil},
		{"duplicate route", httpListener + `cluster "a" {
  http_frontend {
    listener = listener.http.web
    hostname = "a.example.com"
  }
}
cluster "b" {
  http_frontend {
    address  = "0.0.0.0:80"
    hostname = "a.example.com"
    path_prefix = ""
  }
}`, []wantDiag{errAt("Duplicate route", "main.hcl:9:3")}},
		{"frontend without listener", `cluster "a" {
  http_frontend {
    address  = "0.0.0.0:80"
    hostname = "a.example.com"
  }
}`, []wantDiag{errAt("No HTTP listener is declared on 0.0.0.0:80", "main.hcl:3:16")}},
		{"frontend on wrong protocol", `listener "tcp" "t" { address = "0.0.0.0:80" }
cluster "a" {
  http_frontend {
    listener = listener.tcp.t
    hostname = "a.example.com"
  }
}`, []wantDiag{errAt("Wrong listener protocol", "main.hcl:4:16")}},
		{"frontend missing listener", `cluster "a" {
  https_frontend { hostname = "a.example.com" }
}`, []wantDiag{errAt("Missing listener", "main.hcl:2:3")}},
		{"unknown cluster", httpListener + `cluster "api" {}
http_frontend {
  listener   = listener.http.web
  hostname   = "a.example.com"
  cluster_id = "apj"
}`, []wantDiag{errAt(`Did you mean "api"?`, "main.hcl:6:16")}},
		{"deny route", httpListener + `http_frontend {
  listener = listener.http.web
  hostname = "a.example.com"
}`, nil},
		{"two path kinds", httpListener + `cluster "a" {
  http_frontend {
    listener    = listener.http.web
    hostname    = "a.example.com"
    path_prefix = "/"
    path_equals = "/x"
  }
}`, []wantDiag{errAt("Conflicting path rules", "main.hcl:7:5")}},
		{"bad regex", httpListener + `cluster "a" {
  http_frontend {
    listener   = listener.http.web
    hostname   = "a.example.com"
    path_regex = "(["
  }
}`, []wantDiag{errAt("Invalid path regex", "main.hcl:6:18")}},
		{"hostname capitals", httpListener + `cluster "a" {
  http_frontend {
    listener = listener.http.web
    hostname = "API.example.com"
  }
}`, []wantDiag{errAt("Hostname with capital letters", "main.hcl:5:16")}},
		{"hsts on http", httpListener + `cluster "a" {
  http_frontend {
    listener = listener.http.web
    hostname = "a.example.com"
    hsts { enabled = true }
  }
}`, []wantDiag{errAt("HSTS on an HTTP frontend", "main.hcl:6:5")}},
		{"undefined variable", `variable "host" { default = "x" }
cluster "a" { www_authenticate = var.hots }`, []wantDiag{errAt(`Did you mean "host"?`, "main.hcl:2:34")}},
		{"undefined local", `locals { host = "x" }
cluster "a" { www_authenticate = local.hots }`, []wantDiag{errAt(`Did you mean "host"?`, "main.hcl:2:34")}},
		{"locals cycle", `locals {
  a = local.b
  b = local.a
}`, []wantDiag{errAt("Cycle in local values", "main.hcl:2:7")}},
		{"failed validation", `variable "port" {
  type    = number
  default = 70000
  validation {
    condition     = var.port < 65536
    error_message = "The port must be below 65536."
  }
}`, []wantDiag{errAt("The port must be below 65536.", "main.hcl:5:21")}},
		{"variable wrong type", `variable "n" {
  type    = number
  default = "abc"
}`, []wantDiag{errAt("Invalid value for variable", "main.hcl:3:13")}},
		{"required variable", `variable "n" { type = number }`, []wantDiag{errAt("No value for required variable", "main.hcl:1:1")}},
		{"duplicate sozu block", "sozu {}\nsozu {}\n", []wantDiag{errAt("Duplicate sozu block", "main.hcl:2:1")}},
		{"sozu manage", `sozu { manage = ["listener"] }`, []wantDiag{errAt(`Did you mean "listeners"?`, "main.hcl:1:17")}},
		{"duplicate singleton block", `cluster "a" {
  health_check { uri = "/a" }
  health_check { uri = "/b" }
}`, []wantDiag{errAt("Duplicate health_check block", "main.hcl:3:3")}},
		{"missing required attribute", `cluster "a" {
  health_check { interval = 3 }
}`, []wantDiag{errAt(`The argument "uri" is required`, "main.hcl:2:18")}},
		{"duplicate tcp frontend", `listener "tcp" "t" { address = "0.0.0.0:5432" }
cluster "a" {
  tcp_frontend { listener = listener.tcp.t }
}
cluster "b" {
  tcp_frontend { address = "0.0.0.0:5432" }
}`, []wantDiag{errAt("one cluster per TCP listener", "main.hcl:6:3")}},
		{"health check refused by Sōzu", `cluster "a" {
  health_check { uri = "healthz" }
}`, []wantDiag{errAt("must start with '/'", "main.hcl:1:1")}},
		{"alpn refused by Sōzu", `listener "https" "t" {
  address        = "0.0.0.0:443"
  alpn_protocols = ["h3"]
}`, []wantDiag{errAt("Invalid ALPN protocol", "main.hcl:3:20")}},
		{"no tls version", `listener "https" "t" {
  address  = "0.0.0.0:443"
  versions = []
}`, []wantDiag{errAt("No TLS version", "main.hcl:3:14")}},
		{"old tls version", `listener "https" "t" {
  address  = "0.0.0.0:443"
  versions = ["TLS_V1_1", "TLS_V1_3"]
}`, []wantDiag{warnAt("TLS version ignored", "main.hcl:3:14")}},
		{"bad header position", httpListener + `cluster "a" {
  http_frontend {
    listener = listener.http.web
    hostname = "a.example.com"
    header {
      position = "RESPONS"
      key      = "k"
      val      = "v"
    }
  }
}`, []wantDiag{errAt(`Did you mean "RESPONSE"?`, "main.hcl:7:18")}},
		{"listener reference to unknown listener", `cluster "a" {
  tcp_frontend { listener = listener.tcp.nope }
}`, []wantDiag{errAt("Reference to undeclared listener", "main.hcl:2:41")}},
		{"listener name typo", `listener "tcp" "postgres" { address = "0.0.0.0:5432" }
cluster "a" {
  tcp_frontend { listener = listener.tcp.postgre }
}`, []wantDiag{errAt(`Did you mean "postgres"?`, "main.hcl:3:41")}},
		{"listener protocol typo", `listener "tcp" "postgres" { address = "0.0.0.0:5432" }
cluster "a" {
  tcp_frontend { listener = listener.tpc.postgres }
}`, []wantDiag{errAt(`Did you mean "tcp"?`, "main.hcl:3:37")}},
		{"cluster reference typo", httpListener + `cluster "api" {}
http_frontend {
  listener   = listener.http.web
  hostname   = "a.example.com"
  cluster_id = cluster.apj.cluster_id
}`, []wantDiag{errAt(`Did you mean "api"?`, "main.hcl:6:23")}},
		{"map of strings", `cluster "a" { answers = "x" }`, []wantDiag{errAt("map of strings is required", "main.hcl:1:25")}},
		{"list element type", `listener "https" "t" {
  address  = "0.0.0.0:443"
  versions = ["TLS_V1_2", "TLS_V9"]
}`, []wantDiag{errAt("Element 1", "main.hcl:3:14")}},
		{"top-level attribute", `socket = "/run/sozu.sock"`, []wantDiag{errAt("Unsupported argument", "main.hcl:1:1")}},
		{"collects every error", `cluster "a" { load_balancing = "X" }
cluster "b" { load_metric = "Y" }`, []wantDiag{
			errAt("Invalid LoadBalancingAlgorithms value", "main.hcl:1:32"),
			errAt("Invalid LoadMetric value", "main.hcl:2:29"),
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"main.hcl": tt.hcl})
			_, diags := Load(dir, Options{Environ: []string{}})
			checkDiags(t, diags, tt.want)
		})
	}
}
