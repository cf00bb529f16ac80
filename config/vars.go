package config

import (
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/typeexpr"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	hcljson "github.com/hashicorp/hcl/v2/json"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// sensitiveMark is the cty mark carried by values of sensitive variables.
type markName string

const sensitiveMark = markName("sensitive")

var variableSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "type"}, {Name: "default"}, {Name: "description"},
		{Name: "sensitive"}, {Name: "nullable"},
	},
	Blocks: []hcl.BlockHeaderSchema{{Type: "validation"}},
}

var validationSchema = &hcl.BodySchema{
	Attributes: []hcl.AttributeSchema{
		{Name: "condition", Required: true},
		{Name: "error_message", Required: true},
	},
}

// variable is one declared input variable.
type variable struct {
	name        string
	decl        hcl.Range
	ty          cty.Type
	defaults    *typeexpr.Defaults
	def         *hcl.Attribute
	sensitive   bool
	nullable    bool
	validations []*hcl.Block
	value       cty.Value
	set         bool
}

// declareVariables reads the variable blocks.
func declareVariables(blocks []*hcl.Block) (map[string]*variable, []string, hcl.Diagnostics) {
	var diags hcl.Diagnostics
	vars := map[string]*variable{}
	var order []string
	for _, blk := range blocks {
		name := blk.Labels[0]
		if !hclsyntax.ValidIdentifier(name) {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid variable name",
				Detail:  "A variable name must start with a letter or underscore and contain only letters, digits, underscores and dashes.",
				Subject: blk.LabelRanges[0].Ptr(),
			})
			continue
		}
		if prev, ok := vars[name]; ok {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Duplicate variable",
				Detail:  fmt.Sprintf("Variable %q was already declared at %s.", name, prev.decl),
				Subject: blk.DefRange.Ptr(),
			})
			continue
		}
		content, d := blk.Body.Content(variableSchema)
		diags = append(diags, d...)
		v := &variable{name: name, decl: blk.DefRange, ty: cty.DynamicPseudoType, nullable: true}
		if a, ok := content.Attributes["type"]; ok {
			ty, defs, d := typeexpr.TypeConstraintWithDefaults(a.Expr)
			diags = append(diags, d...)
			if !d.HasErrors() {
				v.ty, v.defaults = ty, defs
			}
		}
		for _, flag := range []struct {
			name string
			dst  *bool
		}{{"sensitive", &v.sensitive}, {"nullable", &v.nullable}} {
			a, ok := content.Attributes[flag.name]
			if !ok {
				continue
			}
			val, d := a.Expr.Value(nil)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			b, err := convert.Convert(val, cty.Bool)
			if err != nil || b.IsNull() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Incorrect attribute value type",
					Detail: fmt.Sprintf("%q must be true or false.", flag.name), Subject: a.Expr.Range().Ptr(),
				})
				continue
			}
			*flag.dst = b.True()
		}
		if a, ok := content.Attributes["description"]; ok {
			_, d := a.Expr.Value(nil)
			diags = append(diags, d...)
		}
		v.def = content.Attributes["default"]
		for _, vb := range content.Blocks {
			if vb.Type == "validation" {
				v.validations = append(v.validations, vb)
			}
		}
		vars[name] = v
		order = append(order, name)
	}
	return vars, order, diags
}

