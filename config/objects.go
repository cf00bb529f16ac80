package config

import (
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/hashicorp/hcl/v2"
	"github.com/zclconf/go-cty/cty"
	"github.com/zclconf/go-cty/cty/convert"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Listener protocols, as written in a listener block's first label.
const (
	protoHTTP  = "http"
	protoHTTPS = "https"
	protoTCP   = "tcp"
	protoUDP   = "udp"
)

var protocols = []string{protoHTTP, protoHTTPS, protoTCP, protoUDP}

var addressAttrs = []hcl.AttributeSchema{{Name: "address"}, {Name: "listener"}}

var (
	specHTTPListener  = listenerSpec(&sozupb.HttpListenerConfig{})
	specHTTPSListener = listenerSpec(&sozupb.HttpsListenerConfig{}, "key")
	specTCPListener   = listenerSpec(&sozupb.TcpListenerConfig{})
	specUDPListener   = listenerSpec(&sozupb.UdpListenerConfig{})

	specHeader = newSpec((&sozupb.Header{}).ProtoReflect().Descriptor(), specOptions{required: []string{"position", "key", "val"}})
	specHealth = newSpec((&sozupb.HealthCheckConfig{}).ProtoReflect().Descriptor(), specOptions{required: []string{"uri"}})

	specBackend = newSpec((&sozupb.AddBackend{}).ProtoReflect().Descriptor(), specOptions{
		skip:       []string{"cluster_id", "backend_id", "load_balancing_parameters"},
		required:   []string{"address"},
		extraAttrs: []hcl.AttributeSchema{{Name: "weight"}},
	})
	specHTTPFrontend    = httpFrontendSpec(true)
	specTopHTTPFrontend = httpFrontendSpec(false)
	specTCPFrontend     = newSpec((&sozupb.RequestTcpFrontend{}).ProtoReflect().Descriptor(), specOptions{
		skip: []string{"cluster_id", "address"}, extraAttrs: addressAttrs,
	})
	specUDPFrontend = newSpec((&sozupb.RequestUdpFrontend{}).ProtoReflect().Descriptor(), specOptions{
		skip: []string{"cluster_id", "address"}, extraAttrs: addressAttrs,
	})
	specCluster = newSpec((&sozupb.Cluster{}).ProtoReflect().Descriptor(), specOptions{
		skip:     []string{"cluster_id"},
		children: map[string]*msgSpec{"health_check": specHealth},
		extraBlocks: []hcl.BlockHeaderSchema{
			{Type: blockBackend, LabelNames: []string{"backend_id"}},
			{Type: blockHTTPFront}, {Type: blockHTTPSFront},
			{Type: blockTCPFront}, {Type: blockUDPFront},
		},
	})
	specCertificate = newSpec((&sozupb.CertificateAndKey{}).ProtoReflect().Descriptor(), specOptions{
		required:   []string{"certificate", "key"},
		sensitive:  []string{"key"},
		extraAttrs: append([]hcl.AttributeSchema{{Name: "expired_at"}}, addressAttrs...),
	})
)

func listenerSpec(m proto.Message, sensitive ...string) *msgSpec {
	return newSpec(m.ProtoReflect().Descriptor(), specOptions{
		skip:       []string{"address"},
		extraAttrs: []hcl.AttributeSchema{{Name: "address", Required: true}},
		sensitive:  sensitive,
	})
}

func httpFrontendSpec(inCluster bool) *msgSpec {
	skip := []string{"address", "path"}
	if inCluster {
		skip = append(skip, "cluster_id")
	}
	return newSpec((&sozupb.RequestHttpFrontend{}).ProtoReflect().Descriptor(), specOptions{
		skip:       skip,
		blockNames: map[string]string{"headers": "header"},
		children:   map[string]*msgSpec{"headers": specHeader},
		extraAttrs: append([]hcl.AttributeSchema{{Name: "path_prefix"}, {Name: "path_regex"}, {Name: "path_equals"}}, addressAttrs...),
	})
}

// listenerDecl is a decoded listener block.
type listenerDecl struct {
	obj      *Object
	protocol string
	name     string
	addr     *sozupb.SocketAddress
	msg      proto.Message
	vals     map[string]cty.Value
}

func listenerKind(protocol string) state.Kind {
	switch protocol {
	case protoHTTPS:
		return state.KindHTTPSListener
	case protoTCP:
		return state.KindTCPListener
	case protoUDP:
		return state.KindUDPListener
	}
	return state.KindHTTPListener
}

func (ld *loader) register(obj *Object) {
	ld.cfg.Objects[obj.ID] = obj
}

func duplicate(what, id string, first *Object, subject hcl.Range) *hcl.Diagnostic {
	return &hcl.Diagnostic{
		Severity: hcl.DiagError, Summary: "Duplicate " + what,
		Detail:  fmt.Sprintf("%s %s is already declared at %s (%s).", upperFirst(what), id, first.Range, first.Address),
		Subject: subject.Ptr(),
	}
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func (ld *loader) decodeListener(blk *hcl.Block) {
	protocol, name := blk.Labels[0], blk.Labels[1]
	var spec *msgSpec
	switch protocol {
	case protoHTTP:
		spec = specHTTPListener
	case protoHTTPS:
		spec = specHTTPSListener
	case protoTCP:
		spec = specTCPListener
	case protoUDP:
		spec = specUDPListener
	default:
		detail := fmt.Sprintf("%q is not a listener protocol; valid protocols are %s.", protocol, quoteJoin(protocols))
		if s := suggest(protocol, protocols); s != "" {
			detail = fmt.Sprintf("%q is not a listener protocol. Did you mean %q?", protocol, s)
		}
		ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid listener protocol", Detail: detail, Subject: blk.LabelRanges[0].Ptr()})
		return
	}
	obj := &Object{Address: "listener." + protocol + "." + quoteLabel(name), Range: blk.DefRange}
	content, d := ld.ev.bodyContent(blk.Body, spec.schema)
	ld.addAll(d)
	addr := ld.listenerAddress(content, obj)
	if addr == nil {
		// References to it stay quiet: its error is already reported.
		if _, taken := ld.listenerNames[protocol+"."+name]; !taken {
			ld.failedListeners = append(ld.failedListeners, [2]string{protocol, name})
		}
		return
	}
	var msg proto.Message
	switch protocol {
	case protoHTTP:
		msg = state.NewHTTPListener(addr)
	case protoHTTPS:
		msg = state.NewHTTPSListener(addr)
	case protoTCP:
		msg = state.NewTCPListener(addr)
	default:
		msg = state.NewUDPListener(addr)
	}
	m := msg.ProtoReflect()
	activeFD := m.Descriptor().Fields().ByName("active")
	m.Set(activeFD, protoreflect.ValueOfBool(true))
	vals := map[string]cty.Value{}
	ld.addAll(ld.ev.decodeMessage(content, spec, m, obj, "", vals))
	fillRequired(m)
	if h, ok := msg.(*sozupb.HttpsListenerConfig); ok {
		ld.checkTLS(h, content)
	}
	obj.WantActive = m.Get(activeFD).Bool()
	m.Set(activeFD, protoreflect.ValueOfBool(false))
	vals["active"] = cty.BoolVal(obj.WantActive)

	key := state.FormatAddress(addr)
	obj.ID = ObjectID{Kind: listenerKind(protocol), Key: key}
	vals["address"] = cty.StringVal(key)
	vals["protocol"] = cty.StringVal(protocol)
	vals["name"] = cty.StringVal(name)
	decl := &listenerDecl{obj: obj, protocol: protocol, name: name, addr: addr, msg: msg, vals: vals}
	if prev, ok := ld.listenerNames[protocol+"."+name]; ok {
		ld.add(duplicate("listener", fmt.Sprintf("%q", protocol+"."+name), prev.obj, blk.LabelRanges[1]))
		return
	}
	if prev, ok := ld.listeners[protocol+" "+key]; ok {
		ld.add(duplicate("listener", strings.ToUpper(protocol)+" on "+key, prev.obj, content.Attributes["address"].Expr.Range()))
		return
	}
	ld.listenerNames[protocol+"."+name] = decl
	ld.listeners[protocol+" "+key] = decl
	ld.listenerOrder = append(ld.listenerOrder, decl)
	if h, ok := msg.(*sozupb.HttpsListenerConfig); ok && h.Key != nil {
		ld.cfg.Sensitive.Keys[obj.ID] = ld.keySource(h.GetKey())
	}
	ld.register(obj)
}

func (ld *loader) listenerAddress(content *hcl.BodyContent, obj *Object) *sozupb.SocketAddress {
	addrAttr, ok := content.Attributes["address"]
	if !ok {
		return nil
	}
	v, sens, d := ld.ev.value(addrAttr.Expr, obj, "address", false)
	ld.addAll(d)
	if d.HasErrors() {
		return nil
	}
	if v.IsNull() {
		if !obj.failed {
			ld.add(attrError(addrAttr, &valueError{summary: "Missing required value", detail: "\"address\" is required and cannot be null."}))
		}
		return nil
	}
	if v.Type() != cty.String {
		ld.add(attrError(addrAttr, typeError("An \"ip:port\" string is required, not %s.", v.Type().FriendlyName())))
		return nil
	}
	addr, err := state.ParseAddress(v.AsString())
	if err != nil {
		ld.add(attrError(addrAttr, redact(&valueError{summary: "Invalid socket address", detail: err.Error()}, sens)))
		return nil
	}
	return addr
}

// checkTLS checks an HTTPS listener's TLS settings as Sōzu will use them:
// ALPN values are those its listener patches accept (Sōzu 2.1.0
// command/src/state.rs:2725-2735; an add is not checked there, so a bad
// value would only fail later), and workers honour only TLS 1.2 and 1.3
// (lib/src/https.rs:1442-1460).
func (ld *loader) checkTLS(l *sozupb.HttpsListenerConfig, content *hcl.BodyContent) {
	if a, ok := content.Attributes["alpn_protocols"]; ok {
		for _, p := range l.GetAlpnProtocols() {
			if p != "h2" && p != "http/1.1" {
				ld.add(attrError(a, &valueError{summary: "Invalid ALPN protocol", detail: fmt.Sprintf("%q is not an ALPN protocol Sōzu speaks; use \"h2\" and \"http/1.1\".", p)}))
				break
			}
		}
	}
	a, ok := content.Attributes["versions"]
	if !ok {
		return
	}
	if len(l.GetVersions()) == 0 {
		ld.add(attrError(a, &valueError{summary: "No TLS version", detail: "An HTTPS listener without TLS versions makes Sōzu's workers fail; leave versions out for TLS_V1_2 and TLS_V1_3."}))
		return
	}
	usable := false
	for _, v := range l.GetVersions() {
		if v == sozupb.TlsVersion_TLS_V1_2 || v == sozupb.TlsVersion_TLS_V1_3 {
			usable = true
			continue
		}
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagWarning, Summary: "TLS version ignored",
			Detail:  fmt.Sprintf("Sōzu's workers only honour TLS_V1_2 and TLS_V1_3; %s is ignored.", v),
			Subject: a.Expr.Range().Ptr(),
		})
	}
	if !usable {
		ld.add(attrError(a, &valueError{summary: "No usable TLS version", detail: "Sōzu's workers honour only TLS_V1_2 and TLS_V1_3; with neither the listener cannot start."}))
	}
}

