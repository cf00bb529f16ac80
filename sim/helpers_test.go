package sim

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testcert"
	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// harness is a simulator served on a unix socket in a short temporary
// directory, with one client connected.
type harness struct {
	t    testing.TB
	sim  *Simulator
	path string
	c    *sozu.Client
}

func start(t testing.TB, opts Options) *harness {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	path := filepath.Join(testsock.Dir(t), "s.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	h := &harness{t: t, sim: s, path: path}
	h.c = h.dial()
	return h
}

func (h *harness) dial() *sozu.Client {
	h.t.Helper()
	c, err := sozu.Dial(context.Background(), h.path, sozu.WithTimeout(5*time.Second))
	if err != nil {
		h.t.Fatalf("Dial: %v", err)
	}
	h.t.Cleanup(func() { c.Close() })
	return c
}

// send sends req and returns the PROCESSING answers, the terminal answer and
// the client's error (a *sozu.FailureError for FAILURE).
func (h *harness) send(req *sozupb.Request) (proc []*sozupb.Response, resp *sozupb.Response, err error) {
	resp, err = h.c.Send(context.Background(), req, func(r *sozupb.Response) { proc = append(proc, r) })
	return proc, resp, err
}

// ok sends req and fails the test unless the answer is OK.
func (h *harness) ok(req *sozupb.Request) *sozupb.Response {
	h.t.Helper()
	_, resp, err := h.send(req)
	if err != nil {
		h.t.Fatalf("%s: %v", sozu.Verb(req), err)
	}
	return resp
}

// fail sends req, fails the test unless the answer is FAILURE, and returns
// the number of PROCESSING answers before it and the failure's message.
func (h *harness) fail(req *sozupb.Request) (int, string) {
	h.t.Helper()
	proc, resp, err := h.send(req)
	var fe *sozu.FailureError
	if !errors.As(err, &fe) {
		h.t.Fatalf("%s: want FAILURE, got %v (answer %v)", sozu.Verb(req), err, resp)
	}
	return len(proc), resp.GetMessage()
}

func addr(s string) *sozupb.SocketAddress {
	a, err := state.ParseAddress(s)
	if err != nil {
		panic(err)
	}
	return a
}

func cluster(id string) *sozupb.Cluster {
	return &sozupb.Cluster{
		ClusterId:     proto.String(id),
		StickySession: proto.Bool(false),
		HttpsRedirect: proto.Bool(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}
}

func addCluster(id string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: cluster(id)}}
}

func removeCluster(id string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: id}}
}

func addHTTPListener(a string, active bool) *sozupb.Request {
	l := state.NewHTTPListener(addr(a))
	l.Active = proto.Bool(active)
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: l}}
}

func addHTTPSListener(a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: state.NewHTTPSListener(addr(a))}}
}

func addTCPListener(a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: state.NewTCPListener(addr(a))}}
}

func addUDPListener(a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: state.NewUDPListener(addr(a))}}
}

func activate(a string, p sozupb.ListenerType) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{
		Address: addr(a), Proxy: p.Enum(), FromScm: proto.Bool(false),
	}}}
}

func deactivate(a string, p sozupb.ListenerType) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_DeactivateListener{DeactivateListener: &sozupb.DeactivateListener{
		Address: addr(a), Proxy: p.Enum(), ToScm: proto.Bool(false),
	}}}
}

func removeListener(a string, p sozupb.ListenerType) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveListener{RemoveListener: &sozupb.RemoveListener{
		Address: addr(a), Proxy: p.Enum(),
	}}}
}

func front(a, host, path, clusterID string, pos sozupb.RulePosition) *sozupb.RequestHttpFrontend {
	f := &sozupb.RequestHttpFrontend{
		Address:  addr(a),
		Hostname: proto.String(host),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String(path)},
		Position: pos.Enum(),
	}
	if clusterID != "" {
		f.ClusterId = proto.String(clusterID)
	}
	return f
}

func addHTTPFront(f *sozupb.RequestHttpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: f}}
}

func removeHTTPFront(f *sozupb.RequestHttpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveHttpFrontend{RemoveHttpFrontend: f}}
}

func addHTTPSFront(f *sozupb.RequestHttpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: f}}
}

func tcpFront(clusterID, a string) *sozupb.RequestTcpFrontend {
	return &sozupb.RequestTcpFrontend{ClusterId: proto.String(clusterID), Address: addr(a)}
}

func addTCPFront(clusterID, a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: tcpFront(clusterID, a)}}
}

func removeTCPFront(clusterID, a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveTcpFrontend{RemoveTcpFrontend: tcpFront(clusterID, a)}}
}

func addUDPFront(clusterID, a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: &sozupb.RequestUdpFrontend{
		ClusterId: proto.String(clusterID), Address: addr(a),
	}}}
}

func addBackend(clusterID, id, a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
		ClusterId: proto.String(clusterID), BackendId: proto.String(id), Address: addr(a),
	}}}
}

func removeBackend(clusterID, id, a string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveBackend{RemoveBackend: &sozupb.RemoveBackend{
		ClusterId: proto.String(clusterID), BackendId: proto.String(id), Address: addr(a),
	}}}
}

// testCert is a self-signed certificate with its key, in PEM, and its
// fingerprint.
type testCert struct {
	cert, key, fingerprint string
}

func newCert(t testing.TB, names ...string) testCert {
	t.Helper()
	c, err := testcert.SelfSigned(names...)
	if err != nil {
		t.Fatal(err)
	}
	return testCert{cert: c.CertPEM, key: c.KeyPEM, fingerprint: fingerprint(c.Parsed)}
}

func (c testCert) and(names ...string) *sozupb.CertificateAndKey {
	return &sozupb.CertificateAndKey{Certificate: proto.String(c.cert), Key: proto.String(c.key), Names: names}
}

func addCert(a string, ck *sozupb.CertificateAndKey) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
		Address: addr(a), Certificate: ck,
	}}}
}

func replaceCert(a string, ck *sozupb.CertificateAndKey, old string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_ReplaceCertificate{ReplaceCertificate: &sozupb.ReplaceCertificate{
		Address: addr(a), NewCertificate: ck, OldFingerprint: proto.String(old),
	}}}
}

func removeCert(a, fp string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveCertificate{RemoveCertificate: &sozupb.RemoveCertificate{
		Address: addr(a), Fingerprint: proto.String(fp),
	}}}
}

func hashesReq() *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_QueryClustersHashes{QueryClustersHashes: &sozupb.QueryClustersHashes{}}}
}

// hashes sends QueryClustersHashes and returns its entries by process.
func (h *harness) hashes() map[string]map[string]uint64 {
	h.t.Helper()
	resp := h.ok(hashesReq())
	out := map[string]map[string]uint64{}
	for k, v := range resp.GetContent().GetWorkerResponses().GetMap() {
		out[k] = v.GetClusterHashes().GetMap()
	}
	return out
}
