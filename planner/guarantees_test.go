package planner

import (
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

type planCase struct {
	name          string
	base, desired []proto.Message
	opts          Options
	want          []string // the exact request sequence
	actions       map[string]Action
	warning       string // a change or plan warning that must appear
	// aim is the state the plan must reach when it is not desired (scope,
	// targets, destroy); nil means desired.
	aim []proto.Message
}

func runCases(t *testing.T, cases []planCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base, desired := mk(t, tc.base...), mk(t, tc.desired...)
			p := mustPlan(t, base, desired, tc.opts)
			got := describeAll(p)
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Fatalf("requests:\n  %s\nwant:\n  %s", strings.Join(got, "\n  "), strings.Join(tc.want, "\n  "))
			}
			for addr, a := range tc.actions {
				found := false
				for _, c := range p.Changes {
					if c.Address == addr {
						found = true
						if c.Action != a {
							t.Errorf("%s: action %s, want %s", addr, c.Action, a)
						}
					}
				}
				if !found {
					t.Errorf("no change at %s; changes: %v", addr, addresses(p))
				}
			}
			if tc.warning != "" && !hasWarning(p, tc.warning) {
				t.Errorf("no warning containing %q", tc.warning)
			}
			aim := desired
			if tc.aim != nil {
				aim = mk(t, tc.aim...)
			}
			checkBothWays(t, base, aim, p)
			// Planned again without --target and --replace: what they
			// named may be gone now.
			againOpts := tc.opts
			againOpts.Targets, againOpts.Replace = nil, nil
			again, err := Compute(aim, desired, againOpts)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.opts.Destroy && len(tc.opts.Targets) == 0 && len(tc.opts.Replace) == 0 && again.HasChanges() {
				t.Errorf("planning again after apply still changes: %v", describeAll(again))
			}
		})
	}
}

func addresses(p *Plan) []string {
	var out []string
	for _, c := range p.Changes {
		out = append(out, c.Address+" "+string(c.Action))
	}
	return out
}

func hasWarning(p *Plan, s string) bool {
	for _, w := range p.Warnings {
		if strings.Contains(w, s) {
			return true
		}
	}
	for _, c := range p.Changes {
		for _, w := range c.Warnings {
			if strings.Contains(w, s) {
				return true
			}
		}
	}
	return false
}

const (
	h80  = "0.0.0.0:80"
	h443 = "0.0.0.0:443"
	t54  = "0.0.0.0:5432"
	u53  = "0.0.0.0:5353"
)

