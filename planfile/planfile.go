package planfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Format names the file type in every plan file.
const Format = "sozuctl-plan plan"

// Version is the version of the format this package writes and reads.
const Version = 1

// MaxSize is the largest plan file Read accepts (a plan of 60,000 objects
// is about 30 MB).
const MaxSize = 1 << 30

// File is a saved plan.
type File struct {
	// Plan is the plan. Its requests carry private keys only once they are
	// resolved (Read resolves keys from files, Resolve the others); its
	// changes never carry them.
	Plan *planner.Plan
	// ConfigDir is the absolute configuration directory the plan was made
	// from.
	ConfigDir string
	// Options are the options the plan was made with.
	Options Options
	// Keys says where each private key of the requests comes from.
	Keys []KeyRef
	// Sensitive lists, by change address, the paths of sensitive
	// attributes (config.Object.Sensitive), for the views.
	Sensitive map[string][]string
}

// Options are the planning options a plan file records (those of
// planner.Options that are data, and the variables given).
type Options struct {
	Manage               []string `json:"manage"`
	IgnoreClusters       []string `json:"ignore_clusters"`
	Targets              []string `json:"targets"`
	Replace              []string `json:"replace"`
	Destroy              bool     `json:"destroy"`
	MassRemovalThreshold float64  `json:"mass_removal_threshold"`
	MassRemovalMinimum   int      `json:"mass_removal_minimum"`
}

// KeyRef is one private key of the plan's requests, recorded by its source.
type KeyRef struct {
	// Request is the index of the request in Plan.Requests.
	Request int `json:"request"`
	// Field is the key's field in the request, by proto field names, such
	// as "add_certificate.certificate.key".
	Field string `json:"field"`
	// File is the absolute path of the file the key was read from.
	File string `json:"file,omitempty"`
	// Variable is the name of the sensitive variable that held the key.
	Variable string `json:"variable,omitempty"`
	// SHA256 is the lowercase hex SHA-256 of the key text.
	SHA256 string `json:"sha256"`
	// Resolved is set once the key is back in its request.
	Resolved bool `json:"-"`
}

// Source describes where the key comes from, for messages.
func (k KeyRef) Source() string {
	switch {
	case k.File != "":
		return "file " + k.File
	case k.Variable != "":
		return "variable " + k.Variable
	}
	return "an expression of the configuration"
}

// VersionError reports a plan file of another format version, or a file
// that is not a plan file at all (Got is 0 then).
type VersionError struct {
	Path string
	Got  int
}

// Error implements error.
func (e *VersionError) Error() string {
	if e.Got == 0 {
		return fmt.Sprintf("%s is not a sozuctl-plan plan file", e.Path)
	}
	return fmt.Sprintf("%s is a plan file of format version %d; this sozuctl-plan reads version %d (make the plan again with this version)", e.Path, e.Got, Version)
}

// CorruptError reports a plan file that does not decode or whose checksum
// does not match its content.
type CorruptError struct {
	Path   string
	Reason string
}

// Error implements error.
func (e *CorruptError) Error() string {
	return fmt.Sprintf("%s is corrupt: %s", e.Path, e.Reason)
}

// KeyError reports a private key that cannot be put back: its file is
// missing, its hash differs, or its variable was not given.
type KeyError struct {
	Ref KeyRef
	// Mismatch is set when the key was found but its SHA-256 differs
	// from the one recorded: the key changed since the plan was made.
	Mismatch bool
	Err      error
}

// Error implements error.
func (e *KeyError) Error() string {
	what := fmt.Sprintf("the private key of request %d (%s)", e.Ref.Request+1, e.Ref.Field)
	if e.Mismatch {
		return fmt.Sprintf("%s: %s changed since the plan was made (its SHA-256 is no longer %s); make the plan again", what, e.Ref.Source(), e.Ref.SHA256)
	}
	return fmt.Sprintf("%s from %s: %v", what, e.Ref.Source(), e.Err)
}

// Unwrap returns the cause.
func (e *KeyError) Unwrap() error { return e.Err }

