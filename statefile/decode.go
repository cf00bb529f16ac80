package statefile

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf16"
	"unicode/utf8"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// maxDepth bounds the nesting of JSON values, as serde_json's recursion
// limit does, so that hostile input cannot exhaust the stack.
const maxDepth = 128

// syntaxError is a decoding failure at a byte offset of a record, with the
// path of the field being read.
type syntaxError struct {
	offset int
	path   []string // outermost first
	msg    string
}

// Error returns the field path, the problem and its offset in the record.
func (e *syntaxError) Error() string {
	var b strings.Builder
	if len(e.path) > 0 {
		b.WriteString(strings.Join(e.path, "."))
		b.WriteString(": ")
	}
	b.WriteString(e.msg)
	fmt.Fprintf(&b, " (at byte %d of the record)", e.offset)
	return b.String()
}

// within prefixes err's path with seg when err is a *syntaxError.
func within(err error, seg string) error {
	var se *syntaxError
	if errors.As(err, &se) {
		se.path = append([]string{seg}, se.path...)
	}
	return err
}

// msgInfo is what the decoder needs to know about a message type: its JSON
// keys (fields and oneofs) and, per oneof, its variant names.
type msgInfo struct {
	keys     map[string]keyInfo
	nkeys    int
	required []int // key indexes of required fields
	names    []string
}

type keyInfo struct {
	index    int
	fd       protoreflect.FieldDescriptor // nil for a oneof
	variants map[string]protoreflect.FieldDescriptor
}

var msgInfos sync.Map // protoreflect.FullName -> *msgInfo

func infoFor(md protoreflect.MessageDescriptor) *msgInfo {
	if v, ok := msgInfos.Load(md.FullName()); ok {
		return v.(*msgInfo)
	}
	mi := &msgInfo{keys: map[string]keyInfo{}}
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			continue
		}
		ki := keyInfo{index: mi.nkeys, fd: fd}
		mi.keys[string(fd.Name())] = ki
		mi.names = append(mi.names, string(fd.Name()))
		if fd.Cardinality() == protoreflect.Required {
			mi.required = append(mi.required, mi.nkeys)
		}
		mi.nkeys++
	}
	oneofs := md.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		od := oneofs.Get(i)
		if od.IsSynthetic() {
			continue
		}
		ki := keyInfo{index: mi.nkeys, variants: map[string]protoreflect.FieldDescriptor{}}
		for j := 0; j < od.Fields().Len(); j++ {
			fd := od.Fields().Get(j)
			ki.variants[variantName(fd)] = fd
		}
		mi.keys[string(od.Name())] = ki
		mi.names = append(mi.names, string(od.Name()))
		mi.nkeys++
	}
	v, _ := msgInfos.LoadOrStore(md.FullName(), mi)
	return v.(*msgInfo)
}

// decoder reads one record's JSON into a protobuf message.
type decoder struct {
	data  []byte
	pos   int
	depth int
	buf   []byte // scratch space for unescaped strings
	wire  []byte // scratch space for the record's protobuf encoding
}

func (d *decoder) errorf(format string, args ...any) error {
	return &syntaxError{offset: d.pos, msg: fmt.Sprintf(format, args...)}
}