// listenerObjects is the value of `listener` in expressions:
// listener.<protocol>.<name> is an object with the listener's address,
// protocol, name and the attributes written in its block.
func (ld *loader) listenerObjects() cty.Value {
	byProto := map[string]map[string]cty.Value{}
	for _, p := range protocols {
		byProto[p] = map[string]cty.Value{}
	}
	for _, f := range ld.failedListeners {
		byProto[f[0]][f[1]] = cty.DynamicVal
	}
	for _, l := range ld.listenerOrder {
		byProto[l.protocol][l.name] = cty.ObjectVal(l.vals)
	}
	out := map[string]cty.Value{}
	for p, m := range byProto {
		out[p] = cty.ObjectVal(m)
	}
	return cty.ObjectVal(out)
}

// clusterDecl is a decoded cluster block.
type clusterDecl struct {
	obj      *Object
	msg      *sozupb.Cluster
	backends []*backendDecl
	ids      map[string]*Object
	addrs    map[string]*Object
}

type backendDecl struct {
	obj *Object
	msg *sozupb.AddBackend
}

func (ld *loader) decodeCluster(blk *hcl.Block) {
	id := blk.Labels[0]
	obj := &Object{Address: "cluster." + quoteLabel(id), Range: blk.DefRange, ID: ObjectID{Kind: state.KindCluster, Key: id}}
	if id == "" {
		ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty cluster id", Detail: "A cluster's label is its cluster_id and cannot be empty.", Subject: blk.LabelRanges[0].Ptr()})
		return
	}
	if prev, ok := ld.clusters[id]; ok {
		ld.add(duplicate("cluster", fmt.Sprintf("%q", id), prev.obj, blk.LabelRanges[0]))
		return
	}
	content, d := ld.ev.bodyContent(blk.Body, specCluster.schema)
	ld.addAll(d)
	msg := &sozupb.Cluster{ClusterId: proto.String(id)}
	ld.addAll(ld.ev.decodeMessage(content, specCluster, msg.ProtoReflect(), obj, "", nil))
	fillRequired(msg.ProtoReflect())
	cd := &clusterDecl{obj: obj, msg: msg, ids: map[string]*Object{}, addrs: map[string]*Object{}}
	ld.clusters[id] = cd
	ld.clusterOrder = append(ld.clusterOrder, cd)
	ld.register(obj)
	for _, b := range content.Blocks {
		switch b.Type {
		case blockBackend:
			ld.decodeBackend(cd, b)
		case blockHTTPFront, blockHTTPSFront:
			ld.decodeHTTPFrontend(b, b.Type == blockHTTPSFront, cd)
		case blockTCPFront:
			ld.decodeL4Frontend(b, protoTCP, cd)
		case blockUDPFront:
			ld.decodeL4Frontend(b, protoUDP, cd)
		}
	}
}

