package config

import (
	"fmt"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/ext/dynblock"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
)

// Dynamic blocks are expanded here directly against the schema of the
// block that holds them: for_each is evaluated once, and each iteration
// yields a block whose body is the content body bound to an evaluation
// context that holds the iterator ({key, value}), as ext/dynblock does. The
// generated blocks have the type, labels and ranges dynblock gives them, so
// the decoders and their diagnostics are the same either way. Whenever a
// dynamic block is not plainly well-formed (a for_each that does not
// evaluate, is unknown, null, not iterable or marked; a label that is not a
// known string; a missing or extra content block...), the whole body is
// left to dynblock, which reports the problem in its own words.

// directDynamic turns the direct expansion on; tests turn it off to
// compare it with dynblock's.
var directDynamic = true

// boundBody is a body whose expressions are evaluated in ctx, an iteration
// context of a dynamic block.
type boundBody struct {
	body *hclsyntax.Body
	ctx  *hcl.EvalContext
}

var _ hcl.Body = (*boundBody)(nil)

// The generic hcl.Body methods, for callers outside the fast path, go
// through dynblock with the bound context.

func (b *boundBody) expanded() hcl.Body {
	return &ctxBody{Body: dynblock.Expand(b.body, b.ctx), ctx: b.ctx}
}

// ctxBody is a body decoded by HCL's generic code whose expressions, and
// those of its nested blocks, are evaluated in ctx.
type ctxBody struct {
	hcl.Body
	ctx *hcl.EvalContext
}

// Content implements hcl.Body.
func (b *ctxBody) Content(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	c, d := b.Body.Content(s)
	return bindContent(c, b.ctx), d
}

// PartialContent implements hcl.Body.
func (b *ctxBody) PartialContent(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	c, rest, d := b.Body.PartialContent(s)
	if rest != nil {
		rest = &ctxBody{Body: rest, ctx: b.ctx}
	}
	return bindContent(c, b.ctx), rest, d
}

// JustAttributes implements hcl.Body.
func (b *ctxBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	attrs, d := b.Body.JustAttributes()
	return bindAttributes(attrs, b.ctx), d
}

func bindContent(c *hcl.BodyContent, ctx *hcl.EvalContext) *hcl.BodyContent {
	if c == nil {
		return nil
	}
	out := *c
	out.Attributes = bindAttributes(c.Attributes, ctx)
	if c.Blocks != nil {
		out.Blocks = make(hcl.Blocks, len(c.Blocks))
		for i, blk := range c.Blocks {
			nb := *blk
			nb.Body = &ctxBody{Body: blk.Body, ctx: ctx}
			out.Blocks[i] = &nb
		}
	}
	return &out
}

func bindAttributes(attrs hcl.Attributes, ctx *hcl.EvalContext) hcl.Attributes {
	if attrs == nil {
		return nil
	}
	out := make(hcl.Attributes, len(attrs))
	for name, a := range attrs {
		na := *a
		na.Expr = &boundExpr{Expression: a.Expr, ctx: ctx}
		out[name] = &na
	}
	return out
}

// Content implements hcl.Body.
func (b *boundBody) Content(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	return b.expanded().Content(s)
}

// PartialContent implements hcl.Body.
func (b *boundBody) PartialContent(s *hcl.BodySchema) (*hcl.BodyContent, hcl.Body, hcl.Diagnostics) {
	return b.expanded().PartialContent(s)
}

// JustAttributes implements hcl.Body.
func (b *boundBody) JustAttributes() (hcl.Attributes, hcl.Diagnostics) {
	return b.expanded().JustAttributes()
}

// MissingItemRange implements hcl.Body.
func (b *boundBody) MissingItemRange() hcl.Range { return b.body.MissingItemRange() }

// boundExpr is an expression evaluated in the iteration context it was
// generated in, whatever context it is asked to use.
type boundExpr struct {
	hcl.Expression
	ctx *hcl.EvalContext
}

