package statefile

import (
	"errors"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"google.golang.org/protobuf/reflect/protoreflect"
)

// variantNames caches the serde variant name of every oneof member, keyed
// by the member's full name.
var variantNames sync.Map // protoreflect.FullName -> string

// variantName returns the key Sōzu's serde derive gives a oneof member:
// prost turns the proto field name into an UpperCamelCase Rust variant
// ("add_cluster" → AddCluster, "Logging" → Logging, "v4" → V4), and serde's
// rename_all = "SCREAMING_SNAKE_CASE" then puts an underscore before every
// upper-case letter but the first and upper-cases the whole.
func variantName(fd protoreflect.FieldDescriptor) string {
	if v, ok := variantNames.Load(fd.FullName()); ok {
		return v.(string)
	}
	n := screamingSnake(upperCamel(string(fd.Name())))
	variantNames.Store(fd.FullName(), n)
	return n
}

// upperCamel mimics the identifier conversion prost applies to oneof
// members: words are split at underscores and at lower-to-upper case
// changes; each word keeps its first letter upper-cased and the rest
// lower-cased.
func upperCamel(s string) string {
	var b strings.Builder
	startWord := true
	prevLower := false
	for _, r := range s {
		if r == '_' {
			startWord = true
			prevLower = false
			continue
		}
		isUpper := r >= 'A' && r <= 'Z'
		if isUpper && prevLower {
			startWord = true
		}
		if startWord {
			b.WriteString(strings.ToUpper(string(r)))
			startWord = false
		} else {
			b.WriteString(strings.ToLower(string(r)))
		}
		prevLower = (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9')
	}
	return b.String()
}

// screamingSnake applies serde's SCREAMING_SNAKE_CASE rule to a Rust variant
// name.
func screamingSnake(s string) string {
	var b strings.Builder
	for i, r := range s {
		if i > 0 && r >= 'A' && r <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteString(strings.ToUpper(string(r)))
	}
	return b.String()
}

// encoder appends the serde JSON form of messages to a byte slice.
type encoder struct{}

// appendMessage writes m as a JSON object: regular fields in declaration
// order, then one key per oneof.
func (e encoder) appendMessage(b []byte, m protoreflect.Message) ([]byte, error) {
	md := m.Descriptor()
	b = append(b, '{')
	first := true
	fields := md.Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if od := fd.ContainingOneof(); od != nil && !od.IsSynthetic() {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, string(fd.Name()))
		b = append(b, ':')
		var err error
		b, err = e.appendField(b, m, fd)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fd.Name(), err)
		}
	}
	oneofs := md.Oneofs()
	for i := 0; i < oneofs.Len(); i++ {
		od := oneofs.Get(i)
		if od.IsSynthetic() {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		b = appendString(b, string(od.Name()))
		b = append(b, ':')
		fd := m.WhichOneof(od)
		if fd == nil {
			b = append(b, "null"...)
			continue
		}
		b = append(b, '{')
		b = appendString(b, variantName(fd))
		b = append(b, ':')
		var err error
		b, err = e.appendSingular(b, fd, m.Get(fd))
		if err != nil {
			return nil, fmt.Errorf("%s.%s: %w", od.Name(), variantName(fd), err)
		}
		b = append(b, '}')
	}
	return append(b, '}'), nil
}

// appendField writes the value of one non-oneof field.
func (e encoder) appendField(b []byte, m protoreflect.Message, fd protoreflect.FieldDescriptor) ([]byte, error) {
	switch {
	case fd.IsMap():
		return e.appendMap(b, fd, m.Get(fd).Map())
	case fd.IsList():
		l := m.Get(fd).List()
		b = append(b, '[')
		for i := 0; i < l.Len(); i++ {
			if i > 0 {
				b = append(b, ',')
			}
			var err error
			b, err = e.appendSingular(b, fd, l.Get(i))
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
		}
		return append(b, ']'), nil
	case fd.Cardinality() == protoreflect.Required:
		// A required field Sōzu holds as a plain value: an unset one is the
		// proto2 default (prost fills it in), and an unset message is one
		// made of defaults.
		return e.appendSingular(b, fd, m.Get(fd))
	default:
		if !m.Has(fd) {
			return append(b, "null"...), nil
		}
		return e.appendSingular(b, fd, m.Get(fd))
	}
}

