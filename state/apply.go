package state

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// IsStateChanging reports whether req carries one of the 28 verbs that
// Sōzu's ConfigState dispatches (command/src/state.rs:116-143): listeners
// added, updated, activated, deactivated and removed, clusters, health
// checks, backends, HTTP/HTTPS/TCP/UDP frontends and certificates.
func IsStateChanging(req *sozupb.Request) bool {
	switch req.GetRequestType().(type) {
	case *sozupb.Request_AddCluster, *sozupb.Request_RemoveCluster,
		*sozupb.Request_AddHttpListener, *sozupb.Request_AddHttpsListener,
		*sozupb.Request_AddTcpListener, *sozupb.Request_AddUdpListener,
		*sozupb.Request_RemoveListener, *sozupb.Request_ActivateListener,
		*sozupb.Request_DeactivateListener,
		*sozupb.Request_AddHttpFrontend, *sozupb.Request_RemoveHttpFrontend,
		*sozupb.Request_AddHttpsFrontend, *sozupb.Request_RemoveHttpsFrontend,
		*sozupb.Request_AddCertificate, *sozupb.Request_RemoveCertificate,
		*sozupb.Request_ReplaceCertificate,
		*sozupb.Request_AddTcpFrontend, *sozupb.Request_RemoveTcpFrontend,
		*sozupb.Request_AddUdpFrontend, *sozupb.Request_RemoveUdpFrontend,
		*sozupb.Request_AddBackend, *sozupb.Request_RemoveBackend,
		*sozupb.Request_UpdateHttpListener, *sozupb.Request_UpdateHttpsListener,
		*sozupb.Request_UpdateTcpListener, *sozupb.Request_UpdateUdpListener,
		*sozupb.Request_SetHealthCheck, *sozupb.Request_RemoveHealthCheck:
		return true
	}
	return false
}

// isStateNoOp reports whether Sōzu's ConfigState accepts req without
// recording anything (runtime-only verbs, state.rs:146-161).
func isStateNoOp(req *sozupb.Request) bool {
	switch req.GetRequestType().(type) {
	case *sozupb.Request_Logging, *sozupb.Request_CountRequests, *sozupb.Request_Status,
		*sozupb.Request_SoftStop, *sozupb.Request_QueryCertificatesFromWorkers,
		*sozupb.Request_QueryClusterById, *sozupb.Request_QueryClustersByDomain,
		*sozupb.Request_QueryMetrics, *sozupb.Request_QueryClustersHashes,
		*sozupb.Request_ConfigureMetrics, *sozupb.Request_SetMetricDetail,
		*sozupb.Request_ReturnListenSockets, *sozupb.Request_SetMaxConnectionsPerIp,
		*sozupb.Request_QueryMaxConnectionsPerIp, *sozupb.Request_HardStop:
		return true
	}
	return false
}

// FromRequests returns the State that applying reqs in order to an empty
// State gives. It stops at the first rejected request; the error names it
// by its position, counted from 1, and wraps the *Error.
func FromRequests(reqs []*sozupb.Request) (*State, error) {
	s := New()
	for i, r := range reqs {
		if err := s.Apply(r); err != nil {
			return nil, fmt.Errorf("request %d (%s): %w", i+1, VerbName(r), err)
		}
	}
	return s, nil
}

// VerbName returns the proto field name of the request's verb, such as
// "add_cluster", or "empty" when it carries none.
func VerbName(req *sozupb.Request) string {
	m := req.ProtoReflect()
	if !m.IsValid() {
		return "empty"
	}
	od := m.Descriptor().Oneofs().ByName("request_type")
	if od == nil {
		return "empty"
	}
	fd := m.WhichOneof(od)
	if fd == nil {
		return "empty"
	}
	return string(fd.Name())
}

// Apply changes s as Sōzu 2.1.0's main process changes its ConfigState when
// it dispatches req (ConfigState::dispatch, command/src/state.rs:108-174).
// A rejection returns an *Error and leaves s unchanged, except where Sōzu
// itself keeps part of the change: UpdateHttpListener and
// UpdateHttpsListener write the fields before an invalid sozu_id_header or
// ALPN list, AddCertificate creates the address's certificate map before
// the certificate's names can fail, and ReplaceCertificate removes the old
// certificate before the new one can fail. Runtime-only verbs return nil
// and change nothing; other verbs that the state does not handle return an
// Undispatchable error. Apply stores copies: req is never retained.
func (s *State) Apply(req *sozupb.Request) error {
	return s.apply(req, false)
}

