package planner

import (
	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// The request builders below copy every message they are given. Adds carry
// the effective value (state.Normalize: every required field set, defaults
// explicit, certificate names explicit), so that a request always encodes
// and says exactly what the plan's After shows; removals carry the stored
// object as the base holds it.

func cloneAddr(a *sozupb.SocketAddress) *sozupb.SocketAddress {
	if a == nil {
		return nil
	}
	return proto.Clone(a).(*sozupb.SocketAddress)
}

// addListenerRequest is Add*Listener carrying l as it is (callers clear
// active first).
func addListenerRequest(k state.Kind, l proto.Message) *sozupb.Request {
	c := state.Normalize(l)
	switch v := c.(type) {
	case *sozupb.HttpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: v}}
	case *sozupb.HttpsListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: v}}
	case *sozupb.TcpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: v}}
	case *sozupb.UdpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: v}}
	}
	return nil
}

func patchRequest(k state.Kind, p proto.Message) *sozupb.Request {
	switch v := p.(type) {
	case *sozupb.UpdateHttpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_UpdateHttpListener{UpdateHttpListener: v}}
	case *sozupb.UpdateHttpsListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_UpdateHttpsListener{UpdateHttpsListener: v}}
	case *sozupb.UpdateTcpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_UpdateTcpListener{UpdateTcpListener: v}}
	case *sozupb.UpdateUdpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_UpdateUdpListener{UpdateUdpListener: v}}
	}
	return nil
}

func activateRequest(k state.Kind, addr *sozupb.SocketAddress) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{
		Address: cloneAddr(addr), Proxy: listenerType(k).Enum(), FromScm: proto.Bool(false),
	}}}
}

func deactivateRequest(k state.Kind, addr *sozupb.SocketAddress) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_DeactivateListener{DeactivateListener: &sozupb.DeactivateListener{
		Address: cloneAddr(addr), Proxy: listenerType(k).Enum(), ToScm: proto.Bool(false),
	}}}
}

func removeListenerRequest(k state.Kind, addr *sozupb.SocketAddress) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveListener{RemoveListener: &sozupb.RemoveListener{
		Address: cloneAddr(addr), Proxy: listenerType(k).Enum(),
	}}}
}

func addClusterRequest(c *sozupb.Cluster) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: state.Normalize(c)}}
}

func removeClusterRequest(id string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: id}}
}

func addBackendRequest(b *sozupb.AddBackend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: state.Normalize(b)}}
}

func removeBackendRequest(b *sozupb.AddBackend) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveBackend{RemoveBackend: &sozupb.RemoveBackend{
		ClusterId: proto.String(b.GetClusterId()), BackendId: proto.String(b.GetBackendId()), Address: cloneAddr(b.GetAddress()),
	}}}
}

// addFrontendRequest and removeFrontendRequest build the add or remove of a
// frontend of any kind; a remove carries the stored frontend exactly.
func addFrontendRequest(k state.Kind, f proto.Message) *sozupb.Request {
	c := state.Normalize(f)
	switch k {
	case state.KindHTTPFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: c.(*sozupb.RequestHttpFrontend)}}
	case state.KindHTTPSFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: c.(*sozupb.RequestHttpFrontend)}}
	case state.KindTCPFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: c.(*sozupb.RequestTcpFrontend)}}
	}
	return &sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: c.(*sozupb.RequestUdpFrontend)}}
}

func removeFrontendRequest(k state.Kind, f proto.Message) *sozupb.Request {
	c := proto.Clone(f)
	switch k {
	case state.KindHTTPFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_RemoveHttpFrontend{RemoveHttpFrontend: c.(*sozupb.RequestHttpFrontend)}}
	case state.KindHTTPSFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_RemoveHttpsFrontend{RemoveHttpsFrontend: c.(*sozupb.RequestHttpFrontend)}}
	case state.KindTCPFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_RemoveTcpFrontend{RemoveTcpFrontend: c.(*sozupb.RequestTcpFrontend)}}
	}
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveUdpFrontend{RemoveUdpFrontend: c.(*sozupb.RequestUdpFrontend)}}
}

// addCertificateRequest always carries explicit names: those of the
// effective certificate.
func addCertificateRequest(addr *sozupb.SocketAddress, c *sozupb.CertificateAndKey) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
		Address: cloneAddr(addr), Certificate: state.Normalize(c),
	}}}
}

func replaceCertificateRequest(addr *sozupb.SocketAddress, oldFP string, c *sozupb.CertificateAndKey) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_ReplaceCertificate{ReplaceCertificate: &sozupb.ReplaceCertificate{
		Address: cloneAddr(addr), NewCertificate: state.Normalize(c), OldFingerprint: proto.String(oldFP),
	}}}
}

func removeCertificateRequest(addr *sozupb.SocketAddress, fp string) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_RemoveCertificate{RemoveCertificate: &sozupb.RemoveCertificate{
		Address: cloneAddr(addr), Fingerprint: proto.String(fp),
	}}}
}
