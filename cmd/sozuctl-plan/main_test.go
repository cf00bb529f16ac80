package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os/exec"
	"strconv"
	"strings"
	"testing"

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
			"exits": cmdExits,
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
