package applier

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sim"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func sa(s string) *sozupb.SocketAddress {
	a, err := state.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

// fixture is a simulator on a unix socket in a short temporary directory,
// which is also the checkpoint directory.
type fixture struct {
	sim    *sim.Simulator
	dir    string
	socket string
}

func startSim(t testing.TB, opts sim.Options) *fixture {
	t.Helper()
	return startSimIn(t, "", opts)
}

// startSimIn is startSim with the temporary directory made under parent
// ("" for the system's default).
func startSimIn(t testing.TB, parent string, opts sim.Options) *fixture {
	t.Helper()
	dir, err := os.MkdirTemp(parent, "ap")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s, err := sim.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	sock := filepath.Join(dir, "s.sock")
	ln, err := sim.Listen(sock)
	if err != nil {
		t.Fatal(err)
	}
	go s.Serve(ln)
	t.Cleanup(func() { s.Close() })
	return &fixture{sim: s, dir: dir, socket: sock}
}

func (f *fixture) opts(events *[]Event) Options {
	var mu sync.Mutex
	return Options{
		Socket:  f.socket,
		Timeout: 5 * time.Second,
		Command: "test",
		Events: func(e Event) {
			if events != nil {
				mu.Lock()
				*events = append(*events, e)
				mu.Unlock()
			}
		},
	}
}

// planTo returns a PlanFunc planning from the live state to desired.
func planTo(desired *state.State, opts planner.Options) PlanFunc {
	return func(_ context.Context, live *state.State) (*planner.Plan, error) {
		opts.Base = planner.Base{Source: planner.SourceLive}
		return planner.Compute(live, desired, opts)
	}
}

func mustApply(t testing.TB, s *state.State, reqs ...*sozupb.Request) {
	t.Helper()
	for _, r := range reqs {
		if err := s.Apply(r); err != nil {
			t.Fatalf("building a state: %v", err)
		}
	}
}

func httpListener(addr string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: state.NewHTTPListener(sa(addr))}}
}

func activate(addr string, p sozupb.ListenerType) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{
		Address: sa(addr), Proxy: p.Enum(), FromScm: proto.Bool(false)}}}
}

func clusterReq(id string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
		ClusterId: proto.String(id), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}}}
}

func backendReq(cid, bid, addr string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
		ClusterId: proto.String(cid), BackendId: proto.String(bid), Address: sa(addr),
		LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(100)},
	}}}
}

func frontReq(addr, host, cid string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
		Address: sa(addr), Hostname: proto.String(host), ClusterId: proto.String(cid),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/")},
		Position: sozupb.RulePosition_TREE.Enum(),
	}}}
}

// site returns a state with an active HTTP listener on :80 and, for each
// cluster, backends and one frontend.
func site(t testing.TB, clusters, backends int) *state.State {
	t.Helper()
	s := state.New()
	mustApply(t, s, httpListener("0.0.0.0:80"), activate("0.0.0.0:80", sozupb.ListenerType_HTTP))
	for c := 0; c < clusters; c++ {
		id := fmt.Sprintf("c%d", c)
		mustApply(t, s, clusterReq(id), frontReq("0.0.0.0:80", id+".example.com", id))
		for b := 0; b < backends; b++ {
			mustApply(t, s, backendReq(id, fmt.Sprintf("%s-b%d", id, b), fmt.Sprintf("10.%d.%d.%d:8080", c/250, c%250, b+1)))
		}
	}
	return s
}

var (
	certOnce sync.Once
	certPEM  string
	keyPEM   string
)

// testCert returns a self-signed certificate and its key (PEM).
func testCert(t testing.TB) (string, string) {
	certOnce.Do(func() {
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		if err != nil {
			panic(err)
		}
		tmpl := &x509.Certificate{
			SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "secure.example.com"},
			DNSNames:  []string{"secure.example.com"},
			NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(24 * time.Hour),
		}
		der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
		if err != nil {
			panic(err)
		}
		kd, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			panic(err)
		}
		certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
		keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
	})
	return certPEM, keyPEM
}

// withTLS adds an active HTTPS listener on :443 with a certificate and a
// frontend of cluster c0.
func withTLS(t testing.TB, s *state.State) *state.State {
	t.Helper()
	c, k := testCert(t)
	mustApply(t, s,
		&sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: state.NewHTTPSListener(sa("0.0.0.0:443"))}},
		&sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
			Address: sa("0.0.0.0:443"), Certificate: &sozupb.CertificateAndKey{Certificate: proto.String(c), Key: proto.String(k)}}}},
		activate("0.0.0.0:443", sozupb.ListenerType_HTTPS),
	)
	return s
}

// countFiles counts the files of dir whose names end with suffix.
func countFiles(t testing.TB, dir, suffix string) []string {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(dir, "*"+suffix))
	if err != nil {
		t.Fatal(err)
	}
	return m
}