// envelope is the file's outer document.
type envelope struct {
	Format  string          `json:"format"`
	Version int             `json:"version"`
	SHA256  string          `json:"sha256"`
	Body    json.RawMessage `json:"body"`
}

// body is the content of a version 1 file.
type body struct {
	PlanFormatVersion  string              `json:"plan_format_version"`
	Base               baseJSON            `json:"base"`
	DesiredFingerprint string              `json:"desired_fingerprint"`
	ConfigDir          string              `json:"config_dir"`
	Options            Options             `json:"options"`
	Summary            summaryJSON         `json:"summary"`
	MassRemoval        massJSON            `json:"mass_removal"`
	Changes            []changeJSON        `json:"changes"`
	Requests           [][]byte            `json:"requests"`
	RequestChange      []int               `json:"request_change"`
	Warnings           []string            `json:"warnings"`
	Keys               []KeyRef            `json:"keys"`
	Sensitive          map[string][]string `json:"sensitive"`
}

type baseJSON struct {
	Source      string `json:"source"`
	Fingerprint string `json:"fingerprint"`
	Path        string `json:"path,omitempty"`
	Socket      string `json:"socket,omitempty"`
}

type summaryJSON struct {
	Create  int `json:"create"`
	Update  int `json:"update"`
	Replace int `json:"replace"`
	Delete  int `json:"delete"`
}

type massJSON struct {
	RoutesRemoved   int     `json:"routes_removed"`
	RoutesInScope   int     `json:"routes_in_scope"`
	BackendsRemoved int     `json:"backends_removed"`
	BackendsInScope int     `json:"backends_in_scope"`
	Threshold       float64 `json:"threshold"`
	Minimum         int     `json:"minimum"`
	Exceeded        bool    `json:"exceeded"`
}

type changeJSON struct {
	Address    string          `json:"address"`
	Kind       string          `json:"kind"`
	Key        string          `json:"key"`
	Action     string          `json:"action"`
	Before     []byte          `json:"before,omitempty"`
	After      []byte          `json:"after,omitempty"`
	Attributes []attributeJSON `json:"attributes,omitempty"`
	Warnings   []string        `json:"warnings,omitempty"`
	Reasons    []string        `json:"reasons,omitempty"`
}

type attributeJSON struct {
	Path      string `json:"path"`
	Before    any    `json:"before"`
	After     any    `json:"after"`
	Sensitive bool   `json:"sensitive,omitempty"`
}

var marshalProto = proto.MarshalOptions{Deterministic: true, AllowPartial: true}

