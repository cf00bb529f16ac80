package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// varConfig declares variable "v" of the given type and copies it into a
// cluster's www_authenticate, so the test can read the final value.
func varConfig(typ, def string) string {
	s := "variable \"v\" {\n"
	if typ != "" {
		s += "  type = " + typ + "\n"
	}
	if def != "" {
		s += "  default = " + def + "\n"
	}
	return s + "}\ncluster \"c\" { www_authenticate = jsonencode(var.v) }\n"
}

func TestVariablePrecedence(t *testing.T) {
	tests := []struct {
		name    string
		env     []string
		files   []string // contents of var files, in order
		vars    map[string]string
		want    string
		typ     string
		def     string
		wantErr string
	}{
		{name: "default", def: `"d"`, want: `"d"`},
		{name: "environment over default", def: `"d"`, env: []string{"SOZU_VAR_v=e"}, want: `"e"`},
		{name: "file over environment", def: `"d"`, env: []string{"SOZU_VAR_v=e"}, files: []string{`v = "f"`}, want: `"f"`},
		{name: "later file wins", def: `"d"`, files: []string{`v = "f1"`, `v = "f2"`}, want: `"f2"`},
		{name: "--var over file", def: `"d"`, env: []string{"SOZU_VAR_v=e"}, files: []string{`v = "f"`}, vars: map[string]string{"v": "c"}, want: `"c"`},
		{name: "raw string for string type", typ: "string", vars: map[string]string{"v": `[1]`}, want: `"[1]"`},
		{name: "expression for list type", typ: "list(number)", vars: map[string]string{"v": `[1, 2]`}, want: `[1,2]`},
		{name: "expression for map from environment", typ: "map(string)", env: []string{`SOZU_VAR_v={a = "b"}`}, want: `{"a":"b"}`},
		{name: "number conversion", typ: "number", vars: map[string]string{"v": "42"}, want: `42`},
		{name: "optional attribute default", typ: `object({ a = optional(string, "x"), b = number })`, def: `{ b = 1 }`, want: `{"a":"x","b":1}`},
		{name: "bad number", typ: "number", vars: map[string]string{"v": "abc"}, wantErr: "Invalid value for variable"},
		{name: "undeclared --var", def: `"d"`, vars: map[string]string{"w": "x"}, wantErr: "Value for undeclared variable"},
		{name: "unreadable var file", def: `"d"`, files: []string{"\x00"}, wantErr: ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{"main.hcl": varConfig(tt.typ, tt.def)})
			var files []string
			for i, content := range tt.files {
				p := filepath.Join(t.TempDir(), "vars"+string(rune('0'+i))+".hcl")
				if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
					t.Fatal(err)
				}
				files = append(files, p)
			}
			env := tt.env
			if env == nil {
				env = []string{}
			}
			cfg, diags := Load(dir, Options{Vars: tt.vars, VarFiles: files, Environ: env})
			if tt.wantErr != "" || tt.want == "" {
				if !diags.HasErrors() {
					t.Fatalf("want an error %q", tt.wantErr)
				}
				if tt.wantErr != "" {
					found := false
					for _, d := range diags {
						found = found || d.Summary == tt.wantErr
					}
					if !found {
						t.Errorf("want %q; got:%s", tt.wantErr, describe(diags))
					}
				}
				return
			}
			if diags.HasErrors() {
				t.Fatalf("Load:%s", describe(diags))
			}
			got := cfg.Desired.Clusters["c"].GetWwwAuthenticate()
			if got != tt.want {
				t.Errorf("value = %s, want %s", got, tt.want)
			}
		})
	}
}

func TestJSONVarFile(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": varConfig("map(number)", "")})
	vf := filepath.Join(t.TempDir(), "prod.json")
	if err := os.WriteFile(vf, []byte(`{"v": {"a": 1}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := mustLoad(t, dir, Options{VarFiles: []string{vf}})
	if got := cfg.Desired.Clusters["c"].GetWwwAuthenticate(); got != `{"a":1}` {
		t.Errorf("value = %s", got)
	}
}

func TestVarFileDiagnostics(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": varConfig("number", "1")})
	vf := filepath.Join(t.TempDir(), "prod.hcl")
	if err := os.WriteFile(vf, []byte("v = \"abc\"\nw = 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, diags := Load(dir, Options{VarFiles: []string{vf}, Environ: []string{}})
	checkDiags(t, diags, []wantDiag{
		errAt("Invalid value for variable", "prod.hcl:1:5"),
		warnAt("Value for undeclared variable", "prod.hcl:2:1"),
	})
	if _, ok := cfg.Files[vf]; !ok {
		t.Errorf("the variables file is not in Files, so diagnostics have no snippet")
	}
}

func TestSensitiveVariable(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `variable "secret" {
  type      = string
  sensitive = true
  default   = "hunter2"
}
variable "plain" { default = "p" }
locals { hashed = "user:${var.secret}" }
cluster "c" {
  authorized_hashes = [local.hashed]
  www_authenticate  = var.plain
}
`})
	cfg := mustLoad(t, dir, Options{})
	obj := findObject(t, cfg, "cluster.c")
	if len(obj.Sensitive) != 1 || obj.Sensitive[0] != "authorized_hashes" {
		t.Errorf("sensitive attributes = %q, want [authorized_hashes]", obj.Sensitive)
	}
	if !cfg.Sensitive.Variables["secret"] || cfg.Sensitive.Variables["plain"] {
		t.Errorf("sensitive variables = %v, want only secret", cfg.Sensitive.Variables)
	}
	if got := cfg.Desired.Clusters["c"].GetAuthorizedHashes(); len(got) != 1 || got[0] != "user:hunter2" {
		t.Errorf("the state holds %q: sensitive values must still reach the state", got)
	}
}

func TestVariableValidationUsesFinalValue(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `variable "n" {
  type    = number
  default = 1
  validation {
    condition     = var.n > 5
    error_message = "n must be above 5."
  }
}
`})
	if _, diags := Load(dir, Options{Vars: map[string]string{"n": "10"}, Environ: []string{}}); diags.HasErrors() {
		t.Errorf("validation ran on the default, not on --var:%s", describe(diags))
	}
	_, diags := Load(dir, Options{Environ: []string{"SOZU_VAR_n=2"}})
	checkDiags(t, diags, []wantDiag{errAt("n must be above 5.", "main.hcl:5:21")})
}

func TestSensitiveValueNotInDiagnostics(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `variable "algo" {
  sensitive = true
  default   = "SECRET_ALGO"
}
variable "addr" {
  sensitive = true
  default   = "SECRET:ADDR"
}
cluster "c" {
  load_balancing = var.algo
  backend "b" { address = var.addr }
}
`})
	_, diags := Load(dir, Options{Environ: []string{}})
	checkDiags(t, diags, []wantDiag{
		errAt("The value is sensitive", "main.hcl:10:20"),
		errAt("The value is sensitive", "main.hcl:11:27"),
	})
	if s := describe(diags); strings.Contains(s, "SECRET") {
		t.Errorf("diagnostics show a sensitive value:%s", s)
	}
}