// defaultWeight is the backend weight Sōzu's TOML loader gives a backend
// that sets none (Sōzu 2.1.0 command/src/config.rs:2504 and 2650).
const defaultWeight = 100

func (ld *loader) decodeBackend(cd *clusterDecl, blk *hcl.Block) {
	id := blk.Labels[0]
	cid := cd.msg.GetClusterId()
	obj := &Object{Address: cd.obj.Address + ".backend." + quoteLabel(id), Range: blk.DefRange}
	if id == "" {
		ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Empty backend id", Detail: "A backend's label is its backend_id and cannot be empty.", Subject: blk.LabelRanges[0].Ptr()})
		return
	}
	if prev, ok := cd.ids[id]; ok {
		ld.add(duplicate("backend", fmt.Sprintf("%q in cluster %q", id, cid), prev, blk.LabelRanges[0]))
		return
	}
	content, d := ld.ev.bodyContent(blk.Body, specBackend.schema)
	ld.addAll(d)
	msg := &sozupb.AddBackend{ClusterId: proto.String(cid), BackendId: proto.String(id)}
	ld.addAll(ld.ev.decodeMessage(content, specBackend, msg.ProtoReflect(), obj, "", nil))
	weight := int32(defaultWeight)
	if a, ok := content.Attributes["weight"]; ok {
		v, _, d := ld.ev.value(a.Expr, obj, "weight", false)
		ld.addAll(d)
		if !d.HasErrors() && !v.IsNull() {
			fd := (&sozupb.LoadBalancingParams{}).ProtoReflect().Descriptor().Fields().ByName("weight")
			pv, err := scalar(fd, v)
			if err != nil {
				ld.add(attrError(a, err))
			} else {
				weight = int32(pv.Int())
			}
		}
	}
	msg.LoadBalancingParameters = &sozupb.LoadBalancingParams{Weight: proto.Int32(weight)}
	cd.ids[id] = obj
	if msg.Address == nil {
		return
	}
	addr := state.FormatAddress(msg.GetAddress())
	if prev, ok := cd.addrs[addr]; ok {
		rng := blk.DefRange
		if a, ok := content.Attributes["address"]; ok {
			rng = a.Expr.Range()
		}
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Duplicate backend address",
			Detail:  fmt.Sprintf("Backend %s of cluster %q is already at %s (%s, %s); Sōzu's workers remove backends by address, so two ids cannot share one.", addr, cid, addr, prev.Address, prev.Range),
			Subject: rng.Ptr(),
		})
		return
	}
	cd.addrs[addr] = obj
	obj.ID = ObjectID{Kind: state.KindBackend, Key: state.BackendKey(msg)}
	cd.backends = append(cd.backends, &backendDecl{obj: obj, msg: msg})
	ld.register(obj)
}

