package state

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// testCert returns a self-signed PEM certificate with the given common
// name, DNS SANs and IP SANs.
func testCert(t testing.TB, cn string, dns []string, ips []net.IP) string {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: cn},
		NotBefore:    time.Unix(0, 0),
		NotAfter:     time.Unix(4000000000, 0),
		DNSNames:     dns,
		IPAddresses:  ips,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
}

func req(m proto.Message) *sozupb.Request {
	r := &sozupb.Request{}
	switch v := m.(type) {
	case *sozupb.Cluster:
		r.RequestType = &sozupb.Request_AddCluster{AddCluster: v}
	case *sozupb.HttpListenerConfig:
		r.RequestType = &sozupb.Request_AddHttpListener{AddHttpListener: v}
	case *sozupb.HttpsListenerConfig:
		r.RequestType = &sozupb.Request_AddHttpsListener{AddHttpsListener: v}
	case *sozupb.TcpListenerConfig:
		r.RequestType = &sozupb.Request_AddTcpListener{AddTcpListener: v}
	case *sozupb.UdpListenerConfig:
		r.RequestType = &sozupb.Request_AddUdpListener{AddUdpListener: v}
	case *sozupb.RemoveListener:
		r.RequestType = &sozupb.Request_RemoveListener{RemoveListener: v}
	case *sozupb.ActivateListener:
		r.RequestType = &sozupb.Request_ActivateListener{ActivateListener: v}
	case *sozupb.DeactivateListener:
		r.RequestType = &sozupb.Request_DeactivateListener{DeactivateListener: v}
	case *sozupb.UpdateHttpListenerConfig:
		r.RequestType = &sozupb.Request_UpdateHttpListener{UpdateHttpListener: v}
	case *sozupb.UpdateHttpsListenerConfig:
		r.RequestType = &sozupb.Request_UpdateHttpsListener{UpdateHttpsListener: v}
	case *sozupb.UpdateTcpListenerConfig:
		r.RequestType = &sozupb.Request_UpdateTcpListener{UpdateTcpListener: v}
	case *sozupb.UpdateUdpListenerConfig:
		r.RequestType = &sozupb.Request_UpdateUdpListener{UpdateUdpListener: v}
	case *sozupb.AddBackend:
		r.RequestType = &sozupb.Request_AddBackend{AddBackend: v}
	case *sozupb.RemoveBackend:
		r.RequestType = &sozupb.Request_RemoveBackend{RemoveBackend: v}
	case *sozupb.SetHealthCheck:
		r.RequestType = &sozupb.Request_SetHealthCheck{SetHealthCheck: v}
	case *sozupb.AddCertificate:
		r.RequestType = &sozupb.Request_AddCertificate{AddCertificate: v}
	case *sozupb.RemoveCertificate:
		r.RequestType = &sozupb.Request_RemoveCertificate{RemoveCertificate: v}
	case *sozupb.ReplaceCertificate:
		r.RequestType = &sozupb.Request_ReplaceCertificate{ReplaceCertificate: v}
	default:
		panic("req: unsupported message")
	}
	return r
}

func removeCluster(id string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: id}}
}

func removeHealthCheck(id string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveHealthCheck{RemoveHealthCheck: id}}
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

func removeHTTPSFront(f *sozupb.RequestHttpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveHttpsFrontend{RemoveHttpsFrontend: f}}
}

func addTCPFront(f *sozupb.RequestTcpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: f}}
}

func removeTCPFront(f *sozupb.RequestTcpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveTcpFrontend{RemoveTcpFrontend: f}}
}

func addUDPFront(f *sozupb.RequestUdpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: f}}
}

func removeUDPFront(f *sozupb.RequestUdpFrontend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveUdpFrontend{RemoveUdpFrontend: f}}
}

func cluster(id string) *sozupb.Cluster {
	return &sozupb.Cluster{ClusterId: proto.String(id), StickySession: proto.Bool(false), HttpsRedirect: proto.Bool(false)}
}

func httpFront(t testing.TB, addr, host, path string, cluster string) *sozupb.RequestHttpFrontend {
	f := &sozupb.RequestHttpFrontend{
		Address:  mustAddr(t, addr),
		Hostname: proto.String(host),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String(path)},
		Position: sozupb.RulePosition_TREE.Enum(),
	}
	if cluster != "" {
		f.ClusterId = proto.String(cluster)
	}
	return f
}

func backend(t testing.TB, cluster, id, addr string) *sozupb.AddBackend {
	return &sozupb.AddBackend{ClusterId: proto.String(cluster), BackendId: proto.String(id), Address: mustAddr(t, addr)}
}

func tcpFront(t testing.TB, cluster, addr string, tags map[string]string) *sozupb.RequestTcpFrontend {
	return &sozupb.RequestTcpFrontend{ClusterId: proto.String(cluster), Address: mustAddr(t, addr), Tags: tags}
}

func udpFront(t testing.TB, cluster, addr string, tags map[string]string) *sozupb.RequestUdpFrontend {
	return &sozupb.RequestUdpFrontend{ClusterId: proto.String(cluster), Address: mustAddr(t, addr), Tags: tags}
}

func healthCheck(uri string) *sozupb.HealthCheckConfig {
	return &sozupb.HealthCheckConfig{Uri: proto.String(uri), Interval: proto.Uint32(10), Timeout: proto.Uint32(5),
		HealthyThreshold: proto.Uint32(3), UnhealthyThreshold: proto.Uint32(3)}
}

func listenerRef(t testing.TB, addr string, lt sozupb.ListenerType) (*sozupb.SocketAddress, *sozupb.ListenerType) {
	return mustAddr(t, addr), lt.Enum()
}
