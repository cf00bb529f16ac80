package state

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"math"
	"slices"
	"sort"
	"sync"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// canonicalVersion starts every encoding; a change to the encoding changes it.
const canonicalVersion = "sozuctl-plan/state canonical v1\n"

// Fingerprint returns "sha256:<64 hex digits>", a digest of the effective
// value of s that does not depend on how s was built (from HCL, a state
// file or the live proxy) nor on map order. It hashes this encoding:
//
//	"sozuctl-plan/state canonical v1\n"
//	then, for every object in canonical order:
//	  varint(kind) varint(len(key)) key message
//
// The canonical order: HTTP, HTTPS, TCP then UDP listeners by address key
// (FormatAddress, compared as strings); clusters by id; backends by
// cluster_id, then backend_id, then address (IPv4 before IPv6, then bytes,
// then port); HTTP then HTTPS frontends by route key; TCP then UDP
// frontends by cluster_id then address, keeping stored order among
// frontends of one cluster on one address (on Sōzu's workers the last one
// added routes); certificates by address key then fingerprint. The key
// written for each object is its Object key. Empty per-cluster backend and
// frontend lists and empty certificate maps are not objects and do not
// count.
//
// A message is the effective value of the object (Normalize's rules) with
// its set fields in field-number order, each as varint(number) then the
// value: bool, integer and enum as a varint (signed integers as their
// two's-complement uint64, floats as IEEE bits), string and bytes as
// varint(len) then the bytes, a message as its own encoding, a list as
// varint(len) then its elements, a map as varint(len) then key and value
// pairs sorted by key. A message ends with varint(0), which is never a
// field number. Unknown fields are ignored.
func (s *State) Fingerprint() string {
	h := sha256.New()
	h.Write([]byte(canonicalVersion))
	var buf []byte
	s.eachCanonical(func(k Kind, key string, m proto.Message) {
		buf = buf[:0]
		buf = binary.AppendUvarint(buf, uint64(k))
		buf = binary.AppendUvarint(buf, uint64(len(key)))
		buf = append(buf, key...)
		buf = appendEffective(buf, m)
		h.Write(buf)
	})
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// eachCanonical calls fn for every object of s in the canonical order of
// Fingerprint.
func (s *State) eachCanonical(fn func(Kind, string, proto.Message)) {
	if s == nil {
		return
	}
	eachSorted(s.HTTPListeners, KindHTTPListener, fn)
	eachSorted(s.HTTPSListeners, KindHTTPSListener, fn)
	eachSorted(s.TCPListeners, KindTCPListener, fn)
	eachSorted(s.UDPListeners, KindUDPListener, fn)
	eachSorted(s.Clusters, KindCluster, fn)
	for _, c := range sortedKeys(s.Backends) {
		for _, b := range canonicalBackends(s.Backends[c]) {
			fn(KindBackend, BackendKey(b), b)
		}
	}
	eachSorted(s.HTTPFrontends, KindHTTPFrontend, fn)
	eachSorted(s.HTTPSFrontends, KindHTTPSFrontend, fn)
	for _, c := range sortedKeys(s.TCPFrontends) {
		for _, f := range canonicalL4(s.TCPFrontends[c]) {
			fn(KindTCPFrontend, TCPFrontendKey(f), f)
		}
	}
	for _, c := range sortedKeys(s.UDPFrontends) {
		for _, f := range canonicalL4(s.UDPFrontends[c]) {
			fn(KindUDPFrontend, UDPFrontendKey(f), f)
		}
	}
	for _, addr := range sortedKeys(s.Certificates) {
		certs := s.Certificates[addr]
		for _, fp := range sortedKeys(certs) {
			fn(KindCertificate, CertificateKey(addr, fp), certs[fp])
		}
	}
}

func eachSorted[M proto.Message](m map[string]M, k Kind, fn func(Kind, string, proto.Message)) {
	for _, key := range sortedKeys(m) {
		fn(k, key, m[key])
	}
}

// canonicalBackends returns one cluster's backends by identity
// (compareBackends), whatever order they are stored in.
func canonicalBackends(list []*sozupb.AddBackend) []*sozupb.AddBackend {
	if slices.IsSortedFunc(list, compareBackends) {
		return list
	}
	out := slices.Clone(list)
	slices.SortStableFunc(out, compareBackends)
	return out
}

func appendVarint(b []byte, v uint64) []byte { return binary.AppendUvarint(b, v) }

// appendEffective appends the canonical encoding of m's effective value.
func appendEffective(b []byte, m proto.Message) []byte {
	switch m.(type) {
	case *sozupb.HttpListenerConfig, *sozupb.HttpsListenerConfig, *sozupb.CertificateAndKey, *sozupb.AddCertificate:
		m = Normalize(m)
	}
	return appendMessage(b, m.ProtoReflect())
}

var sortedFieldsCache sync.Map // protoreflect.FullName → []protoreflect.FieldDescriptor

func sortedFields(md protoreflect.MessageDescriptor) []protoreflect.FieldDescriptor {
	if v, ok := sortedFieldsCache.Load(md.FullName()); ok {
		return v.([]protoreflect.FieldDescriptor)
	}
	fields := md.Fields()
	out := make([]protoreflect.FieldDescriptor, fields.Len())
	for i := range out {
		out[i] = fields.Get(i)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number() < out[j].Number() })
	sortedFieldsCache.Store(md.FullName(), out)
	return out
}

