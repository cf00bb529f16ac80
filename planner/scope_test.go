package planner

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func TestScopeTargetsReplaceDestroy(t *testing.T) {
	legacy := []proto.Message{cluster("legacy-1"), backend("legacy-1", "l1", "10.9.0.1:80", 100)}
	web := []proto.Message{httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 100), front(h80, "web.example.com", "/", "web")}
	cat := func(parts ...[]proto.Message) []proto.Message {
		var out []proto.Message
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	runCases(t, []planCase{{
		name:    "manage clusters only: listeners are left alone",
		base:    []proto.Message{httpL(h80, true), tcpL(t54, true)},
		desired: []proto.Message{httpL("0.0.0.0:81", true), cluster("api")},
		opts:    Options{Manage: []string{"clusters"}},
		want:    []string{"add_cluster api"},
		aim:     []proto.Message{httpL(h80, true), tcpL(t54, true), cluster("api")},
	}, {
		name:    "ignore_clusters: matching clusters and their backends are not touched",
		base:    cat(web, legacy),
		desired: cat(web, []proto.Message{cluster("api")}),
		opts:    Options{IgnoreClusters: []string{"legacy-*"}},
		want:    []string{"add_cluster api"},
		aim:     cat(web, legacy, []proto.Message{cluster("api")}),
	}, {
		name:    "destroy removes everything in scope and nothing else",
		base:    cat(web, legacy),
		opts:    Options{Destroy: true, IgnoreClusters: []string{"legacy-*"}},
		desired: cat(web, legacy),
		want: []string{
			"deactivate_listener HTTP 0.0.0.0:80",
			"remove_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"remove_backend web w1 10.0.1.1:80",
			"remove_cluster web",
			"remove_listener HTTP 0.0.0.0:80",
		},
		aim: legacy,
	}, {
		name:    "target a new cluster: its listener comes along, other changes do not",
		base:    web,
		desired: cat([]proto.Message{httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 5), front(h80, "web.example.com", "/", "web")}, []proto.Message{httpL("0.0.0.0:8080", true), cluster("api"), backend("api", "a1", "10.0.0.1:80", 100), front("0.0.0.0:8080", "api.example.com", "/", "api")}),
		opts:    Options{Targets: []string{"cluster.api"}},
		want: []string{
			"add_http_listener 0.0.0.0:8080 active=false",
			"add_cluster api",
			"add_backend api a1 10.0.0.1:80",
			"add_http_frontend 0.0.0.0:8080;api.example.com;P/ TREE -> api",
			"activate_listener HTTP 0.0.0.0:8080",
		},
		aim: cat(web, []proto.Message{httpL("0.0.0.0:8080", true), cluster("api"), backend("api", "a1", "10.0.0.1:80", 100), front("0.0.0.0:8080", "api.example.com", "/", "api")}),
	}, {
		name:    "target a cluster that goes away: its backends and frontends go first",
		base:    cat(web, []proto.Message{cluster("old"), backend("old", "o1", "10.0.3.1:80", 100)}),
		desired: []proto.Message{httpL(h80, true)},
		opts:    Options{Targets: []string{"cluster.web"}},
		want: []string{
			"remove_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"remove_backend web w1 10.0.1.1:80",
			"remove_cluster web",
		},
		aim: []proto.Message{httpL(h80, true), cluster("old"), backend("old", "o1", "10.0.3.1:80", 100)},
	}, {
		name:    "replace an unchanged listener: rebuilt with its routes",
		base:    web,
		desired: web,
		opts:    Options{Replace: []string{`listener.http["0.0.0.0:80"]`}},
		want: []string{
			"deactivate_listener HTTP 0.0.0.0:80",
			"remove_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"remove_listener HTTP 0.0.0.0:80",
			"add_http_listener 0.0.0.0:80 active=false",
			"add_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"activate_listener HTTP 0.0.0.0:80",
		},
		actions: map[string]Action{`listener.http["0.0.0.0:80"]`: Replace},
	}, {
		name:    "replace an unchanged backend: removed then added",
		base:    web,
		desired: web,
		opts:    Options{Replace: []string{"cluster.web.backend.w1"}},
		want: []string{
			"remove_backend web w1 10.0.1.1:80",
			"add_backend web w1 10.0.1.1:80",
		},
	}, {
		name:    "replace an unchanged frontend",
		base:    web,
		desired: web,
		opts:    Options{Replace: []string{`cluster.web.http_frontend["0.0.0.0:80;web.example.com;P/"]`}},
		want: []string{
			"remove_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"add_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
		},
	}, {
		name: "a rebuilt listener takes back the frontends of ignored clusters",
		base: []proto.Message{httpsL(h443, true), cluster("legacy-1"), cluster("api"),
			hfront(h443, "old.example.com", "/", "legacy-1"), hfront(h443, "api.example.com", "/", "api")},
		desired: []proto.Message{tls13Listener(h443), cluster("api"), hfront(h443, "api.example.com", "/", "api")},
		opts:    Options{IgnoreClusters: []string{"legacy-*"}},
		want: []string{
			"deactivate_listener HTTPS 0.0.0.0:443",
			"remove_https_frontend 0.0.0.0:443;api.example.com;P/ TREE -> api",
			"remove_https_frontend 0.0.0.0:443;old.example.com;P/ TREE -> legacy-1",
			"remove_listener HTTPS 0.0.0.0:443",
			"add_https_listener 0.0.0.0:443 active=false",
			"add_https_frontend 0.0.0.0:443;api.example.com;P/ TREE -> api",
			"add_https_frontend 0.0.0.0:443;old.example.com;P/ TREE -> legacy-1",
			"activate_listener HTTPS 0.0.0.0:443",
		},
		aim: []proto.Message{tls13Listener(h443), cluster("legacy-1"), cluster("api"),
			hfront(h443, "old.example.com", "/", "legacy-1"), hfront(h443, "api.example.com", "/", "api")},
	}, {
		name:    "certificates not managed: a rebuilt listener gets the base's certificates back",
		base:    []proto.Message{httpsL(h443, true), tcert(t, "certA", "a.example.com").on(h443)},
		desired: []proto.Message{tls13Listener(h443), tcert(t, "certB", "b.example.com").on(h443)},
		opts:    Options{Manage: []string{"listeners", "clusters"}},
		want: []string{
			"deactivate_listener HTTPS 0.0.0.0:443",
			"remove_certificate 0.0.0.0:443 certA",
			"remove_listener HTTPS 0.0.0.0:443",
			"add_https_listener 0.0.0.0:443 active=false",
			"add_certificate 0.0.0.0:443 certA [a.example.com]",
			"activate_listener HTTPS 0.0.0.0:443",
		},
		aim: []proto.Message{tls13Listener(h443), tcert(t, "certA", "a.example.com").on(h443)},
	}, {
		name:    "replace of an object being created warns",
		base:    web,
		desired: cat(web, []proto.Message{cluster("api")}),
		opts:    Options{Replace: []string{"cluster.api"}},
		want:    []string{"add_cluster api"},
		warning: "--replace cluster.api names no object present in both",
	}})
}

