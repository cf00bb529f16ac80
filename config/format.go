package config

import (
	"bytes"
	"strings"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclsyntax"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// Format returns src in the canonical form written by `sozuctl-plan fmt`.
//
// The canonical form is what hclwrite.Format produces (indentation, aligned
// equals signs, spacing around operators), with two additions:
//
//   - an enum value written as a literal string in one of Sōzu's config.toml
//     spellings ("TLS_V13", "response", "use-https", "round_robin") is
//     rewritten to the proto value name ("TLS_V1_3", "RESPONSE", "USE_HTTPS",
//     "ROUND_ROBIN"), for the enum attributes listed in EnumAttributes;
//   - a non-empty file ends with exactly one newline.
//
// Only literal strings are rewritten: an enum given by an expression (a
// variable, a conditional) is left as written. filename is used in
// diagnostics only. When src has syntax errors, Format returns nil and the
// parser's diagnostics, and the caller must leave the file untouched.
func Format(src []byte, filename string) ([]byte, hcl.Diagnostics) {
	// hclwrite.ParseConfig runs the parser the loader uses (hclsyntax) and
	// refuses what it refuses, so fmt never blesses a file that validate
	// would not read.
	f, diags := hclwrite.ParseConfig(src, filename, hcl.InitialPos)
	if diags.HasErrors() {
		return nil, diags
	}
	canonicalEnums(f.Body())
	out := hclwrite.Format(f.Bytes())
	out = bytes.TrimRight(out, " \t\r\n")
	if len(bytes.TrimSpace(out)) == 0 {
		return []byte{}, nil
	}
	return append(out, '\n'), nil
}

// EnumAttributes maps the name of every HCL attribute whose value is a Sōzu
// enum (or a list of them) to the proto enums it may hold. An attribute name
// used in two places with two enums (position: a frontend's RulePosition, a
// header's HeaderPosition) lists both; their value names do not overlap.
var EnumAttributes = map[string][]protoreflect.EnumDescriptor{
	"load_balancing":  {sozupb.LoadBalancingAlgorithms(0).Descriptor()},
	"load_metric":     {sozupb.LoadMetric(0).Descriptor()},
	"versions":        {sozupb.TlsVersion(0).Descriptor()},
	"position":        {sozupb.RulePosition(0).Descriptor(), sozupb.HeaderPosition(0).Descriptor()},
	"redirect":        {sozupb.RedirectPolicy(0).Descriptor()},
	"redirect_scheme": {sozupb.RedirectScheme(0).Descriptor()},
	"proxy_protocol":  {sozupb.ProxyProtocolConfig(0).Descriptor()},
	"affinity_key":    {sozupb.UdpAffinityKey(0).Descriptor()},
	"mode":            {sozupb.UdpHealthMode(0).Descriptor()},
}

// CanonicalEnumName returns the proto value name that s spells for one of
// enums, with exactly the spellings the loader accepts: the proto name and
// Sōzu's config.toml spellings (any case, '-' for '_', "TLS_V12" for
// "TLS_V1_2"). ok is false when s names no value of any of enums, so fmt
// never turns a value validate rejects into one it accepts.
func CanonicalEnumName(s string, enums ...protoreflect.EnumDescriptor) (name string, ok bool) {
	for _, e := range enums {
		num, err := enumValue(e, s)
		if err != nil {
			continue
		}
		if v := e.Values().ByNumber(num); v != nil {
			return string(v.Name()), true
		}
	}
	return "", false
}

// canonicalEnums rewrites literal enum strings in body and its nested blocks
// (dynamic blocks' content included, since they are ordinary nested blocks
// to hclwrite).
func canonicalEnums(body *hclwrite.Body) {
	for name, attr := range body.Attributes() {
		enums, ok := EnumAttributes[name]
		if !ok {
			continue
		}
		rewriteEnumTokens(attr.Expr().BuildTokens(nil), enums)
	}
	for _, b := range body.Blocks() {
		canonicalEnums(b.Body())
	}
}

// rewriteEnumTokens edits, in place, every quoted literal of toks that is a
// whole template with no interpolation ("x", not "${a}x") and spells a value
// of enums. The tokens are the attribute's own, so the edit lands in the file.
func rewriteEnumTokens(toks hclwrite.Tokens, enums []protoreflect.EnumDescriptor) {
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].Type != hclsyntax.TokenOQuote ||
			toks[i+1].Type != hclsyntax.TokenQuotedLit ||
			toks[i+2].Type != hclsyntax.TokenCQuote {
			continue
		}
		lit := string(toks[i+1].Bytes)
		if strings.ContainsAny(lit, `\$%`) {
			continue
		}
		if name, ok := CanonicalEnumName(lit, enums...); ok && name != lit {
			toks[i+1].Bytes = []byte(name)
		}
	}
}
