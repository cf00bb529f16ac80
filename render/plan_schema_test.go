package render

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
)

// planSchema compiles docs/plan.schema.json.
func planSchema(t testing.TB) *jsonschema.Schema {
	t.Helper()
	f, err := os.Open(filepath.Join("..", "docs", "plan.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	const url = "plan.schema.json"
	if err := c.AddResource(url, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(url)
	if err != nil {
		t.Fatal(err)
	}
	return sch
}

// validatePlanJSON fails unless b is valid against the schema.
func validatePlanJSON(t testing.TB, sch *jsonschema.Schema, b []byte) error {
	t.Helper()
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestPlanJSONSchema(t *testing.T) {
	sch := planSchema(t)
	p, opts := fixturePlan(t)
	for name, plan := range map[string]*planner.Plan{
		"fixture": p,
		"empty":   {Base: planner.Base{Source: planner.SourceEmpty, Fingerprint: "sha256:" + string(bytes.Repeat([]byte("0"), 64))}},
		"nil":     nil,
	} {
		doc, err := NewPlanDocument(plan, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := MarshalPlanJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		if err := validatePlanJSON(t, sch, b); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	// The schema is not a formality: a key in clear, a wrong action or a
	// string count are refused.
	for name, bad := range map[string]string{
		"key in clear": `"key": "(sensitive)"`,
		"action":       `"action": "create"`,
		"count":        `"create": 2`,
	} {
		doc, _ := NewPlanDocument(p, opts)
		b, _ := MarshalPlanJSON(doc)
		repl := map[string]string{
			"key in clear": `"key": "-----BEGIN PRIVATE KEY-----"`,
			"action":       `"action": "make"`,
			"count":        `"create": "2"`,
		}[name]
		mangled := bytes.Replace(b, []byte(bad), []byte(repl), 1)
		if bytes.Equal(mangled, b) {
			t.Fatalf("%s: %s not found in the output", name, bad)
		}
		if err := validatePlanJSON(t, sch, mangled); err == nil {
			t.Errorf("%s: the schema accepts it", name)
		}
	}
}
