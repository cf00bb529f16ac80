package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
)

// PlanFormatVersion is the format_version of the JSON plan. Its major part
// changes only when a field changes meaning or goes away.
const PlanFormatVersion = "1.0"

// PlanDocument is the one model of a plan that every view reads: the JSON
// output is this value encoded, and the human and Markdown views render it,
// so that no view can show what another does not. docs/plan-json.md
// documents every field. Private keys and sensitive values are already
// replaced by Sensitive in it.
type PlanDocument struct {
	// FormatVersion is PlanFormatVersion.
	FormatVersion string `json:"format_version"`
	// Base is what the plan was computed against.
	Base PlanBase `json:"base"`
	// Desired describes the state the configuration asks for.
	Desired PlanDesired `json:"desired"`
	// Summary counts the changes per action.
	Summary PlanSummary `json:"summary"`
	// MassRemoval holds the counts of apply's mass-change guard.
	MassRemoval PlanMassRemoval `json:"mass_removal"`
	// Changes lists the objects that change, in the planner's order.
	Changes []PlanChange `json:"changes"`
	// Requests are the requests in the order they are sent, each the
	// protobuf JSON mapping of a command.Request with proto field names.
	Requests []json.RawMessage `json:"requests"`
	// RequestChanges gives, for each request, the index in Changes of the
	// change it carries out (-1 when it carries none).
	RequestChanges []int `json:"request_changes"`
	// Warnings are the plan-wide notes.
	Warnings []string `json:"warnings"`
}

// PlanBase is what the plan was computed against.
type PlanBase struct {
	// Source is "empty", "state" or "live".
	Source string `json:"source"`
	// Fingerprint is the base state's fingerprint ("sha256:...").
	Fingerprint string `json:"fingerprint"`
	// Path (a state file) and Socket (the live proxy) tell the human views
	// where the base came from; they are local names, left out of the JSON
	// so that the document does not depend on the machine.
	Path   string `json:"-"`
	Socket string `json:"-"`
}

// PlanDesired describes the state the plan leads to.
type PlanDesired struct {
	// Fingerprint is the desired state's fingerprint.
	Fingerprint string `json:"fingerprint"`
}

// PlanSummary counts the changes per action.
type PlanSummary struct {
	Create  int `json:"create"`  // objects added
	Update  int `json:"update"`  // objects changed in place
	Replace int `json:"replace"` // objects removed and added again
	Delete  int `json:"delete"`  // objects removed
}

// PlanMassRemoval holds the counts of the mass-change guard of apply
// (planner.MassRemoval).
type PlanMassRemoval struct {
	RoutesRemoved   int     `json:"routes_removed"`    // HTTP, HTTPS, TCP and UDP frontends removed
	RoutesInScope   int     `json:"routes_in_scope"`   // frontends in scope in the base
	BackendsRemoved int     `json:"backends_removed"`  // backends removed
	BackendsInScope int     `json:"backends_in_scope"` // backends in scope in the base
	Threshold       float64 `json:"threshold"`         // the share (0 to 1) above which a removal is massive
	Minimum         int     `json:"minimum"`           // the count in scope below which it never is
	Exceeded        bool    `json:"exceeded"`          // apply refuses the plan without --allow-mass-removal
}

// PlanChange is one object that the plan changes.
type PlanChange struct {
	Address string `json:"address"`
	// Kind is the object's kind, such as "https_frontend" (state.Kind).
	Kind string `json:"kind"`
	// Key is the object's identity key in Sōzu's terms.
	Key string `json:"key"`
	// Action is "create", "update", "replace" or "delete".
	Action string `json:"action"`
	// Before and After are the object's effective values in the protobuf
	// JSON mapping with proto field names; null on create (Before) and on
	// delete (After).
	Before json.RawMessage `json:"before"`
	After  json.RawMessage `json:"after"`
	// Attributes are the attribute-level differences of an update or a
	// replace, sorted by path.
	Attributes []PlanAttribute `json:"attributes"`
	Reasons    []string        `json:"reasons"`
	Warnings   []string        `json:"warnings"`
}

