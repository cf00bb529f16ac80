package planner

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

var propertyRuns = flag.Int("planner.runs", 150, "random (base, desired) pairs checked by TestPropertyRandomPlans")

// genome holds the random choices a generated state is made of, by name,
// so that a mutated genome gives a state close to the original one.
type genome struct {
	rng *rand.Rand
	m   map[string]uint32
}

func newGenome(seed uint64) *genome {
	return &genome{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), m: map[string]uint32{}}
}

func (g *genome) n(mod int, name string, args ...any) int {
	key := fmt.Sprintf(name, args...)
	v, ok := g.m[key]
	if !ok {
		v = g.rng.Uint32()
		g.m[key] = v
	}
	return int(v % uint32(mod))
}

// mutate returns a genome that keeps each choice with probability 1-rate.
func (g *genome) mutate(seed uint64, rate float64) *genome {
	out := newGenome(seed)
	for k, v := range g.m {
		if out.rng.Float64() >= rate {
			out.m[k] = v
		}
	}
	return out
}

var (
	genHTTP  = []string{"0.0.0.0:80", "0.0.0.0:8080"}
	genHTTPS = []string{"0.0.0.0:443", "0.0.0.0:8443"}
	genTCP   = []string{"0.0.0.0:5432", "0.0.0.0:5433"}
	genUDP   = []string{"0.0.0.0:5353"}
	genHosts = []string{"a.example.com", "b.example.com", "c.example.com"}
	genPaths = []string{"/", "/api"}
)