func (d *decoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

// peek returns the next non-space byte, or 0 at the end of the input.
func (d *decoder) peek() byte {
	d.skipSpace()
	if d.pos >= len(d.data) {
		return 0
	}
	return d.data[d.pos]
}

func (d *decoder) expect(c byte) error {
	if d.peek() != c {
		return d.unexpected(fmt.Sprintf("%q", c))
	}
	d.pos++
	return nil
}

func (d *decoder) unexpected(want string) error {
	if d.pos >= len(d.data) {
		return d.errorf("unexpected end of the record, expected %s", want)
	}
	return d.errorf("unexpected %q, expected %s", d.data[d.pos], want)
}

// literal consumes the word w ("null", "true", "false").
func (d *decoder) literal(w string) bool {
	if len(d.data)-d.pos >= len(w) && string(d.data[d.pos:d.pos+len(w)]) == w {
		d.pos += len(w)
		return true
	}
	return false
}

// isNull consumes a null if one comes next.
func (d *decoder) isNull() bool {
	if d.peek() == 'n' {
		return d.literal("null")
	}
	return false
}

func (d *decoder) enter() error {
	d.depth++
	if d.depth > maxDepth {
		return d.errorf("JSON nested more than %d levels deep", maxDepth)
	}
	return nil
}

// message reads a JSON object of type md and appends its protobuf wire
// encoding to out. Going through the wire format lets the generated code's
// fast unmarshaller build the Go message.
func (d *decoder) message(md protoreflect.MessageDescriptor, out []byte) ([]byte, error) {
	if err := d.enter(); err != nil {
		return nil, err
	}
	mi := infoFor(md)
	if d.peek() != '{' {
		return nil, d.unexpected(fmt.Sprintf("an object (%s)", md.Name()))
	}
	d.pos++
	var seenSmall uint64
	var seenBig []bool
	if mi.nkeys > 64 {
		seenBig = make([]bool, mi.nkeys)
	}
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			keyStart := d.pos
			key, err := d.stringBytes()
			if err != nil {
				return nil, err
			}
			if err := d.expect(':'); err != nil {
				return nil, err
			}
			ki, ok := mi.keys[string(key)]
			if !ok {
				// Unknown keys are ignored, as serde does by default.
				if err := d.skipValue(); err != nil {
					return nil, err
				}
			} else {
				var dup bool
				if seenBig != nil {
					dup, seenBig[ki.index] = seenBig[ki.index], true
				} else {
					dup = seenSmall&(1<<uint(ki.index)) != 0
					seenSmall |= 1 << uint(ki.index)
				}
				if dup {
					d.pos = keyStart
					return nil, d.errorf("duplicate field %q", mi.names[ki.index])
				}
				if ki.fd == nil {
					out, err = d.oneof(ki.variants, out)
				} else {
					out, err = d.field(ki.fd, out)
				}
				if err != nil {
					return nil, within(err, mi.names[ki.index])
				}
			}
			c := d.peek()
			if c == ',' {
				d.pos++
				continue
			}
			if c == '}' {
				d.pos++
				break
			}
			return nil, d.unexpected(`"," or "}"`)
		}
	}
	for _, i := range mi.required {
		var seen bool
		if seenBig != nil {
			seen = seenBig[i]
		} else {
			seen = seenSmall&(1<<uint(i)) != 0
		}
		if !seen {
			d.pos--
			err := d.errorf("missing required field %q", mi.names[i])
			d.pos++
			return nil, err
		}
	}
	d.depth--
	return out, nil
}

// oneof reads null or a one-key object naming the variant.
func (d *decoder) oneof(variants map[string]protoreflect.FieldDescriptor, out []byte) ([]byte, error) {
	if d.isNull() {
		return out, nil
	}
	if d.peek() != '{' {
		return nil, d.unexpected("null or an object with one variant")
	}
	d.pos++
	nameStart := d.pos
	nb, err := d.stringBytes()
	if err != nil {
		return nil, err
	}
	fd, ok := variants[string(nb)]
	if !ok {
		d.pos = nameStart
		return nil, d.errorf("unknown variant %q", nb)
	}
	if err := d.expect(':'); err != nil {
		return nil, err
	}
	if out, err = d.singular(fd, out); err != nil {
		return nil, within(err, variantName(fd))
	}
	if d.peek() != '}' {
		return nil, d.unexpected(`"}" (a oneof names exactly one variant)`)
	}
	d.pos++
	return out, nil
}

// field reads the value of a regular field.
func (d *decoder) field(fd protoreflect.FieldDescriptor, out []byte) ([]byte, error) {
	switch {
	case fd.IsMap():
		return d.mapField(fd, out)
	case fd.IsList():
		return d.listField(fd, out)
	case fd.Cardinality() != protoreflect.Required && d.isNull():
		return out, nil
	}
	return d.singular(fd, out)
}

