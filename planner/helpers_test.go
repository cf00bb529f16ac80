package planner

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func sa(s string) *sozupb.SocketAddress {
	a, err := state.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func req(m proto.Message) *sozupb.Request {
	switch v := m.(type) {
	case *sozupb.HttpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: v}}
	case *sozupb.HttpsListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: v}}
	case *sozupb.TcpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: v}}
	case *sozupb.UdpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: v}}
	case *sozupb.Cluster:
		return addClusterRequest(v)
	case *sozupb.AddBackend:
		return addBackendRequest(v)
	case *sozupb.RequestTcpFrontend:
		return addFrontendRequest(state.KindTCPFrontend, v)
	case *sozupb.RequestUdpFrontend:
		return addFrontendRequest(state.KindUDPFrontend, v)
	case *sozupb.AddCertificate:
		return &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: v}}
	case httpsFront:
		return addFrontendRequest(state.KindHTTPSFrontend, v.RequestHttpFrontend)
	case *sozupb.RequestHttpFrontend:
		return addFrontendRequest(state.KindHTTPFrontend, v)
	}
	panic(fmt.Sprintf("req: %T", m))
}

// httpsFront marks a frontend for the HTTPS map.
type httpsFront struct{ *sozupb.RequestHttpFrontend }

// mk builds a state from objects, as Sōzu's main process would store them.
func mk(t testing.TB, objs ...proto.Message) *state.State {
	t.Helper()
	s := state.New()
	for _, o := range objs {
		if err := s.Apply(req(o)); err != nil {
			t.Fatalf("mk: %v", err)
		}
	}
	return s
}

func httpL(addr string, active bool) *sozupb.HttpListenerConfig {
	l := state.NewHTTPListener(sa(addr))
	l.Active = proto.Bool(active)
	return l
}

func httpsL(addr string, active bool) *sozupb.HttpsListenerConfig {
	l := state.NewHTTPSListener(sa(addr))
	l.Active = proto.Bool(active)
	return l
}

func tcpL(addr string, active bool) *sozupb.TcpListenerConfig {
	l := state.NewTCPListener(sa(addr))
	l.Active = proto.Bool(active)
	return l
}

func udpL(addr string, active bool) *sozupb.UdpListenerConfig {
	l := state.NewUDPListener(sa(addr))
	l.Active = proto.Bool(active)
	return l
}

func cluster(id string) *sozupb.Cluster {
	return &sozupb.Cluster{
		ClusterId: proto.String(id), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}
}

func backend(cid, bid, addr string, weight int32) *sozupb.AddBackend {
	return &sozupb.AddBackend{
		ClusterId: proto.String(cid), BackendId: proto.String(bid), Address: sa(addr),
		LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(weight)},
	}
}

func front(addr, host, prefix, cid string) *sozupb.RequestHttpFrontend {
	f := &sozupb.RequestHttpFrontend{
		Address: sa(addr), Hostname: proto.String(host),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String(prefix)},
		Position: sozupb.RulePosition_TREE.Enum(),
	}
	if cid != "" {
		f.ClusterId = proto.String(cid)
	}
	return f
}

func hfront(addr, host, prefix, cid string) httpsFront {
	return httpsFront{front(addr, host, prefix, cid)}
}

func tcpF(cid, addr string) *sozupb.RequestTcpFrontend {
	return &sozupb.RequestTcpFrontend{ClusterId: proto.String(cid), Address: sa(addr)}
}

func udpF(cid, addr string) *sozupb.RequestUdpFrontend {
	return &sozupb.RequestUdpFrontend{ClusterId: proto.String(cid), Address: sa(addr)}
}

// testCert is a self-signed certificate with its key.
type testCert struct {
	label, cert, key, fp string
}

var (
	certMu    sync.Mutex
	certCache = map[string]testCert{}
	certLabel = map[string]string{} // fingerprint → label
)