func TestGuarantee1Listeners(t *testing.T) {
	ca := tcert(t, "certA", "a.example.com")
	runCases(t, []planCase{{
		name:    "new listener added inactive, routes, then activated",
		desired: []proto.Message{httpL(h80, true), cluster("api"), backend("api", "api-1", "10.0.0.1:8080", 100), front(h80, "api.example.com", "/", "api")},
		want: []string{
			"add_http_listener 0.0.0.0:80 active=false",
			"add_cluster api",
			"add_backend api api-1 10.0.0.1:8080",
			"add_http_frontend 0.0.0.0:80;api.example.com;P/ TREE -> api",
			"activate_listener HTTP 0.0.0.0:80",
		},
		actions: map[string]Action{`listener.http["0.0.0.0:80"]`: Create, "cluster.api": Create, "cluster.api.backend.api-1": Create},
	}, {
		name:    "new https listener gets its certificate before its frontend",
		desired: []proto.Message{httpsL(h443, true), cluster("api"), ca.on(h443), hfront(h443, "a.example.com", "/", "api")},
		want: []string{
			"add_https_listener 0.0.0.0:443 active=false",
			"add_cluster api",
			"add_certificate 0.0.0.0:443 certA [a.example.com]",
			"add_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
			"activate_listener HTTPS 0.0.0.0:443",
		},
	}, {
		name:    "new inactive listener is never activated",
		desired: []proto.Message{tcpL(t54, false)},
		want:    []string{"add_tcp_listener 0.0.0.0:5432 active=false"},
	}, {
		name: "removed active listener: deactivated, frontends, certificates, then removed",
		base: []proto.Message{httpsL(h443, true), ca.on(h443), hfront(h443, "a.example.com", "/", "")},
		want: []string{
			"deactivate_listener HTTPS 0.0.0.0:443",
			"remove_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> (deny)",
			"remove_certificate 0.0.0.0:443 certA",
			"remove_listener HTTPS 0.0.0.0:443",
		},
	}, {
		name: "removed inactive listener is not deactivated",
		base: []proto.Message{udpL(u53, false)},
		want: []string{"remove_listener UDP 0.0.0.0:5353"},
	}, {
		name:    "active to inactive",
		base:    []proto.Message{httpL(h80, true)},
		desired: []proto.Message{httpL(h80, false)},
		want:    []string{"deactivate_listener HTTP 0.0.0.0:80"},
		actions: map[string]Action{`listener.http["0.0.0.0:80"]`: Update},
	}, {
		name:    "a listener of another protocol takes the address: the old one stops right before the new one starts",
		base:    []proto.Message{tcpL("0.0.0.0:8080", true), cluster("api"), tcpF("api", "0.0.0.0:8080")},
		desired: []proto.Message{httpL("0.0.0.0:8080", true), cluster("api"), front("0.0.0.0:8080", "x.example.com", "/", "api")},
		want: []string{
			"add_http_listener 0.0.0.0:8080 active=false",
			"add_http_frontend 0.0.0.0:8080;x.example.com;P/ TREE -> api",
			"deactivate_listener TCP 0.0.0.0:8080",
			"activate_listener HTTP 0.0.0.0:8080",
			"remove_tcp_frontend api;0.0.0.0:8080",
			"remove_listener TCP 0.0.0.0:8080",
		},
		warning: "deactivated right before",
	}, {
		name:    "inactive to active after new routes",
		base:    []proto.Message{httpL(h80, false)},
		desired: []proto.Message{httpL(h80, true), front(h80, "x.example.com", "/", "")},
		want: []string{
			"add_http_frontend 0.0.0.0:80;x.example.com;P/ TREE -> (deny)",
			"activate_listener HTTP 0.0.0.0:80",
		},
	}})
}

func TestGuarantee2Clusters(t *testing.T) {
	hc := cluster("api")
	hc.HealthCheck = &sozupb.HealthCheckConfig{Uri: proto.String("/healthz"), Interval: proto.Uint32(10), Timeout: proto.Uint32(5),
		HealthyThreshold: proto.Uint32(2), UnhealthyThreshold: proto.Uint32(3), ExpectedStatus: proto.Uint32(0)}
	lc := cluster("api")
	lc.LoadBalancing = sozupb.LoadBalancingAlgorithms_LEAST_LOADED.Enum()
	runCases(t, []planCase{{
		name:    "changed cluster is one AddCluster",
		base:    []proto.Message{cluster("api"), backend("api", "a", "10.0.0.1:80", 100)},
		desired: []proto.Message{lc, backend("api", "a", "10.0.0.1:80", 100)},
		want:    []string{"add_cluster api"},
		actions: map[string]Action{"cluster.api": Update},
	}, {
		name:    "health check added through AddCluster",
		base:    []proto.Message{cluster("api")},
		desired: []proto.Message{hc},
		want:    []string{"add_cluster api"},
	}, {
		name:    "health check removed through AddCluster",
		base:    []proto.Message{hc},
		desired: []proto.Message{cluster("api")},
		want:    []string{"add_cluster api"},
	}, {
		name: "cluster removed after its frontends and backends",
		base: []proto.Message{httpL(h80, true), tcpL(t54, true), cluster("api"), backend("api", "a", "10.0.0.1:80", 100),
			front(h80, "api.example.com", "/", "api"), tcpF("api", t54)},
		desired: []proto.Message{httpL(h80, true), tcpL(t54, true)},
		want: []string{
			"remove_http_frontend 0.0.0.0:80;api.example.com;P/ TREE -> api",
			"remove_tcp_frontend api;0.0.0.0:5432",
			"remove_backend api a 10.0.0.1:80",
			"remove_cluster api",
		},
	}})
}