func (d *decoder) listField(fd protoreflect.FieldDescriptor, out []byte) ([]byte, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	if d.peek() == ']' {
		d.pos++
		return out, nil
	}
	for i := 0; ; i++ {
		var err error
		if out, err = d.singular(fd, out); err != nil {
			return nil, within(err, strconv.Itoa(i))
		}
		c := d.peek()
		if c == ',' {
			d.pos++
			continue
		}
		if c == ']' {
			d.pos++
			return out, nil
		}
		return nil, d.unexpected(`"," or "]"`)
	}
}

func (d *decoder) mapField(fd protoreflect.FieldDescriptor, out []byte) ([]byte, error) {
	if err := d.expect('{'); err != nil {
		return nil, err
	}
	if d.peek() == '}' {
		d.pos++
		return out, nil
	}
	kd, vd := fd.MapKey(), fd.MapValue()
	for {
		keyStart := d.pos
		kb, err := d.stringBytes()
		if err != nil {
			return nil, err
		}
		ks := string(kb)
		// A map entry is a message with the key as field 1 and the value
		// as field 2.
		out = protowire.AppendTag(out, fd.Number(), protowire.BytesType)
		start := len(out)
		if out, err = appendMapKey(out, kd, ks); err != nil {
			d.pos = keyStart
			return nil, d.errorf("%v", err)
		}
		if err := d.expect(':'); err != nil {
			return nil, err
		}
		if out, err = d.singular(vd, out); err != nil {
			return nil, within(err, strconv.Quote(ks))
		}
		out = prefixLength(out, start)
		c := d.peek()
		if c == ',' {
			d.pos++
			continue
		}
		if c == '}' {
			d.pos++
			return out, nil
		}
		return nil, d.unexpected(`"," or "}"`)
	}
}

// prefixLength inserts, at start, the varint length of out[start:].
func prefixLength(out []byte, start int) []byte {
	n := len(out) - start
	sz := protowire.SizeVarint(uint64(n))
	out = append(out, make([]byte, sz)...)
	copy(out[start+sz:], out[start:start+n])
	protowire.AppendVarint(out[start:start], uint64(n))
	return out
}

// appendMapKey appends a map key, given as a JSON object key, as field 1.
func appendMapKey(out []byte, kd protoreflect.FieldDescriptor, s string) ([]byte, error) {
	switch kd.Kind() {
	case protoreflect.StringKind:
		out = protowire.AppendTag(out, 1, protowire.BytesType)
		return protowire.AppendString(out, s), nil
	case protoreflect.BoolKind:
		switch s {
		case "true":
			return protowire.AppendVarint(protowire.AppendTag(out, 1, protowire.VarintType), 1), nil
		case "false":
			return protowire.AppendVarint(protowire.AppendTag(out, 1, protowire.VarintType), 0), nil
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if n, err := strconv.ParseInt(s, 10, 32); err == nil {
			return appendInt(out, kd, n), nil
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return appendInt(out, kd, n), nil
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			return appendUint(out, kd, n), nil
		}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return appendUint(out, kd, n), nil
		}
	}
	return nil, fmt.Errorf("invalid map key %q for a %v key", s, kd.Kind())
}

// appendInt appends a signed integer field in fd's encoding.
func appendInt(out []byte, fd protoreflect.FieldDescriptor, n int64) []byte {
	num := fd.Number()
	switch fd.Kind() {
	case protoreflect.Sint32Kind, protoreflect.Sint64Kind:
		return protowire.AppendVarint(protowire.AppendTag(out, num, protowire.VarintType), protowire.EncodeZigZag(n))
	case protoreflect.Sfixed32Kind:
		return protowire.AppendFixed32(protowire.AppendTag(out, num, protowire.Fixed32Type), uint32(n))
	case protoreflect.Sfixed64Kind:
		return protowire.AppendFixed64(protowire.AppendTag(out, num, protowire.Fixed64Type), uint64(n))
	}
	return protowire.AppendVarint(protowire.AppendTag(out, num, protowire.VarintType), uint64(n))
}

