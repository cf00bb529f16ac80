package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/fatih/color"
	"github.com/spf13/cobra"
	"golang.org/x/term"
)

// How a command file plugs in
//
// Each command lives in its own file and registers itself from init():
//
//	func init() { registerCommand(newValidateCommand) }
//
//	func newValidateCommand(g *globalOptions) *cobra.Command {
//		opts := &validateOptions{global: g}
//		cmd := &cobra.Command{
//			Use:     "validate [DIR]",
//			Short:   "Check a configuration",
//			Example: "  sozuctl-plan validate examples/basic",
//			Args:    cobra.MaximumNArgs(1),
//			RunE: func(cmd *cobra.Command, args []string) error {
//				if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
//					return err
//				}
//				return opts.run(cmd.Context(), args)
//			},
//		}
//		cmd.Flags().BoolVar(&opts.foo, "foo", false, "...")
//		return cmd
//	}
//
// The factory is called once per run with the run's globalOptions; by the time
// RunE runs, g holds the parsed common flags, the resolved socket, the logger
// and the terminal facts. cmd.Context() is cancelled by the first Ctrl-C or
// SIGTERM (a second one ends the process).
//
// Output: write to g.Stdout and g.Stderr (or cmd.OutOrStdout()), never to
// os.Stdout, so that tests capture everything. Ask for approval with
// g.confirm (prompt.go), which refuses when stdin is not a terminal.
// g.StdoutIsTerminal / g.StdinIsTerminal say whether a person is there,
// g.Color whether to colour stdout (off with --no-color, NO_COLOR, TERM=dumb
// or when stdout is not a terminal); fatih/color's NoColor is set to match.
//
// Errors and exit codes: RunE returns an error and Main maps it to an exit
// code in one place (exitCodeFor, errors.go), printing "Error: <message>" on
// stderr:
//   - a plain error: exit 1;
//   - usageErrorf(cmd, ...): exit 1, with a hint to run the command's --help;
//   - &exitError{Code: n, Err: err}: exit n, printing err if it is not nil;
//     exitWith(n) exits with n and prints nothing (for example exit 2 of
//     --detailed-exitcode, or exit 1 after diagnostics were printed already);
//   - any error in the chain with an ExitCode() int method: that code.
//
// The exit codes are exitOK, exitFailure, exitChanges and exitNotAtCheckpoint
// (docs/cli.md). Commands never call os.Exit and never print the final error
// themselves. Command files must not set PersistentPreRun(E): the root's
// hook resolves the common flags.

// Output formats accepted by --format; each command states which of them it
// supports with globalOptions.requireFormat.
const (
	formatHuman    = "human"
	formatJSON     = "json"
	formatMarkdown = "markdown"
)

// defaultTimeout is the per-request timeout when --timeout is not given.
const defaultTimeout = 15 * time.Second

// globalOptions holds the common flags of every command and what the run
// knows about its environment. One value is shared by all commands of a run.
type globalOptions struct {
	// Socket is the Sōzu command socket: --socket, else $SOZU_SOCKET, else
	// empty (the configuration's sozu block may still name one).
	Socket string
	// SocketFromFlag is true when --socket was given on the command line
	// (apply PLANFILE then ignores the socket recorded in the plan).
	SocketFromFlag bool
	// State is --state: a Sōzu state file to use as the base.
	State string
	// Vars are the --var NAME=VALUE arguments, in command-line order; each has
	// been checked to contain "=" after a non-empty name.
	Vars []string
	// VarFiles are the --var-file arguments, in command-line order.
	VarFiles []string
	// Targets are the --target addresses, in command-line order.
	Targets []string
	// Format is --format: formatHuman, formatJSON or formatMarkdown.
	Format string
	// NoColor is --no-color, or true when NO_COLOR is set to a non-empty value.
	NoColor bool
	// Timeout is --timeout, the limit for each request sent to Sōzu.
	Timeout time.Duration
	// LogLevel is --log-level: error, warn, info or debug.
	LogLevel string
	// CheckpointDir is --checkpoint-dir; empty means the socket's directory.
	CheckpointDir string

	// Stdout, Stderr and Stdin are the run's streams.
	Stdout, Stderr io.Writer
	Stdin          io.Reader
	// Getenv reads the run's environment.
	Getenv func(string) string
	// Logger writes leveled logs to Stderr at LogLevel.
	Logger *slog.Logger
	// StdoutIsTerminal and StdinIsTerminal say whether those streams are
	// terminals.
	StdoutIsTerminal, StdinIsTerminal bool
	// Color is true when human output on Stdout should be coloured.
	Color bool
}