// Marshal encodes f. Private keys are left out of the requests (f.Keys
// says where they come from) and of the changes; a request key that
// f.Keys does not account for is an error, so that no key is ever
// written.
func Marshal(f *File) ([]byte, error) {
	if f == nil || f.Plan == nil {
		return nil, errors.New("encoding the plan file: no plan")
	}
	p := f.Plan
	b := body{
		PlanFormatVersion:  p.FormatVersion,
		Base:               baseJSON{p.Base.Source, p.Base.Fingerprint, p.Base.Path, p.Base.Socket},
		DesiredFingerprint: p.DesiredFingerprint,
		ConfigDir:          f.ConfigDir,
		Options:            f.Options,
		Summary:            summaryJSON(p.Summary),
		MassRemoval:        massJSON(p.MassRemoval),
		Changes:            []changeJSON{},
		Requests:           [][]byte{},
		RequestChange:      append([]int{}, p.RequestChange...),
		Warnings:           append([]string{}, p.Warnings...),
		Keys:               append([]KeyRef{}, f.Keys...),
		Sensitive:          f.Sensitive,
	}
	if b.Sensitive == nil {
		b.Sensitive = map[string][]string{}
	}
	for _, c := range p.Changes {
		cj := changeJSON{Address: c.Address, Kind: c.Kind.String(), Key: c.Key, Action: string(c.Action),
			Warnings: c.Warnings, Reasons: c.Reasons}
		var err error
		if cj.Before, err = encodeValue(c.Before); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", c.Address, err)
		}
		if cj.After, err = encodeValue(c.After); err != nil {
			return nil, fmt.Errorf("encoding %s: %w", c.Address, err)
		}
		for _, a := range c.Attributes {
			aj := attributeJSON{Path: a.Path, Before: a.Before, After: a.After, Sensitive: a.Sensitive}
			if a.Sensitive {
				aj.Before, aj.After = nil, nil
			}
			cj.Attributes = append(cj.Attributes, aj)
		}
		b.Changes = append(b.Changes, cj)
	}
	covered := map[string]bool{}
	for _, k := range f.Keys {
		covered[strconv.Itoa(k.Request)+" "+k.Field] = true
	}
	for i, r := range p.Requests {
		if r.GetRequestType() == nil {
			return nil, fmt.Errorf("encoding the plan file: request %d is empty", i+1)
		}
		r = proto.Clone(r).(*sozupb.Request)
		for _, kf := range keyFields(r) {
			if kf.value != "" && !covered[strconv.Itoa(i)+" "+kf.path] {
				return nil, fmt.Errorf("encoding the plan file: request %d holds a private key (%s) of unknown source", i+1, kf.path)
			}
			kf.clear()
		}
		raw, err := marshalProto.Marshal(r)
		if err != nil {
			return nil, fmt.Errorf("encoding request %d: %w", i+1, err)
		}
		b.Requests = append(b.Requests, raw)
	}
	var bodyBuf bytes.Buffer
	enc := json.NewEncoder(&bodyBuf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(b); err != nil {
		return nil, fmt.Errorf("encoding the plan file: %w", err)
	}
	raw := bytes.TrimRight(bodyBuf.Bytes(), "\n")
	sum := sha256.Sum256(raw)
	out, err := json.Marshal(envelope{Format: Format, Version: Version, SHA256: hex.EncodeToString(sum[:]), Body: raw})
	if err != nil {
		return nil, fmt.Errorf("encoding the plan file: %w", err)
	}
	return append(out, '\n'), nil
}

// encodeValue encodes an object's value without its private keys.
func encodeValue(m proto.Message) ([]byte, error) {
	if m == nil || !m.ProtoReflect().IsValid() {
		return nil, nil
	}
	m = proto.Clone(m)
	clearKeys(m.ProtoReflect())
	return marshalProto.Marshal(m)
}

// Write writes f to path atomically (a temporary file in the same
// directory, synced, then renamed over path) with mode 0600.
func Write(path string, f *File) error {
	data, err := Marshal(f)
	if err != nil {
		return err
	}
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing the plan file %s: %w", path, err)
	}
	name := tmp.Name()
	fail := func(err error) error {
		tmp.Close()
		os.Remove(name)
		return fmt.Errorf("writing the plan file %s: %w", path, err)
	}
	if err := tmp.Chmod(0o600); err != nil {
		return fail(err)
	}
	if _, err := tmp.Write(data); err != nil {
		return fail(err)
	}
	if err := tmp.Sync(); err != nil {
		return fail(err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing the plan file %s: %w", path, err)
	}
	if err := os.Rename(name, path); err != nil {
		os.Remove(name)
		return fmt.Errorf("writing the plan file %s: %w", path, err)
	}
	return nil
}

// Read reads the plan file at path and puts back the private keys that
// come from files, checking each against its recorded SHA-256. Keys from
// variables or expressions stay out until Resolve. Errors are a
// *VersionError, a *CorruptError or a *KeyError (errors.As), or an I/O
// error naming the path.
func Read(path string) (*File, error) {
	f, err := ReadNoKeys(path)
	if err != nil {
		return nil, err
	}
	// Keys from variables and expressions wait for Resolve.
	if err := f.resolve(ResolveOptions{}, func(k KeyRef) bool { return k.File != "" }); err != nil {
		return nil, err
	}
	return f, nil
}

