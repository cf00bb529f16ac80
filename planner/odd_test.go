package planner

import (
	"errors"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// TestOddInputs plans states that no configuration produces (zero
// states, objects with missing fields, an unparsable certificate, a
// certificate map under a bad address): Compute must not panic.
func TestOddInputs(t *testing.T) {
	odd := state.New()
	odd.HTTPFrontends["k"] = &sozupb.RequestHttpFrontend{}
	odd.HTTPSFrontends["k2"] = &sozupb.RequestHttpFrontend{ClusterId: proto.String("x")}
	odd.Backends["c"] = []*sozupb.AddBackend{{}}
	odd.TCPFrontends["c"] = []*sozupb.RequestTcpFrontend{{}}
	odd.UDPFrontends["c"] = []*sozupb.RequestUdpFrontend{{}}
	odd.Clusters["c"] = &sozupb.Cluster{}
	odd.HTTPListeners["0.0.0.0:1"] = &sozupb.HttpListenerConfig{}
	odd.HTTPSListeners["0.0.0.0:2"] = &sozupb.HttpsListenerConfig{}
	odd.Certificates["not an address"] = map[string]*sozupb.CertificateAndKey{"ab": {Certificate: proto.String("junk")}}
	odd.Certificates["0.0.0.0:2"] = map[string]*sozupb.CertificateAndKey{"cd": {Certificate: proto.String("junk")}}
	other := odd.Clone()
	other.HTTPListeners["0.0.0.0:1"].FrontTimeout = proto.Uint32(5)
	other.HTTPSListeners["0.0.0.0:2"].Versions = []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}
	other.Certificates["0.0.0.0:2"] = map[string]*sozupb.CertificateAndKey{"ef": {Certificate: proto.String("other junk")}}
	pairs := [][2]*state.State{
		{&state.State{}, &state.State{}},
		{nil, odd}, {odd, nil}, {odd, other}, {other, odd}, {&state.State{}, odd},
	}
	for i, pair := range pairs {
		for _, opts := range []Options{{}, {Destroy: true}, {Targets: []string{"cluster.c"}}, {Replace: []string{`listener.https["0.0.0.0:2"]`}},
			{Manage: []string{"certificates"}, IgnoreClusters: []string{"*"}}} {
			var ce *CertificateError
			var ae *AddressError
			if _, err := Compute(pair[0], pair[1], opts); err != nil && !errors.As(err, &ce) && !errors.As(err, &ae) {
				t.Fatalf("pair %d, %+v: %v", i, opts, err)
			}
		}
	}
}

// TestCertificateChecks: a certificate the plan would send is checked
// first, since Sōzu's main process drops the old one of a rejected
// ReplaceCertificate and keeps a certificate its workers refuse.
func TestCertificateChecks(t *testing.T) {
	a := tcert(t, "certA", "a.example.com")
	a2 := tcert(t, "certA2", "a.example.com")
	b := tcert(t, "certB", "b.example.com")
	wrongKey := a2.on(h443)
	wrongKey.Certificate.Key = proto.String(b.key)
	noKey := b.on(h443)
	noKey.Certificate.Key = proto.String("")
	base := mk(t, httpsL(h443, true), a.on(h443))
	for _, tc := range []struct {
		name   string
		cert   *sozupb.AddCertificate
		reason string
	}{
		{"rotation to a certificate with another's key", wrongKey, "does not match"},
		{"new certificate without a key", noKey, "missing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			desired := mk(t, httpsL(h443, true), tc.cert)
			p, err := Compute(base, desired, Options{})
			var ce *CertificateError
			if !errors.As(err, &ce) || p != nil {
				t.Fatalf("Compute = %v, %v; want a *CertificateError and no plan", p, err)
			}
			if !strings.Contains(ce.Reason, tc.reason) || strings.Contains(err.Error(), "PRIVATE KEY") {
				t.Fatalf("error %q", err)
			}
		})
	}
	if _, err := Compute(base, mk(t, httpsL(h443, true), a2.on(h443)), Options{}); err != nil {
		t.Fatalf("a good rotation: %v", err)
	}
}