func TestGuarantee3Backends(t *testing.T) {
	heavy := backend("api", "b2", "10.0.0.2:80", 100)
	heavy.Backup = proto.Bool(true)
	runCases(t, []planCase{{
		name:    "new backends before old ones go",
		base:    []proto.Message{cluster("api"), backend("api", "b1", "10.0.0.1:80", 100), backend("api", "b2", "10.0.0.2:80", 100)},
		desired: []proto.Message{cluster("api"), backend("api", "b2", "10.0.0.2:80", 100), backend("api", "b3", "10.0.0.3:80", 100), backend("api", "b4", "10.0.0.4:80", 100)},
		want: []string{
			"add_backend api b3 10.0.0.3:80",
			"add_backend api b4 10.0.0.4:80",
			"remove_backend api b1 10.0.0.1:80",
		},
	}, {
		name:    "an address taken under another id is removed first",
		base:    []proto.Message{cluster("api"), backend("api", "b1", "10.0.0.1:80", 100), backend("api", "b9", "10.0.0.9:80", 100)},
		desired: []proto.Message{cluster("api"), backend("api", "b2", "10.0.0.1:80", 100), backend("api", "b3", "10.0.0.3:80", 100)},
		want: []string{
			"remove_backend api b1 10.0.0.1:80",
			"add_backend api b2 10.0.0.1:80",
			"add_backend api b3 10.0.0.3:80",
			"remove_backend api b9 10.0.0.9:80",
		},
		warning: "takes its address",
	}, {
		name:    "address change: new address added, then old one removed",
		base:    []proto.Message{cluster("api"), backend("api", "b1", "10.0.0.1:80", 100)},
		desired: []proto.Message{cluster("api"), backend("api", "b1", "10.0.0.2:80", 100)},
		want: []string{
			"add_backend api b1 10.0.0.2:80",
			"remove_backend api b1 10.0.0.1:80",
		},
		actions: map[string]Action{"cluster.api.backend.b1": Replace},
	}, {
		name:    "weight and backup change in place",
		base:    []proto.Message{cluster("api"), backend("api", "b2", "10.0.0.2:80", 10)},
		desired: []proto.Message{cluster("api"), heavy},
		want:    []string{"add_backend api b2 10.0.0.2:80"},
		actions: map[string]Action{"cluster.api.backend.b2": Update},
	}, {
		name:    "new cluster: backends before its frontends",
		base:    []proto.Message{httpL(h80, true)},
		desired: []proto.Message{httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 100), front(h80, "web.example.com", "/", "web")},
		want: []string{
			"add_cluster web",
			"add_backend web w1 10.0.1.1:80",
			"add_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
		},
	}})
}

func TestGuarantee4Certificates(t *testing.T) {
	a1 := tcert(t, "certA", "a.example.com")
	a2 := tcert(t, "certA2", "a.example.com")
	b := tcert(t, "certB", "b.example.com")
	c := tcert(t, "certC", "c.example.com", "www.c.example.com")
	l := httpsL(h443, true)
	runCases(t, []planCase{{
		name:    "rotation is one ReplaceCertificate with explicit names",
		base:    []proto.Message{l, a1.on(h443)},
		desired: []proto.Message{l, a2.on(h443)},
		want:    []string{"replace_certificate 0.0.0.0:443 certA->certA2 [a.example.com]"},
		actions: map[string]Action{`certificate["0.0.0.0:443;` + a2.fp + `"]`: Update},
	}, {
		name:    "new certificate before the frontend that needs it; old one after the frontend it served",
		base:    []proto.Message{l, cluster("api"), a1.on(h443), hfront(h443, "a.example.com", "/", "api")},
		desired: []proto.Message{l, cluster("api"), b.on(h443), hfront(h443, "b.example.com", "/", "api")},
		want: []string{
			"add_certificate 0.0.0.0:443 certB [b.example.com]",
			"add_https_frontend 0.0.0.0:443;b.example.com;P/ TREE -> api",
			"remove_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
			"remove_certificate 0.0.0.0:443 certA",
		},
	}, {
		name:    "names-only change: remove then add, with a warning",
		base:    []proto.Message{l, c.on(h443, "c.example.com")},
		desired: []proto.Message{l, c.on(h443)},
		want: []string{
			"remove_certificate 0.0.0.0:443 certC",
			"add_certificate 0.0.0.0:443 certC [c.example.com www.c.example.com]",
		},
		warning: "names-only change",
	}})
}