// TestAddressErrors: a --target or --replace address that names no object
// of the base or the configuration is an error (a typo would otherwise plan
// nothing, or everything but what was meant), one *AddressError per address.
func TestAddressErrors(t *testing.T) {
	base := mk(t, httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 100))
	desired := mk(t, httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 5), cluster("api"))
	for _, tc := range []struct {
		name string
		opts Options
		bad  []string // "flag address" of each expected error; none: accepted
	}{
		{"target of a base object", Options{Targets: []string{"cluster.web"}}, nil},
		{"target of a configuration object", Options{Targets: []string{"cluster.api"}}, nil},
		{"target of a nested object", Options{Targets: []string{"cluster.web.backend.w1"}}, nil},
		{"target of a listener", Options{Targets: []string{`listener.http["0.0.0.0:80"]`}}, nil},
		{"unknown target", Options{Targets: []string{"cluster.nope"}}, []string{"--target cluster.nope"}},
		{"prefix that is not a parent", Options{Targets: []string{"cluster.we"}}, []string{"--target cluster.we"}},
		{"replace of an object", Options{Replace: []string{"cluster.web.backend.w1"}}, nil},
		{"replace of a parent address is not a replace", Options{Replace: []string{"cluster"}}, []string{"--replace cluster"}},
		{"unknown replace", Options{Replace: []string{"cluster.nope"}}, []string{"--replace cluster.nope"}},
		{"every bad address is named", Options{Targets: []string{"a", "cluster.web"}, Replace: []string{"b"}},
			[]string{"--target a", "--replace b"}},
		{"the namer's addresses count", Options{Targets: []string{"custom.web"},
			Namer: func(k state.Kind, key string) string {
				if k == state.KindCluster && key == "web" {
					return "custom.web"
				}
				return ""
			}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Compute(base, desired, tc.opts)
			if len(tc.bad) == 0 {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if err == nil || p != nil {
				t.Fatalf("plan %v, err %v: want an error", p, err)
			}
			var ae *AddressError
			if !errors.As(err, &ae) {
				t.Fatalf("%v is not an *AddressError", err)
			}
			for _, b := range tc.bad {
				if !strings.Contains(err.Error(), b+" names no object") {
					t.Errorf("%q does not say %q names no object", err, b)
				}
			}
			if n := strings.Count(err.Error(), "names no object"); n != len(tc.bad) {
				t.Errorf("%d addresses named in %q, want %d", n, err, len(tc.bad))
			}
		})
	}
}