// resolveVariables gives every variable its value, by increasing precedence:
// default, SOZU_VAR_<name>, --var-file (in order), --var.
func resolveVariables(vars map[string]*variable, order []string, opts Options, files map[string][]byte) hcl.Diagnostics {
	var diags hcl.Diagnostics
	names := make([]string, 0, len(vars))
	for n := range vars {
		names = append(names, n)
	}
	sort.Strings(names)

	for _, name := range order {
		v := vars[name]
		if v.def == nil {
			continue
		}
		val, d := v.def.Expr.Value(nil)
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		diags = append(diags, v.assign(val, v.def.Expr.Range(), "default value")...)
	}

	environ := opts.Environ
	if environ == nil {
		environ = os.Environ()
	}
	for _, kv := range environ {
		rest, ok := strings.CutPrefix(kv, "SOZU_VAR_")
		if !ok {
			continue
		}
		name, raw, ok := strings.Cut(rest, "=")
		if !ok {
			continue
		}
		v, ok := vars[name]
		if !ok {
			continue // Terraform ignores environment values for undeclared variables.
		}
		diags = append(diags, v.assignRaw(raw, "environment variable SOZU_VAR_"+name)...)
	}

	for _, path := range opts.VarFiles {
		src, err := os.ReadFile(path)
		if err != nil {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Cannot read variables file",
				Detail: fmt.Sprintf("Reading %s: %s.", path, unwrapPathError(err)),
			})
			continue
		}
		files[path] = src
		var f *hcl.File
		var d hcl.Diagnostics
		if strings.HasSuffix(path, ".json") {
			f, d = hcljson.Parse(src, path)
		} else {
			f, d = hclsyntax.ParseConfig(src, path, hcl.InitialPos)
		}
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		// A variables file assigns arbitrary names, so it has no schema:
		// its body is a plain set of attributes, as Terraform reads .tfvars.
		attrs, d := f.Body.JustAttributes()
		diags = append(diags, d...)
		sorted := make([]*hcl.Attribute, 0, len(attrs))
		for _, a := range attrs {
			sorted = append(sorted, a)
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
		for _, a := range sorted {
			v, ok := vars[a.Name]
			if !ok {
				diags = append(diags, undeclaredVariable(a.Name, names, a.NameRange.Ptr(), hcl.DiagWarning, "in a variables file"))
				continue
			}
			val, d := a.Expr.Value(nil)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			diags = append(diags, v.assign(val, a.Expr.Range(), "value from "+path)...)
		}
	}

	cliNames := make([]string, 0, len(opts.Vars))
	for n := range opts.Vars {
		cliNames = append(cliNames, n)
	}
	sort.Strings(cliNames)
	for _, name := range cliNames {
		v, ok := vars[name]
		if !ok {
			diags = append(diags, undeclaredVariable(name, names, nil, hcl.DiagError, "given with --var"))
			continue
		}
		diags = append(diags, v.assignRaw(opts.Vars[name], "--var "+name)...)
	}

	for _, name := range order {
		v := vars[name]
		if !v.set {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "No value for required variable",
				Detail:  fmt.Sprintf("Variable %q has no default; give it a value with --var, --var-file or SOZU_VAR_%s.", name, name),
				Subject: v.decl.Ptr(),
			})
			v.value = cty.UnknownVal(v.ty)
			continue
		}
		if v.value.IsNull() && !v.nullable {
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Required variable is null",
				Detail:  fmt.Sprintf("Variable %q is not nullable, and its value is null.", name),
				Subject: v.decl.Ptr(),
			})
		}
		if v.sensitive {
			v.value = v.value.Mark(sensitiveMark)
		}
	}
	return diags
}

func undeclaredVariable(name string, declared []string, subject *hcl.Range, sev hcl.DiagnosticSeverity, where string) *hcl.Diagnostic {
	detail := fmt.Sprintf("A value for variable %q was %s, but no variable of that name is declared.", name, where)
	if s := suggest(name, declared); s != "" {
		detail += fmt.Sprintf(" Did you mean %q?", s)
	}
	return &hcl.Diagnostic{Severity: sev, Summary: "Value for undeclared variable", Detail: detail, Subject: subject}
}

// assignRaw sets a value given as a raw string (--var, SOZU_VAR_): a
// variable of a primitive or unspecified type takes it as a string, any
// other type parses it as an HCL expression, as Terraform does.
func (v *variable) assignRaw(raw, origin string) hcl.Diagnostics {
	if v.ty == cty.DynamicPseudoType || v.ty.IsPrimitiveType() {
		return v.assign(cty.StringVal(raw), v.decl, origin)
	}
	expr, diags := hclsyntax.ParseExpression([]byte(raw), origin, hcl.InitialPos)
	if diags.HasErrors() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail:  fmt.Sprintf("The %s for variable %q is not a valid expression: %s", origin, v.name, diags.Error()),
			Subject: v.decl.Ptr(),
		}}
	}
	val, diags := expr.Value(nil)
	if diags.HasErrors() {
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail:  fmt.Sprintf("The %s for variable %q cannot be evaluated: %s", origin, v.name, diags.Error()),
			Subject: v.decl.Ptr(),
		}}
	}
	return v.assign(val, v.decl, origin)
}