// frontendAddress reads the `address` or `listener` attribute of a frontend
// or certificate, which must name a listener of the given protocol.
func (ld *loader) frontendAddress(content *hcl.BodyContent, blk *hcl.Block, obj *Object, protocol string) (*sozupb.SocketAddress, bool) {
	addrAttr, hasAddr := content.Attributes["address"]
	lisAttr, hasLis := content.Attributes["listener"]
	switch {
	case hasAddr && hasLis:
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Conflicting listener attributes",
			Detail:  "Set either \"listener\" or \"address\", not both: a listener reference stands for its address.",
			Subject: lisAttr.NameRange.Ptr(),
		})
		return nil, false
	case !hasAddr && !hasLis:
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Missing listener",
			Detail:  fmt.Sprintf("Set \"listener = listener.%s.<name>\" or \"address\" to say which %s listener this %s is on.", protocol, strings.ToUpper(protocol), blk.Type),
			Subject: blk.DefRange.Ptr(),
		})
		return nil, false
	}
	attr := addrAttr
	if hasLis {
		attr = lisAttr
	}
	v, sens, d := ld.ev.value(attr.Expr, obj, attr.Name, false)
	ld.addAll(d)
	if d.HasErrors() {
		return nil, false
	}
	if v.IsNull() {
		if !obj.failed { // else it depends on something already reported
			ld.add(attrError(attr, typeError("The value must not be null.")))
		}
		return nil, false
	}
	ref, err := addressValue(v)
	if err != nil {
		ld.add(attrError(attr, err))
		return nil, false
	}
	if ref.protocol != "" && ref.protocol != protocol {
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Wrong listener protocol",
			Detail:  fmt.Sprintf("This %s needs %s listener, but listener.%s.%s is %s.", blk.Type, withArticle(strings.ToUpper(protocol)), ref.protocol, ref.name, strings.ToUpper(ref.protocol)),
			Subject: attr.Expr.Range().Ptr(),
		})
		return nil, false
	}
	addr, err := state.ParseAddress(ref.addr)
	if err != nil {
		ld.add(attrError(attr, redact(&valueError{summary: "Invalid socket address", detail: err.Error()}, sens)))
		return nil, false
	}
	key := state.FormatAddress(addr)
	if !ld.hasListener(protocol, key) {
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "No listener for this " + blk.Type,
			Detail:  fmt.Sprintf("No %s listener is declared on %s; declare one with a listener %q block.", strings.ToUpper(protocol), key, protocol),
			Subject: attr.Expr.Range().Ptr(),
		})
		return nil, false
	}
	return addr, true
}

func (ld *loader) hasListener(protocol, key string) bool {
	if _, ok := ld.listeners[protocol+" "+key]; ok {
		return true
	}
	b := ld.opts.Base
	if b == nil {
		return false
	}
	var ok bool
	switch protocol {
	case protoHTTP:
		_, ok = b.HTTPListeners[key]
	case protoHTTPS:
		_, ok = b.HTTPSListeners[key]
	case protoTCP:
		_, ok = b.TCPListeners[key]
	case protoUDP:
		_, ok = b.UDPListeners[key]
	}
	return ok
}