// generate builds a valid state from a genome: frontends only on listeners
// of their protocol and on clusters that exist, unique backend addresses
// per cluster, one TCP/UDP frontend per listener, certificates only on
// HTTPS listeners with names unique per listener, lowercase hostnames.
func generate(t testing.TB, g *genome) *state.State {
	certs := []struct {
		c     testCert
		names []string
	}{
		{tcert(t, "certA", "a.example.com"), nil},
		{tcert(t, "certA2", "a.example.com"), nil},
		{tcert(t, "certB", "b.example.com"), nil},
		{tcert(t, "certC", "c.example.com", "www.c.example.com"), []string{"c.example.com"}},
		{tcert(t, "certD", "d.example.com"), nil},
	}
	var objs []proto.Message
	var https []string
	var httpL_, tcpL_, udpL_ []string
	for _, a := range genHTTP {
		if g.n(4, "L %s", a) == 0 {
			continue
		}
		l := httpL(a, g.n(3, "L %s active", a) != 0)
		l.FrontTimeout = proto.Uint32([]uint32{60, 90}[g.n(2, "L %s ft", a)])
		if g.n(4, "L %s pub", a) == 0 {
			l.PublicAddress = sa("192.0.2.1:80")
		}
		if g.n(6, "L %s answers", a) == 0 {
			l.Answers = map[string]string{"503": "HTTP/1.1 503 Busy\r\n\r\n"}
		}
		objs = append(objs, l)
		httpL_ = append(httpL_, a)
	}
	for _, a := range genHTTPS {
		if g.n(4, "L %s", a) == 0 {
			continue
		}
		l := httpsL(a, g.n(3, "L %s active", a) != 0)
		if g.n(5, "L %s versions", a) == 0 {
			l.Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
		}
		if g.n(4, "L %s alpn", a) == 0 {
			l.AlpnProtocols = []string{"http/1.1"}
		}
		if g.n(4, "L %s sticky", a) == 0 {
			l.StickyName = proto.String("SID")
		}
		objs = append(objs, l)
		https = append(https, a)
	}
	for _, a := range genTCP {
		if g.n(4, "L %s", a) == 0 {
			continue
		}
		l := tcpL(a, g.n(3, "L %s active", a) != 0)
		l.BackTimeout = proto.Uint32([]uint32{30, 45}[g.n(2, "L %s bt", a)])
		objs = append(objs, l)
		tcpL_ = append(tcpL_, a)
	}
	for _, a := range genUDP {
		if g.n(4, "L %s", a) == 0 {
			continue
		}
		l := udpL(a, g.n(3, "L %s active", a) != 0)
		l.MaxFlows = proto.Uint32([]uint32{0, 10}[g.n(2, "L %s flows", a)])
		objs = append(objs, l)
		udpL_ = append(udpL_, a)
	}
	// One address that may hold an HTTP or a TCP listener, never both.
	switch shared := "0.0.0.0:9000"; g.n(3, "L shared kind") {
	case 1:
		objs = append(objs, httpL(shared, g.n(3, "L shared active") != 0))
		httpL_ = append(httpL_, shared)
	case 2:
		objs = append(objs, tcpL(shared, g.n(3, "L shared active") != 0))
		tcpL_ = append(tcpL_, shared)
	}
	present := map[string]bool{}
	for ci := range 5 {
		id := fmt.Sprintf("c%d", ci)
		if g.n(4, "C %s", id) == 0 {
			continue
		}
		present[id] = true
		c := cluster(id)
		c.LoadBalancing = sozupb.LoadBalancingAlgorithms([]int32{0, 1, 2}[g.n(3, "C %s lb", id)]).Enum()
		if g.n(4, "C %s hc", id) == 0 {
			c.HealthCheck = &sozupb.HealthCheckConfig{Uri: proto.String("/health"), Interval: proto.Uint32(10), Timeout: proto.Uint32(5),
				HealthyThreshold: proto.Uint32(3), UnhealthyThreshold: proto.Uint32(3), ExpectedStatus: proto.Uint32(0)}
		}
		objs = append(objs, c)
		used := map[int]bool{}
		for bi := range 4 {
			if g.n(5, "B %s %d", id, bi) < 2 {
				continue
			}
			ai := g.n(5, "B %s %d addr", id, bi)
			if used[ai] {
				continue
			}
			used[ai] = true
			b := backend(id, fmt.Sprintf("b%d", bi), fmt.Sprintf("10.0.%d.%d:80", ci, ai+1), []int32{10, 100}[g.n(2, "B %s %d w", id, bi)])
			if g.n(5, "B %s %d backup", id, bi) == 0 {
				b.Backup = proto.Bool(true)
			}
			objs = append(objs, b)
		}
	}
	pickCluster := func(allowDeny bool, name string, args ...any) (string, bool) {
		i := g.n(6, name, args...)
		if i == 5 {
			return "", allowDeny
		}
		id := fmt.Sprintf("c%d", i)
		return id, present[id]
	}
	httpFront := func(a string, secure bool) {
		for _, h := range genHosts {
			for _, p := range genPaths {
				if g.n(3, "F %s %s %s", a, h, p) != 0 {
					continue
				}
				cid, ok := pickCluster(true, "F %s %s %s cluster", a, h, p)
				if !ok {
					continue
				}
				f := front(a, h, p, cid)
				f.Position = sozupb.RulePosition([]int32{0, 1, 2}[g.n(3, "F %s %s %s pos", a, h, p)]).Enum()
				if g.n(5, "F %s %s %s method", a, h, p) == 0 {
					f.Method = proto.String("GET")
				}
				if g.n(5, "F %s %s %s tags", a, h, p) == 0 {
					f.Tags = map[string]string{"team": "x"}
				}
				if secure {
					objs = append(objs, httpsFront{f})
				} else {
					objs = append(objs, f)
				}
			}
		}
	}
	for _, a := range httpL_ {
		httpFront(a, false)
	}
	for _, a := range https {
		httpFront(a, true)
		names := map[string]bool{}
		for i, c := range certs {
			if g.n(3, "K %s %d", a, i) != 0 {
				continue
			}
			var explicit []string
			if c.names != nil && g.n(2, "K %s %d names", a, i) == 0 {
				explicit = c.names
			}
			ac := c.c.on(a, explicit...)
			eff := state.Normalize(ac.GetCertificate()).GetNames()
			clash := false
			for _, n := range eff {
				clash = clash || names[n]
			}
			if clash {
				continue
			}
			for _, n := range eff {
				names[n] = true
			}
			objs = append(objs, ac)
		}
	}
	for _, a := range tcpL_ {
		if g.n(3, "T %s", a) == 0 {
			continue
		}
		if cid, ok := pickCluster(false, "T %s cluster", a); ok {
			objs = append(objs, tcpF(cid, a))
		}
	}
	for _, a := range udpL_ {
		if g.n(3, "U %s", a) == 0 {
			continue
		}
		if cid, ok := pickCluster(false, "U %s cluster", a); ok {
			objs = append(objs, udpF(cid, a))
		}
	}
	return mk(t, objs...)
}