// PlanAttribute is one attribute that differs between Before and After.
type PlanAttribute struct {
	// Path uses proto field names, dots between message levels and [key]
	// for map entries: "load_balancing_parameters.weight", "answers[503]".
	Path string `json:"path"`
	// Before and After are JSON values; null when absent on that side, and
	// Sensitive when the value is secret.
	Before any `json:"before"`
	After  any `json:"after"`
	// Sensitive marks a value that is never shown.
	Sensitive bool `json:"sensitive"`
}

// PlanOptions tell NewPlanDocument what the plan itself does not know.
type PlanOptions struct {
	// Sensitive maps a change's address to the paths of its sensitive
	// attributes as the configuration names them ("key", "header.val",
	// "answers"): config.Object.Sensitive. Their values are shown as
	// Sensitive in every view. Private keys are always hidden.
	Sensitive map[string][]string
}

// NewPlanDocument builds the document of p. It fails only when a message
// of the plan cannot be encoded.
func NewPlanDocument(p *planner.Plan, opts PlanOptions) (*PlanDocument, error) {
	doc := &PlanDocument{
		FormatVersion:  PlanFormatVersion,
		Changes:        []PlanChange{},
		Requests:       []json.RawMessage{},
		RequestChanges: []int{},
		Warnings:       []string{},
	}
	if p == nil {
		doc.Base = PlanBase{Source: planner.SourceEmpty}
		return doc, nil
	}
	doc.Base = PlanBase{Source: p.Base.Source, Fingerprint: p.Base.Fingerprint, Path: p.Base.Path, Socket: p.Base.Socket}
	if doc.Base.Source == "" {
		doc.Base.Source = planner.SourceEmpty
	}
	doc.Desired.Fingerprint = p.DesiredFingerprint
	doc.Summary = PlanSummary{Create: p.Summary.Create, Update: p.Summary.Update, Replace: p.Summary.Replace, Delete: p.Summary.Delete}
	m := p.MassRemoval
	doc.MassRemoval = PlanMassRemoval{
		RoutesRemoved: m.RoutesRemoved, RoutesInScope: m.RoutesInScope,
		BackendsRemoved: m.BackendsRemoved, BackendsInScope: m.BackendsInScope,
		Threshold: m.Threshold, Minimum: m.Minimum, Exceeded: m.Exceeded,
	}
	doc.Warnings = append(doc.Warnings, p.Warnings...)

	sens := make([][][]string, len(p.Changes))
	scrub := make([]*strings.Replacer, len(p.Changes))
	var secrets []string
	for i, c := range p.Changes {
		sens[i] = sensitivePaths(opts.Sensitive[c.Address])
		pc := PlanChange{
			Address:    c.Address,
			Kind:       c.Kind.String(),
			Key:        c.Key,
			Action:     string(c.Action),
			Attributes: []PlanAttribute{},
			Reasons:    append([]string{}, c.Reasons...),
			Warnings:   append([]string{}, c.Warnings...),
		}
		var err error
		var found []string
		if pc.Before, err = messageJSON(c.Before, sens[i], &found); err != nil {
			return nil, fmt.Errorf("encoding %s (before): %w", c.Address, err)
		}
		if pc.After, err = messageJSON(c.After, sens[i], &found); err != nil {
			return nil, fmt.Errorf("encoding %s (after): %w", c.Address, err)
		}
		// A sensitive value may be part of the object's identity (a
		// hostname from a sensitive variable): it is hidden there too.
		if r := scrubber(found); r != nil {
			scrub[i] = r
			pc.Address, pc.Key = r.Replace(pc.Address), r.Replace(pc.Key)
			scrubAll(r, pc.Reasons)
			scrubAll(r, pc.Warnings)
			secrets = append(secrets, found...)
		}
		for _, a := range c.Attributes {
			pc.Attributes = append(pc.Attributes, attributeOf(a, sens[i]))
		}
		doc.Changes = append(doc.Changes, pc)
	}
	for i, req := range p.Requests {
		ci := -1
		if i < len(p.RequestChange) {
			ci = p.RequestChange[i]
		}
		var paths [][]string
		var r *strings.Replacer
		if ci >= 0 && ci < len(sens) {
			paths, r = sens[ci], scrub[ci]
		} else {
			ci = -1
		}
		raw, err := messageJSON(req, nil, nil)
		if err != nil {
			return nil, fmt.Errorf("encoding request %d: %w", i+1, err)
		}
		if len(paths) > 0 || r != nil {
			// A request is {"verb": payload}: the payload is the object
			// (or a patch, or a certificate wrapped with its address).
			if raw, err = maskRaw(raw, func(v any) any {
				if obj, ok := v.(map[string]any); ok {
					for k, payload := range obj {
						for _, path := range paths {
							payload = maskPath(payload, path, nil)
						}
						obj[k] = scrubStrings(r, payload)
					}
				}
				return v
			}); err != nil {
				return nil, fmt.Errorf("encoding request %d: %w", i+1, err)
			}
		}
		doc.Requests = append(doc.Requests, raw)
		doc.RequestChanges = append(doc.RequestChanges, ci)
	}
	if r := scrubber(secrets); r != nil {
		scrubAll(r, doc.Warnings)
	}
	return doc, nil
}

