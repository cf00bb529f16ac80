package config

import (
	"encoding/json"
	"errors"
	"unicode/utf8"

	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/function"
	"github.com/zclconf/go-cty/cty/function/stdlib"
)

// jsonDecodeFunc is jsondecode with go-cty's semantics (objects become
// object values, arrays tuples, numbers arbitrary-precision numbers, null a
// null of unknown type) and a single pass over the text: go-cty's own
// version reads the document twice through encoding/json's token API,
// which dominates the loading of a configuration generated from a large
// data file. Any document the fast reader does not plainly accept (a syntax
// error, a duplicate key, an unknown string) is handed to go-cty's function,
// so errors are reported in its words.
func jsonDecodeFunc() function.Function {
	var lastSrc string
	var lastVal cty.Value
	decode := func(s string) (cty.Value, bool) {
		if lastVal != cty.NilVal && s == lastSrc {
			return lastVal, true
		}
		v, ok := decodeJSON(s)
		if ok {
			lastSrc, lastVal = s, v
		}
		return v, ok
	}
	return function.New(&function.Spec{
		Description: stdlib.JSONDecodeFunc.Description(),
		Params:      stdlib.JSONDecodeFunc.Params(),
		Type: func(args []cty.Value) (cty.Type, error) {
			if args[0].IsKnown() && !args[0].IsNull() {
				if v, ok := decode(args[0].AsString()); ok {
					return v.Type(), nil
				}
			}
			return stdlib.JSONDecodeFunc.ReturnTypeForValues(args)
		},
		Impl: func(args []cty.Value, retType cty.Type) (cty.Value, error) {
			// Type has just read the same text: the value has retType.
			if v, ok := decode(args[0].AsString()); ok {
				return v, nil
			}
			return stdlib.JSONDecodeFunc.Call(args)
		},
	})
}

// errJSON stops the fast reader; the caller falls back to go-cty's.
var errJSON = errors.New("not plain JSON")

// decodeJSON reads a JSON document into a cty value, or reports false.
func decodeJSON(s string) (cty.Value, bool) {
	r := &jsonReader{s: s}
	v, err := r.value(0)
	if err != nil {
		return cty.NilVal, false
	}
	r.space()
	if r.i != len(r.s) {
		return cty.NilVal, false
	}
	return v, true
}

// jsonReader is a recursive-descent JSON reader over s.
type jsonReader struct {
	s string
	i int
}

// maxJSONDepth bounds nesting, so that a hostile document cannot exhaust
// the stack.
const maxJSONDepth = 1000

func (r *jsonReader) space() {
	for r.i < len(r.s) {
		switch r.s[r.i] {
		case ' ', '\t', '\n', '\r':
			r.i++
		default:
			return
		}
	}
}

func (r *jsonReader) value(depth int) (cty.Value, error) {
	if depth > maxJSONDepth {
		return cty.NilVal, errJSON
	}
	r.space()
	if r.i >= len(r.s) {
		return cty.NilVal, errJSON
	}
	switch c := r.s[r.i]; {
	case c == '{':
		return r.object(depth)
	case c == '[':
		return r.array(depth)
	case c == '"':
		s, err := r.str()
		if err != nil {
			return cty.NilVal, err
		}
		return cty.StringVal(s), nil
	case c == 't':
		return r.word("true", cty.True)
	case c == 'f':
		return r.word("false", cty.False)
	case c == 'n':
		return r.word("null", cty.NullVal(cty.DynamicPseudoType))
	case c == '-' || (c >= '0' && c <= '9'):
		return r.number()
	}
	return cty.NilVal, errJSON
}

func (r *jsonReader) word(w string, v cty.Value) (cty.Value, error) {
	if len(r.s)-r.i < len(w) || r.s[r.i:r.i+len(w)] != w {
		return cty.NilVal, errJSON
	}
	r.i += len(w)
	return v, nil
}

