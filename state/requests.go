package state

import (
	"slices"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// Requests returns the requests that rebuild s from an empty state, in the
// order of Sōzu's generate_requests (command/src/state.rs:1395-1526), the
// order of its state files:
//
//  1. HTTP, HTTPS, TCP then UDP listeners, each by address (IPv4 before
//     IPv6, then address, then port), as stored, each followed by an
//     ActivateListener (from_scm false) when it is active;
//  2. AddCluster for every cluster, by cluster_id;
//  3. AddHttpFrontend for every HTTP frontend, by route key;
//  4. AddCertificate for every certificate, by address then fingerprint
//     (Sōzu's order here is its hash map's), without expired_at;
//  5. AddHttpsFrontend for every HTTPS frontend, by route key;
//  6. AddTcpFrontend then AddUdpFrontend, by cluster_id (Sōzu's order is
//     its hash map's), each cluster's in stored order;
//  7. AddBackend for every backend, by cluster_id then stored order.
//
// Every message is a copy. FromRequests(s.Requests()) is Equal to s, with
// one exception that Sōzu shares: a certificate that ReplaceCertificate
// stored without names and whose leaf is not X.509 is refused on replay,
// because AddCertificate must then derive its names.
func (s *State) Requests() []*sozupb.Request {
	if s == nil {
		return nil
	}
	out := make([]*sozupb.Request, 0, s.Len()+len(s.HTTPListeners)+len(s.HTTPSListeners)+len(s.TCPListeners)+len(s.UDPListeners))
	activate := func(addr *sozupb.SocketAddress, t sozupb.ListenerType) *sozupb.Request {
		return &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{
			Address: cloneAddr(addr), Proxy: t.Enum(), FromScm: proto.Bool(false),
		}}}
	}
	for _, k := range addressKeys(s.HTTPListeners) {
		l := proto.Clone(s.HTTPListeners[k]).(*sozupb.HttpListenerConfig)
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: l}})
		if l.GetActive() {
			out = append(out, activate(l.GetAddress(), sozupb.ListenerType_HTTP))
		}
	}
	for _, k := range addressKeys(s.HTTPSListeners) {
		l := proto.Clone(s.HTTPSListeners[k]).(*sozupb.HttpsListenerConfig)
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: l}})
		if l.GetActive() {
			out = append(out, activate(l.GetAddress(), sozupb.ListenerType_HTTPS))
		}
	}
	for _, k := range addressKeys(s.TCPListeners) {
		l := proto.Clone(s.TCPListeners[k]).(*sozupb.TcpListenerConfig)
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: l}})
		if l.GetActive() {
			out = append(out, activate(l.GetAddress(), sozupb.ListenerType_TCP))
		}
	}
	for _, k := range addressKeys(s.UDPListeners) {
		l := proto.Clone(s.UDPListeners[k]).(*sozupb.UdpListenerConfig)
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: l}})
		if l.GetActive() {
			out = append(out, activate(l.GetAddress(), sozupb.ListenerType_UDP))
		}
	}
	for _, k := range sortedKeys(s.Clusters) {
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddCluster{
			AddCluster: proto.Clone(s.Clusters[k]).(*sozupb.Cluster)}})
	}
	for _, k := range sortedKeys(s.HTTPFrontends) {
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{
			AddHttpFrontend: proto.Clone(s.HTTPFrontends[k]).(*sozupb.RequestHttpFrontend)}})
	}
	for _, addr := range addressKeys(s.Certificates) {
		certs := s.Certificates[addr]
		sa, err := ParseAddress(addr)
		if err != nil {
			continue
		}
		for _, fp := range sortedKeys(certs) {
			out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
				Address:     cloneAddr(sa),
				Certificate: proto.Clone(certs[fp]).(*sozupb.CertificateAndKey),
			}}})
		}
	}
	for _, k := range sortedKeys(s.HTTPSFrontends) {
		out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{
			AddHttpsFrontend: proto.Clone(s.HTTPSFrontends[k]).(*sozupb.RequestHttpFrontend)}})
	}
	for _, c := range sortedKeys(s.TCPFrontends) {
		for _, f := range s.TCPFrontends[c] {
			out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{
				AddTcpFrontend: proto.Clone(f).(*sozupb.RequestTcpFrontend)}})
		}
	}
	for _, c := range sortedKeys(s.UDPFrontends) {
		for _, f := range s.UDPFrontends[c] {
			out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{
				AddUdpFrontend: proto.Clone(f).(*sozupb.RequestUdpFrontend)}})
		}
	}
	for _, c := range sortedKeys(s.Backends) {
		for _, b := range s.Backends[c] {
			out = append(out, &sozupb.Request{RequestType: &sozupb.Request_AddBackend{
				AddBackend: proto.Clone(b).(*sozupb.AddBackend)}})
		}
	}
	return out
}

// addressKeys returns the keys of a map keyed by FormatAddress in Rust's
// SocketAddr order; keys that do not parse come last, sorted as strings.
func addressKeys[V any](m map[string]V) []string {
	type entry struct {
		key  string
		addr *sozupb.SocketAddress
	}
	entries := make([]entry, 0, len(m))
	for k := range m {
		a, _ := ParseAddress(k)
		entries = append(entries, entry{k, a})
	}
	slices.SortFunc(entries, func(x, y entry) int {
		switch {
		case x.addr == nil && y.addr == nil:
			return compareStrings(x.key, y.key)
		case x.addr == nil:
			return 1
		case y.addr == nil:
			return -1
		}
		return compareAddresses(x.addr, y.addr)
	})
	out := make([]string, len(entries))
	for i, e := range entries {
		out[i] = e.key
	}
	return out
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
