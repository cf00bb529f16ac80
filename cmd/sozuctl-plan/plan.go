package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/applier"
	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/live"
	"github.com/sozuctl-plan/sozuctl-plan/planfile"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/render"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

func init() {
	registerCommand(newPlanCommand)
	showPlanFile = showPlan
}

// The ways --live-read reads the live proxy.
const (
	liveReadSaveState = "save-state"
	liveReadQueries   = "queries"
)

// planOptions are the flags and arguments of plan.
type planOptions struct {
	global           *globalOptions
	dir              string
	out              string
	detailedExitcode bool
	destroy          bool
	replace          []string
	liveRead         string
}

const planLong = `Compute the plan that makes a Sōzu proxy match the configuration in DIR
(default: the current directory) and print it: one change per object that
differs (created, updated in place, replaced or destroyed) and the ordered
Sōzu requests that carry the changes out. Nothing is sent to Sōzu except
the reads of its state.

The base of the plan is --state FILE if given (an empty file such as
/dev/null is an empty base); else the live proxy at --socket, $SOZU_SOCKET
or the socket of the configuration's sozu block; else nothing, and the plan
creates everything. The live proxy is read by asking it to save its state
into --checkpoint-dir (default: the socket's directory), which both Sōzu and
this tool must reach; --live-read queries reads it through list and query
requests instead, with the gaps that has (stated as warnings).

--out FILE saves the plan (mode 0600) for "apply FILE"; it holds no private
key, only where each key comes from and its SHA-256. --format json prints
the plan as one JSON document (docs/plan-json.md), --format markdown as a
pull-request comment of at most 60,000 characters.

With --detailed-exitcode the exit status is 0 when nothing changes, 2 when
the plan has changes and 1 on error.`

func newPlanCommand(g *globalOptions) *cobra.Command {
	opts := &planOptions{global: g}
	cmd := &cobra.Command{
		Use:   "plan [DIR]",
		Short: "Show the changes that would make Sōzu match the configuration",
		Long:  planLong,
		Example: `  sozuctl-plan plan examples/basic
  sozuctl-plan plan --socket /run/sozu/sozu.sock --out api.plan .
  sozuctl-plan plan --state /var/lib/sozu/state.json --format markdown .
  sozuctl-plan plan -detailed-exitcode .`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON, formatMarkdown); err != nil {
				return err
			}
			switch opts.liveRead {
			case liveReadSaveState, liveReadQueries:
			default:
				return usageErrorf(cmd, "invalid --live-read %q (use save-state or queries)", opts.liveRead)
			}
			opts.dir = "."
			if len(args) == 1 {
				opts.dir = args[0]
			}
			return opts.run(cmd.Context())
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.out, "out", "", "save the plan to `PLANFILE` for apply")
	f.BoolVar(&opts.detailedExitcode, "detailed-exitcode", false, "exit 2 when the plan has changes, 0 when it has none")
	f.BoolVar(&opts.destroy, "destroy", false, "plan the removal of everything in scope")
	f.StringArrayVar(&opts.replace, "replace", nil, "re-create the object at `ADDRESS` even if unchanged (repeatable)")
	f.StringVar(&opts.liveRead, "live-read", liveReadSaveState, "how to read the live proxy: save-state or queries")
	return cmd
}

// planBase is the base of a plan and what it was read from.
type planBase struct {
	state  *state.State
	desc   planner.Base
	notes  []string // what the read could not see
	loaded bool     // a base was read (the configuration may lean on it)
}

// run computes the plan and prints it.
func (o *planOptions) run(ctx context.Context) error {
	g := o.global
	cfg, base, err := o.load(ctx)
	if err != nil {
		return err
	}
	p, err := planner.Compute(base.state, cfg.Desired, o.plannerOptions(cfg, base.desc))
	if err != nil {
		return fmt.Errorf("computing the plan: %w", err)
	}
	p.Warnings = append(p.Warnings, base.notes...)
	sensitive := sensitiveByAddress(cfg)
	doc, err := render.NewPlanDocument(p, render.PlanOptions{Sensitive: sensitive})
	if err != nil {
		return fmt.Errorf("rendering the plan: %w", err)
	}
	if err := writePlanDocument(g, doc); err != nil {
		return err
	}
	if o.out != "" {
		if err := o.save(p, cfg, sensitive); err != nil {
			return err
		}
		if base.desc.Source == planner.SourceLive && o.liveRead == liveReadQueries {
			fmt.Fprintln(g.Stderr, "Warning: this plan was made from a read through queries; apply reads the proxy with save_state and refuses the plan as stale if the queries missed anything.")
		}
	}
	if o.detailedExitcode && doc.HasChanges() {
		return exitWith(exitChanges)
	}
	return nil
}