// ReadNoKeys reads the plan file at path without touching any key: for
// showing a plan.
func ReadNoKeys(path string) (*File, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("reading the plan file: %w", err)
	}
	defer fh.Close()
	data, err := io.ReadAll(io.LimitReader(fh, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("reading the plan file %s: %w", path, err)
	}
	if len(data) > MaxSize {
		return nil, &CorruptError{Path: path, Reason: fmt.Sprintf("larger than %d bytes", MaxSize)}
	}
	f, err := Decode(data)
	if err != nil {
		setPath(err, path)
		return nil, err
	}
	return f, nil
}

// setPath names the file in a decoding error.
func setPath(err error, path string) {
	var ve *VersionError
	if errors.As(err, &ve) {
		ve.Path = path
	}
	var ce *CorruptError
	if errors.As(err, &ce) {
		ce.Path = path
	}
}

// IsPlanFile reports whether data starts like a plan file (of any version,
// even one cut short or damaged, so that Read can say what is wrong with
// it), for commands that take a plan file or something else. data may be
// the first bytes of the file only.
func IsPlanFile(data []byte) bool {
	data = bytes.TrimLeft(data, " \t\r\n")
	if bytes.HasPrefix(data, []byte(`{"format":"`+Format+`"`)) {
		return true
	}
	var e struct {
		Format string `json:"format"`
	}
	return json.Unmarshal(data, &e) == nil && e.Format == Format
}

// Decode decodes a plan file's bytes, without touching any key. Errors are
// a *VersionError or a *CorruptError naming "the plan file".
func Decode(data []byte) (*File, error) {
	const name = "the plan file"
	corrupt := func(format string, args ...any) error {
		return &CorruptError{Path: name, Reason: fmt.Sprintf(format, args...)}
	}
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		// Cut short or damaged: corrupt if it starts as a plan file.
		head := data[:min(len(data), 64)]
		if bytes.Contains(head, []byte(`"format":"`+Format+`"`)) {
			return nil, corrupt("%v", err)
		}
		return nil, &VersionError{Path: name}
	}
	if env.Format != Format {
		return nil, &VersionError{Path: name}
	}
	if env.Version != Version {
		return nil, &VersionError{Path: name, Got: env.Version}
	}
	sum := sha256.Sum256(env.Body)
	if hex.EncodeToString(sum[:]) != env.SHA256 {
		return nil, corrupt("its checksum does not match its content (was it edited or cut short?)")
	}
	dec := json.NewDecoder(bytes.NewReader(env.Body))
	dec.UseNumber()
	dec.DisallowUnknownFields()
	var b body
	if err := dec.Decode(&b); err != nil {
		return nil, corrupt("%v", err)
	}
	p := &planner.Plan{
		FormatVersion:      b.PlanFormatVersion,
		Base:               planner.Base{Source: b.Base.Source, Fingerprint: b.Base.Fingerprint, Path: b.Base.Path, Socket: b.Base.Socket},
		DesiredFingerprint: b.DesiredFingerprint,
		Summary:            planner.Summary(b.Summary),
		MassRemoval:        planner.MassRemoval(b.MassRemoval),
		Warnings:           b.Warnings,
		RequestChange:      b.RequestChange,
	}
	switch p.Base.Source {
	case planner.SourceEmpty, planner.SourceState, planner.SourceLive:
	default:
		return nil, corrupt("unknown base source %q", p.Base.Source)
	}
	for i, cj := range b.Changes {
		kind, ok := kindNamed(cj.Kind)
		if !ok {
			return nil, corrupt("change %d: unknown kind %q", i+1, cj.Kind)
		}
		c := planner.Change{Address: cj.Address, Kind: kind, Key: cj.Key, Action: planner.Action(cj.Action),
			Warnings: cj.Warnings, Reasons: cj.Reasons}
		switch c.Action {
		case planner.Create, planner.Update, planner.Replace, planner.Delete:
		default:
			return nil, corrupt("change %d: unknown action %q", i+1, cj.Action)
		}
		var err error
		if c.Before, err = decodeValue(kind, cj.Before); err != nil {
			return nil, corrupt("change %d (%s): %v", i+1, cj.Address, err)
		}
		if c.After, err = decodeValue(kind, cj.After); err != nil {
			return nil, corrupt("change %d (%s): %v", i+1, cj.Address, err)
		}
		for _, a := range cj.Attributes {
			c.Attributes = append(c.Attributes, planner.AttributeChange{Path: a.Path,
				Before: fromJSON(a.Before), After: fromJSON(a.After), Sensitive: a.Sensitive})
		}
		p.Changes = append(p.Changes, c)
	}
	for i, raw := range b.Requests {
		r := &sozupb.Request{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(raw, r); err != nil {
			return nil, corrupt("request %d: %v", i+1, err)
		}
		if r.GetRequestType() == nil {
			return nil, corrupt("request %d is empty", i+1)
		}
		p.Requests = append(p.Requests, r)
	}
	if len(p.RequestChange) != len(p.Requests) {
		return nil, corrupt("%d requests but %d request changes", len(p.Requests), len(p.RequestChange))
	}
	for i, ci := range p.RequestChange {
		if ci < -1 || ci >= len(p.Changes) {
			return nil, corrupt("request %d names change %d of %d", i+1, ci+1, len(p.Changes))
		}
	}
	for _, k := range b.Keys {
		if k.Request < 0 || k.Request >= len(p.Requests) {
			return nil, corrupt("a key names request %d of %d", k.Request+1, len(p.Requests))
		}
		if !hasKeyField(p.Requests[k.Request], k.Field) {
			return nil, corrupt("request %d has no key field %q", k.Request+1, k.Field)
		}
		if len(k.SHA256) != 64 {
			return nil, corrupt("the key of request %d has no valid SHA-256", k.Request+1)
		}
	}
	return &File{Plan: p, ConfigDir: b.ConfigDir, Options: b.Options, Keys: b.Keys, Sensitive: b.Sensitive}, nil
}

