// Package render turns the project's values into what people and programs
// read: human text and versioned JSON documents. It decides nothing and
// prints nothing to a terminal itself; callers pass an io.Writer.
//
// The inventory of a state (inventory.go) is the view of
// `sozuctl-plan show STATEFILE`.
package render

import (
	"bytes"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"time"

	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// InventoryFormatVersion is the format_version of the JSON inventory. It
// changes in its major part only when a field changes meaning or goes away.
const InventoryFormatVersion = "1.0"

// Sensitive replaces every private key in rendered output.
const Sensitive = "(sensitive)"

// Inventory is the JSON view of a state: one entry per object, in the order
// of state.Objects (kind, then identity key). docs/state-files.md documents
// every field.
type Inventory struct {
	FormatVersion string                 `json:"format_version"`
	Listeners     []InventoryListener    `json:"listeners"`
	Clusters      []InventoryCluster     `json:"clusters"`
	Backends      []InventoryBackend     `json:"backends"`
	Frontends     []InventoryFrontend    `json:"frontends"`
	Certificates  []InventoryCertificate `json:"certificates"`
}

// InventoryListener is one listener.
type InventoryListener struct {
	Protocol string          `json:"protocol"` // http, https, tcp or udp
	Address  string          `json:"address"`
	Active   bool            `json:"active"`
	Config   json.RawMessage `json:"config"` // the listener message, protobuf JSON with proto field names; key shown as "(sensitive)"
}

// InventoryCluster is one cluster.
type InventoryCluster struct {
	ClusterID string          `json:"cluster_id"`
	Config    json.RawMessage `json:"config"` // the Cluster message
}

// InventoryBackend is one backend.
type InventoryBackend struct {
	ClusterID string          `json:"cluster_id"`
	BackendID string          `json:"backend_id"`
	Address   string          `json:"address"`
	Config    json.RawMessage `json:"config"` // the AddBackend message
}

// InventoryFrontend is one HTTP, HTTPS, TCP or UDP frontend.
type InventoryFrontend struct {
	Protocol  string          `json:"protocol"` // http, https, tcp or udp
	Key       string          `json:"key"`      // the state's identity key (Sōzu's route key for HTTP and HTTPS)
	Address   string          `json:"address"`
	ClusterID *string         `json:"cluster_id"`         // null for an HTTP(S) route without a cluster
	Hostname  string          `json:"hostname,omitempty"` // HTTP and HTTPS only
	PathKind  string          `json:"path_kind,omitempty"`
	Path      *string         `json:"path,omitempty"`
	Method    string          `json:"method,omitempty"`
	Position  string          `json:"position,omitempty"`
	Config    json.RawMessage `json:"config"` // the RequestHttpFrontend, RequestTcpFrontend or RequestUdpFrontend message
}

// InventoryCertificate is one certificate on one listener address. The
// private key is never part of it.
type InventoryCertificate struct {
	Address     string   `json:"address"`
	Fingerprint string   `json:"fingerprint"` // SHA-256 of the leaf's DER, lowercase hex
	Names       []string `json:"names"`
	Subject     string   `json:"subject,omitempty"`
	Issuer      string   `json:"issuer,omitempty"`
	NotBefore   string   `json:"not_before,omitempty"` // RFC 3339, UTC
	NotAfter    string   `json:"not_after,omitempty"`  // RFC 3339, UTC
	ChainLength int      `json:"chain_length"`
	Versions    []string `json:"versions"`
	ParseError  string   `json:"parse_error,omitempty"` // set when the leaf is not a readable X.509 certificate
}

// NewInventory builds the inventory of s.
func NewInventory(s *state.State) (*Inventory, error) {
	return newInventory(s, true)
}

// newInventory builds the inventory of s, with each object's config only
// when withConfig is set (the text view does not show it).
func newInventory(s *state.State, withConfig bool) (*Inventory, error) {
	inv := &Inventory{
		FormatVersion: InventoryFormatVersion,
		Listeners:     []InventoryListener{},
		Clusters:      []InventoryCluster{},
		Backends:      []InventoryBackend{},
		Frontends:     []InventoryFrontend{},
		Certificates:  []InventoryCertificate{},
	}
	if s == nil {
		return inv, nil
	}
	for _, o := range s.Objects() {
		var cfg json.RawMessage
		if withConfig {
			var err error
			if cfg, err = configJSON(o.Message); err != nil {
				return nil, fmt.Errorf("%s %s: %w", o.Kind, o.Key, err)
			}
		}
		switch m := o.Message.(type) {
		case *sozupb.HttpListenerConfig:
			inv.Listeners = append(inv.Listeners, InventoryListener{"http", state.FormatAddress(m.GetAddress()), m.GetActive(), cfg})
		case *sozupb.HttpsListenerConfig:
			inv.Listeners = append(inv.Listeners, InventoryListener{"https", state.FormatAddress(m.GetAddress()), m.GetActive(), cfg})
		case *sozupb.TcpListenerConfig:
			inv.Listeners = append(inv.Listeners, InventoryListener{"tcp", state.FormatAddress(m.GetAddress()), m.GetActive(), cfg})
		case *sozupb.UdpListenerConfig:
			inv.Listeners = append(inv.Listeners, InventoryListener{"udp", state.FormatAddress(m.GetAddress()), m.GetActive(), cfg})
		case *sozupb.Cluster:
			inv.Clusters = append(inv.Clusters, InventoryCluster{m.GetClusterId(), cfg})
		case *sozupb.AddBackend:
			inv.Backends = append(inv.Backends, InventoryBackend{m.GetClusterId(), m.GetBackendId(), state.FormatAddress(m.GetAddress()), cfg})
		case *sozupb.RequestHttpFrontend:
			protocol := "http"
			if o.Kind == state.KindHTTPSFrontend {
				protocol = "https"
			}
			f := InventoryFrontend{
				Protocol: protocol, Key: o.Key, Address: state.FormatAddress(m.GetAddress()),
				Hostname: m.GetHostname(), PathKind: m.GetPath().GetKind().String(), Path: ptr(m.GetPath().GetValue()),
				Method: m.GetMethod(), Position: m.GetPosition().String(), Config: cfg,
			}
			if m.ClusterId != nil {
				f.ClusterID = ptr(m.GetClusterId())
			}
			inv.Frontends = append(inv.Frontends, f)
		case *sozupb.RequestTcpFrontend:
			inv.Frontends = append(inv.Frontends, InventoryFrontend{Protocol: "tcp", Key: o.Key,
				Address: state.FormatAddress(m.GetAddress()), ClusterID: ptr(m.GetClusterId()), Config: cfg})
		case *sozupb.RequestUdpFrontend:
			inv.Frontends = append(inv.Frontends, InventoryFrontend{Protocol: "udp", Key: o.Key,
				Address: state.FormatAddress(m.GetAddress()), ClusterID: ptr(m.GetClusterId()), Config: cfg})
		case *sozupb.AddCertificate:
			inv.Certificates = append(inv.Certificates, certificateEntry(o.Key, m))
		}
	}
	return inv, nil
}

func ptr[T any](v T) *T { return &v }

// configJSON renders a message as compact protobuf JSON with proto field
// names and enum names, private keys masked. protojson's spacing varies
// between builds, so the result is compacted again.
func configJSON(m proto.Message) (json.RawMessage, error) {
	m = maskKeys(m)
	b, err := protojson.MarshalOptions{UseProtoNames: true}.Marshal(m)
	if err != nil {
		return nil, err
	}
	var out bytes.Buffer
	if err := json.Compact(&out, b); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// maskKeys returns m, or a copy of it with every "key" string field of a
// certificate or listener replaced by Sensitive.
func maskKeys(m proto.Message) proto.Message {
	if m == nil || !hasKey(m.ProtoReflect()) {
		return m
	}
	c := proto.Clone(m)
	maskIn(c.ProtoReflect())
	return c
}

func isKeyField(fd protoreflect.FieldDescriptor) bool {
	if fd.Name() != "key" || fd.Kind() != protoreflect.StringKind {
		return false
	}
	parent := fd.ContainingMessage().Name()
	return parent == "CertificateAndKey" || parent == "HttpsListenerConfig"
}

func hasKey(m protoreflect.Message) bool {
	found := false
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case isKeyField(fd):
			found = true
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			found = hasKey(v.Message())
		}
		return !found
	})
	return found
}

