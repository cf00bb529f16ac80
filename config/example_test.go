package config_test

import (
	"fmt"
	"os"

	"github.com/hashicorp/hcl/v2"

	"github.com/sozuctl-plan/sozuctl-plan/config"
)

// Load a configuration directory, print its diagnostics with source
// snippets, and look at the desired state.
func ExampleLoad() {
	cfg, diags := config.Load("testdata/spec-example", config.Options{Environ: []string{}})
	if len(diags) > 0 {
		files := map[string]*hcl.File{}
		for name, src := range cfg.Files {
			files[name] = &hcl.File{Bytes: src}
		}
		_ = hcl.NewDiagnosticTextWriter(os.Stderr, files, 80, false).WriteDiagnostics(diags)
	}
	if diags.HasErrors() {
		return
	}
	fmt.Println(len(cfg.Desired.Clusters), "clusters,", len(cfg.Requests), "requests")
	for _, id := range []string{"api", "db"} {
		c := cfg.Desired.Clusters[id]
		fmt.Println(c.GetClusterId(), c.GetLoadBalancing(), len(cfg.Desired.Backends[id]), "backends")
	}
	// Output:
	// 2 clusters, 15 requests
	// api ROUND_ROBIN 2 backends
	// db ROUND_ROBIN 1 backends
}