// httpFrontDecl is a decoded http_frontend or https_frontend block.
type httpFrontDecl struct {
	obj      *Object
	https    bool
	msg      *sozupb.RequestHttpFrontend
	hostname hcl.Range
}

// pathKinds are the attributes that write a frontend's path rule. A
// frontend without one matches every path: Sōzu's TOML loader gives such a
// frontend the prefix "" (Sōzu 2.1.0 command/src/config.rs:1704-1705).
var pathKinds = []struct {
	attr string
	kind sozupb.PathRuleKind
}{
	{"path_prefix", sozupb.PathRuleKind_PREFIX},
	{"path_regex", sozupb.PathRuleKind_REGEX},
	{"path_equals", sozupb.PathRuleKind_EQUALS},
}

func (ld *loader) decodeHTTPFrontend(blk *hcl.Block, https bool, cd *clusterDecl) {
	protocol, kind, spec := protoHTTP, state.KindHTTPFrontend, specTopHTTPFrontend
	if https {
		protocol, kind = protoHTTPS, state.KindHTTPSFrontend
	}
	prefix := ""
	if cd != nil {
		spec = specHTTPFrontend
		prefix = cd.obj.Address + "."
	}
	obj := &Object{Range: blk.DefRange}
	content, d := ld.ev.bodyContent(blk.Body, spec.schema)
	ld.addAll(d)
	msg := &sozupb.RequestHttpFrontend{}
	if cd != nil {
		msg.ClusterId = proto.String(cd.msg.GetClusterId())
	}
	ok := true
	addr, good := ld.frontendAddress(content, blk, obj, protocol)
	ok = ok && good
	msg.Address = addr

	var pathAttr *hcl.Attribute
	msg.Path = &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("")}
	for _, pk := range pathKinds {
		a, has := content.Attributes[pk.attr]
		if !has {
			continue
		}
		if pathAttr != nil {
			ld.add(&hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Conflicting path rules",
				Detail:  fmt.Sprintf("A frontend has one path rule: %q and %q are both set.", pathAttr.Name, a.Name),
				Subject: a.NameRange.Ptr(),
			})
			ok = false
			continue
		}
		pathAttr = a
		v, _, d := ld.ev.value(a.Expr, obj, a.Name, false)
		ld.addAll(d)
		if d.HasErrors() || v.IsNull() {
			ok = ok && !d.HasErrors()
			continue
		}
		s, err := convert.Convert(v, cty.String)
		if err != nil {
			ld.add(attrError(a, typeError("A string is required, not %s.", v.Type().FriendlyName())))
			ok = false
			continue
		}
		if pk.kind == sozupb.PathRuleKind_REGEX {
			if _, err := regexp.Compile(s.AsString()); err != nil {
				ld.add(attrError(a, &valueError{summary: "Invalid path regex", detail: fmt.Sprintf("%q is not a valid regular expression: %s.", s.AsString(), err)}))
				ok = false
				continue
			}
		}
		msg.Path = &sozupb.PathRule{Kind: pk.kind.Enum(), Value: proto.String(s.AsString())}
	}

	before := len(ld.diags)
	ld.addAll(ld.ev.decodeMessage(content, spec, msg.ProtoReflect(), obj, "", nil))
	if ld.diags[before:].HasErrors() {
		ok = false
	}
	fillRequired(msg.ProtoReflect())
	decl := &httpFrontDecl{obj: obj, https: https, msg: msg, hostname: blk.DefRange}
	if a, has := content.Attributes["hostname"]; has {
		decl.hostname = a.Expr.Range()
		if !lowerASCII(msg.GetHostname()) {
			ld.add(&hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Hostname with capital letters",
				Detail:  fmt.Sprintf("Write %q as %q: Sōzu's main process keys routes by the hostname as written while its workers lowercase it, so the two would disagree.", msg.GetHostname(), strings.ToLower(msg.GetHostname())),
				Subject: a.Expr.Range().Ptr(),
			})
			ok = false
		}
	}
	if !https && msg.Hsts != nil {
		rng := blk.DefRange
		for _, b := range content.Blocks {
			if b.Type == "hsts" {
				rng = b.DefRange
			}
		}
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "HSTS on an HTTP frontend",
			Detail:  "Sōzu's workers reject an HTTP frontend that carries hsts; HSTS belongs on HTTPS frontends.",
			Subject: rng.Ptr(),
		})
		ok = false
	}
	if cd == nil && msg.ClusterId != nil {
		if _, known := ld.clusters[msg.GetClusterId()]; !known {
			a := content.Attributes["cluster_id"]
			names := make([]string, 0, len(ld.clusters))
			for n := range ld.clusters {
				names = append(names, n)
			}
			detail := fmt.Sprintf("No cluster %q is declared.", msg.GetClusterId())
			if s := suggest(msg.GetClusterId(), names); s != "" {
				detail = fmt.Sprintf("No cluster %q is declared. Did you mean %q?", msg.GetClusterId(), s)
			}
			ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Unknown cluster", Detail: detail, Subject: a.Expr.Range().Ptr()})
			ok = false
		}
	}
	if !ok {
		return
	}
	key := state.RouteKey(msg)
	obj.ID = ObjectID{Kind: kind, Key: key}
	obj.Address = prefix + blk.Type + "[" + strconv.Quote(key) + "]"
	routes := ld.httpRoutes
	if https {
		routes = ld.httpsRoutes
	}
	if prev, dup := routes[key]; dup {
		ld.add(duplicate("route", fmt.Sprintf("%q", key), prev, blk.DefRange))
		return
	}
	routes[key] = obj
	ld.httpFronts = append(ld.httpFronts, decl)
	ld.register(obj)
}

