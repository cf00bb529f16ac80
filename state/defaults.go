package state

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// This file is the project's one source of defaults. A listener built by the
// constructors below is exactly what Sōzu 2.1.0's config.toml loader builds
// for a listener block that sets nothing but its address
// (ListenerBuilder::to_http / to_tls / to_tcp / to_udp, command/src/config.rs
// 835-1231). Source lines are for Sōzu tag 2.1.0.

// Listener defaults of Sōzu's TOML loader.
const (
	// DefaultStickyName is the sticky-session cookie name (config.rs:146, 594).
	DefaultStickyName = "SOZUBALANCEID"
	// DefaultFrontTimeout, DefaultBackTimeout, DefaultConnectTimeout and
	// DefaultRequestTimeout are the HTTP, HTTPS and TCP listener timeouts in
	// seconds (config.rs:117-126); they equal the proto2 declared defaults.
	DefaultFrontTimeout   = 60
	DefaultBackTimeout    = 30
	DefaultConnectTimeout = 3
	DefaultRequestTimeout = 10
	// DefaultUDPFrontTimeout and DefaultUDPBackTimeout are the UDP
	// listener's idle timeouts in seconds (config.rs:129-132).
	DefaultUDPFrontTimeout = 30
	DefaultUDPBackTimeout  = 30
	// DefaultUDPMaxRxDatagramSize is the largest datagram a UDP listener
	// reads (config.rs:136); the loader lowers it to buffer_size, whose
	// default (16393, config.rs:185) is larger.
	DefaultUDPMaxRxDatagramSize = 1500
	// DefaultUDPMaxFlows is the UDP flow limit, 0 meaning unlimited
	// (config.rs:140).
	DefaultUDPMaxFlows = 0
	// DefaultSendTLS13Tickets is the number of TLS 1.3 session tickets an
	// HTTPS listener sends (config.rs:216, used at 1045-1047).
	DefaultSendTLS13Tickets = 4
)

// DefaultTLSVersions returns the HTTPS listener's TLS versions when the file
// names none: TLS 1.2 and TLS 1.3 (config.rs:985-988). An HTTPS listener
// with no versions at all makes Sōzu's workers fail.
func DefaultTLSVersions() []sozupb.TlsVersion {
	return []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_2, sozupb.TlsVersion_TLS_V1_3}
}

// DefaultCipherList returns Sōzu's default rustls cipher list
// (config.rs:84-96). The loader also uses it for cipher_suites
// (config.rs:915-918), and workers use it when cipher_list is empty
// (lib/src/https.rs:1418-1419).
func DefaultCipherList() []string {
	return []string{
		"TLS13_AES_256_GCM_SHA384",
		"TLS13_AES_128_GCM_SHA256",
		"TLS13_CHACHA20_POLY1305_SHA256",
		"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256",
		"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256",
		"TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
		"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
		"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256",
	}
}

// DefaultSignatureAlgorithms returns the signature algorithms the loader
// always writes; config.toml cannot change them (config.rs:98-108, 920-923).
func DefaultSignatureAlgorithms() []string {
	return []string{
		"ECDSA+SHA256", "ECDSA+SHA384", "ECDSA+SHA512",
		"RSA+SHA256", "RSA+SHA384", "RSA+SHA512",
		"RSA-PSS+SHA256", "RSA-PSS+SHA384", "RSA-PSS+SHA512",
	}
}

// DefaultGroupsList returns the key-exchange groups the loader writes when
// the file names none (config.rs:110, 925-928).
func DefaultGroupsList() []string {
	return []string{"X25519MLKEM768", "x25519", "P-256", "P-384"}
}

// DefaultALPNProtocols returns the ALPN protocols the loader writes when the
// file names none (config.rs:114, 972-981); workers use the same list when
// alpn_protocols is empty (lib/src/https.rs:1492-1496).
func DefaultALPNProtocols() []string {
	return []string{"h2", "http/1.1"}
}

// NewHTTPListener returns the HTTP listener Sōzu's loader builds for addr
// (config.rs:835-907): default timeouts and sticky name, an empty
// http_answers, elide_x_real_ip and send_x_real_ip set to false, inactive.
func NewHTTPListener(addr *sozupb.SocketAddress) *sozupb.HttpListenerConfig {
	return &sozupb.HttpListenerConfig{
		Address:        cloneAddr(addr),
		ExpectProxy:    proto.Bool(false),
		StickyName:     proto.String(DefaultStickyName),
		FrontTimeout:   proto.Uint32(DefaultFrontTimeout),
		BackTimeout:    proto.Uint32(DefaultBackTimeout),
		ConnectTimeout: proto.Uint32(DefaultConnectTimeout),
		RequestTimeout: proto.Uint32(DefaultRequestTimeout),
		Active:         proto.Bool(false),
		HttpAnswers:    &sozupb.CustomHttpAnswers{},
		ElideXRealIp:   proto.Bool(false),
		SendXRealIp:    proto.Bool(false),
	}
}