func (v *variable) assign(val cty.Value, rng hcl.Range, origin string) hcl.Diagnostics {
	if v.defaults != nil {
		val = v.defaults.Apply(val)
	}
	conv, err := convert.Convert(val, v.ty)
	if err != nil {
		// Mark it set, unknown: uses of it then stay quiet.
		v.value, v.set = cty.UnknownVal(v.ty), true
		return hcl.Diagnostics{{
			Severity: hcl.DiagError, Summary: "Invalid value for variable",
			Detail:  fmt.Sprintf("The %s for variable %q is not a %s: %s.", origin, v.name, v.ty.FriendlyNameForConstraint(), err),
			Subject: rng.Ptr(),
		}}
	}
	v.value, v.set = conv, true
	return nil
}

// checkValidations evaluates every validation block of every variable.
func checkValidations(vars map[string]*variable, order []string, base *hcl.EvalContext) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, name := range order {
		v := vars[name]
		if !v.set || !v.value.IsWhollyKnown() {
			continue // no value, or one already reported as invalid
		}
		for _, vb := range v.validations {
			content, d := vb.Body.Content(validationSchema)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			cond := content.Attributes["condition"]
			res, d := cond.Expr.Value(base)
			diags = append(diags, d...)
			if d.HasErrors() {
				continue
			}
			res, _ = res.Unmark()
			b, err := convert.Convert(res, cty.Bool)
			if err != nil || b.IsNull() || !b.IsKnown() {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Invalid validation condition",
					Detail: "The condition must be true or false.", Subject: cond.Expr.Range().Ptr(),
				})
				continue
			}
			if b.True() {
				continue
			}
			msgAttr := content.Attributes["error_message"]
			msg, d := msgAttr.Expr.Value(base)
			detail := fmt.Sprintf("The value of variable %q failed its validation condition.", name)
			if !d.HasErrors() {
				if m, err := convert.Convert(msg, cty.String); err == nil && !m.IsNull() && m.IsKnown() {
					if m.IsMarked() {
						detail = fmt.Sprintf("The value of variable %q failed its validation condition (the message is sensitive).", name)
					} else {
						detail = m.AsString()
					}
				}
			}
			diags = append(diags, &hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Invalid value for variable",
				Detail: detail, Subject: cond.Expr.Range().Ptr(),
			})
		}
	}
	return diags
}

// local is one named value of a locals block.
type local struct {
	attr     *hcl.Attribute
	state    int  // 0 pending, 1 in progress, 2 done
	deferred bool // refers to listeners or clusters: evaluated once they exist
}

// localValues evaluates the locals blocks. Locals are evaluated before
// listeners and clusters are decoded (dynamic listener blocks may use
// them), except those that refer to listener or cluster, directly or
// through another local: they are evaluated by evalDeferred, once those
// references are in scope.
type localValues struct {
	ctx    *hcl.EvalContext
	ev     *evaluator
	locals map[string]*local
	order  []string
	values map[string]cty.Value
	diags  hcl.Diagnostics
	late   bool // evaluating deferred locals
}

func newLocals(blocks []*hcl.Block, ctx *hcl.EvalContext, ev *evaluator) *localValues {
	lv := &localValues{ctx: ctx, ev: ev, locals: map[string]*local{}, values: map[string]cty.Value{}}
	for _, blk := range blocks {
		// A locals block declares arbitrary names: it has no schema by nature.
		attrs, d := blk.Body.JustAttributes()
		lv.diags = append(lv.diags, d...)
		sorted := make([]*hcl.Attribute, 0, len(attrs))
		for _, a := range attrs {
			sorted = append(sorted, a)
		}
		sort.Slice(sorted, func(i, j int) bool { return sorted[i].Range.Start.Byte < sorted[j].Range.Start.Byte })
		for _, a := range sorted {
			if prev, ok := lv.locals[a.Name]; ok {
				lv.diags = append(lv.diags, &hcl.Diagnostic{
					Severity: hcl.DiagError, Summary: "Duplicate local value",
					Detail:  fmt.Sprintf("Local value %q was already defined at %s.", a.Name, prev.attr.NameRange),
					Subject: a.NameRange.Ptr(),
				})
				continue
			}
			lv.locals[a.Name] = &local{attr: a}
			lv.order = append(lv.order, a.Name)
		}
	}
	return lv
}