// appendMap writes a map as a JSON object sorted by key, as a Rust BTreeMap
// serialises.
func (e encoder) appendMap(b []byte, fd protoreflect.FieldDescriptor, mp protoreflect.Map) ([]byte, error) {
	keys := make([]protoreflect.MapKey, 0, mp.Len())
	mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
		keys = append(keys, k)
		return true
	})
	sort.Slice(keys, func(i, j int) bool { return lessMapKey(keys[i], keys[j]) })
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		ks := k.String()
		if fd.MapKey().Kind() == protoreflect.StringKind && !utf8.ValidString(ks) {
			return nil, errors.New("a map key is not valid UTF-8")
		}
		b = appendString(b, ks)
		b = append(b, ':')
		var err error
		b, err = e.appendSingular(b, fd.MapValue(), mp.Get(k))
		if err != nil {
			return nil, fmt.Errorf("[%q]: %w", ks, err)
		}
	}
	return append(b, '}'), nil
}

// lessMapKey orders map keys as Rust orders them: strings byte-wise,
// integers numerically, false before true.
func lessMapKey(a, b protoreflect.MapKey) bool {
	switch v := a.Interface().(type) {
	case string:
		return v < b.String()
	case bool:
		return !v && b.Bool()
	case int32, int64:
		return a.Int() < b.Int()
	default:
		return a.Uint() < b.Uint()
	}
}

// appendSingular writes one value of fd's kind.
func (e encoder) appendSingular(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) ([]byte, error) {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return strconv.AppendBool(b, v.Bool()), nil
	case protoreflect.EnumKind:
		return strconv.AppendInt(b, int64(v.Enum()), 10), nil
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return strconv.AppendInt(b, v.Int(), 10), nil
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind,
		protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return strconv.AppendUint(b, v.Uint(), 10), nil
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return appendFloat(b, v.Float(), fd.Kind() == protoreflect.FloatKind), nil
	case protoreflect.StringKind:
		s := v.String()
		if !utf8.ValidString(s) {
			// The value is not quoted: it may be a private key.
			return nil, fmt.Errorf("a string of %d bytes is not valid UTF-8", len(s))
		}
		return appendString(b, s), nil
	case protoreflect.BytesKind:
		// A Rust Vec<u8> serialises as a sequence of numbers.
		b = append(b, '[')
		for i, c := range v.Bytes() {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendUint(b, uint64(c), 10)
		}
		return append(b, ']'), nil
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return e.appendMessage(b, v.Message())
	}
	return nil, fmt.Errorf("unsupported field kind %v", fd.Kind())
}

// appendFloat writes a float the way serde_json does: the shortest
// representation that reads back exactly, always with a fraction or an
// exponent, and null for values JSON cannot hold.
func appendFloat(b []byte, f float64, is32 bool) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	bits := 64
	if is32 {
		bits = 32
	}
	s := strconv.FormatFloat(f, 'g', -1, bits)
	if e := strings.IndexByte(s, 'e'); e >= 0 {
		// Go writes "1e+21"; serde_json writes "1e21".
		mant, exp := s[:e], s[e+1:]
		exp = strings.TrimPrefix(exp, "+")
		neg := strings.HasPrefix(exp, "-")
		exp = strings.TrimLeft(strings.TrimPrefix(exp, "-"), "0")
		if neg {
			exp = "-" + exp
		}
		s = mant + "e" + exp
	} else if !strings.ContainsAny(s, ".") {
		s += ".0"
	}
	return append(b, s...)
}

// appendString writes s as a JSON string with serde_json's escapes: quote,
// backslash and control characters only, everything else as raw UTF-8.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' {
			continue
		}
		b = append(b, s[start:i]...)
		switch c {
		case '"':
			b = append(b, '\\', '"')
		case '\\':
			b = append(b, '\\', '\\')
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		case '\b':
			b = append(b, '\\', 'b')
		case '\f':
			b = append(b, '\\', 'f')
		default:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		}
		start = i + 1
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
