package planfile

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Inputs are what New records besides the plan.
type Inputs struct {
	// ConfigDir is the configuration directory (made absolute).
	ConfigDir string
	// Options are the planning options.
	Options Options
	// Keys are the sources of the configuration's private keys
	// (config.Config.Sensitive.Keys); a key of the plan is matched to its
	// source by its SHA-256.
	Keys map[config.ObjectID]config.KeySource
	// Sensitive lists, by change address, the sensitive attribute paths
	// (config.Object.Sensitive).
	Sensitive map[string][]string
}

// New builds the plan file of p: every private key of p's requests is
// recorded by its source among in.Keys (a key of unknown source by its
// hash alone).
func New(p *planner.Plan, in Inputs) (*File, error) {
	if p == nil {
		return nil, errors.New("making a plan file: no plan")
	}
	dir := in.ConfigDir
	if dir != "" {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, fmt.Errorf("making a plan file: %w", err)
		}
		dir = abs
	}
	byHash := map[string]config.KeySource{}
	ids := make([]config.ObjectID, 0, len(in.Keys))
	for id := range in.Keys {
		ids = append(ids, id)
	}
	// A file beats a variable, which beats an expression; then the first
	// object wins, so that the choice does not depend on map order.
	sort.Slice(ids, func(i, j int) bool {
		if ids[i].Kind != ids[j].Kind {
			return ids[i].Kind < ids[j].Kind
		}
		return ids[i].Key < ids[j].Key
	})
	rank := func(s config.KeySource) int {
		switch {
		case s.File != "":
			return 0
		case s.Variable != "":
			return 1
		}
		return 2
	}
	for _, id := range ids {
		src := in.Keys[id]
		if old, ok := byHash[src.SHA256]; !ok || rank(src) < rank(old) {
			byHash[src.SHA256] = src
		}
	}
	f := &File{Plan: p, ConfigDir: dir, Options: in.Options, Sensitive: map[string][]string{}}
	for addr, paths := range in.Sensitive {
		if len(paths) > 0 {
			f.Sensitive[addr] = append([]string{}, paths...)
		}
	}
	for i, r := range p.Requests {
		for _, kf := range keyFields(r) {
			if kf.value == "" {
				continue
			}
			sum := sha256.Sum256([]byte(kf.value))
			ref := KeyRef{Request: i, Field: kf.path, SHA256: hex.EncodeToString(sum[:]), Resolved: true}
			// The source recorded for the request's own object comes
			// first; another object's key with the same text does too.
			src, ok := config.KeySource{}, false
			if i < len(p.RequestChange) && p.RequestChange[i] >= 0 && p.RequestChange[i] < len(p.Changes) {
				c := p.Changes[p.RequestChange[i]]
				src, ok = in.Keys[config.ObjectID{Kind: c.Kind, Key: c.Key}]
				ok = ok && src.SHA256 == ref.SHA256
			}
			if !ok {
				src, ok = byHash[ref.SHA256]
			}
			if ok {
				ref.File, ref.Variable = src.File, src.Variable
			}
			f.Keys = append(f.Keys, ref)
		}
	}
	return f, nil
}

// ResolveOptions say where Resolve finds keys that do not come from files.
type ResolveOptions struct {
	// Variables are the values of variables given to apply, by name.
	Variables map[string]string
	// Lookup, when set, finds a key by its SHA-256 (lowercase hex): for
	// keys computed by expressions, and for variables not in Variables.
	// KeysOf gives one that looks among the keys of a state, such as the
	// configuration loaded again with the variables given to apply.
	Lookup func(sha256 string) (string, bool)
}

// KeysOf returns a Lookup over the private keys of st: those of its
// certificates and of its HTTPS listeners.
func KeysOf(st *state.State) func(sha256 string) (string, bool) {
	byHash := map[string]string{}
	if st != nil {
		for _, l := range st.HTTPSListeners {
			if k := l.GetKey(); k != "" {
				byHash[hashOf(k)] = k
			}
		}
		for _, certs := range st.Certificates {
			for _, c := range certs {
				if k := c.GetKey(); k != "" {
					byHash[hashOf(k)] = k
				}
			}
		}
	}
	return func(sum string) (string, bool) {
		k, ok := byHash[sum]
		return k, ok
	}
}

// Resolve puts back every private key not yet in its request: from its
// file, from its variable in opts.Variables, or through opts.Lookup. Each
// key is checked against its recorded SHA-256. It returns the first
// *KeyError; keys resolved before it stay resolved.
func (f *File) Resolve(opts ResolveOptions) error {
	return f.resolve(opts, func(KeyRef) bool { return true })
}

