package config

import (
	"crypto/sha256"
	"encoding/hex"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/state"
)

const httpsListener = `listener "https" "tls" { address = "0.0.0.0:443" }
`

func certBlock(name, cert, key string, extra string) string {
	return `certificate "` + name + `" {
  listener    = listener.https.tls
  certificate = file("certs/` + cert + `.pem")
  key         = file("certs/` + key + `.key")
` + extra + `}
`
}

func TestCertificateDiagnostics(t *testing.T) {
	front := func(host string) string {
		return `cluster "a" {
  https_frontend {
    listener = listener.https.tls
    hostname = "` + host + `"
  }
}
`
	}
	tests := []struct {
		name string
		hcl  string
		want []wantDiag
	}{
		{"valid", httpsListener + certBlock("api", "api", "api", ""), nil},
		{"key mismatch", httpsListener + certBlock("api", "api", "other", ""), []wantDiag{errAt("does not match", "main.hcl:5:17")}},
		{"not a certificate", httpsListener + `certificate "x" {
  listener    = listener.https.tls
  certificate = "hello"
  key         = file("certs/api.key")
}`, []wantDiag{errAt("Invalid certificate", "main.hcl:4:17")}},
		{"key is a certificate", httpsListener + `certificate "x" {
  listener    = listener.https.tls
  certificate = file("certs/api.pem")
  key         = file("certs/api.pem")
}`, []wantDiag{errAt("no private key", "main.hcl:5:17")}},
		{"missing file", httpsListener + `certificate "x" {
  listener    = listener.https.tls
  certificate = file("certs/nope.pem")
  key         = file("certs/api.key")
}`, []wantDiag{errAt("cannot read file certs/nope.pem", "main.hcl:4:17")}},
		{"missing key", httpsListener + `certificate "x" {
  listener    = listener.https.tls
  certificate = file("certs/api.pem")
}`, []wantDiag{errAt(`The argument "key" is required`, "main.hcl:2:17")}},
		{"null key", httpsListener + `certificate "x" {
  listener    = listener.https.tls
  certificate = file("certs/api.pem")
  key         = null
}`, []wantDiag{errAt("Missing required value", "main.hcl:5:17")}},
		{"expired", httpsListener + certBlock("old", "expired", "expired", ""), []wantDiag{warnAt("Expired certificate", "main.hcl:4:17")}},
		{"on an http listener", `listener "http" "tls" { address = "0.0.0.0:443" }
certificate "x" {
  address     = "0.0.0.0:443"
  certificate = file("certs/api.pem")
  key         = file("certs/api.key")
}`, []wantDiag{errAt("No HTTPS listener is declared on 0.0.0.0:443", "main.hcl:3:17")}},
		{"duplicate name", httpsListener + certBlock("api", "api", "api", "") + certBlock("api", "other", "other", ""), []wantDiag{errAt("Duplicate certificate", "main.hcl:7:13")}},
		{"duplicate fingerprint", httpsListener + certBlock("api", "api", "api", "") + certBlock("api2", "api", "api", ""), []wantDiag{errAt("Duplicate certificate", "main.hcl:9:17")}},
		{"hostname covered", httpsListener + certBlock("api", "api", "api", "") + front("api.example.com"), nil},
		{"hostname covered by wildcard", httpsListener + certBlock("w", "wildcard", "wildcard", "") + front("api.example.com"), nil},
		{"wildcard covers one label", httpsListener + certBlock("w", "wildcard", "wildcard", "") + front("a.b.example.com"),
			[]wantDiag{warnAt(`covers "a.b.example.com"`, "main.hcl:10:16")}},
		{"hostname not covered", httpsListener + certBlock("api", "api", "api", "") + front("www.example.com"),
			[]wantDiag{warnAt("No certificate for this hostname", "main.hcl:10:16")}},
		{"capital names", httpsListener + certBlock("api", "api", "api", `  names = ["API.example.com"]
`), []wantDiag{errAt("capital letters", "main.hcl:6:11")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"main.hcl": tt.hcl})
			copyCerts(t, dir)
			_, diags := Load(dir, Options{Environ: []string{}})
			checkDiags(t, diags, tt.want)
		})
	}
}