// tcert returns the certificate called label (one per label for the whole
// test binary), for the given DNS names.
func tcert(t testing.TB, label string, names ...string) testCert {
	certMu.Lock()
	defer certMu.Unlock()
	if c, ok := certCache[label]; ok {
		return c
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(int64(len(certCache) + 1)),
		Subject:      pkix.Name{CommonName: names[0]},
		DNSNames:     names,
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Duration(24+len(certCache)) * time.Hour),
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(der)
	c := testCert{
		label: label,
		cert:  string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		key:   string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd})),
		fp:    hex.EncodeToString(sum[:]),
	}
	certCache[label] = c
	certLabel[c.fp] = label
	return c
}

// on returns the AddCertificate of c on the listener at addr, with
// explicit names when names are given.
func (c testCert) on(addr string, names ...string) *sozupb.AddCertificate {
	return &sozupb.AddCertificate{Address: sa(addr), Certificate: &sozupb.CertificateAndKey{
		Certificate: proto.String(c.cert), Key: proto.String(c.key), Names: names,
	}}
}

func fpLabel(fp string) string {
	certMu.Lock()
	defer certMu.Unlock()
	if l, ok := certLabel[fp]; ok {
		return l
	}
	return fp
}

// describe renders a request on one line, for exact sequence assertions.
func describe(r *sozupb.Request) string {
	switch v := r.GetRequestType().(type) {
	case *sozupb.Request_AddHttpListener:
		return fmt.Sprintf("add_http_listener %s active=%v", state.FormatAddress(v.AddHttpListener.GetAddress()), v.AddHttpListener.GetActive())
	case *sozupb.Request_AddHttpsListener:
		return fmt.Sprintf("add_https_listener %s active=%v", state.FormatAddress(v.AddHttpsListener.GetAddress()), v.AddHttpsListener.GetActive())
	case *sozupb.Request_AddTcpListener:
		return fmt.Sprintf("add_tcp_listener %s active=%v", state.FormatAddress(v.AddTcpListener.GetAddress()), v.AddTcpListener.GetActive())
	case *sozupb.Request_AddUdpListener:
		return fmt.Sprintf("add_udp_listener %s active=%v", state.FormatAddress(v.AddUdpListener.GetAddress()), v.AddUdpListener.GetActive())
	case *sozupb.Request_ActivateListener:
		return fmt.Sprintf("activate_listener %s %s", v.ActivateListener.GetProxy(), state.FormatAddress(v.ActivateListener.GetAddress()))
	case *sozupb.Request_DeactivateListener:
		return fmt.Sprintf("deactivate_listener %s %s", v.DeactivateListener.GetProxy(), state.FormatAddress(v.DeactivateListener.GetAddress()))
	case *sozupb.Request_RemoveListener:
		return fmt.Sprintf("remove_listener %s %s", v.RemoveListener.GetProxy(), state.FormatAddress(v.RemoveListener.GetAddress()))
	case *sozupb.Request_UpdateHttpListener, *sozupb.Request_UpdateHttpsListener, *sozupb.Request_UpdateTcpListener, *sozupb.Request_UpdateUdpListener:
		return state.VerbName(r) + " " + patchFields(r)
	case *sozupb.Request_AddCluster:
		return "add_cluster " + v.AddCluster.GetClusterId()
	case *sozupb.Request_RemoveCluster:
		return "remove_cluster " + v.RemoveCluster
	case *sozupb.Request_AddBackend:
		return fmt.Sprintf("add_backend %s %s %s", v.AddBackend.GetClusterId(), v.AddBackend.GetBackendId(), state.FormatAddress(v.AddBackend.GetAddress()))
	case *sozupb.Request_RemoveBackend:
		return fmt.Sprintf("remove_backend %s %s %s", v.RemoveBackend.GetClusterId(), v.RemoveBackend.GetBackendId(), state.FormatAddress(v.RemoveBackend.GetAddress()))
	case *sozupb.Request_AddHttpFrontend:
		return "add_http_frontend " + frontText(v.AddHttpFrontend)
	case *sozupb.Request_RemoveHttpFrontend:
		return "remove_http_frontend " + frontText(v.RemoveHttpFrontend)
	case *sozupb.Request_AddHttpsFrontend:
		return "add_https_frontend " + frontText(v.AddHttpsFrontend)
	case *sozupb.Request_RemoveHttpsFrontend:
		return "remove_https_frontend " + frontText(v.RemoveHttpsFrontend)
	case *sozupb.Request_AddTcpFrontend:
		return "add_tcp_frontend " + state.TCPFrontendKey(v.AddTcpFrontend)
	case *sozupb.Request_RemoveTcpFrontend:
		return "remove_tcp_frontend " + state.TCPFrontendKey(v.RemoveTcpFrontend)
	case *sozupb.Request_AddUdpFrontend:
		return "add_udp_frontend " + state.UDPFrontendKey(v.AddUdpFrontend)
	case *sozupb.Request_RemoveUdpFrontend:
		return "remove_udp_frontend " + state.UDPFrontendKey(v.RemoveUdpFrontend)
	case *sozupb.Request_AddCertificate:
		c := v.AddCertificate.GetCertificate()
		fp, _ := state.CertificateFingerprint(c.GetCertificate())
		return fmt.Sprintf("add_certificate %s %s %v", state.FormatAddress(v.AddCertificate.GetAddress()), fpLabel(fp), c.GetNames())
	case *sozupb.Request_ReplaceCertificate:
		c := v.ReplaceCertificate.GetNewCertificate()
		fp, _ := state.CertificateFingerprint(c.GetCertificate())
		return fmt.Sprintf("replace_certificate %s %s->%s %v", state.FormatAddress(v.ReplaceCertificate.GetAddress()),
			fpLabel(v.ReplaceCertificate.GetOldFingerprint()), fpLabel(fp), c.GetNames())
	case *sozupb.Request_RemoveCertificate:
		return fmt.Sprintf("remove_certificate %s %s", state.FormatAddress(v.RemoveCertificate.GetAddress()), fpLabel(v.RemoveCertificate.GetFingerprint()))
	}
	return state.VerbName(r)
}