func maskIn(m protoreflect.Message) {
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		switch {
		case isKeyField(fd):
			m.Set(fd, protoreflect.ValueOfString(Sensitive))
		case fd.Kind() == protoreflect.MessageKind && !fd.IsList() && !fd.IsMap():
			maskIn(v.Message())
		}
		return true
	})
}

// certificateEntry describes a certificate from its public part.
func certificateEntry(key string, m *sozupb.AddCertificate) InventoryCertificate {
	ck := m.GetCertificate()
	fingerprint := key
	if i := strings.LastIndexByte(key, ';'); i >= 0 {
		fingerprint = key[i+1:]
	}
	e := InventoryCertificate{
		Address:     state.FormatAddress(m.GetAddress()),
		Fingerprint: fingerprint,
		Names:       append([]string{}, ck.GetNames()...),
		ChainLength: len(ck.GetCertificateChain()),
		Versions:    []string{},
	}
	for _, v := range ck.GetVersions() {
		e.Versions = append(e.Versions, v.String())
	}
	block, _ := pem.Decode([]byte(ck.GetCertificate()))
	if block == nil {
		e.ParseError = "no PEM block"
		return e
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		e.ParseError = "not an X.509 certificate"
		return e
	}
	e.Subject = cert.Subject.String()
	e.Issuer = cert.Issuer.String()
	e.NotBefore = cert.NotBefore.UTC().Format(time.RFC3339)
	e.NotAfter = cert.NotAfter.UTC().Format(time.RFC3339)
	return e
}

