package importer

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/hashicorp/hcl/v2"
	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/sozuctl-plan/sozuctl-plan/internal/atomicfile"
	"github.com/zclconf/go-cty/cty"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// MainFile is the name of the HCL file Render writes.
const MainFile = "main.hcl"

// CertDir is the directory, relative to the output directory, that holds
// the certificate, chain and key files.
const CertDir = "certs"

// File modes of the files Render produces.
const (
	// PublicMode is the mode of HCL, certificate and chain files.
	PublicMode fs.FileMode = 0o644
	// KeyMode is the mode of private key files.
	KeyMode fs.FileMode = 0o600
)

// Options tune WriteHCL.
type Options struct {
	// Force allows WriteHCL to replace files that already exist.
	Force bool
}

// File is one file of an import, its path relative to the output directory
// in slash form.
type File struct {
	Path string
	Data []byte
	Mode fs.FileMode
}

// Output is what Render produces: the files to write, in a stable order
// (MainFile first), and what could not be expressed.
type Output struct {
	Files []File
	// Warnings name the objects or values of the state that the HCL cannot
	// reproduce exactly; each is one sentence. They never quote a key.
	Warnings []string
}

// ExistsError is returned by WriteHCL when a file it would write exists
// and Options.Force is not set.
type ExistsError struct {
	Path string
}

// Error says which file exists and how to overwrite it.
func (e *ExistsError) Error() string {
	return fmt.Sprintf("%s already exists (use --force to overwrite it)", e.Path)
}

// WriteHCL writes the HCL that reproduces s, and its certificate files,
// into dir (created when missing). Every file is written atomically; key
// files have mode 0600. Unless opts.Force is set, it writes nothing when any
// of the files exists already and returns an *ExistsError. The warnings are
// those of Render.
func WriteHCL(dir string, s *state.State, opts Options) ([]string, error) {
	out, err := Render(s)
	if err != nil {
		return nil, err
	}
	if err := out.Write(dir, opts.Force); err != nil {
		return out.Warnings, err
	}
	return out.Warnings, nil
}

// Write writes the files of o under dir, as WriteHCL does.
func (o *Output) Write(dir string, force bool) error {
	if !force {
		for _, f := range o.Files {
			p := filepath.Join(dir, filepath.FromSlash(f.Path))
			if _, err := os.Lstat(p); err == nil {
				return &ExistsError{Path: p}
			} else if !errors.Is(err, fs.ErrNotExist) {
				return fmt.Errorf("checking %s: %w", p, err)
			}
		}
	}
	for _, f := range o.Files {
		p := filepath.Join(dir, filepath.FromSlash(f.Path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return fmt.Errorf("creating the directory of %s: %w", p, err)
		}
		if err := atomicfile.WriteBytes(p, f.Data, f.Mode); err != nil {
			return err
		}
	}
	return nil
}

// renderer holds what Render builds.
type renderer struct {
	s        *state.State
	out      *Output
	file     *hclwrite.File    // the top-level block being built
	buf      bytes.Buffer      // the formatted blocks before it
	names    map[string]string // "<proto> <addr>" → listener block name
	files    map[string]bool   // paths taken
	certKeys map[string]bool   // certificate labels taken
	l4Owner  map[string]string // "<proto> <addr>" → first cluster with a TCP/UDP frontend there
}

// Listener protocols, as written in listener block labels.
var listenerProtocols = []string{"http", "https", "tcp", "udp"}

// Render builds the HCL of s and the certificate files it reads. It never
// fails on a valid state; values that HCL cannot carry are left out with a
// warning, and the error is for states it cannot read at all (nil).
func Render(s *state.State) (*Output, error) {
	if s == nil {
		return nil, errors.New("rendering HCL: no state")
	}
	r := &renderer{
		s:        s,
		out:      &Output{},
		names:    map[string]string{},
		files:    map[string]bool{MainFile: true},
		certKeys: map[string]bool{},
		l4Owner:  map[string]string{},
	}
	r.listeners()
	r.clusters()
	r.topFrontends()
	r.certificates()
	r.flush()
	r.out.Files = append([]File{{Path: MainFile, Data: r.buf.Bytes(), Mode: PublicMode}}, r.out.Files...)
	return r.out, nil
}

// top starts a new top-level block, after formatting the previous one.
// Each block is formatted on its own, which keeps formatting linear and
// light on memory for large states; blocks are separated by a blank line.
func (r *renderer) top(typ string, labels []string) *hclwrite.Block {
	r.flush()
	r.file = hclwrite.NewEmptyFile()
	return r.file.Body().AppendNewBlock(typ, labels)
}

// flush formats the block being built into buf.
func (r *renderer) flush() {
	if r.file == nil {
		return
	}
	if r.buf.Len() > 0 {
		r.buf.WriteByte('\n')
	}
	r.buf.Write(hclwrite.Format(r.file.Bytes()))
	r.file = nil
}

func (r *renderer) warnf(format string, args ...any) {
	r.out.Warnings = append(r.out.Warnings, fmt.Sprintf(format, args...))
}

func (r *renderer) addFile(path string, data string, mode fs.FileMode) {
	r.out.Files = append(r.out.Files, File{Path: path, Data: []byte(data), Mode: mode})
}

// uniquePath returns base+ext under CertDir, or base-2+ext and so on when
// taken.
func (r *renderer) uniquePath(base, ext string) string {
	p := CertDir + "/" + base + ext
	for i := 2; r.files[p]; i++ {
		p = fmt.Sprintf("%s/%s-%d%s", CertDir, base, i, ext)
	}
	r.files[p] = true
	return p
}

// sanitize keeps letters, digits, '-' and '_', turning anything else into
// '_', so that a name is an HCL identifier and a safe file name.
func sanitize(s string) string {
	var b strings.Builder
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_', c == '-':
			b.WriteRune(c)
		default:
			b.WriteByte('_')
		}
	}
	return b.String()
}

