package state

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// describe renders a request as its verb and the identity it names.
func describe(r *sozupb.Request) string {
	verb := VerbName(r)
	switch v := r.GetRequestType().(type) {
	case *sozupb.Request_AddHttpListener:
		return verb + " " + FormatAddress(v.AddHttpListener.GetAddress())
	case *sozupb.Request_AddHttpsListener:
		return verb + " " + FormatAddress(v.AddHttpsListener.GetAddress())
	case *sozupb.Request_AddTcpListener:
		return verb + " " + FormatAddress(v.AddTcpListener.GetAddress())
	case *sozupb.Request_AddUdpListener:
		return verb + " " + FormatAddress(v.AddUdpListener.GetAddress())
	case *sozupb.Request_ActivateListener:
		return verb + " " + v.ActivateListener.GetProxy().String() + " " + FormatAddress(v.ActivateListener.GetAddress())
	case *sozupb.Request_AddCluster:
		return verb + " " + v.AddCluster.GetClusterId()
	case *sozupb.Request_AddHttpFrontend:
		return verb + " " + RouteKey(v.AddHttpFrontend)
	case *sozupb.Request_AddHttpsFrontend:
		return verb + " " + RouteKey(v.AddHttpsFrontend)
	case *sozupb.Request_AddCertificate:
		fp, _ := CertificateFingerprint(v.AddCertificate.GetCertificate().GetCertificate())
		exp := ""
		if v.AddCertificate.ExpiredAt != nil {
			exp = " expired_at"
		}
		return verb + " " + FormatAddress(v.AddCertificate.GetAddress()) + " " + fp[:12] + " " + strings.Join(v.AddCertificate.GetCertificate().GetNames(), ",") + exp
	case *sozupb.Request_AddTcpFrontend:
		return verb + " " + TCPFrontendKey(v.AddTcpFrontend)
	case *sozupb.Request_AddUdpFrontend:
		return verb + " " + UDPFrontendKey(v.AddUdpFrontend)
	case *sozupb.Request_AddBackend:
		return verb + " " + BackendKey(v.AddBackend)
	}
	return verb
}

// sampleState is a small state with every kind of object.
func sampleState(t *testing.T) *State {
	pemText, err := os.ReadFile(filepath.Join("testdata", "sample-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	active := func(l *sozupb.HttpListenerConfig) *sozupb.HttpListenerConfig { l.Active = proto.Bool(true); return l }
	var reqs []*sozupb.Request
	reqs = append(reqs,
		req(NewUDPListener(mustAddr(t, "0.0.0.0:53"))),
		req(NewHTTPSListener(mustAddr(t, "[::]:443"))),
		req(NewHTTPSListener(mustAddr(t, "0.0.0.0:443"))),
		req(active(NewHTTPListener(mustAddr(t, "[::]:80")))),
		req(active(NewHTTPListener(mustAddr(t, "10.0.0.1:80")))),
		req(active(NewHTTPListener(mustAddr(t, "9.0.0.1:8080")))),
		req(NewTCPListener(mustAddr(t, "0.0.0.0:5432"))),
		req(backend(t, "web", "w2", "10.1.0.2:80")),
		req(backend(t, "api", "a1", "[::1]:80")),
		req(backend(t, "api", "a1", "10.1.0.1:80")),
		req(cluster("web")), req(cluster("api")), req(cluster("db")),
		addUDPFront(udpFront(t, "dns", "0.0.0.0:53", nil)),
		addTCPFront(tcpFront(t, "db", "0.0.0.0:5432", map[string]string{"b": "2", "a": "1"})),
		addHTTPSFront(httpFront(t, "0.0.0.0:443", "sample.example", "/", "web")),
		addHTTPFront(httpFront(t, "[::]:80", "b.example", "/", "web")),
		addHTTPFront(httpFront(t, "10.0.0.1:80", "a.example", "/api", "api")),
		req(&sozupb.AddCertificate{Address: mustAddr(t, "0.0.0.0:443"), ExpiredAt: proto.Int64(99),
			Certificate: &sozupb.CertificateAndKey{Certificate: proto.String(string(pemText)), Key: proto.String("secret")}}),
	)
	s, err := FromRequests(reqs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestRequestsOrderGolden(t *testing.T) {
	var b strings.Builder
	for _, r := range sampleState(t).Requests() {
		b.WriteString(describe(r))
		b.WriteByte('\n')
	}
	golden.CheckString(t, filepath.Join("testdata", "requests.golden"), b.String())
}

func TestObjectsGolden(t *testing.T) {
	s := sampleState(t)
	objects := s.Objects()
	if len(objects) != s.Len() {
		t.Fatalf("Objects: %d, Len: %d", len(objects), s.Len())
	}
	var b strings.Builder
	for i, o := range objects {
		if i > 0 {
			p := objects[i-1]
			if p.Kind > o.Kind || (p.Kind == o.Kind && p.Key > o.Key) {
				t.Errorf("not sorted at %d: %s %s after %s %s", i, o.Kind, o.Key, p.Kind, p.Key)
			}
		}
		if ac, ok := o.Message.(*sozupb.AddCertificate); ok && ac.ExpiredAt != nil {
			t.Error("certificate object carries expired_at")
		}
		b.WriteString(o.Kind.String() + " " + o.Key + "\n")
	}
	b.WriteString(s.Fingerprint() + "\n")
	golden.CheckString(t, filepath.Join("testdata", "objects.golden"), b.String())
}

func TestKindString(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Kinds() {
		n := k.String()
		if n == "unknown" || seen[n] {
			t.Errorf("kind %d: %q", k, n)
		}
		seen[n] = true
	}
	if len(seen) != 11 || Kind(99).String() != "unknown" {
		t.Errorf("%d kinds", len(seen))
	}
}