func TestGuarantee5Frontends(t *testing.T) {
	pre := front(h80, "api.example.com", "/", "api")
	pre.Position = sozupb.RulePosition_PRE.Enum()
	runCases(t, []planCase{{
		name:    "changed HTTP frontend: the stored one removed, the new one added, adjacent",
		base:    []proto.Message{httpL(h80, true), cluster("api"), cluster("web"), pre, front(h80, "z.example.com", "/", "web")},
		desired: []proto.Message{httpL(h80, true), cluster("api"), cluster("web"), front(h80, "api.example.com", "/", "web"), front(h80, "z.example.com", "/", "web")},
		want: []string{
			"remove_http_frontend 0.0.0.0:80;api.example.com;P/ PRE -> api",
			"add_http_frontend 0.0.0.0:80;api.example.com;P/ TREE -> web",
		},
		actions: map[string]Action{`cluster.web.http_frontend["0.0.0.0:80;api.example.com;P/"]`: Replace},
	}, {
		name:    "TCP frontend moving to another cluster: remove before add",
		base:    []proto.Message{tcpL(t54, true), cluster("db"), backend("db", "d1", "10.0.2.1:5432", 100), tcpF("db", t54)},
		desired: []proto.Message{tcpL(t54, true), cluster("db2"), backend("db2", "d1", "10.0.2.2:5432", 100), tcpF("db2", t54)},
		want: []string{
			"add_cluster db2",
			"add_backend db2 d1 10.0.2.2:5432",
			"remove_tcp_frontend db;0.0.0.0:5432",
			"add_tcp_frontend db2;0.0.0.0:5432",
			"remove_backend db d1 10.0.2.1:5432",
			"remove_cluster db",
		},
	}, {
		name:    "UDP frontend moving to another cluster",
		base:    []proto.Message{udpL(u53, true), cluster("dns"), cluster("dns2"), udpF("dns", u53)},
		desired: []proto.Message{udpL(u53, true), cluster("dns"), cluster("dns2"), udpF("dns2", u53)},
		want: []string{
			"remove_udp_frontend dns;0.0.0.0:5353",
			"add_udp_frontend dns2;0.0.0.0:5353",
		},
	}})
}

func TestGuarantee6ListenerUpdates(t *testing.T) {
	ca := tcert(t, "certA", "a.example.com")
	slow := httpL(h80, true)
	slow.FrontTimeout = proto.Uint32(120)
	slow.StickyName = proto.String("SID")
	pub := httpL(h80, true)
	pub.PublicAddress = sa("1.2.3.4:80")
	tls13 := httpsL(h443, true)
	tls13.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
	alpn := httpsL(h443, true)
	alpn.AlpnProtocols = []string{"http/1.1"}
	answers := httpL(h80, true)
	answers.Answers = map[string]string{"503": "HTTP/1.1 503 Unavailable\r\n\r\nbusy"}
	udpBig := udpL(u53, true)
	udpBig.MaxFlows = proto.Uint32(100)
	runCases(t, []planCase{{
		name:    "timeouts and sticky name patched in place",
		base:    []proto.Message{httpL(h80, true)},
		desired: []proto.Message{slow},
		want:    []string{"update_http_listener 0.0.0.0:80 sticky_name,front_timeout"},
		actions: map[string]Action{`listener.http["0.0.0.0:80"]`: Update},
	}, {
		name:    "public address set in place",
		base:    []proto.Message{httpL(h80, true)},
		desired: []proto.Message{pub},
		want:    []string{"update_http_listener 0.0.0.0:80 public_address"},
	}, {
		name:    "ALPN patched in place",
		base:    []proto.Message{httpsL(h443, true)},
		desired: []proto.Message{alpn},
		want:    []string{"update_https_listener 0.0.0.0:443 alpn_protocols"},
	}, {
		name:    "UDP max flows patched in place",
		base:    []proto.Message{udpL(u53, true)},
		desired: []proto.Message{udpBig},
		want:    []string{"update_udp_listener 0.0.0.0:5353 max_flows"},
	}, {
		name:    "clearing the public address is a replace",
		base:    []proto.Message{pub, front(h80, "x.example.com", "/", "")},
		desired: []proto.Message{httpL(h80, true), front(h80, "x.example.com", "/", "")},
		want: []string{
			"deactivate_listener HTTP 0.0.0.0:80",
			"remove_http_frontend 0.0.0.0:80;x.example.com;P/ TREE -> (deny)",
			"remove_listener HTTP 0.0.0.0:80",
			"add_http_listener 0.0.0.0:80 active=false",
			"add_http_frontend 0.0.0.0:80;x.example.com;P/ TREE -> (deny)",
			"activate_listener HTTP 0.0.0.0:80",
		},
		actions: map[string]Action{`listener.http["0.0.0.0:80"]`: Replace},
		warning: "stops briefly",
	}, {
		name:    "answers are a replace (the main process ignores them in a patch)",
		base:    []proto.Message{httpL(h80, false)},
		desired: []proto.Message{withActive(answers, false)},
		want: []string{
			"remove_listener HTTP 0.0.0.0:80",
			"add_http_listener 0.0.0.0:80 active=false",
		},
	}, {
		name:    "TLS versions: full teardown and rebuild with certificates and frontends",
		base:    []proto.Message{httpsL(h443, true), cluster("api"), ca.on(h443), hfront(h443, "a.example.com", "/", "api")},
		desired: []proto.Message{tls13, cluster("api"), ca.on(h443), hfront(h443, "a.example.com", "/", "api"), hfront(h443, "a.example.com", "/v2", "api")},
		want: []string{
			"deactivate_listener HTTPS 0.0.0.0:443",
			"remove_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
			"remove_certificate 0.0.0.0:443 certA",
			"remove_listener HTTPS 0.0.0.0:443",
			"add_https_listener 0.0.0.0:443 active=false",
			"add_certificate 0.0.0.0:443 certA [a.example.com]",
			"add_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
			"add_https_frontend 0.0.0.0:443;a.example.com;P/v2 TREE -> api",
			"activate_listener HTTPS 0.0.0.0:443",
		},
		actions: map[string]Action{`listener.https["0.0.0.0:443"]`: Replace, `cluster.api.https_frontend["0.0.0.0:443;a.example.com;P/v2"]`: Create},
	}})
}