// appendMessage encodes m with Normalize's rules 1, 2 and 6 applied on the
// fly.
func appendMessage(b []byte, m protoreflect.Message) []byte {
	if a, ok := m.Interface().(*sozupb.SocketAddress); ok {
		return appendAddress(b, a)
	}
	if m.IsValid() {
		for _, fd := range sortedFields(m.Descriptor()) {
			has := m.Has(fd)
			switch {
			case fd.IsList() || fd.IsMap():
				if !has {
					continue
				}
			case fd.Message() != nil:
				if !has {
					continue
				}
			default:
				if !has && !fd.HasDefault() && fd.Cardinality() != protoreflect.Required {
					continue
				}
			}
			b = appendVarint(b, uint64(fd.Number()))
			v := m.Get(fd) // an unset scalar reads as its default
			switch {
			case fd.IsList():
				l := v.List()
				b = appendVarint(b, uint64(l.Len()))
				for i := 0; i < l.Len(); i++ {
					b = appendValue(b, fd, l.Get(i))
				}
			case fd.IsMap():
				mp := v.Map()
				keys := make([]protoreflect.MapKey, 0, mp.Len())
				mp.Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
					keys = append(keys, k)
					return true
				})
				sort.Slice(keys, func(i, j int) bool { return lessMapKey(keys[i], keys[j]) })
				b = appendVarint(b, uint64(len(keys)))
				for _, k := range keys {
					b = appendValue(b, fd.MapKey(), k.Value())
					b = appendValue(b, fd.MapValue(), mp.Get(k))
				}
			default:
				b = appendValue(b, fd, v)
			}
		}
	}
	return appendVarint(b, 0)
}

// appendAddress encodes canonicalAddress(a) as appendMessage would, without
// building it: ip (1) { v4 (1) | v6 (2) { low (1), high (2) } }, port (2).
func appendAddress(b []byte, a *sozupb.SocketAddress) []byte {
	ap := sozuAddrPort(a)
	b = appendVarint(b, 1)
	if ip := ap.Addr(); ip.Is4() {
		v := ip.As4()
		b = appendVarint(b, 1)
		b = appendVarint(b, uint64(binary.BigEndian.Uint32(v[:])))
	} else {
		v := ip.As16()
		b = appendVarint(b, 2)
		b = appendVarint(b, 1)
		b = appendVarint(b, binary.BigEndian.Uint64(v[8:]))
		b = appendVarint(b, 2)
		b = appendVarint(b, binary.BigEndian.Uint64(v[:8]))
		b = appendVarint(b, 0)
	}
	b = appendVarint(b, 0)
	b = appendVarint(b, 2)
	b = appendVarint(b, uint64(ap.Port()))
	return appendVarint(b, 0)
}

func lessMapKey(a, b protoreflect.MapKey) bool {
	switch x := a.Interface().(type) {
	case string:
		return x < b.String()
	case bool:
		return !x && b.Bool()
	case int32, int64:
		return a.Int() < b.Int()
	default:
		return a.Uint() < b.Uint()
	}
}