// ListenerName is the block name import gives the listener of protocol at
// addr ("0.0.0.0:80" → "http_0_0_0_0_80", "[::1]:443" → "https_1_443"):
// every run of characters that are not letters, digits or '-' becomes one
// '_'. Render adds "_2", "_3"... when two addresses give one name.
func ListenerName(protocol, addr string) string {
	a := strings.NewReplacer("[", "", "]", "").Replace(addr)
	parts := strings.FieldsFunc(sanitize(a), func(r rune) bool { return r == '_' })
	return protocol + "_" + strings.Join(parts, "_")
}

// sortedKeys returns the keys of m in order.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// listeners names every listener, then writes their blocks.
func (r *renderer) listeners() {
	for _, p := range listenerProtocols {
		var addrs []string
		switch p {
		case "http":
			addrs = sortedKeys(r.s.HTTPListeners)
		case "https":
			addrs = sortedKeys(r.s.HTTPSListeners)
		case "tcp":
			addrs = sortedKeys(r.s.TCPListeners)
		default:
			addrs = sortedKeys(r.s.UDPListeners)
		}
		taken := map[string]bool{}
		for _, addr := range addrs {
			name := ListenerName(p, addr)
			for i := 2; taken[name]; i++ {
				name = fmt.Sprintf("%s_%d", ListenerName(p, addr), i)
			}
			taken[name] = true
			r.names[p+" "+addr] = name
		}
		for _, addr := range addrs {
			r.listener(p, addr)
		}
	}
}

// listener writes the block of the listener of protocol at addr.
func (r *renderer) listener(protocol, addr string) {
	var msg, def proto.Message
	switch protocol {
	case "http":
		l := r.s.HTTPListeners[addr]
		msg, def = l, state.NewHTTPListener(l.GetAddress())
	case "https":
		l := r.s.HTTPSListeners[addr]
		msg, def = l, state.NewHTTPSListener(l.GetAddress())
	case "tcp":
		l := r.s.TCPListeners[addr]
		msg, def = l, state.NewTCPListener(l.GetAddress())
	default:
		l := r.s.UDPListeners[addr]
		msg, def = l, state.NewUDPListener(l.GetAddress())
	}
	name := r.names[protocol+" "+addr]
	what := fmt.Sprintf("%s listener %s", strings.ToUpper(protocol), addr)
	blk := r.top("listener", []string{protocol, name})
	b := blk.Body()
	b.SetAttributeValue("address", cty.StringVal(addr))
	m := state.Normalize(msg).ProtoReflect()
	d := state.Normalize(def).ProtoReflect()
	activeFD := m.Descriptor().Fields().ByName("active")
	if !m.Get(activeFD).Bool() {
		b.SetAttributeValue("active", cty.False)
	}
	skip := map[string]bool{"address": true, "active": true}
	if protocol == "https" {
		skip["certificate"], skip["certificate_chain"], skip["key"] = true, true, true
		r.listenerCertificate(b, msg.(*sozupb.HttpsListenerConfig), name, what)
		h := msg.(*sozupb.HttpsListenerConfig)
		if len(h.GetVersions()) == 0 {
			r.warnf("%s has no TLS version: the configuration cannot declare one without versions, so it gets TLS_V1_2 and TLS_V1_3", what)
			skip["versions"] = true
		} else if !usableVersions(h.GetVersions()) {
			r.warnf("%s has neither TLS_V1_2 nor TLS_V1_3, with which Sōzu's workers cannot start it; the configuration refuses it", what)
		}
		for _, p := range h.GetAlpnProtocols() {
			if p != "h2" && p != "http/1.1" {
				r.warnf("%s has the ALPN protocol %q, which Sōzu does not speak; the configuration refuses it", what, p)
				break
			}
		}
	}
	r.fields(b, m, d, skip, nil, what)
}