// appendUint appends an unsigned integer field in fd's encoding.
func appendUint(out []byte, fd protoreflect.FieldDescriptor, n uint64) []byte {
	num := fd.Number()
	switch fd.Kind() {
	case protoreflect.Fixed32Kind:
		return protowire.AppendFixed32(protowire.AppendTag(out, num, protowire.Fixed32Type), uint32(n))
	case protoreflect.Fixed64Kind:
		return protowire.AppendFixed64(protowire.AppendTag(out, num, protowire.Fixed64Type), n)
	}
	return protowire.AppendVarint(protowire.AppendTag(out, num, protowire.VarintType), n)
}

// singular reads one value of fd and appends it as a field.
func (d *decoder) singular(fd protoreflect.FieldDescriptor, out []byte) ([]byte, error) {
	num := fd.Number()
	switch fd.Kind() {
	case protoreflect.MessageKind:
		out = protowire.AppendTag(out, num, protowire.BytesType)
		start := len(out)
		out, err := d.message(fd.Message(), out)
		if err != nil {
			return nil, err
		}
		return prefixLength(out, start), nil
	case protoreflect.GroupKind:
		out = protowire.AppendTag(out, num, protowire.StartGroupType)
		out, err := d.message(fd.Message(), out)
		if err != nil {
			return nil, err
		}
		return protowire.AppendTag(out, num, protowire.EndGroupType), nil
	case protoreflect.BoolKind:
		var v uint64
		switch {
		case d.peek() == 't' && d.literal("true"):
			v = 1
		case d.peek() == 'f' && d.literal("false"):
		default:
			return nil, d.unexpected("a boolean")
		}
		return protowire.AppendVarint(protowire.AppendTag(out, num, protowire.VarintType), v), nil
	case protoreflect.StringKind:
		s, err := d.stringBytes()
		if err != nil {
			return nil, err
		}
		return protowire.AppendBytes(protowire.AppendTag(out, num, protowire.BytesType), s), nil
	case protoreflect.BytesKind:
		b, err := d.bytesValue()
		if err != nil {
			return nil, err
		}
		return protowire.AppendBytes(protowire.AppendTag(out, num, protowire.BytesType), b), nil
	case protoreflect.EnumKind:
		// Sōzu holds every enum as a plain i32 and reads any value, named
		// or not (a newer Sōzu may write one this schema lacks); so does
		// the Go message, which keeps the number as it is.
		n, err := d.integer(math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return protowire.AppendVarint(protowire.AppendTag(out, num, protowire.VarintType), uint64(n)), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := d.integer(math.MinInt32, math.MaxInt32)
		if err != nil {
			return nil, err
		}
		return appendInt(out, fd, n), nil
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := d.integer(math.MinInt64, math.MaxInt64)
		if err != nil {
			return nil, err
		}
		return appendInt(out, fd, n), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := d.unsigned(math.MaxUint32)
		if err != nil {
			return nil, err
		}
		return appendUint(out, fd, n), nil
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := d.unsigned(math.MaxUint64)
		if err != nil {
			return nil, err
		}
		return appendUint(out, fd, n), nil
	case protoreflect.FloatKind:
		f, err := d.float(true)
		if err != nil {
			return nil, err
		}
		return protowire.AppendFixed32(protowire.AppendTag(out, num, protowire.Fixed32Type), math.Float32bits(float32(f))), nil
	case protoreflect.DoubleKind:
		f, err := d.float(false)
		if err != nil {
			return nil, err
		}
		return protowire.AppendFixed64(protowire.AppendTag(out, num, protowire.Fixed64Type), math.Float64bits(f)), nil
	}
	return nil, d.errorf("unsupported field kind %v", fd.Kind())
}

// number returns the next JSON number token and whether it is an integer
// (no fraction, no exponent).
func (d *decoder) number() ([]byte, bool, error) {
	d.skipSpace()
	start := d.pos
	p := d.pos
	if p < len(d.data) && d.data[p] == '-' {
		p++
	}
	digits := p
	for p < len(d.data) && d.data[p] >= '0' && d.data[p] <= '9' {
		p++
	}
	if p == digits {
		return nil, false, d.unexpected("a number")
	}
	if d.data[digits] == '0' && p-digits > 1 {
		return nil, false, d.errorf("invalid number: leading zero")
	}
	integer := true
	if p < len(d.data) && d.data[p] == '.' {
		integer = false
		p++
		f := p
		for p < len(d.data) && d.data[p] >= '0' && d.data[p] <= '9' {
			p++
		}
		if p == f {
			d.pos = p
			return nil, false, d.errorf("invalid number: no digit after the decimal point")
		}
	}
	if p < len(d.data) && (d.data[p] == 'e' || d.data[p] == 'E') {
		integer = false
		p++
		if p < len(d.data) && (d.data[p] == '+' || d.data[p] == '-') {
			p++
		}
		f := p
		for p < len(d.data) && d.data[p] >= '0' && d.data[p] <= '9' {
			p++
		}
		if p == f {
			d.pos = p
			return nil, false, d.errorf("invalid number: no digit in the exponent")
		}
	}
	d.pos = p
	return d.data[start:p], integer, nil
}

// unsigned reads a non-negative integer no larger than max, exactly.
func (d *decoder) unsigned(max uint64) (uint64, error) {
	start := d.pos
	tok, integer, err := d.number()
	if err != nil {
		return 0, err
	}
	// serde_json reads -0 as a float, which no integer field accepts.
	if !integer || string(tok) == "-0" {
		d.pos = start
		return 0, d.errorf("expected an integer, found %s", tok)
	}
	if tok[0] == '-' {
		d.pos = start
		return 0, d.errorf("expected a non-negative integer, found %s", tok)
	}
	var n uint64
	for _, c := range tok {
		dgt := uint64(c - '0')
		if n > (math.MaxUint64-dgt)/10 {
			d.pos = start
			return 0, d.errorf("integer %s out of range", tok)
		}
		n = n*10 + dgt
	}
	if n > max {
		d.pos = start
		return 0, d.errorf("integer %s out of range (at most %d)", tok, max)
	}
	return n, nil
}

// integer reads a signed integer within [min, max], exactly.
func (d *decoder) integer(min, max int64) (int64, error) {
	start := d.pos
	tok, integer, err := d.number()
	if err != nil {
		return 0, err
	}
	if !integer || string(tok) == "-0" {
		d.pos = start
		return 0, d.errorf("expected an integer, found %s", tok)
	}
	n, perr := strconv.ParseInt(string(tok), 10, 64)
	if perr != nil || n < min || n > max {
		d.pos = start
		return 0, d.errorf("integer %s out of range (%d..%d)", tok, min, max)
	}
	return n, nil
}

func (d *decoder) float(is32 bool) (float64, error) {
	start := d.pos
	tok, _, err := d.number()
	if err != nil {
		return 0, err
	}
	bits := 64
	if is32 {
		bits = 32
	}
	f, perr := strconv.ParseFloat(string(tok), bits)
	if perr != nil {
		d.pos = start
		return 0, d.errorf("number %s out of range", tok)
	}
	return f, nil
}

// bytesValue reads an array of numbers 0..255, Rust's Vec<u8>.
func (d *decoder) bytesValue() ([]byte, error) {
	if err := d.expect('['); err != nil {
		return nil, err
	}
	out := []byte{}
	if d.peek() == ']' {
		d.pos++
		return out, nil
	}
	for {
		n, err := d.unsigned(255)
		if err != nil {
			return nil, err
		}
		out = append(out, byte(n))
		c := d.peek()
		if c == ',' {
			d.pos++
			continue
		}
		if c == ']' {
			d.pos++
			return out, nil
		}
		return nil, d.unexpected(`"," or "]"`)
	}
}

// stringBytes reads a JSON string and returns its UTF-8 content. The slice
// is only valid until the next call.
func (d *decoder) stringBytes() ([]byte, error) {
	if d.peek() != '"' {
		return nil, d.unexpected("a string")
	}
	d.pos++
	start := d.pos
	// Fast path: no escape.
	for p := start; p < len(d.data); p++ {
		c := d.data[p]
		if c == '"' {
			s := d.data[start:p]
			if !utf8.Valid(s) {
				return nil, d.errorf("string is not valid UTF-8")
			}
			d.pos = p + 1
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			d.pos = p
			return nil, d.errorf("control character %#02x in a string", c)
		}
	}
	d.buf = d.buf[:0]
	p := start
	for {
		if p >= len(d.data) {
			d.pos = p
			return nil, d.errorf("unexpected end of the record in a string")
		}
		c := d.data[p]
		switch {
		case c == '"':
			if !utf8.Valid(d.buf) {
				d.pos = p
				return nil, d.errorf("string is not valid UTF-8")
			}
			d.pos = p + 1
			return d.buf, nil
		case c < 0x20:
			d.pos = p
			return nil, d.errorf("control character %#02x in a string", c)
		case c != '\\':
			d.buf = append(d.buf, c)
			p++
			continue
		}
		// An escape.
		if p+1 >= len(d.data) {
			d.pos = p
			return nil, d.errorf("unexpected end of the record in a string")
		}
		e := d.data[p+1]
		p += 2
		switch e {
		case '"', '\\', '/':
			d.buf = append(d.buf, e)
		case 'b':
			d.buf = append(d.buf, '\b')
		case 'f':
			d.buf = append(d.buf, '\f')
		case 'n':
			d.buf = append(d.buf, '\n')
		case 'r':
			d.buf = append(d.buf, '\r')
		case 't':
			d.buf = append(d.buf, '\t')
		case 'u':
			r, ok := hex4(d.data, p)
			if !ok {
				d.pos = p
				return nil, d.errorf("invalid \\u escape")
			}
			p += 4
			if utf16.IsSurrogate(r) {
				if r >= 0xdc00 {
					d.pos = p - 6
					return nil, d.errorf("lone trailing surrogate in a \\u escape")
				}
				if p+6 > len(d.data) || d.data[p] != '\\' || d.data[p+1] != 'u' {
					d.pos = p - 6
					return nil, d.errorf("lone leading surrogate in a \\u escape")
				}
				r2, ok := hex4(d.data, p+2)
				if !ok || r2 < 0xdc00 || r2 > 0xdfff {
					d.pos = p
					return nil, d.errorf("invalid surrogate pair in a \\u escape")
				}
				r = utf16.DecodeRune(r, r2)
				p += 6
			}
			d.buf = utf8.AppendRune(d.buf, r)
		default:
			d.pos = p - 1
			return nil, d.errorf("invalid escape \\%c", e)
		}
	}
}

func hex4(b []byte, p int) (rune, bool) {
	if p+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[p : p+4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c - 'a' + 10)
		case c >= 'A' && c <= 'F':
			r |= rune(c - 'A' + 10)
		default:
			return 0, false
		}
	}
	return r, true
}

