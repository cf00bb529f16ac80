package planner

import (
	"encoding/base64"
	"reflect"
	"sort"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// leaf is one flattened attribute value.
type leaf struct {
	value     any
	sensitive bool
}

// attributeChanges lists the attributes that differ between before and
// after (either may be nil), sorted by path. Sensitive values are compared
// but never copied into the result.
func attributeChanges(before, after proto.Message) []AttributeChange {
	b := flatten(before)
	a := flatten(after)
	paths := make([]string, 0, len(a)+len(b))
	for p := range b {
		paths = append(paths, p)
	}
	for p := range a {
		if _, ok := b[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var out []AttributeChange
	for _, p := range paths {
		lb, inB := b[p]
		la, inA := a[p]
		if inA && inB && reflect.DeepEqual(la.value, lb.value) {
			continue
		}
		ac := AttributeChange{Path: p, Sensitive: la.sensitive || lb.sensitive}
		if !ac.Sensitive {
			if inB {
				ac.Before = lb.value
			}
			if inA {
				ac.After = la.value
			}
		}
		out = append(out, ac)
	}
	return out
}

// flatten maps every set attribute of m to its value.
func flatten(m proto.Message) map[string]leaf {
	out := map[string]leaf{}
	if m == nil || !m.ProtoReflect().IsValid() {
		return out
	}
	flattenInto(out, "", m.ProtoReflect(), false)
	return out
}

func flattenInto(out map[string]leaf, prefix string, m protoreflect.Message, sensitive bool) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		path := prefix + string(fd.Name())
		sens := sensitive || isSensitive(m, fd)
		switch {
		case fd.IsList():
			l := v.List()
			vals := make([]any, l.Len())
			for i := range vals {
				vals[i] = plainValue(fd, l.Get(i))
			}
			out[path] = leaf{vals, sens}
		case fd.IsMap():
			v.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				out[path+"["+k.String()+"]"] = leaf{plainValue(fd.MapValue(), mv), sens}
				return true
			})
		case fd.Message() != nil:
			if a, ok := v.Message().Interface().(*sozupb.SocketAddress); ok {
				out[path] = leaf{state.FormatAddress(a), sens}
				return true
			}
			flattenInto(out, path+".", v.Message(), sens)
		default:
			out[path] = leaf{plainValue(fd, v), sens}
		}
		return true
	})
}

// isSensitive reports whether fd holds a private key.
func isSensitive(m protoreflect.Message, fd protoreflect.FieldDescriptor) bool {
	if fd.Name() != "key" {
		return false
	}
	switch m.Interface().(type) {
	case *sozupb.CertificateAndKey, *sozupb.HttpsListenerConfig:
		return true
	}
	return false
}

// plainValue converts one protobuf value to a plain Go value.
func plainValue(fd protoreflect.FieldDescriptor, v protoreflect.Value) any {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		return v.Bool()
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return int64(v.Enum())
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return v.Int()
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return v.Uint()
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return v.Float()
	case protoreflect.StringKind:
		return v.String()
	case protoreflect.BytesKind:
		return base64.StdEncoding.EncodeToString(v.Bytes())
	case protoreflect.MessageKind, protoreflect.GroupKind:
		sub := map[string]leaf{}
		flattenInto(sub, "", v.Message(), false)
		obj := make(map[string]any, len(sub))
		for k, l := range sub {
			obj[k] = l.value
		}
		return obj
	}
	return nil
}