// TestDerivedAddressOfNamedObject checks that an object the configuration
// names can also be selected by its derived address, the one `state list`
// prints from a state file alone: both spellings give the same plan.
func TestDerivedAddressOfNamedObject(t *testing.T) {
	base := mk(t, httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 100))
	desired := mk(t, httpL(h80, true), cluster("web"), backend("web", "w1", "10.0.1.1:80", 5), cluster("api"))
	namer := func(k state.Kind, key string) string {
		switch {
		case k == state.KindHTTPListener:
			return "listener.http.public"
		case k == state.KindCluster && key == "web":
			return "cluster.frontdoor"
		}
		return ""
	}
	var derived string
	for _, o := range base.Objects() {
		if o.Kind == state.KindCluster {
			derived = DerivedAddress(o.Kind, o.Key, o.Message)
		}
	}
	if derived == "" || derived == "cluster.frontdoor" {
		t.Fatalf("derived address of the cluster = %q", derived)
	}
	for _, tc := range []struct {
		name   string
		target string
		named  string
	}{
		{"cluster", derived, "cluster.frontdoor"},
		{"listener", `listener.http["0.0.0.0:80"]`, "listener.http.public"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			byDerived, err := Compute(base, desired, Options{Namer: namer, Targets: []string{tc.target}, Replace: []string{tc.target}})
			if err != nil {
				t.Fatalf("derived address %s: %v", tc.target, err)
			}
			byName, err := Compute(base, desired, Options{Namer: namer, Targets: []string{tc.named}, Replace: []string{tc.named}})
			if err != nil {
				t.Fatalf("named address %s: %v", tc.named, err)
			}
			if len(byDerived.Requests) == 0 || len(byDerived.Requests) != len(byName.Requests) {
				t.Fatalf("%d requests by derived address, %d by name", len(byDerived.Requests), len(byName.Requests))
			}
			for i := range byName.Requests {
				if !proto.Equal(byDerived.Requests[i], byName.Requests[i]) {
					t.Errorf("request %d differs: %v vs %v", i, byDerived.Requests[i], byName.Requests[i])
				}
			}
		})
	}
}

func TestMassRemoval(t *testing.T) {
	var base, desired []proto.Message
	base = append(base, cluster("api"))
	desired = append(desired, cluster("api"))
	for i := range 10 {
		b := backend("api", fmt.Sprintf("b%d", i), fmt.Sprintf("10.0.0.%d:80", i+1), 100)
		base = append(base, b)
		if i < 7 {
			desired = append(desired, b)
		}
	}
	for _, tc := range []struct {
		name     string
		desired  []proto.Message
		opts     Options
		exceeded bool
		removed  int
	}{
		{"30% is not more than 30%", desired, Options{}, false, 3},
		{"40% is", desired[:7], Options{}, true, 4},
		{"threshold as a percentage", desired[:7], Options{MassRemovalThreshold: 50}, false, 4},
		{"below the minimum", desired[:7], Options{MassRemovalMinimum: 11}, false, 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPlan(t, mk(t, base...), mk(t, tc.desired...), tc.opts)
			mr := p.MassRemoval
			if mr.Exceeded != tc.exceeded || mr.BackendsRemoved != tc.removed || mr.BackendsInScope != 10 {
				t.Fatalf("mass removal %+v, want exceeded=%v removed=%d of 10", mr, tc.exceeded, tc.removed)
			}
			if hasWarning(p, "mass removal") != tc.exceeded {
				t.Fatalf("mass-removal warning present=%v, want %v", !tc.exceeded, tc.exceeded)
			}
		})
	}
}

func TestOptionErrors(t *testing.T) {
	for _, opts := range []Options{
		{Manage: []string{"routes"}},
		{IgnoreClusters: []string{"[a-"}},
	} {
		_, err := Compute(nil, nil, opts)
		var oe *OptionError
		if !errors.As(err, &oe) {
			t.Fatalf("%+v: error %v, want an *OptionError", opts, err)
		}
	}
}

func TestNoChangesAndPlanFields(t *testing.T) {
	s := mk(t, httpL(h80, true), cluster("api"), backend("api", "a", "10.0.0.1:80", 1))
	p, err := Compute(s, s.Clone(), Options{Base: Base{Source: SourceState, Path: "state.json"}})
	if err != nil {
		t.Fatal(err)
	}
	if p.HasChanges() || len(p.Changes) != 0 || len(p.Warnings) != 0 {
		t.Fatalf("plan of a state against itself: %+v", p)
	}
	if p.FormatVersion != "1.0" || p.Base.Source != SourceState || p.Base.Path != "state.json" ||
		p.Base.Fingerprint != s.Fingerprint() || p.DesiredFingerprint != s.Fingerprint() {
		t.Fatalf("plan header: %+v", p)
	}
	empty, err := Compute(nil, nil, Options{})
	if err != nil || empty.HasChanges() || empty.Base.Source != SourceEmpty {
		t.Fatalf("empty plan: %+v, %v", empty, err)
	}
	if (*Plan)(nil).HasChanges() {
		t.Fatal("a nil plan has changes")
	}
}

