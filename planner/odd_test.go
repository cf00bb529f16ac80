package planner

import (
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
			if _, err := Compute(pair[0], pair[1], opts); err != nil {
				t.Fatalf("pair %d, %+v: %v", i, opts, err)
			}
		}
	}
}