// names returns the declared local names, sorted.
func (lv *localValues) names() []string {
	out := append([]string(nil), lv.order...)
	sort.Strings(out)
	return out
}

// evalEarly evaluates every local that does not refer to listeners or
// clusters.
func (lv *localValues) evalEarly() hcl.Diagnostics {
	lv.ctx.Variables["local"] = cty.EmptyObjectVal
	for _, name := range lv.order {
		lv.visit(name, nil)
	}
	return lv.diags
}

// evalDeferred evaluates the locals that evalEarly left for later.
func (lv *localValues) evalDeferred() hcl.Diagnostics {
	lv.diags = nil
	lv.late = true
	for _, name := range lv.order {
		if l := lv.locals[name]; l.deferred {
			l.state = 0
		}
	}
	for _, name := range lv.order {
		lv.visit(name, nil)
	}
	return lv.diags
}

func (lv *localValues) set(name string, v cty.Value) {
	lv.values[name] = v
	lv.ctx.Variables["local"] = cty.ObjectVal(lv.values)
}

func (lv *localValues) visit(name string, stack []string) {
	l := lv.locals[name]
	switch l.state {
	case 2:
		return
	case 1:
		i := 0
		for i < len(stack) && stack[i] != name {
			i++
		}
		cycle := append(append([]string(nil), stack[i:]...), name)
		lv.diags = append(lv.diags, &hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Cycle in local values",
			Detail:  "Local values refer to each other in a cycle: local." + strings.Join(cycle, " → local.") + ".",
			Subject: l.attr.Expr.Range().Ptr(),
		})
		return
	}
	l.state = 1
	broken := false
	for _, tr := range l.attr.Expr.Variables() {
		root := tr.RootName()
		if !lv.late && (root == "listener" || root == "cluster") {
			l.deferred = true
			continue
		}
		if root != "local" || len(tr) < 2 {
			continue
		}
		step, ok := tr[1].(hcl.TraverseAttr)
		if !ok {
			continue
		}
		dep, ok := lv.locals[step.Name]
		if !ok {
			continue // reported when the expression is evaluated
		}
		before := len(lv.diags)
		lv.visit(step.Name, append(stack, name))
		if len(lv.diags) > before || dep.state != 2 {
			broken = true
		}
		if dep.deferred && !lv.late {
			l.deferred = true
		}
	}
	l.state = 2
	if broken {
		lv.set(name, cty.DynamicVal)
		return
	}
	if l.deferred && !lv.late {
		lv.set(name, cty.DynamicVal) // known once listeners and clusters are
		return
	}
	v, d := l.attr.Expr.Value(lv.ctx)
	lv.diags = append(lv.diags, lv.ev.explain(l.attr.Expr, d)...)
	if d.HasErrors() {
		v = cty.DynamicVal
	}
	lv.set(name, v)
}

// refersTo returns which of roots the local name refers to, directly or
// through other locals, or "" when it refers to none of them.
func (lv *localValues) refersTo(name string, roots []string) string {
	seen := map[string]bool{}
	var walk func(n string) string
	walk = func(n string) string {
		l, ok := lv.locals[n]
		if !ok || seen[n] {
			return ""
		}
		seen[n] = true
		for _, tr := range l.attr.Expr.Variables() {
			root := tr.RootName()
			for _, r := range roots {
				if root == r {
					return r
				}
			}
			if root != "local" || len(tr) < 2 {
				continue
			}
			if step, ok := tr[1].(hcl.TraverseAttr); ok {
				if r := walk(step.Name); r != "" {
					return r
				}
			}
		}
		return ""
	}
	return walk(name)
}
