package live

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// Warnings ReadQueries always returns: what queries can never show.
const (
	WarnOrphanBackends = "backends whose cluster does not exist are invisible to queries; read through save_state to see them"
	WarnNotAtomic      = "the configuration was read by several queries; a change made meanwhile by someone else can show half-applied"
)

// QueryError reports a failed query of ReadQueries.
type QueryError struct {
	Verb string // the query's verb
	Err  error
}

// Error implements error.
func (e *QueryError) Error() string {
	var ce *sozu.ClosedError
	if errors.As(e.Err, &ce) {
		return fmt.Sprintf("live read through queries, %s: %v (Sōzu drops the connection when an answer exceeds its max_command_buffer_size, 2 MB by default; read through save_state instead)", e.Verb, e.Err)
	}
	return fmt.Sprintf("live read through queries, %s: %v", e.Verb, e.Err)
}

// Unwrap returns the cause.
func (e *QueryError) Unwrap() error { return e.Err }

func query(ctx context.Context, c *sozu.Client, req *sozupb.Request) (*sozupb.ResponseContent, error) {
	resp, err := c.Send(ctx, req, nil)
	if err != nil {
		return nil, &QueryError{Verb: sozu.Verb(req), Err: err}
	}
	return resp.GetContent(), nil
}

// ReadQueries reads Sōzu's main-process configuration through queries:
// list_listeners, list_frontends (every kind), query_clusters_hashes for the
// cluster ids, query_cluster_by_id for each cluster's configuration and
// backends (the "main" entry), and query_certificates_from_the_state.
//
// The answers do not give everything, and the warnings say what is missing:
//   - certificates come without their listener address: with exactly one
//     HTTPS listener they are put on it; otherwise the workers are asked
//     (query_certificates_from_workers) where they serve each fingerprint,
//     and a certificate no worker serves is left out with a warning;
//   - backends of clusters that no longer exist are invisible;
//   - the queries are not one snapshot.
//
// An answer larger than Sōzu's max_command_buffer_size makes Sōzu drop the
// connection; that ends the read with a *QueryError saying so.
func ReadQueries(ctx context.Context, c *sozu.Client) (*state.State, []string, error) {
	var warns []string
	var reqs []*sozupb.Request
	add := func(r *sozupb.Request) { reqs = append(reqs, r) }

	// Listeners, with their active flag, as the main process stores them.
	content, err := query(ctx, c, &sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}})
	if err != nil {
		return nil, nil, err
	}
	ll := content.GetListenersList()
	for _, k := range sortedKeys(ll.GetHttpListeners()) {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: ll.GetHttpListeners()[k]}})
	}
	for _, k := range sortedKeys(ll.GetHttpsListeners()) {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: ll.GetHttpsListeners()[k]}})
	}
	for _, k := range sortedKeys(ll.GetTcpListeners()) {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: ll.GetTcpListeners()[k]}})
	}
	for _, k := range sortedKeys(ll.GetUdpListeners()) {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: ll.GetUdpListeners()[k]}})
	}

	// Cluster ids are the keys of the main process's hashes.
	content, err = query(ctx, c, &sozupb.Request{RequestType: &sozupb.Request_QueryClustersHashes{QueryClustersHashes: &sozupb.QueryClustersHashes{}}})
	if err != nil {
		return nil, nil, err
	}
	main, ok := content.GetWorkerResponses().GetMap()["main"]
	if !ok {
		return nil, nil, &QueryError{Verb: "query_clusters_hashes", Err: errors.New(`the answer has no "main" entry`)}
	}
	var backends []*sozupb.AddBackend
	for _, id := range sortedKeys(main.GetClusterHashes().GetMap()) {
		content, err := query(ctx, c, &sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: id}})
		if err != nil {
			return nil, nil, err
		}
		m, ok := content.GetWorkerResponses().GetMap()["main"]
		if !ok {
			return nil, nil, &QueryError{Verb: "query_cluster_by_id", Err: fmt.Errorf(`the answer for cluster %q has no "main" entry`, id)}
		}
		var info *sozupb.ClusterInformation
		for _, ci := range m.GetClusters().GetVec() {
			if ci.GetConfiguration().GetClusterId() == id {
				info = ci
				break
			}
		}
		if info == nil {
			warns = append(warns, fmt.Sprintf("cluster %q was removed while the configuration was read; it is left out", id))
			continue
		}
		add(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: info.GetConfiguration()}})
		backends = append(backends, info.GetBackends()...)
	}

	// Every frontend: all filters false means all kinds.
	f := false
	content, err = query(ctx, c, &sozupb.Request{RequestType: &sozupb.Request_ListFrontends{ListFrontends: &sozupb.FrontendFilters{Http: &f, Https: &f, Tcp: &f}}})
	if err != nil {
		return nil, nil, err
	}
	fl := content.GetFrontendList()
	for _, fr := range fl.GetHttpFrontends() {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: fr}})
	}
	for _, fr := range fl.GetHttpsFrontends() {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: fr}})
	}
	for _, fr := range fl.GetTcpFrontends() {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: fr}})
	}
	for _, fr := range fl.GetUdpFrontends() {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: fr}})
	}

	// Certificates, flattened across listeners by Sōzu.
	content, err = query(ctx, c, &sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromTheState{QueryCertificatesFromTheState: &sozupb.QueryCertificatesFilters{}}})
	if err != nil {
		return nil, nil, err
	}
	certs := content.GetCertificatesWithFingerprints().GetCerts()
	if len(certs) > 0 {
		placed, w, err := placeCertificates(ctx, c, ll, certs)
		if err != nil {
			return nil, nil, err
		}
		warns = append(warns, w...)
		reqs = append(reqs, placed...)
	}

	for _, b := range backends {
		add(&sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: b}})
	}

	st := state.New()
	for _, r := range reqs {
		if err := st.Apply(r); err != nil {
			return nil, nil, fmt.Errorf("live read through queries: the answers do not form one configuration: %s %s: %w", state.VerbName(r), describe(r), err)
		}
	}
	warns = append(warns, WarnOrphanBackends, WarnNotAtomic)
	return st, warns, nil
}