func frontText(f *sozupb.RequestHttpFrontend) string {
	s := state.RouteKey(f) + " " + f.GetPosition().String() + " -> "
	if f.ClusterId == nil {
		return s + "(deny)"
	}
	return s + f.GetClusterId()
}

// patchFields names the fields a listener patch sets, after its address.
func patchFields(r *sozupb.Request) string {
	m := r.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("request_type"))
	pm := m.Get(fd).Message()
	var addr string
	var names []string
	fds := pm.Descriptor().Fields()
	for i := 0; i < fds.Len(); i++ {
		f := fds.Get(i)
		if !pm.Has(f) {
			continue
		}
		if f.Name() == "address" {
			addr = state.FormatAddress(pm.Get(f).Message().Interface().(*sozupb.SocketAddress))
			continue
		}
		names = append(names, string(f.Name()))
	}
	return addr + " " + strings.Join(names, ",")
}

func describeAll(p *Plan) []string {
	out := make([]string, len(p.Requests))
	for i, r := range p.Requests {
		out[i] = describe(r)
	}
	return out
}

// replay applies the plan's requests to a copy of base with state.Apply:
// every request must be accepted and the result must equal want.
func replay(t testing.TB, base, want *state.State, p *Plan) {
	t.Helper()
	s := base.Clone()
	for i, r := range p.Requests {
		if err := s.Apply(r); err != nil {
			t.Fatalf("request %d (%s) rejected by the main process: %v", i+1, describe(r), err)
		}
	}
	if !s.Equal(want) {
		t.Fatalf("replayed state differs from the desired one:\n%s", stateDiff(s, want))
	}
}

