package main

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclparse"
	"github.com/zclconf/go-cty/cty"

	"github.com/sozuctl-plan/sozuctl-plan/planfile"
)

// planFileVariables gathers the values of the variables that a saved plan's
// private keys came from, with the precedence of a configuration's
// variables: SOZU_VAR_<name>, then each --var-file in order, then --var
// (the last one wins). Only the names in refs are looked up, and only
// string values are kept: a private key is a string.
func planFileVariables(g *globalOptions, refs []planfile.KeyRef) (map[string]string, error) {
	wanted := map[string]bool{}
	for _, r := range refs {
		if r.Variable != "" {
			wanted[r.Variable] = true
		}
	}
	vars := map[string]string{}
	if len(wanted) == 0 {
		return vars, nil
	}
	if g.Getenv != nil {
		for name := range wanted {
			if v := g.Getenv("SOZU_VAR_" + name); v != "" {
				vars[name] = v
			}
		}
	}
	parser := hclparse.NewParser()
	for _, path := range g.VarFiles {
		f, diags := parser.ParseHCLFile(path)
		if diags.HasErrors() {
			return nil, fmt.Errorf("reading the variables file %s: %s", path, firstDiagnostic(diags))
		}
		attrs, diags := f.Body.JustAttributes()
		if diags.HasErrors() {
			return nil, fmt.Errorf("reading the variables file %s: %s", path, firstDiagnostic(diags))
		}
		for name, attr := range attrs {
			if !wanted[name] {
				continue
			}
			v, diags := attr.Expr.Value(nil)
			if diags.HasErrors() {
				return nil, fmt.Errorf("reading the variables file %s: %s", path, firstDiagnostic(diags))
			}
			if v.IsNull() || !v.IsKnown() || v.Type() != cty.String {
				return nil, fmt.Errorf("%s: variable %s must be a string to hold a private key", position(attr.Range), name)
			}
			vars[name] = v.AsString()
		}
	}
	for _, kv := range g.Vars {
		name, value, _ := strings.Cut(kv, "=")
		if name = strings.TrimSpace(name); wanted[name] {
			vars[name] = value
		}
	}
	return vars, nil
}

// firstDiagnostic renders the first error of diags as file:line:col: text.
func firstDiagnostic(diags hcl.Diagnostics) string {
	for _, d := range diags {
		if d.Severity != hcl.DiagError {
			continue
		}
		msg := d.Summary
		if d.Detail != "" {
			msg += "; " + d.Detail
		}
		if d.Subject != nil {
			return position(*d.Subject) + ": " + msg
		}
		return msg
	}
	return diags.Error()
}

// position renders the start of r as file:line:col.
func position(r hcl.Range) string {
	return fmt.Sprintf("%s:%d:%d", r.Filename, r.Start.Line, r.Start.Column)
}