type tcpFrontDecl struct {
	obj *Object
	msg *sozupb.RequestTcpFrontend
}

type udpFrontDecl struct {
	obj *Object
	msg *sozupb.RequestUdpFrontend
}

func (ld *loader) decodeL4Frontend(blk *hcl.Block, protocol string, cd *clusterDecl) {
	spec := specTCPFrontend
	var msg proto.Message = &sozupb.RequestTcpFrontend{ClusterId: proto.String(cd.msg.GetClusterId())}
	kind := state.KindTCPFrontend
	if protocol == protoUDP {
		spec = specUDPFrontend
		msg = &sozupb.RequestUdpFrontend{ClusterId: proto.String(cd.msg.GetClusterId())}
		kind = state.KindUDPFrontend
	}
	obj := &Object{Range: blk.DefRange}
	content, d := ld.ev.bodyContent(blk.Body, spec.schema)
	ld.addAll(d)
	addr, ok := ld.frontendAddress(content, blk, obj, protocol)
	before := len(ld.diags)
	ld.addAll(ld.ev.decodeMessage(content, spec, msg.ProtoReflect(), obj, "", nil))
	if !ok || ld.diags[before:].HasErrors() {
		return
	}
	key := state.FormatAddress(addr)
	obj.Address = fmt.Sprintf("%s.%s[%q]", cd.obj.Address, blk.Type, key)
	if prev, dup := ld.l4Fronts[protocol+" "+key]; dup {
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagError, Summary: "Duplicate " + blk.Type,
			Detail:  fmt.Sprintf("The %s listener on %s already routes to %s (%s): a Sōzu worker serves one cluster per %s listener.", strings.ToUpper(protocol), key, prev.Address, prev.Range, strings.ToUpper(protocol)),
			Subject: blk.DefRange.Ptr(),
		})
		return
	}
	ld.l4Fronts[protocol+" "+key] = obj
	switch m := msg.(type) {
	case *sozupb.RequestTcpFrontend:
		m.Address = addr
		obj.ID = ObjectID{Kind: kind, Key: state.TCPFrontendKey(m)}
		ld.tcpFronts = append(ld.tcpFronts, &tcpFrontDecl{obj: obj, msg: m})
	case *sozupb.RequestUdpFrontend:
		m.Address = addr
		obj.ID = ObjectID{Kind: kind, Key: state.UDPFrontendKey(m)}
		ld.udpFronts = append(ld.udpFronts, &udpFrontDecl{obj: obj, msg: m})
	}
	ld.register(obj)
}

// certDecl is a decoded certificate block.
type certDecl struct {
	obj   *Object
	msg   *sozupb.AddCertificate
	names []string
}

