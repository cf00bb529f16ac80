package main

import (
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// TestEveryCommandHasHelp walks the command tree of this build and checks
// that every visible command explains itself: a short line, examples of
// its use, no local flag hiding a common one, and no hook replacing the
// root's.
func TestEveryCommandHasHelp(t *testing.T) {
	var stdout, stderr strings.Builder
	g := newGlobalOptions(strings.NewReader(""), &stdout, &stderr, func(string) string { return "" })
	root := newRootCommand(g)
	root.InitDefaultHelpCmd()
	common := map[string]bool{}
	root.PersistentFlags().VisitAll(func(f *pflag.Flag) { common[f.Name] = true })

	seen := map[string]bool{}
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, sub := range c.Commands() {
			walk(sub)
		}
		if c.Hidden || c.Name() == "__complete" || c.Name() == "__completeNoDesc" {
			return
		}
		path := c.CommandPath()
		t.Run(path, func(t *testing.T) {
			if seen[path] {
				t.Errorf("%s is registered twice", path)
			}
			seen[path] = true
			if strings.TrimSpace(c.Short) == "" {
				t.Errorf("%s has no Short description", path)
			}
			if strings.TrimSpace(c.Example) == "" {
				t.Errorf("%s has no Example", path)
			}
			if c != root && !strings.Contains(c.Example, path) {
				t.Errorf("%s: no example runs it:\n%s", path, c.Example)
			}
			if c != root && (c.PersistentPreRun != nil || c.PersistentPreRunE != nil) {
				t.Errorf("%s sets PersistentPreRun, which would skip the root's resolution of the common flags", path)
			}
			if c != root {
				c.LocalNonPersistentFlags().VisitAll(func(f *pflag.Flag) {
					if common[f.Name] {
						t.Errorf("%s: flag --%s hides the common flag of the same name", path, f.Name)
					}
				})
			}
		})
	}
	walk(root)
	for _, want := range []string{"sozuctl-plan", "sozuctl-plan version", "sozuctl-plan completion", "sozuctl-plan help"} {
		if !seen[want] {
			t.Errorf("command %q is missing", want)
		}
	}
}
