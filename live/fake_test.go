package live

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testcert"
	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// fake answers the requests live sends as Sōzu 2.1.0's main process does
// (bin/src/command/requests.rs), from a state.State.
type fake struct {
	t  testing.TB
	mu sync.Mutex
	st *state.State

	verbs []string // every request received

	denyExisting  bool        // save_state refuses an existing file (Sōzu runs as another user)
	elsewhere     string      // save_state writes into this directory instead (another filesystem)
	modeAtWrite   fs.FileMode // mode of the file when save_state wrote it
	ghost         string      // a cluster id in the hashes that query_cluster_by_id no longer finds
	closeOn       string      // verb whose answer is never sent: the connection is closed
	silentOn      string      // verb that gets no answer, the connection staying open
	workersServe  bool        // query_certificates_from_workers reports every certificate
	saveStateFail string      // save_state answers FAILURE with this message
}

func (f *fake) serve(t testing.TB) string {
	path := testsock.Path(t)
	ln, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer conn.Close()
				f.handle(conn)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return path
}

func ok(msg string, c *sozupb.ResponseContent) *sozupb.Response {
	return &sozupb.Response{Status: sozupb.ResponseStatus_OK.Enum(), Message: proto.String(msg), Content: c}
}

func processing(msg string) *sozupb.Response {
	return &sozupb.Response{Status: sozupb.ResponseStatus_PROCESSING.Enum(), Message: proto.String(msg)}
}

func failure(msg string) *sozupb.Response {
	return &sozupb.Response{Status: sozupb.ResponseStatus_FAILURE.Enum(), Message: proto.String(msg)}
}

func workerResponses(main *sozupb.ResponseContent, workers map[string]*sozupb.ResponseContent) *sozupb.ResponseContent {
	m := map[string]*sozupb.ResponseContent{}
	for k, v := range workers {
		m[k] = v
	}
	if main != nil {
		m["main"] = main
	}
	return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_WorkerResponses{WorkerResponses: &sozupb.WorkerResponses{Map: m}}}
}

func (f *fake) handle(conn net.Conn) {
	for {
		req, err := sozu.ReadRequest(conn, 0)
		if err != nil {
			return
		}
		f.mu.Lock()
		verb := sozu.Verb(req)
		f.verbs = append(f.verbs, verb)
		if verb == f.closeOn {
			f.mu.Unlock()
			return
		}
		if verb == f.silentOn {
			f.mu.Unlock()
			continue
		}
		answers := f.answer(req)
		f.mu.Unlock()
		for _, a := range answers {
			if err := sozu.WriteFrame(conn, a); err != nil {
				return
			}
		}
	}
}

