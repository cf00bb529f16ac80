package sim

import (
	"testing"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text: ok", "plain text: ok"},
		{"a, b = c", "a? b ? c"},
		{"line\nbreak\ttab\x00nul", "line?break?tab?nul"},
		{"del\x7f c1\u0085 bom\ufeff ls\u2028 ps\u2029", "del? c1? bom? ls? ps?"},
		{"rlo\u202e lri\u2066 pdi\u2069", "rlo? lri? pdi?"},
		{"Sōzu é", "Sōzu é"},
	}
	for _, tc := range tests {
		if got := sanitize(tc.in); got != tc.want {
			t.Errorf("sanitize(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestCountName(t *testing.T) {
	tests := []struct {
		req  *sozupb.Request
		want string
	}{
		{addCluster("a"), "AddCluster"},
		{addHTTPSFront(front("0.0.0.0:443", "a", "/", "", sozupb.RulePosition_TREE)), "AddHttpsFrontend"},
		{&sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "x"}}, "Logging"},
		{&sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromTheState{}}, "QueryCertificatesFromTheState"},
		{&sozupb.Request{}, ""},
	}
	for _, tc := range tests {
		if got := countName(tc.req); got != tc.want {
			t.Errorf("countName = %q, want %q", got, tc.want)
		}
	}
}

func TestCanonicalAddress(t *testing.T) {
	for in, want := range map[string]string{
		"0.0.0.0:80":         "0.0.0.0:80",
		"[0:0::1]:443":       "[::1]:443",
		"not an address":     "not an address",
		"[::ffff:1.2.3.4]:1": "[::ffff:1.2.3.4]:1",
	} {
		if got := canonical(in); got != want {
			t.Errorf("canonical(%q) = %q, want %q", in, got, want)
		}
	}
}
