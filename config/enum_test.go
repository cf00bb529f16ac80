package config

import (
	"testing"

	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// TestEnumSpellingsOfSozu checks that every spelling Sōzu 2.1.0 accepts for
// an enum (serde's SCREAMING_SNAKE_CASE names of the prost enums in
// config.toml, TlsVersion::from_str in command/src/certificate.rs:185-195,
// LoadBalancingAlgorithms::from_str in command/src/request.rs:301-315,
// parse_redirect_policy, parse_redirect_scheme and parse_header_edit in
// command/src/config.rs:1776-1815) reads as the right proto value, and that
// near misses do not.
func TestEnumSpellingsOfSozu(t *testing.T) {
	tls := sozupb.TlsVersion(0).Descriptor()
	lb := sozupb.LoadBalancingAlgorithms(0).Descriptor()
	for _, tc := range []struct {
		enum protoreflect.EnumDescriptor
		in   string
		want string // "" when the spelling must be rejected
	}{
		// TlsVersion::from_str.
		{tls, "SSL_V2", "SSL_V2"},
		{tls, "SSL_V3", "SSL_V3"},
		{tls, "TLSv1", "TLS_V1_0"},
		{tls, "TLS_V11", "TLS_V1_1"},
		{tls, "TLS_V12", "TLS_V1_2"},
		{tls, "TLS_V13", "TLS_V1_3"},
		// serde names of the prost enum (config.toml tls_versions).
		{tls, "TLS_V10", "TLS_V1_0"},
		// proto names.
		{tls, "TLS_V1_0", "TLS_V1_0"},
		{tls, "TLS_V1_3", "TLS_V1_3"},
		{tls, "TLS_V14", ""},
		{tls, "TLSv2", ""},
		{tls, "SSL_V4", ""},
		// LoadBalancingAlgorithms::from_str (lowercased) and serde names.
		{lb, "round_robin", "ROUND_ROBIN"},
		{lb, "ROUND_ROBIN", "ROUND_ROBIN"},
		{lb, "Random", "RANDOM"},
		{lb, "power_of_two", "POWER_OF_TWO"},
		{lb, "least_loaded", "LEAST_LOADED"},
		{lb, "hrw", "HRW"},
		{lb, "maglev", "MAGLEV"},
		{lb, "roundrobin", ""},
		{sozupb.LoadMetric(0).Descriptor(), "CONNECTIONS", "CONNECTIONS"},
		{sozupb.LoadMetric(0).Descriptor(), "connection_time", "CONNECTION_TIME"},
		{sozupb.LoadMetric(0).Descriptor(), "REQUESTS", "REQUESTS"},
		// parse_header_edit: request, response, both, any case.
		{sozupb.HeaderPosition(0).Descriptor(), "request", "REQUEST"},
		{sozupb.HeaderPosition(0).Descriptor(), "Response", "RESPONSE"},
		{sozupb.HeaderPosition(0).Descriptor(), "BOTH", "BOTH"},
		{sozupb.HeaderPosition(0).Descriptor(), "either", ""},
		// parse_redirect_policy: forward, permanent, unauthorized, any case.
		{sozupb.RedirectPolicy(0).Descriptor(), "forward", "FORWARD"},
		{sozupb.RedirectPolicy(0).Descriptor(), "Permanent", "PERMANENT"},
		{sozupb.RedirectPolicy(0).Descriptor(), "unauthorized", "UNAUTHORIZED"},
		{sozupb.RedirectPolicy(0).Descriptor(), "FOUND", "FOUND"},
		{sozupb.RedirectPolicy(0).Descriptor(), "PERMANENT_REDIRECT", "PERMANENT_REDIRECT"},
		// parse_redirect_scheme: use-same / use_same ..., any case.
		{sozupb.RedirectScheme(0).Descriptor(), "use-same", "USE_SAME"},
		{sozupb.RedirectScheme(0).Descriptor(), "use_http", "USE_HTTP"},
		{sozupb.RedirectScheme(0).Descriptor(), "USE-HTTPS", "USE_HTTPS"},
		{sozupb.RedirectScheme(0).Descriptor(), "https", ""},
		// serde names of RulePosition, PathRuleKind, ProxyProtocolConfig,
		// UdpAffinityKey, UdpHealthMode.
		{sozupb.RulePosition(0).Descriptor(), "PRE", "PRE"},
		{sozupb.RulePosition(0).Descriptor(), "POST", "POST"},
		{sozupb.RulePosition(0).Descriptor(), "TREE", "TREE"},
		{sozupb.PathRuleKind(0).Descriptor(), "PREFIX", "PREFIX"},
		{sozupb.PathRuleKind(0).Descriptor(), "REGEX", "REGEX"},
		{sozupb.PathRuleKind(0).Descriptor(), "EQUALS", "EQUALS"},
		{sozupb.ProxyProtocolConfig(0).Descriptor(), "EXPECT_HEADER", "EXPECT_HEADER"},
		{sozupb.ProxyProtocolConfig(0).Descriptor(), "SEND_HEADER", "SEND_HEADER"},
		{sozupb.ProxyProtocolConfig(0).Descriptor(), "RELAY_HEADER", "RELAY_HEADER"},
		{sozupb.UdpAffinityKey(0).Descriptor(), "SOURCE_IP", "SOURCE_IP"},
		{sozupb.UdpAffinityKey(0).Descriptor(), "SOURCE_IP_PORT", "SOURCE_IP_PORT"},
		{sozupb.UdpHealthMode(0).Descriptor(), "HEALTH_OFF", "HEALTH_OFF"},
		{sozupb.UdpHealthMode(0).Descriptor(), "TCP_PROBE", "TCP_PROBE"},
		{sozupb.UdpHealthMode(0).Descriptor(), "UDP_PROBE", "UDP_PROBE"},
		{sozupb.UdpHealthMode(0).Descriptor(), "ICMP_PROBE", ""},
	} {
		num, err := enumValue(tc.enum, tc.in)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s %q: accepted as %v, want an error", tc.enum.Name(), tc.in, tc.enum.Values().ByNumber(num).Name())
			}
			continue
		}
		if err != nil {
			t.Errorf("%s %q: %v", tc.enum.Name(), tc.in, err)
			continue
		}
		if got := string(tc.enum.Values().ByNumber(num).Name()); got != tc.want {
			t.Errorf("%s %q = %s, want %s", tc.enum.Name(), tc.in, got, tc.want)
		}
		if name, ok := CanonicalEnumName(tc.in, tc.enum); !ok || name != tc.want {
			t.Errorf("CanonicalEnumName(%q) = %q, %v; want %q", tc.in, name, ok, tc.want)
		}
	}
}
