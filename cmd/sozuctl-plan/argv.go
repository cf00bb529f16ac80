package main

import (
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// terraformFlags are the single-dash spellings Terraform users type, which
// are rewritten to their "--" form even where the command at hand does not
// define them (pflag would otherwise read "-out" as the shorthands o, u, t and
// print a puzzling message). help and version are here because cobra adds
// those flags only when a command runs.
var terraformFlags = map[string]bool{
	"out":               true,
	"check":             true,
	"diff":              true,
	"detailed-exitcode": true,
	"auto-approve":      true,
	"help":              true,
	"version":           true,
}

// longFlags records the flag names defined anywhere in a command tree and
// whether each takes a value. Long names are stored as they are; a
// shorthand is stored as its single letter.
type longFlags map[string]bool

// collectLongFlags walks the tree rooted at root and returns its long flags,
// mapped to true when the flag needs a value ("--out FILE") and to false
// when it stands alone ("--check").
func collectLongFlags(root *cobra.Command) longFlags {
	flags := longFlags{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		add := func(f *pflag.Flag) {
			takesValue := f.NoOptDefVal == ""
			if prev, ok := flags[f.Name]; ok {
				takesValue = takesValue || prev
			}
			flags[f.Name] = takesValue
			if f.Shorthand != "" {
				flags[f.Shorthand] = flags[f.Shorthand] || takesValue
			}
		}
		c.LocalFlags().VisitAll(add)
		c.PersistentFlags().VisitAll(add)
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return flags
}

// rewriteSingleDashFlags returns args with Terraform-style single-dash long
// flags ("-out", "-out=FILE", "-detailed-exitcode") rewritten to their GNU
// form ("--out", "--out=FILE", "--detailed-exitcode"). A single-dash word is
// rewritten when its name (before any "=") is longer than one character and
// is either a long flag of the tree or one of Terraform's spellings; short
// flags ("-o DIR", "-h") and everything else are left alone. Nothing after
// "--" is touched, nor the word that follows a flag needing a value (long,
// or a lone shorthand such as "-o"), so a value that happens to start with a
// dash survives.
func rewriteSingleDashFlags(args []string, known longFlags) []string {
	out := make([]string, 0, len(args))
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			out = append(out, args[i:]...)
			break
		}
		var name string
		var hasValue bool
		switch {
		case strings.HasPrefix(a, "--"):
			name, _, hasValue = strings.Cut(a[2:], "=")
		case len(a) == 2 && a[0] == '-':
			name = a[1:]
		case strings.HasPrefix(a, "-") && len(a) > 2:
			n, _, v := strings.Cut(a[1:], "=")
			if _, ok := known[n]; len(n) > 1 && (ok || terraformFlags[n]) {
				a = "-" + a
				name, hasValue = n, v
			}
		}
		out = append(out, a)
		if name != "" && !hasValue && known[name] && i+1 < len(args) {
			i++
			out = append(out, args[i])
		}
	}
	return out
}
