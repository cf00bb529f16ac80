package state

import (
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func TestRouteKey(t *testing.T) {
	front := func(addr, host string, kind sozupb.PathRuleKind, path string, method *string) *sozupb.RequestHttpFrontend {
		return &sozupb.RequestHttpFrontend{
			Address: mustAddr(t, addr), Hostname: proto.String(host),
			Path: &sozupb.PathRule{Kind: kind.Enum(), Value: proto.String(path)}, Method: method,
			ClusterId: proto.String("ignored"), Position: sozupb.RulePosition_PRE.Enum(),
			Tags: map[string]string{"not": "in key"},
		}
	}
	tests := []struct {
		name string
		f    *sozupb.RequestHttpFrontend
		want string
	}{
		{"ipv4 prefix", front("0.0.0.0:8080", "lolcatho.st", sozupb.PathRuleKind_PREFIX, "/api", nil), "0.0.0.0:8080;lolcatho.st;P/api"},
		{"ipv6 regex", front("[::1]:443", "a.example", sozupb.PathRuleKind_REGEX, "^/v[0-9]+", nil), "[::1]:443;a.example;R^/v[0-9]+"},
		{"equals with method", front("10.0.0.1:80", "b.example", sozupb.PathRuleKind_EQUALS, "/x", proto.String("GET")), "10.0.0.1:80;b.example;=/x;GET"},
		{"empty path and empty method", front("10.0.0.1:80", "", sozupb.PathRuleKind_PREFIX, "", proto.String("")), "10.0.0.1:80;;P;"},
		{"hostname case kept", front("10.0.0.1:80", "API.example", sozupb.PathRuleKind_PREFIX, "/", nil), "10.0.0.1:80;API.example;P/"},
		{"unknown path kind", front("10.0.0.1:80", "a", sozupb.PathRuleKind(5), "/", proto.String("PUT")), "Wrong variant of PathRuleKind: unknown enumeration value 5;PUT"},
		{"missing path is an empty prefix", &sozupb.RequestHttpFrontend{Address: mustAddr(t, "1.2.3.4:5"), Hostname: proto.String("h")}, "1.2.3.4:5;h;P"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := RouteKey(tt.f); got != tt.want {
				t.Errorf("RouteKey = %q, want %q", got, tt.want)
			}
		})
	}
}
