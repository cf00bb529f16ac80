package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/fatih/color"
)

// parseForTest runs the test-only command with args and env and returns the
// resulting options, the exit code and stderr.
func parseForTest(t *testing.T, args []string, env map[string]string, terminal bool) (*globalOptions, int, string) {
	t.Helper()
	var stdout, stderr strings.Builder
	g := newGlobalOptions(strings.NewReader(""), &stdout, &stderr, func(k string) string { return env[k] })
	g.StdoutIsTerminal = terminal
	code := execute(t.Context(), args, g)
	return g, code, stderr.String()
}

func TestGlobalOptions(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		terminal bool
		check    func(t *testing.T, g *globalOptions)
	}{
		{
			name: "defaults",
			args: []string{"testcmd"},
			check: func(t *testing.T, g *globalOptions) {
				if g.Format != formatHuman || g.Timeout != 15*time.Second || g.LogLevel != "warn" ||
					g.Socket != "" || g.SocketFromFlag || g.State != "" || g.CheckpointDir != "" ||
					g.NoColor || g.Color || len(g.Vars)+len(g.VarFiles)+len(g.Targets) != 0 {
					t.Errorf("unexpected defaults: %+v", *g)
				}
			},
		},
		{
			name: "socket from environment",
			args: []string{"testcmd"},
			env:  map[string]string{"SOZU_SOCKET": "/run/sozu/sozu.sock"},
			check: func(t *testing.T, g *globalOptions) {
				if g.Socket != "/run/sozu/sozu.sock" || g.SocketFromFlag {
					t.Errorf("socket %q from flag %t", g.Socket, g.SocketFromFlag)
				}
			},
		},
		{
			name: "socket flag wins over environment",
			args: []string{"testcmd", "--socket=/a.sock"},
			env:  map[string]string{"SOZU_SOCKET": "/b.sock"},
			check: func(t *testing.T, g *globalOptions) {
				if g.Socket != "/a.sock" || !g.SocketFromFlag {
					t.Errorf("socket %q from flag %t", g.Socket, g.SocketFromFlag)
				}
			},
		},
		{
			name: "repeatable flags keep their order, after the arguments too",
			args: []string{"testcmd", "dir", "--var", "b=2", "--var=a=1=x", "--target", "cluster.b", "-target=cluster.a", "--var-file", "x.vars"},
			check: func(t *testing.T, g *globalOptions) {
				if !slices.Equal(g.Vars, []string{"b=2", "a=1=x"}) {
					t.Errorf("vars %q", g.Vars)
				}
				if !slices.Equal(g.Targets, []string{"cluster.b", "cluster.a"}) {
					t.Errorf("targets %q", g.Targets)
				}
				if !slices.Equal(g.VarFiles, []string{"x.vars"}) {
					t.Errorf("var files %q", g.VarFiles)
				}
			},
		},
		{
			name: "state, timeout, checkpoint dir, format",
			args: []string{"--state", "s.state", "testcmd", "--timeout", "1m30s", "--checkpoint-dir", "ck", "--format", "json"},
			check: func(t *testing.T, g *globalOptions) {
				if g.State != "s.state" || g.Timeout != 90*time.Second || g.CheckpointDir != "ck" || g.Format != formatJSON {
					t.Errorf("got %+v", *g)
				}
			},
		},
		{
			name:     "colour on a terminal",
			args:     []string{"testcmd"},
			terminal: true,
			check: func(t *testing.T, g *globalOptions) {
				if !g.Color {
					t.Error("colour off on a terminal")
				}
			},
		},
		{
			name:     "no colour with --no-color",
			args:     []string{"testcmd", "--no-color"},
			terminal: true,
			check: func(t *testing.T, g *globalOptions) {
				if g.Color || !g.NoColor {
					t.Errorf("color %t no-color %t", g.Color, g.NoColor)
				}
			},
		},
		{
			name:     "no colour with NO_COLOR",
			args:     []string{"testcmd"},
			env:      map[string]string{"NO_COLOR": "1"},
			terminal: true,
			check: func(t *testing.T, g *globalOptions) {
				if g.Color || !g.NoColor {
					t.Errorf("color %t no-color %t", g.Color, g.NoColor)
				}
			},
		},
		{
			name:     "empty NO_COLOR is not set",
			args:     []string{"testcmd"},
			env:      map[string]string{"NO_COLOR": ""},
			terminal: true,
			check: func(t *testing.T, g *globalOptions) {
				if !g.Color {
					t.Error("colour off")
				}
			},
		},
		{
			name:     "no colour on a dumb terminal",
			args:     []string{"testcmd"},
			env:      map[string]string{"TERM": "dumb"},
			terminal: true,
			check: func(t *testing.T, g *globalOptions) {
				if g.Color {
					t.Error("colour on")
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g, code, stderr := parseForTest(t, tt.args, tt.env, tt.terminal)
			if code != exitOK {
				t.Fatalf("exit code %d, stderr %q", code, stderr)
			}
			tt.check(t, g)
			if color.NoColor == g.Color {
				t.Errorf("fatih/color's NoColor is %t while Color is %t", color.NoColor, g.Color)
			}
		})
	}
}

func TestGlobalOptionsRejected(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"bad format", []string{"testcmd", "--format", "xml"}, `Error: invalid --format "xml" (use human, json or markdown)`},
		{"format the command lacks", []string{"testcmd", "--format", "markdown"}, "Error: sozuctl-plan testcmd does not support --format markdown (use human or json)"},
		{"bad log level", []string{"testcmd", "--log-level", "trace"}, `Error: invalid --log-level "trace"`},
		{"negative timeout", []string{"testcmd", "--timeout=-1s"}, "Error: invalid --timeout -1s (it must be positive)"},
		{"bad duration", []string{"testcmd", "--timeout", "15"}, `Error: invalid argument "15" for "--timeout" flag`},
		{"var without value", []string{"testcmd", "--var", "x"}, `Error: invalid --var "x" (use NAME=VALUE)`},
		{"unknown flag", []string{"testcmd", "--nope"}, "Error: unknown flag: --nope"},
		{"missing value", []string{"testcmd", "--state"}, "Error: flag needs an argument: --state"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, code, stderr := parseForTest(t, tt.args, nil, false)
			if code != exitFailure {
				t.Errorf("exit code %d, want %d", code, exitFailure)
			}
			if !strings.HasPrefix(stderr, tt.want) {
				t.Errorf("stderr %q, want prefix %q", stderr, tt.want)
			}
			if !strings.HasSuffix(stderr, "Run 'sozuctl-plan testcmd --help' for usage.\n") {
				t.Errorf("stderr %q lacks the help hint", stderr)
			}
			if strings.Count(stderr, "\n") != 2 {
				t.Errorf("stderr is not one error line and one hint: %q", stderr)
			}
		})
	}
}