// apply is Apply; adopt lets s keep req's messages (ApplyOwned).
func (s *State) apply(req *sozupb.Request, adopt bool) error {
	if s == nil {
		return fmt.Errorf("apply %s: nil State", VerbName(req))
	}
	if req == nil || req.GetRequestType() == nil {
		return &Error{Kind: Empty, Message: "Request came in empty"}
	}
	s.init()
	req = withPayload(req)
	switch r := req.GetRequestType().(type) {
	case *sozupb.Request_AddCluster:
		return s.addCluster(r.AddCluster, adopt)
	case *sozupb.Request_RemoveCluster:
		return s.removeCluster(r.RemoveCluster)
	case *sozupb.Request_SetHealthCheck:
		return s.setHealthCheck(r.SetHealthCheck, adopt)
	case *sozupb.Request_RemoveHealthCheck:
		return s.removeHealthCheck(r.RemoveHealthCheck)
	case *sozupb.Request_AddHttpListener:
		return addListener(s.HTTPListeners, r.AddHttpListener, r.AddHttpListener.GetAddress(), objHTTPListener, adopt)
	case *sozupb.Request_AddHttpsListener:
		return addListener(s.HTTPSListeners, r.AddHttpsListener, r.AddHttpsListener.GetAddress(), objHTTPSListener, adopt)
	case *sozupb.Request_AddTcpListener:
		return addListener(s.TCPListeners, r.AddTcpListener, r.AddTcpListener.GetAddress(), objTCPListener, adopt)
	case *sozupb.Request_AddUdpListener:
		return addListener(s.UDPListeners, r.AddUdpListener, r.AddUdpListener.GetAddress(), objUDPListener, adopt)
	case *sozupb.Request_RemoveListener:
		return s.removeListener(r.RemoveListener)
	case *sozupb.Request_ActivateListener:
		return s.setActive(r.ActivateListener.GetAddress(), r.ActivateListener.Proxy, true)
	case *sozupb.Request_DeactivateListener:
		return s.setActive(r.DeactivateListener.GetAddress(), r.DeactivateListener.Proxy, false)
	case *sozupb.Request_UpdateHttpListener:
		return s.updateHTTPListener(r.UpdateHttpListener)
	case *sozupb.Request_UpdateHttpsListener:
		return s.updateHTTPSListener(r.UpdateHttpsListener)
	case *sozupb.Request_UpdateTcpListener:
		return s.updateTCPListener(r.UpdateTcpListener)
	case *sozupb.Request_UpdateUdpListener:
		return s.updateUDPListener(r.UpdateUdpListener)
	case *sozupb.Request_AddHttpFrontend:
		return addHTTPFrontend(s.HTTPFrontends, r.AddHttpFrontend, objHTTPFrontend, adopt)
	case *sozupb.Request_AddHttpsFrontend:
		return addHTTPFrontend(s.HTTPSFrontends, r.AddHttpsFrontend, objHTTPSFrontend, adopt)
	case *sozupb.Request_RemoveHttpFrontend:
		return removeHTTPFrontend(s.HTTPFrontends, r.RemoveHttpFrontend, objHTTPFrontend)
	case *sozupb.Request_RemoveHttpsFrontend:
		return removeHTTPFrontend(s.HTTPSFrontends, r.RemoveHttpsFrontend, objHTTPSFrontend)
	case *sozupb.Request_AddTcpFrontend:
		return addL4Frontend(s.TCPFrontends, r.AddTcpFrontend, "TcpFrontend", objTCPFrontend, adopt)
	case *sozupb.Request_RemoveTcpFrontend:
		return removeL4Frontend(s.TCPFrontends, r.RemoveTcpFrontend, "RequestTcpFrontend", objTCPFrontend)
	case *sozupb.Request_AddUdpFrontend:
		return addL4Frontend(s.UDPFrontends, r.AddUdpFrontend, "UdpFrontend", objUDPFrontend, adopt)
	case *sozupb.Request_RemoveUdpFrontend:
		return removeL4Frontend(s.UDPFrontends, r.RemoveUdpFrontend, "RequestUdpFrontend", objUDPFrontend)
	case *sozupb.Request_AddBackend:
		return s.addBackend(r.AddBackend, adopt)
	case *sozupb.Request_RemoveBackend:
		return s.removeBackend(r.RemoveBackend)
	case *sozupb.Request_AddCertificate:
		return s.addCertificate(r.AddCertificate, adopt)
	case *sozupb.Request_RemoveCertificate:
		return s.removeCertificate(r.RemoveCertificate)
	case *sozupb.Request_ReplaceCertificate:
		return s.replaceCertificate(r.ReplaceCertificate, adopt)
	}
	if isStateNoOp(req) {
		return nil
	}
	return &Error{Kind: Undispatchable, Message: "State can not handle this request"}
}

// ApplyOwned is Apply for a request that the caller hands over: s may keep
// req's messages instead of copies, so the caller must neither use nor
// change req afterwards. It spares the copies when a request was built only
// to be applied, as when a state file is read.
func (s *State) ApplyOwned(req *sozupb.Request) error {
	return s.apply(req, true)
}

// keep returns m when the State may keep the caller's message, else a copy.
func keep[M proto.Message](m M, adopt bool) M {
	if adopt {
		return m
	}
	return proto.Clone(m).(M)
}

// withPayload returns req, or a copy whose nil verb message is replaced by
// an empty one: on the wire both decode the same way.
func withPayload(req *sozupb.Request) *sozupb.Request {
	m := req.ProtoReflect()
	fd := m.WhichOneof(m.Descriptor().Oneofs().ByName("request_type"))
	if fd == nil || fd.Message() == nil || m.Get(fd).Message().IsValid() {
		return req
	}
	c := proto.Clone(req).(*sozupb.Request)
	cm := c.ProtoReflect()
	cm.Set(fd, protoreflect.ValueOfMessage(cm.Get(fd).Message().Type().New()))
	return c
}

