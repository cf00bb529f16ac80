package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/hcl/v2"

	"github.com/spf13/cobra"

	"github.com/sozuctl-plan/sozuctl-plan/applier"
	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/planfile"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/render"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func init() { registerCommand(newApplyCommand) }

// applyFlags are the flags apply and rollback share.
type applyFlags struct {
	autoApprove      bool
	noRollback       bool
	bulk             bool
	allowMassRemoval bool
	lockTimeout      time.Duration
}

func (f *applyFlags) register(cmd *cobra.Command, all bool) {
	fl := cmd.Flags()
	fl.BoolVar(&f.autoApprove, "auto-approve", false, "apply without asking for approval")
	fl.BoolVar(&f.noRollback, "no-rollback", false, "after a failure, leave the partial state instead of returning to the checkpoint")
	fl.DurationVar(&f.lockTimeout, "lock-timeout", 0, "wait up to `DURATION` for the lock another apply holds (default: fail at once)")
	if all {
		fl.BoolVar(&f.bulk, "bulk", false, "send a plan that only creates as one load_state of a state file")
		fl.BoolVar(&f.allowMassRemoval, "allow-mass-removal", false, "apply a plan that removes more routes or backends than the mass-change guard allows")
	}
}

// applyOptions are the flags and arguments of apply.
type applyOptions struct {
	global  *globalOptions
	flags   applyFlags
	target  string // DIR or PLANFILE
	destroy bool
	replace []string
	// out saves the plan apply computed, before it runs (--out).
	out string
	// detailedExitcode makes an apply that changed the proxy exit 2.
	detailedExitcode bool
	// changed records that the run sent requests.
	changed bool
}

const applyLong = `Compute the plan that makes the live Sōzu proxy match the configuration in
DIR (default: the current directory), show it, ask for approval and execute
it; or execute the plan saved in PLANFILE by "plan --out".

Apply takes the lock sozuctl-plan.lock in the checkpoint directory
(--checkpoint-dir, default: the socket's directory), so that two applies
never interleave; with --lock-timeout it waits for a lock another apply
holds. It reads the live state, and refuses a saved plan, changing nothing,
when the live state is no longer the one the plan was made from. It asks
for "yes" unless --auto-approve is given; with no terminal to ask on it
refuses. The mass-change guard refuses a plan removing more than the
configured share of the routes or backends in scope, unless
--allow-mass-removal is given.

Before the first request it saves a checkpoint of the live state
(<time>-<pid>-before.state, mode 0600). The requests are sent one at a time;
a FAILURE, a timeout (--timeout, per request), a closed socket or Ctrl-C
stops the run after the request in flight. Apply then reads the live state
again and returns the proxy to the checkpoint, unless --no-rollback is
given. Every request and answer is written to sozuctl-plan.journal, so that
the next run reports a run cut short by a crash.

After the last request it saves an after-checkpoint, checks that the live
state is the one the plan leads to, and compares the cluster hashes of the
main process and of every worker.

--bulk sends a plan that only creates as one load_state of a state file
written into the checkpoint directory, then reports every object that did
not arrive.

--format json prints one JSON object per line: the events (each request, its
answer, checkpoints, the rollback) and a closing summary; it needs
--auto-approve.

Exit codes: 0 applied (or nothing to do); 1 failed, with the proxy at its
checkpoint (or nothing changed); 3 failed and the proxy is not at its
checkpoint, or verification found a difference. With --detailed-exitcode, an
apply that changed the proxy exits 2 instead of 0 (0 then means there was
nothing to do), as plan does.

--out PLANFILE saves the plan apply computed from DIR, before the first
request, as plan --out would: a record of what was applied.`

func newApplyCommand(g *globalOptions) *cobra.Command {
	opts := &applyOptions{global: g}
	cmd := &cobra.Command{
		Use:   "apply [DIR | PLANFILE]",
		Short: "Apply the configuration, or a saved plan, to the live Sōzu proxy",
		Long:  applyLong,
		Example: `  sozuctl-plan apply --socket /run/sozu/sozu.sock examples/basic
  sozuctl-plan apply api.plan
  sozuctl-plan apply -auto-approve --format json .`,
		Args: positionals(0, 1, "a configuration DIR or a PLANFILE"),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			if g.Format == formatJSON && !opts.flags.autoApprove {
				return usageErrorf(cmd, "--format json needs --auto-approve (there is no plan shown to approve)")
			}
			if g.State != "" {
				return usageErrorf(cmd, "apply changes the live proxy: --state is for plan")
			}
			opts.target = "."
			if len(args) == 1 {
				opts.target = args[0]
			}
			return opts.run(cmd.Context())
		},
	}
	opts.flags.register(cmd, true)
	f := cmd.Flags()
	f.BoolVar(&opts.destroy, "destroy", false, "remove everything in scope")
	f.StringArrayVar(&opts.replace, "replace", nil, "re-create the object at `ADDRESS` even if unchanged (repeatable)")
	f.StringVar(&opts.out, "out", "", "save the plan apply computes from DIR to `PLANFILE` before running it")
	f.BoolVar(&opts.detailedExitcode, "detailed-exitcode", false, "exit 2 when the apply changed the proxy, 0 when there was nothing to do")
	return cmd
}