// commandFactory builds one top-level command for a run.
type commandFactory func(g *globalOptions) *cobra.Command

// registeredCommands are the factories added by registerCommand, in
// registration order (cobra sorts commands by name in help).
var registeredCommands []commandFactory

// registerCommand adds a top-level command to the CLI. Call it from init() in
// the command's own file.
func registerCommand(f commandFactory) {
	registeredCommands = append(registeredCommands, f)
}

// requireFormat returns a usage error unless --format is one of allowed.
func (g *globalOptions) requireFormat(cmd *cobra.Command, allowed ...string) error {
	for _, a := range allowed {
		if g.Format == a {
			return nil
		}
	}
	return usageErrorf(cmd, "%s does not support --format %s (use %s)",
		cmd.CommandPath(), g.Format, joinChoices(allowed))
}

// joinChoices writes a, b or c.
func joinChoices(choices []string) string {
	switch len(choices) {
	case 0:
		return ""
	case 1:
		return choices[0]
	}
	return strings.Join(choices[:len(choices)-1], ", ") + " or " + choices[len(choices)-1]
}

// newGlobalOptions returns the options of a run with the given streams and
// environment; flags fill in the rest.
func newGlobalOptions(stdin io.Reader, stdout, stderr io.Writer, getenv func(string) string) *globalOptions {
	g := &globalOptions{
		Stdin:  stdin,
		Stdout: stdout,
		Stderr: stderr,
		Getenv: getenv,
	}
	g.StdoutIsTerminal = isTerminal(stdout)
	g.StdinIsTerminal = isTerminal(stdin)
	g.Logger = newLogger(stderr, slog.LevelWarn)
	return g
}

// isTerminal reports whether v is an *os.File open on a terminal.
func isTerminal(v any) bool {
	f, ok := v.(*os.File)
	if !ok || f == nil {
		return false
	}
	return term.IsTerminal(int(f.Fd()))
}

// logLevels maps the values of --log-level to slog levels.
var logLevels = map[string]slog.Level{
	"error": slog.LevelError,
	"warn":  slog.LevelWarn,
	"info":  slog.LevelInfo,
	"debug": slog.LevelDebug,
}

// newLogger returns a text logger on w at level, without timestamps so that
// its lines are stable in tests and readable in CI logs.
func newLogger(w io.Writer, level slog.Level) *slog.Logger {
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{
		Level: level,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if len(groups) == 0 && a.Key == slog.TimeKey {
				return slog.Attr{}
			}
			return a
		},
	}))
}

const rootLong = `sozuctl-plan manages a running Sōzu reverse proxy declaratively.

It reads HCL files describing listeners, clusters, backends, frontends and
certificates, compares them with a base (a Sōzu state file, the live proxy
read over its unix command socket, or nothing) and prints the plan: the
ordered Sōzu requests that would make the proxy match the configuration.
Applying a plan sends those requests one at a time, with save_state
checkpoints before and after and a rollback when a step fails.

The base of a plan is --state if given, else the live proxy at --socket,
$SOZU_SOCKET or the socket of the configuration's sozu block, else empty.

Exit codes: 0 success (with --detailed-exitcode: no changes), 1 error,
2 with --detailed-exitcode: the plan has changes, 3 apply failed and the
proxy is not at its checkpoint, or verification after apply found a
difference.`