// placeCertificates gives each certificate a listener address: the single
// HTTPS listener when there is exactly one, else the addresses where the
// workers serve its fingerprint.
func placeCertificates(ctx context.Context, c *sozu.Client, ll *sozupb.ListenersList, certs map[string]*sozupb.CertificateAndKey) ([]*sozupb.Request, []string, error) {
	var out []*sozupb.Request
	var warns []string
	https := ll.GetHttpsListeners()
	if len(https) == 1 {
		for _, l := range https {
			for _, fp := range sortedKeys(certs) {
				out = append(out, addCert(l.GetAddress(), certs[fp]))
			}
		}
		return out, nil, nil
	}

	// Where do the workers serve each fingerprint?
	where := map[string]map[string]*sozupb.SocketAddress{} // fingerprint → address string → address
	content, err := query(ctx, c, &sozupb.Request{RequestType: &sozupb.Request_QueryCertificatesFromWorkers{QueryCertificatesFromWorkers: &sozupb.QueryCertificatesFilters{}}})
	if err != nil {
		return nil, nil, err
	}
	for _, wid := range sortedKeys(content.GetWorkerResponses().GetMap()) {
		for _, byAddr := range content.GetWorkerResponses().GetMap()[wid].GetCertificatesByAddress().GetCertificates() {
			key := state.FormatAddress(byAddr.GetAddress())
			for _, s := range byAddr.GetCertificateSummaries() {
				if where[s.GetFingerprint()] == nil {
					where[s.GetFingerprint()] = map[string]*sozupb.SocketAddress{}
				}
				where[s.GetFingerprint()][key] = byAddr.GetAddress()
			}
		}
	}
	for _, fp := range sortedKeys(certs) {
		addrs := where[fp]
		if len(addrs) == 0 {
			warns = append(warns, fmt.Sprintf("certificate %s (%v) is left out: there are %d HTTPS listeners and no worker serves it, so its listener address cannot be known", fp, certs[fp].GetNames(), len(https)))
			continue
		}
		for _, a := range sortedKeys(addrs) {
			out = append(out, addCert(addrs[a], certs[fp]))
		}
	}
	return out, warns, nil
}

func addCert(addr *sozupb.SocketAddress, ck *sozupb.CertificateAndKey) *sozupb.Request {
	return &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{Address: addr, Certificate: ck}}}
}

// describe names the object a request adds, for warnings.
func describe(r *sozupb.Request) string {
	switch x := r.GetRequestType().(type) {
	case *sozupb.Request_AddCluster:
		return fmt.Sprintf("%q", x.AddCluster.GetClusterId())
	case *sozupb.Request_AddBackend:
		return fmt.Sprintf("%q of cluster %q", x.AddBackend.GetBackendId(), x.AddBackend.GetClusterId())
	case *sozupb.Request_AddCertificate:
		return "on " + state.FormatAddress(x.AddCertificate.GetAddress())
	case *sozupb.Request_AddHttpFrontend:
		return x.AddHttpFrontend.GetHostname() + " on " + state.FormatAddress(x.AddHttpFrontend.GetAddress())
	case *sozupb.Request_AddHttpsFrontend:
		return x.AddHttpsFrontend.GetHostname() + " on " + state.FormatAddress(x.AddHttpsFrontend.GetAddress())
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return slices.Clip(keys)
}
