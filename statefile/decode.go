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

// message reads a JSON object into m.
func (d *decoder) message(m protoreflect.Message) error {
	if err := d.enter(); err != nil {
		return err
	}
	defer func() { d.depth-- }()
	md := m.Descriptor()
	mi := infoFor(md)
	if d.peek() != '{' {
		return d.unexpected(fmt.Sprintf("an object (%s)", md.Name()))
	}
	d.pos++
	var seenSmall uint64
	var seenBig []bool
	if mi.nkeys > 64 {
		seenBig = make([]bool, mi.nkeys)
	}
	seen := func(i int) bool {
		if seenBig != nil {
			return seenBig[i]
		}
		return seenSmall&(1<<uint(i)) != 0
	}
	mark := func(i int) {
		if seenBig != nil {
			seenBig[i] = true
		} else {
			seenSmall |= 1 << uint(i)
		}
	}
	if d.peek() == '}' {
		d.pos++
	} else {
		for {
			keyStart := d.pos
			key, err := d.stringBytes()
			if err != nil {
				return err
			}
			if err := d.expect(':'); err != nil {
				return err
			}
			ki, ok := mi.keys[string(key)]
			if !ok {
				// Unknown keys are ignored, as serde does by default.
				if err := d.skipValue(); err != nil {
					return err
				}
			} else {
				if seen(ki.index) {
					d.pos = keyStart
					return d.errorf("duplicate field %q", mi.names[ki.index])
				}
				mark(ki.index)
				if ki.fd == nil {
					err = d.oneof(m, ki.variants)
				} else {
					err = d.field(m, ki.fd)
				}
				if err != nil {
					return within(err, mi.names[ki.index])
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
			return d.unexpected(`"," or "}"`)
		}
	}
	for _, i := range mi.required {
		if !seen(i) {
			d.pos--
			err := d.errorf("missing required field %q", mi.names[i])
			d.pos++
			return err
		}
	}
	return nil
}

// oneof reads null or a one-key object naming the variant.
func (d *decoder) oneof(m protoreflect.Message, variants map[string]protoreflect.FieldDescriptor) error {
	if d.isNull() {
		return nil
	}
	if d.peek() != '{' {
		return d.unexpected("null or an object with one variant")
	}
	d.pos++
	nameStart := d.pos
	nb, err := d.stringBytes()
	if err != nil {
		return err
	}
	fd, ok := variants[string(nb)]
	if !ok {
		d.pos = nameStart
		return d.errorf("unknown variant %q", nb)
	}
	if err := d.expect(':'); err != nil {
		return err
	}
	if err := d.singular(m, fd); err != nil {
		return within(err, variantName(fd))
	}
	if d.peek() != '}' {
		return d.unexpected(`"}" (a oneof names exactly one variant)`)
	}
	d.pos++
	return nil
}

// field reads the value of a regular field.
func (d *decoder) field(m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	switch {
	case fd.IsMap():
		return d.mapField(m, fd)
	case fd.IsList():
		return d.listField(m, fd)
	case fd.Cardinality() != protoreflect.Required && d.isNull():
		return nil
	}
	return d.singular(m, fd)
}

func (d *decoder) listField(m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	if err := d.expect('['); err != nil {
		return err
	}
	if d.peek() == ']' {
		d.pos++
		return nil
	}
	l := m.Mutable(fd).List()
	for i := 0; ; i++ {
		if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
			v := l.NewElement()
			if err := d.message(v.Message()); err != nil {
				return within(err, strconv.Itoa(i))
			}
			l.Append(v)
		} else {
			v, err := d.scalar(fd)
			if err != nil {
				return within(err, strconv.Itoa(i))
			}
			l.Append(v)
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
}

func (d *decoder) mapField(m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	if err := d.expect('{'); err != nil {
		return err
	}
	if d.peek() == '}' {
		d.pos++
		return nil
	}
	mp := m.Mutable(fd).Map()
	kd, vd := fd.MapKey(), fd.MapValue()
	for {
		keyStart := d.pos
		kb, err := d.stringBytes()
		if err != nil {
			return err
		}
		ks := string(kb)
		key, err := mapKey(kd, ks)
		if err != nil {
			d.pos = keyStart
			return d.errorf("%v", err)
		}
		if err := d.expect(':'); err != nil {
			return err
		}
		if vd.Kind() == protoreflect.MessageKind || vd.Kind() == protoreflect.GroupKind {
			v := mp.NewValue()
			if err := d.message(v.Message()); err != nil {
				return within(err, strconv.Quote(ks))
			}
			mp.Set(key, v)
		} else {
			v, err := d.scalar(vd)
			if err != nil {
				return within(err, strconv.Quote(ks))
			}
			mp.Set(key, v)
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
}

// mapKey converts a JSON object key to a map key of kind kd.
func mapKey(kd protoreflect.FieldDescriptor, s string) (protoreflect.MapKey, error) {
	switch kd.Kind() {
	case protoreflect.StringKind:
		return protoreflect.ValueOfString(s).MapKey(), nil
	case protoreflect.BoolKind:
		switch s {
		case "true":
			return protoreflect.ValueOfBool(true).MapKey(), nil
		case "false":
			return protoreflect.ValueOfBool(false).MapKey(), nil
		}
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		if n, err := strconv.ParseInt(s, 10, 32); err == nil {
			return protoreflect.ValueOfInt32(int32(n)).MapKey(), nil
		}
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return protoreflect.ValueOfInt64(n).MapKey(), nil
		}
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		if n, err := strconv.ParseUint(s, 10, 32); err == nil {
			return protoreflect.ValueOfUint32(uint32(n)).MapKey(), nil
		}
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		if n, err := strconv.ParseUint(s, 10, 64); err == nil {
			return protoreflect.ValueOfUint64(n).MapKey(), nil
		}
	}
	return protoreflect.MapKey{}, fmt.Errorf("invalid map key %q for a %v key", s, kd.Kind())
}

// singular reads one value of fd into m (a message, or a scalar).
func (d *decoder) singular(m protoreflect.Message, fd protoreflect.FieldDescriptor) error {
	if fd.Kind() == protoreflect.MessageKind || fd.Kind() == protoreflect.GroupKind {
		return d.message(m.Mutable(fd).Message())
	}
	v, err := d.scalar(fd)
	if err != nil {
		return err
	}
	m.Set(fd, v)
	return nil
}

// scalar reads a non-message value of fd's kind.
func (d *decoder) scalar(fd protoreflect.FieldDescriptor) (protoreflect.Value, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if d.peek() == 't' && d.literal("true") {
			return protoreflect.ValueOfBool(true), nil
		}
		if d.peek() == 'f' && d.literal("false") {
			return protoreflect.ValueOfBool(false), nil
		}
		return protoreflect.Value{}, d.unexpected("a boolean")
	case protoreflect.StringKind:
		s, err := d.stringBytes()
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfString(string(s)), nil
	case protoreflect.EnumKind:
		n, err := d.integer(math.MinInt32, math.MaxInt32)
		if err != nil {
			return protoreflect.Value{}, err
		}
		return protoreflect.ValueOfEnum(protoreflect.EnumNumber(n)), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind:
		n, err := d.integer(math.MinInt32, math.MaxInt32)
		return protoreflect.ValueOfInt32(int32(n)), err
	case protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		n, err := d.integer(math.MinInt64, math.MaxInt64)
		return protoreflect.ValueOfInt64(n), err
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind:
		n, err := d.unsigned(math.MaxUint32)
		return protoreflect.ValueOfUint32(uint32(n)), err
	case protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		n, err := d.unsigned(math.MaxUint64)
		return protoreflect.ValueOfUint64(n), err
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		f, err := d.float(fd.Kind() == protoreflect.FloatKind)
		if fd.Kind() == protoreflect.FloatKind {
			return protoreflect.ValueOfFloat32(float32(f)), err
		}
		return protoreflect.ValueOfFloat64(f), err
	case protoreflect.BytesKind:
		return d.bytesValue()
	}
	return protoreflect.Value{}, d.errorf("unsupported field kind %v", fd.Kind())
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
	if !integer {
		d.pos = start
		return 0, d.errorf("expected an integer, found %s", tok)
	}
	if tok[0] == '-' {
		if string(tok) == "-0" {
			return 0, nil
		}
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
	if !integer {
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
func (d *decoder) bytesValue() (protoreflect.Value, error) {
	if err := d.expect('['); err != nil {
		return protoreflect.Value{}, err
	}
	out := []byte{}
	if d.peek() == ']' {
		d.pos++
		return protoreflect.ValueOfBytes(out), nil
	}
	for {
		n, err := d.unsigned(255)
		if err != nil {
			return protoreflect.Value{}, err
		}
		out = append(out, byte(n))
		c := d.peek()
		if c == ',' {
			d.pos++
			continue
		}
		if c == ']' {
			d.pos++
			return protoreflect.ValueOfBytes(out), nil
		}
		return protoreflect.Value{}, d.unexpected(`"," or "]"`)
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
