package config

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSozuSocketResolved checks that the sozu block's socket is made
// absolute against the configuration directory, whatever the working
// directory, as file() paths are.
func TestSozuSocketResolved(t *testing.T) {
	tests := []struct {
		name   string
		socket string
		want   func(dir string) string
	}{
		{name: "relative", socket: "run/sozu.sock", want: func(dir string) string { return filepath.Join(dir, "run", "sozu.sock") }},
		{name: "parent", socket: "../sozu.sock", want: func(dir string) string { return filepath.Join(filepath.Dir(dir), "sozu.sock") }},
		{name: "absolute", socket: "/run/sozu/sozu.sock", want: func(string) string { return "/run/sozu/sozu.sock" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"main.hcl": "sozu {\n  socket = \"" + tt.socket + "\"\n}\n"})
			abs, err := filepath.Abs(dir)
			if err != nil {
				t.Fatal(err)
			}
			// Load through a relative directory name from elsewhere.
			t.Chdir(filepath.Dir(abs))
			cfg := mustLoad(t, filepath.Base(abs), Options{Environ: []string{}})
			if got, want := cfg.Sozu.Socket, tt.want(abs); got != want {
				t.Errorf("socket %q, want %q", got, want)
			}
			if _, err := os.Stat(filepath.Base(abs)); err != nil {
				t.Fatal(err)
			}
		})
	}
}