func TestGuarantee7Order(t *testing.T) {
	ca := tcert(t, "certA", "a.example.com")
	everything := []proto.Message{
		httpL(h80, true), httpsL(h443, true), tcpL(t54, false),
		cluster("api"), backend("api", "a1", "10.0.0.1:80", 100), backend("api", "a2", "10.0.0.2:80", 100),
		cluster("db"), backend("db", "d1", "10.0.2.1:5432", 100),
		ca.on(h443), front(h80, "api.example.com", "/", "api"), hfront(h443, "a.example.com", "/", "api"), tcpF("db", t54),
	}
	runCases(t, []planCase{{
		name:    "creation: listeners, clusters, backends, certificates, frontends, activations",
		desired: everything,
		want: []string{
			"add_http_listener 0.0.0.0:80 active=false",
			"add_https_listener 0.0.0.0:443 active=false",
			"add_tcp_listener 0.0.0.0:5432 active=false",
			"add_cluster api",
			"add_cluster db",
			"add_backend api a1 10.0.0.1:80",
			"add_backend api a2 10.0.0.2:80",
			"add_backend db d1 10.0.2.1:5432",
			"add_certificate 0.0.0.0:443 certA [a.example.com]",
			"add_http_frontend 0.0.0.0:80;api.example.com;P/ TREE -> api",
			"add_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
			"add_tcp_frontend db;0.0.0.0:5432",
			"activate_listener HTTP 0.0.0.0:80",
			"activate_listener HTTPS 0.0.0.0:443",
		},
	}, {
		name: "removal: deactivation, frontends, certificates, backends, clusters, listeners",
		base: everything,
		want: []string{
			"deactivate_listener HTTP 0.0.0.0:80",
			"deactivate_listener HTTPS 0.0.0.0:443",
			"remove_http_frontend 0.0.0.0:80;api.example.com;P/ TREE -> api",
			"remove_https_frontend 0.0.0.0:443;a.example.com;P/ TREE -> api",
			"remove_tcp_frontend db;0.0.0.0:5432",
			"remove_certificate 0.0.0.0:443 certA",
			"remove_backend api a1 10.0.0.1:80",
			"remove_backend api a2 10.0.0.2:80",
			"remove_backend db d1 10.0.2.1:5432",
			"remove_cluster api",
			"remove_cluster db",
			"remove_listener HTTP 0.0.0.0:80",
			"remove_listener HTTPS 0.0.0.0:443",
			"remove_listener TCP 0.0.0.0:5432",
		},
		warning: "configuration is empty",
	}})
}

var _ = state.KindCluster