func appendValue(b []byte, fd protoreflect.FieldDescriptor, v protoreflect.Value) []byte {
	switch fd.Kind() {
	case protoreflect.BoolKind:
		if v.Bool() {
			return appendVarint(b, 1)
		}
		return appendVarint(b, 0)
	case protoreflect.EnumKind:
		return appendVarint(b, uint64(int64(v.Enum())))
	case protoreflect.Int32Kind, protoreflect.Sint32Kind, protoreflect.Sfixed32Kind,
		protoreflect.Int64Kind, protoreflect.Sint64Kind, protoreflect.Sfixed64Kind:
		return appendVarint(b, uint64(v.Int()))
	case protoreflect.Uint32Kind, protoreflect.Fixed32Kind, protoreflect.Uint64Kind, protoreflect.Fixed64Kind:
		return appendVarint(b, v.Uint())
	case protoreflect.FloatKind, protoreflect.DoubleKind:
		return appendVarint(b, math.Float64bits(v.Float()))
	case protoreflect.StringKind:
		s := v.String()
		b = appendVarint(b, uint64(len(s)))
		return append(b, s...)
	case protoreflect.BytesKind:
		s := v.Bytes()
		b = appendVarint(b, uint64(len(s)))
		return append(b, s...)
	case protoreflect.MessageKind, protoreflect.GroupKind:
		return appendMessage(b, v.Message())
	}
	return b
}

// Equal reports whether s and o hold the same objects with the same
// effective values: the rules of Normalize, with empty per-cluster lists
// and empty certificate maps counting as absent. Equal(o) is true exactly
// when the fingerprints are equal (barring SHA-256 collisions).
func (s *State) Equal(o *State) bool {
	if s.Len() != o.Len() {
		return false
	}
	if s == nil || o == nil {
		return true // both hold no object
	}
	var a, b []byte
	same := func(x, y proto.Message) bool {
		if proto.Equal(x, y) {
			return true // equal messages have equal effective values
		}
		a = appendEffective(a[:0], x)
		b = appendEffective(b[:0], y)
		return bytes.Equal(a, b)
	}
	if !equalMap(s.HTTPListeners, o.HTTPListeners, same) ||
		!equalMap(s.HTTPSListeners, o.HTTPSListeners, same) ||
		!equalMap(s.TCPListeners, o.TCPListeners, same) ||
		!equalMap(s.UDPListeners, o.UDPListeners, same) ||
		!equalMap(s.Clusters, o.Clusters, same) ||
		!equalMap(s.HTTPFrontends, o.HTTPFrontends, same) ||
		!equalMap(s.HTTPSFrontends, o.HTTPSFrontends, same) {
		return false
	}
	for c, list := range s.Backends {
		other := o.Backends[c]
		if len(list) != len(other) {
			return false
		}
		list, other = canonicalBackends(list), canonicalBackends(other)
		for i := range list {
			if !same(list[i], other[i]) {
				return false
			}
		}
	}
	if !equalL4(s.TCPFrontends, o.TCPFrontends, same) || !equalL4(s.UDPFrontends, o.UDPFrontends, same) {
		return false
	}
	for addr, certs := range s.Certificates {
		if !equalMap(certs, o.Certificates[addr], same) {
			return false
		}
	}
	return true
}

// equalMap compares two maps of equal total size by key; maps must have the
// same length.
func equalMap[M proto.Message](x, y map[string]M, same func(a, b proto.Message) bool) bool {
	if len(x) != len(y) {
		return false
	}
	for k, v := range x {
		w, ok := y[k]
		if !ok || !same(v, w) {
			return false
		}
	}
	return true
}

func equalL4[F l4Frontend](x, y map[string][]F, same func(a, b proto.Message) bool) bool {
	for c, list := range x {
		other := y[c]
		if len(list) != len(other) {
			return false
		}
		lx, ly := canonicalL4(list), canonicalL4(other)
		for i := range lx {
			if !same(lx[i], ly[i]) {
				return false
			}
		}
	}
	return true
}

// canonicalL4 orders one cluster's TCP or UDP frontends by address, keeping
// stored order on one address.
func canonicalL4[F l4Frontend](list []F) []F {
	if slices.IsSortedFunc(list, func(a, b F) int { return compareAddresses(a.GetAddress(), b.GetAddress()) }) {
		return list
	}
	out := slices.Clone(list)
	sort.SliceStable(out, func(i, j int) bool {
		return compareAddresses(out[i].GetAddress(), out[j].GetAddress()) < 0
	})
	return out
}