func TestNamerAndAttributes(t *testing.T) {
	ca := tcert(t, "certA", "a.example.com")
	lc := cluster("api")
	lc.LoadBalancing = sozupb.LoadBalancingAlgorithms_RANDOM.Enum()
	base := mk(t, httpsL(h443, true), cluster("api"), backend("api", "a", "10.0.0.1:80", 1))
	desired := mk(t, httpsL(h443, true), lc, backend("api", "a", "10.0.0.1:80", 2), ca.on(h443))
	names := map[string]string{"api": "cluster.api", "api;a;10.0.0.1:80": "cluster.api.backend.a",
		state.CertificateKey(h443, ca.fp): "certificate.api"}
	p, err := Compute(base, desired, Options{Namer: func(k state.Kind, key string) string { return names[key] }})
	if err != nil {
		t.Fatal(err)
	}
	got := addresses(p)
	want := []string{"certificate.api create", "cluster.api update", "cluster.api.backend.a update"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Fatalf("changes %v, want %v", got, want)
	}
	if p.Summary != (Summary{Create: 1, Update: 2}) {
		t.Fatalf("summary %+v", p.Summary)
	}
	c := p.Changes[1]
	if len(c.Attributes) != 1 || c.Attributes[0].Path != "load_balancing" || c.Attributes[0].Before != "ROUND_ROBIN" || c.Attributes[0].After != "RANDOM" {
		t.Fatalf("cluster attributes %+v", c.Attributes)
	}
	b := p.Changes[2]
	if len(b.Attributes) != 1 || b.Attributes[0].Path != "load_balancing_parameters.weight" || b.Attributes[0].Before != int64(1) || b.Attributes[0].After != int64(2) {
		t.Fatalf("backend attributes %+v", b.Attributes)
	}
	for _, a := range p.Changes[0].Attributes {
		if a.Path == "certificate.key" {
			if !a.Sensitive || a.Before != nil || a.After != nil {
				t.Fatalf("the private key leaks into attributes: %+v", a)
			}
			return
		}
	}
	t.Fatal("no certificate.key attribute")
}

func TestDerivedAddress(t *testing.T) {
	for _, tc := range []struct {
		kind state.Kind
		key  string
		msg  proto.Message
		want string
	}{
		{state.KindHTTPSListener, h443, nil, `listener.https["0.0.0.0:443"]`},
		{state.KindCluster, "api", nil, "cluster.api"},
		{state.KindCluster, "a.b", nil, `cluster["a.b"]`},
		{state.KindBackend, "", backend("api", "api-1", "10.0.0.1:80", 1), "cluster.api.backend.api-1"},
		{state.KindHTTPFrontend, "0.0.0.0:80;x;P/", front(h80, "x", "/", ""), `http_frontend["0.0.0.0:80;x;P/"]`},
		{state.KindHTTPSFrontend, "k", hfront(h443, "x", "/", "api").RequestHttpFrontend, `cluster.api.https_frontend["k"]`},
		{state.KindTCPFrontend, "db;0.0.0.0:5432", tcpF("db", t54), `cluster.db.tcp_frontend["0.0.0.0:5432"]`},
		{state.KindCertificate, "0.0.0.0:443;ab", nil, `certificate["0.0.0.0:443;ab"]`},
	} {
		if got := DerivedAddress(tc.kind, tc.key, tc.msg); got != tc.want {
			t.Errorf("DerivedAddress(%s, %q) = %s, want %s", tc.kind, tc.key, got, tc.want)
		}
	}
	for _, tc := range []struct {
		target, addr string
		want         bool
	}{
		{"cluster.api", "cluster.api", true},
		{"cluster.api", "cluster.api.backend.a", true},
		{"cluster.api", `cluster.api.http_frontend["x"]`, true},
		{"cluster.api", "cluster.api2", false},
		{"cluster.api.backend.a", "cluster.api", false},
	} {
		if got := addressMatches(tc.target, tc.addr); got != tc.want {
			t.Errorf("addressMatches(%s, %s) = %v", tc.target, tc.addr, got)
		}
	}
}

func tls13Listener(addr string) *sozupb.HttpsListenerConfig {
	l := httpsL(addr, true)
	l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
	return l
}