// newRootCommand builds the command tree for one run.
func newRootCommand(g *globalOptions) *cobra.Command {
	root := &cobra.Command{
		Use:           "sozuctl-plan",
		Short:         "Plan and apply Sōzu reverse proxy configuration from HCL",
		Long:          rootLong,
		SilenceErrors: true,
		SilenceUsage:  true,
		Annotations:   map[string]string{groupAnnotation: "true"},
		// Root runs only to show help or to reject an unknown command with
		// a one-line error instead of cobra's usage dump.
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runGroup(cmd, args)
		},
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			return g.resolve(cmd)
		},
	}
	root.CompletionOptions.DisableDefaultCmd = true
	// --version (and Terraform's -version) print what "version" prints.
	root.Version = buildVersion()
	root.SetVersionTemplate("sozuctl-plan {{.Version}}\n" + protocolLine + "\n")
	root.SetIn(g.Stdin)
	root.SetOut(g.Stdout)
	root.SetErr(g.Stderr)

	pf := root.PersistentFlags()
	pf.StringVar(&g.Socket, "socket", "", "Sōzu command socket `PATH` (default: $SOZU_SOCKET, then the sozu block's socket)")
	pf.StringVar(&g.State, "state", "", "Sōzu state `FILE` to use as the base instead of the live proxy")
	pf.StringArrayVar(&g.Vars, "var", nil, "set a variable, `NAME=VALUE` (repeatable)")
	pf.StringArrayVar(&g.VarFiles, "var-file", nil, "read variables from `FILE` (repeatable)")
	pf.StringArrayVar(&g.Targets, "target", nil, "limit the plan to `ADDRESS` and what it depends on (repeatable)")
	pf.StringVar(&g.Format, "format", formatHuman, "output `FORMAT`: human, json or markdown (each command says which it supports)")
	pf.BoolVar(&g.NoColor, "no-color", false, "never colour the output (also: NO_COLOR)")
	pf.DurationVar(&g.Timeout, "timeout", defaultTimeout, "limit, a `DURATION`, for each request to Sōzu")
	pf.StringVar(&g.LogLevel, "log-level", "warn", "log `LEVEL` on stderr: error, warn, info or debug")
	pf.StringVar(&g.CheckpointDir, "checkpoint-dir", "", "`DIR` for live reads, checkpoints, the lock and the journal (default: the socket's directory)")

	root.SetFlagErrorFunc(func(cmd *cobra.Command, err error) error {
		return &usageError{cmd: cmd.CommandPath(), err: err}
	})

	for _, f := range registeredCommands {
		root.AddCommand(f(g))
	}
	root.SetHelpCommand(newHelpCommand())
	// Commands that run only to show help or reject unknown subcommands
	// (the root and groups) are not advertised as runnable in their usage.
	root.SetUsageTemplate(strings.Replace(root.UsageTemplate(),
		"{{if .Runnable}}", `{{if and .Runnable (not (index .Annotations "`+groupAnnotation+`"))}}`, 1))
	root.Example = rootExamples(root)
	normalizeTree(root)
	return root
}

// rootExampleLines are the root's help examples; each is shown only when its
// command is part of this build.
var rootExampleLines = []string{
	"sozuctl-plan validate examples/basic",
	"sozuctl-plan plan --socket /run/sozu/sozu.sock examples/basic",
	"sozuctl-plan plan -out=api.plan -detailed-exitcode examples/basic",
	"sozuctl-plan apply api.plan",
	"sozuctl-plan show --format json sozu.state",
	"sozuctl-plan sim --socket sozu.sock",
	"sozuctl-plan version --format json",
}

// rootExamples returns the lines of rootExampleLines whose command exists.
func rootExamples(root *cobra.Command) string {
	var b strings.Builder
	for _, line := range rootExampleLines {
		words := strings.Fields(line)
		if len(words) < 2 {
			continue
		}
		if c, _, err := root.Find(words[1:2]); err != nil || c == root {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString("  " + line)
	}
	return b.String()
}

// newHelpCommand builds "help [command]", which rejects an unknown topic as
// a usage error (cobra's own prints the usage and exits 0).
func newHelpCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "help [command]",
		Short: "Help about any command",
		Long:  "Show the help of a command, or of sozuctl-plan itself.",
		Example: `  sozuctl-plan help
  sozuctl-plan help version`,
		Args: cobra.ArbitraryArgs,
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			var names []cobra.Completion
			c, _, err := cmd.Root().Find(args)
			if err != nil || c == nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			for _, sub := range c.Commands() {
				if sub.IsAvailableCommand() && strings.HasPrefix(sub.Name(), toComplete) {
					names = append(names, cobra.CompletionWithDesc(sub.Name(), sub.Short))
				}
			}
			return names, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			target, rest, err := root.Find(args)
			if err != nil || target == nil || len(rest) > 0 {
				name := strings.Join(args, " ")
				if len(rest) > 0 {
					name = rest[0]
				}
				return usageErrorf(root, "unknown help topic %q", name)
			}
			target.InitDefaultHelpFlag()
			return target.Help()
		},
	}
}

