// Package benchdata writes the configuration that SPEC §8's performance
// figures are measured on: n clusters, each with 3 backends and 2 HTTP
// frontends on a single HTTP listener (6 objects a cluster, 60,000 for the
// 10,000 clusters of the SPEC), in two forms that describe the same state:
//
//   - literal: one cluster block each, about 480 bytes a cluster, split
//     over files of 1,000 clusters beside listeners.hcl;
//   - dynamic: main.hcl expanding a services.json data file (about 2 MB
//     for 10,000 clusters) through jsondecode and nested dynamic blocks.
//
// The config package's load benchmarks (ParseOnly, LoadLiteral,
// LoadDynamic) and its -benchdata writer, and the whole-process measurement
// command under planner/testdata/benchgen, all take their inputs from here,
// so docs/performance.md's figures speak of one data set.
package benchdata

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/sozuctl-plan/sozuctl-plan/internal/atomicfile"
)

// Clusters is the number of clusters of SPEC §8's configuration.
const Clusters = 10000

// clustersPerFile is how many cluster blocks one file of the literal form
// holds.
const clustersPerFile = 1000

// backendsPerCluster is how many backends each cluster has.
const backendsPerCluster = 3

// ClusterID is the id of cluster i.
func ClusterID(i int) string { return fmt.Sprintf("cluster-%05d", i) }

// BackendID is the id of backend b of cluster i.
func BackendID(i, b int) string { return fmt.Sprintf("%s-%d", ClusterID(i), b) }

// BackendAddr is the address of backend b of cluster i: distinct for every
// backend of up to 2^24 of them, all in 10.0.0.0/8.
func BackendAddr(i, b int) string {
	n := i*backendsPerCluster + b
	return fmt.Sprintf("10.%d.%d.%d:8080", n>>16&0xff, n>>8&0xff, n&0xff)
}

// Hostname is the hostname that both frontends of cluster i route.
func Hostname(i int) string { return fmt.Sprintf("app-%05d.example.com", i) }

// Paths returns the path prefixes of the two frontends of every cluster.
func Paths() []string { return []string{"/", "/api"} }

// ListenerHCL declares the HTTP listener every frontend uses; the literal
// form writes it as listeners.hcl and the dynamic form starts with it.
const ListenerHCL = `listener "http" "public" {
  address = "0.0.0.0:80"
}
`

// DynamicHCL is main.hcl of the dynamic form: the clusters come from
// services.json in the same directory.
const DynamicHCL = ListenerHCL + `
locals {
  services = jsondecode(file("services.json"))
}

dynamic "cluster" {
  for_each = local.services
  labels   = [cluster.key]
  content {
    dynamic "backend" {
      for_each = cluster.value.backends
      labels   = [backend.key]
      content {
        address = backend.value
      }
    }

    dynamic "http_frontend" {
      for_each = cluster.value.paths
      content {
        listener    = listener.http.public
        hostname    = cluster.value.hostname
        path_prefix = http_frontend.value
      }
    }
  }
}
`

// Service is one cluster of services.json, keyed there by its cluster id.
type Service struct {
	Hostname string            `json:"hostname"`
	Paths    []string          `json:"paths"`
	Backends map[string]string `json:"backends"` // backend id → address
}

// WriteLiteral writes the literal form of n clusters into dir (created if
// missing): listeners.hcl, then clusters-00.hcl, clusters-01.hcl, ... of
// 1,000 clusters each, in the canonical layout of the fmt command. It
// returns the paths of the files in that order.
func WriteLiteral(dir string, n int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("benchdata: %w", err)
	}
	var files []string
	write := func(name, data string) error {
		p := filepath.Join(dir, name)
		if err := writeFile(p, data); err != nil {
			return err
		}
		files = append(files, p)
		return nil
	}
	if err := write("listeners.hcl", ListenerHCL); err != nil {
		return nil, err
	}
	var b strings.Builder
	for i := 0; i < n; i++ {
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		writeCluster(&b, i)
		if (i+1)%clustersPerFile == 0 || i == n-1 {
			if err := write(fmt.Sprintf("clusters-%02d.hcl", i/clustersPerFile), b.String()); err != nil {
				return nil, err
			}
			b.Reset()
		}
	}
	return files, nil
}

// writeCluster appends the block of cluster i to b.
func writeCluster(b *strings.Builder, i int) {
	fmt.Fprintf(b, "cluster %q {\n", ClusterID(i))
	for k := 0; k < backendsPerCluster; k++ {
		fmt.Fprintf(b, "\n  backend %q {\n    address = %q\n  }\n", BackendID(i, k), BackendAddr(i, k))
	}
	for _, p := range Paths() {
		fmt.Fprintf(b, "\n  http_frontend {\n    listener    = listener.http.public\n    hostname    = %q\n    path_prefix = %q\n  }\n", Hostname(i), p)
	}
	b.WriteString("}\n")
}

// Services returns the content of services.json for n clusters, keyed by
// cluster id.
func Services(n int) map[string]Service {
	services := make(map[string]Service, max(n, 0))
	for i := 0; i < n; i++ {
		s := Service{Hostname: Hostname(i), Paths: Paths(), Backends: make(map[string]string, backendsPerCluster)}
		for k := 0; k < backendsPerCluster; k++ {
			s.Backends[BackendID(i, k)] = BackendAddr(i, k)
		}
		services[ClusterID(i)] = s
	}
	return services
}

// WriteDynamic writes the dynamic form of n clusters into dir (created if
// missing) and returns the paths of main.hcl and services.json, in that
// order.
func WriteDynamic(dir string, n int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("benchdata: %w", err)
	}
	data, err := json.Marshal(Services(n))
	if err != nil {
		return nil, fmt.Errorf("benchdata: encoding services.json: %w", err)
	}
	hclPath := filepath.Join(dir, "main.hcl")
	jsonPath := filepath.Join(dir, "services.json")
	if err := writeFile(hclPath, DynamicHCL); err != nil {
		return nil, err
	}
	if err := writeFile(jsonPath, string(data)); err != nil {
		return nil, err
	}
	return []string{hclPath, jsonPath}, nil
}

// writeFile replaces path with data; the files hold no secret.
func writeFile(path, data string) error {
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, data)
		return err
	})
	if err != nil {
		return fmt.Errorf("benchdata: %w", err)
	}
	return nil
}