// usableVersions reports whether versions holds a TLS version Sōzu's
// workers honour (1.2 or 1.3).
func usableVersions(versions []sozupb.TlsVersion) bool {
	for _, v := range versions {
		if v == sozupb.TlsVersion_TLS_V1_2 || v == sozupb.TlsVersion_TLS_V1_3 {
			return true
		}
	}
	return false
}

// listenerCertificate writes an HTTPS listener's default certificate, its
// chain and its key as files.
func (r *renderer) listenerCertificate(b *hclwrite.Body, l *sozupb.HttpsListenerConfig, name, what string) {
	if l.Certificate != nil {
		p := r.uniquePath(name, ".pem")
		r.addFile(p, l.GetCertificate(), PublicMode)
		b.SetAttributeRaw("certificate", fileCall(p))
	}
	r.chain(b, l.GetCertificateChain(), name)
	if l.Key != nil {
		p := r.uniquePath(name, ".key")
		r.addFile(p, l.GetKey(), KeyMode)
		b.SetAttributeRaw("key", fileCall(p))
	}
}

// chain writes certificate_chain as one file() per element.
func (r *renderer) chain(b *hclwrite.Body, chain []string, name string) {
	if len(chain) == 0 {
		return
	}
	elems := make([]hclwrite.Tokens, len(chain))
	for i, c := range chain {
		p := r.uniquePath(fmt.Sprintf("%s-chain-%d", name, i+1), ".pem")
		r.addFile(p, c, PublicMode)
		elems[i] = fileCall(p)
	}
	b.SetAttributeRaw("certificate_chain", hclwrite.TokensForTuple(elems))
}

// newlineIfBusy separates a new block from what the body holds already.
func newlineIfBusy(b *hclwrite.Body) {
	if len(b.Attributes()) > 0 || len(b.Blocks()) > 0 {
		b.AppendNewline()
	}
}

// fileCall is the expression file("<path>").
func fileCall(path string) hclwrite.Tokens {
	return hclwrite.TokensForFunctionCall("file", hclwrite.TokensForValue(cty.StringVal(path)))
}

// listenerRef writes `listener = listener.<protocol>.<name>` when a listener
// of protocol sits at addr, else `address = "<addr>"`, and says which.
func (r *renderer) listenerRef(b *hclwrite.Body, protocol, addr string) bool {
	name, ok := r.names[protocol+" "+addr]
	if !ok {
		b.SetAttributeValue("address", cty.StringVal(addr))
		return false
	}
	b.SetAttributeTraversal("listener", hcl.Traversal{
		hcl.TraverseRoot{Name: "listener"},
		hcl.TraverseAttr{Name: protocol},
		hcl.TraverseAttr{Name: name},
	})
	return true
}

