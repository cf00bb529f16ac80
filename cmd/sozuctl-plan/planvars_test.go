package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sozuctl-plan/sozuctl-plan/planfile"
)

func TestPlanFileVariables(t *testing.T) {
	dir := t.TempDir()
	write := func(name, text string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	first := write("first.hcl", "k1 = \"from-file-1\"\nk2 = \"from-file-1\"\nother = 3\n")
	second := write("second.hcl", "k2 = <<EOT\nfrom-file-2\nEOT\n")
	notString := write("number.hcl", "k1 = 42\n")
	broken := write("broken.hcl", "k1 = \n")
	refs := []planfile.KeyRef{{Variable: "k1"}, {Variable: "k2"}, {Variable: "k3"}, {File: "/x.key"}}
	env := map[string]string{"SOZU_VAR_k1": "from-env", "SOZU_VAR_k3": "from-env", "SOZU_VAR_unused": "x"}

	tests := []struct {
		name     string
		varFiles []string
		vars     []string
		want     map[string]string
		wantErr  string
	}{
		{name: "environment only", want: map[string]string{"k1": "from-env", "k3": "from-env"}},
		{name: "files override the environment, in order", varFiles: []string{first, second},
			want: map[string]string{"k1": "from-file-1", "k2": "from-file-2\n", "k3": "from-env"}},
		{name: "--var wins, and names no key are ignored", varFiles: []string{first}, vars: []string{"k1=from-flag", "unrelated=1"},
			want: map[string]string{"k1": "from-flag", "k2": "from-file-1", "k3": "from-env"}},
		{name: "a key variable that is not a string", varFiles: []string{notString}, wantErr: "number.hcl:1:1: variable k1 must be a string"},
		{name: "a file that does not parse", varFiles: []string{broken}, wantErr: "reading the variables file " + broken + ": " + broken + ":1:"},
		{name: "a missing file", varFiles: []string{filepath.Join(dir, "missing.hcl")}, wantErr: "reading the variables file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &globalOptions{VarFiles: tt.varFiles, Vars: tt.vars, Getenv: func(k string) string { return env[k] }}
			got, err := planFileVariables(g, refs)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("variables (-want +got):\n%s", diff)
			}
		})
	}
}