func (ld *loader) decodeCertificate(blk *hcl.Block) {
	name := blk.Labels[0]
	obj := &Object{Address: "certificate." + quoteLabel(name), Range: blk.DefRange}
	if prev, ok := ld.certNames[name]; ok {
		ld.add(duplicate("certificate", fmt.Sprintf("%q", name), prev.obj, blk.LabelRanges[0]))
		return
	}
	content, d := ld.ev.bodyContent(blk.Body, specCertificate.schema)
	ld.addAll(d)
	addr, ok := ld.frontendAddress(content, blk, obj, protoHTTPS)
	ck := &sozupb.CertificateAndKey{}
	before := len(ld.diags)
	ld.addAll(ld.ev.decodeMessage(content, specCertificate, ck.ProtoReflect(), obj, "", nil))
	if ld.diags[before:].HasErrors() {
		ok = false
	}
	msg := &sozupb.AddCertificate{Address: addr, Certificate: ck}
	if a, has := content.Attributes["expired_at"]; has {
		v, _, d := ld.ev.value(a.Expr, obj, "expired_at", false)
		ld.addAll(d)
		if !d.HasErrors() && !v.IsNull() {
			fd := msg.ProtoReflect().Descriptor().Fields().ByName("expired_at")
			if err := setField(msg.ProtoReflect(), fd, v); err != nil {
				ld.add(attrError(a, err))
				ok = false
			}
		}
	}
	if !ok {
		return
	}
	certAttr := content.Attributes["certificate"]
	keyAttr := content.Attributes["key"]
	if certAttr == nil || keyAttr == nil || ck.Certificate == nil || ck.Key == nil {
		return // reported by the schema, or null
	}
	cert, err := parseLeaf(ck.GetCertificate())
	if err != nil {
		ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid certificate", Detail: err.Error(), Subject: certAttr.Expr.Range().Ptr()})
		return
	}
	for i, c := range ck.GetCertificateChain() {
		if _, err := parseLeaf(c); err != nil {
			ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid certificate chain", Detail: fmt.Sprintf("Element %d: %s", i, err), Subject: content.Attributes["certificate_chain"].Expr.Range().Ptr()})
			return
		}
	}
	if err := checkKey(cert, ck.GetKey()); err != nil {
		ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid private key", Detail: err.Error(), Subject: keyAttr.Expr.Range().Ptr()})
		return
	}
	if now := time.Now(); now.After(cert.NotAfter) {
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagWarning, Summary: "Expired certificate",
			Detail:  fmt.Sprintf("Certificate %q expired on %s; Sōzu still serves it.", name, cert.NotAfter.UTC().Format(time.RFC3339)),
			Subject: certAttr.Expr.Range().Ptr(),
		})
	}
	fp, err := state.CertificateFingerprint(ck.GetCertificate())
	if err != nil {
		ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid certificate", Detail: err.Error(), Subject: certAttr.Expr.Range().Ptr()})
		return
	}
	if len(ck.Names) == 0 {
		names, err := state.CertificateNames(ck.GetCertificate())
		if err != nil {
			ld.add(&hcl.Diagnostic{Severity: hcl.DiagError, Summary: "Invalid certificate", Detail: err.Error(), Subject: certAttr.Expr.Range().Ptr()})
			return
		}
		ck.Names = names
	}
	for _, n := range ck.Names {
		if !lowerASCII(n) {
			rng := certAttr.Expr.Range()
			if a, has := content.Attributes["names"]; has {
				rng = a.Expr.Range()
			}
			ld.add(&hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Certificate name with capital letters",
				Detail:  fmt.Sprintf("Write %q as %q: Sōzu matches names as written while clients send them lowercase.", n, strings.ToLower(n)),
				Subject: rng.Ptr(),
			})
			return
		}
	}
	addrKey := state.FormatAddress(addr)
	key := state.CertificateKey(addrKey, fp)
	obj.ID = ObjectID{Kind: state.KindCertificate, Key: key}
	if prev, dup := ld.certKeys[key]; dup {
		ld.add(duplicate("certificate", fmt.Sprintf("with fingerprint %s on %s", fp, addrKey), prev.obj, certAttr.Expr.Range()))
		return
	}
	decl := &certDecl{obj: obj, msg: msg, names: ck.Names}
	ld.certNames[name] = decl
	ld.certKeys[key] = decl
	ld.certs = append(ld.certs, decl)
	ld.cfg.Sensitive.Keys[obj.ID] = ld.keySource(ck.GetKey())
	ld.register(obj)
}

// parseLeaf parses the first PEM block of s as an X.509 certificate.
func parseLeaf(s string) (*x509.Certificate, error) {
	block, _ := pem.Decode([]byte(s))
	if block == nil {
		return nil, fmt.Errorf("no PEM block found: a certificate is PEM text starting with \"-----BEGIN CERTIFICATE-----\"")
	}
	if block.Type != "CERTIFICATE" {
		return nil, fmt.Errorf("the first PEM block is a %q, not a CERTIFICATE", block.Type)
	}
	c, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return nil, fmt.Errorf("the certificate does not parse: %w", err)
	}
	return c, nil
}

// checkKey parses a PEM private key (PKCS#1, PKCS#8 or SEC 1, as Sōzu's
// workers accept) and checks that it belongs to cert. The key itself never
// appears in an error.
func checkKey(cert *x509.Certificate, keyPEM string) error {
	rest := []byte(keyPEM)
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return fmt.Errorf("no private key PEM block found")
		}
		var key any
		var err error
		switch block.Type {
		case "RSA PRIVATE KEY":
			key, err = x509.ParsePKCS1PrivateKey(block.Bytes)
		case "EC PRIVATE KEY":
			key, err = x509.ParseECPrivateKey(block.Bytes)
		case "PRIVATE KEY":
			key, err = x509.ParsePKCS8PrivateKey(block.Bytes)
		default:
			continue // EC PARAMETERS and the like
		}
		if err != nil {
			return fmt.Errorf("the %s block does not parse", block.Type)
		}
		signer, ok := key.(crypto.Signer)
		if !ok {
			return fmt.Errorf("unsupported private key type %T", key)
		}
		pub, ok := signer.Public().(interface{ Equal(crypto.PublicKey) bool })
		if !ok || !pub.Equal(cert.PublicKey) {
			return fmt.Errorf("the private key does not match the certificate's public key")
		}
		return nil
	}
}

