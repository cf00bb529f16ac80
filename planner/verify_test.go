package planner

import (
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// TestGuarantee6IgnoredPatchFields: elide_x_real_ip, send_x_real_ip and an
// HTTPS listener's hsts are ignored by Sōzu's main process in a listener
// patch, so a change of one is a replace (full teardown and rebuild, routes
// and certificates included, activation last) with a warning.
func TestGuarantee6IgnoredPatchFields(t *testing.T) {
	ca := tcert(t, "certA", "a.example.com")
	elide := httpL(h80, true)
	elide.ElideXRealIp = proto.Bool(true)
	send := httpL(h80, true)
	send.SendXRealIp = proto.Bool(true)
	hsts := httpsL(h443, true)
	hsts.Hsts = &sozupb.HstsConfig{Enabled: proto.Bool(true), MaxAge: proto.Uint32(31536000)}
	httpsElide := httpsL(h443, true)
	httpsElide.ElideXRealIp = proto.Bool(true)
	httpRoute := front(h80, "x.example.com", "/", "api")
	httpSeq := []string{
		"deactivate_listener HTTP 0.0.0.0:80",
		"remove_http_frontend 0.0.0.0:80;x.example.com;P/ TREE -> api",
		"remove_listener HTTP 0.0.0.0:80",
		"add_http_listener 0.0.0.0:80 active=false",
		"add_http_frontend 0.0.0.0:80;x.example.com;P/ TREE -> api",
		"activate_listener HTTP 0.0.0.0:80",
	}
	httpsSeq := []string{
		"deactivate_listener HTTPS 0.0.0.0:443",
		"remove_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
		"remove_certificate 0.0.0.0:443 certA",
		"remove_listener HTTPS 0.0.0.0:443",
		"add_https_listener 0.0.0.0:443 active=false",
		"add_certificate 0.0.0.0:443 certA [a.example.com]",
		"add_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
		"activate_listener HTTPS 0.0.0.0:443",
	}
	httpsBase := func(l *sozupb.HttpsListenerConfig) []proto.Message {
		return []proto.Message{l, cluster("api"), ca.on(h443), hfront(h443, "a.example.com", "/", "api")}
	}
	replaced := map[string]Action{`listener.http["0.0.0.0:80"]`: Replace}
	replacedTLS := map[string]Action{`listener.https["0.0.0.0:443"]`: Replace}
	runCases(t, []planCase{{
		name:    "elide_x_real_ip set",
		base:    []proto.Message{httpL(h80, true), cluster("api"), httpRoute},
		desired: []proto.Message{elide, cluster("api"), httpRoute},
		want:    httpSeq, actions: replaced, warning: "stops briefly",
	}, {
		name:    "send_x_real_ip set",
		base:    []proto.Message{httpL(h80, true), cluster("api"), httpRoute},
		desired: []proto.Message{send, cluster("api"), httpRoute},
		want:    httpSeq, actions: replaced, warning: "stops briefly",
	}, {
		name:    "send_x_real_ip cleared",
		base:    []proto.Message{send, cluster("api"), httpRoute},
		desired: []proto.Message{httpL(h80, true), cluster("api"), httpRoute},
		want:    httpSeq, actions: replaced, warning: "stops briefly",
	}, {
		name:    "HTTPS hsts set: certificates and routes rebuilt too",
		base:    httpsBase(httpsL(h443, true)),
		desired: httpsBase(hsts),
		want:    httpsSeq, actions: replacedTLS, warning: "stops briefly",
	}, {
		name:    "HTTPS hsts removed",
		base:    httpsBase(hsts),
		desired: httpsBase(httpsL(h443, true)),
		want:    httpsSeq, actions: replacedTLS, warning: "stops briefly",
	}, {
		name:    "HTTPS elide_x_real_ip set",
		base:    httpsBase(httpsL(h443, true)),
		desired: httpsBase(httpsElide),
		want:    httpsSeq, actions: replacedTLS, warning: "stops briefly",
	}})
}

// TestGuarantee5RemovalCarriesBaseFrontend: the removal of a recreated
// HTTP(S) frontend is the base's frontend exactly (position, tags, redirect
// and all), not the desired one with the base's key, and the add follows it
// at once.
func TestGuarantee5RemovalCarriesBaseFrontend(t *testing.T) {
	old := front(h80, "api.example.com", "/", "api")
	old.Position = sozupb.RulePosition_POST.Enum()
	old.Tags = map[string]string{"team": "a", "env": "prod"}
	old.Method = proto.String("GET")
	neu := front(h80, "api.example.com", "/", "api")
	neu.Method = proto.String("GET")
	neu.Tags = map[string]string{"team": "b"}
	for _, https := range []bool{false, true} {
		var base, desired *state.State
		kind := "http"
		if https {
			kind = "https"
			base = mk(t, httpsL(h80, true), cluster("api"), httpsFront{old})
			desired = mk(t, httpsL(h80, true), cluster("api"), httpsFront{neu})
		} else {
			base = mk(t, httpL(h80, true), cluster("api"), old)
			desired = mk(t, httpL(h80, true), cluster("api"), neu)
		}
		p := mustPlan(t, base, desired, Options{})
		if len(p.Requests) != 2 {
			t.Fatalf("%s: %d requests, want a removal and an add: %v", kind, len(p.Requests), describeAll(p))
		}
		var removed, added *sozupb.RequestHttpFrontend
		if https {
			removed, added = p.Requests[0].GetRemoveHttpsFrontend(), p.Requests[1].GetAddHttpsFrontend()
		} else {
			removed, added = p.Requests[0].GetRemoveHttpFrontend(), p.Requests[1].GetAddHttpFrontend()
		}
		if removed == nil || added == nil {
			t.Fatalf("%s: requests %v, want a removal then an add", kind, describeAll(p))
		}
		if !proto.Equal(state.Normalize(removed), state.Normalize(old)) || removed.GetPosition() != sozupb.RulePosition_POST {
			t.Errorf("%s: removal carries %v, want the base frontend %v", kind, removed, old)
		}
		if !proto.Equal(state.Normalize(added), state.Normalize(neu)) {
			t.Errorf("%s: add carries %v, want %v", kind, added, neu)
		}
		checkBothWays(t, base, desired, p)
	}
}
