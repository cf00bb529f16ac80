package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"github.com/spf13/cobra"
)

var update = flag.Bool("update", false, "rewrite the testscript files with the actual output")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"sozuctl-plan": main,
	})
}

// TestScripts runs the real CLI, in the test binary, over
// testdata/script/*.txtar.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:           "testdata/script",
		UpdateScripts: *update,
		Cmds: map[string]func(ts *testscript.TestScript, neg bool, args []string){
			"exits":     cmdExits,
			"waitfile":  cmdWaitFile,
			"json":      cmdJSON,
			"modes0600": cmdModes0600,
		},
	})
}

// cmdExits is the script command "exits N PROGRAM [ARG...]": it runs
// PROGRAM like exec and fails unless its exit code is N.
func cmdExits(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: exits CODE PROGRAM [ARG...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("exits: bad code %q", args[0])
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("exits: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("%s exited with %d, want %d", args[1], got, want)
	}
}

// The hidden command "testcmd" exists only in the test binary. It shows how
// the command line was parsed and turns its flags into the outcomes a real
// command can have, so that the scripts can check the shared machinery
// (argument rewriting, common flags, error printing, exit codes) honestly.
func init() {
	registerCommand(newTestCommand)
	registerCommand(newTestGroupCommand)
}

// newTestGroupCommand builds the hidden "testgroup", which only groups a
// subcommand, as "state" will.
func newTestGroupCommand(g *globalOptions) *cobra.Command {
	group := &cobra.Command{
		Use:     "testgroup",
		Short:   "A command that only groups others (tests only)",
		Example: "  sozuctl-plan testgroup child",
		Hidden:  true,
	}
	group.AddCommand(&cobra.Command{
		Use:     "child",
		Short:   "Say hello (tests only)",
		Example: "  sozuctl-plan testgroup child",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			_, err := fmt.Fprintln(g.Stdout, "hello from child")
			return err
		},
	})
	return group
}

type testCommandOptions struct {
	out              string
	check, diff      bool
	detailedExitcode bool
	autoApprove      bool
	short            string
	exit             int
	quiet            bool
	errMsg           string
	coded            int
	eof              bool
	panicMsg         string
	readyFile        string
	ignoreCancel     bool
	confirm          bool
}

// codedError is an error of another package that knows its exit code.
type codedError struct{ code int }

func (e *codedError) Error() string { return fmt.Sprintf("failure with code %d", e.code) }
func (e *codedError) ExitCode() int { return e.code }