// validateHealthCheck mirrors validate_health_check_config
// (command/src/config.rs:1976-2016).
func validateHealthCheck(hc *sozupb.HealthCheckConfig) *Error {
	reason := ""
	switch {
	case hc.GetInterval() == 0:
		reason = "health check interval must be > 0"
	case hc.GetTimeout() == 0:
		reason = "health check timeout must be > 0"
	case hc.GetHealthyThreshold() == 0:
		reason = "health check healthy_threshold must be > 0"
	case hc.GetUnhealthyThreshold() == 0:
		reason = "health check unhealthy_threshold must be > 0"
	case !strings.HasPrefix(hc.GetUri(), "/"):
		reason = "health check URI must start with '/'"
	default:
		for _, b := range []byte(hc.GetUri()) {
			if b < 0x20 && b != '\t' {
				reason = "health check URI must not contain CR, LF, NUL, or other C0 control bytes"
				break
			}
		}
	}
	if reason == "" {
		return nil
	}
	return errInvalid("health_check", reason)
}

func (s *State) addCluster(c *sozupb.Cluster, adopt bool) error {
	if c.GetHealthCheck() != nil {
		if err := validateHealthCheck(c.GetHealthCheck()); err != nil {
			return err
		}
	}
	s.Clusters[c.GetClusterId()] = keep(c, adopt)
	return nil
}

func (s *State) removeCluster(id string) error {
	if _, ok := s.Clusters[id]; !ok {
		return errNotFound(objCluster, id)
	}
	delete(s.Clusters, id)
	return nil
}

func (s *State) setHealthCheck(set *sozupb.SetHealthCheck, adopt bool) error {
	if err := validateHealthCheck(set.GetConfig()); err != nil {
		return err
	}
	c, ok := s.Clusters[set.GetClusterId()]
	if !ok {
		return errNotFound(objCluster, set.GetClusterId())
	}
	if set.Config == nil {
		c.HealthCheck = &sozupb.HealthCheckConfig{}
	} else {
		c.HealthCheck = keep(set.Config, adopt)
	}
	return nil
}

func (s *State) removeHealthCheck(id string) error {
	c, ok := s.Clusters[id]
	if !ok {
		return errNotFound(objCluster, id)
	}
	c.HealthCheck = nil
	return nil
}

func addListener[M proto.Message](m map[string]M, l M, addr *sozupb.SocketAddress, kind string, adopt bool) error {
	key := FormatAddress(addr)
	if _, ok := m[key]; ok {
		return errExists(kind, key)
	}
	m[key] = keep(l, adopt)
	return nil
}

// listenerType checks a ListenerType the way prost's try_from does.
func listenerType(p *sozupb.ListenerType) (sozupb.ListenerType, *Error) {
	v := sozupb.ListenerType(0)
	if p != nil {
		v = *p
	}
	switch v {
	case sozupb.ListenerType_HTTP, sozupb.ListenerType_HTTPS, sozupb.ListenerType_TCP, sozupb.ListenerType_UDP:
		return v, nil
	}
	return v, &Error{Kind: Invalid, Message: "Wrong field value: unknown enumeration value " + strconv.Itoa(int(v))}
}

func (s *State) removeListener(r *sozupb.RemoveListener) error {
	lt, err := listenerType(r.Proxy)
	if err != nil {
		return err
	}
	key := FormatAddress(r.GetAddress())
	var found bool
	switch lt {
	case sozupb.ListenerType_HTTP:
		_, found = s.HTTPListeners[key]
		delete(s.HTTPListeners, key)
	case sozupb.ListenerType_HTTPS:
		_, found = s.HTTPSListeners[key]
		delete(s.HTTPSListeners, key)
	case sozupb.ListenerType_TCP:
		_, found = s.TCPListeners[key]
		delete(s.TCPListeners, key)
	case sozupb.ListenerType_UDP:
		_, found = s.UDPListeners[key]
		delete(s.UDPListeners, key)
	}
	if !found {
		return errNoChange()
	}
	return nil
}

func (s *State) setActive(addr *sozupb.SocketAddress, proxy *sozupb.ListenerType, active bool) error {
	lt, err := listenerType(proxy)
	if err != nil {
		return err
	}
	key := FormatAddress(addr)
	switch lt {
	case sozupb.ListenerType_HTTP:
		if l, ok := s.HTTPListeners[key]; ok {
			l.Active = proto.Bool(active)
			return nil
		}
		return errNotFound(objHTTPListener, key)
	case sozupb.ListenerType_HTTPS:
		if l, ok := s.HTTPSListeners[key]; ok {
			l.Active = proto.Bool(active)
			return nil
		}
		return errNotFound(objHTTPSListener, key)
	case sozupb.ListenerType_TCP:
		if l, ok := s.TCPListeners[key]; ok {
			l.Active = proto.Bool(active)
			return nil
		}
		return errNotFound(objTCPListener, key)
	default:
		if l, ok := s.UDPListeners[key]; ok {
			l.Active = proto.Bool(active)
			return nil
		}
		return errNotFound(objUDPListener, key)
	}
}

