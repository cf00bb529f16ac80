// Command benchgen writes the inputs of SPEC §8's whole-process plan
// measurement and parses HCL alone for the floor it is compared with.
//
//	go run ./planner/testdata/benchgen -dir DIR [-clusters N]
//
// writes DIR/literal (N cluster blocks with 3 backends and 2 HTTP frontends
// each, written out literally, 1,000 clusters a file), DIR/dynamic (the same
// objects from services.json through jsondecode and nested dynamic blocks)
// and DIR/base.state (a Sōzu state file of the same size that differs from
// the configuration by 1% of its objects: see mutate).
//
//	go run ./planner/testdata/benchgen -parse FILE...
//
// parses the .hcl files among FILE with hclsyntax.ParseConfig, one after
// the other, keeping every tree until the end: the parse-only floor. Build
// it first (go build -o benchgen ./planner/testdata/benchgen) so that
// /usr/bin/time measures the program and not the go command.
//
// It lives under testdata so that ./... builds and tests leave it out.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/render"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func main() {
	dir := flag.String("dir", "", "write the benchmark inputs into `DIR`")
	clusters := flag.Int("clusters", 10000, "number of clusters")
	parse := flag.Bool("parse", false, "parse the HCL files given as arguments and stop")
	phases := flag.Bool("phases", false, "time each stage of a plan of the configuration in the first argument against the state file in the second")
	flag.Parse()
	var err error
	switch {
	case *phases && flag.NArg() == 2:
		err = timePhases(flag.Arg(0), flag.Arg(1))
	case *parse:
		err = parseOnly(flag.Args())
	case *dir != "":
		err = generate(*dir, *clusters)
	default:
		err = fmt.Errorf("give -dir DIR or -parse FILE...")
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchgen:", err)
		os.Exit(1)
	}
}

func parseOnly(files []string) error {
	var kept []*hcl.File
	n := 0
	for _, f := range files {
		if !strings.HasSuffix(f, ".hcl") {
			continue
		}
		src, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		file, diags := hclsyntax.ParseConfig(src, filepath.Base(f), hcl.InitialPos)
		if diags.HasErrors() {
			return diags
		}
		kept = append(kept, file)
		n += len(src)
	}
	fmt.Printf("parsed %d files, %d bytes\n", len(kept), n)
	runtime.KeepAlive(kept)
	return nil
}

