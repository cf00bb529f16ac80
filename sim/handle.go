package sim

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"unicode"

	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// Answer texts, worded as Sōzu 2.1.0 words them (bin/src/command/requests.rs).
const (
	msgDispatchFailed = "could not dispatch request on the main process state: "
	msgProcessing     = "Processing worker request..."
	msgAppliedAll     = "Successfully applied request to all workers"
	msgQuerying       = "Querying cluster..."
	msgQueried        = "Successfully queried clusters"
)

// countNames maps each field of Request's request_type oneof to the name
// Sōzu's request census gives the verb ("AddCluster"): the field's name in
// upper camel case (command/src/proto/display.rs, format_request_type).
var countNames = func() map[protoreflect.FieldNumber]string {
	fields := requestOneof.Fields()
	names := make(map[protoreflect.FieldNumber]string, fields.Len())
	for i := range fields.Len() {
		fd := fields.Get(i)
		var b strings.Builder
		for _, part := range strings.Split(string(fd.Name()), "_") {
			if part == "" {
				continue
			}
			b.WriteString(strings.ToUpper(part[:1]) + part[1:])
		}
		names[fd.Number()] = b.String()
	}
	return names
}()

// requestOneof is the request_type oneof of Request.
var requestOneof = (&sozupb.Request{}).ProtoReflect().Descriptor().Oneofs().ByName("request_type")

// countName is the name Sōzu's request census gives a verb ("AddCluster"),
// "" for a request without one.
func countName(req *sozupb.Request) string {
	if req == nil {
		return ""
	}
	fd := req.ProtoReflect().WhichOneof(requestOneof)
	if fd == nil {
		return ""
	}
	return countNames[fd.Number()]
}

// census counts a request dispatched on the main state. Sōzu inserts 1 for
// a verb's first occurrence and then increments it, so its counts start at 2
// (command/src/state.rs:303-311); the simulator keeps that.
func (s *Simulator) census(req *sozupb.Request) {
	name := countName(req)
	if _, ok := s.counts[name]; !ok {
		s.counts[name] = 1
	}
	s.counts[name]++
}

// handle computes the answers to one request. drop asks the caller to close
// the connection without writing any of them.
func (s *Simulator) handle(req *sozupb.Request) (answers []*sozupb.Response, drop bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log.Debug("sim: request", "verb", sozu.Verb(req))

	if state.IsStateChanging(req) {
		s.received++
		n := s.received
		answers = s.mutate(req, n)
		return answers, s.faults.DropAfter == n
	}

	switch req.GetRequestType().(type) {
	case nil, *sozupb.Request_LaunchWorker, *sozupb.Request_ReturnListenSockets:
		// Sōzu never answers these.
		return nil, false
	case *sozupb.Request_SaveState, *sozupb.Request_LoadState:
		if s.noFiles {
			return []*sozupb.Response{failure("file access is disabled")}, false
		}
	}
	switch r := req.GetRequestType().(type) {
	case *sozupb.Request_SaveState:
		return []*sozupb.Response{s.saveState(r.SaveState)}, false
	case *sozupb.Request_LoadState:
		return s.loadState(r.LoadState), false
	case *sozupb.Request_ListWorkers:
		return []*sozupb.Response{ok("Successfully listed workers", s.workerInfos())}, false
	case *sozupb.Request_Status:
		return []*sozupb.Response{
			processing("Querying status of workers..."),
			ok("Successfully collected the status of workers", s.workerInfos()),
		}, false
	case *sozupb.Request_ListListeners:
		return []*sozupb.Response{ok("Successfully listed listeners", &sozupb.ResponseContent{
			ContentType: &sozupb.ResponseContent_ListenersList{ListenersList: listListeners(s.main)},
		})}, false
	case *sozupb.Request_ListFrontends:
		return []*sozupb.Response{ok("Successfully listed frontends", &sozupb.ResponseContent{
			ContentType: &sozupb.ResponseContent_FrontendList{FrontendList: listFrontends(s.main, r.ListFrontends)},
		})}, false
	case *sozupb.Request_QueryCertificatesFromTheState:
		return []*sozupb.Response{ok("Successfully queried certificates from the state of main process", &sozupb.ResponseContent{
			ContentType: &sozupb.ResponseContent_CertificatesWithFingerprints{
				CertificatesWithFingerprints: &sozupb.CertificatesWithFingerprints{Certs: certificates(s.main, r.QueryCertificatesFromTheState)},
			},
		})}, false
	case *sozupb.Request_QueryHealthChecks:
		return []*sozupb.Response{ok("Successfully listed health check configurations", &sozupb.ResponseContent{
			ContentType: &sozupb.ResponseContent_HealthChecksList{HealthChecksList: healthChecks(s.main, r.QueryHealthChecks)},
		})}, false
	case *sozupb.Request_CountRequests:
		m := make(map[string]int32, len(s.counts))
		for k, v := range s.counts {
			m[k] = v
		}
		return []*sozupb.Response{ok("Successfully counted requests received by the state", &sozupb.ResponseContent{
			ContentType: &sozupb.ResponseContent_RequestCounts{RequestCounts: &sozupb.RequestCounts{Map: m}},
		})}, false
	case *sozupb.Request_QueryClusterById, *sozupb.Request_QueryClustersByDomain,
		*sozupb.Request_QueryClustersHashes, *sozupb.Request_QueryCertificatesFromWorkers:
		return []*sozupb.Response{processing(msgQuerying), ok(msgQueried, s.query(req))}, false
	case *sozupb.Request_Logging:
		// The main process parses the filter first; one it refuses is
		// answered at once, without a census entry or a worker.
		if errs := loggingSpecErrors(r.Logging); len(errs) > 0 {
			return []*sozupb.Response{failure("Error parsing logging filter:\n- " + strings.Join(errs, "; "))}, false
		}
		s.census(req)
		return []*sozupb.Response{processing(msgProcessing), ok(msgAppliedAll, nil)}, false
	case *sozupb.Request_ConfigureMetrics,
		*sozupb.Request_SetMaxConnectionsPerIp, *sozupb.Request_QueryMaxConnectionsPerIp:
		// Runtime settings: the main state ignores them, every worker takes them.
		s.census(req)
		return []*sozupb.Response{processing(msgProcessing), ok(msgAppliedAll, nil)}, false
	default:
		return []*sozupb.Response{failure(fmt.Sprintf("the simulator does not implement %s", sozu.Verb(req)))}, false
	}
}