// NewHTTPSListener returns the HTTPS listener Sōzu's loader builds for addr
// (config.rs:910-1080): what NewHTTPListener sets, plus TLS 1.2 and 1.3,
// the default cipher list (also as cipher_suites), signature algorithms,
// groups, ALPN protocols and send_tls13_tickets, inactive, no certificate.
func NewHTTPSListener(addr *sozupb.SocketAddress) *sozupb.HttpsListenerConfig {
	return &sozupb.HttpsListenerConfig{
		Address:             cloneAddr(addr),
		ExpectProxy:         proto.Bool(false),
		StickyName:          proto.String(DefaultStickyName),
		FrontTimeout:        proto.Uint32(DefaultFrontTimeout),
		BackTimeout:         proto.Uint32(DefaultBackTimeout),
		ConnectTimeout:      proto.Uint32(DefaultConnectTimeout),
		RequestTimeout:      proto.Uint32(DefaultRequestTimeout),
		Active:              proto.Bool(false),
		Versions:            DefaultTLSVersions(),
		CipherList:          DefaultCipherList(),
		CipherSuites:        DefaultCipherList(),
		SignatureAlgorithms: DefaultSignatureAlgorithms(),
		GroupsList:          DefaultGroupsList(),
		SendTls13Tickets:    proto.Uint64(DefaultSendTLS13Tickets),
		HttpAnswers:         &sozupb.CustomHttpAnswers{},
		AlpnProtocols:       DefaultALPNProtocols(),
		ElideXRealIp:        proto.Bool(false),
		SendXRealIp:         proto.Bool(false),
	}
}

// NewTCPListener returns the TCP listener Sōzu's loader builds for addr
// (config.rs:1110-1146): default timeouts, no proxy protocol, inactive.
func NewTCPListener(addr *sozupb.SocketAddress) *sozupb.TcpListenerConfig {
	return &sozupb.TcpListenerConfig{
		Address:        cloneAddr(addr),
		ExpectProxy:    proto.Bool(false),
		FrontTimeout:   proto.Uint32(DefaultFrontTimeout),
		BackTimeout:    proto.Uint32(DefaultBackTimeout),
		ConnectTimeout: proto.Uint32(DefaultConnectTimeout),
		Active:         proto.Bool(false),
	}
}

// NewUDPListener returns the UDP listener Sōzu's loader builds for addr
// (config.rs:1166-1231): 30 s timeouts, 1500-byte datagrams, unlimited
// flows, inactive.
func NewUDPListener(addr *sozupb.SocketAddress) *sozupb.UdpListenerConfig {
	return &sozupb.UdpListenerConfig{
		Address:           cloneAddr(addr),
		FrontTimeout:      proto.Uint32(DefaultUDPFrontTimeout),
		BackTimeout:       proto.Uint32(DefaultUDPBackTimeout),
		MaxRxDatagramSize: proto.Uint32(DefaultUDPMaxRxDatagramSize),
		MaxFlows:          proto.Uint32(DefaultUDPMaxFlows),
		Active:            proto.Bool(false),
	}
}

func cloneAddr(a *sozupb.SocketAddress) *sozupb.SocketAddress {
	if a == nil {
		return nil
	}
	return proto.Clone(a).(*sozupb.SocketAddress)
}

// Normalize returns a copy of msg in its effective form: two messages that
// Sōzu treats the same normalize to proto.Equal messages. Equal and
// Fingerprint compare normalized objects. The rules:
//
//  1. An unset field that has a proto2 declared default ([default = ...] in
//     command.proto) takes it: prost, which Sōzu uses, decodes a missing
//     field that way. Examples: a frontend's position (TREE) and redirect
//     (FORWARD), listener timeouts, elide_x_real_ip (false).
//  2. An unset required scalar field takes its zero value (prost's value
//     for a missing required field), for example an empty sticky_name.
//  3. A listener's http_answers that sets no answer is the same as none
//     (the loader writes an empty one, config.rs:768-784).
//  4. HTTPS listener lists that are empty mean Sōzu's defaults:
//     cipher_list (lib/src/https.rs:1418-1419), alpn_protocols
//     (https.rs:1492-1496), groups_list (https.rs:1463-1464: the crypto
//     provider's default groups, which DefaultGroupsList names),
//     cipher_suites and signature_algorithms (workers never read them; the
//     loader always writes DefaultCipherList and DefaultSignatureAlgorithms).
//     Empty versions are NOT defaulted: workers then refuse the listener.
//  5. A certificate with no names takes the names derived from it
//     (CertificateNames): workers derive them the same way.
//  6. Every socket address is taken as Sōzu converts it
//     (command/src/request.rs:357-385): a missing IP is 0.0.0.0 and a port
//     above 65535 keeps its low 16 bits.
//
// Optional fields without a declared default (h2 knobs, sozu_id_header,
// public_address, ...) stay unset: Sōzu's workers pick values for them that
// the protocol does not state, so unset differs from every explicit value.
// Normalize never fails; a nil msg gives nil.
func Normalize[M proto.Message](msg M) M {
	if any(msg) == nil || !msg.ProtoReflect().IsValid() {
		return msg
	}
	out := proto.Clone(msg).(M)
	normalizeInPlace(out)
	return out
}