// kindNamed returns the state.Kind whose String is s.
func kindNamed(s string) (state.Kind, bool) {
	for _, k := range state.Kinds() {
		if k.String() == s {
			return k, true
		}
	}
	return 0, false
}

// newValue returns an empty message of the type a state holds for kind.
func newValue(kind state.Kind) proto.Message {
	switch kind {
	case state.KindHTTPListener:
		return &sozupb.HttpListenerConfig{}
	case state.KindHTTPSListener:
		return &sozupb.HttpsListenerConfig{}
	case state.KindTCPListener:
		return &sozupb.TcpListenerConfig{}
	case state.KindUDPListener:
		return &sozupb.UdpListenerConfig{}
	case state.KindCluster:
		return &sozupb.Cluster{}
	case state.KindBackend:
		return &sozupb.AddBackend{}
	case state.KindHTTPFrontend, state.KindHTTPSFrontend:
		return &sozupb.RequestHttpFrontend{}
	case state.KindTCPFrontend:
		return &sozupb.RequestTcpFrontend{}
	case state.KindUDPFrontend:
		return &sozupb.RequestUdpFrontend{}
	case state.KindCertificate:
		return &sozupb.AddCertificate{}
	}
	return nil
}

// decodeValue decodes an object's value; no bytes is no value.
func decodeValue(kind state.Kind, raw []byte) (proto.Message, error) {
	if raw == nil {
		return nil, nil
	}
	m := newValue(kind)
	if m == nil {
		return nil, fmt.Errorf("no message type for kind %s", kind)
	}
	if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(raw, m); err != nil {
		return nil, err
	}
	return m, nil
}

// fromJSON turns decoded JSON numbers back into the types the planner
// uses for attribute values: int64, uint64 or float64.
func fromJSON(v any) any {
	switch t := v.(type) {
	case json.Number:
		if i, err := strconv.ParseInt(string(t), 10, 64); err == nil {
			return i
		}
		if u, err := strconv.ParseUint(string(t), 10, 64); err == nil {
			return u
		}
		if f, err := strconv.ParseFloat(string(t), 64); err == nil && !math.IsInf(f, 0) {
			return f
		}
		return string(t)
	case []any:
		for i := range t {
			t[i] = fromJSON(t[i])
		}
	case map[string]any:
		for k := range t {
			t[k] = fromJSON(t[k])
		}
	}
	return v
}