// requestBytes encodes a plan's requests and change addresses, to compare
// two plans byte for byte.
func requestBytes(t testing.TB, p *Plan) []byte {
	var buf bytes.Buffer
	for _, r := range p.Requests {
		b, err := proto.MarshalOptions{Deterministic: true}.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
		buf.WriteByte(0)
	}
	for i, c := range p.Changes {
		fmt.Fprintf(&buf, "%s %s %s %d\n", c.Address, c.Action, c.Key, i)
	}
	fmt.Fprint(&buf, p.RequestChange)
	return buf.Bytes()
}

// TestPropertyRandomPlans plans random pairs of valid states and checks
// that (a) replaying the requests with state.Apply accepts every one and
// reaches the desired state, (b) a simulator preloaded with the base
// answers OK to every request and its workers end routing as the desired
// state says, never dropping, on the way, a route, TCP target or backend
// that stays, (c) planning the desired state against itself changes
// nothing and (d) planning twice gives the same bytes.
func TestPropertyRandomPlans(t *testing.T) {
	runs := *propertyRuns
	if testing.Short() {
		runs = 30
	}
	stats := map[Action]int{}
	for i := range runs {
		seed := uint64(i + 1)
		g := newGenome(seed)
		base := generate(t, g)
		var desired *state.State
		if i%4 == 0 {
			desired = generate(t, newGenome(seed+1_000_000))
		} else {
			desired = generate(t, g.mutate(seed+2_000_000, 0.15))
		}
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			p := mustPlan(t, base, desired, Options{})
			for _, c := range p.Changes {
				stats[c.Action]++
			}
			replay(t, base, desired, p)
			p2 := mustPlan(t, base, desired, Options{})
			if !bytes.Equal(requestBytes(t, p), requestBytes(t, p2)) {
				t.Fatal("two plans of the same inputs differ")
			}
			if again := mustPlan(t, desired, desired.Clone(), Options{}); again.HasChanges() {
				t.Fatalf("the desired state against itself plans %v", describeAll(again))
			}
			r := startSim(t, base)
			inv := newInvariants(base, desired, p)
			if err := inv.check(r); err != nil {
				t.Fatalf("before any request: %v", err)
			}
			r.send(t, p, func(n int) {
				if err := inv.check(r); err != nil {
					t.Fatalf("after request %d (%s): %v\nplan:\n%s", n+1, describe(p.Requests[n]), err, joinLines(describeAll(p)))
				}
			})
			r.expectWorkers(t, desired)
			if len(p.Changes) > 0 {
				checkTargeted(t, base, desired, p.Changes[int(seed)%len(p.Changes)].Address)
			}
			checkIgnored(t, base, desired, []string{"c1", "c[34]"}[seed%2:seed%2+1])
		})
	}
	t.Logf("changes by action over %d plans: %v", runs, stats)
	for _, a := range []Action{Create, Update, Replace, Delete} {
		if stats[a] == 0 {
			t.Errorf("the generator never produced a %s change", a)
		}
	}
}

func joinLines(l []string) string {
	var b bytes.Buffer
	for _, s := range l {
		b.WriteString("  " + s + "\n")
	}
	return b.String()
}

// invariants are what must hold on the workers after every request.
type invariants struct {
	// fresh lists, per address of a listener that starts (or restarts)
	// serving, the routes it must have from the moment it is bound.
	fresh    map[string][]string
	unbound  map[string]bool   // fresh addresses seen unbound during the run
	routes   []string          // HTTP(S) routes unchanged on listeners that are not replaced
	tcp      map[string]string // TCP listener address → cluster, unchanged
	backends map[string][]string
	serving  []string // clusters with backends before and after, none removed early
}