// h2Knobs is the part of an HTTP or HTTPS listener patch that Sōzu checks
// before writing anything (validate_h2_flood_knobs_http/https,
// command/src/state.rs:2561-2700).
type h2Knobs struct {
	rstPerWindow, pingPerWindow, settingsPerWindow, emptyDataPerWindow *uint32
	continuationFrames, glitchCount, windowUpdate0, concurrentStreams  *uint32
	shrinkRatio                                                        *uint32
	rstLifetime, rstAbusiveLifetime, rstEmittedLifetime                *uint64
	headerListSize, headerTableSize, headerFields                      *uint32
}

func (k h2Knobs) validate() *Error {
	ge1 := []struct {
		v    *uint32
		name string
	}{
		{k.rstPerWindow, "h2_max_rst_stream_per_window"},
		{k.pingPerWindow, "h2_max_ping_per_window"},
		{k.settingsPerWindow, "h2_max_settings_per_window"},
		{k.emptyDataPerWindow, "h2_max_empty_data_per_window"},
		{k.continuationFrames, "h2_max_continuation_frames"},
		{k.glitchCount, "h2_max_glitch_count"},
		{k.windowUpdate0, "h2_max_window_update_stream0_per_window"},
		{k.concurrentStreams, "h2_max_concurrent_streams"},
	}
	for _, f := range ge1 {
		if f.v != nil && *f.v == 0 {
			return errInvalid(f.name, "must be >= 1")
		}
	}
	if k.shrinkRatio != nil && *k.shrinkRatio < 2 {
		return errInvalid("h2_stream_shrink_ratio", "must be >= 2")
	}
	ge1u64 := []struct {
		v    *uint64
		name string
	}{
		{k.rstLifetime, "h2_max_rst_stream_lifetime"},
		{k.rstAbusiveLifetime, "h2_max_rst_stream_abusive_lifetime"},
		{k.rstEmittedLifetime, "h2_max_rst_stream_emitted_lifetime"},
	}
	for _, f := range ge1u64 {
		if f.v != nil && *f.v == 0 {
			return errInvalid(f.name, "must be >= 1")
		}
	}
	tail := []struct {
		v    *uint32
		name string
	}{
		{k.headerListSize, "h2_max_header_list_size"},
		{k.headerTableSize, "h2_max_header_table_size"},
		{k.headerFields, "h2_max_header_fields"},
	}
	for _, f := range tail {
		if f.v != nil && *f.v == 0 {
			return errInvalid(f.name, "must be >= 1")
		}
	}
	return nil
}