// load reads the base and the configuration, printing the configuration's
// diagnostics. The socket of the sozu block is only known once the
// configuration is read; the configuration is read again with that base
// when it had errors, since a listener of the base may be what it lacked.
func (o *planOptions) load(ctx context.Context) (*config.Config, *planBase, error) {
	g := o.global
	base := &planBase{desc: planner.Base{Source: planner.SourceEmpty}}
	switch {
	case g.State != "":
		st, err := statefile.Read(g.State)
		if err != nil {
			return nil, nil, fmt.Errorf("reading the base state file: %w", err)
		}
		base.state, base.loaded = st, true
		base.desc = planner.Base{Source: planner.SourceState, Path: g.State}
	case g.Socket != "":
		if err := o.readLive(ctx, g.Socket, base); err != nil {
			return nil, nil, err
		}
	}
	copts, err := o.configOptions(base)
	if err != nil {
		return nil, nil, err
	}
	cfg, diags := config.Load(o.dir, copts)
	if g.State == "" && g.Socket == "" && cfg != nil && cfg.Sozu.Socket != "" {
		if err := o.readLive(ctx, cfg.Sozu.Socket, base); err != nil {
			return nil, nil, err
		}
		if diags.HasErrors() {
			copts.Base = base.state
			cfg, diags = config.Load(o.dir, copts)
		}
	}
	if err := o.report(cfg, diags); err != nil {
		return nil, nil, err
	}
	return cfg, base, nil
}

// configOptions are the loader's options: the variables of the common
// flags and the base.
func (o *planOptions) configOptions(base *planBase) (config.Options, error) {
	// loadOptions reads a base of its own when --state or a --socket flag
	// is given; the base is read already, so it gets neither.
	vars := *o.global
	vars.State, vars.SocketFromFlag = "", false
	opts, err := loadOptions(context.Background(), &vars)
	if err != nil {
		return opts, err
	}
	if base.loaded {
		opts.Base = base.state
	}
	return opts, nil
}

// report prints the diagnostics as validate does and fails on errors.
func (o *planOptions) report(cfg *config.Config, diags hcl.Diagnostics) error {
	g := o.global
	if len(diags) == 0 {
		return nil
	}
	var sources map[string][]byte
	if cfg != nil {
		sources = cfg.Files
	}
	if len(sources) == 0 {
		sources = readDiagnosticSources(diags)
	}
	writeDiagnostics(g.Stderr, diags, sources, g.Color)
	if diags.HasErrors() || cfg == nil {
		return exitWith(exitFailure)
	}
	return nil
}

// readLive reads the live proxy at socket into base.
func (o *planOptions) readLive(ctx context.Context, socket string, base *planBase) error {
	g := o.global
	c, err := sozu.Dial(ctx, socket, sozu.WithTimeout(g.Timeout))
	if err != nil {
		return fmt.Errorf("reading the live configuration: %w", err)
	}
	defer c.Close()
	var st *state.State
	var notes []string
	if o.liveRead == liveReadQueries {
		st, notes, err = live.ReadQueries(ctx, c)
	} else {
		var dir string
		dir, err = checkpointDir(g, socket)
		if err == nil {
			st, err = live.ReadSaveState(ctx, c, dir)
		}
	}
	if err != nil {
		return fmt.Errorf("reading the live configuration from %s: %w", socket, err)
	}
	// The plan (and a plan file) records the socket absolute, so that
	// apply PLANFILE reaches the same proxy from any directory.
	if abs, err := filepath.Abs(socket); err == nil {
		socket = abs
	}
	// An apply cut short (a crash, kill -9) left its journal open: the live
	// state may be half-way between two configurations, so say so here too.
	if dir, err := checkpointDir(g, socket); err == nil {
		if run, err := applier.LastRun(dir); err == nil && run != nil && !run.Finished() {
			notes = append(notes, applier.DescribeUnfinished(run))
		}
	}
	base.state, base.notes, base.loaded = st, notes, true
	base.desc = planner.Base{Source: planner.SourceLive, Socket: socket}
	return nil
}

// checkpointDir is --checkpoint-dir, or the socket's directory, made
// absolute (Sōzu resolves relative paths from its own directory).
func checkpointDir(g *globalOptions, socket string) (string, error) {
	dir := g.CheckpointDir
	if dir == "" {
		dir = filepath.Dir(socket)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("the checkpoint directory %s: %w", dir, err)
	}
	return abs, nil
}