// Value implements hcl.Expression.
func (e *boundExpr) Value(*hcl.EvalContext) (cty.Value, hcl.Diagnostics) {
	return e.Expression.Value(e.ctx)
}

// Variables implements hcl.Expression: the references to iterators are
// resolved here, so only the others are reported, as dynblock does.
func (e *boundExpr) Variables() []hcl.Traversal {
	raw := e.Expression.Variables()
	out := raw[:0:0]
	for _, tr := range raw {
		if !isIterator(e.ctx, tr.RootName()) {
			out = append(out, tr)
		}
	}
	return out
}

// isIterator tells whether name is an iterator of one of the dynamic
// blocks whose iteration context ctx is (the root context has no parent).
func isIterator(ctx *hcl.EvalContext, name string) bool {
	for c := ctx; c != nil && c.Parent() != nil; c = c.Parent() {
		if _, ok := c.Variables[name]; ok {
			return true
		}
	}
	return false
}

// unbound returns the expression a boundExpr wraps, and expr otherwise.
func unbound(expr hcl.Expression) hcl.Expression {
	if b, ok := expr.(*boundExpr); ok {
		return b.Expression
	}
	return expr
}

// bodyContent is Body.Content for the bodies of the configuration: a plain
// body, or one generated by a dynamic block. Bodies that match their schema
// (dynamic blocks included) are decoded directly; others go through HCL's
// own Content (with dynblock for dynamic blocks), and a "did you mean" is
// added to dynblock's errors about unknown block types.
func (ev *evaluator) bodyContent(body hcl.Body, schema *hcl.BodySchema) (*hcl.BodyContent, hcl.Diagnostics) {
	switch b := body.(type) {
	case *hclsyntax.Body:
		if c, ok := ev.directContent(b, schema, ev.ctx); ok {
			return c, nil
		}
		if hasDynamic(b) {
			body = dynblock.Expand(b, ev.ctx)
		}
	case *boundBody:
		if c, ok := ev.directContent(b.body, schema, b.ctx); ok {
			return c, nil
		}
		body = b.expanded()
	}
	c, diags := body.Content(schema)
	for _, d := range diags {
		if d.Summary != "Unsupported block type" || strings.Contains(d.Detail, "Did you mean") {
			continue
		}
		name, ok := quotedName(d.Detail)
		if !ok {
			continue
		}
		types := make([]string, 0, len(schema.Blocks))
		for _, bs := range schema.Blocks {
			types = append(types, bs.Type)
		}
		if s := suggest(name, types); s != "" {
			d.Detail += fmt.Sprintf(" Did you mean %q?", s)
		}
	}
	return c, diags
}

// directContent decodes a body that matches its schema exactly, expanding
// its dynamic blocks, with its expressions bound to ctx when ctx is an
// iteration context. It declines (false) whenever something is off, so
// that HCL's Content and dynblock report it.
func (ev *evaluator) directContent(b *hclsyntax.Body, schema *hcl.BodySchema, ctx *hcl.EvalContext) (*hcl.BodyContent, bool) {
	ix := indexOf(schema)
	required := 0
	for name := range b.Attributes {
		req, ok := ix.attrs[name]
		if !ok {
			return nil, false
		}
		if req {
			required++
		}
	}
	if required != ix.required {
		return nil, false
	}
	for _, blk := range b.Blocks {
		if blk.Type == blockDynamic && len(blk.Labels) == 1 {
			if _, ok := ix.blocks[blk.Labels[0]]; ok {
				continue
			}
			return nil, false
		}
		n, ok := ix.blocks[blk.Type]
		if !ok || n != len(blk.Labels) {
			return nil, false
		}
	}
	bound := ctx.Parent() != nil
	c := &hcl.BodyContent{MissingItemRange: b.MissingItemRange()}
	if len(b.Attributes) > 0 {
		c.Attributes = make(hcl.Attributes, len(b.Attributes))
		for name, a := range b.Attributes {
			ha := a.AsHCLAttribute()
			if bound {
				ha.Expr = &boundExpr{Expression: a.Expr, ctx: ctx}
			}
			c.Attributes[name] = ha
		}
	}
	if len(b.Blocks) > 0 {
		c.Blocks = make(hcl.Blocks, 0, len(b.Blocks))
		for _, blk := range b.Blocks {
			if blk.Type == blockDynamic {
				gen, ok := ev.expandDynamic(blk, ix.blocks[blk.Labels[0]], ctx)
				if !ok {
					return nil, false
				}
				c.Blocks = append(c.Blocks, gen...)
				continue
			}
			hb := blk.AsHCLBlock()
			if bound {
				hb.Body = &boundBody{body: blk.Body, ctx: ctx}
			}
			c.Blocks = append(c.Blocks, hb)
		}
	}
	return c, true
}