func newInvariants(base, want *state.State, p *Plan) *invariants {
	replaced := map[string]bool{}
	for _, c := range p.Changes {
		if isListener(c.Kind) && c.Action == Replace {
			replaced[c.Kind.String()+" "+c.Key] = true
		}
	}
	inv := &invariants{tcp: map[string]string{}, backends: map[string][]string{}}
	keep := state.New()
	for k, f := range base.HTTPFrontends {
		if w, ok := want.HTTPFrontends[k]; ok && effectiveEqual(f, w) && !replaced["http_listener "+state.FormatAddress(f.GetAddress())] &&
			base.HTTPListeners[state.FormatAddress(f.GetAddress())] != nil {
			keep.HTTPFrontends[k] = f
			keep.HTTPListeners[state.FormatAddress(f.GetAddress())] = base.HTTPListeners[state.FormatAddress(f.GetAddress())]
		}
	}
	for k, f := range base.HTTPSFrontends {
		if w, ok := want.HTTPSFrontends[k]; ok && effectiveEqual(f, w) && !replaced["https_listener "+state.FormatAddress(f.GetAddress())] &&
			base.HTTPSListeners[state.FormatAddress(f.GetAddress())] != nil {
			keep.HTTPSFrontends[k] = f
			keep.HTTPSListeners[state.FormatAddress(f.GetAddress())] = base.HTTPSListeners[state.FormatAddress(f.GetAddress())]
		}
	}
	inv.routes = expectedRoutes(keep)
	inv.fresh = map[string][]string{}
	inv.unbound = map[string]bool{}
	for _, k := range []state.Kind{state.KindHTTPListener, state.KindHTTPSListener} {
		bm, wm := listenerMap(base, k), listenerMap(want, k)
		for addr, wl := range wm {
			if !isActive(wl) || (bm[addr] != nil && isActive(bm[addr]) && !replaced[k.String()+" "+addr]) {
				continue
			}
			only := state.New()
			if k == state.KindHTTPListener {
				only.HTTPListeners[addr] = want.HTTPListeners[addr]
				for key, f := range want.HTTPFrontends {
					if state.FormatAddress(f.GetAddress()) == addr {
						only.HTTPFrontends[key] = f
					}
				}
			} else {
				only.HTTPSListeners[addr] = want.HTTPSListeners[addr]
				for key, f := range want.HTTPSFrontends {
					if state.FormatAddress(f.GetAddress()) == addr {
						only.HTTPSFrontends[key] = f
					}
				}
			}
			inv.fresh[addr] = expectedRoutes(only)
		}
	}
	for addr := range base.TCPListeners {
		if replaced["tcp_listener "+addr] || want.TCPListeners[addr] == nil {
			continue
		}
		bc, bok := l4Target(base.TCPFrontends, addr)
		wc, wok := l4Target(want.TCPFrontends, addr)
		if bok && wok && bc == wc {
			inv.tcp[addr] = bc
		}
	}
	for cid, list := range base.Backends {
		if len(list) == 0 || len(want.Backends[cid]) == 0 {
			continue
		}
		early := false
		wantAddr := map[string]string{}
		for _, b := range want.Backends[cid] {
			wantAddr[state.FormatAddress(b.GetAddress())] = state.BackendKey(b)
		}
		for _, b := range list {
			if k, ok := wantAddr[state.FormatAddress(b.GetAddress())]; ok && k != state.BackendKey(b) {
				early = true
			}
		}
		if !early {
			inv.serving = append(inv.serving, cid)
		}
	}
	for cid, list := range base.Backends {
		removedAddr := map[string]bool{}
		wantKeys := map[string]bool{}
		for _, b := range want.Backends[cid] {
			wantKeys[state.BackendKey(b)] = true
		}
		for _, b := range list {
			if !wantKeys[state.BackendKey(b)] {
				removedAddr[state.FormatAddress(b.GetAddress())] = true
			}
		}
		for _, b := range list {
			a := state.FormatAddress(b.GetAddress())
			if wantKeys[state.BackendKey(b)] && !removedAddr[a] {
				inv.backends[cid] = append(inv.backends[cid], b.GetBackendId()+"@"+a)
			}
		}
	}
	return inv
}