func newTestCommand(g *globalOptions) *cobra.Command {
	o := &testCommandOptions{}
	cmd := &cobra.Command{
		Use:     "testcmd [ARG...]",
		Short:   "Show the parsed command line (tests only)",
		Example: "  sozuctl-plan testcmd -out=x a b",
		Hidden:  true,
		Args:    cobra.MaximumNArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := g.requireFormat(cmd, formatHuman, formatJSON); err != nil {
				return err
			}
			w := g.Stdout
			fmt.Fprintf(w, "args=%q\n", args)
			fmt.Fprintf(w, "out=%q check=%t diff=%t detailed-exitcode=%t auto-approve=%t o=%q\n",
				o.out, o.check, o.diff, o.detailedExitcode, o.autoApprove, o.short)
			fmt.Fprintf(w, "socket=%q socket-from-flag=%t state=%q checkpoint-dir=%q\n",
				g.Socket, g.SocketFromFlag, g.State, g.CheckpointDir)
			fmt.Fprintf(w, "vars=%q var-files=%q targets=%q\n", g.Vars, g.VarFiles, g.Targets)
			fmt.Fprintf(w, "format=%s timeout=%s log-level=%s no-color=%t color=%t\n",
				g.Format, g.Timeout, g.LogLevel, g.NoColor, g.Color)
			fmt.Fprintf(w, "stdin-terminal=%t stdout-terminal=%t\n", g.StdinIsTerminal, g.StdoutIsTerminal)
			g.Logger.Info("testcmd ran", "args", len(args))
			if o.confirm {
				ok, err := g.confirm(cmd.Context(), "Do you want to go on?")
				if err != nil {
					return err
				}
				fmt.Fprintf(w, "approved=%t\n", ok)
				return nil
			}
			if o.readyFile != "" {
				return waitForInterrupt(cmd.Context(), g, o.readyFile, o.ignoreCancel)
			}
			switch {
			case o.panicMsg != "":
				panic(o.panicMsg)
			case o.eof:
				return io.EOF
			case o.coded != 0:
				return fmt.Errorf("applying: %w", &codedError{code: o.coded})
			case o.quiet:
				return exitWith(o.exit)
			case o.exit != 0:
				msg := o.errMsg
				if msg == "" {
					msg = "testcmd failed"
				}
				return &exitError{Code: o.exit, Err: errors.New(msg)}
			case o.errMsg != "":
				return errors.New(o.errMsg)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.out, "out", "", "plan `FILE`")
	f.BoolVar(&o.check, "check", false, "check only")
	f.BoolVar(&o.diff, "diff", false, "show a diff")
	f.BoolVar(&o.detailedExitcode, "detailed-exitcode", false, "exit 2 on changes")
	f.BoolVar(&o.autoApprove, "auto-approve", false, "do not ask")
	f.StringVarP(&o.short, "output-dir", "o", "", "`DIR`")
	f.IntVar(&o.exit, "exit", 0, "exit with this code")
	f.BoolVar(&o.quiet, "quiet", false, "exit without a message")
	f.StringVar(&o.errMsg, "error", "", "fail with this message")
	f.IntVar(&o.coded, "coded", 0, "fail with an error carrying this exit code")
	f.BoolVar(&o.eof, "eof", false, "fail with a bare io.EOF")
	f.StringVar(&o.panicMsg, "panic", "", "panic with this value")
	f.StringVar(&o.readyFile, "wait-interrupt", "", "create this file, then wait for the context to end")
	f.BoolVar(&o.confirm, "confirm", false, "ask for approval")
	f.BoolVar(&o.ignoreCancel, "ignore-cancel", false, "with --wait-interrupt: keep running after the first interrupt")
	return cmd
}

func BenchmarkRunVersion(b *testing.B) {
	for b.Loop() {
		var stdout, stderr strings.Builder
		if code := run(b.Context(), []string{"version"}, strings.NewReader(""), &stdout, &stderr,
			func(string) string { return "" }); code != 0 {
			b.Fatalf("exit code %d: %s", code, stderr.String())
		}
	}
}

// waitForInterrupt creates ready, waits until ctx is cancelled and reports
// it; with ignoreCancel it then creates ready+".2" and keeps running, as a
// command finishing its request in flight would.
func waitForInterrupt(ctx context.Context, g *globalOptions, ready string, ignoreCancel bool) error {
	if err := os.WriteFile(ready, nil, 0o600); err != nil {
		return err
	}
	select {
	case <-ctx.Done():
	case <-time.After(time.Minute):
		return errors.New("no interrupt within a minute")
	}
	fmt.Fprintln(g.Stdout, "context cancelled")
	if !ignoreCancel {
		return errors.New("interrupted")
	}
	if err := os.WriteFile(ready+".2", nil, 0o600); err != nil {
		return err
	}
	time.Sleep(time.Minute)
	return errors.New("still running a minute after the interrupt")
}

// cmdWaitFile is the script command "waitfile PATH": it waits up to ten
// seconds for PATH to exist.
func cmdWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: waitfile PATH")
	}
	path := ts.MkAbs(args[0])
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(path); err == nil {
			return
		}
	}
	ts.Fatalf("%s did not appear within 10s", args[0])
}

// TestRunCapturesStreams checks that run writes only to the streams it is
// given and reads its environment through getenv.
func TestRunCapturesStreams(t *testing.T) {
	var stdout, stderr strings.Builder
	env := map[string]string{"SOZU_SOCKET": "/run/sozu.sock"}
	code := run(t.Context(), []string{"testcmd", "-out=p", "a"}, strings.NewReader(""), &stdout, &stderr,
		func(k string) string { return env[k] })
	if code != 0 {
		t.Fatalf("exit code %d, stderr %q", code, stderr.String())
	}
	for _, want := range []string{`args=["a"]`, `out="p"`, `socket="/run/sozu.sock" socket-from-flag=false`} {
		if !strings.Contains(stdout.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout.String())
		}
	}
	if stderr.Len() != 0 {
		t.Errorf("unexpected stderr %q", stderr.String())
	}
}
