package sim

import (
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// errNotSupported marks a request the worker proxies do not handle.
var errNotSupported = errors.New("this request is not supported by the proxy")

// listenerKey identifies a worker listener: Sōzu keeps one proxy per
// protocol, so the same address may carry listeners of two protocols.
type listenerKey struct {
	proto sozupb.ListenerType
	addr  string
}

// ruleKey is what a worker's router compares to find a rule again.
type ruleKey struct {
	hostname, path, method string
}

// httpRule is one HTTP(S) routing rule of a worker listener.
type httpRule struct {
	hostname string // lowercased, as the worker's router stores it
	path     string // kind letter (P, R, =) followed by the value
	method   string
	cluster  string // empty: a deny route
}

// listener is a worker's listener with what it owns: its routing rules
// (HTTP/HTTPS), its routed cluster (TCP/UDP) and its certificates (HTTPS).
type listener struct {
	key    listenerKey
	bound  bool
	rules  [3]map[ruleKey]httpRule // indexed by sozupb.RulePosition: PRE, POST, TREE
	target *string                 // TCP/UDP: the cluster the listener routes to
	certs  map[string]*loadedCert
	seq    int // order in which certificates and EQUALS rules were added
}

// proxies is the routing layer of one worker: what its HTTP, HTTPS, TCP and
// UDP proxies hold, as opposed to its copy of the configuration state.
type proxies struct {
	listeners map[listenerKey]*listener
	clusters  map[string]bool
	backends  map[string][]*sozupb.AddBackend
}

func newProxies() *proxies {
	return &proxies{
		listeners: map[listenerKey]*listener{},
		clusters:  map[string]bool{},
		backends:  map[string][]*sozupb.AddBackend{},
	}
}

func (p *proxies) find(proto sozupb.ListenerType, addr *sozupb.SocketAddress) (*listener, error) {
	a := state.FormatAddress(addr)
	l, ok := p.listeners[listenerKey{proto, a}]
	if !ok {
		return nil, fmt.Errorf("found no listener with address %s", a)
	}
	return l, nil
}

// apply runs one request through the worker proxies and returns the error a
// Sōzu worker would answer with, or nil.
func (p *proxies) apply(req *sozupb.Request) error {
	switch r := req.GetRequestType().(type) {
	case *sozupb.Request_AddCluster:
		p.clusters[r.AddCluster.GetClusterId()] = true
	case *sozupb.Request_RemoveCluster:
		// Workers drop the cluster's settings but keep its routes and backends.
		delete(p.clusters, r.RemoveCluster)
	case *sozupb.Request_AddHttpListener:
		return p.addListener(sozupb.ListenerType_HTTP, r.AddHttpListener.GetAddress())
	case *sozupb.Request_AddHttpsListener:
		if err := checkTLS(r.AddHttpsListener); err != nil {
			return err
		}
		return p.addListener(sozupb.ListenerType_HTTPS, r.AddHttpsListener.GetAddress())
	case *sozupb.Request_AddTcpListener:
		return p.addListener(sozupb.ListenerType_TCP, r.AddTcpListener.GetAddress())
	case *sozupb.Request_AddUdpListener:
		return p.addListener(sozupb.ListenerType_UDP, r.AddUdpListener.GetAddress())
	case *sozupb.Request_UpdateHttpListener:
		_, err := p.find(sozupb.ListenerType_HTTP, r.UpdateHttpListener.GetAddress())
		return err
	case *sozupb.Request_UpdateHttpsListener:
		if _, err := p.find(sozupb.ListenerType_HTTPS, r.UpdateHttpsListener.GetAddress()); err != nil {
			return err
		}
		if h := r.UpdateHttpsListener.GetHsts(); h != nil && h.Enabled == nil {
			return errors.New("invalid value for field 'hsts': 'enabled' must be set")
		}
	case *sozupb.Request_UpdateTcpListener:
		_, err := p.find(sozupb.ListenerType_TCP, r.UpdateTcpListener.GetAddress())
		return err
	case *sozupb.Request_UpdateUdpListener:
		_, err := p.find(sozupb.ListenerType_UDP, r.UpdateUdpListener.GetAddress())
		return err
	case *sozupb.Request_RemoveListener:
		// Removing a listener the worker lacks is not an error for it.
		delete(p.listeners, listenerKey{r.RemoveListener.GetProxy(), state.FormatAddress(r.RemoveListener.GetAddress())})
	case *sozupb.Request_ActivateListener:
		l, err := p.find(r.ActivateListener.GetProxy(), r.ActivateListener.GetAddress())
		if err != nil {
			return err
		}
		l.bound = true
	case *sozupb.Request_DeactivateListener:
		l, err := p.find(r.DeactivateListener.GetProxy(), r.DeactivateListener.GetAddress())
		if err != nil {
			return err
		}
		if !l.bound {
			return errors.New("the listener is not activated")
		}
		l.bound = false
	case *sozupb.Request_AddHttpFrontend:
		if r.AddHttpFrontend.GetHsts() != nil {
			return fmt.Errorf("HSTS cannot be set on a plain HTTP frontend (%s)", state.FormatAddress(r.AddHttpFrontend.GetAddress()))
		}
		return p.addHTTPFront(sozupb.ListenerType_HTTP, r.AddHttpFrontend)
	case *sozupb.Request_RemoveHttpFrontend:
		return p.removeHTTPFront(sozupb.ListenerType_HTTP, r.RemoveHttpFrontend)
	case *sozupb.Request_AddHttpsFrontend:
		return p.addHTTPFront(sozupb.ListenerType_HTTPS, r.AddHttpsFrontend)
	case *sozupb.Request_RemoveHttpsFrontend:
		return p.removeHTTPFront(sozupb.ListenerType_HTTPS, r.RemoveHttpsFrontend)
	case *sozupb.Request_AddTcpFrontend:
		return p.setTarget(sozupb.ListenerType_TCP, r.AddTcpFrontend.GetAddress(), r.AddTcpFrontend.GetClusterId(), true)
	case *sozupb.Request_RemoveTcpFrontend:
		return p.setTarget(sozupb.ListenerType_TCP, r.RemoveTcpFrontend.GetAddress(), "", false)
	case *sozupb.Request_AddUdpFrontend:
		return p.setTarget(sozupb.ListenerType_UDP, r.AddUdpFrontend.GetAddress(), r.AddUdpFrontend.GetClusterId(), true)
	case *sozupb.Request_RemoveUdpFrontend:
		return p.setTarget(sozupb.ListenerType_UDP, r.RemoveUdpFrontend.GetAddress(), "", false)
	case *sozupb.Request_AddBackend:
		p.addBackend(r.AddBackend)
	case *sozupb.Request_RemoveBackend:
		p.removeBackend(r.RemoveBackend)
	case *sozupb.Request_AddCertificate:
		return p.addCertificate(r.AddCertificate)
	case *sozupb.Request_ReplaceCertificate:
		return p.replaceCertificate(r.ReplaceCertificate)
	case *sozupb.Request_RemoveCertificate:
		return p.removeCertificate(r.RemoveCertificate)
	case *sozupb.Request_SetHealthCheck, *sozupb.Request_RemoveHealthCheck,
		*sozupb.Request_Logging, *sozupb.Request_ConfigureMetrics,
		*sozupb.Request_SetMaxConnectionsPerIp, *sozupb.Request_SetMetricDetail,
		*sozupb.Request_QueryMaxConnectionsPerIp, *sozupb.Request_Status,
		*sozupb.Request_QueryClustersHashes, *sozupb.Request_QueryClusterById,
		*sozupb.Request_QueryClustersByDomain:
		// Health checks, runtime settings and the cluster queries leave the
		// routing tables alone; a worker answers them OK (the queries reach
		// it this way only as records of a state file).
	default:
		return errNotSupported
	}
	return nil
}

func (p *proxies) addListener(proto sozupb.ListenerType, addr *sozupb.SocketAddress) error {
	k := listenerKey{proto, state.FormatAddress(addr)}
	if _, ok := p.listeners[k]; ok {
		// A worker would add a second listener at the address, which every
		// lookup by address then passes over: keeping the first is the same.
		return nil
	}
	// A listener is created unbound even when its config says active: only
	// ActivateListener binds it.
	l := &listener{key: k, certs: map[string]*loadedCert{}}
	for i := range l.rules {
		l.rules[i] = map[ruleKey]httpRule{}
	}
	p.listeners[k] = l
	return nil
}

// pathKey renders a path rule the way the main process's route key does.
func pathKey(r *sozupb.PathRule) string {
	switch r.GetKind() {
	case sozupb.PathRuleKind_REGEX:
		return "R" + r.GetValue()
	case sozupb.PathRuleKind_EQUALS:
		return "=" + r.GetValue()
	default:
		return "P" + r.GetValue()
	}
}

func ruleOf(f *sozupb.RequestHttpFrontend) httpRule {
	return httpRule{
		hostname: strings.ToLower(f.GetHostname()),
		path:     pathKey(f.GetPath()),
		method:   f.GetMethod(),
		cluster:  f.GetClusterId(),
	}
}

// key is the rule's identity in a worker's router. Sōzu 2.1.0's path-rule
// equality never holds between two EQUALS rules (lib/src/router/mod.rs:
// 983-990 matches only prefix and regex pairs), so a worker never finds an
// EQUALS route again: adding it twice is accepted and removing it fails
// (PRE, POST) or answers OK and leaves it (TREE). An EQUALS rule is stored
// under a key no lookup builds; found is false for it.
func (r httpRule) key(seq int) (k ruleKey, found bool) {
	k = ruleKey{r.hostname, r.path, r.method}
	if strings.HasPrefix(r.path, "=") {
		k.path += "\x00" + strconv.Itoa(seq)
		return k, false
	}
	return k, true
}

func position(f *sozupb.RequestHttpFrontend) int {
	pos := f.GetPosition()
	if pos < sozupb.RulePosition_PRE || pos > sozupb.RulePosition_TREE {
		return int(sozupb.RulePosition_TREE)
	}
	return int(pos)
}

// checkPath refuses a regex path rule that does not compile, as a worker's
// router does (Go's RE2 syntax stands in for Rust's regex crate, which it
// nearly matches).
func checkPath(f *sozupb.RequestHttpFrontend) error {
	if f.GetPath().GetKind() != sozupb.PathRuleKind_REGEX {
		return nil
	}
	if _, err := regexp.Compile(f.GetPath().GetValue()); err != nil {
		return fmt.Errorf("invalid path rule %q: %w", f.GetPath().GetValue(), err)
	}
	return nil
}

func (p *proxies) addHTTPFront(proto sozupb.ListenerType, f *sozupb.RequestHttpFrontend) error {
	l, err := p.find(proto, f.GetAddress())
	if err != nil {
		return err
	}
	if err := checkPath(f); err != nil {
		return fmt.Errorf("could not add frontend: %w", err)
	}
	rule := ruleOf(f)
	pos := position(f)
	l.seq++
	k, comparable := rule.key(l.seq)
	if _, ok := l.rules[pos][k]; ok && comparable {
		return fmt.Errorf("could not add frontend: the route %s;%s already exists in the %s rules",
			rule.hostname, rule.path, sozupb.RulePosition(pos))
	}
	l.rules[pos][k] = rule
	return nil
}

func (p *proxies) removeHTTPFront(proto sozupb.ListenerType, f *sozupb.RequestHttpFrontend) error {
	l, err := p.find(proto, f.GetAddress())
	if err != nil {
		return err
	}
	if err := checkPath(f); err != nil {
		return fmt.Errorf("could not remove frontend: %w", err)
	}
	rule := ruleOf(f)
	pos := position(f)
	if k, comparable := rule.key(0); comparable {
		if _, ok := l.rules[pos][k]; ok {
			delete(l.rules[pos], k)
			return nil
		}
	}
	if pos == int(sozupb.RulePosition_TREE) {
		// The tree rule set reports success when it has nothing to remove.
		return nil
	}
	return fmt.Errorf("could not remove frontend: no %s rule for %s;%s", sozupb.RulePosition(pos), rule.hostname, rule.path)
}

func (p *proxies) setTarget(proto sozupb.ListenerType, addr *sozupb.SocketAddress, cluster string, add bool) error {
	l, err := p.find(proto, addr)
	if err != nil {
		return err
	}
	if add {
		l.target = &cluster
	} else {
		// The cluster id of the request plays no part: whatever is routed goes.
		l.target = nil
	}
	return nil
}

func (p *proxies) addBackend(b *sozupb.AddBackend) {
	list := p.backends[b.GetClusterId()]
	addr := state.FormatAddress(b.GetAddress())
	for i, old := range list {
		if old.GetBackendId() == b.GetBackendId() && state.FormatAddress(old.GetAddress()) == addr {
			list[i] = b
			return
		}
	}
	p.backends[b.GetClusterId()] = append(list, b)
}

func (p *proxies) removeBackend(b *sozupb.RemoveBackend) {
	addr := state.FormatAddress(b.GetAddress())
	list := p.backends[b.GetClusterId()]
	kept := list[:0]
	for _, old := range list {
		if state.FormatAddress(old.GetAddress()) != addr {
			kept = append(kept, old)
		}
	}
	p.backends[b.GetClusterId()] = kept
	if len(kept) == 0 {
		delete(p.backends, b.GetClusterId())
	}
}

func (p *proxies) addCertificate(a *sozupb.AddCertificate) error {
	l, err := p.find(sozupb.ListenerType_HTTPS, a.GetAddress())
	if err != nil {
		return err
	}
	c, err := loadCertificate(a.GetCertificate())
	if err != nil {
		return fmt.Errorf("could not add certificate: %w", err)
	}
	if _, ok := l.certs[c.fingerprint]; ok {
		// Already loaded: its names stay what they were.
		return nil
	}
	l.seq++
	c.seq = l.seq
	l.certs[c.fingerprint] = c
	return nil
}

func (p *proxies) replaceCertificate(r *sozupb.ReplaceCertificate) error {
	l, err := p.find(sozupb.ListenerType_HTTPS, r.GetAddress())
	if err != nil {
		return err
	}
	c, err := loadCertificate(r.GetNewCertificate())
	if err != nil {
		return fmt.Errorf("could not replace certificate: %w", err)
	}
	old := strings.ToLower(r.GetOldFingerprint())
	if c.fingerprint == old {
		return nil
	}
	if _, ok := l.certs[c.fingerprint]; !ok {
		l.seq++
		c.seq = l.seq
		l.certs[c.fingerprint] = c
	}
	delete(l.certs, old)
	return nil
}

func (p *proxies) removeCertificate(r *sozupb.RemoveCertificate) error {
	l, err := p.find(sozupb.ListenerType_HTTPS, r.GetAddress())
	if err != nil {
		return err
	}
	delete(l.certs, strings.ToLower(r.GetFingerprint()))
	return nil
}

// Route is one HTTP(S) routing rule as a worker holds it.
type Route struct {
	Protocol string              // "http" or "https"
	Address  string              // listener address, as state.FormatAddress renders it
	Position sozupb.RulePosition // the rule set holding the route
	Hostname string              // lowercased
	Path     string              // kind letter (P prefix, R regex, = equals) then the value
	Method   string              // empty: any method
	Cluster  string              // empty: a deny route
}

// String renders the route on one line, for test failures and logs.
func (r Route) String() string {
	s := fmt.Sprintf("%s %s %s %s;%s", r.Protocol, r.Address, r.Position, r.Hostname, r.Path)
	if r.Method != "" {
		s += ";" + r.Method
	}
	if r.Cluster == "" {
		return s + " -> (deny)"
	}
	return s + " -> " + r.Cluster
}

func (p *proxies) routes() []Route {
	var out []Route
	for _, l := range p.listeners {
		proto := strings.ToLower(l.key.proto.String())
		for pos, rules := range l.rules {
			for _, r := range rules {
				out = append(out, Route{
					Protocol: proto, Address: l.key.addr, Position: sozupb.RulePosition(pos),
					Hostname: r.hostname, Path: r.path, Method: r.method, Cluster: r.cluster,
				})
			}
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}

// selected returns, per served name, the fingerprint a worker would pick for
// SNI on one listener: the certificate that expires last, the most recently
// loaded one on a tie.
func (l *listener) selected() map[string]string {
	best := map[string]*loadedCert{}
	for _, c := range l.certs {
		for _, n := range c.names {
			b, ok := best[n]
			if !ok || c.notAfter.After(b.notAfter) || (c.notAfter.Equal(b.notAfter) && c.seq > b.seq) {
				best[n] = c
			}
		}
	}
	out := make(map[string]string, len(best))
	for n, c := range best {
		out[n] = c.fingerprint
	}
	return out
}

// tlsSuites are the cipher suite names a Sōzu worker knows, with the TLS
// version each belongs to (lib/src/crypto.rs, cipher_suite_by_name); the
// first nine are also its default list when cipher_list is empty
// (command/src/config.rs, DEFAULT_CIPHER_LIST).
var tlsSuites = map[string]sozupb.TlsVersion{
	"TLS13_AES_256_GCM_SHA384":                      sozupb.TlsVersion_TLS_V1_3,
	"TLS13_AES_128_GCM_SHA256":                      sozupb.TlsVersion_TLS_V1_3,
	"TLS13_CHACHA20_POLY1305_SHA256":                sozupb.TlsVersion_TLS_V1_3,
	"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384":       sozupb.TlsVersion_TLS_V1_2,
	"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256":       sozupb.TlsVersion_TLS_V1_2,
	"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256": sozupb.TlsVersion_TLS_V1_2,
	"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384":         sozupb.TlsVersion_TLS_V1_2,
	"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256":         sozupb.TlsVersion_TLS_V1_2,
	"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256":   sozupb.TlsVersion_TLS_V1_2,
}

// tlsGroups are the key exchange group names a Sōzu worker knows
// (lib/src/crypto.rs, kx_group_by_name).
var tlsGroups = map[string]bool{
	"x25519": true, "X25519": true, "secp256r1": true, "P-256": true,
	"secp384r1": true, "P-384": true, "X25519MLKEM768": true,
}

// checkTLS refuses an HTTPS listener whose TLS context a worker cannot
// build (lib/src/https.rs, create_rustls_context): versions other than TLS
// 1.2 and 1.3 and unknown cipher or group names are dropped, and rustls
// then wants at least one cipher suite of an enabled version and at least
// one key exchange group. An empty versions list is the usual way to get
// there (protocol notes §0.7).
func checkTLS(l *sozupb.HttpsListenerConfig) error {
	const prefix = "Could not add HTTPS listener: could not add listener: failed to build rustls context, unexpected error: "
	enabled := map[sozupb.TlsVersion]bool{}
	for _, v := range l.GetVersions() {
		if v == sozupb.TlsVersion_TLS_V1_2 || v == sozupb.TlsVersion_TLS_V1_3 {
			enabled[v] = true
		}
	}
	names := l.GetCipherList()
	if len(names) == 0 {
		names = make([]string, 0, len(tlsSuites))
		for n := range tlsSuites {
			names = append(names, n)
		}
	}
	usable := false
	for _, n := range names {
		if v, ok := tlsSuites[n]; ok && enabled[v] {
			usable = true
			break
		}
	}
	if !usable {
		return errors.New(prefix + "no usable cipher suites configured")
	}
	if groups := l.GetGroupsList(); len(groups) > 0 {
		known := false
		for _, g := range groups {
			known = known || tlsGroups[g]
		}
		if !known {
			return errors.New(prefix + "no kx groups configured")
		}
	}
	return nil
}
