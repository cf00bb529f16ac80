package sim

import (
	"encoding/binary"
	"hash/fnv"
	"sort"
	"strings"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// The functions of this file answer queries from a configuration state, the
// main process's or a worker's copy, in the shapes of Sōzu's ConfigState
// (command/src/state.rs). Every message returned is a copy.

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func clone[M proto.Message](m M) M { return proto.Clone(m).(M) }

func listListeners(st *state.State) *sozupb.ListenersList {
	out := &sozupb.ListenersList{
		HttpListeners:  map[string]*sozupb.HttpListenerConfig{},
		HttpsListeners: map[string]*sozupb.HttpsListenerConfig{},
		TcpListeners:   map[string]*sozupb.TcpListenerConfig{},
		UdpListeners:   map[string]*sozupb.UdpListenerConfig{},
	}
	for k, v := range st.HTTPListeners {
		out.HttpListeners[k] = clone(v)
	}
	for k, v := range st.HTTPSListeners {
		out.HttpsListeners[k] = clone(v)
	}
	for k, v := range st.TCPListeners {
		out.TcpListeners[k] = clone(v)
	}
	for k, v := range st.UDPListeners {
		out.UdpListeners[k] = clone(v)
	}
	return out
}

// listFrontends follows Sōzu's filters: no protocol flag set lists every
// protocol; domain is a substring of the hostname and excludes TCP and UDP
// frontends, which ride the tcp flag.
func listFrontends(st *state.State, f *sozupb.FrontendFilters) *sozupb.ListedFrontends {
	all := !f.GetHttp() && !f.GetHttps() && !f.GetTcp()
	out := &sozupb.ListedFrontends{}
	match := func(fr *sozupb.RequestHttpFrontend) bool {
		return f.Domain == nil || strings.Contains(fr.GetHostname(), f.GetDomain())
	}
	if all || f.GetHttp() {
		for _, k := range sortedKeys(st.HTTPFrontends) {
			if fr := st.HTTPFrontends[k]; match(fr) {
				out.HttpFrontends = append(out.HttpFrontends, clone(fr))
			}
		}
	}
	if all || f.GetHttps() {
		for _, k := range sortedKeys(st.HTTPSFrontends) {
			if fr := st.HTTPSFrontends[k]; match(fr) {
				out.HttpsFrontends = append(out.HttpsFrontends, clone(fr))
			}
		}
	}
	if (all || f.GetTcp()) && f.Domain == nil {
		for _, c := range sortedKeys(st.TCPFrontends) {
			for _, fr := range st.TCPFrontends[c] {
				out.TcpFrontends = append(out.TcpFrontends, clone(fr))
			}
		}
		for _, c := range sortedKeys(st.UDPFrontends) {
			for _, fr := range st.UDPFrontends[c] {
				out.UdpFrontends = append(out.UdpFrontends, clone(fr))
			}
		}
	}
	return out
}

// certificates flattens the certificates of every listener into one map by
// fingerprint, filtered by exact name (domain) or else by fingerprint.
func certificates(st *state.State, f *sozupb.QueryCertificatesFilters) map[string]*sozupb.CertificateAndKey {
	out := map[string]*sozupb.CertificateAndKey{}
	for _, addr := range sortedKeys(st.Certificates) {
		for fp, c := range st.Certificates[addr] {
			switch {
			case f.Domain != nil:
				found := false
				for _, n := range c.GetNames() {
					if n == f.GetDomain() {
						found = true
					}
				}
				if !found {
					continue
				}
			case f.Fingerprint != nil:
				if fp != f.GetFingerprint() {
					continue
				}
			}
			out[fp] = clone(c)
		}
	}
	return out
}

func healthChecks(st *state.State, q *sozupb.QueryHealthChecks) *sozupb.HealthChecksList {
	out := &sozupb.HealthChecksList{Map: map[string]*sozupb.HealthCheckConfig{}}
	for id, c := range st.Clusters {
		if q.ClusterId != nil && q.GetClusterId() != id {
			continue
		}
		if hc := c.GetHealthCheck(); hc != nil {
			out.Map[id] = clone(hc)
		}
	}
	return out
}

// clusterInfo is Sōzu's cluster_state: the cluster with everything that
// names it; nil when the cluster does not exist.
func clusterInfo(st *state.State, id string) *sozupb.ClusterInformation {
	c, ok := st.Clusters[id]
	if !ok {
		return nil
	}
	info := &sozupb.ClusterInformation{Configuration: clone(c)}
	for _, k := range sortedKeys(st.HTTPFrontends) {
		if f := st.HTTPFrontends[k]; f.ClusterId != nil && f.GetClusterId() == id {
			info.HttpFrontends = append(info.HttpFrontends, clone(f))
		}
	}
	for _, k := range sortedKeys(st.HTTPSFrontends) {
		if f := st.HTTPSFrontends[k]; f.ClusterId != nil && f.GetClusterId() == id {
			info.HttpsFrontends = append(info.HttpsFrontends, clone(f))
		}
	}
	for _, f := range st.TCPFrontends[id] {
		info.TcpFrontends = append(info.TcpFrontends, clone(f))
	}
	for _, f := range st.UDPFrontends[id] {
		info.UdpFrontends = append(info.UdpFrontends, clone(f))
	}
	for _, b := range st.Backends[id] {
		info.Backends = append(info.Backends, clone(b))
	}
	return info
}

func clusterByID(st *state.State, id string) []*sozupb.ClusterInformation {
	if info := clusterInfo(st, id); info != nil {
		return []*sozupb.ClusterInformation{info}
	}
	return nil
}

// clustersByDomain finds the clusters of the HTTP(S) frontends whose
// hostname is exactly q.hostname and, when q.path is set, whose path value
// is exactly q.path.
func clustersByDomain(st *state.State, q *sozupb.QueryClusterByDomain) []*sozupb.ClusterInformation {
	ids := map[string]bool{}
	for _, fronts := range []map[string]*sozupb.RequestHttpFrontend{st.HTTPFrontends, st.HTTPSFrontends} {
		for _, f := range fronts {
			if f.ClusterId == nil || f.GetHostname() != q.GetHostname() {
				continue
			}
			if q.Path != nil && f.GetPath().GetValue() != q.GetPath() {
				continue
			}
			ids[f.GetClusterId()] = true
		}
	}
	var out []*sozupb.ClusterInformation
	for _, id := range sortedKeys(ids) {
		if info := clusterInfo(st, id); info != nil {
			out = append(out, info)
		}
	}
	return out
}

// ClusterHashes computes one hash per cluster of st over what Sōzu's
// hash_state covers: the cluster, its backends, its TCP frontends and the
// HTTP and HTTPS frontends that route to it (not listeners, certificates
// or UDP frontends). The hash is the simulator's own (FNV-1a over a
// deterministic encoding of each part, in key order): two states give equal
// hashes for a cluster exactly when those parts are equal, in any process
// running this code, but the values differ from Sōzu's.
func ClusterHashes(st *state.State) map[string]uint64 {
	// Group the HTTP(S) frontends by cluster once, in key order.
	type routed struct {
		tag string
		f   *sozupb.RequestHttpFrontend
	}
	fronts := map[string][]routed{}
	for _, set := range []struct {
		tag string
		m   map[string]*sozupb.RequestHttpFrontend
	}{{"http", st.HTTPFrontends}, {"https", st.HTTPSFrontends}} {
		for _, k := range sortedKeys(set.m) {
			if f := set.m[k]; f.ClusterId != nil {
				fronts[f.GetClusterId()] = append(fronts[f.GetClusterId()], routed{set.tag, f})
			}
		}
	}
	out := make(map[string]uint64, len(st.Clusters))
	opts := proto.MarshalOptions{Deterministic: true, AllowPartial: true}
	var buf []byte
	for id, c := range st.Clusters {
		h := fnv.New64a()
		part := func(tag string, m proto.Message) {
			buf, _ = opts.MarshalAppend(buf[:0], m)
			var n [8]byte
			binary.LittleEndian.PutUint64(n[:], uint64(len(buf)))
			h.Write([]byte(tag))
			h.Write(n[:])
			h.Write(buf)
		}
		part("cluster", c)
		for _, b := range byKey(st.Backends[id], state.BackendKey) {
			part("backend", b)
		}
		for _, f := range byKey(st.TCPFrontends[id], state.TCPFrontendKey) {
			part("tcp", f)
		}
		for _, r := range fronts[id] {
			part(r.tag, r.f)
		}
		out[id] = h.Sum64()
	}
	return out
}

// byKey returns list ordered by key, each key computed once; a list of one
// is returned as is.
func byKey[M any](list []M, key func(M) string) []M {
	if len(list) < 2 {
		return list
	}
	type keyed struct {
		k string
		m M
	}
	ks := make([]keyed, len(list))
	for i, m := range list {
		ks[i] = keyed{key(m), m}
	}
	sort.SliceStable(ks, func(i, j int) bool { return ks[i].k < ks[j].k })
	out := make([]M, len(ks))
	for i := range ks {
		out[i] = ks[i].m
	}
	return out
}

// sortedListeners returns a worker's listeners of one protocol by address.
func sortedListeners(p *proxies, proto sozupb.ListenerType) []*listener {
	var out []*listener
	for k, l := range p.listeners {
		if k.proto == proto {
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].key.addr < out[j].key.addr })
	return out
}
