package config

import (
	"path/filepath"
	"testing"
)

func TestFunctions(t *testing.T) {
	tests := []struct {
		expr string
		want string
	}{
		{`upper("a")`, "A"},
		{`join(",", sort(["b", "a"]))`, "a,b"},
		{`jsonencode(jsondecode("{\"a\":[1,2]}"))`, `{"a":[1,2]}`},
		{`format("%s-%03d", "x", 7)`, "x-007"},
		{`regex("^(\\w+)\\.", "api.example.com")[0]`, "api"},
		{`base64decode(base64encode("é"))`, "é"},
		{`sha256("")`, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{`tostring(length(range(3)))`, "3"},
		{`trimspace(file("data/page.html"))`, "<h1>down</h1>"},
		{`tostring(fileexists("data/page.html"))`, "true"},
		{`tostring(fileexists("data/none"))`, "false"},
		{`templatefile("data/tpl", { name = "sozu" })`, "hello sozu\n"},
		{`try(file("data/none"), "fallback")`, "fallback"},
		{`tostring(can(regex("(", "")))`, "false"},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			dir := writeConfig(t, map[string]string{
				"main.hcl":       "cluster \"c\" { www_authenticate = " + tt.expr + " }\n",
				"data/page.html": "<h1>down</h1>\n",
				"data/tpl":       "hello ${name}\n",
			})
			cfg := mustLoad(t, dir, Options{})
			if got := cfg.Desired.Clusters["c"].GetWwwAuthenticate(); got != tt.want {
				t.Errorf("%s = %q, want %q", tt.expr, got, tt.want)
			}
		})
	}
	t.Run("abspath", func(t *testing.T) {
		dir := writeConfig(t, map[string]string{"main.hcl": `cluster "c" { www_authenticate = abspath("x/y") }`})
		cfg := mustLoad(t, dir, Options{})
		if got, want := cfg.Desired.Clusters["c"].GetWwwAuthenticate(), filepath.Join(dir, "x", "y"); got != want {
			t.Errorf("abspath = %q, want %q", got, want)
		}
	})
	t.Run("file of a directory", func(t *testing.T) {
		dir := writeConfig(t, map[string]string{"main.hcl": `cluster "c" { www_authenticate = file(".") }`})
		_, diags := Load(dir, Options{Environ: []string{}})
		checkDiags(t, diags, []wantDiag{errAt("not a regular file", "main.hcl:1:34")})
	})
}
