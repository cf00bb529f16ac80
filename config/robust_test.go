package config

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/hashicorp/hcl/v2"
)

var assignment = regexp.MustCompile(`^(\s*[a-z_]+\s*=\s*)(.*)$`)

// TestNoPanicOnMutations loads variants of the SPEC example (each line
// removed; each attribute value replaced by null and by values of other
// types): Load must report problems, never panic, and always return a
// Config with a desired state.
func TestNoPanicOnMutations(t *testing.T) {
	src, err := os.ReadFile(filepath.Join("testdata", "spec-example", "main.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(src), "\n")
	var variants []string
	for i := range lines {
		mutated := append(append([]string(nil), lines[:i]...), lines[i+1:]...)
		variants = append(variants, strings.Join(mutated, "\n"))
		if m := assignment.FindStringSubmatch(lines[i]); m != nil && !strings.HasSuffix(m[2], "{") {
			for _, repl := range []string{"null", "[]", "{}", "-1", `"x"`, `[null]`} {
				mutated := append([]string(nil), lines...)
				mutated[i] = m[1] + repl
				variants = append(variants, strings.Join(mutated, "\n"))
			}
		}
	}
	dir := t.TempDir()
	copyCerts(t, dir)
	for _, name := range []string{"api.pem", "api.key", "intermediate.pem"} {
		b, _ := os.ReadFile(filepath.Join("testdata", "spec-example", "certs", name))
		_ = os.WriteFile(filepath.Join(dir, "certs", name), b, 0o600)
	}
	for i, v := range variants {
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), []byte(v), 0o600); err != nil {
			t.Fatal(err)
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("variant %d panics: %v\n%s", i, r, v)
				}
			}()
			cfg, diags := Load(dir, Options{Environ: []string{}})
			if cfg == nil || cfg.Desired == nil {
				t.Fatalf("variant %d: no config or no desired state", i)
			}
			for _, d := range diags {
				if d.Subject == nil {
					t.Errorf("variant %d: diagnostic without a position:%s", i, describe(hcl.Diagnostics{d}))
				}
			}
		}()
	}
	t.Logf("%d variants", len(variants))
}
