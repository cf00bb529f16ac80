package config

import (
	"fmt"
	"math"
	"math/big"
	"sort"
	"strings"
	"sync"

	"github.com/agext/levenshtein"
	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// msgSpec is the HCL schema of one protobuf message: its scalar, list and map
// fields are attributes named as the proto's fields, its message fields are
// nested blocks. It is derived from the message descriptor, so every field
// Sōzu records is reachable without a hand-written list to keep up to date.
type msgSpec struct {
	md        protoreflect.MessageDescriptor
	schema    *hcl.BodySchema
	attrs     map[string]protoreflect.FieldDescriptor
	blocks    map[string]blockField
	sensitive map[string]bool
}

// blockField is a message field written as a nested block.
type blockField struct {
	fd   protoreflect.FieldDescriptor
	spec *msgSpec
}

// specOptions adjusts the schema derived from a descriptor.
type specOptions struct {
	skip        []string            // proto fields the caller decodes itself
	blockNames  map[string]string   // proto field → block type, when it differs
	children    map[string]*msgSpec // proto field → schema of its block
	extraAttrs  []hcl.AttributeSchema
	extraBlocks []hcl.BlockHeaderSchema
	required    []string
	sensitive   []string
}

const socketAddressName = "command.SocketAddress"

func newSpec(md protoreflect.MessageDescriptor, o specOptions) *msgSpec {
	s := &msgSpec{
		md:        md,
		schema:    &hcl.BodySchema{},
		attrs:     map[string]protoreflect.FieldDescriptor{},
		blocks:    map[string]blockField{},
		sensitive: map[string]bool{},
	}
	skip := map[string]bool{}
	for _, n := range o.skip {
		skip[n] = true
	}
	required := map[string]bool{}
	for _, n := range o.required {
		required[n] = true
	}
	for _, n := range o.sensitive {
		s.sensitive[n] = true
	}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := string(fd.Name())
		if skip[name] {
			continue
		}
		if fd.Kind() == protoreflect.MessageKind && !fd.IsMap() && fd.Message().FullName() != socketAddressName {
			bt := name
			if o.blockNames[name] != "" {
				bt = o.blockNames[name]
			}
			child := o.children[name]
			if child == nil {
				child = newSpec(fd.Message(), specOptions{})
			}
			s.blocks[bt] = blockField{fd: fd, spec: child}
			s.schema.Blocks = append(s.schema.Blocks, hcl.BlockHeaderSchema{Type: bt})
			continue
		}
		s.attrs[name] = fd
		s.schema.Attributes = append(s.schema.Attributes, hcl.AttributeSchema{Name: name, Required: required[name]})
	}
	s.schema.Attributes = append(s.schema.Attributes, o.extraAttrs...)
	s.schema.Blocks = append(s.schema.Blocks, o.extraBlocks...)
	return s
}

// decodeMessage sets the fields of m from the attributes and blocks of
// content that the spec knows. Attributes and blocks the spec does not own
// are left to the caller. When vals is not nil it receives every evaluated
// attribute value. Sensitive values are reported to ev.
func (ev *evaluator) decodeMessage(content *hcl.BodyContent, spec *msgSpec, m protoreflect.Message, obj *Object, prefix string, vals map[string]cty.Value) hcl.Diagnostics {
	var diags hcl.Diagnostics
	for _, as := range spec.schema.Attributes {
		fd, ok := spec.attrs[as.Name]
		if !ok {
			continue
		}
		attr, ok := content.Attributes[as.Name]
		if !ok {
			continue
		}
		v, sens, d := ev.value(attr.Expr, obj, prefix+as.Name, spec.sensitive[as.Name])
		diags = append(diags, d...)
		if d.HasErrors() {
			continue
		}
		if v.IsNull() {
			if as.Required && (obj == nil || !obj.failed) {
				diags = append(diags, attrError(attr, &valueError{summary: "Missing required value", detail: fmt.Sprintf("%q is required and cannot be null.", as.Name)}))
			}
			continue
		}
		if vals != nil {
			if sens {
				ev.marked = true
				vals[as.Name] = v.Mark(sensitiveMark)
			} else {
				vals[as.Name] = v
			}
		}
		if err := setField(m, fd, v); err != nil {
			diags = append(diags, attrError(attr, redact(err, sens)))
		}
	}
	seen := map[string]*hcl.Block{}
	for _, blk := range content.Blocks {
		bf, ok := spec.blocks[blk.Type]
		if !ok {
			continue
		}
		c, d := ev.bodyContent(blk.Body, bf.spec.schema)
		diags = append(diags, d...)
		var child protoreflect.Message
		if bf.fd.IsList() {
			list := m.Mutable(bf.fd).List()
			child = list.NewElement().Message()
			list.Append(protoreflect.ValueOfMessage(child))
		} else {
			if prev := seen[blk.Type]; prev != nil {
				diags = append(diags, &hcl.Diagnostic{
					Severity: hcl.DiagError,
					Summary:  "Duplicate " + blk.Type + " block",
					Detail:   fmt.Sprintf("Only one %q block is allowed here; the first one is at %s.", blk.Type, prev.DefRange),
					Subject:  blk.DefRange.Ptr(),
				})
				continue
			}
			seen[blk.Type] = blk
			child = m.Mutable(bf.fd).Message()
		}
		diags = append(diags, ev.decodeMessage(c, bf.spec, child, obj, prefix+blk.Type+".", nil)...)
		fillRequired(child)
	}
	if diags.HasErrors() && obj != nil {
		obj.failed = true
	}
	return diags
}