// timePhases runs the stages of the plan command one after the other and
// prints the wall time of each: where the time of a whole plan goes.
func timePhases(dir, base string) error {
	start := time.Now()
	lap := func(what string) {
		fmt.Printf("%-28s %8.0f ms\n", what, float64(time.Since(start).Microseconds())/1000)
		start = time.Now()
	}
	cfg, diags := config.Load(dir, config.Options{Environ: []string{}})
	if diags.HasErrors() {
		return diags
	}
	lap("config.Load")
	st, err := statefile.Read(base)
	if err != nil {
		return err
	}
	lap("statefile.Read")
	if prof := os.Getenv("BENCHGEN_CPUPROFILE"); prof != "" {
		f, err := os.Create(prof)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	p, err := planner.Compute(st, cfg.Desired, planner.Options{Base: planner.Base{Source: planner.SourceState}})
	if err != nil {
		return err
	}
	lap("planner.Compute")
	doc, err := render.NewPlanDocument(p, render.PlanOptions{})
	if err != nil {
		return err
	}
	lap("render.NewPlanDocument")
	if err := render.WritePlanHuman(io.Discard, doc, render.HumanOptions{}); err != nil {
		return err
	}
	lap("render.WritePlanHuman")
	return nil
}

func clusterID(i int) string { return fmt.Sprintf("cluster-%05d", i) }

func backendAddr(i, b int) string {
	n := i*3 + b
	return fmt.Sprintf("10.%d.%d.%d:8080", n>>16&0xff, n>>8&0xff, n&0xff)
}

func hostname(i int) string { return fmt.Sprintf("app-%05d.example.com", i) }

var paths = [2]string{"/", "/api"}

const listenerHCL = `listener "http" "public" {
  address = "0.0.0.0:80"
}
`

const dynamicHCL = listenerHCL + `
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

type service struct {
	Hostname string            `json:"hostname"`
	Paths    []string          `json:"paths"`
	Backends map[string]string `json:"backends"`
}

func generate(dir string, n int) error {
	lit, dyn := filepath.Join(dir, "literal"), filepath.Join(dir, "dynamic")
	for _, d := range []string{lit, dyn} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := os.WriteFile(filepath.Join(lit, "listeners.hcl"), []byte(listenerHCL), 0o644); err != nil {
		return err
	}
	var b strings.Builder
	services := make(map[string]service, n)
	for i := 0; i < n; i++ {
		id := clusterID(i)
		s := service{Hostname: hostname(i), Paths: paths[:], Backends: map[string]string{}}
		if b.Len() > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "cluster %q {\n", id)
		for k := 0; k < 3; k++ {
			fmt.Fprintf(&b, "\n  backend \"%s-%d\" {\n    address = %q\n  }\n", id, k, backendAddr(i, k))
			s.Backends[fmt.Sprintf("%s-%d", id, k)] = backendAddr(i, k)
		}
		for _, p := range paths {
			fmt.Fprintf(&b, "\n  http_frontend {\n    listener    = listener.http.public\n    hostname    = %q\n    path_prefix = %q\n  }\n", hostname(i), p)
		}
		b.WriteString("}\n")
		services[id] = s
		if (i+1)%1000 == 0 || i == n-1 {
			if err := os.WriteFile(filepath.Join(lit, fmt.Sprintf("clusters-%02d.hcl", i/1000)), []byte(b.String()), 0o644); err != nil {
				return err
			}
			b.Reset()
		}
	}
	data, err := json.Marshal(services)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dyn, "main.hcl"), []byte(dynamicHCL), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(dyn, "services.json"), data, 0o644); err != nil {
		return err
	}
	cfg, diags := config.Load(lit, config.Options{Environ: []string{}})
	if diags.HasErrors() {
		return diags
	}
	base := cfg.Desired.Clone()
	changes := mutate(base, n)
	if err := statefile.Write(filepath.Join(dir, "base.state"), base); err != nil {
		return err
	}
	fmt.Printf("%d objects; the base differs by %d changes\n", cfg.Desired.Len(), changes)
	return nil
}

// mutate makes base differ from the configuration by 1% of its objects
// (600 changes for 10,000 clusters), each kind of change on its own
// hundredth of the clusters: a backend reweighted (update), a backend
// missing (create), an extra backend (delete), a frontend missing (create),
// and an extra cluster with one backend (2 deletes).
func mutate(base *state.State, n int) int {
	changes := 0
	for i := 0; i < n; i += 100 {
		id := clusterID(i)
		bs := base.Backends[id]
		bs[0].LoadBalancingParameters = &sozupb.LoadBalancingParams{Weight: proto.Int32(50)}
		base.Backends[id] = append(bs[:1:1], bs[2:]...)
		base.Backends[id] = append(base.Backends[id], &sozupb.AddBackend{
			ClusterId: proto.String(id), BackendId: proto.String(id + "-old"),
			Address: mustAddr(fmt.Sprintf("10.200.%d.%d:8080", i>>8&0xff, i&0xff)),
		})
		for k, f := range base.HTTPFrontends {
			if f.GetClusterId() == id && f.GetPath().GetValue() == "/api" {
				delete(base.HTTPFrontends, k)
			}
		}
		gone := fmt.Sprintf("gone-%05d", i)
		base.Clusters[gone] = &sozupb.Cluster{ClusterId: proto.String(gone)}
		base.Backends[gone] = []*sozupb.AddBackend{{
			ClusterId: proto.String(gone), BackendId: proto.String(gone + "-0"),
			Address: mustAddr(fmt.Sprintf("10.201.%d.%d:8080", i>>8&0xff, i&0xff)),
		}}
		changes += 6
	}
	return changes
}

func mustAddr(s string) *sozupb.SocketAddress {
	a, err := state.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}
