package config

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzLoad loads arbitrary bytes as a configuration's main.hcl: Load must
// return diagnostics, never panic. The seed corpus is under
// testdata/fuzz/FuzzLoad, plus the SPEC example.
func FuzzLoad(f *testing.F) {
	if b, err := os.ReadFile(filepath.Join("testdata", "spec-example", "main.hcl")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "main.hcl"), src, 0o600); err != nil {
			t.Fatal(err)
		}
		cfg, diags := Load(dir, Options{Environ: []string{}, Vars: map[string]string{}})
		if cfg == nil {
			t.Fatalf("Load returned no Config for a readable directory: %s", describe(diags))
		}
		if !diags.HasErrors() && cfg.Desired == nil {
			t.Fatal("no error and no desired state")
		}
	})
}
