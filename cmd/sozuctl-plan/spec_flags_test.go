package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// specFlag is one row of SPEC §2's flag table: a flag, the type pflag
// gives it, and its default where the specification states one.
type specFlag struct {
	name      string
	shorthand string
	typ       string // pflag's type name: bool, string, stringArray, duration
	def       string // the default value as pflag prints it; "" skips the check
}

// commonSpecFlags are SPEC §2's common flags.
var commonSpecFlags = []specFlag{
	{name: "socket", typ: "string"},
	{name: "state", typ: "string"},
	{name: "var", typ: "stringArray"},
	{name: "var-file", typ: "stringArray"},
	{name: "target", typ: "stringArray"},
	{name: "format", typ: "string", def: "human"},
	{name: "no-color", typ: "bool", def: "false"},
	{name: "timeout", typ: "duration", def: "15s"},
	{name: "log-level", typ: "string", def: "warn"},
	{name: "checkpoint-dir", typ: "string"},
}

// planSpecFlags are plan's own flags; apply has them too.
var planSpecFlags = []specFlag{
	{name: "out", typ: "string"},
	{name: "detailed-exitcode", typ: "bool", def: "false"},
	{name: "destroy", typ: "bool", def: "false"},
	{name: "replace", typ: "stringArray"},
}

// TestSpecFlagTable checks that every command of SPEC §2 exists in the
// command tree and has the flags the specification gives it, with their
// types and stated defaults, and that the common flags reach every command
// that talks to Sōzu or reads a configuration.
func TestSpecFlagTable(t *testing.T) {
	applyFlags := append(append([]specFlag{}, planSpecFlags...),
		specFlag{name: "auto-approve", typ: "bool", def: "false"},
		specFlag{name: "no-rollback", typ: "bool", def: "false"},
		specFlag{name: "bulk", typ: "bool", def: "false"},
		specFlag{name: "allow-mass-removal", typ: "bool", def: "false"},
		specFlag{name: "lock-timeout", typ: "duration", def: "0s"},
	)
	tests := []struct {
		path   string // the command path under the root
		flags  []specFlag
		common bool // the common flags must be reachable
	}{
		{path: "validate", common: true},
		{path: "fmt", flags: []specFlag{{name: "check", typ: "bool", def: "false"}, {name: "diff", typ: "bool", def: "false"}}},
		{path: "plan", flags: planSpecFlags, common: true},
		{path: "apply", flags: applyFlags, common: true},
		{path: "show", common: true},
		{path: "import", flags: []specFlag{{name: "from-toml", typ: "string"}, {name: "out", shorthand: "o", typ: "string"}}, common: true},
		{path: "state pull", flags: []specFlag{{name: "out", typ: "string"}}, common: true},
		{path: "state list", common: true},
		{path: "state show", common: true},
		{path: "force-unlock", common: true},
		{path: "rollback", flags: []specFlag{{name: "auto-approve", typ: "bool"}, {name: "no-rollback", typ: "bool"}, {name: "lock-timeout", typ: "duration"}}, common: true},
		{path: "sim", flags: []specFlag{
			{name: "workers", typ: "int", def: "2"}, {name: "fail-request", typ: "int"}, {name: "reject-request", typ: "int"},
			{name: "drop-after", typ: "int"}, {name: "lose-worker", typ: "int"}, {name: "delay", typ: "duration"},
		}, common: true},
		{path: "version"},
		{path: "completion"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			cmd := findCommand(t, tt.path)
			if strings.TrimSpace(cmd.Short) == "" || strings.TrimSpace(cmd.Example) == "" {
				t.Errorf("%s: no description or no example in --help", tt.path)
			}
			want := tt.flags
			if tt.common {
				want = append(append([]specFlag{}, want...), commonSpecFlags...)
			}
			for _, sf := range want {
				f := cmd.Flags().Lookup(sf.name)
				if f == nil {
					f = cmd.InheritedFlags().Lookup(sf.name)
				}
				if f == nil {
					t.Errorf("%s: no --%s flag", tt.path, sf.name)
					continue
				}
				checkSpecFlag(t, tt.path, f, sf)
			}
		})
	}
}

func checkSpecFlag(t *testing.T, path string, f *pflag.Flag, sf specFlag) {
	t.Helper()
	if got := f.Value.Type(); got != sf.typ {
		t.Errorf("%s --%s has type %s, want %s", path, sf.name, got, sf.typ)
	}
	if sf.shorthand != "" && f.Shorthand != sf.shorthand {
		t.Errorf("%s --%s has shorthand %q, want %q", path, sf.name, f.Shorthand, sf.shorthand)
	}
	if sf.def != "" && f.DefValue != sf.def {
		t.Errorf("%s --%s defaults to %q, want %q", path, sf.name, f.DefValue, sf.def)
	}
	if strings.TrimSpace(f.Usage) == "" {
		t.Errorf("%s --%s has no usage text", path, sf.name)
	}
}