func stateDiff(got, want *state.State) string {
	g, w := map[string]bool{}, map[string]bool{}
	for _, o := range got.Objects() {
		g[o.Kind.String()+" "+o.Key] = true
	}
	for _, o := range want.Objects() {
		w[o.Kind.String()+" "+o.Key] = true
	}
	var lines []string
	for k := range g {
		if !w[k] {
			lines = append(lines, "+ "+k)
		}
	}
	for k := range w {
		if !g[k] {
			lines = append(lines, "- "+k)
		}
	}
	sort.Strings(lines)
	if len(lines) == 0 {
		return "(same identities, different values)"
	}
	return strings.Join(lines, "\n")
}

// simRun is a simulator preloaded with a base, served on a unix socket,
// and a client connected to it.
type simRun struct {
	sim    *sim.Simulator
	client *sozu.Client
}

func startSim(t testing.TB, base *state.State) *simRun {
	t.Helper()
	s, err := sim.New(sim.Options{Preload: base})
	if err != nil {
		t.Fatal(err)
	}
	path := testsock.Path(t)
	ln, err := sim.Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	c, err := sozu.Dial(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &simRun{s, c}
}

// send sends the plan's requests one by one; every answer must be OK.
// check, when not nil, runs after each request.
func (r *simRun) send(t testing.TB, p *Plan, check func(i int)) {
	t.Helper()
	for i, q := range p.Requests {
		resp, err := r.client.Send(context.Background(), q, nil)
		if err != nil {
			t.Fatalf("request %d (%s): %v", i+1, describe(q), err)
		}
		if resp.GetStatus() != sozupb.ResponseStatus_OK {
			t.Fatalf("request %d (%s): %s %s", i+1, describe(q), resp.GetStatus(), resp.GetMessage())
		}
		if check != nil {
			check(i)
		}
	}
}

// expectWorkers checks that every worker routes as want implies.
func (r *simRun) expectWorkers(t testing.TB, want *state.State) {
	t.Helper()
	if !r.sim.MainState().Equal(want) {
		t.Fatalf("simulator main state differs from the desired one:\n%s", stateDiff(r.sim.MainState(), want))
	}
	exp := expectedRoutes(want)
	for i := 0; i < r.sim.Workers(); i++ {
		w := r.sim.Worker(i)
		got := routeStrings(w.Routes())
		if strings.Join(got, "\n") != strings.Join(exp, "\n") {
			t.Fatalf("worker %d routes:\n%s\nwant:\n%s", i, strings.Join(got, "\n"), strings.Join(exp, "\n"))
		}
		// The simulator says whether anything is bound at an address, of
		// any protocol: a state may hold an inactive listener beside an
		// active one of another protocol at one address (a --target plan
		// that adds the new one and leaves the old one alone).
		bound := map[string]bool{}
		for _, k := range listenerKinds {
			for addr, l := range listenerMap(want, k) {
				bound[addr] = bound[addr] || isActive(l)
			}
		}
		for _, k := range listenerKinds {
			for addr, l := range listenerMap(want, k) {
				if !w.HasListener(listenerType(k), addr) {
					t.Fatalf("worker %d lacks the %s listener %s", i, listenerType(k), addr)
				}
				if w.Bound(addr) != bound[addr] {
					t.Fatalf("worker %d: %s listener %s bound=%v, want %v (%v)", i, listenerType(k), addr, w.Bound(addr), bound[addr], l)
				}
			}
		}
		for addr := range want.TCPListeners {
			wantC, wantOK := l4Target(want.TCPFrontends, addr)
			c, ok := w.TCPRoute(addr)
			if c != wantC || ok != wantOK {
				t.Fatalf("worker %d: TCP %s routes to %q (%v), want %q (%v)", i, addr, c, ok, wantC, wantOK)
			}
		}
		for addr := range want.UDPListeners {
			wantC, wantOK := l4TargetU(want.UDPFrontends, addr)
			c, ok := w.UDPRoute(addr)
			if c != wantC || ok != wantOK {
				t.Fatalf("worker %d: UDP %s routes to %q (%v), want %q (%v)", i, addr, c, ok, wantC, wantOK)
			}
		}
		for cid, list := range want.Backends {
			var exp, got []string
			for _, b := range list {
				exp = append(exp, b.GetBackendId()+"@"+state.FormatAddress(b.GetAddress()))
			}
			for _, b := range w.Backends(cid) {
				got = append(got, b.ID+"@"+b.Address)
			}
			sort.Strings(exp)
			sort.Strings(got)
			if strings.Join(exp, ",") != strings.Join(got, ",") {
				t.Fatalf("worker %d: cluster %s backends %v, want %v", i, cid, got, exp)
			}
		}
		for addr := range want.HTTPSListeners {
			exp := map[string]string{}
			for fp, c := range want.Certificates[addr] {
				for _, n := range state.Normalize(c).GetNames() {
					exp[n] = fp
				}
			}
			got := w.Certificates(addr)
			if fmt.Sprint(sortedMap(got)) != fmt.Sprint(sortedMap(exp)) {
				t.Fatalf("worker %d: certificates on %s: %v, want %v", i, addr, got, exp)
			}
		}
	}
}

func sortedMap(m map[string]string) []string {
	var out []string
	for k, v := range m {
		out = append(out, k+"="+fpLabel(v))
	}
	sort.Strings(out)
	return out
}

func l4Target(m map[string][]*sozupb.RequestTcpFrontend, addr string) (string, bool) {
	for cid, list := range m {
		for _, f := range list {
			if state.FormatAddress(f.GetAddress()) == addr {
				return cid, true
			}
		}
	}
	return "", false
}

func l4TargetU(m map[string][]*sozupb.RequestUdpFrontend, addr string) (string, bool) {
	for cid, list := range m {
		for _, f := range list {
			if state.FormatAddress(f.GetAddress()) == addr {
				return cid, true
			}
		}
	}
	return "", false
}

func expectedRoutes(s *state.State) []string {
	var out []sim.Route
	add := func(proto string, m map[string]*sozupb.RequestHttpFrontend, listeners map[string]bool) {
		for _, f := range m {
			addr := state.FormatAddress(f.GetAddress())
			if !listeners[addr] {
				continue
			}
			path := f.GetPath()
			p := "P"
			switch path.GetKind() {
			case sozupb.PathRuleKind_REGEX:
				p = "R"
			case sozupb.PathRuleKind_EQUALS:
				p = "="
			}
			out = append(out, sim.Route{Protocol: proto, Address: addr, Position: f.GetPosition(),
				Hostname: strings.ToLower(f.GetHostname()), Path: p + path.GetValue(), Method: f.GetMethod(), Cluster: f.GetClusterId()})
		}
	}
	hl, sl := map[string]bool{}, map[string]bool{}
	for a := range s.HTTPListeners {
		hl[a] = true
	}
	for a := range s.HTTPSListeners {
		sl[a] = true
	}
	add("http", s.HTTPFrontends, hl)
	add("https", s.HTTPSFrontends, sl)
	return routeStrings(out)
}

func routeStrings(rs []sim.Route) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.String()
	}
	sort.Strings(out)
	return out
}

// mustPlan computes a plan and checks it both ways (state.Apply and the
// simulator), plus idempotence and determinism.
func mustPlan(t testing.TB, base, desired *state.State, opts Options) *Plan {
	t.Helper()
	p, err := Compute(base, desired, opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Requests) != len(p.RequestChange) {
		t.Fatalf("%d requests but %d request changes", len(p.Requests), len(p.RequestChange))
	}
	for i, c := range p.RequestChange {
		if c < 0 || c >= len(p.Changes) {
			t.Fatalf("request %d maps to change %d of %d", i+1, c, len(p.Changes))
		}
	}
	return p
}

// checkBothWays replays p on state.Apply and on a simulator.
func checkBothWays(t testing.TB, base, want *state.State, p *Plan) {
	t.Helper()
	replay(t, base, want, p)
	r := startSim(t, base)
	r.send(t, p, nil)
	r.expectWorkers(t, want)
}