// clusters writes every cluster with its backends and frontends, and
// warns of the backends and frontends whose cluster does not exist.
func (r *renderer) clusters() {
	ids := map[string]bool{}
	for id := range r.s.Clusters {
		ids[id] = true
	}
	httpBy := frontendsByCluster(r.s.HTTPFrontends)
	httpsBy := frontendsByCluster(r.s.HTTPSFrontends)
	for _, id := range sortedKeys(r.s.Backends) {
		if !ids[id] && len(r.s.Backends[id]) > 0 {
			r.warnf("the %d backend(s) of cluster %q are left out: the cluster does not exist, and a backend is declared inside its cluster", len(r.s.Backends[id]), id)
		}
	}
	for _, id := range sortedKeys(r.s.TCPFrontends) {
		if !ids[id] && len(r.s.TCPFrontends[id]) > 0 {
			r.warnf("the TCP frontend(s) of cluster %q are left out: the cluster does not exist, and a TCP frontend is declared inside its cluster", id)
		}
	}
	for _, id := range sortedKeys(r.s.UDPFrontends) {
		if !ids[id] && len(r.s.UDPFrontends[id]) > 0 {
			r.warnf("the UDP frontend(s) of cluster %q are left out: the cluster does not exist, and a UDP frontend is declared inside its cluster", id)
		}
	}
	for _, id := range sortedKeys(r.s.Clusters) {
		c := r.s.Clusters[id]
		what := fmt.Sprintf("cluster %q", id)
		blk := r.top("cluster", []string{id})
		b := blk.Body()
		def := &sozupb.Cluster{ClusterId: proto.String(id)}
		r.fields(b, state.Normalize(c).ProtoReflect(), state.Normalize(def).ProtoReflect(), map[string]bool{"cluster_id": true}, nil, what)
		r.backends(b, id)
		for _, f := range httpBy[id] {
			r.httpFrontend(b, "http", f, true)
		}
		for _, f := range httpsBy[id] {
			r.httpFrontend(b, "https", f, true)
		}
		for _, f := range r.s.TCPFrontends[id] {
			r.l4Frontend(b, "tcp", id, f.GetAddress(), f.GetTags())
		}
		for _, f := range r.s.UDPFrontends[id] {
			r.l4Frontend(b, "udp", id, f.GetAddress(), f.GetTags())
		}
	}
}

// frontendsByCluster groups HTTP(S) frontends by cluster_id, each group in
// route key order; frontends without a cluster are under "".
func frontendsByCluster(m map[string]*sozupb.RequestHttpFrontend) map[string][]*sozupb.RequestHttpFrontend {
	out := map[string][]*sozupb.RequestHttpFrontend{}
	for _, k := range sortedKeys(m) {
		f := m[k]
		out[f.GetClusterId()] = append(out[f.GetClusterId()], f)
	}
	return out
}

// backends writes the backends of cluster id into its block.
func (r *renderer) backends(cb *hclwrite.Body, id string) {
	seen := map[string]bool{}
	for _, be := range r.s.Backends[id] {
		bid := be.GetBackendId()
		addr := state.FormatAddress(be.GetAddress())
		what := fmt.Sprintf("backend %q of cluster %q", bid, id)
		if seen[bid] {
			r.warnf("%s at %s is left out: the configuration declares a backend id once per cluster", what, addr)
			continue
		}
		seen[bid] = true
		if seen["addr "+addr] {
			r.warnf("%s is left out: another backend of the cluster is at %s, and the configuration declares one backend per address", what, addr)
			continue
		}
		seen["addr "+addr] = true
		if bid == "" {
			r.warnf("backend of cluster %q at %s is left out: its id is empty", id, addr)
			continue
		}
		newlineIfBusy(cb)
		b := cb.AppendNewBlock("backend", []string{bid}).Body()
		b.SetAttributeValue("address", cty.StringVal(addr))
		switch lb := be.GetLoadBalancingParameters(); {
		case lb == nil:
			r.warnf("%s has no load-balancing parameters; the configuration gives it weight 100", what)
		case lb.GetWeight() != 100:
			b.SetAttributeValue("weight", cty.NumberIntVal(int64(lb.GetWeight())))
		}
		def := &sozupb.AddBackend{ClusterId: be.ClusterId, BackendId: be.BackendId, Address: be.Address, LoadBalancingParameters: be.LoadBalancingParameters}
		r.fields(b, state.Normalize(be).ProtoReflect(), state.Normalize(def).ProtoReflect(),
			map[string]bool{"cluster_id": true, "backend_id": true, "address": true, "load_balancing_parameters": true}, nil, what)
	}
}