// HasChanges reports whether the plan changes anything.
func (d *PlanDocument) HasChanges() bool {
	return d != nil && (len(d.Changes) > 0 || len(d.Requests) > 0)
}

// messageJSON encodes m (nil gives null) in the protobuf JSON mapping with
// proto field names, private keys replaced by Sensitive and the sensitive
// paths masked, compacted so that the bytes do not depend on protojson's
// whims.
func messageJSON(m proto.Message, paths [][]string, found *[]string) (json.RawMessage, error) {
	if m == nil || !m.ProtoReflect().IsValid() {
		return json.RawMessage("null"), nil
	}
	m = hideKeys(m)
	b, err := protojson.MarshalOptions{UseProtoNames: true, AllowPartial: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	if len(paths) > 0 {
		return maskRaw(b, func(v any) any {
			for _, p := range paths {
				v = maskPath(v, p, found)
			}
			return v
		})
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// maskRaw decodes raw, lets fn change the value and encodes it again.
// Numbers keep their text.
func maskRaw(raw []byte, fn func(any) any) (json.RawMessage, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	v = fn(v)
	return marshalCompact(v)
}

// marshalCompact encodes v without HTML escaping and without a newline.
func marshalCompact(v any) (json.RawMessage, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// hideKeys returns m, or a copy of m with every private key field (the key
// of a CertificateAndKey or of an HTTPS listener) set to Sensitive.
func hideKeys(m proto.Message) proto.Message {
	if !holdsKey(m.ProtoReflect()) {
		return m
	}
	c := proto.Clone(m)
	setKeys(c.ProtoReflect())
	return c
}

// isPrivateKey tells a private key field from other fields named key (a
// header's name).
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

// singularMessage reports whether fd holds one message.
func singularMessage(fd protoreflect.FieldDescriptor) bool {
	return fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap()
}

func holdsKey(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if isPrivateKey(fd) || (singularMessage(fd) && holdsKey(v.Message())) {
			found = true
		}
		return !found
	})
	return found
}

func setKeys(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case isPrivateKey(fd):
			m.Set(fd, protoreflect.ValueOfString(Sensitive))
		case singularMessage(fd):
			setKeys(v.Message())
		}
		return true
	})
}

// sensitivePaths turns the configuration's attribute paths into paths of
// proto field names: a block is named by its field ("header" is
// "headers"), "weight" is "load_balancing_parameters.weight", the path
// shorthands are "path", and "listener" is "address".
func sensitivePaths(attrs []string) [][]string {
	var out [][]string
	for _, a := range attrs {
		var p []string
		for _, seg := range strings.Split(a, ".") {
			switch seg {
			case "header":
				p = append(p, "headers")
			case "weight":
				p = append(p, "load_balancing_parameters", "weight")
			case "path_prefix", "path_regex", "path_equals":
				p = append(p, "path")
			case "listener":
				p = append(p, "address")
			case "":
			default:
				p = append(p, seg)
			}
		}
		if len(p) > 0 {
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return strings.Join(out[i], ".") < strings.Join(out[j], ".") })
	return out
}

