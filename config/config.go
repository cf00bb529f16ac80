package config

import (
	"github.com/hashicorp/hcl/v2"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Options are the inputs of Load besides the configuration directory.
type Options struct {
	// Vars are --var NAME=VALUE values as raw strings. A variable whose type
	// is a primitive (or unspecified) takes the string itself; any other
	// type parses it as an HCL expression, as Terraform does.
	Vars map[string]string
	// VarFiles are --var-file HCL files, applied in order.
	VarFiles []string
	// Environ is searched for SOZU_VAR_<name> values; nil means os.Environ().
	Environ []string
	// Base, when set, is the state a plan starts from: a frontend or a
	// certificate may sit on a listener that exists only there.
	Base *state.State
}

// Config is a loaded configuration.
type Config struct {
	// Dir is the configuration directory as given to Load.
	Dir string
	// Sozu holds the settings of the `sozu` block, defaults filled in.
	Sozu Settings
	// Desired is the state the configuration asks for; never nil (empty
	// when the files do not parse).
	Desired *state.State
	// Requests are the requests that build Desired from an empty state, in
	// the order they were applied: listeners (inactive), clusters,
	// backends, certificates, frontends, then listener activations. They
	// share their cluster, backend and frontend messages with Desired:
	// both are read-only.
	Requests []*sozupb.Request
	// Objects maps the state identity of every declared object to where
	// and how the user declared it.
	Objects map[ObjectID]*Object
	// Sensitive says which values must never be printed and where
	// certificate keys came from.
	Sensitive Sensitivity
	// Files holds the source of every file read (configuration files and
	// variables files), keyed by the file name used in diagnostics, for
	// hcl.NewDiagnosticTextWriter.
	Files map[string][]byte
}

// ObjectID is the identity of an object in a state.State: its kind and its
// key as state.State.Objects reports them (a listener's address, a
// cluster_id, state.BackendKey, state.RouteKey, state.TCPFrontendKey,
// state.UDPFrontendKey, state.CertificateKey).
type ObjectID struct {
	Kind state.Kind
	Key  string
}

// Object is one declared object.
type Object struct {
	// ID is its identity in Desired.
	ID ObjectID
	// Address is its plan address, as the user wrote it:
	// listener.https.public_tls, cluster.api, cluster.api.backend.api-1,
	// cluster.api.http_frontend["0.0.0.0:80;api.example.com;P/"],
	// cluster.db.tcp_frontend["0.0.0.0:5432"], certificate.api. A top-level
	// frontend has no cluster prefix. Frontends are named by their route key
	// (TCP/UDP: their address), so an address survives reordering.
	Address string
	// Range is the block's definition range.
	Range hcl.Range
	// Sensitive lists the attributes whose values are sensitive, by their
	// path in the block ("key", "header.val").
	Sensitive []string
	// WantActive is set on listeners that the configuration wants active.
	WantActive bool

	failed bool // its block had errors: Sōzu's checks would only repeat them
}

// Sensitivity records which values are secret.
type Sensitivity struct {
	// Variables are the names of variables declared sensitive.
	Variables map[string]bool
	// Keys tells, for each certificate and each HTTPS listener that has a
	// default key (by its ObjectID), where its private key came from, so
	// that a plan file can record the source instead of the key.
	Keys map[ObjectID]KeySource
}

// KeySource is where a private key came from: a file read with file()
// (File is its absolute path), or a variable (Variable is its name). When
// neither is set the key was computed by an expression and can only be
// recomputed by loading the configuration again. SHA256 is the lowercase
// hex SHA-256 of the key text in every case.
type KeySource struct {
	File     string
	Variable string
	SHA256   string
}

// Settings are the values of the `sozu` block.
type Settings struct {
	// Socket is Sōzu's command socket; empty when not set.
	Socket      string
	SocketRange hcl.Range
	// Manage lists the kinds of objects plans manage, among "listeners",
	// "clusters" and "certificates"; all three by default.
	Manage      []string
	ManageRange hcl.Range
	// IgnoreClusters are glob patterns (path.Match syntax) of cluster ids
	// that plans leave untouched.
	IgnoreClusters      []string
	IgnoreClustersRange hcl.Range
	// MassRemovalThreshold is the share of routes or backends in scope, in
	// percent, above which apply refuses a plan that removes them (30 by
	// default).
	MassRemovalThreshold      float64
	MassRemovalThresholdRange hcl.Range
	// MassRemovalMinimum is the number of routes or backends in scope
	// below which the guard does not apply (10 by default).
	MassRemovalMinimum      int
	MassRemovalMinimumRange hcl.Range
	// Range is the `sozu` block's definition range (empty when absent).
	Range hcl.Range
}

// The managed kinds of Settings.Manage.
const (
	ManageListeners    = "listeners"
	ManageClusters     = "clusters"
	ManageCertificates = "certificates"
)

// Defaults of the `sozu` block.
const (
	DefaultMassRemovalThreshold = 30
	DefaultMassRemovalMinimum   = 10
)
