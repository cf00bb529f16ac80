package planner

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// renderPlan writes a plan as text for golden files: changes with their
// attributes, reasons and warnings, then requests with their change.
// Certificate values (random in tests) are shown by path only.
func renderPlan(p *Plan) string {
	var b strings.Builder
	fmt.Fprintf(&b, "summary: %+v\n", p.Summary)
	for _, w := range p.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	fmt.Fprintf(&b, "mass removal: %+v\n\nchanges:\n", p.MassRemoval)
	for _, c := range p.Changes {
		fmt.Fprintf(&b, "  %s %s (%s)\n", c.Action, c.Address, c.Kind)
		for _, r := range c.Reasons {
			fmt.Fprintf(&b, "    reason: %s\n", r)
		}
		for _, w := range c.Warnings {
			fmt.Fprintf(&b, "    warning: %s\n", w)
		}
		for _, a := range c.Attributes {
			switch {
			case a.Sensitive:
				fmt.Fprintf(&b, "    %s: (sensitive)\n", a.Path)
			case c.Kind == state.KindCertificate && strings.HasPrefix(a.Path, "certificate."):
				fmt.Fprintf(&b, "    %s: (certificate)\n", a.Path)
			default:
				fmt.Fprintf(&b, "    %s: %v -> %v\n", a.Path, a.Before, a.After)
			}
		}
	}
	b.WriteString("\nrequests:\n")
	for i, r := range p.Requests {
		fmt.Fprintf(&b, "  %2d. %s  [%s]\n", i+1, describe(r), p.Changes[p.RequestChange[i]].Address)
	}
	return b.String()
}

func TestGoldenPlans(t *testing.T) {
	ca := tcert(t, "certA", "a.example.com")
	ca2 := tcert(t, "certA2", "a.example.com")
	cb := tcert(t, "certB", "b.example.com")
	tls13 := httpsL("0.0.0.0:8443", true)
	tls13.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
	slow := httpL(h80, true)
	slow.FrontTimeout = proto.Uint32(120)
	lc := cluster("api")
	lc.LoadBalancing = sozupb.LoadBalancingAlgorithms_LEAST_LOADED.Enum()
	pre := front(h80, "api.example.com", "/", "api")
	pre.Position = sozupb.RulePosition_PRE.Enum()
	base := mk(t, httpL(h80, true), httpsL(h443, true), httpsL("0.0.0.0:8443", true), tcpL(t54, true),
		cluster("api"), cluster("db"), cluster("old"),
		backend("api", "a1", "10.0.0.1:80", 100), backend("api", "a2", "10.0.0.2:80", 100),
		backend("db", "d1", "10.0.2.1:5432", 100), backend("old", "o1", "10.0.9.1:80", 100),
		ca.on(h443), cb.on("0.0.0.0:8443"),
		pre, front(h80, "old.example.com", "/", "old"), hfront(h443, "a.example.com", "/", "api"),
		hfront("0.0.0.0:8443", "b.example.com", "/", "api"), tcpF("db", t54))
	desired := mk(t, slow, httpsL(h443, true), tls13, tcpL(t54, true), udpL(u53, true),
		lc, cluster("db2"), cluster("dns"),
		backend("api", "a1", "10.0.0.3:80", 100), backend("api", "a2", "10.0.0.2:80", 50), backend("api", "a3", "10.0.0.4:80", 100),
		backend("db2", "d1", "10.0.2.2:5432", 100), backend("dns", "n1", "10.0.3.1:53", 100),
		ca2.on(h443), cb.on("0.0.0.0:8443"),
		front(h80, "api.example.com", "/", "api"), hfront(h443, "a.example.com", "/", "api"),
		hfront("0.0.0.0:8443", "b.example.com", "/", "api"), tcpF("db2", t54), udpF("dns", u53))
	namer := func(k state.Kind, key string) string {
		if k == state.KindCertificate {
			addr, fp, _ := strings.Cut(key, ";")
			return fmt.Sprintf("certificate[%q]", addr+";"+fpLabel(fp))
		}
		return ""
	}
	for _, tc := range []struct {
		file string
		opts Options
	}{
		{"mixed.golden", Options{}},
		{"destroy.golden", Options{Destroy: true}},
		{"target.golden", Options{Targets: []string{"cluster.db2"}}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			tc.opts.Namer = namer
			p := mustPlan(t, base, desired, tc.opts)
			got := renderPlan(p)
			golden.CheckString(t, filepath.Join("testdata", tc.file), got)
			if len(tc.opts.Targets) == 0 && !tc.opts.Destroy {
				checkBothWays(t, base, desired, p)
			}
		})
	}
}
