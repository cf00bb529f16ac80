package state

import (
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// State is a Sōzu configuration state: what Sōzu's main process records
// (ConfigState in Sōzu 2.1.0, command/src/state.rs:80-101), with the same
// identity keys. Every map holds messages that the State owns: callers that
// keep a message they put in, or take one out, must clone it before changing
// it. New returns an empty State; a zero State (or one with nil maps) is
// also usable: Apply creates the maps it needs.
type State struct {
	// HTTPListeners, HTTPSListeners, TCPListeners and UDPListeners are keyed
	// by FormatAddress of the listener's address; one address may appear in
	// several of these maps.
	HTTPListeners  map[string]*sozupb.HttpListenerConfig
	HTTPSListeners map[string]*sozupb.HttpsListenerConfig
	TCPListeners   map[string]*sozupb.TcpListenerConfig
	UDPListeners   map[string]*sozupb.UdpListenerConfig
	// Clusters is keyed by cluster_id.
	Clusters map[string]*sozupb.Cluster
	// Backends maps a cluster_id to its backends, unique by (backend_id,
	// address) and kept in Sōzu's order: backend_id, then sticky_id,
	// load_balancing_parameters and backup, then address
	// (command/src/response.rs:330-363). A cluster_id may have backends
	// without a cluster (Sōzu does not check).
	Backends map[string][]*sozupb.AddBackend
	// HTTPFrontends and HTTPSFrontends are keyed by RouteKey.
	HTTPFrontends  map[string]*sozupb.RequestHttpFrontend
	HTTPSFrontends map[string]*sozupb.RequestHttpFrontend
	// TCPFrontends and UDPFrontends map a cluster_id to its frontends, in
	// the order they were added.
	TCPFrontends map[string][]*sozupb.RequestTcpFrontend
	UDPFrontends map[string][]*sozupb.RequestUdpFrontend
	// Certificates maps a listener address (FormatAddress) to the
	// certificates added on it, keyed by lowercase hex SHA-256 fingerprint.
	// An address may hold an empty map: Sōzu creates it before a certificate
	// can be rejected, and ReplaceCertificate then no longer answers NotFound.
	Certificates map[string]map[string]*sozupb.CertificateAndKey
}

// New returns an empty State, ready for Apply.
func New() *State {
	return &State{
		HTTPListeners:  map[string]*sozupb.HttpListenerConfig{},
		HTTPSListeners: map[string]*sozupb.HttpsListenerConfig{},
		TCPListeners:   map[string]*sozupb.TcpListenerConfig{},
		UDPListeners:   map[string]*sozupb.UdpListenerConfig{},
		Clusters:       map[string]*sozupb.Cluster{},
		Backends:       map[string][]*sozupb.AddBackend{},
		HTTPFrontends:  map[string]*sozupb.RequestHttpFrontend{},
		HTTPSFrontends: map[string]*sozupb.RequestHttpFrontend{},
		TCPFrontends:   map[string][]*sozupb.RequestTcpFrontend{},
		UDPFrontends:   map[string][]*sozupb.RequestUdpFrontend{},
		Certificates:   map[string]map[string]*sozupb.CertificateAndKey{},
	}
}

// init makes the maps of a zero State usable.
func (s *State) init() {
	if s.HTTPListeners == nil {
		s.HTTPListeners = map[string]*sozupb.HttpListenerConfig{}
	}
	if s.HTTPSListeners == nil {
		s.HTTPSListeners = map[string]*sozupb.HttpsListenerConfig{}
	}
	if s.TCPListeners == nil {
		s.TCPListeners = map[string]*sozupb.TcpListenerConfig{}
	}
	if s.UDPListeners == nil {
		s.UDPListeners = map[string]*sozupb.UdpListenerConfig{}
	}
	if s.Clusters == nil {
		s.Clusters = map[string]*sozupb.Cluster{}
	}
	if s.Backends == nil {
		s.Backends = map[string][]*sozupb.AddBackend{}
	}
	if s.HTTPFrontends == nil {
		s.HTTPFrontends = map[string]*sozupb.RequestHttpFrontend{}
	}
	if s.HTTPSFrontends == nil {
		s.HTTPSFrontends = map[string]*sozupb.RequestHttpFrontend{}
	}
	if s.TCPFrontends == nil {
		s.TCPFrontends = map[string][]*sozupb.RequestTcpFrontend{}
	}
	if s.UDPFrontends == nil {
		s.UDPFrontends = map[string][]*sozupb.RequestUdpFrontend{}
	}
	if s.Certificates == nil {
		s.Certificates = map[string]map[string]*sozupb.CertificateAndKey{}
	}
}

// Clone returns a deep copy of s: no message, slice or map is shared.
func (s *State) Clone() *State {
	c := New()
	if s == nil {
		return c
	}
	cloneMap(c.HTTPListeners, s.HTTPListeners)
	cloneMap(c.HTTPSListeners, s.HTTPSListeners)
	cloneMap(c.TCPListeners, s.TCPListeners)
	cloneMap(c.UDPListeners, s.UDPListeners)
	cloneMap(c.Clusters, s.Clusters)
	cloneMap(c.HTTPFrontends, s.HTTPFrontends)
	cloneMap(c.HTTPSFrontends, s.HTTPSFrontends)
	cloneListMap(c.Backends, s.Backends)
	cloneListMap(c.TCPFrontends, s.TCPFrontends)
	cloneListMap(c.UDPFrontends, s.UDPFrontends)
	for addr, certs := range s.Certificates {
		m := make(map[string]*sozupb.CertificateAndKey, len(certs))
		cloneMap(m, certs)
		c.Certificates[addr] = m
	}
	return c
}

func cloneMap[M proto.Message](dst, src map[string]M) {
	for k, v := range src {
		dst[k] = proto.Clone(v).(M)
	}
}

func cloneListMap[M proto.Message](dst, src map[string][]M) {
	for k, list := range src {
		out := make([]M, len(list))
		for i, v := range list {
			out[i] = proto.Clone(v).(M)
		}
		dst[k] = out
	}
}

// Kind names a kind of object in a State. Kinds are ordered as Sōzu's
// generate_requests emits them (listeners, clusters, frontends,
// certificates, backends) except that backends sort right after clusters.
type Kind int

// The kinds of objects a State holds.
const (
	KindHTTPListener Kind = iota
	KindHTTPSListener
	KindTCPListener
	KindUDPListener
	KindCluster
	KindBackend
	KindHTTPFrontend
	KindHTTPSFrontend
	KindTCPFrontend
	KindUDPFrontend
	KindCertificate
)

var kindNames = [...]string{
	KindHTTPListener:  "http_listener",
	KindHTTPSListener: "https_listener",
	KindTCPListener:   "tcp_listener",
	KindUDPListener:   "udp_listener",
	KindCluster:       "cluster",
	KindBackend:       "backend",
	KindHTTPFrontend:  "http_frontend",
	KindHTTPSFrontend: "https_frontend",
	KindTCPFrontend:   "tcp_frontend",
	KindUDPFrontend:   "udp_frontend",
	KindCertificate:   "certificate",
}

// Kinds lists every Kind in order.
func Kinds() []Kind {
	out := make([]Kind, len(kindNames))
	for i := range out {
		out[i] = Kind(i)
	}
	return out
}

// String returns the kind's snake_case name, such as "https_listener".
func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Object is one object of a State with its identity key.
//
// Message is the State's own message (do not modify it): a listener config,
// a *sozupb.Cluster, a *sozupb.AddBackend, a *sozupb.RequestHttpFrontend,
// a *sozupb.RequestTcpFrontend, a *sozupb.RequestUdpFrontend, or, for a
// certificate, a new *sozupb.AddCertificate carrying the listener address
// and the stored CertificateAndKey (never an expired_at).
type Object struct {
	Kind    Kind
	Key     string
	Message proto.Message
}

// BackendKey is the Object key of a backend: "<cluster_id>;<backend_id>;<ip:port>".
func BackendKey(b *sozupb.AddBackend) string {
	return b.GetClusterId() + ";" + b.GetBackendId() + ";" + FormatAddress(b.GetAddress())
}

// TCPFrontendKey is the Object key of a TCP frontend:
// "<cluster_id>;<ip:port>" followed by ";k=v,k=v" with the tags sorted by
// name when it has tags.
func TCPFrontendKey(f *sozupb.RequestTcpFrontend) string {
	return l4Key(f.GetClusterId(), f.GetAddress(), f.GetTags())
}

// UDPFrontendKey is the Object key of a UDP frontend, built like TCPFrontendKey.
func UDPFrontendKey(f *sozupb.RequestUdpFrontend) string {
	return l4Key(f.GetClusterId(), f.GetAddress(), f.GetTags())
}

func l4Key(cluster string, addr *sozupb.SocketAddress, tags map[string]string) string {
	var b strings.Builder
	b.WriteString(cluster)
	b.WriteByte(';')
	b.WriteString(FormatAddress(addr))
	if len(tags) > 0 {
		b.WriteByte(';')
		for i, k := range sortedKeys(tags) {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(k)
			b.WriteByte('=')
			b.WriteString(tags[k])
		}
	}
	return b.String()
}

// CertificateKey is the Object key of a certificate: "<ip:port>;<fingerprint>".
func CertificateKey(address, fingerprint string) string {
	return address + ";" + fingerprint
}

// Objects returns every object of s, sorted by Kind then Key (as strings).
// Empty per-cluster lists and empty certificate maps yield nothing.
func (s *State) Objects() []Object {
	if s == nil {
		return nil
	}
	out := make([]Object, 0, s.Len())
	// Each kind is appended, then sorted by key on its own; the sort is
	// stable, so objects whose keys collide keep their stored order.
	sortFrom := func(start int) {
		part := out[start:]
		sort.SliceStable(part, func(i, j int) bool { return part[i].Key < part[j].Key })
	}
	out = appendSorted(out, KindHTTPListener, s.HTTPListeners)
	out = appendSorted(out, KindHTTPSListener, s.HTTPSListeners)
	out = appendSorted(out, KindTCPListener, s.TCPListeners)
	out = appendSorted(out, KindUDPListener, s.UDPListeners)
	out = appendSorted(out, KindCluster, s.Clusters)
	start := len(out)
	for _, list := range s.Backends {
		for _, b := range list {
			out = append(out, Object{KindBackend, BackendKey(b), b})
		}
	}
	sortFrom(start)
	out = appendSorted(out, KindHTTPFrontend, s.HTTPFrontends)
	out = appendSorted(out, KindHTTPSFrontend, s.HTTPSFrontends)
	start = len(out)
	for _, cluster := range sortedKeys(s.TCPFrontends) {
		for _, f := range s.TCPFrontends[cluster] {
			out = append(out, Object{KindTCPFrontend, TCPFrontendKey(f), f})
		}
	}
	sortFrom(start)
	start = len(out)
	for _, cluster := range sortedKeys(s.UDPFrontends) {
		for _, f := range s.UDPFrontends[cluster] {
			out = append(out, Object{KindUDPFrontend, UDPFrontendKey(f), f})
		}
	}
	sortFrom(start)
	start = len(out)
	for addr, certs := range s.Certificates {
		sa, _ := ParseAddress(addr)
		for fp, c := range certs {
			out = append(out, Object{KindCertificate, CertificateKey(addr, fp), &sozupb.AddCertificate{Address: sa, Certificate: c}})
		}
	}
	sortFrom(start)
	return out
}

// appendSorted appends the objects of one keyed map, sorted by key.
func appendSorted[M proto.Message](out []Object, kind Kind, m map[string]M) []Object {
	for _, key := range sortedKeys(m) {
		out = append(out, Object{kind, key, m[key]})
	}
	return out
}

// Len returns the number of objects in s (what Objects would return).
func (s *State) Len() int {
	if s == nil {
		return 0
	}
	n := len(s.HTTPListeners) + len(s.HTTPSListeners) + len(s.TCPListeners) + len(s.UDPListeners) +
		len(s.Clusters) + len(s.HTTPFrontends) + len(s.HTTPSFrontends)
	for _, l := range s.Backends {
		n += len(l)
	}
	for _, l := range s.TCPFrontends {
		n += len(l)
	}
	for _, l := range s.UDPFrontends {
		n += len(l)
	}
	for _, m := range s.Certificates {
		n += len(m)
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
