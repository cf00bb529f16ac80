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
// The two configurations are internal/benchdata's, the ones the config
// package's load benchmarks measure.
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
	"github.com/sozuctl-plan/sozuctl-plan/internal/benchdata"
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

func generate(dir string, n int) error {
	lit, dyn := filepath.Join(dir, "literal"), filepath.Join(dir, "dynamic")
	if _, err := benchdata.WriteLiteral(lit, n); err != nil {
		return err
	}
	if _, err := benchdata.WriteDynamic(dyn, n); err != nil {
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
		id := benchdata.ClusterID(i)
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