// skipValue reads and discards any JSON value, checking its syntax.
func (d *decoder) skipValue() error {
	switch d.peek() {
	case '{':
		if err := d.enter(); err != nil {
			return err
		}
		defer func() { d.depth-- }()
		d.pos++
		if d.peek() == '}' {
			d.pos++
			return nil
		}
		for {
			if _, err := d.stringBytes(); err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			if err := d.skipValue(); err != nil {
				return err
			}
			c := d.peek()
			if c == ',' {
				d.pos++
				continue
			}
			if c == '}' {
				d.pos++
				return nil
			}
			return d.unexpected(`"," or "}"`)
		}
	case '[':
		if err := d.enter(); err != nil {
			return err
		}
		defer func() { d.depth-- }()
		d.pos++
		if d.peek() == ']' {
			d.pos++
			return nil
		}
		for {
			if err := d.skipValue(); err != nil {
				return err
			}
			c := d.peek()
			if c == ',' {
				d.pos++
				continue
			}
			if c == ']' {
				d.pos++
				return nil
			}
			return d.unexpected(`"," or "]"`)
		}
	case '"':
		_, err := d.stringBytes()
		return err
	case 't':
		if d.literal("true") {
			return nil
		}
	case 'f':
		if d.literal("false") {
			return nil
		}
	case 'n':
		if d.literal("null") {
			return nil
		}
	default:
		_, _, err := d.number()
		return err
	}
	return d.unexpected("a JSON value")
}