// maskPath replaces the value at path in v by Sensitive, and appends to
// found (when not nil) the texts it hid: strings, and socket addresses as
// "ip:port". Lists apply the rest of the path to every element. A name not
// found at one level is looked for one level down, where a certificate
// sits inside its request.
func maskPath(v any, path []string, found *[]string) any {
	if len(path) == 0 {
		if v == nil {
			return nil
		}
		if found != nil {
			collectTexts(v, found)
		}
		return Sensitive
	}
	switch t := v.(type) {
	case []any:
		for i := range t {
			t[i] = maskPath(t[i], path, found)
		}
		return t
	case map[string]any:
		if child, ok := t[path[0]]; ok {
			t[path[0]] = maskPath(child, path[1:], found)
			return t
		}
		for _, k := range sortedMapKeys(t) {
			if child, ok := t[k].(map[string]any); ok {
				if _, ok := child[path[0]]; ok {
					t[k] = maskPath(child, path, found)
				}
			}
		}
		return t
	}
	return v
}

// collectTexts appends the strings in v, and v itself written as an
// address when it is one.
func collectTexts(v any, found *[]string) {
	if a, ok := socketAddress(v); ok {
		*found = append(*found, a)
		return
	}
	switch t := v.(type) {
	case string:
		*found = append(*found, t)
	case []any:
		for _, e := range t {
			collectTexts(e, found)
		}
	case map[string]any:
		for _, k := range sortedMapKeys(t) {
			collectTexts(t[k], found)
		}
	}
}

// scrubber replaces sensitive texts inside free text (addresses, keys,
// warnings), longest first.
func scrubber(secrets []string) *strings.Replacer {
	uniq := map[string]bool{}
	var list []string
	for _, s := range secrets {
		if s != "" && s != Sensitive && !uniq[s] {
			uniq[s] = true
			list = append(list, s)
		}
	}
	if len(list) == 0 {
		return nil
	}
	sort.Slice(list, func(i, j int) bool {
		if len(list[i]) != len(list[j]) {
			return len(list[i]) > len(list[j])
		}
		return list[i] < list[j]
	})
	pairs := make([]string, 0, 2*len(list))
	for _, s := range list {
		pairs = append(pairs, s, Sensitive)
	}
	return strings.NewReplacer(pairs...)
}

// scrubStrings applies r (when not nil) to every string inside v.
func scrubStrings(r *strings.Replacer, v any) any {
	if r == nil {
		return v
	}
	switch t := v.(type) {
	case string:
		return r.Replace(t)
	case []any:
		for i := range t {
			t[i] = scrubStrings(r, t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = scrubStrings(r, t[k])
		}
	}
	return v
}

// scrubAll applies r to every string of list.
func scrubAll(r *strings.Replacer, list []string) []string {
	for i, s := range list {
		list[i] = r.Replace(s)
	}
	return list
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// attributeOf converts an attribute change, hiding it when the planner or
// the configuration says it is sensitive. Both sides of a hidden attribute
// show Sensitive, so that not even whether it was set leaks.
func attributeOf(a planner.AttributeChange, paths [][]string) PlanAttribute {
	pa := PlanAttribute{Path: a.Path, Before: a.Before, After: a.After, Sensitive: a.Sensitive}
	// Private keys are hidden whatever the planner says: the key of an
	// HTTPS listener, or of a certificate.
	paths = append(paths[:len(paths):len(paths)], []string{"key"})
	if !pa.Sensitive {
		segs := attributeSegments(a.Path)
		for _, p := range paths {
			if overlaps(p, segs) || len(segs) > 1 && overlaps(p, segs[1:]) {
				pa.Sensitive = true
				break
			}
		}
	}
	if pa.Sensitive {
		pa.Before, pa.After = Sensitive, Sensitive
	}
	return pa
}

// overlaps reports whether one path is a prefix of the other: a value
// inside a sensitive one, or a whole that contains one.
func overlaps(a, b []string) bool { return prefixOf(a, b) || prefixOf(b, a) }

// attributeSegments splits "a.b[k].c" into a, b, c (map keys and list
// indexes are not names).
func attributeSegments(path string) []string {
	var out []string
	for _, seg := range strings.Split(path, ".") {
		if i := strings.IndexByte(seg, '['); i >= 0 {
			seg = seg[:i]
		}
		if seg != "" {
			out = append(out, seg)
		}
	}
	return out
}

func prefixOf(p, of []string) bool {
	if len(p) > len(of) {
		return false
	}
	for i := range p {
		if p[i] != of[i] {
			return false
		}
	}
	return true
}