func (r *jsonReader) object(depth int) (cty.Value, error) {
	r.i++ // {
	r.space()
	if r.i < len(r.s) && r.s[r.i] == '}' {
		r.i++
		return cty.EmptyObjectVal, nil
	}
	attrs := map[string]cty.Value{}
	for {
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != '"' {
			return cty.NilVal, errJSON
		}
		k, err := r.str()
		if err != nil {
			return cty.NilVal, err
		}
		if _, dup := attrs[k]; dup {
			return cty.NilVal, errJSON // go-cty reports duplicates
		}
		r.space()
		if r.i >= len(r.s) || r.s[r.i] != ':' {
			return cty.NilVal, errJSON
		}
		r.i++
		v, err := r.value(depth + 1)
		if err != nil {
			return cty.NilVal, err
		}
		attrs[k] = v
		r.space()
		if r.i >= len(r.s) {
			return cty.NilVal, errJSON
		}
		switch r.s[r.i] {
		case ',':
			r.i++
		case '}':
			r.i++
			return cty.ObjectVal(attrs), nil
		default:
			return cty.NilVal, errJSON
		}
	}
}

func (r *jsonReader) array(depth int) (cty.Value, error) {
	r.i++ // [
	r.space()
	if r.i < len(r.s) && r.s[r.i] == ']' {
		r.i++
		return cty.EmptyTupleVal, nil
	}
	var elems []cty.Value
	for {
		v, err := r.value(depth + 1)
		if err != nil {
			return cty.NilVal, err
		}
		elems = append(elems, v)
		r.space()
		if r.i >= len(r.s) {
			return cty.NilVal, errJSON
		}
		switch r.s[r.i] {
		case ',':
			r.i++
		case ']':
			r.i++
			return cty.TupleVal(elems), nil
		default:
			return cty.NilVal, errJSON
		}
	}
}

// str reads a string token. Strings of printable ASCII without escapes are
// sliced out as they are; others are decoded by encoding/json, which gives
// escapes and invalid UTF-8 the meaning go-cty's reader gives them.
func (r *jsonReader) str() (string, error) {
	start := r.i
	r.i++ // "
	plain := true
	for r.i < len(r.s) {
		c := r.s[r.i]
		switch {
		case c == '"':
			r.i++
			if plain {
				return r.s[start+1 : r.i-1], nil
			}
			var out string
			if err := json.Unmarshal([]byte(r.s[start:r.i]), &out); err != nil {
				return "", errJSON
			}
			return out, nil
		case c == '\\':
			plain = false
			r.i += 2
			continue
		case c < 0x20:
			return "", errJSON
		case c >= utf8.RuneSelf:
			plain = false
		}
		r.i++
	}
	return "", errJSON
}

// number reads a number token with JSON's grammar and parses it as go-cty
// does.
func (r *jsonReader) number() (cty.Value, error) {
	start := r.i
	if r.s[r.i] == '-' {
		r.i++
	}
	digits := func() int {
		n := 0
		for r.i < len(r.s) && r.s[r.i] >= '0' && r.s[r.i] <= '9' {
			r.i++
			n++
		}
		return n
	}
	intStart := r.i
	if n := digits(); n == 0 || (n > 1 && r.s[intStart] == '0') {
		return cty.NilVal, errJSON
	}
	if r.i < len(r.s) && r.s[r.i] == '.' {
		r.i++
		if digits() == 0 {
			return cty.NilVal, errJSON
		}
	}
	if r.i < len(r.s) && (r.s[r.i] == 'e' || r.s[r.i] == 'E') {
		r.i++
		if r.i < len(r.s) && (r.s[r.i] == '+' || r.s[r.i] == '-') {
			r.i++
		}
		if digits() == 0 {
			return cty.NilVal, errJSON
		}
	}
	v, err := cty.ParseNumberVal(r.s[start:r.i])
	if err != nil {
		return cty.NilVal, errJSON
	}
	return v, nil
}
