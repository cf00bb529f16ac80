package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// specSection is a verbatim copy of SPEC §3, the product contract's
// description of the configuration language, with its example.
var specSection = filepath.Join("testdata", "spec-section3.md")

// specExampleHCL returns the HCL example of a SPEC section: the text of its
// first ```hcl fenced block.
func specExampleHCL(md string) (string, bool) {
	start := strings.Index(md, "```hcl\n")
	if start < 0 {
		return "", false
	}
	rest := md[start+len("```hcl\n"):]
	end := strings.Index(rest, "\n```")
	if end < 0 {
		return "", false
	}
	return rest[:end+1], true
}

// certPathRe matches the path argument of file() on the attributes of a
// certificate that name files: the one thing the committed copy of the
// example may change.
var certPathRe = regexp.MustCompile(`((?:certificate|certificate_chain|key)\s*=\s*\[?\s*file\()"[^"]*"\)`)

// normaliseCertPaths replaces the certificate paths of an example by a
// placeholder.
func normaliseCertPaths(s string) string {
	return certPathRe.ReplaceAllString(s, `${1}"CERT")`)
}

// TestSpecExampleIsSpecText checks that testdata/spec-example/main.hcl is
// SPEC §3's example, unchanged apart from certificate paths, so that
// TestSpecExample and TestCatalogueValidCounterparts prove what the SPEC
// promises.
func TestSpecExampleIsSpecText(t *testing.T) {
	md, err := os.ReadFile(specSection)
	if err != nil {
		t.Fatal(err)
	}
	want, ok := specExampleHCL(string(md))
	if !ok {
		t.Fatalf("%s has no ```hcl block", specSection)
	}
	got, err := os.ReadFile(filepath.Join("testdata", "spec-example", "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	w, g := strings.Split(normaliseCertPaths(want), "\n"), strings.Split(normaliseCertPaths(string(got)), "\n")
	for i := 0; i < len(w) || i < len(g); i++ {
		var wl, gl string
		if i < len(w) {
			wl = w[i]
		}
		if i < len(g) {
			gl = g[i]
		}
		if wl != gl {
			t.Fatalf("testdata/spec-example/main.hcl differs from SPEC §3 at line %d:\n got: %q\nwant: %q", i+1, gl, wl)
		}
	}
}

// TestNormaliseCertPaths checks that the comparison above tolerates only
// certificate paths.
func TestNormaliseCertPaths(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{`  certificate = file("certs/api.pem")`, `  certificate = file("other/x.pem")`, true},
		{`  certificate_chain = [file("certs/intermediate.pem")]`, `  certificate_chain = [file("a.pem")]`, true},
		{`  key         = file("certs/api.key")   # sensitive`, `  key         = file("k")   # sensitive`, true},
		{`  key         = file("certs/api.key")`, `  key         = file("certs/api.key") `, false},
		{`  hostname = file("a")`, `  hostname = file("b")`, false},
		{`  names       = ["api.example.com"]`, `  names       = ["www.example.com"]`, false},
	} {
		if got := normaliseCertPaths(tc.a) == normaliseCertPaths(tc.b); got != tc.same {
			t.Errorf("%q vs %q: same = %v, want %v", tc.a, tc.b, got, tc.same)
		}
	}
	if _, ok := specExampleHCL("no example"); ok {
		t.Error("specExampleHCL found an example in a text without one")
	}
}
