package config

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// loadBothWays loads dir with the direct expansion of dynamic blocks and
// with dynblock's, and fails when the requests, the declared objects or the
// diagnostics differ.
func loadBothWays(t *testing.T, dir string, opts Options) (direct int) {
	t.Helper()
	load := func(on bool) (string, string, string) {
		directDynamic = on
		defer func() { directDynamic = true }()
		cfg, diags := Load(dir, opts)
		reqs, objs := "", ""
		if cfg != nil {
			reqs, objs = string(requestsJSON(t, cfg.Requests)), string(objectsText(cfg))
		}
		return reqs, objs, renderCatalogue(dir, diags)
	}
	r1, o1, d1 := load(true)
	r2, o2, d2 := load(false)
	if r1 != r2 {
		t.Errorf("%s: requests differ:\ndirect:\n%s\ndynblock:\n%s", dir, r1, r2)
	}
	if o1 != o2 {
		t.Errorf("%s: objects differ:\ndirect:\n%s\ndynblock:\n%s", dir, o1, o2)
	}
	if d1 != d2 {
		t.Errorf("%s: diagnostics differ:\ndirect:\n%s\ndynblock:\n%s", dir, d1, d2)
	}
	return len(r1)
}

// TestDirectDynamicMatchesDynblock checks that expanding dynamic blocks
// directly gives what ext/dynblock gives, on valid configurations and on
// every case of the catalogue.
func TestDirectDynamicMatchesDynblock(t *testing.T) {
	bench := t.TempDir()
	writeDynamicConfig(t, bench, 40)
	dirs := []string{bench, filepath.Join("..", "examples", "dynamic"), filepath.Join("testdata", "spec-example")}
	for _, d := range []string{
		// Nested, labelled and unlabelled, with iterator names, over lists
		// and maps, with a static block among dynamic ones.
		`listener "http" "p" { address = "0.0.0.0:80" }
variable "apps" {
  default = {
    a = { backends = ["10.0.0.1:80", "10.0.0.2:80"], paths = ["/", "/x"] }
    b = { backends = ["10.0.1.1:80"], paths = [] }
  }
}
dynamic "cluster" {
  for_each = var.apps
  iterator = app
  labels   = [app.key]
  content {
    load_balancing = "random"
    dynamic "backend" {
      for_each = app.value.backends
      labels   = ["${app.key}-${backend.key}"]
      content { address = backend.value }
    }
    backend "static" { address = "10.9.9.9:80" }
    dynamic "http_frontend" {
      for_each = app.value.paths
      iterator = p
      content {
        listener    = listener.http.p
        hostname    = "${app.key}.example.com"
        path_prefix = p.value
        dynamic "header" {
          for_each = { x = "1" }
          content {
            position = "REQUEST"
            key      = header.key
            val      = "${header.value}-${app.key}"
          }
        }
      }
    }
  }
}
`,
		// Errors inside generated blocks.
		`listener "http" "p" { address = "0.0.0.0:80" }
dynamic "cluster" {
  for_each = { a = 1, b = 2 }
  labels   = [cluster.key]
  content {
    load_balancing = cluster.value == 1 ? "NOPE" : "RANDOM"
    dynamic "backend" {
      for_each = [cluster.value]
      labels   = ["b${backend.value}"]
      content { address = "10.0.0.${backend.value}:99999" }
    }
    unknown_attr = 1
  }
}
`,
		// Sensitive values: a marked collection, and a collection holding
		// a marked value.
		`variable "b" {
  sensitive = true
  default   = { x = "10.0.0.1:80" }
}
variable "k" {
  sensitive = true
  default   = "10.0.0.2:80"
}
cluster "c" {
  dynamic "backend" {
    for_each = var.b
    labels   = [backend.key]
    content { address = backend.value }
  }
}
cluster "d" {
  dynamic "backend" {
    for_each = { y = var.k }
    labels   = [backend.key]
    content { address = backend.value }
  }
}
`,
		// Labels that are not strings, for_each that is not iterable.
		`dynamic "cluster" {
  for_each = [["x"]]
  labels   = [cluster.value]
  content {}
}
dynamic "cluster" {
  for_each = 3
  labels   = ["c"]
  content {}
}
cluster "z" {
  dynamic "backend" {
    for_each = null
    labels   = ["b"]
    content { address = "10.0.0.1:80" }
  }
}
`,
	} {
		dirs = append(dirs, writeConfig(t, map[string]string{"main.hcl": d}))
	}
	entries, err := os.ReadDir(filepath.Join("testdata", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		dirs = append(dirs, filepath.Join("testdata", "invalid", e.Name()))
	}
	for _, dir := range dirs {
		opts := Options{Environ: []string{}}
		if filepath.Dir(dir) == filepath.Join("testdata", "invalid") {
			opts = catalogueOptions(t, dir)
		}
		loadBothWays(t, dir, opts)
	}
	// The comparison can fail: the first configuration makes objects.
	if n := loadBothWays(t, dirs[0], Options{Environ: []string{}}); n < 1000 {
		t.Errorf("the generated configuration gives %d bytes of requests", n)
	}
}

// TestDynamicOverListenersAndClusters checks what the order of the passes
// allows: a dynamic cluster block iterating over a local built from
// listeners, and dynamic top-level frontends and certificates iterating
// over clusters.
func TestDynamicOverListenersAndClusters(t *testing.T) {
	dir := writeConfig(t, map[string]string{"main.hcl": `
listener "tcp" "a" {
  address = "0.0.0.0:5432"
}
listener "tcp" "b" {
  address = "0.0.0.0:5433"
}
listener "http" "p" {
  address = "0.0.0.0:80"
}
locals {
  tcp_addrs = { for name, l in listener.tcp : name => l.address }
  ids       = [for c in cluster : c.cluster_id]
}
dynamic "cluster" {
  for_each = local.tcp_addrs
  labels   = ["db-${cluster.key}"]
  content {
    tcp_frontend {
      address = cluster.value
    }
  }
}
dynamic "http_frontend" {
  for_each = toset(local.ids)
  content {
    listener    = listener.http.p
    hostname    = "${http_frontend.value}.example.com"
    path_prefix = "/"
  }
}
`})
	cfg := mustLoad(t, dir, Options{})
	var addrs []string
	for _, o := range cfg.Objects {
		addrs = append(addrs, o.Address)
	}
	sort.Strings(addrs)
	want := []string{
		"cluster.db-a", `cluster.db-a.tcp_frontend["0.0.0.0:5432"]`,
		"cluster.db-b", `cluster.db-b.tcp_frontend["0.0.0.0:5433"]`,
		`http_frontend["0.0.0.0:80;db-a.example.com;P/"]`,
		`http_frontend["0.0.0.0:80;db-b.example.com;P/"]`,
		"listener.http.p", "listener.tcp.a", "listener.tcp.b",
	}
	if strings.Join(addrs, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(addrs, "\n"), strings.Join(want, "\n"))
	}
	loadBothWays(t, dir, Options{Environ: []string{}})
}