// WriteInventoryJSON writes the inventory of s as one indented JSON
// document followed by a newline.
func WriteInventoryJSON(w io.Writer, s *state.State) error {
	inv, err := NewInventory(s)
	if err != nil {
		return fmt.Errorf("building the inventory: %w", err)
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(inv); err != nil {
		return fmt.Errorf("writing the inventory: %w", err)
	}
	return nil
}

// WriteInventoryText writes the inventory of s for people: each listener
// with its certificates and frontends, then each cluster with its settings,
// backends and frontends, then what belongs to neither.
func WriteInventoryText(w io.Writer, s *state.State) error {
	inv, err := newInventory(s, false)
	if err != nil {
		return fmt.Errorf("building the inventory: %w", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %s, %s, %s\n",
		count(len(inv.Listeners), "listener"), count(len(inv.Clusters), "cluster"),
		count(len(inv.Backends), "backend"), count(len(inv.Frontends), "frontend"),
		count(len(inv.Certificates), "certificate"))

	// Frontends and certificates hang off the listener of their protocol and
	// address; TLS certificates belong to HTTPS listeners. Index everything
	// once: a state can hold tens of thousands of objects.
	listenerOf := map[string]bool{}
	for _, l := range inv.Listeners {
		listenerOf[l.Protocol+" "+l.Address] = true
	}
	frontendsOn := map[string][]InventoryFrontend{}
	frontendsOf := map[string][]InventoryFrontend{}
	for _, f := range inv.Frontends {
		frontendsOn[f.Protocol+" "+f.Address] = append(frontendsOn[f.Protocol+" "+f.Address], f)
		if f.ClusterID != nil {
			frontendsOf[*f.ClusterID] = append(frontendsOf[*f.ClusterID], f)
		}
	}
	certificatesOn := map[string][]InventoryCertificate{}
	for _, c := range inv.Certificates {
		certificatesOn[c.Address] = append(certificatesOn[c.Address], c)
	}
	backendsOf := map[string][]InventoryBackend{}
	for _, be := range inv.Backends {
		backendsOf[be.ClusterID] = append(backendsOf[be.ClusterID], be)
	}
	backendMsgs := map[string]*sozupb.AddBackend{}
	for _, list := range s.Backends {
		for _, m := range list {
			backendMsgs[backendIdentity(m.GetClusterId(), m.GetBackendId(), state.FormatAddress(m.GetAddress()))] = m
		}
	}
	backendText := func(be InventoryBackend) string {
		return backendLine(backendMsgs[backendIdentity(be.ClusterID, be.BackendID, be.Address)], be)
	}

	if len(inv.Listeners) > 0 {
		b.WriteString("\nListeners\n")
	}
	for _, l := range inv.Listeners {
		active := "inactive"
		if l.Active {
			active = "active"
		}
		fmt.Fprintf(&b, "  %s %s (%s)\n", l.Protocol, l.Address, active)
		if l.Protocol == "https" {
			for _, c := range certificatesOn[l.Address] {
				b.WriteString("    " + certificateLine(c) + "\n")
			}
		}
		for _, f := range frontendsOn[l.Protocol+" "+l.Address] {
			fmt.Fprintf(&b, "    frontend %s → %s\n", routeText(f), clusterText(f.ClusterID))
		}
	}

	clusterIDs := map[string]bool{}
	if len(inv.Clusters) > 0 {
		b.WriteString("\nClusters\n")
	}
	for _, c := range inv.Clusters {
		clusterIDs[c.ClusterID] = true
		fmt.Fprintf(&b, "  %s\n", c.ClusterID)
		if set := clusterSettings(s.Clusters[c.ClusterID]); set != "" {
			fmt.Fprintf(&b, "    settings: %s\n", set)
		}
		for _, be := range backendsOf[c.ClusterID] {
			b.WriteString("    " + backendText(be) + "\n")
		}
		for _, f := range frontendsOf[c.ClusterID] {
			fmt.Fprintf(&b, "    frontend %s %s %s\n", f.Protocol, f.Address, routeText(f))
		}
	}

	// What Sōzu keeps although nothing it hangs off exists.
	var orphans []string
	for _, f := range inv.Frontends {
		if !listenerOf[f.Protocol+" "+f.Address] {
			orphans = append(orphans, fmt.Sprintf("frontend %s %s %s → %s (no %s listener on %s)",
				f.Protocol, f.Address, routeText(f), clusterText(f.ClusterID), f.Protocol, f.Address))
		}
		if f.ClusterID != nil && !clusterIDs[*f.ClusterID] {
			orphans = append(orphans, fmt.Sprintf("frontend %s %s %s → cluster %q, which does not exist",
				f.Protocol, f.Address, routeText(f), *f.ClusterID))
		}
	}
	for _, be := range inv.Backends {
		if !clusterIDs[be.ClusterID] {
			orphans = append(orphans, fmt.Sprintf("%s of cluster %q, which does not exist", backendText(be), be.ClusterID))
		}
	}
	for _, c := range inv.Certificates {
		if !listenerOf["https "+c.Address] {
			orphans = append(orphans, fmt.Sprintf("%s on %s (no https listener there)", certificateLine(c), c.Address))
		}
	}
	if len(orphans) > 0 {
		b.WriteString("\nNot attached\n")
		for _, o := range orphans {
			b.WriteString("  " + o + "\n")
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("writing the inventory: %w", err)
	}
	return nil
}

func count(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return strconv.Itoa(n) + " " + what + "s"
}

func clusterText(id *string) string {
	if id == nil {
		return "no cluster"
	}
	return "cluster " + strconv.Quote(*id)
}

// routeText is a frontend's route: hostname, path rule and method for
// HTTP(S), nothing for TCP and UDP (the address is the route).
func routeText(f InventoryFrontend) string {
	if f.Protocol == "tcp" || f.Protocol == "udp" {
		return "(all traffic)"
	}
	path := ""
	if f.Path != nil {
		switch f.PathKind {
		case "PREFIX":
			path = "prefix " + strconv.Quote(*f.Path)
		case "REGEX":
			path = "regex " + strconv.Quote(*f.Path)
		case "EQUALS":
			path = "equals " + strconv.Quote(*f.Path)
		default:
			path = strings.ToLower(f.PathKind) + " " + strconv.Quote(*f.Path)
		}
	}
	s := f.Hostname + " " + path
	if f.Method != "" {
		s += " " + f.Method
	}
	if f.Position != "" && f.Position != "TREE" {
		s += " [" + f.Position + "]"
	}
	return s
}

func certificateLine(c InventoryCertificate) string {
	s := "certificate " + c.Fingerprint
	if len(c.Names) > 0 {
		s += " names " + strings.Join(c.Names, ", ")
	}
	if c.NotAfter != "" {
		s += " not after " + c.NotAfter
	}
	if c.ParseError != "" {
		s += " (" + c.ParseError + ")"
	}
	return s
}

func backendIdentity(cluster, backend, address string) string {
	return cluster + "\x00" + backend + "\x00" + address
}

// backendLine describes a backend; m is its stored message, if known.
func backendLine(m *sozupb.AddBackend, be InventoryBackend) string {
	line := fmt.Sprintf("backend %s %s", be.BackendID, be.Address)
	if m == nil {
		return line
	}
	if lb := m.GetLoadBalancingParameters(); lb != nil {
		line += fmt.Sprintf(" weight %d", lb.GetWeight())
	}
	if m.StickyId != nil {
		line += " sticky id " + strconv.Quote(m.GetStickyId())
	}
	if m.GetBackup() {
		line += " backup"
	}
	return line
}

// clusterSettings lists a cluster's set fields other than its id, as
// name=value, sorted by field number.
func clusterSettings(c *sozupb.Cluster) string {
	if c == nil {
		return ""
	}
	return fieldsText(c.ProtoReflect(), map[string]bool{"cluster_id": true})
}

// fieldsText renders the set fields of m: enums by name, strings quoted
// (long ones as their size), messages in braces, lists in brackets, maps by
// their keys.
func fieldsText(m protoreflect.Message, skip map[string]bool) string {
	type field struct {
		num  protoreflect.FieldNumber
		text string
	}
	var fs []field
	m.Range(func(fd protoreflect.FieldDescriptor, v protoreflect.Value) bool {
		if skip[string(fd.Name())] {
			return true
		}
		var t string
		switch {
		case isKeyField(fd):
			t = Sensitive
		case fd.IsMap():
			var keys []string
			v.Map().Range(func(k protoreflect.MapKey, _ protoreflect.Value) bool {
				keys = append(keys, k.String())
				return true
			})
			sort.Strings(keys)
			t = "{" + strings.Join(keys, ",") + "}"
		case fd.IsList():
			var items []string
			for i := 0; i < v.List().Len(); i++ {
				items = append(items, valueText(fd, v.List().Get(i)))
			}
			t = "[" + strings.Join(items, ",") + "]"
		default:
			t = valueText(fd, v)
		}
		fs = append(fs, field{fd.Number(), string(fd.Name()) + "=" + t})
		return true
	})
	sort.Slice(fs, func(i, j int) bool { return fs[i].num < fs[j].num })
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.text
	}
	return strings.Join(parts, " ")
}

func valueText(fd protoreflect.FieldDescriptor, v protoreflect.Value) string {
	switch fd.Kind() {
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return string(ev.Name())
		}
		return strconv.Itoa(int(v.Enum()))
	case protoreflect.StringKind:
		if len(v.String()) > 64 || strings.ContainsAny(v.String(), "\r\n") {
			return fmt.Sprintf("(%d bytes)", len(v.String()))
		}
		return strconv.Quote(v.String())
	case protoreflect.BytesKind:
		return fmt.Sprintf("(%d bytes)", len(v.Bytes()))
	case protoreflect.MessageKind:
		return "{" + fieldsText(v.Message(), nil) + "}"
	}
	return fmt.Sprint(v.Interface())
}