// run executes apply.
func (o *applyOptions) run(ctx context.Context) error {
	if data, ok := readPlanFileHead(o.target); ok && planfile.IsPlanFile(data) {
		if o.destroy || len(o.replace) > 0 || len(o.global.Targets) > 0 {
			return fmt.Errorf("--destroy, --replace and --target shape a plan: give them to plan, not to apply %s", o.target)
		}
		if o.out != "" {
			return fmt.Errorf("--out saves the plan computed from a configuration directory; %s is already a plan file", o.target)
		}
		return o.detailed(o.runPlanFile(ctx))
	}
	return o.detailed(o.runDir(ctx))
}

// readPlanFileHead returns the content of path when it is a regular file
// (a plan file is only recognised whole).
func readPlanFileHead(path string) ([]byte, bool) {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() || fi.Size() > planfile.MaxSize {
		return nil, false
	}
	data, err := os.ReadFile(path)
	return data, err == nil
}

// runPlanFile applies a saved plan.
func (o *applyOptions) runPlanFile(ctx context.Context) error {
	g := o.global
	pf, err := planfile.Read(o.target)
	if err != nil {
		return err
	}
	if len(pf.Pending()) > 0 {
		vars, err := planFileVariables(g, pf.Pending())
		if err != nil {
			return err
		}
		if err := pf.Resolve(planfile.ResolveOptions{Variables: vars}); err != nil {
			return fmt.Errorf("putting the plan's private keys back: %w", err)
		}
	}
	socket := g.Socket
	if !g.SocketFromFlag && pf.Plan.Base.Socket != "" {
		socket = pf.Plan.Base.Socket
	}
	if socket == "" {
		return fmt.Errorf("the plan file names no socket: give --socket or $SOZU_SOCKET")
	}
	view := newApplyView(g, pf.Sensitive)
	aopts, err := o.applierOptions(socket, view)
	if err != nil {
		return err
	}
	res, err := applier.Apply(ctx, pf.Plan, aopts)
	o.changed = res != nil && res.Outcome != applier.NoChanges
	return view.finish(res, err)
}

// runDir plans the configuration in a directory against the live state,
// read once the lock is held, and applies the plan.
func (o *applyOptions) runDir(ctx context.Context) error {
	g := o.global
	po := &planOptions{global: g, dir: o.target, destroy: o.destroy, replace: o.replace, liveRead: liveReadSaveState}
	socket := g.Socket
	// A configuration loaded without errors to find the socket is used
	// again for the plan: the live base only ever turns errors (a route on
	// a listener only the proxy has) into acceptance, so loading it a
	// second time would give the same result at the cost of a full parse.
	var loaded *config.Config
	var loadedDiags hcl.Diagnostics
	if socket == "" {
		// Only the configuration's sozu block can name the socket.
		copts, err := po.configOptions(&planBase{})
		if err != nil {
			return err
		}
		cfg, diags := config.Load(o.target, copts)
		if cfg == nil || cfg.Sozu.Socket == "" {
			if diags.HasErrors() {
				return po.report(cfg, diags)
			}
			return fmt.Errorf("apply needs the live proxy: give --socket, $SOZU_SOCKET or a socket in the sozu block")
		}
		socket = cfg.Sozu.Socket
		if !diags.HasErrors() {
			loaded, loadedDiags = cfg, diags
		}
	}
	view := newApplyView(g, nil)
	aopts, err := o.applierOptions(socket, view)
	if err != nil {
		return err
	}
	res, err := applier.Run(ctx, aopts, func(ctx context.Context, live *state.State) (*planner.Plan, error) {
		desc := planner.Base{Source: planner.SourceLive, Socket: socket}
		cfg, diags := loaded, loadedDiags
		if cfg == nil {
			copts, err := po.configOptions(&planBase{state: live, desc: desc, loaded: true})
			if err != nil {
				return nil, err
			}
			cfg, diags = config.Load(o.target, copts)
		}
		if err := po.report(cfg, diags); err != nil {
			return nil, err
		}
		view.sensitive = sensitiveByAddress(cfg)
		p, err := planner.Compute(live, cfg.Desired, po.plannerOptions(cfg, desc))
		if err != nil {
			return nil, fmt.Errorf("computing the plan: %w", err)
		}
		if o.out != "" {
			if err := o.savePlan(p, cfg, po, view.sensitive); err != nil {
				return nil, fmt.Errorf("saving the plan to %s: %w", o.out, err)
			}
		}
		return p, nil
	})
	o.changed = res != nil && res.Outcome != applier.NoChanges
	return view.finish(res, err)
}