// resolve finishes the common options once the flags are parsed: it checks
// their values, applies the environment and sets up logging and colour.
func (g *globalOptions) resolve(cmd *cobra.Command) error {
	level, ok := logLevels[g.LogLevel]
	if !ok {
		return usageErrorf(cmd, "invalid --log-level %q (use error, warn, info or debug)", g.LogLevel)
	}
	g.Logger = newLogger(g.Stderr, level)

	switch g.Format {
	case formatHuman, formatJSON, formatMarkdown:
	default:
		return usageErrorf(cmd, "invalid --format %q (use human, json or markdown)", g.Format)
	}
	if g.Timeout <= 0 {
		return usageErrorf(cmd, "invalid --timeout %s (it must be positive)", g.Timeout)
	}
	for _, v := range g.Vars {
		name, _, found := strings.Cut(v, "=")
		if !found || strings.TrimSpace(name) == "" {
			return usageErrorf(cmd, "invalid --var %q (use NAME=VALUE)", v)
		}
	}

	if f := cmd.Flags().Lookup("socket"); f != nil && f.Changed {
		g.SocketFromFlag = true
	} else {
		g.Socket = g.Getenv("SOZU_SOCKET")
	}
	// A socket is recorded in plan files and named in checkpoints' messages:
	// a relative one would mean another socket from another directory.
	if g.Socket != "" && !filepath.IsAbs(g.Socket) {
		if abs, err := filepath.Abs(g.Socket); err == nil {
			g.Socket = abs
		}
	}
	if g.Getenv("NO_COLOR") != "" {
		g.NoColor = true
	}
	g.Color = !g.NoColor && g.StdoutIsTerminal && g.Getenv("TERM") != "dumb"
	// fatih/color decides on its own from the process's stdout; make it
	// agree with this run, so code that uses it follows --no-color too.
	color.NoColor = !g.Color
	g.Logger.Debug("options", "command", cmd.CommandPath(), "socket", g.Socket,
		"state", g.State, "format", g.Format, "timeout", g.Timeout, "color", g.Color)
	return nil
}

// groupAnnotation marks the commands that only group others.
const groupAnnotation = "sozuctl-plan-group"

// normalizeTree makes every command of the tree report argument errors as
// usage errors, and makes commands that only group subcommands reject an
// unknown subcommand instead of silently printing help.
func normalizeTree(c *cobra.Command) {
	for _, sub := range c.Commands() {
		normalizeTree(sub)
	}
	if c.HasParent() && c.HasSubCommands() && !c.Runnable() {
		if c.Annotations == nil {
			c.Annotations = map[string]string{}
		}
		c.Annotations[groupAnnotation] = "true"
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			return runGroup(cmd, args)
		}
	}
	if check := c.Args; check != nil {
		c.Args = func(cmd *cobra.Command, args []string) error {
			if err := check(cmd, args); err != nil {
				return &usageError{cmd: cmd.CommandPath(), err: err}
			}
			return nil
		}
	}
}

// runGroup runs a command that only groups others: help without arguments,
// a usage error naming the unknown command otherwise.
func runGroup(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return cmd.Help()
	}
	msg := fmt.Sprintf("unknown command %q for %s", args[0], cmd.CommandPath())
	if cmd.SuggestionsMinimumDistance <= 0 {
		cmd.SuggestionsMinimumDistance = 2
	}
	if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
		msg += fmt.Sprintf("; did you mean %q?", s[0])
	}
	return &usageError{cmd: cmd.CommandPath(), err: fmt.Errorf("%s", msg)}
}

// execute builds the tree, rewrites Terraform-style flags, runs the command
// named by args and returns the process exit code.
func execute(ctx context.Context, args []string, g *globalOptions) int {
	root := newRootCommand(g)
	root.SetArgs(rewriteSingleDashFlags(args, collectLongFlags(root)))
	err := root.ExecuteContext(ctx)
	return reportError(g.Stderr, err)
}
