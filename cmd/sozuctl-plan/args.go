package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
)

// positionals returns a cobra.PositionalArgs that accepts between min and
// max arguments (max < 0: no limit) and otherwise says, as a usage error,
// what the command takes: what names them, as in "PLANFILE | STATEFILE".
// It replaces cobra's "accepts 1 arg(s), received 0", which tells an
// operator the count but not what to give. With max 0, what (when set)
// says where the command's input comes from instead.
func positionals(min, max int, what string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		switch {
		case max == 0 && len(args) > 0 && what != "":
			return usageErrorf(cmd, "%s takes no arguments (%s), got %s", cmd.CommandPath(), what, quoteArgs(args))
		case max == 0 && len(args) > 0:
			return usageErrorf(cmd, "%s takes no arguments, got %s", cmd.CommandPath(), quoteArgs(args))
		case len(args) < min:
			return usageErrorf(cmd, "%s needs %s", cmd.CommandPath(), what)
		case max >= 0 && len(args) > max:
			n := "one argument"
			if max > 1 {
				n = fmt.Sprintf("%d arguments", max)
			}
			limit := "at most"
			if min == max {
				limit = "exactly"
			}
			return usageErrorf(cmd, "%s takes %s %s, %s; got %d: %s", cmd.CommandPath(), limit, n, what, len(args), quoteArgs(args))
		}
		return nil
	}
}

// quoteArgs renders args for an error message.
func quoteArgs(args []string) string {
	q := make([]string, len(args))
	for i, a := range args {
		q[i] = fmt.Sprintf("%q", a)
	}
	return strings.Join(q, " ")
}
