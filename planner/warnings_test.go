package planner

import (
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func TestWarnings(t *testing.T) {
	exact := front(h80, "x.example.com", "/login", "")
	exact.Path.Kind = sozupb.PathRuleKind_EQUALS.Enum()
	legacy := []proto.Message{httpL(h80, true), cluster("legacy-1"), front(h80, "old.example.com", "/", "legacy-1")}
	for _, tc := range []struct {
		name          string
		base, desired []proto.Message
		opts          Options
		warning       string
	}{
		{"removing a path_equals route", []proto.Message{httpL(h80, true), exact}, []proto.Message{httpL(h80, true)}, Options{},
			"cannot remove a path_equals route"},
		{"a target of an unchanged object", []proto.Message{cluster("a")}, []proto.Message{cluster("a"), cluster("b")},
			Options{Targets: []string{"cluster.a"}}, "--target cluster.a matches no change"},
		{"a listener removed under frontends out of scope", legacy, []proto.Message{},
			Options{IgnoreClusters: []string{"legacy-*"}}, "1 frontends out of the plan's scope stay"},
		{"an empty configuration", []proto.Message{cluster("a")}, nil, Options{}, "configuration is empty"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, mk(t, tc.base...), mk(t, tc.desired...), tc.opts)
			if !hasWarning(p, tc.warning) {
				t.Fatalf("no warning %q in %v / %+v", tc.warning, p.Warnings, p.Changes)
			}
		})
	}
}