// expandDynamic generates the blocks of one dynamic block whose type takes
// nLabels labels, evaluating for_each in ctx. It declines (false) on
// anything but a plain, well-formed dynamic block with a known, unmarked
// collection.
func (ev *evaluator) expandDynamic(dyn *hclsyntax.Block, nLabels int, ctx *hcl.EvalContext) (hcl.Blocks, bool) {
	if !directDynamic {
		return nil, false
	}
	body := dyn.Body
	if len(body.Blocks) != 1 || body.Blocks[0].Type != "content" || len(body.Blocks[0].Labels) != 0 {
		return nil, false
	}
	content := body.Blocks[0].Body
	forEach, ok := body.Attributes["for_each"]
	if !ok {
		return nil, false
	}
	iterName := dyn.Labels[0]
	var labelExprs []hclsyntax.Expression
	for name, a := range body.Attributes {
		switch name {
		case "for_each":
		case "iterator":
			tr, ok := a.Expr.(*hclsyntax.ScopeTraversalExpr)
			if !ok || len(tr.Traversal) != 1 {
				return nil, false
			}
			iterName = tr.Traversal.RootName()
		case "labels":
			tup, ok := a.Expr.(*hclsyntax.TupleConsExpr)
			if !ok {
				return nil, false
			}
			labelExprs = tup.Exprs
		default:
			return nil, false
		}
	}
	if _, has := body.Attributes["labels"]; (nLabels > 0) != has || len(labelExprs) != nLabels {
		return nil, false
	}
	each, diags := forEach.Expr.Value(ctx)
	// As dynblock: the collection itself must be known and unmarked; its
	// elements are checked where they are used (labels here, attributes by
	// the decoders).
	if diags.HasErrors() || !each.IsKnown() || each.IsMarked() || each.IsNull() || !each.CanIterateElements() {
		return nil, false
	}
	out := make(hcl.Blocks, 0, each.LengthInt())
	for it := each.ElementIterator(); it.Next(); {
		key, value := it.Element()
		child := ctx.NewChild()
		child.Variables = map[string]cty.Value{iterName: cty.ObjectVal(map[string]cty.Value{"key": key, "value": value})}
		var labels []string
		var labelRanges []hcl.Range
		if nLabels > 0 {
			labels = make([]string, 0, nLabels)
			labelRanges = make([]hcl.Range, 0, nLabels)
		}
		for _, le := range labelExprs {
			v, d := le.Value(child)
			if d.HasErrors() {
				return nil, false
			}
			s, err := convert.Convert(v, cty.String)
			if err != nil || s.IsNull() || !s.IsKnown() || s.IsMarked() {
				return nil, false
			}
			labels = append(labels, s.AsString())
			labelRanges = append(labelRanges, le.Range())
		}
		out = append(out, &hcl.Block{
			Type:        dyn.Labels[0],
			TypeRange:   dyn.LabelRanges[0],
			Labels:      labels,
			LabelRanges: labelRanges,
			DefRange:    dyn.DefRange(),
			Body:        &boundBody{body: content, ctx: child},
		})
	}
	return out, true
}
