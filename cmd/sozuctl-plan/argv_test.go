package main

import (
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

// testFlags is a tree's flags as collectLongFlags would find them.
var testFlags = longFlags{
	"out":               true,
	"check":             false,
	"diff":              false,
	"detailed-exitcode": false,
	"auto-approve":      false,
	"socket":            true,
	"var":               true,
	"no-color":          false,
	"output-dir":        true,
	"o":                 true,
	"h":                 false,
}

func TestRewriteSingleDashFlags(t *testing.T) {
	tests := []struct {
		name string
		in   []string
		want []string
	}{
		{"empty", nil, []string{}},
		{"terraform bool", []string{"plan", "-detailed-exitcode", "dir"}, []string{"plan", "--detailed-exitcode", "dir"}},
		{"terraform value separate", []string{"plan", "-out", "p.plan"}, []string{"plan", "--out", "p.plan"}},
		{"terraform value joined", []string{"plan", "-out=p.plan"}, []string{"plan", "--out=p.plan"}},
		{"value that looks like a flag", []string{"plan", "-out", "-check"}, []string{"plan", "--out", "-check"}},
		{"gnu value that looks like a flag", []string{"plan", "--out", "-check", "-diff"}, []string{"plan", "--out", "-check", "--diff"}},
		{"bool does not eat next", []string{"fmt", "-check", "-diff", "x"}, []string{"fmt", "--check", "--diff", "x"}},
		{"gnu untouched", []string{"--out=x", "--check"}, []string{"--out=x", "--check"}},
		{"short untouched", []string{"import", "-o", "dir", "-h"}, []string{"import", "-o", "dir", "-h"}},
		{"short with value untouched", []string{"-oDIR"}, []string{"-oDIR"}},
		{"value of a shorthand untouched", []string{"import", "-o", "-out"}, []string{"import", "-o", "-out"}},
		{"bool shorthand does not eat next", []string{"-h", "-out=x"}, []string{"-h", "--out=x"}},
		{"unknown single dash untouched", []string{"-xyz"}, []string{"-xyz"}},
		{"terraform name unknown to tree", []string{"-auto-approve"}, []string{"--auto-approve"}},
		{"known long common flag", []string{"-socket", "/s", "-no-color"}, []string{"--socket", "/s", "--no-color"}},
		{"help", []string{"-help"}, []string{"--help"}},
		{"after double dash", []string{"a", "--", "-out", "-check"}, []string{"a", "--", "-out", "-check"}},
		{"lone dash is an argument", []string{"fmt", "-"}, []string{"fmt", "-"}},
		{"empty value joined", []string{"-out="}, []string{"--out="}},
		{"value flag at end", []string{"plan", "-out"}, []string{"plan", "--out"}},
		{"repeatable", []string{"-var", "a=1", "-var=b=2"}, []string{"--var", "a=1", "--var=b=2"}},
		{"negative-looking argument", []string{"-1"}, []string{"-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := rewriteSingleDashFlags(tt.in, testFlags)
			if !slices.Equal(got, tt.want) {
				t.Errorf("rewriteSingleDashFlags(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCollectLongFlags(t *testing.T) {
	root := &cobra.Command{Use: "root"}
	root.PersistentFlags().String("socket", "", "")
	sub := &cobra.Command{Use: "sub", Run: func(*cobra.Command, []string) {}}
	sub.Flags().Bool("check", false, "")
	sub.Flags().StringP("output-dir", "o", "", "")
	sub.Flags().Int("count", 0, "")
	other := &cobra.Command{Use: "other", Run: func(*cobra.Command, []string) {}}
	other.Flags().String("check", "", "") // the same name taking a value elsewhere
	root.AddCommand(sub, other)

	got := collectLongFlags(root)
	want := longFlags{"socket": true, "check": true, "output-dir": true, "o": true, "count": true}
	for name, takes := range want {
		if g, ok := got[name]; !ok || g != takes {
			t.Errorf("flag %q: got (%t, present %t), want %t", name, g, ok, takes)
		}
	}
	if len(got) != len(want) {
		t.Errorf("got %d flags %v, want %d", len(got), got, len(want))
	}
}

// FuzzRewriteSingleDashFlags checks the rewriting's invariants on any
// argument list: one output word per input word, each either unchanged or
// the input with one more leading dash, and nothing changed after "--".
func FuzzRewriteSingleDashFlags(f *testing.F) {
	f.Add("plan\x00-out\x00p\x00-detailed-exitcode")
	f.Add("-out=x\x00--\x00-check")
	f.Add("-o\x00d\x00-\x00--var\x00-x")
	f.Fuzz(func(t *testing.T, joined string) {
		in := strings.Split(joined, "\x00")
		out := rewriteSingleDashFlags(in, testFlags)
		if len(out) != len(in) {
			t.Fatalf("%d words in, %d out: %q -> %q", len(in), len(out), in, out)
		}
		afterDashes := false
		for i := range in {
			if afterDashes && out[i] != in[i] {
				t.Fatalf("word %d after -- changed: %q -> %q", i, in[i], out[i])
			}
			if out[i] != in[i] && out[i] != "-"+in[i] {
				t.Fatalf("word %d rewritten oddly: %q -> %q", i, in[i], out[i])
			}
			if out[i] != in[i] && !strings.HasPrefix(in[i], "-") {
				t.Fatalf("word %d is not a flag but was rewritten: %q", i, in[i])
			}
			// "--" ends the flags unless it is the value of the flag before.
			if in[i] == "--" && (i == 0 || !strings.HasPrefix(in[i-1], "-") || strings.Contains(in[i-1], "=")) {
				afterDashes = true
			}
		}
	})
}

func BenchmarkRewriteSingleDashFlags(b *testing.B) {
	args := []string{"apply", "-out=plan.bin", "-auto-approve", "--var", "a=1", "-target", "cluster.api", "dir"}
	for b.Loop() {
		rewriteSingleDashFlags(args, testFlags)
	}
}