// checkCoverage warns about HTTPS frontends whose hostname no certificate on
// their listener covers (a wildcard covers one label).
func (ld *loader) checkCoverage() {
	byAddr := map[string][]string{}
	for _, c := range ld.certs {
		a := state.FormatAddress(c.msg.GetAddress())
		byAddr[a] = append(byAddr[a], c.names...)
	}
	for _, f := range ld.httpFronts {
		if !f.https {
			continue
		}
		addr := state.FormatAddress(f.msg.GetAddress())
		host := f.msg.GetHostname()
		if covered(host, byAddr[addr]) {
			continue
		}
		if b := ld.opts.Base; b != nil && len(b.Certificates[addr]) > 0 {
			var names []string
			for _, c := range b.Certificates[addr] {
				names = append(names, c.GetNames()...)
			}
			if covered(host, names) {
				continue
			}
		}
		ld.add(&hcl.Diagnostic{
			Severity: hcl.DiagWarning, Summary: "No certificate for this hostname",
			Detail:  fmt.Sprintf("No certificate on the HTTPS listener %s covers %q; Sōzu will answer with its default certificate.", addr, host),
			Subject: f.hostname.Ptr(),
		})
	}
}

func covered(host string, names []string) bool {
	for _, n := range names {
		if n == host {
			return true
		}
		if rest, ok := strings.CutPrefix(n, "*."); ok {
			if i := strings.IndexByte(host, '.'); i > 0 && host[i+1:] == rest {
				return true
			}
		}
	}
	return false
}

// build generates the requests that create the desired state and applies
// them to an empty state.
func (ld *loader) build() {
	var reqs []*sozupb.Request
	var objs []*Object
	push := func(r *sozupb.Request, o *Object) {
		reqs = append(reqs, r)
		objs = append(objs, o)
	}
	for _, l := range ld.listenerOrder {
		switch m := l.msg.(type) {
		case *sozupb.HttpListenerConfig:
			push(&sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: m}}, l.obj)
		case *sozupb.HttpsListenerConfig:
			push(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: m}}, l.obj)
		case *sozupb.TcpListenerConfig:
			push(&sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: m}}, l.obj)
		case *sozupb.UdpListenerConfig:
			push(&sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: m}}, l.obj)
		}
	}
	for _, c := range ld.clusterOrder {
		push(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: c.msg}}, c.obj)
	}
	for _, c := range ld.clusterOrder {
		for _, b := range c.backends {
			push(&sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: b.msg}}, b.obj)
		}
	}
	for _, c := range ld.certs {
		push(&sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: c.msg}}, c.obj)
	}
	for _, f := range ld.httpFronts {
		if f.https {
			push(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: f.msg}}, f.obj)
		} else {
			push(&sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: f.msg}}, f.obj)
		}
	}
	for _, f := range ld.tcpFronts {
		push(&sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: f.msg}}, f.obj)
	}
	for _, f := range ld.udpFronts {
		push(&sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: f.msg}}, f.obj)
	}
	for _, l := range ld.listenerOrder {
		if !l.obj.WantActive {
			continue
		}
		push(&sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{
			Address: l.addr, Proxy: listenerType(l.protocol).Enum(), FromScm: proto.Bool(false),
		}}}, l.obj)
	}
	st := state.New()
	for i, r := range reqs {
		// The state keeps the messages of the requests that add clusters,
		// backends and routes rather than copies (Requests and Desired
		// share them): listeners are copied, since activating one changes
		// the state's copy.
		var err error
		switch r.GetRequestType().(type) {
		case *sozupb.Request_AddCluster, *sozupb.Request_AddBackend, *sozupb.Request_AddHttpFrontend,
			*sozupb.Request_AddHttpsFrontend, *sozupb.Request_AddTcpFrontend, *sozupb.Request_AddUdpFrontend:
			err = st.ApplyOwned(r)
		default:
			err = st.Apply(r)
		}
		if err != nil && !objs[i].failed {
			ld.add(&hcl.Diagnostic{
				Severity: hcl.DiagError, Summary: "Sōzu would refuse this object",
				Detail:  fmt.Sprintf("Applying it to the desired state failed: %s.", err),
				Subject: objs[i].Range.Ptr(),
			})
		}
	}
	ld.cfg.Requests = reqs
	ld.cfg.Desired = st
	for _, o := range ld.cfg.Objects {
		sort.Strings(o.Sensitive)
	}
}

func listenerType(protocol string) sozupb.ListenerType {
	switch protocol {
	case protoHTTPS:
		return sozupb.ListenerType_HTTPS
	case protoTCP:
		return sozupb.ListenerType_TCP
	case protoUDP:
		return sozupb.ListenerType_UDP
	}
	return sozupb.ListenerType_HTTP
}

// withArticle puts "a" or "an" before a protocol name as it is spoken:
// an HTTP listener, a TCP listener, a UDP listener.
func withArticle(name string) string {
	if strings.HasPrefix(name, "HTTP") {
		return "an " + name
	}
	return "a " + name
}