// normalizeInPlace applies Normalize's rules to m itself.
func normalizeInPlace(m proto.Message) {
	fillDefaults(m.ProtoReflect())
	switch v := m.(type) {
	case *sozupb.HttpListenerConfig:
		if isEmptyMessage(v.HttpAnswers) {
			v.HttpAnswers = nil
		}
	case *sozupb.HttpsListenerConfig:
		if isEmptyMessage(v.HttpAnswers) {
			v.HttpAnswers = nil
		}
		if len(v.CipherList) == 0 {
			v.CipherList = DefaultCipherList()
		}
		if len(v.CipherSuites) == 0 {
			v.CipherSuites = DefaultCipherList()
		}
		if len(v.SignatureAlgorithms) == 0 {
			v.SignatureAlgorithms = DefaultSignatureAlgorithms()
		}
		if len(v.GroupsList) == 0 {
			v.GroupsList = DefaultGroupsList()
		}
		if len(v.AlpnProtocols) == 0 {
			v.AlpnProtocols = DefaultALPNProtocols()
		}
	case *sozupb.CertificateAndKey:
		normalizeCertificate(v)
	case *sozupb.AddCertificate:
		if v.Certificate != nil {
			normalizeCertificate(v.Certificate)
		}
	}
}

func normalizeCertificate(c *sozupb.CertificateAndKey) {
	if len(c.Names) == 0 {
		if names, err := CertificateNames(c.GetCertificate()); err == nil && len(names) > 0 {
			c.Names = names
		}
	}
}

func isEmptyMessage(m proto.Message) bool {
	if m == nil || !m.ProtoReflect().IsValid() {
		return true
	}
	empty := true
	m.ProtoReflect().Range(func(protoreflect.FieldDescriptor, protoreflect.Value) bool {
		empty = false
		return false
	})
	return empty
}

// canonicalAddress returns a as Sōzu reads it (rule 6 of Normalize).
func canonicalAddress(a *sozupb.SocketAddress) *sozupb.SocketAddress {
	return AddressFromAddrPort(sozuAddrPort(a))
}

// fillDefaults applies rules 1, 2 and 6 of Normalize to m and every message
// inside it.
func fillDefaults(m protoreflect.Message) {
	if a, ok := m.Interface().(*sozupb.SocketAddress); ok {
		c := canonicalAddress(a)
		a.Ip, a.Port = c.Ip, c.Port
		return
	}
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		switch {
		case fd.IsList():
			if fd.Message() != nil && m.Has(fd) {
				l := m.Get(fd).List()
				for j := 0; j < l.Len(); j++ {
					fillDefaults(l.Get(j).Message())
				}
			}
		case fd.IsMap():
			if fd.MapValue().Message() != nil && m.Has(fd) {
				m.Get(fd).Map().Range(func(_ protoreflect.MapKey, v protoreflect.Value) bool {
					fillDefaults(v.Message())
					return true
				})
			}
		case fd.Message() != nil:
			if m.Has(fd) {
				fillDefaults(m.Get(fd).Message())
			}
		default:
			if !m.Has(fd) && (fd.HasDefault() || fd.Cardinality() == protoreflect.Required) {
				m.Set(fd, fd.Default())
			}
		}
	}
}

// EffectiveEqual reports whether a and b are the same once normalized, as
// proto.Equal(Normalize(a), Normalize(b)) would, unknown fields aside. It
// compares canonical encodings (see State.Fingerprint), which is cheaper.
func EffectiveEqual(a, b proto.Message) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	if a.ProtoReflect().Descriptor().FullName() != b.ProtoReflect().Descriptor().FullName() {
		return false
	}
	return string(appendEffective(nil, a)) == string(appendEffective(nil, b))
}
