package render

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// loadCase loads testdata/plan-cases/name.
func loadCase(t *testing.T, name string, vars map[string]string) *config.Config {
	t.Helper()
	cfg, diags := config.Load(filepath.Join("testdata", "plan-cases", name), config.Options{Vars: vars, Environ: []string{}})
	if diags.HasErrors() {
		t.Fatalf("%s: %v", name, diags)
	}
	return cfg
}

// casePlan plans from base to the configuration as the plan command does:
// objects named by the configuration, sensitive paths by address.
func casePlan(t *testing.T, base *state.State, cfg *config.Config, opts planner.Options) (*planner.Plan, PlanOptions) {
	t.Helper()
	opts.Namer = func(kind state.Kind, key string) string {
		if obj := cfg.Objects[config.ObjectID{Kind: kind, Key: key}]; obj != nil {
			return obj.Address
		}
		return ""
	}
	opts.Manage, opts.IgnoreClusters = cfg.Sozu.Manage, cfg.Sozu.IgnoreClusters
	p, err := planner.Compute(base, cfg.Desired, opts)
	if err != nil {
		t.Fatal(err)
	}
	sens := map[string][]string{}
	for _, o := range cfg.Objects {
		if len(o.Sensitive) > 0 {
			sens[o.Address] = o.Sensitive
		}
	}
	return p, PlanOptions{Sensitive: sens}
}

// TestPlanCasesGolden renders plans made by the planner from small
// configurations, in every view, and checks each JSON output against
// docs/plan.schema.json.
func TestPlanCasesGolden(t *testing.T) {
	sch := planSchema(t)
	key, err := os.ReadFile(filepath.Join("..", "examples", "basic", "certs", "api.key"))
	if err != nil {
		t.Fatal(err)
	}
	basic := loadCase(t, "basic", nil)
	changed := loadCase(t, "changed", nil)
	sensitive := loadCase(t, "sensitive", map[string]string{"tls_key": string(key)})
	stateBase := planner.Base{Source: planner.SourceState, Path: "sozu.state"}
	liveBase := planner.Base{Source: planner.SourceLive, Socket: "sozu.sock"}
	for _, tc := range []struct {
		name    string
		base    *state.State
		cfg     *config.Config
		opts    planner.Options
		changes bool
	}{
		{"create", nil, basic, planner.Options{}, true},
		{"nochange", basic.Desired, basic, planner.Options{Base: stateBase}, false},
		{"changed", basic.Desired, changed, planner.Options{Base: liveBase}, true},
		{"destroy", basic.Desired, basic, planner.Options{Base: liveBase, Destroy: true}, true},
		{"replace", basic.Desired, basic, planner.Options{Base: stateBase, Replace: []string{"cluster.api.backend.api-1"}}, true},
		{"sensitive", nil, sensitive, planner.Options{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, opts := casePlan(t, tc.base, tc.cfg, tc.opts)
			doc, err := NewPlanDocument(p, opts)
			if err != nil {
				t.Fatal(err)
			}
			if doc.HasChanges() != tc.changes {
				t.Fatalf("has changes: %t", doc.HasChanges())
			}
			for ext, out := range renderAll(t, doc) {
				golden.Check(t, filepath.Join("testdata", "plan-"+tc.name+"."+ext), out)
				assertNoSecrets(t, tc.name+"."+ext, out)
				if bytes.Contains(out, key[:40]) {
					t.Errorf("%s.%s shows the private key", tc.name, ext)
				}
				if ext == "json" {
					if err := validatePlanJSON(t, sch, out); err != nil {
						t.Errorf("%s: %v", tc.name, err)
					}
				}
				if ext == "txt" {
					last := out[bytes.LastIndexByte(bytes.TrimRight(out, "\n"), '\n')+1:]
					if tc.changes && !strings.HasPrefix(string(last), "Plan: ") {
						t.Errorf("last line %q", last)
					}
				}
			}
		})
	}
}

// TestPlanCasesDeterministic: loading and planning again gives the same
// bytes in every view.
func TestPlanCasesDeterministic(t *testing.T) {
	var first map[string][]byte
	for i := 0; i < 3; i++ {
		basic := loadCase(t, "basic", nil)
		changed := loadCase(t, "changed", nil)
		p, opts := casePlan(t, basic.Desired, changed, planner.Options{Base: planner.Base{Source: planner.SourceLive, Socket: "s.sock"}})
		doc, err := NewPlanDocument(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		out := renderAll(t, doc)
		if first == nil {
			first = out
			continue
		}
		for ext, b := range out {
			if !bytes.Equal(b, first[ext]) {
				t.Errorf("run %d: %s differs", i, ext)
			}
		}
	}
}
