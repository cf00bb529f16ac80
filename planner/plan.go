package planner

import (
	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// FormatVersion is the version of the plan's data model, recorded in every
// Plan and in the JSON output.
const FormatVersion = "1.0"

// Action is what a plan does to one object.
type Action string

// The actions of a Change.
const (
	// Create adds an object the base does not have.
	Create Action = "create"
	// Update changes an object in place (AddCluster and AddBackend upserts,
	// Update*Listener patches, listener activation, certificate rotation
	// with ReplaceCertificate).
	Update Action = "update"
	// Replace removes an object and adds it again (a listener rebuilt
	// with its routes, an HTTP(S) frontend whose non-key fields changed, a
	// backend whose address changed, a certificate whose names changed).
	Replace Action = "replace"
	// Delete removes an object the desired state does not have.
	Delete Action = "delete"
)

// Change is one object that the plan changes.
type Change struct {
	// Address is the object's plan address (see docs/planning.md): the one
	// Options.Namer gives, or one derived from its identity.
	Address string
	// Kind and Key are the object's identity in a state.State (Key as
	// state.State.Objects reports it; for an update or replace whose key
	// changes, such as a certificate rotation or a backend's new address,
	// the desired key).
	Kind state.Kind
	Key  string
	// Action is what happens to the object.
	Action Action
	// Before and After are the object's effective values (state.Normalize):
	// Before is nil on create, After nil on delete. Certificates are
	// *sozupb.AddCertificate values carrying the listener address; their
	// private key is present, so renderers must mask it (Sensitive paths in
	// Attributes say where).
	Before, After proto.Message
	// Attributes lists the attribute-level differences, sorted by path.
	Attributes []AttributeChange
	// Warnings are notes for the reader, such as "the listener stops
	// briefly".
	Warnings []string
	// Reasons says why a change is a replace or why an unchanged object is
	// part of the plan ("requested with --replace", "its listener is
	// replaced").
	Reasons []string
}

// AttributeChange is one attribute that differs between Before and After.
type AttributeChange struct {
	// Path is the attribute's path with proto field names, dots between
	// message levels and [key] for map entries and list indexes where a
	// list is not compared as a whole: "load_balancing_parameters.weight",
	// "http_answers.answer_404", "tags[env]", "versions".
	Path string
	// Before and After are the values: nil when the attribute is absent on
	// that side; otherwise a string, bool, int64, uint64, float64, an enum's
	// value name (string), []any of those for repeated fields, or
	// map[string]any for maps. A sensitive attribute has nil values.
	Before, After any
	// Sensitive marks a value that must never be shown (a private key).
	Sensitive bool
}

// Base describes what the plan was computed against.
type Base struct {
	// Source is "empty" (no base given), "state" (a state file, even an
	// empty one) or "live" (the running proxy).
	Source string
	// Fingerprint is state.Fingerprint of the base state; Plan fills it.
	Fingerprint string
	// Path is the state file for Source "state"; Socket the command socket
	// for Source "live".
	Path   string
	Socket string
}

// The sources of a Base.
const (
	SourceEmpty = "empty"
	SourceState = "state"
	SourceLive  = "live"
)

// Summary counts the changes per action.
type Summary struct {
	Create, Update, Replace, Delete int
}

// MassRemoval counts the routes (HTTP, HTTPS, TCP and UDP frontends) and
// backends that the plan removes, against those in scope in the base, for
// the mass-change guard of apply.
type MassRemoval struct {
	RoutesRemoved, RoutesInScope     int
	BackendsRemoved, BackendsInScope int
	// Threshold is the share (0 to 1) above which the removal counts as
	// mass removal; Minimum the count in scope below which it never does.
	Threshold float64
	Minimum   int
	// Exceeded is set when routes or backends removed exceed Threshold of
	// those in scope while at least Minimum of them exist.
	Exceeded bool
}

// Plan is a computed plan: the changes and the ordered requests that carry
// them out. It is a value: computing it has no side effect, and it is never
// printed by this package.
type Plan struct {
	// FormatVersion is FormatVersion.
	FormatVersion string
	// Base is what the plan was computed against.
	Base Base
	// DesiredFingerprint is state.Fingerprint of the desired state.
	DesiredFingerprint string
	// Changes lists the objects that change, sorted by Address (then Kind
	// and Key).
	Changes []Change
	// Requests are the requests that carry the changes out, in order.
	Requests []*sozupb.Request
	// RequestChange gives, for each request, the index in Changes of the
	// change it carries out.
	RequestChange []int
	// Warnings are plan-wide notes (mass removal, empty configuration).
	Warnings []string
	// Summary counts Changes per action.
	Summary Summary
	// MassRemoval holds the counts for the mass-change guard.
	MassRemoval MassRemoval
}

// Options tune Compute.
type Options struct {
	// Base describes the base (Source, Path, Socket); Plan fills its
	// Fingerprint. An empty Source means SourceEmpty.
	Base Base
	// Manage lists the kinds of objects in scope: "listeners", "clusters"
	// (clusters with their backends and frontends) and "certificates".
	// Empty means all three.
	Manage []string
	// IgnoreClusters are path.Match patterns of cluster ids left out of
	// scope, with their backends and frontends.
	IgnoreClusters []string
	// Targets limits the plan to the objects at these addresses and what
	// they depend on.
	Targets []string
	// Replace lists addresses of objects to re-create even though they are
	// unchanged.
	Replace []string
	// Destroy plans the removal of everything in scope.
	Destroy bool
	// Namer gives the plan address of an object; nil, or an empty answer,
	// means the derived address (see docs/planning.md).
	Namer func(kind state.Kind, key string) string
	// MassRemovalThreshold is the share of routes or backends in scope
	// whose removal is a mass removal: 0.30 when zero; a value of 1 or more
	// is read as a percentage, as the sozu block writes it (30 means 0.30,
	// 1 means 0.01).
	MassRemovalThreshold float64
	// MassRemovalMinimum is the number of routes or backends in scope
	// below which no removal is a mass removal: 10 when zero.
	MassRemovalMinimum int
}

// HasChanges reports whether the plan changes anything.
func (p *Plan) HasChanges() bool {
	return p != nil && (len(p.Changes) > 0 || len(p.Requests) > 0)
}