// plannerOptions gathers the planner's options from the configuration and
// the flags.
func (o *planOptions) plannerOptions(cfg *config.Config, base planner.Base) planner.Options {
	s := cfg.Sozu
	return planner.Options{
		Base:                 base,
		Manage:               s.Manage,
		IgnoreClusters:       s.IgnoreClusters,
		Targets:              o.global.Targets,
		Replace:              o.replace,
		Destroy:              o.destroy,
		Namer:                namer(cfg),
		MassRemovalThreshold: s.MassRemovalThreshold,
		MassRemovalMinimum:   s.MassRemovalMinimum,
	}
}

// namer names objects by the addresses the configuration gives them.
func namer(cfg *config.Config) func(state.Kind, string) string {
	return func(kind state.Kind, key string) string {
		if obj := cfg.Objects[config.ObjectID{Kind: kind, Key: key}]; obj != nil {
			return obj.Address
		}
		return ""
	}
}

// sensitiveByAddress maps each declared object's address to its sensitive
// attribute paths.
func sensitiveByAddress(cfg *config.Config) map[string][]string {
	out := map[string][]string{}
	for _, obj := range cfg.Objects {
		if len(obj.Sensitive) > 0 {
			out[obj.Address] = obj.Sensitive
		}
	}
	return out
}

// writePlanDocument prints doc in the run's format.
func writePlanDocument(g *globalOptions, doc *render.PlanDocument) error {
	switch g.Format {
	case formatJSON:
		return render.WritePlanJSON(g.Stdout, doc)
	case formatMarkdown:
		return render.WritePlanMarkdown(g.Stdout, doc)
	}
	return render.WritePlanHuman(g.Stdout, doc, render.HumanOptions{Color: g.Color})
}

// save writes the plan file of --out.
func (o *planOptions) save(p *planner.Plan, cfg *config.Config, sensitive map[string][]string) error {
	g := o.global
	s := cfg.Sozu
	pf, err := planfile.New(p, planfile.Inputs{
		ConfigDir: o.dir,
		Options: planfile.Options{
			Manage: s.Manage, IgnoreClusters: s.IgnoreClusters, Targets: g.Targets, Replace: o.replace,
			Destroy: o.destroy, MassRemovalThreshold: s.MassRemovalThreshold, MassRemovalMinimum: s.MassRemovalMinimum,
		},
		Keys:      cfg.Sensitive.Keys,
		Sensitive: sensitive,
	})
	if err != nil {
		return err
	}
	if err := planfile.Write(o.out, pf); err != nil {
		return err
	}
	// Machine-readable output keeps stdout to itself.
	var w io.Writer = g.Stdout
	if g.Format != formatHuman {
		w = g.Stderr
	}
	fmt.Fprintf(w, "\nSaved the plan to: %s\n\nTo perform exactly these actions, run:\n  sozuctl-plan apply %s\n", o.out, o.out)
	if vars := keyVariables(pf); len(vars) > 0 {
		fmt.Fprintf(w, "giving again the sensitive variables that hold private keys (%s) with --var, --var-file or SOZU_VAR_<name>: the plan file does not hold them.\n", strings.Join(vars, ", "))
	}
	return nil
}

// keyVariables lists, sorted and once each, the variables whose values are
// private keys that a plan file records by name and hash only.
func keyVariables(pf *planfile.File) []string {
	seen := map[string]bool{}
	var vars []string
	for _, k := range pf.Keys {
		if k.Variable != "" && !seen[k.Variable] {
			seen[k.Variable] = true
			vars = append(vars, k.Variable)
		}
	}
	sort.Strings(vars)
	return vars
}

// showPlan is show's rendering of a saved plan: it reads no key.
func showPlan(g *globalOptions, path string) error {
	pf, err := planfile.ReadNoKeys(path)
	if err != nil {
		var ve *planfile.VersionError
		if errors.As(err, &ve) && ve.Got == 0 {
			return fmt.Errorf("%s is not a Sōzu state file (its first record is not a JSON object closed by a NUL byte), nor a sozuctl-plan plan file", path)
		}
		return err
	}
	doc, err := render.NewPlanDocument(pf.Plan, render.PlanOptions{Sensitive: pf.Sensitive})
	if err != nil {
		return fmt.Errorf("rendering the plan: %w", err)
	}
	return writePlanDocument(g, doc)
}