// httpFrontend writes an HTTP or HTTPS frontend block into parent.
func (r *renderer) httpFrontend(parent *hclwrite.Body, protocol string, f *sozupb.RequestHttpFrontend, inCluster bool) {
	addr := state.FormatAddress(f.GetAddress())
	what := fmt.Sprintf("%s frontend %s", strings.ToUpper(protocol), state.RouteKey(f))
	newlineIfBusy(parent)
	b := parent.AppendNewBlock(protocol+"_frontend", nil).Body()
	if !r.listenerRef(b, protocol, addr) {
		r.warnf("%s is on %s, where no %s listener is declared; it is written with its address, which the configuration only accepts when the base has that listener", what, addr, strings.ToUpper(protocol))
	}
	if !inCluster && f.ClusterId != nil {
		b.SetAttributeValue("cluster_id", cty.StringVal(f.GetClusterId()))
		r.warnf("%s routes to cluster %q, which does not exist; the configuration refuses a route to an undeclared cluster", what, f.GetClusterId())
	}
	if f.GetHostname() != "" {
		b.SetAttributeValue("hostname", cty.StringVal(f.GetHostname()))
		if strings.ToLower(f.GetHostname()) != f.GetHostname() {
			r.warnf("%s has capitals in its hostname, which the configuration refuses (Sōzu's workers lowercase hostnames, its main process does not)", what)
		}
	}
	p := f.GetPath()
	switch p.GetKind() {
	case sozupb.PathRuleKind_PREFIX:
		if p.GetValue() != "" {
			b.SetAttributeValue("path_prefix", cty.StringVal(p.GetValue()))
		}
	case sozupb.PathRuleKind_REGEX:
		b.SetAttributeValue("path_regex", cty.StringVal(p.GetValue()))
	case sozupb.PathRuleKind_EQUALS:
		b.SetAttributeValue("path_equals", cty.StringVal(p.GetValue()))
	default:
		r.warnf("%s has a path rule of unknown kind %d, written as a prefix", what, p.GetKind())
		b.SetAttributeValue("path_prefix", cty.StringVal(p.GetValue()))
	}
	def := &sozupb.RequestHttpFrontend{ClusterId: f.ClusterId, Address: f.Address, Hostname: f.Hostname, Path: f.Path}
	r.fields(b, state.Normalize(f).ProtoReflect(), state.Normalize(def).ProtoReflect(),
		map[string]bool{"cluster_id": true, "address": true, "hostname": true, "path": true},
		map[string]string{"headers": "header"}, what)
}

// l4Frontend writes a TCP or UDP frontend block into parent.
func (r *renderer) l4Frontend(parent *hclwrite.Body, protocol, cluster string, a *sozupb.SocketAddress, tags map[string]string) {
	addr := state.FormatAddress(a)
	if prev, ok := r.l4Owner[protocol+" "+addr]; ok && prev != cluster {
		r.warnf("clusters %q and %q both have a %s frontend on %s: Sōzu's workers serve one cluster per %s listener, and the configuration refuses the second one", prev, cluster, strings.ToUpper(protocol), addr, strings.ToUpper(protocol))
	} else {
		r.l4Owner[protocol+" "+addr] = cluster
	}
	newlineIfBusy(parent)
	b := parent.AppendNewBlock(protocol+"_frontend", nil).Body()
	if !r.listenerRef(b, protocol, addr) {
		r.warnf("a %s frontend is on %s, where no %s listener is declared; it is written with its address, which the configuration only accepts when the base has that listener", strings.ToUpper(protocol), addr, strings.ToUpper(protocol))
	}
	if len(tags) > 0 {
		b.SetAttributeValue("tags", stringMap(tags))
	}
}

// topFrontends writes the routes that belong to no declared cluster.
func (r *renderer) topFrontends() {
	for _, p := range []string{"http", "https"} {
		m := r.s.HTTPFrontends
		if p == "https" {
			m = r.s.HTTPSFrontends
		}
		for _, k := range sortedKeys(m) {
			f := m[k]
			if f.ClusterId != nil {
				if _, ok := r.s.Clusters[f.GetClusterId()]; ok {
					continue
				}
			}
			r.flush()
			r.file = hclwrite.NewEmptyFile()
			r.httpFrontend(r.file.Body(), p, f, false)
		}
	}
}