// schemaIndex is a schema's names, for fastContent.
type schemaIndex struct {
	attrs    map[string]bool // name → required
	blocks   map[string]int  // type → number of labels
	required int
}

var schemaIndexes sync.Map // *hcl.BodySchema → *schemaIndex

func indexOf(schema *hcl.BodySchema) *schemaIndex {
	if ix, ok := schemaIndexes.Load(schema); ok {
		return ix.(*schemaIndex)
	}
	ix := &schemaIndex{attrs: map[string]bool{}, blocks: map[string]int{}}
	for _, a := range schema.Attributes {
		ix.attrs[a.Name] = a.Required
		if a.Required {
			ix.required++
		}
	}
	for _, b := range schema.Blocks {
		ix.blocks[b.Type] = len(b.LabelNames)
	}
	schemaIndexes.Store(schema, ix)
	return ix
}

// quotedName returns the first double-quoted word of s.
func quotedName(s string) (string, bool) {
	i := strings.IndexByte(s, '"')
	if i < 0 {
		return "", false
	}
	j := strings.IndexByte(s[i+1:], '"')
	if j < 0 {
		return "", false
	}
	return s[i+1 : i+1+j], true
}

// fillRequired sets every unset required scalar field of m to its declared
// default (the zero value when the proto declares none), so that the
// message is complete on the wire and states compare effective values.
func fillRequired(m protoreflect.Message) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if fd.Cardinality() != protoreflect.Required || fd.Kind() == protoreflect.MessageKind || m.Has(fd) {
			continue
		}
		m.Set(fd, fd.Default())
	}
}

func attrError(attr *hcl.Attribute, err error) *hcl.Diagnostic {
	summary := "Invalid value for \"" + attr.Name + "\""
	var ve *valueError
	if asValueError(err, &ve) {
		summary = ve.summary + " for \"" + attr.Name + "\""
	}
	return &hcl.Diagnostic{
		Severity: hcl.DiagError,
		Summary:  summary,
		Detail:   err.Error(),
		Subject:  attr.Expr.Range().Ptr(),
	}
}

// redact replaces the detail of an error about a sensitive value, which
// may quote the value, by one that does not.
func redact(err error, sensitive bool) error {
	if !sensitive {
		return err
	}
	summary := "Invalid value"
	var ve *valueError
	if asValueError(err, &ve) {
		summary = ve.summary
	}
	return &valueError{summary: summary, detail: "The value is sensitive, so it is not shown here."}
}

// valueError is a conversion failure with the diagnostic summary it deserves.
type valueError struct {
	summary string
	detail  string
}

func (e *valueError) Error() string { return e.detail }

func asValueError(err error, target **valueError) bool {
	ve, ok := err.(*valueError)
	if ok {
		*target = ve
	}
	return ok
}

func typeError(format string, args ...any) error {
	return &valueError{summary: "Incorrect attribute value type", detail: fmt.Sprintf(format, args...)}
}

