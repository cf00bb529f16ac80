package config

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// writeConfig writes files (name → content) into a new temporary directory
// and returns it.
func writeConfig(t testing.TB, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// testCert returns the PEM text of a committed test certificate or key.
func testCert(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "certs", name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// copyCerts copies the committed test certificates into dir/certs.
func copyCerts(t testing.TB, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join("testdata", "certs"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "certs"), 0o755); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join("testdata", "certs", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "certs", e.Name()), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// mustLoad loads dir and fails the test on any error diagnostic.
func mustLoad(t testing.TB, dir string, opts Options) *Config {
	t.Helper()
	if opts.Environ == nil {
		opts.Environ = []string{}
	}
	cfg, diags := Load(dir, opts)
	if diags.HasErrors() {
		t.Fatalf("Load: %s", renderDiags(cfg, diags))
	}
	return cfg
}

func renderDiags(cfg *Config, diags hcl.Diagnostics) string {
	var buf bytes.Buffer
	files := map[string]*hcl.File{}
	if cfg != nil {
		for name, src := range cfg.Files {
			files[name] = &hcl.File{Bytes: src}
		}
	}
	w := hcl.NewDiagnosticTextWriter(&buf, files, 100, false)
	_ = w.WriteDiagnostics(diags)
	return buf.String()
}

// requestsJSON renders requests as indented protobuf JSON with proto field
// names, private keys replaced by "(sensitive)".
func requestsJSON(t testing.TB, reqs []*sozupb.Request) []byte {
	t.Helper()
	var out []json.RawMessage
	for _, r := range reqs {
		r = proto.Clone(r).(*sozupb.Request)
		if c := r.GetAddCertificate(); c != nil && c.Certificate != nil {
			c.Certificate.Key = proto.String("(sensitive)")
		}
		if l := r.GetAddHttpsListener(); l != nil && l.Key != nil {
			l.Key = proto.String("(sensitive)")
		}
		b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, b)
	}
	b, err := json.Marshal(out)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		t.Fatal(err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}