// mutate applies a state-changing request, the nth received, to the main
// process and then to the workers, with the faults that designate it.
func (s *Simulator) mutate(req *sozupb.Request, n int) []*sozupb.Response {
	s.census(req)
	if s.faults.RejectRequest == n {
		return []*sozupb.Response{failure(msgDispatchFailed + "request rejected by fault injection")}
	}
	if err := s.main.Apply(req); err != nil {
		return []*sozupb.Response{failure(msgDispatchFailed + err.Error())}
	}
	answers := []*sozupb.Response{processing(msgProcessing)}
	var parts []string
	failed := false
	for i, w := range s.workers {
		if s.faults.LoseWorker == n && i == len(s.workers)-1 {
			// This worker never answers; Sōzu reports the timeout as OK.
			continue
		}
		var err error
		if s.faults.FailRequest == n && i == 0 {
			_ = w.config.Apply(req)
			err = fmt.Errorf("request failed by fault injection")
		} else {
			err = w.apply(req)
		}
		if err != nil {
			failed = true
			parts = append(parts, fmt.Sprintf("%d: %s", w.id, sanitize(err.Error())))
		} else {
			parts = append(parts, fmt.Sprintf("%d: OK", w.id))
		}
	}
	if failed {
		return append(answers, failure(strings.Join(parts, ", ")))
	}
	return append(answers, ok(msgAppliedAll, nil))
}

// sanitize replaces what Sōzu replaces in a worker's error before joining
// it into the answer: commas, equal signs, control characters and the
// Unicode line and direction controls (bin/src/command/sessions.rs:211-245).
func sanitize(msg string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == ',' || r == '=' || unicode.IsControl(r),
			r == '\ufeff' || r == '\u2028' || r == '\u2029',
			r >= '\u202a' && r <= '\u202e', r >= '\u2066' && r <= '\u2069':
			return '?'
		}
		return r
	}, msg)
}

func (s *Simulator) workerInfos() *sozupb.ResponseContent {
	pid := int32(os.Getpid())
	infos := &sozupb.WorkerInfos{}
	for _, w := range s.workers {
		infos.Vec = append(infos.Vec, &sozupb.WorkerInfo{
			Id:       &w.id,
			Pid:      &pid,
			RunState: sozupb.RunState_RUNNING.Enum(),
		})
	}
	return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_Workers{Workers: infos}}
}

// query answers the four queries that Sōzu also sends to its workers: one
// entry for "main" (except QueryCertificatesFromWorkers) and one per worker
// whose answer has content.
func (s *Simulator) query(req *sozupb.Request) *sozupb.ResponseContent {
	m := map[string]*sozupb.ResponseContent{}
	switch r := req.GetRequestType().(type) {
	case *sozupb.Request_QueryClusterById:
		m["main"] = clustersContent(clusterByID(s.main, r.QueryClusterById))
		for _, w := range s.workers {
			m[strconv.Itoa(int(w.id))] = clustersContent(clusterByID(w.config, r.QueryClusterById))
		}
	case *sozupb.Request_QueryClustersByDomain:
		q := r.QueryClustersByDomain
		m["main"] = clustersContent(clustersByDomain(s.main, q))
		for _, w := range s.workers {
			m[strconv.Itoa(int(w.id))] = clustersContent(clustersByDomain(w.config, q))
		}
	case *sozupb.Request_QueryClustersHashes:
		// Each process hashes its own copy, as Sōzu's do, here side by side:
		// the copies are only read, under s.mu.
		hashes := make([]map[string]uint64, len(s.workers)+1)
		var wg sync.WaitGroup
		for i, w := range s.workers {
			wg.Go(func() { hashes[i+1] = ClusterHashes(w.config) })
		}
		hashes[0] = ClusterHashes(s.main)
		wg.Wait()
		m["main"] = hashesContent(hashes[0])
		for i, w := range s.workers {
			m[strconv.Itoa(int(w.id))] = hashesContent(hashes[i+1])
		}
	case *sozupb.Request_QueryCertificatesFromWorkers:
		f := r.QueryCertificatesFromWorkers
		for _, w := range s.workers {
			if c := workerCertificates(w, f); c != nil {
				m[strconv.Itoa(int(w.id))] = c
			}
		}
	}
	return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_WorkerResponses{
		WorkerResponses: &sozupb.WorkerResponses{Map: m},
	}}
}