// setField converts an HCL value to the field's protobuf type and sets it.
func setField(m protoreflect.Message, fd protoreflect.FieldDescriptor, v cty.Value) error {
	switch {
	case fd.IsMap():
		if !v.Type().IsMapType() && !v.Type().IsObjectType() {
			return typeError("A map of strings is required, not %s.", v.Type().FriendlyName())
		}
		mv, err := convert.Convert(v, cty.Map(cty.String))
		if err != nil {
			return typeError("A map of strings is required: %s.", err)
		}
		m.Clear(fd) // a written map replaces any default
		mp := m.Mutable(fd).Map()
		for it := mv.ElementIterator(); it.Next(); {
			k, e := it.Element()
			if e.IsNull() {
				return typeError("Map element %q is null.", k.AsString())
			}
			mp.Set(protoreflect.ValueOfString(k.AsString()).MapKey(), protoreflect.ValueOfString(e.AsString()))
		}
		return nil
	case fd.IsList():
		if !v.CanIterateElements() || v.Type().IsMapType() || v.Type().IsObjectType() {
			return typeError("A list is required, not %s.", v.Type().FriendlyName())
		}
		m.Clear(fd) // a written list replaces any default
		list := m.Mutable(fd).List()
		i := 0
		for it := v.ElementIterator(); it.Next(); i++ {
			_, e := it.Element()
			pv, err := scalar(fd, e)
			if err != nil {
				var ve *valueError
				if asValueError(err, &ve) {
					return &valueError{summary: ve.summary, detail: fmt.Sprintf("Element %d: %s", i, ve.detail)}
				}
				return fmt.Errorf("element %d: %w", i, err)
			}
			list.Append(pv)
		}
		return nil
	default:
		pv, err := scalar(fd, v)
		if err != nil {
			return err
		}
		m.Set(fd, pv)
		return nil
	}
}

func scalar(fd protoreflect.FieldDescriptor, v cty.Value) (protoreflect.Value, error) {
	if v.IsNull() {
		return protoreflect.Value{}, typeError("The value must not be null.")
	}
	switch fd.Kind() {
	case protoreflect.StringKind, protoreflect.BytesKind:
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			return protoreflect.Value{}, typeError("A string is required, not %s.", v.Type().FriendlyName())
		}
		if fd.Kind() == protoreflect.BytesKind {
			return protoreflect.ValueOfBytes([]byte(s.AsString())), nil
		}
		return protoreflect.ValueOfString(s.AsString()), nil
	case protoreflect.BoolKind:
		b, err := convert.Convert(v, cty.Bool)
		if err != nil {
			return protoreflect.Value{}, typeError("A bool is required, not %s.", v.Type().FriendlyName())
		}
		return protoreflect.ValueOfBool(b.True()), nil
	case protoreflect.Uint32Kind:
		n, err := integer(v, big.NewInt(0), new(big.Int).SetUint64(math.MaxUint32))
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfUint32(uint32(n.Uint64())), nil
	case protoreflect.Uint64Kind:
		n, err := integer(v, big.NewInt(0), new(big.Int).SetUint64(math.MaxUint64))
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfUint64(n.Uint64()), nil
	case protoreflect.Int32Kind:
		n, err := integer(v, big.NewInt(math.MinInt32), big.NewInt(math.MaxInt32))
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfInt32(int32(n.Int64())), nil
	case protoreflect.Int64Kind:
		n, err := integer(v, big.NewInt(math.MinInt64), big.NewInt(math.MaxInt64))
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfInt64(n.Int64()), nil
	case protoreflect.EnumKind:
		s, err := convert.Convert(v, cty.String)
		if err != nil || s.IsNull() {
			return protoreflect.Value{}, typeError("A string naming a %s is required, not %s.", fd.Enum().Name(), v.Type().FriendlyName())
		}
		num, err := enumValue(fd.Enum(), s.AsString())
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfEnum(num), nil
	case protoreflect.MessageKind:
		if fd.Message().FullName() == socketAddressName {
			a, err := addressValue(v)
			if err != nil {
				return protoreflect.Value{}, err
			}
			sa, err := state.ParseAddress(a.addr)
			if err != nil {
				return protoreflect.Value{}, &valueError{summary: "Invalid socket address", detail: err.Error()}
			}
			return protoreflect.ValueOfMessage(sa.ProtoReflect()), nil
		}
	}
	return protoreflect.Value{}, fmt.Errorf("field %s has an unsupported type", fd.Name())
}