func (f *fake) answer(req *sozupb.Request) []*sozupb.Response {
	st := f.st
	switch r := req.GetRequestType().(type) {
	case *sozupb.Request_SaveState:
		return []*sozupb.Response{f.saveState(r.SaveState)}
	case *sozupb.Request_ListListeners:
		ll := &sozupb.ListenersList{
			HttpListeners: st.HTTPListeners, HttpsListeners: st.HTTPSListeners,
			TcpListeners: st.TCPListeners, UdpListeners: st.UDPListeners,
		}
		return []*sozupb.Response{ok("", &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_ListenersList{ListenersList: ll}})}
	case *sozupb.Request_ListFrontends:
		fl := &sozupb.ListedFrontends{}
		for _, k := range keys(st.HTTPFrontends) {
			fl.HttpFrontends = append(fl.HttpFrontends, st.HTTPFrontends[k])
		}
		for _, k := range keys(st.HTTPSFrontends) {
			fl.HttpsFrontends = append(fl.HttpsFrontends, st.HTTPSFrontends[k])
		}
		for _, k := range keys(st.TCPFrontends) {
			fl.TcpFrontends = append(fl.TcpFrontends, st.TCPFrontends[k]...)
		}
		for _, k := range keys(st.UDPFrontends) {
			fl.UdpFrontends = append(fl.UdpFrontends, st.UDPFrontends[k]...)
		}
		return []*sozupb.Response{ok("Successfully listed frontends", &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_FrontendList{FrontendList: fl}})}
	case *sozupb.Request_QueryClustersHashes:
		h := map[string]uint64{}
		for id := range st.Clusters {
			h[id] = 1
		}
		if f.ghost != "" {
			h[f.ghost] = 2
		}
		main := &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_ClusterHashes{ClusterHashes: &sozupb.ClusterHashes{Map: h}}}
		return []*sozupb.Response{processing("Querying cluster..."), ok("Successfully queried clusters", workerResponses(main, map[string]*sozupb.ResponseContent{"0": main}))}
	case *sozupb.Request_QueryClusterById:
		infos := &sozupb.ClusterInformations{}
		if c, ok := st.Clusters[r.QueryClusterById]; ok {
			infos.Vec = append(infos.Vec, &sozupb.ClusterInformation{Configuration: c, Backends: st.Backends[r.QueryClusterById]})
		}
		main := &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_Clusters{Clusters: infos}}
		return []*sozupb.Response{processing("Querying cluster..."), ok("Successfully queried clusters", workerResponses(main, nil))}
	case *sozupb.Request_QueryCertificatesFromTheState:
		certs := map[string]*sozupb.CertificateAndKey{}
		for _, byFP := range st.Certificates {
			for fp, c := range byFP {
				certs[fp] = c
			}
		}
		return []*sozupb.Response{ok("", &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_CertificatesWithFingerprints{CertificatesWithFingerprints: &sozupb.CertificatesWithFingerprints{Certs: certs}}})}
	case *sozupb.Request_QueryCertificatesFromWorkers:
		list := &sozupb.ListOfCertificatesByAddress{}
		if f.workersServe {
			for _, a := range keys(st.Certificates) {
				addr, err := state.ParseAddress(a)
				if err != nil {
					f.t.Errorf("fake: %v", err)
				}
				by := &sozupb.CertificatesByAddress{Address: addr}
				for fp, c := range st.Certificates[a] {
					by.CertificateSummaries = append(by.CertificateSummaries, &sozupb.CertificateSummary{Domain: proto.String(c.GetNames()[0]), Fingerprint: proto.String(fp)})
				}
				list.Certificates = append(list.Certificates, by)
			}
		}
		w := &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_CertificatesByAddress{CertificatesByAddress: list}}
		return []*sozupb.Response{processing("Querying cluster..."), ok("", workerResponses(nil, map[string]*sozupb.ResponseContent{"0": w}))}
	}
	return []*sozupb.Response{failure("fake: unexpected " + sozu.Verb(req))}
}

// saveState writes the state file as Sōzu does: File::create (truncating
// an existing file and keeping its mode, else creating it 0644), then
// the generate_requests records.
func (f *fake) saveState(path string) *sozupb.Response {
	if f.saveStateFail != "" {
		return failure(f.saveStateFail)
	}
	if !filepath.IsAbs(path) {
		return failure("fake: relative path " + path)
	}
	if f.elsewhere != "" {
		path = filepath.Join(f.elsewhere, filepath.Base(path))
	}
	if _, err := os.Stat(path); err == nil && f.denyExisting {
		return failure(fmt.Sprintf("Cannot create file at path %s: Permission denied (os error 13)", path))
	}
	file, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return failure(fmt.Sprintf("Cannot create file at path %s: %v", path, err))
	}
	defer file.Close()
	if fi, err := file.Stat(); err == nil {
		f.modeAtWrite = fi.Mode().Perm()
	}
	var recs []*sozupb.WorkerRequest
	for i, r := range f.st.Requests() {
		recs = append(recs, &sozupb.WorkerRequest{Id: proto.String(fmt.Sprintf("SAVE-%d", i)), Content: r})
	}
	if err := statefile.Encode(file, recs); err != nil {
		return failure("Failed writing state to file: " + err.Error())
	}
	return ok(fmt.Sprintf("Saved %d config messages to %s", len(recs), path), nil)
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// selfSigned returns a PEM certificate and key for the given names.
func selfSigned(t testing.TB, names ...string) (certPEM, keyPEM string) {
	t.Helper()
	c, err := testcert.SelfSigned(names...)
	if err != nil {
		t.Fatal(err)
	}
	return c.CertPEM, c.KeyPEM
}