// resolve is Resolve for the keys that want selects.
func (f *File) resolve(opts ResolveOptions, want func(KeyRef) bool) error {
	var firstErr error
	for i := range f.Keys {
		ref := &f.Keys[i]
		if ref.Resolved || !want(*ref) {
			continue
		}
		key, err := findKey(*ref, opts)
		if err == nil && hashOf(key) != ref.SHA256 {
			err = &KeyError{Ref: *ref, Mismatch: true}
		}
		if err == nil {
			err = setKeyField(f.Plan.Requests[ref.Request], ref.Field, key)
			if err != nil {
				err = &KeyError{Ref: *ref, Err: err}
			}
		}
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		ref.Resolved = true
	}
	return firstErr
}

// Pending lists the keys not yet put back.
func (f *File) Pending() []KeyRef {
	var out []KeyRef
	for _, k := range f.Keys {
		if !k.Resolved {
			out = append(out, k)
		}
	}
	return out
}

func findKey(ref KeyRef, opts ResolveOptions) (string, error) {
	switch {
	case ref.File != "":
		b, err := os.ReadFile(ref.File)
		if err != nil {
			return "", &KeyError{Ref: ref, Err: err}
		}
		return string(b), nil
	case ref.Variable != "":
		if v, ok := opts.Variables[ref.Variable]; ok {
			return v, nil
		}
		if opts.Lookup != nil {
			if v, ok := opts.Lookup(ref.SHA256); ok {
				return v, nil
			}
		}
		return "", &KeyError{Ref: ref, Err: fmt.Errorf("give the variable again (--var or --var-file, or SOZU_VAR_%s)", ref.Variable)}
	}
	if opts.Lookup != nil {
		if v, ok := opts.Lookup(ref.SHA256); ok {
			return v, nil
		}
	}
	return "", &KeyError{Ref: ref, Err: errors.New("the key was computed by the configuration; apply the configuration directory instead of the plan file")}
}

func hashOf(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// keyField is one private key field found in a message.
type keyField struct {
	path  string
	value string
	msg   protoreflect.Message
	fd    protoreflect.FieldDescriptor
}

func (k keyField) clear() {
	if k.value != "" {
		k.msg.Set(k.fd, protoreflect.ValueOfString(""))
	}
}

// isPrivateKey tells a private key field (of a certificate or an HTTPS
// listener) from other fields named key, such as a header's.
func isPrivateKey(fd protoreflect.FieldDescriptor) bool {
	if fd.Name() != "key" || fd.Kind() != protoreflect.StringKind || fd.IsList() || fd.IsMap() {
		return false
	}
	switch fd.ContainingMessage().Name() {
	case "CertificateAndKey", "HttpsListenerConfig":
		return true
	}
	return false
}

// keyFields lists the private key fields set in r, by path.
func keyFields(r *sozupb.Request) []keyField {
	var out []keyField
	walkKeys(r.ProtoReflect(), "", func(kf keyField) { out = append(out, kf) })
	return out
}

// walkKeys calls fn for every set private key field under m, in field
// number order.
func walkKeys(m protoreflect.Message, prefix string, fn func(keyField)) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !m.Has(fd) {
			continue
		}
		path := string(fd.Name())
		if prefix != "" {
			path = prefix + "." + path
		}
		switch {
		case isPrivateKey(fd):
			fn(keyField{path: path, value: m.Get(fd).String(), msg: m, fd: fd})
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			walkKeys(m.Get(fd).Message(), path, fn)
		}
	}
}

// clearKeys empties every private key under m.
func clearKeys(m protoreflect.Message) {
	walkKeys(m, "", func(kf keyField) { kf.clear() })
}

// fieldAt follows path (proto field names) from r to the key field.
func fieldAt(r *sozupb.Request, path string) (protoreflect.Message, protoreflect.FieldDescriptor, error) {
	m := r.ProtoReflect()
	parts := strings.Split(path, ".")
	for i, name := range parts {
		fd := m.Descriptor().Fields().ByName(protoreflect.Name(name))
		if fd == nil {
			return nil, nil, fmt.Errorf("no field %q", path)
		}
		if i == len(parts)-1 {
			if !isPrivateKey(fd) {
				return nil, nil, fmt.Errorf("%q is not a private key field", path)
			}
			return m, fd, nil
		}
		if fd.Kind() != protoreflect.MessageKind || fd.IsList() || fd.IsMap() || !m.Has(fd) {
			return nil, nil, fmt.Errorf("no field %q", path)
		}
		m = m.Get(fd).Message()
	}
	return nil, nil, fmt.Errorf("no field %q", path)
}

// hasKeyField reports whether path names a private key field of r.
func hasKeyField(r *sozupb.Request, path string) bool {
	_, _, err := fieldAt(r, path)
	return err == nil
}

// setKeyField puts key into the field at path.
func setKeyField(r *sozupb.Request, path, key string) error {
	m, fd, err := fieldAt(r, path)
	if err != nil {
		return err
	}
	m.Set(fd, protoreflect.ValueOfString(key))
	return nil
}