func integer(v cty.Value, lo, hi *big.Int) (*big.Int, error) {
	n, err := convert.Convert(v, cty.Number)
	if err != nil || n.IsNull() {
		return nil, typeError("A number is required, not %s.", v.Type().FriendlyName())
	}
	bf := n.AsBigFloat()
	if !bf.IsInt() {
		return nil, &valueError{summary: "Invalid number", detail: fmt.Sprintf("A whole number is required, not %s.", bf.Text('g', -1))}
	}
	i, _ := bf.Int(nil)
	if i.Cmp(lo) < 0 || i.Cmp(hi) > 0 {
		return nil, &valueError{summary: "Number out of range", detail: fmt.Sprintf("%s is out of range %s..%s.", i, lo, hi)}
	}
	return i, nil
}

// addressRef is a socket address written either as an "ip:port" string or as
// a reference to a listener (an object with an address and a protocol).
type addressRef struct {
	addr     string
	protocol string // empty for a plain string
	name     string
}

func addressValue(v cty.Value) (addressRef, error) {
	ty := v.Type()
	if ty.IsObjectType() {
		if !ty.HasAttribute("address") {
			return addressRef{}, typeError("An \"ip:port\" string or a listener reference is required, not an object without \"address\".")
		}
		a := v.GetAttr("address")
		if a.IsNull() || a.Type() != cty.String {
			return addressRef{}, typeError("The object's \"address\" must be an \"ip:port\" string.")
		}
		ref := addressRef{addr: a.AsString()}
		if ty.HasAttribute("protocol") && v.GetAttr("protocol").Type() == cty.String && !v.GetAttr("protocol").IsNull() {
			ref.protocol = v.GetAttr("protocol").AsString()
		}
		if ty.HasAttribute("name") && v.GetAttr("name").Type() == cty.String && !v.GetAttr("name").IsNull() {
			ref.name = v.GetAttr("name").AsString()
		}
		return ref, nil
	}
	s, err := convert.Convert(v, cty.String)
	if err != nil || s.IsNull() || ty != cty.String {
		return addressRef{}, typeError("An \"ip:port\" string or a listener reference is required, not %s.", ty.FriendlyName())
	}
	return addressRef{addr: s.AsString()}, nil
}

// enumAliases maps spellings of Sōzu's config.toml that normalisation alone
// does not reach to the proto value names.
var enumAliases = map[string]string{
	"TLSV1":   "TLS_V1_0", // TlsVersion::from_str (command/src/certificate.rs:190)
	"TLS_V10": "TLS_V1_0",
	"TLS_V11": "TLS_V1_1",
	"TLS_V12": "TLS_V1_2",
	"TLS_V13": "TLS_V1_3",
}

// enumValue reads an enum value by its proto name; config.toml spellings
// (any case, '-' for '_', TLS_V12) are accepted as aliases.
func enumValue(ed protoreflect.EnumDescriptor, s string) (protoreflect.EnumNumber, error) {
	norm := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
	if a, ok := enumAliases[norm]; ok {
		norm = a
	}
	if ev := ed.Values().ByName(protoreflect.Name(norm)); ev != nil {
		return ev.Number(), nil
	}
	names := enumNames(ed)
	detail := fmt.Sprintf("%q is not a valid %s; valid values are %s.", s, ed.Name(), quoteJoin(names))
	if sug := suggest(norm, names); sug != "" {
		detail = fmt.Sprintf("%q is not a valid %s. Did you mean %q? Valid values are %s.", s, ed.Name(), sug, quoteJoin(names))
	}
	return 0, &valueError{summary: "Invalid " + string(ed.Name()) + " value", detail: detail}
}

func enumNames(ed protoreflect.EnumDescriptor) []string {
	vals := ed.Values()
	names := make([]string, 0, vals.Len())
	for i := 0; i < vals.Len(); i++ {
		names = append(names, string(vals.Get(i).Name()))
	}
	return names
}

func quoteJoin(names []string) string {
	q := make([]string, len(names))
	for i, n := range names {
		q[i] = fmt.Sprintf("%q", n)
	}
	return strings.Join(q, ", ")
}

// suggest returns the candidate nearest to given, if it is near enough to be
// a likely typo, as HCL does for attribute names.
func suggest(given string, candidates []string) string {
	best, bestDist := "", 3
	sorted := append([]string(nil), candidates...)
	sort.Strings(sorted)
	for _, c := range sorted {
		d := levenshtein.Distance(strings.ToUpper(given), strings.ToUpper(c), nil)
		if d < bestDist {
			best, bestDist = c, d
		}
	}
	return best
}