// certificates writes every certificate, by address then fingerprint.
func (r *renderer) certificates() {
	for _, addr := range sortedKeys(r.s.Certificates) {
		certs := r.s.Certificates[addr]
		for _, fp := range sortedKeys(certs) {
			r.certificate(addr, fp, certs[fp])
		}
	}
}

// certificateLabel names a certificate block after its first name, or its
// fingerprint when it has none.
func (r *renderer) certificateLabel(names []string, fp string) string {
	base := ""
	if len(names) > 0 {
		base = sanitize(strings.Replace(strings.ToLower(names[0]), "*", "wildcard", 1))
	}
	if base == "" {
		base = "cert_" + fp[:min(12, len(fp))]
	}
	label := base
	for i := 2; r.certKeys[label]; i++ {
		label = fmt.Sprintf("%s_%d", base, i)
	}
	r.certKeys[label] = true
	return label
}

// certificate writes one certificate block and its files.
func (r *renderer) certificate(addr, fp string, c *sozupb.CertificateAndKey) {
	norm := state.Normalize(c)
	label := r.certificateLabel(norm.GetNames(), fp)
	what := fmt.Sprintf("certificate %s on %s", label, addr)
	b := r.top("certificate", []string{label}).Body()
	if !r.listenerRef(b, "https", addr) {
		r.warnf("%s sits where no HTTPS listener is declared; it is written with its address, which the configuration only accepts when the base has that listener", what)
	}
	p := r.uniquePath(label, ".pem")
	r.addFile(p, c.GetCertificate(), PublicMode)
	b.SetAttributeRaw("certificate", fileCall(p))
	r.chain(b, c.GetCertificateChain(), label)
	kp := r.uniquePath(label, ".key")
	r.addFile(kp, c.GetKey(), KeyMode)
	b.SetAttributeRaw("key", fileCall(kp))
	if len(c.GetVersions()) > 0 {
		cm := c.ProtoReflect()
		fd := cm.Descriptor().Fields().ByName("versions")
		if v, ok := r.value(fd, cm.Get(fd), what); ok {
			b.SetAttributeValue("versions", v)
		}
	}
	derived, err := state.CertificateNames(c.GetCertificate())
	if err != nil {
		r.warnf("%s does not parse as an X.509 certificate (%v); the configuration refuses it", what, err)
	}
	if len(c.GetNames()) > 0 && (err != nil || !equalStrings(derived, c.GetNames())) {
		b.SetAttributeValue("names", stringList(c.GetNames()))
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func stringList(l []string) cty.Value {
	if len(l) == 0 {
		return cty.ListValEmpty(cty.String)
	}
	vals := make([]cty.Value, len(l))
	for i, s := range l {
		vals[i] = cty.StringVal(s)
	}
	return cty.ListVal(vals)
}

func stringMap(m map[string]string) cty.Value {
	if len(m) == 0 {
		return cty.MapValEmpty(cty.String)
	}
	vals := make(map[string]cty.Value, len(m))
	for k, v := range m {
		vals[k] = cty.StringVal(v)
	}
	return cty.MapVal(vals)
}

// alwaysWritten are the fields that the configuration requires even when
// they hold their default (a health check's uri).
var alwaysWritten = map[string]bool{"uri": true}

// fields writes every field of m, in field-number order, whose value
// differs from the one in def (what the loader builds when the field is
// left out). Message fields become nested blocks (named by blockNames when
// they differ from the field's name). A field set in def but absent from m
// cannot be written and gets a warning.
func (r *renderer) fields(b *hclwrite.Body, m, def protoreflect.Message, skip map[string]bool, blockNames map[string]string, what string) {
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		name := string(fd.Name())
		if skip[name] {
			continue
		}
		has, defHas := m.Has(fd), def.Has(fd)
		if !has {
			if defHas && !(fd.IsList() || fd.IsMap()) {
				r.warnf("%s leaves %s unset, which the configuration cannot say: it gets the default", what, name)
			}
			if defHas && (fd.IsList() || fd.IsMap()) {
				// An empty list or map is written as such.
				if fd.IsList() && fd.Kind() != protoreflect.MessageKind {
					b.SetAttributeValue(name, cty.ListValEmpty(cty.String))
				} else if fd.IsMap() {
					b.SetAttributeValue(name, cty.MapValEmpty(cty.String))
				}
			}
			continue
		}
		if defHas && m.Get(fd).Equal(def.Get(fd)) && !alwaysWritten[name] {
			continue
		}
		switch {
		case fd.Kind() == protoreflect.MessageKind && fd.IsList():
			bt := name
			if blockNames[name] != "" {
				bt = blockNames[name]
			}
			l := m.Get(fd).List()
			for j := 0; j < l.Len(); j++ {
				child := l.Get(j).Message()
				cb := b.AppendNewBlock(bt, nil).Body()
				r.allFields(cb, child, what)
			}
		case fd.Kind() == protoreflect.MessageKind && !fd.IsMap() && fd.Message().FullName() != "command.SocketAddress":
			bt := name
			if blockNames[name] != "" {
				bt = blockNames[name]
			}
			child := m.Get(fd).Message()
			cb := b.AppendNewBlock(bt, nil).Body()
			empty := state.Normalize(child.New().Interface()).ProtoReflect()
			r.fields(cb, child, empty, nil, nil, what)
		default:
			if v, ok := r.value(fd, m.Get(fd), what); ok {
				b.SetAttributeValue(name, v)
			}
		}
	}
}

// allFields writes every set field of m, defaults included: the elements
// of repeated blocks (headers), whose fields are all required.
func (r *renderer) allFields(b *hclwrite.Body, m protoreflect.Message, what string) {
	r.fields(b, m, m.New(), nil, nil, what)
}

// value converts a field's value to the HCL value the loader reads back.
// ok is false when the value cannot be written (a warning says so).
func (r *renderer) value(fd protoreflect.FieldDescriptor, v protoreflect.Value, what string) (cty.Value, bool) {
	switch {
	case fd.IsMap():
		m := map[string]string{}
		v.Map().Range(func(k protoreflect.MapKey, e protoreflect.Value) bool {
			m[k.String()] = e.String()
			return true
		})
		return stringMap(m), true
	case fd.IsList():
		l := v.List()
		if l.Len() == 0 {
			return cty.ListValEmpty(cty.String), true
		}
		vals := make([]cty.Value, l.Len())
		for i := range vals {
			e, ok := r.scalar(fd, l.Get(i), what)
			if !ok {
				return cty.NilVal, false
			}
			vals[i] = e
		}
		if fd.Kind() == protoreflect.StringKind || fd.Kind() == protoreflect.EnumKind {
			return cty.ListVal(vals), true
		}
		return cty.TupleVal(vals), true
	}
	return r.scalar(fd, v, what)
}

// scalar converts one value (a field or a list element) for value.
func (r *renderer) scalar(fd protoreflect.FieldDescriptor, v protoreflect.Value, what string) (cty.Value, bool) {
	switch fd.Kind() {
	case protoreflect.StringKind:
		return cty.StringVal(v.String()), true
	case protoreflect.BytesKind:
		if !utf8.Valid(v.Bytes()) {
			r.warnf("%s has a %s that is not UTF-8 text; its invalid bytes are replaced", what, fd.Name())
		}
		return cty.StringVal(strings.ToValidUTF8(string(v.Bytes()), "\uFFFD")), true
	case protoreflect.BoolKind:
		return cty.BoolVal(v.Bool()), true
	case protoreflect.Int32Kind, protoreflect.Int64Kind, protoreflect.Sint32Kind, protoreflect.Sint64Kind, protoreflect.Sfixed32Kind, protoreflect.Sfixed64Kind:
		return cty.NumberIntVal(v.Int()), true
	case protoreflect.Uint32Kind, protoreflect.Uint64Kind, protoreflect.Fixed32Kind, protoreflect.Fixed64Kind:
		return cty.NumberUIntVal(v.Uint()), true
	case protoreflect.EnumKind:
		if ev := fd.Enum().Values().ByNumber(v.Enum()); ev != nil {
			return cty.StringVal(string(ev.Name())), true
		}
		r.warnf("%s has %s = %d, which names no value of %s; it is left out", what, fd.Name(), v.Enum(), fd.Enum().Name())
		return cty.NilVal, false
	case protoreflect.MessageKind:
		if a, ok := v.Message().Interface().(*sozupb.SocketAddress); ok {
			return cty.StringVal(state.FormatAddress(a)), true
		}
	}
	r.warnf("%s has a %s of a type the configuration cannot write", what, fd.Name())
	return cty.NilVal, false
}