func TestCertificateNames(t *testing.T) {
	tests := []struct {
		cert  string
		extra string
		want  []string
	}{
		{"api", "", []string{"api.example.com"}},
		{"wildcard", "", []string{"*.example.com", "example.com"}},
		{"cn-only", "", []string{"cn.example.com"}},
		{"api", `  names = ["x.example.com", "api.example.com"]
`, []string{"x.example.com", "api.example.com"}},
	}
	for _, tt := range tests {
		t.Run(tt.cert, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"main.hcl": httpsListener + certBlock("c", tt.cert, tt.cert, tt.extra)})
			copyCerts(t, dir)
			cfg := mustLoad(t, dir, Options{})
			certs := cfg.Desired.Certificates["0.0.0.0:443"]
			if len(certs) != 1 {
				t.Fatalf("got %d certificates, want 1", len(certs))
			}
			for _, c := range certs {
				if !reflect.DeepEqual(c.GetNames(), tt.want) {
					t.Errorf("names = %q, want %q", c.GetNames(), tt.want)
				}
			}
			// The request sends them explicitly.
			for _, r := range cfg.Requests {
				if ac := r.GetAddCertificate(); ac != nil && !reflect.DeepEqual(ac.GetCertificate().GetNames(), tt.want) {
					t.Errorf("request names = %q, want %q", ac.GetCertificate().GetNames(), tt.want)
				}
			}
		})
	}
}

func TestKeySources(t *testing.T) {
	keyPEM := testCert(t, "api.key")
	sum := sha256.Sum256([]byte(keyPEM))
	hash := hex.EncodeToString(sum[:])
	fromVar := httpsListener + `variable "api_key" {
  type      = string
  sensitive = true
}
certificate "api" {
  listener    = listener.https.tls
  certificate = file("certs/api.pem")
  key         = var.api_key
}
`
	t.Run("file", func(t *testing.T) {
		dir := writeConfig(t, map[string]string{"main.hcl": httpsListener + certBlock("api", "api", "api", "")})
		copyCerts(t, dir)
		cfg := mustLoad(t, dir, Options{})
		obj := findObject(t, cfg, "certificate.api")
		src := cfg.Sensitive.Keys[obj.ID]
		abs, _ := filepath.Abs(filepath.Join(dir, "certs", "api.key"))
		if src.File != abs || src.Variable != "" || src.SHA256 != hash {
			t.Errorf("key source = %+v, want file %s and hash %s", src, abs, hash)
		}
		if !reflect.DeepEqual(obj.Sensitive, []string{"key"}) {
			t.Errorf("sensitive attributes = %q, want [key]", obj.Sensitive)
		}
	})
	t.Run("variable", func(t *testing.T) {
		dir := writeConfig(t, map[string]string{"main.hcl": fromVar})
		copyCerts(t, dir)
		cfg := mustLoad(t, dir, Options{Vars: map[string]string{"api_key": keyPEM}})
		obj := findObject(t, cfg, "certificate.api")
		src := cfg.Sensitive.Keys[obj.ID]
		if src.File != "" || src.Variable != "api_key" || src.SHA256 != hash {
			t.Errorf("key source = %+v, want variable api_key and hash %s", src, hash)
		}
		if !cfg.Sensitive.Variables["api_key"] {
			t.Errorf("api_key is not recorded as a sensitive variable")
		}
	})
}

func findObject(t *testing.T, cfg *Config, address string) *Object {
	t.Helper()
	var all []string
	for _, o := range cfg.Objects {
		if o.Address == address {
			return o
		}
		all = append(all, o.Address)
	}
	t.Fatalf("no object %s; have %s", address, strings.Join(all, ", "))
	return nil
}

func TestCertificateKeyNeverInDiagnostics(t *testing.T) {
	keyPEM := testCert(t, "other.key")
	dir := writeConfig(t, map[string]string{"main.hcl": httpsListener + certBlock("api", "api", "other", "")})
	copyCerts(t, dir)
	_, diags := Load(dir, Options{Environ: []string{}})
	if !diags.HasErrors() {
		t.Fatal("want a key mismatch error")
	}
	body := strings.Split(strings.TrimSpace(keyPEM), "\n")[1]
	if s := describe(diags); strings.Contains(s, body) {
		t.Errorf("diagnostics show the private key:%s", s)
	}
	_ = state.FormatAddress
}