// savePlan writes the plan of --out, as plan --out writes it.
func (o *applyOptions) savePlan(p *planner.Plan, cfg *config.Config, po *planOptions, sensitive map[string][]string) error {
	s := cfg.Sozu
	pf, err := planfile.New(p, planfile.Inputs{
		ConfigDir: o.target,
		Options: planfile.Options{
			Manage: s.Manage, IgnoreClusters: s.IgnoreClusters, Targets: o.global.Targets, Replace: o.replace,
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
	var w io.Writer = o.global.Stdout
	if o.global.Format != formatHuman {
		w = o.global.Stderr
	}
	fmt.Fprintf(w, "Saved the plan to: %s\n", o.out)
	return nil
}

// detailed turns a successful apply that changed the proxy into exit code 2
// under --detailed-exitcode.
func (o *applyOptions) detailed(err error) error {
	if err == nil && o.detailedExitcode && o.changed {
		return exitWith(exitChanges)
	}
	return err
}

// applierOptions builds the applier's options.
func (o *applyOptions) applierOptions(socket string, view *applyView) (applier.Options, error) {
	g := o.global
	dir, err := checkpointDir(g, socket)
	if err != nil {
		return applier.Options{}, err
	}
	return applier.Options{
		Socket:           socket,
		CheckpointDir:    dir,
		Timeout:          g.Timeout,
		LockTimeout:      o.flags.lockTimeout,
		Command:          commandLine(),
		NoRollback:       o.flags.noRollback,
		Bulk:             o.flags.bulk,
		AllowMassRemoval: o.flags.allowMassRemoval,
		Confirm:          view.confirm(o.flags.autoApprove),
		Events:           view.event,
	}, nil
}

// commandLine describes this process's command line for the lock and the
// journal: the program and its subcommand, without flag values (a --var
// may hold a secret).
func commandLine() string {
	parts := []string{"sozuctl-plan"}
	for _, a := range os.Args[1:] {
		if strings.HasPrefix(a, "-") {
			break
		}
		parts = append(parts, a)
		if len(parts) == 2 {
			break
		}
	}
	return strings.Join(parts, " ")
}

// applyView renders a run: the plan, the events as they come, the outcome.
type applyView struct {
	g         *globalOptions
	sensitive map[string][]string
	mu        sync.Mutex
	shown     bool // the plan was rendered
	enc       *json.Encoder
}

func newApplyView(g *globalOptions, sensitive map[string][]string) *applyView {
	v := &applyView{g: g, sensitive: sensitive}
	if g.Format == formatJSON {
		v.enc = json.NewEncoder(g.Stdout)
		v.enc.SetEscapeHTML(false)
	}
	return v
}

// showPlan renders the plan (human format only).
func (v *applyView) showPlan(p *planner.Plan) error {
	if v.shown || v.enc != nil {
		return nil
	}
	v.shown = true
	doc, err := render.NewPlanDocument(p, render.PlanOptions{Sensitive: v.sensitive})
	if err != nil {
		return fmt.Errorf("rendering the plan: %w", err)
	}
	return render.WritePlanHuman(v.g.Stdout, doc, render.HumanOptions{Color: v.g.Color})
}

// confirm shows the plan and asks for approval.
func (v *applyView) confirm(auto bool) func(context.Context, *planner.Plan) error {
	return func(ctx context.Context, p *planner.Plan) error {
		if err := v.showPlan(p); err != nil {
			return err
		}
		if auto {
			return nil
		}
		ok, err := v.g.confirm(ctx, "\nDo you want to perform these actions?\n  sozuctl-plan will perform the actions described above.")
		if errors.Is(err, errNotInteractive) {
			return fmt.Errorf("no terminal to ask for approval: nothing was changed; use --auto-approve to apply without asking")
		}
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("apply cancelled: nothing was changed")
		}
		return nil
	}
}

// event renders one event.
func (v *applyView) event(e applier.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.logEvent(e)
	if v.enc != nil {
		v.enc.Encode(e)
		return
	}
	out, errw := v.g.Stdout, v.g.Stderr
	prefix := ""
	if e.Phase == applier.PhaseRollback {
		prefix = "rollback "
	}
	switch e.Type {
	case applier.EventLockTakeover:
		fmt.Fprintf(errw, "Note: %s.\n", e.Message)
	case applier.EventUnfinishedRun:
		fmt.Fprintf(errw, "Warning: %s\n", e.Message)
	case applier.EventCheckpoint:
		fmt.Fprintf(out, "Checkpoint saved: %s\n", e.Path)
	case applier.EventAnswer:
		line := fmt.Sprintf("  %s[%d/%d] %s %s: %s", prefix, e.Index, e.Total, e.Verb, e.Address, e.Status)
		if e.Status != applier.StatusOK && e.Message != "" {
			line += " (" + e.Message + ")"
		}
		fmt.Fprintln(out, line)
	case applier.EventStopped:
		fmt.Fprintf(out, "\nStopped (%s): %s\n", e.Status, e.Message)
	case applier.EventRollback:
		fmt.Fprintf(out, "\nRolling back: %s\n", e.Message)
	case applier.EventWarning:
		fmt.Fprintf(errw, "Warning: %s\n", e.Message)
	}
}

// logEvent writes e to the debug log (stderr), whatever the output format:
// with --log-level debug an operator sees each request go out and its
// answer come back, with the number of PROCESSING answers in between.
func (v *applyView) logEvent(e applier.Event) {
	if v.g.Logger == nil || !v.g.Logger.Enabled(context.Background(), slog.LevelDebug) {
		return
	}
	attrs := []any{"type", e.Type}
	add := func(key string, val any, set bool) {
		if set {
			attrs = append(attrs, key, val)
		}
	}
	add("phase", e.Phase, e.Phase != "")
	add("index", e.Index, e.Index != 0)
	add("total", e.Total, e.Total != 0)
	add("verb", e.Verb, e.Verb != "")
	add("address", e.Address, e.Address != "")
	add("status", e.Status, e.Status != "")
	add("processing", e.Processing, e.Processing != 0)
	add("path", e.Path, e.Path != "")
	add("message", e.Message, e.Message != "" && e.Type != applier.EventUnfinishedRun)
	v.g.Logger.Debug("apply", attrs...)
}

// summaryLine is the closing JSON object of apply --format json.
type summaryLine struct {
	Type            string        `json:"type"`
	Outcome         string        `json:"outcome"`
	Message         string        `json:"message"`
	Summary         summaryCounts `json:"summary"`
	Requests        int           `json:"requests"`
	Applied         int           `json:"applied"`
	Checkpoint      string        `json:"checkpoint,omitempty"`
	AfterCheckpoint string        `json:"after_checkpoint,omitempty"`
	AtCheckpoint    bool          `json:"at_checkpoint"`
	Differences     []string      `json:"differences,omitempty"`
	Missing         []string      `json:"missing,omitempty"`
	ExitCode        int           `json:"exit_code"`
}

// summaryCounts are the plan's counts, named as in the plan's JSON.
type summaryCounts struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
}

// finish renders the outcome of a run and returns the error to exit with.
func (v *applyView) finish(res *applier.Result, err error) error {
	var ae *applier.ApplyError
	if res == nil || (err != nil && !errors.As(err, &ae)) {
		if err == nil {
			return nil
		}
		if v.enc != nil {
			v.enc.Encode(summaryLine{Type: "summary", Outcome: "refused", Message: refusalMessage(err), ExitCode: exitCodeFor(err)})
		}
		return err
	}
	if v.enc != nil {
		return v.finishJSON(res, err)
	}
	w := v.g.Stdout
	if res.Outcome == applier.NoChanges {
		return v.showPlan(res.Plan)
	}
	if ae == nil {
		vf := res.Verification
		fmt.Fprintf(w, "\nVerified: the live state is the one the plan leads to, and the cluster hashes of the main process and %d worker(s) agree.\n", len(vf.Workers))
		fmt.Fprintf(w, "Not checked: %s.\n", vf.Unseen)
		fmt.Fprintf(w, "Checkpoints: %s (before), %s (after).\n", res.Checkpoint, res.AfterCheckpoint)
		fmt.Fprintf(w, "\n%s\n", res.Summary())
		return nil
	}
	v.report(w, res)
	return err
}

// refusalMessage is the summary message of a run refused before its first
// request. An error that only carries an exit code comes from the
// configuration's diagnostics, already printed on stderr: its text ("exit
// status 1") would tell a machine nothing.
func refusalMessage(err error) string {
	var ee *exitError
	if errors.As(err, &ee) && ee.Err == nil {
		return "the configuration has errors (the diagnostics are on stderr); nothing was changed"
	}
	return err.Error()
}

// report says what a run that did not end as planned did.
func (v *applyView) report(w io.Writer, res *applier.Result) {
	fmt.Fprintln(w)
	applied := res.AppliedRequests()
	if res.Bulk == nil {
		fmt.Fprintf(w, "Applied %d of %d request(s):\n", len(applied), len(res.Plan.Requests))
		for _, q := range applied {
			fmt.Fprintf(w, "  %d. %s %s\n", q.Index, q.Verb, q.Address)
		}
	}
	if res.Stopped != nil {
		q := res.Stopped.Request
		if q.Index > 0 && q.Status != applier.StatusOK {
			fmt.Fprintf(w, "Failed (%s): %d. %s %s\n", strings.ToLower(q.Status), q.Index, q.Verb, q.Address)
		}
	}
	if rb := res.Rollback; rb != nil {
		switch {
		case rb.LoadState:
			fmt.Fprintf(w, "Undone: the checkpoint was loaded with load_state.\n")
		default:
			fmt.Fprintf(w, "Undone, by %d rollback request(s):\n", len(rb.Requests))
			for _, q := range rb.Requests {
				fmt.Fprintf(w, "  %s\n", q)
			}
		}
	}
	if vf := res.Verification; vf != nil && res.Stopped == nil {
		if vf.StateMatches {
			fmt.Fprintf(w, "The main process's state is the one the plan leads to.\n")
		}
		if len(vf.Differences) > 0 {
			fmt.Fprintf(w, "The live state differs from the plan:\n")
			for _, d := range vf.Differences {
				fmt.Fprintf(w, "  %s\n", d)
			}
		}
		for _, m := range vf.HashMismatches {
			fmt.Fprintf(w, "Worker check: %s\n", m)
		}
		if vf.HashError != nil {
			fmt.Fprintf(w, "Worker check failed: %v\n", vf.HashError)
		}
		fmt.Fprintf(w, "Not checked: %s.\n", vf.Unseen)
		if res.Bulk != nil {
			for _, m := range res.Bulk.Missing {
				fmt.Fprintf(w, "Did not arrive: %s\n", m)
			}
		}
		fmt.Fprintf(w, "No automatic rollback: the main process holds the new state. To return to the state before, run: sozuctl-plan rollback %s\n", res.Checkpoint)
	}
	switch {
	case res.Stopped == nil:
	case res.AtCheckpoint:
		fmt.Fprintf(w, "Final state: the proxy is at its checkpoint %s.\n", res.Checkpoint)
	default:
		fmt.Fprintf(w, "Final state: the proxy is NOT at its checkpoint %s; what differs from it:\n", res.Checkpoint)
		for _, d := range res.Remaining {
			fmt.Fprintf(w, "  %s\n", d)
		}
	}
}

// finishJSON writes the closing summary object.
func (v *applyView) finishJSON(res *applier.Result, err error) error {
	s := summaryLine{Type: "summary", Outcome: string(res.Outcome), Checkpoint: res.Checkpoint,
		AfterCheckpoint: res.AfterCheckpoint, AtCheckpoint: res.AtCheckpoint, Applied: res.Applied,
		ExitCode: exitCodeFor(err)}
	if res.Plan != nil {
		ps := res.Plan.Summary
		s.Summary = summaryCounts{ps.Create, ps.Update, ps.Replace, ps.Delete}
		s.Requests = len(res.Plan.Requests)
	}
	switch {
	case err != nil:
		s.Message = err.Error()
	case res.Outcome == applier.NoChanges:
		s.Message = "No changes."
	default:
		s.Message = res.Summary()
	}
	if vf := res.Verification; vf != nil {
		s.Differences = append(append(s.Differences, vf.Differences...), vf.HashMismatches...)
	}
	s.Differences = append(s.Differences, res.Remaining...)
	if res.Bulk != nil {
		s.Missing = res.Bulk.Missing
	}
	v.enc.Encode(s)
	return err
}
