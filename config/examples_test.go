package config

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// TestExamples loads every configuration under examples/ and checks that it
// is valid without warnings, in canonical form, and declares exactly the
// objects its README describes.
func TestExamples(t *testing.T) {
	root := filepath.Join("..", "examples")
	tests := []struct {
		name     string
		dir      string
		varFiles []string
		vars     map[string]string
		want     []string // plan addresses of every declared object
		counts   map[state.Kind]int
	}{
		{
			name: "basic",
			dir:  "basic",
			want: []string{
				"listener.http.public", "listener.https.public_tls", "listener.tcp.postgres",
				"cluster.api", "cluster.api.backend.api-1", "cluster.api.backend.api-2",
				`cluster.api.http_frontend["0.0.0.0:80;api.example.com;P/"]`,
				`cluster.api.https_frontend["0.0.0.0:443;api.example.com;P/"]`,
				"cluster.db", "cluster.db.backend.db-1", `cluster.db.tcp_frontend["0.0.0.0:5432"]`,
				"certificate.api",
			},
			counts: map[state.Kind]int{
				state.KindHTTPListener: 1, state.KindHTTPSListener: 1, state.KindTCPListener: 1,
				state.KindCluster: 2, state.KindBackend: 3, state.KindHTTPFrontend: 1,
				state.KindHTTPSFrontend: 1, state.KindTCPFrontend: 1, state.KindCertificate: 1,
			},
		},
		{
			name:     "multi-env staging",
			dir:      "multi-env",
			varFiles: []string{"vars/staging.hcl"},
			want: []string{
				"listener.http.public", "cluster.web", "cluster.web.backend.web-1",
				`cluster.web.http_frontend["0.0.0.0:80;www.staging.example.com;P/"]`,
			},
		},
		{
			name:     "multi-env production",
			dir:      "multi-env",
			varFiles: []string{"vars/production.hcl"},
			want: []string{
				"listener.http.public", "cluster.web",
				"cluster.web.backend.web-1", "cluster.web.backend.web-2", "cluster.web.backend.web-3",
				`cluster.web.http_frontend["0.0.0.0:80;www.example.com;P/"]`,
			},
		},
		{
			name:     "multi-env production, --var wins over the var file",
			dir:      "multi-env",
			varFiles: []string{"vars/production.hcl"},
			vars:     map[string]string{"domain": "example.org"},
			want: []string{
				"listener.http.public", "cluster.web",
				"cluster.web.backend.web-1", "cluster.web.backend.web-2", "cluster.web.backend.web-3",
				`cluster.web.http_frontend["0.0.0.0:80;www.example.org;P/"]`,
			},
		},
		{
			name: "dynamic",
			dir:  "dynamic",
			want: []string{
				"listener.http.public",
				"cluster.blog", "cluster.blog.backend.blog-1",
				`cluster.blog.http_frontend["0.0.0.0:80;blog.example.com;P/"]`,
				"cluster.shop", "cluster.shop.backend.shop-1", "cluster.shop.backend.shop-2",
				`cluster.shop.http_frontend["0.0.0.0:80;shop.example.com;P/"]`,
				`cluster.shop.http_frontend["0.0.0.0:80;shop.example.com;P/api"]`,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(root, tt.dir)
			opts := Options{Environ: []string{}, Vars: tt.vars}
			for _, f := range tt.varFiles {
				opts.VarFiles = append(opts.VarFiles, filepath.Join(dir, f))
			}
			cfg, diags := Load(dir, opts)
			if len(diags) > 0 {
				t.Fatalf("diagnostics: %s", diags.Error())
			}
			var got []string
			for _, o := range cfg.Objects {
				got = append(got, o.Address)
			}
			sort.Strings(got)
			want := slices.Clone(tt.want)
			sort.Strings(want)
			if !slices.Equal(got, want) {
				t.Errorf("objects:\n got %q\nwant %q", got, want)
			}
			if n := cfg.Desired.Len(); n != len(tt.want) {
				t.Errorf("desired state has %d objects, want %d", n, len(tt.want))
			}
			if tt.counts != nil {
				gotCounts := map[state.Kind]int{}
				for _, o := range cfg.Desired.Objects() {
					gotCounts[o.Kind]++
				}
				for k, n := range tt.counts {
					if gotCounts[k] != n {
						t.Errorf("%d %s objects, want %d", gotCounts[k], k, n)
					}
				}
			}
		})
	}
}

// TestExamplesCanonical checks that every .hcl file under examples/ is in
// the form fmt writes (fmt --check passes).
func TestExamplesCanonical(t *testing.T) {
	var files []string
	err := filepath.WalkDir(filepath.Join("..", "examples"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Ext(p) == ".hcl" {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 5 {
		t.Fatalf("found only %d example files", len(files))
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		out, diags := Format(src, f)
		if diags.HasErrors() {
			t.Errorf("%s: %s", f, diags.Error())
			continue
		}
		if !bytes.Equal(out, src) {
			t.Errorf("%s is not in canonical form; run sozuctl-plan fmt on it", f)
		}
	}
}