// findCommand returns the command at path ("state pull") in a fresh tree.
func findCommand(t *testing.T, path string) *cobra.Command {
	t.Helper()
	var stdout, stderr strings.Builder
	g := newGlobalOptions(strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	root := newRootCommand(g)
	cmd, rest, err := root.Find(strings.Fields(path))
	if err != nil || len(rest) > 0 || cmd.CommandPath() != "sozuctl-plan "+path {
		t.Fatalf("no command %q in the tree (found %q, rest %q, err %v)", path, cmd.CommandPath(), rest, err)
	}
	return cmd
}

// TestSpecFlagSpellings parses SPEC §2's spellings through the real
// argument handling: GNU-style flags before or after the positionals, with
// "=" or a separate value, and Terraform's single-dash forms.
func TestSpecFlagSpellings(t *testing.T) {
	tests := []struct {
		name string
		args []string
		want map[string]string // flag name → value after parsing
		pos  []string
	}{
		{name: "plan, flags after the directory", args: []string{"plan", "dir", "--out", "p.plan", "--detailed-exitcode"},
			want: map[string]string{"out": "p.plan", "detailed-exitcode": "true"}, pos: []string{"dir"}},
		{name: "plan, flags before, with =", args: []string{"plan", "--out=p.plan", "--destroy", "dir"},
			want: map[string]string{"out": "p.plan", "destroy": "true"}, pos: []string{"dir"}},
		{name: "plan, Terraform spellings", args: []string{"plan", "-out", "p.plan", "-detailed-exitcode", "dir"},
			want: map[string]string{"out": "p.plan", "detailed-exitcode": "true"}, pos: []string{"dir"}},
		{name: "plan, Terraform spelling with =", args: []string{"plan", "dir", "-out=p.plan"},
			want: map[string]string{"out": "p.plan"}, pos: []string{"dir"}},
		{name: "apply, -auto-approve after a plan file", args: []string{"apply", "p.plan", "-auto-approve"},
			want: map[string]string{"auto-approve": "true"}, pos: []string{"p.plan"}},
		{name: "fmt, -check -diff", args: []string{"fmt", "-check", "a.hcl", "-diff", "dir"},
			want: map[string]string{"check": "true", "diff": "true"}, pos: []string{"a.hcl", "dir"}},
		{name: "import, -o", args: []string{"import", "--state", "s.state", "-o", "out"},
			want: map[string]string{"out": "out", "state": "s.state"}},
		{name: "common flags after the positional", args: []string{"validate", "dir", "--var", "a=b", "--timeout=3s", "--no-color"},
			want: map[string]string{"var": "[a=b]", "timeout": "3s", "no-color": "true"}, pos: []string{"dir"}},
		{name: "state pull, --out", args: []string{"state", "pull", "--out", "x.state"},
			want: map[string]string{"out": "x.state"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr strings.Builder
			g := newGlobalOptions(strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
			root := newRootCommand(g)
			args := rewriteSingleDashFlags(tt.args, collectLongFlags(root))
			cmd, rest, err := root.Find(args)
			if err != nil {
				t.Fatal(err)
			}
			// Find leaves the flags in rest; parse them as cobra would.
			if err := cmd.ParseFlags(rest); err != nil {
				t.Fatalf("parsing %q: %v", args, err)
			}
			for name, want := range tt.want {
				f := cmd.Flags().Lookup(name)
				if f == nil {
					t.Fatalf("no --%s", name)
				}
				if got := f.Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", name, got, want)
				}
			}
			pos := cmd.Flags().Args()
			if strings.Join(pos, " ") != strings.Join(tt.pos, " ") {
				t.Errorf("positionals %q, want %q", pos, tt.pos)
			}
		})
	}
}

// TestExamplesParse checks that every example in every command's help
// names a real command and only flags it has, so that an operator who
// copies one gets the command, not a usage error.
func TestExamplesParse(t *testing.T) {
	var stdout, stderr strings.Builder
	g := newGlobalOptions(strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	root := newRootCommand(g)
	root.InitDefaultHelpCmd()
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Hidden {
			return
		}
		for _, line := range strings.Split(c.Example, "\n") {
			line = strings.TrimSpace(line)
			line, _, _ = strings.Cut(line, " #")
			line, _, _ = strings.Cut(line, " >") // a shell redirection
			line, _, _ = strings.Cut(line, " |") // or pipe
			line = strings.TrimSuffix(strings.TrimSpace(line), "&")
			fields := strings.Fields(line)
			if len(fields) == 0 || fields[0] != "sozuctl-plan" {
				continue
			}
			t.Run(line, func(t *testing.T) {
				var so, se strings.Builder
				g := newGlobalOptions(strings.NewReader(""), &so, &se, func(string) string { return "" })
				r := newRootCommand(g)
				r.InitDefaultHelpCmd()
				args := rewriteSingleDashFlags(fields[1:], collectLongFlags(r))
				cmd, rest, err := r.Find(args)
				if err != nil {
					t.Fatalf("no command: %v", err)
				}
				if err := cmd.ParseFlags(rest); err != nil {
					t.Fatalf("%s: %v", cmd.CommandPath(), err)
				}
				if cmd.Args != nil {
					if err := cmd.Args(cmd, cmd.Flags().Args()); err != nil {
						t.Errorf("%s: %v", cmd.CommandPath(), err)
					}
				}
			})
		}
	}
	walk(root)
}