// validateSozuIDHeader mirrors validate_sozu_id_header (state.rs:2744-2778):
// a non-empty RFC 9110 token.
func validateSozuIDHeader(v string) *Error {
	if v == "" {
		return errInvalid("sozu_id_header", "must not be empty")
	}
	for i := 0; i < len(v); i++ {
		b := v[i]
		ok := (b >= '0' && b <= '9') || (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') ||
			strings.IndexByte("!#$%&'*+-.^_`|~", b) >= 0
		if !ok {
			return errInvalid("sozu_id_header", "must be a valid HTTP header name (RFC 9110 §5.1 token: alphanumeric or one of !#$%&'*+-.^_`|~)")
		}
	}
	return nil
}

// validateALPN mirrors validate_alpn_protocols (state.rs:2726-2737).
func validateALPN(values []string) *Error {
	for _, v := range values {
		if v != "h2" && v != "http/1.1" {
			return errInvalid("alpn_protocols", `each value must be "h2" or "http/1.1"`)
		}
	}
	return nil
}

// mergeHTTPAnswers mirrors merge_custom_http_answers (state.rs:2701-2724):
// the patch's set answers replace the stored ones; answer_429 is not merged
// by Sōzu 2.1.0 and is not merged here.
func mergeHTTPAnswers(target **sozupb.CustomHttpAnswers, patch *sozupb.CustomHttpAnswers) {
	if *target == nil {
		*target = &sozupb.CustomHttpAnswers{}
	}
	t := *target
	set := func(dst **string, src *string) {
		if src != nil {
			*dst = proto.String(*src)
		}
	}
	set(&t.Answer_301, patch.Answer_301)
	set(&t.Answer_400, patch.Answer_400)
	set(&t.Answer_401, patch.Answer_401)
	set(&t.Answer_404, patch.Answer_404)
	set(&t.Answer_408, patch.Answer_408)
	set(&t.Answer_413, patch.Answer_413)
	set(&t.Answer_421, patch.Answer_421)
	set(&t.Answer_502, patch.Answer_502)
	set(&t.Answer_503, patch.Answer_503)
	set(&t.Answer_504, patch.Answer_504)
	set(&t.Answer_507, patch.Answer_507)
}

func setU32(dst **uint32, src *uint32) {
	if src != nil {
		*dst = proto.Uint32(*src)
	}
}

func setU64(dst **uint64, src *uint64) {
	if src != nil {
		*dst = proto.Uint64(*src)
	}
}

func setBool(dst **bool, src *bool) {
	if src != nil {
		*dst = proto.Bool(*src)
	}
}

func setString(dst **string, src *string) {
	if src != nil {
		*dst = proto.String(*src)
	}
}

func setAddr(dst **sozupb.SocketAddress, src *sozupb.SocketAddress) {
	if src != nil {
		*dst = cloneAddr(src)
	}
}

// copyH2Knobs writes onto the listener l every h2_* field that the patch p
// sets, as Sōzu's update_http_listener and update_https_listener do field
// by field: the patch messages and the listener configurations name their
// H2 knobs alike.
func copyH2Knobs(l, p proto.Message) {
	lm, pm := l.ProtoReflect(), p.ProtoReflect()
	lf, pf := lm.Descriptor().Fields(), pm.Descriptor().Fields()
	for i := 0; i < pf.Len(); i++ {
		fd := pf.Get(i)
		if !strings.HasPrefix(string(fd.Name()), "h2_") || !pm.Has(fd) {
			continue
		}
		if dst := lf.ByName(fd.Name()); dst != nil {
			lm.Set(dst, pm.Get(fd))
		}
	}
}

// updateHTTPListener mirrors update_http_listener (state.rs:623-721).
// answers, elide_x_real_ip and send_x_real_ip are ignored, as Sōzu's main
// process ignores them.
func (s *State) updateHTTPListener(p *sozupb.UpdateHttpListenerConfig) error {
	if err := (h2Knobs{p.H2MaxRstStreamPerWindow, p.H2MaxPingPerWindow, p.H2MaxSettingsPerWindow, p.H2MaxEmptyDataPerWindow,
		p.H2MaxContinuationFrames, p.H2MaxGlitchCount, p.H2MaxWindowUpdateStream0PerWindow, p.H2MaxConcurrentStreams,
		p.H2StreamShrinkRatio, p.H2MaxRstStreamLifetime, p.H2MaxRstStreamAbusiveLifetime, p.H2MaxRstStreamEmittedLifetime,
		p.H2MaxHeaderListSize, p.H2MaxHeaderTableSize, p.H2MaxHeaderFields}).validate(); err != nil {
		return err
	}
	key := FormatAddress(p.GetAddress())
	l, ok := s.HTTPListeners[key]
	if !ok {
		return errNotFound(objHTTPListener, key)
	}
	setAddr(&l.PublicAddress, p.PublicAddress)
	setBool(&l.ExpectProxy, p.ExpectProxy)
	setString(&l.StickyName, p.StickyName)
	setU32(&l.FrontTimeout, p.FrontTimeout)
	setU32(&l.BackTimeout, p.BackTimeout)
	setU32(&l.ConnectTimeout, p.ConnectTimeout)
	setU32(&l.RequestTimeout, p.RequestTimeout)
	if p.HttpAnswers != nil {
		mergeHTTPAnswers(&l.HttpAnswers, p.HttpAnswers)
	}
	copyH2Knobs(l, p)
	if p.SozuIdHeader != nil {
		// Sōzu checks this last, after writing every other field.
		if err := validateSozuIDHeader(*p.SozuIdHeader); err != nil {
			return err
		}
		l.SozuIdHeader = proto.String(*p.SozuIdHeader)
	}
	return nil
}

// updateHTTPSListener mirrors update_https_listener (state.rs:723-842).
// answers, elide_x_real_ip, send_x_real_ip and hsts are ignored, as Sōzu's
// main process ignores them.
func (s *State) updateHTTPSListener(p *sozupb.UpdateHttpsListenerConfig) error {
	if err := (h2Knobs{p.H2MaxRstStreamPerWindow, p.H2MaxPingPerWindow, p.H2MaxSettingsPerWindow, p.H2MaxEmptyDataPerWindow,
		p.H2MaxContinuationFrames, p.H2MaxGlitchCount, p.H2MaxWindowUpdateStream0PerWindow, p.H2MaxConcurrentStreams,
		p.H2StreamShrinkRatio, p.H2MaxRstStreamLifetime, p.H2MaxRstStreamAbusiveLifetime, p.H2MaxRstStreamEmittedLifetime,
		p.H2MaxHeaderListSize, p.H2MaxHeaderTableSize, p.H2MaxHeaderFields}).validate(); err != nil {
		return err
	}
	key := FormatAddress(p.GetAddress())
	l, ok := s.HTTPSListeners[key]
	if !ok {
		return errNotFound(objHTTPSListener, key)
	}
	setAddr(&l.PublicAddress, p.PublicAddress)
	setBool(&l.ExpectProxy, p.ExpectProxy)
	setString(&l.StickyName, p.StickyName)
	setU32(&l.FrontTimeout, p.FrontTimeout)
	setU32(&l.BackTimeout, p.BackTimeout)
	setU32(&l.ConnectTimeout, p.ConnectTimeout)
	setU32(&l.RequestTimeout, p.RequestTimeout)
	if p.HttpAnswers != nil {
		mergeHTTPAnswers(&l.HttpAnswers, p.HttpAnswers)
	}
	if p.AlpnProtocols != nil {
		// Sōzu checks ALPN after writing the fields above.
		if err := validateALPN(p.AlpnProtocols.Values); err != nil {
			return err
		}
		l.AlpnProtocols = slices.Clone(p.AlpnProtocols.Values)
	}
	setBool(&l.StrictSniBinding, p.StrictSniBinding)
	setBool(&l.DisableHttp11, p.DisableHttp11)
	copyH2Knobs(l, p)
	if p.SozuIdHeader != nil {
		if err := validateSozuIDHeader(*p.SozuIdHeader); err != nil {
			return err
		}
		l.SozuIdHeader = proto.String(*p.SozuIdHeader)
	}
	return nil
}

// updateTCPListener mirrors update_tcp_listener (state.rs:844-872).
func (s *State) updateTCPListener(p *sozupb.UpdateTcpListenerConfig) error {
	key := FormatAddress(p.GetAddress())
	l, ok := s.TCPListeners[key]
	if !ok {
		return errNotFound(objTCPListener, key)
	}
	setAddr(&l.PublicAddress, p.PublicAddress)
	setBool(&l.ExpectProxy, p.ExpectProxy)
	setU32(&l.FrontTimeout, p.FrontTimeout)
	setU32(&l.BackTimeout, p.BackTimeout)
	setU32(&l.ConnectTimeout, p.ConnectTimeout)
	return nil
}

// updateUDPListener mirrors update_udp_listener (state.rs:874-906).
func (s *State) updateUDPListener(p *sozupb.UpdateUdpListenerConfig) error {
	key := FormatAddress(p.GetAddress())
	l, ok := s.UDPListeners[key]
	if !ok {
		return errNotFound(objUDPListener, key)
	}
	setAddr(&l.PublicAddress, p.PublicAddress)
	setU32(&l.FrontTimeout, p.FrontTimeout)
	setU32(&l.BackTimeout, p.BackTimeout)
	setU32(&l.MaxRxDatagramSize, p.MaxRxDatagramSize)
	setU32(&l.MaxFlows, p.MaxFlows)
	return nil
}

func addHTTPFrontend(m map[string]*sozupb.RequestHttpFrontend, f *sozupb.RequestHttpFrontend, kind string, adopt bool) error {
	key := RouteKey(f)
	if _, ok := m[key]; ok {
		return errExists(kind, key)
	}
	// Sōzu converts the frontend before storing it; only an unknown position
	// fails (command/src/request.rs:216-241).
	switch f.GetPosition() {
	case sozupb.RulePosition_PRE, sozupb.RulePosition_POST, sozupb.RulePosition_TREE:
	default:
		return &Error{Kind: Invalid, Message: fmt.Sprintf(
			"Could not convert the frontend to an insertable one. Frontend: %s error: invalid value %d for field 'position'",
			key, int32(f.GetPosition()))}
	}
	nf := keep(f, adopt)
	storeAddress(&nf.Address)
	m[key] = nf
	return nil
}

// storeAddress replaces *a by the address Sōzu keeps for a frontend or a
// backend: it stores a Rust SocketAddr and writes it back from there
// (command/src/request.rs:357-385), so a missing IP becomes 0.0.0.0 and a
// port above 65535 keeps its low 16 bits. A well-formed address is left as
// it is. Listeners, unlike frontends and backends, keep the address as sent.
func storeAddress(a **sozupb.SocketAddress) {
	if !isStoredForm(*a) {
		*a = canonicalAddress(*a)
	}
}

// isStoredForm reports whether a is already as Sōzu writes a SocketAddr.
func isStoredForm(a *sozupb.SocketAddress) bool {
	if a == nil || a.Port == nil || a.GetPort() > 0xffff || a.Ip == nil {
		return false
	}
	switch ip := a.Ip.Inner.(type) {
	case *sozupb.IpAddress_V4:
		return true
	case *sozupb.IpAddress_V6:
		return ip.V6 != nil && ip.V6.Low != nil && ip.V6.High != nil
	}
	return false
}

func removeHTTPFrontend(m map[string]*sozupb.RequestHttpFrontend, f *sozupb.RequestHttpFrontend, kind string) error {
	key := RouteKey(f)
	if _, ok := m[key]; !ok {
		return errNotFound(kind, key)
	}
	delete(m, key)
	return nil
}

// l4Frontend is a TCP or UDP frontend request.
type l4Frontend interface {
	proto.Message
	GetClusterId() string
	GetAddress() *sozupb.SocketAddress
	GetTags() map[string]string
}

func sameL4(a, b l4Frontend) bool {
	if a.GetClusterId() != b.GetClusterId() || FormatAddress(a.GetAddress()) != FormatAddress(b.GetAddress()) {
		return false
	}
	at, bt := a.GetTags(), b.GetTags()
	if len(at) != len(bt) {
		return false
	}
	for k, v := range at {
		if w, ok := bt[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// addL4Frontend mirrors add_tcp_frontend / add_udp_frontend
// (state.rs:1212-1244, 1275-1297): exact duplicates of (cluster, address,
// tags) are refused.
func addL4Frontend[F l4Frontend](m map[string][]F, f F, debugName, kind string, adopt bool) error {
	list := m[f.GetClusterId()]
	for _, e := range list {
		if sameL4(e, f) {
			return errExists(kind, debugL4(debugName, f, false))
		}
	}
	nf := keep(f, adopt)
	storeL4Address(nf)
	m[f.GetClusterId()] = append(list, nf)
	return nil
}

// storeL4Address applies storeAddress to a TCP or UDP frontend.
func storeL4Address(f l4Frontend) {
	switch v := f.(type) {
	case *sozupb.RequestTcpFrontend:
		storeAddress(&v.Address)
	case *sozupb.RequestUdpFrontend:
		storeAddress(&v.Address)
	}
}

// removeL4Frontend mirrors remove_tcp_frontend / remove_udp_frontend
// (state.rs:1246-1273, 1299-1317): every frontend of the cluster on that
// address goes, whatever its tags.
func removeL4Frontend[F l4Frontend](m map[string][]F, f F, debugName, kind string) error {
	list, ok := m[f.GetClusterId()]
	if !ok {
		return errNotFound(kind, debugL4(debugName, f, true))
	}
	addr := FormatAddress(f.GetAddress())
	kept := list[:0:0]
	for _, e := range list {
		if FormatAddress(e.GetAddress()) != addr {
			kept = append(kept, e)
		}
	}
	if len(kept) == len(list) {
		return errNoChange()
	}
	m[f.GetClusterId()] = kept
	return nil
}

// debugL4 renders a TCP/UDP frontend the way Rust's Debug does in Sōzu's
// error messages: the stored form (address as ip:port) or the request form
// (address as a SocketAddress message).
func debugL4(name string, f l4Frontend, request bool) string {
	var b strings.Builder
	b.WriteString(name)
	b.WriteString(" { cluster_id: ")
	b.WriteString(strconv.Quote(f.GetClusterId()))
	b.WriteString(", address: ")
	if request {
		b.WriteString(debugSocketAddress(f.GetAddress()))
	} else {
		b.WriteString(FormatAddress(f.GetAddress()))
	}
	b.WriteString(", tags: {")
	for i, k := range sortedKeys(f.GetTags()) {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(strconv.Quote(k) + ": " + strconv.Quote(f.GetTags()[k]))
	}
	b.WriteString("} }")
	return b.String()
}

func debugSocketAddress(a *sozupb.SocketAddress) string {
	inner := "None"
	switch ip := a.GetIp().GetInner().(type) {
	case *sozupb.IpAddress_V4:
		inner = fmt.Sprintf("Some(V4(%d))", ip.V4)
	case *sozupb.IpAddress_V6:
		inner = fmt.Sprintf("Some(V6(Uint128 { low: %d, high: %d }))", ip.V6.GetLow(), ip.V6.GetHigh())
	}
	return fmt.Sprintf("SocketAddress { ip: IpAddress { inner: %s }, port: %d }", inner, a.GetPort())
}

// compareBackends orders one cluster's backends by their identity,
// backend_id then socket address: the canonical order of Fingerprint.
func compareBackends(a, b *sozupb.AddBackend) int {
	if c := strings.Compare(a.GetBackendId(), b.GetBackendId()); c != 0 {
		return c
	}
	return compareAddresses(a.GetAddress(), b.GetAddress())
}

// compareAddresses orders socket addresses as Rust's SocketAddr does:
// IPv4 before IPv6, then the address bytes, then the port.
func compareAddresses(a, b *sozupb.SocketAddress) int {
	ap, bp := sozuAddrPort(a), sozuAddrPort(b)
	a4, b4 := ap.Addr().Is4(), bp.Addr().Is4()
	if a4 != b4 {
		if a4 {
			return -1
		}
		return 1
	}
	if c := ap.Addr().Compare(bp.Addr()); c != 0 {
		return c
	}
	switch {
	case ap.Port() < bp.Port():
		return -1
	case ap.Port() > bp.Port():
		return 1
	}
	return 0
}

// compareBackendsSozu is the order in which Sōzu keeps a cluster's
// backends (impl Ord for Backend, command/src/response.rs:330-363):
// backend_id, then sticky_id, load_balancing_parameters and backup (unset
// first), then the socket address.
func compareBackendsSozu(a, b *sozupb.AddBackend) int {
	if c := strings.Compare(a.GetBackendId(), b.GetBackendId()); c != 0 {
		return c
	}
	if c := compareOptional(a.StickyId, b.StickyId, strings.Compare); c != 0 {
		return c
	}
	var wa, wb *int32
	if a.LoadBalancingParameters != nil {
		wa = proto.Int32(a.LoadBalancingParameters.GetWeight())
	}
	if b.LoadBalancingParameters != nil {
		wb = proto.Int32(b.LoadBalancingParameters.GetWeight())
	}
	if c := compareOptional(wa, wb, func(x, y int32) int { return cmpInt(x, y) }); c != 0 {
		return c
	}
	if c := compareOptional(a.Backup, b.Backup, func(x, y bool) int {
		switch {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	}); c != 0 {
		return c
	}
	return compareAddresses(a.GetAddress(), b.GetAddress())
}

// compareOptional orders as Rust's Option does: None before Some.
func compareOptional[T any](a, b *T, cmp func(T, T) int) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp(*a, *b)
}

func cmpInt[T int32 | uint16](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// findBackend returns the index of the backend with this id and address in
// a list kept in Sōzu's order, or -1. The id is the leading sort key, so
// only the backends that share it are scanned.
func findBackend(list []*sozupb.AddBackend, id string, addr *sozupb.SocketAddress) int {
	i, _ := slices.BinarySearchFunc(list, id, func(b *sozupb.AddBackend, id string) int {
		return strings.Compare(b.GetBackendId(), id)
	})
	for ; i < len(list) && list[i].GetBackendId() == id; i++ {
		if compareAddresses(list[i].GetAddress(), addr) == 0 {
			return i
		}
	}
	return -1
}

// addBackend mirrors add_backend (state.rs:1319-1363): an upsert by
// (cluster_id, backend_id, address); the cluster need not exist. The list
// stays in Sōzu's order.
func (s *State) addBackend(b *sozupb.AddBackend, adopt bool) error {
	list := s.Backends[b.GetClusterId()]
	if i := findBackend(list, b.GetBackendId(), b.GetAddress()); i >= 0 {
		list = slices.Delete(list, i, i+1)
	}
	nb := keep(b, adopt)
	storeAddress(&nb.Address)
	i, _ := slices.BinarySearchFunc(list, nb, compareBackendsSozu)
	s.Backends[b.GetClusterId()] = slices.Insert(list, i, nb)
	return nil
}

// removeBackend mirrors remove_backend (state.rs:1365-1393).
func (s *State) removeBackend(r *sozupb.RemoveBackend) error {
	list, ok := s.Backends[r.GetClusterId()]
	if !ok {
		return errNotFound(objBackend, r.GetBackendId())
	}
	i := findBackend(list, r.GetBackendId(), r.GetAddress())
	if i < 0 {
		return errNoChange()
	}
	s.Backends[r.GetClusterId()] = slices.Delete(list, i, i+1)
	return nil
}

// decodeFingerprint decodes a hex fingerprint as Sōzu's hex crate does and
// returns its lowercase form, the key of State.Certificates.
func decodeFingerprint(s string) (string, string) {
	if len(s)%2 != 0 {
		return "", "Odd number of digits"
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')) {
			return "", fmt.Sprintf("Invalid character %s at position %d", rustCharDebug(rune(c)), i)
		}
	}
	return strings.ToLower(s), ""
}

// rustCharDebug renders a character as Rust's Debug does ('g').
func rustCharDebug(r rune) string {
	return strconv.QuoteRune(r)
}

// addCertificate mirrors add_certificate (state.rs:1096-1131).
func (s *State) addCertificate(a *sozupb.AddCertificate, adopt bool) error {
	fp, err := CertificateFingerprint(a.GetCertificate().GetCertificate())
	if err != nil {
		return &Error{Kind: Invalid, Message: "Could not add certificate: Could not parse PEM certificate from bytes: " + pemDetail(err)}
	}
	addr := FormatAddress(a.GetAddress())
	certs, ok := s.Certificates[addr]
	if !ok {
		// Sōzu creates the address's map before resolving names, so it
		// stays even when the names below fail.
		certs = map[string]*sozupb.CertificateAndKey{}
		s.Certificates[addr] = certs
	}
	c := keep(a.GetCertificate(), adopt)
	if len(c.Names) == 0 {
		names, err := CertificateNames(c.GetCertificate())
		if err != nil {
			return &Error{Kind: Invalid, Message: "Could not add certificate: Could not parse X509 certificate from bytes: " + pemDetail(err)}
		}
		c.Names = names
	}
	if _, ok := certs[fp]; ok {
		return nil
	}
	certs[fp] = c
	return nil
}

func pemDetail(err error) string {
	msg := err.Error()
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}

// removeCertificate mirrors remove_certificate (state.rs:1133-1152).
func (s *State) removeCertificate(r *sozupb.RemoveCertificate) error {
	fp, bad := decodeFingerprint(r.GetFingerprint())
	if bad != "" {
		return &Error{Kind: Invalid, Message: "Could not remove certificate: " + bad}
	}
	if certs, ok := s.Certificates[FormatAddress(r.GetAddress())]; ok {
		delete(certs, fp)
	}
	return nil
}

// replaceCertificate mirrors replace_certificate (state.rs:1154-1210).
func (s *State) replaceCertificate(r *sozupb.ReplaceCertificate, adopt bool) error {
	old, bad := decodeFingerprint(r.GetOldFingerprint())
	if bad != "" {
		return &Error{Kind: Invalid, Message: "Could not remove certificate: " + bad}
	}
	addr := FormatAddress(r.GetAddress())
	certs, ok := s.Certificates[addr]
	if !ok {
		return errNotFound(objCertificate, addr)
	}
	delete(certs, old)
	fp, err := CertificateFingerprint(r.GetNewCertificate().GetCertificate())
	if err != nil {
		return &Error{Kind: Invalid, Message: "Could not replace certificate: Could not parse PEM certificate from bytes: " + pemDetail(err)}
	}
	c := keep(r.GetNewCertificate(), adopt)
	certs[fp] = c
	return nil
}