func clustersContent(v []*sozupb.ClusterInformation) *sozupb.ResponseContent {
	return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_Clusters{
		Clusters: &sozupb.ClusterInformations{Vec: v},
	}}
}

func hashesContent(h map[string]uint64) *sozupb.ResponseContent {
	return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_ClusterHashes{
		ClusterHashes: &sozupb.ClusterHashes{Map: h},
	}}
}

// workerCertificates is one worker's answer to QueryCertificatesFromWorkers,
// or nil when the worker answers with an error (and so is left out).
func workerCertificates(w *Worker, f *sozupb.QueryCertificatesFilters) *sozupb.ResponseContent {
	if f.Fingerprint != nil {
		// With a fingerprint, a worker looks in its state copy.
		certs := certificates(w.config, f)
		if len(certs) == 0 {
			return nil
		}
		return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_CertificatesWithFingerprints{
			CertificatesWithFingerprints: &sozupb.CertificatesWithFingerprints{Certs: certs},
		}}
	}
	list := &sozupb.ListOfCertificatesByAddress{}
	for _, l := range sortedListeners(w.px, sozupb.ListenerType_HTTPS) {
		addr, err := state.ParseAddress(l.key.addr)
		if err != nil {
			continue
		}
		by := &sozupb.CertificatesByAddress{Address: addr}
		sel := l.selected()
		names := sortedKeys(sel)
		if f.Domain != nil {
			// One lookup, as for SNI: the exact name, else a wildcard over it.
			names = nil
			d := strings.ToLower(f.GetDomain())
			if _, ok := sel[d]; ok {
				names = []string{d}
			} else if _, rest, ok := strings.Cut(d, "."); ok {
				if _, ok := sel["*."+rest]; ok {
					names = []string{"*." + rest}
				}
			}
		}
		for _, name := range names {
			by.CertificateSummaries = append(by.CertificateSummaries, &sozupb.CertificateSummary{
				Domain: ptr(name), Fingerprint: ptr(sel[name]),
			})
		}
		list.Certificates = append(list.Certificates, by)
	}
	return &sozupb.ResponseContent{ContentType: &sozupb.ResponseContent_CertificatesByAddress{CertificatesByAddress: list}}
}

// saveState writes the main state in Sōzu's state-file format. A relative
// path is taken from the simulator's working directory, as Sōzu takes it
// from its own.
func (s *Simulator) saveState(path string) *sozupb.Response {
	abs, err := filepath.Abs(path)
	if err != nil {
		return failure(fmt.Sprintf("Cannot get Sōzu working directory: %v", err))
	}
	if err := statefile.Write(abs, s.main); err != nil {
		return failure(fmt.Sprintf("Cannot create file at path %s: %s", abs, ioErrorText(err)))
	}
	return ok(fmt.Sprintf("Saved %d config messages to %s", len(s.main.Requests()), abs), nil)
}

func ptr[T any](v T) *T { return &v }

// loggingSpecErrors checks a logging filter as Sōzu's main process does
// before it changes any level (command/src/logging/logs.rs,
// parse_logging_spec): "directive,directive/regex", where a directive is a
// level, or a module name with "=" and an optional level; levels are off,
// error, warn, info, debug and trace in any case. It returns Sōzu's error
// texts, none for a valid filter.
func loggingSpecErrors(spec string) []string {
	var errs []string
	parts := strings.Split(spec, "/")
	if len(parts) > 2 {
		errs = append(errs, "Too many '/'s: "+spec)
	}
	level := func(s string) bool {
		for _, name := range []string{"off", "error", "warn", "info", "debug", "trace"} {
			if strings.EqualFold(s, name) {
				return true
			}
		}
		return false
	}
	for _, d := range strings.Split(parts[0], ",") {
		if d == "" {
			continue
		}
		fields := strings.Split(d, "=")
		switch {
		case len(fields) == 1:
			if !level(fields[0]) {
				errs = append(errs, "Invalid log level: "+d)
			}
		case len(fields) == 2:
			if v := strings.TrimSpace(fields[1]); v != "" && !level(v) {
				errs = append(errs, "Invalid log level: "+d)
			}
		default:
			errs = append(errs, "Too many '='s: "+d)
		}
	}
	return errs
}
