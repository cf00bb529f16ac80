package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/spf13/cobra"
)

func TestPositionals(t *testing.T) {
	tests := []struct {
		name     string
		min, max int
		what     string
		args     []string
		want     string // "" for no error
	}{
		{name: "optional, none", min: 0, max: 1, what: "a DIR", args: nil},
		{name: "optional, one", min: 0, max: 1, what: "a DIR", args: []string{"d"}},
		{name: "optional, two", min: 0, max: 1, what: "a DIR", args: []string{"a", "b"},
			want: `sozuctl-plan x takes at most one argument, a DIR; got 2: "a" "b"`},
		{name: "exact, none", min: 1, max: 1, what: "a FILE", want: "sozuctl-plan x needs a FILE"},
		{name: "exact, two", min: 1, max: 1, what: "a FILE", args: []string{"a", "b"},
			want: `sozuctl-plan x takes exactly one argument, a FILE; got 2: "a" "b"`},
		{name: "none allowed", min: 0, max: 0, args: []string{"a b"}, want: `sozuctl-plan x takes no arguments, got "a b"`},
		{name: "none allowed, with a hint", min: 0, max: 0, what: "use --in", args: []string{"f"},
			want: `sozuctl-plan x takes no arguments (use --in), got "f"`},
		{name: "two at most", min: 0, max: 2, what: "PATHs", args: []string{"a", "b", "c"},
			want: `sozuctl-plan x takes at most 2 arguments, PATHs; got 3: "a" "b" "c"`},
		{name: "no limit", min: 1, max: -1, what: "PATHs", args: []string{"a", "b", "c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := &cobra.Command{Use: "sozuctl-plan"}
			cmd := &cobra.Command{Use: "x"}
			root.AddCommand(cmd)
			err := positionals(tt.min, tt.max, tt.what)(cmd, tt.args)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("unexpected error %v", err)
				}
				return
			}
			if err == nil || err.Error() != tt.want {
				t.Fatalf("error %v, want %q", err, tt.want)
			}
			var ue *usageError
			if !errors.As(err, &ue) || !strings.Contains(ue.cmd, "sozuctl-plan x") {
				t.Errorf("%v is not a usage error of sozuctl-plan x", err)
			}
		})
	}
}
