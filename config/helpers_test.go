package config

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

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

// golden compares got with testdata/<name>, rewriting it under -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (run go test -update and review the diff):\n%s", name, firstDiff(string(want), string(got)))
	}
}

func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g {
			return "line " + itoa(i+1) + ":\n- " + w + "\n+ " + g
		}
	}
	return ""
}

func itoa(i int) string { return strings.TrimSpace(strings.Repeat(" ", 0) + jsonInt(i)) }

func jsonInt(i int) string { b, _ := json.Marshal(i); return string(b) }