func (inv *invariants) check(r *simRun) error {
	w := r.sim.Worker(0)
	have := map[string]bool{}
	for _, s := range routeStrings(w.Routes()) {
		have[s] = true
	}
	for _, s := range inv.routes {
		if !have[s] {
			return fmt.Errorf("route %s, which stays, is gone from the worker", s)
		}
	}
	for addr, routes := range inv.fresh {
		if !w.Bound(addr) {
			inv.unbound[addr] = true
			continue
		}
		if !inv.unbound[addr] {
			continue // still the listener of the base
		}
		for _, s := range routes {
			if !have[s] {
				return fmt.Errorf("listener %s is bound before its route %s", addr, s)
			}
		}
	}
	for addr, c := range inv.tcp {
		if got, ok := w.TCPRoute(addr); !ok || got != c {
			return fmt.Errorf("TCP listener %s routes to %q (%v), but keeps routing to %s", addr, got, ok, c)
		}
	}
	for _, cid := range inv.serving {
		if len(w.Backends(cid)) == 0 {
			return fmt.Errorf("cluster %s, which keeps serving, has no backend on the worker", cid)
		}
	}
	for cid, keep := range inv.backends {
		have := map[string]bool{}
		for _, b := range w.Backends(cid) {
			have[b.ID+"@"+b.Address] = true
		}
		for _, b := range keep {
			if !have[b] {
				return fmt.Errorf("backend %s of %s, which stays, is gone from the worker", b, cid)
			}
		}
	}
	return nil
}

// checkTargeted plans a --target of one address: the targeted change must
// be in the plan, every request must be accepted by the main process and
// the simulator's workers, and the workers must end routing as the main
// process's resulting state says.
func checkTargeted(t *testing.T, base, desired *state.State, target string) {
	t.Helper()
	p := mustPlan(t, base, desired, Options{Targets: []string{target}})
	found := false
	for _, c := range p.Changes {
		found = found || addressMatches(target, c.Address)
	}
	if !found {
		t.Fatalf("--target %s: the change is not in the plan", target)
	}
	got := base.Clone()
	for i, q := range p.Requests {
		if err := got.Apply(q); err != nil {
			t.Fatalf("--target %s: request %d (%s) rejected: %v", target, i+1, describe(q), err)
		}
	}
	r := startSim(t, base)
	r.send(t, p, nil)
	r.expectWorkers(t, got)
}

// checkIgnored plans with ignore_clusters: the plan must reach the base's
// objects of the ignored clusters plus the desired state's others (computed
// here on its own), and the workers must agree.
func checkIgnored(t *testing.T, base, desired *state.State, patterns []string) {
	t.Helper()
	ignored := func(o state.Object) bool {
		var cid string
		switch m := o.Message.(type) {
		case *sozupb.Cluster:
			cid = m.GetClusterId()
		case *sozupb.AddBackend:
			cid = m.GetClusterId()
		case *sozupb.RequestHttpFrontend:
			if m.ClusterId == nil {
				return false
			}
			cid = m.GetClusterId()
		case *sozupb.RequestTcpFrontend:
			cid = m.GetClusterId()
		case *sozupb.RequestUdpFrontend:
			cid = m.GetClusterId()
		default:
			return false
		}
		return cid == "c1" && patterns[0] == "c1" || (cid == "c3" || cid == "c4") && patterns[0] == "c[34]"
	}
	aim := state.New()
	seen := map[string]bool{}
	for _, o := range base.Objects() {
		if ignored(o) {
			putObject(aim, o)
			seen[o.Kind.String()+o.Key] = true
		}
	}
	for _, o := range desired.Objects() {
		if !ignored(o) && !seen[o.Kind.String()+o.Key] {
			putObject(aim, o)
		}
	}
	// Two TCP/UDP frontends on one address (an ignored one kept, a new one
	// added) route to whichever came last: no plan can say which.
	for _, m := range []map[string]int{l4Count(aim.TCPFrontends), l4Count(aim.UDPFrontends)} {
		for _, n := range m {
			if n > 1 {
				return
			}
		}
	}
	p := mustPlan(t, base, desired, Options{IgnoreClusters: patterns})
	replay(t, base, aim, p)
	r := startSim(t, base)
	r.send(t, p, nil)
	r.expectWorkers(t, aim)
}

func l4Count[F interface{ GetAddress() *sozupb.SocketAddress }](m map[string][]F) map[string]int {
	out := map[string]int{}
	for _, list := range m {
		for _, f := range list {
			out[state.FormatAddress(f.GetAddress())]++
		}
	}
	return out
}
