package importer

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/pelletier/go-toml/v2"
	"github.com/pelletier/go-toml/v2/unstable"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// TOMLError is an error in a config.toml file. Line is where the TOML
// decoder found the error, or where the listener, cluster, frontend or
// backend at fault starts; Column is known for decoder errors only. Both
// are 0 when unknown. Err is the underlying error, if any (a file that
// cannot be read).
type TOMLError struct {
	File   string
	Line   int
	Column int
	Msg    string
	Err    error
}

func (e *TOMLError) Error() string {
	switch {
	case e.Line > 0 && e.Column > 0:
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Line, e.Column, e.Msg)
	case e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

// Unwrap returns the underlying error.
func (e *TOMLError) Unwrap() error { return e.Err }

// Sōzu's global defaults that reach the configuration state
// (command/src/config.rs:117-126 and 185).
const (
	defaultBufferSize = 16393
)

// tomlFile is the part of Sōzu's FileConfig (command/src/config.rs:2716-2828)
// that the import reads; the process settings are listed so that the strict
// decoder accepts them, and are otherwise ignored.
type tomlFile struct {
	Listeners         []tomlListener         `toml:"listeners"`
	Clusters          map[string]tomlCluster `toml:"clusters"`
	ActivateListeners *bool                  `toml:"activate_listeners"`
	FrontTimeout      *uint32                `toml:"front_timeout"`
	BackTimeout       *uint32                `toml:"back_timeout"`
	ConnectTimeout    *uint32                `toml:"connect_timeout"`
	RequestTimeout    *uint32                `toml:"request_timeout"`
	BufferSize        *uint64                `toml:"buffer_size"`
	LogColored        any                    `toml:"log_colored"`

	CommandSocket               any `toml:"command_socket"`
	CommandBufferSize           any `toml:"command_buffer_size"`
	MaxCommandBufferSize        any `toml:"max_command_buffer_size"`
	MaxConnections              any `toml:"max_connections"`
	MinBuffers                  any `toml:"min_buffers"`
	MaxBuffers                  any `toml:"max_buffers"`
	SlabEntriesPerConnection    any `toml:"slab_entries_per_connection"`
	BasicAuthMaxCredentialBytes any `toml:"basic_auth_max_credential_bytes"`
	MaxConnectionsPerIP         any `toml:"max_connections_per_ip"`
	RetryAfter                  any `toml:"retry_after"`
	SplicePipeCapacityBytes     any `toml:"splice_pipe_capacity_bytes"`
	CommandAllowedUIDs          any `toml:"command_allowed_uids"`
	SavedState                  any `toml:"saved_state"`
	AutomaticStateSave          any `toml:"automatic_state_save"`
	LogLevel                    any `toml:"log_level"`
	LogTarget                   any `toml:"log_target"`
	AuditLogsTarget             any `toml:"audit_logs_target"`
	AuditLogsJSONTarget         any `toml:"audit_logs_json_target"`
	AccessLogsTarget            any `toml:"access_logs_target"`
	AccessLogsFormat            any `toml:"access_logs_format"`
	AccessLogsColored           any `toml:"access_logs_colored"`
	WorkerCount                 any `toml:"worker_count"`
	WorkerAutomaticRestart      any `toml:"worker_automatic_restart"`
	Metrics                     any `toml:"metrics"`
	DisableClusterMetrics       any `toml:"disable_cluster_metrics"`
	HandleProcessAffinity       any `toml:"handle_process_affinity"`
	CtlCommandTimeout           any `toml:"ctl_command_timeout"`
	PidFilePath                 any `toml:"pid_file_path"`
	ZombieCheckInterval         any `toml:"zombie_check_interval"`
	AcceptQueueTimeout          any `toml:"accept_queue_timeout"`
	EvictOnQueueFull            any `toml:"evict_on_queue_full"`
	WorkerTimeout               any `toml:"worker_timeout"`
}

// tomlListener is Sōzu's ListenerBuilder (config.rs:376-456).
type tomlListener struct {
	Address       string            `toml:"address"`
	Protocol      *string           `toml:"protocol"`
	PublicAddress *string           `toml:"public_address"`
	Answer301     *string           `toml:"answer_301"`
	Answer400     *string           `toml:"answer_400"`
	Answer401     *string           `toml:"answer_401"`
	Answer404     *string           `toml:"answer_404"`
	Answer408     *string           `toml:"answer_408"`
	Answer413     *string           `toml:"answer_413"`
	Answer421     *string           `toml:"answer_421"`
	Answer502     *string           `toml:"answer_502"`
	Answer503     *string           `toml:"answer_503"`
	Answer504     *string           `toml:"answer_504"`
	Answer507     *string           `toml:"answer_507"`
	Answer429     *string           `toml:"answer_429"`
	Answers       map[string]string `toml:"answers"`
	TLSVersions   *[]string         `toml:"tls_versions"`
	CipherList    *[]string         `toml:"cipher_list"`
	CipherSuites  *[]string         `toml:"cipher_suites"`
	GroupsList    *[]string         `toml:"groups_list"`
	ExpectProxy   *bool             `toml:"expect_proxy"`
	StickyName    *string           `toml:"sticky_name"`
	Certificate   *string           `toml:"certificate"`
	CertChain     *string           `toml:"certificate_chain"`
	Key           *string           `toml:"key"`

	FrontTimeout     *uint32   `toml:"front_timeout"`
	BackTimeout      *uint32   `toml:"back_timeout"`
	ConnectTimeout   *uint32   `toml:"connect_timeout"`
	RequestTimeout   *uint32   `toml:"request_timeout"`
	SendTLS13Tickets *uint64   `toml:"send_tls13_tickets"`
	ALPNProtocols    *[]string `toml:"alpn_protocols"`

	H2MaxRstStreamPerWindow           *uint32   `toml:"h2_max_rst_stream_per_window"`
	H2MaxPingPerWindow                *uint32   `toml:"h2_max_ping_per_window"`
	H2MaxSettingsPerWindow            *uint32   `toml:"h2_max_settings_per_window"`
	H2MaxEmptyDataPerWindow           *uint32   `toml:"h2_max_empty_data_per_window"`
	H2MaxWindowUpdateStream0PerWindow *uint32   `toml:"h2_max_window_update_stream0_per_window"`
	SozuIDHeader                      *string   `toml:"sozu_id_header"`
	H2MaxContinuationFrames           *uint32   `toml:"h2_max_continuation_frames"`
	H2MaxGlitchCount                  *uint32   `toml:"h2_max_glitch_count"`
	H2InitialConnectionWindow         *uint32   `toml:"h2_initial_connection_window"`
	H2MaxConcurrentStreams            *uint32   `toml:"h2_max_concurrent_streams"`
	H2StreamShrinkRatio               *uint32   `toml:"h2_stream_shrink_ratio"`
	H2MaxRstStreamLifetime            *uint64   `toml:"h2_max_rst_stream_lifetime"`
	H2MaxRstStreamAbusiveLifetime     *uint64   `toml:"h2_max_rst_stream_abusive_lifetime"`
	H2MaxRstStreamEmittedLifetime     *uint64   `toml:"h2_max_rst_stream_emitted_lifetime"`
	H2MaxHeaderListSize               *uint32   `toml:"h2_max_header_list_size"`
	H2MaxHeaderTableSize              *uint32   `toml:"h2_max_header_table_size"`
	H2MaxHeaderFields                 *uint32   `toml:"h2_max_header_fields"`
	H2StreamIdleTimeoutSeconds        *uint32   `toml:"h2_stream_idle_timeout_seconds"`
	H2GracefulShutdownDeadlineSeconds *uint32   `toml:"h2_graceful_shutdown_deadline_seconds"`
	StrictSNIBinding                  *bool     `toml:"strict_sni_binding"`
	DisableHTTP11                     *bool     `toml:"disable_http11"`
	ElideXRealIP                      *bool     `toml:"elide_x_real_ip"`
	SendXRealIP                       *bool     `toml:"send_x_real_ip"`
	HSTS                              *tomlHSTS `toml:"hsts"`
	MaxRxDatagramSize                 *uint32   `toml:"max_rx_datagram_size"`
	MaxFlows                          *uint32   `toml:"max_flows"`
}

// tomlHSTS is FileHstsConfig (config.rs:1507-1530).
type tomlHSTS struct {
	Enabled             *bool   `toml:"enabled"`
	MaxAge              *uint32 `toml:"max_age"`
	IncludeSubdomains   *bool   `toml:"include_subdomains"`
	Preload             *bool   `toml:"preload"`
	ForceReplaceBackend *bool   `toml:"force_replace_backend"`
}

// tomlCluster is FileClusterConfig (config.rs:2020-2046).
type tomlCluster struct {
	Frontends           *[]tomlFrontend   `toml:"frontends"`
	Backends            *[]tomlBackend    `toml:"backends"`
	Protocol            string            `toml:"protocol"`
	StickySession       *bool             `toml:"sticky_session"`
	HTTPSRedirect       *bool             `toml:"https_redirect"`
	SendProxy           *bool             `toml:"send_proxy"`
	LoadBalancing       *string           `toml:"load_balancing"`
	Answer503           *string           `toml:"answer_503"`
	LoadMetric          *string           `toml:"load_metric"`
	HTTP2               *bool             `toml:"http2"`
	Answers             map[string]string `toml:"answers"`
	HTTPSRedirectPort   *uint32           `toml:"https_redirect_port"`
	AuthorizedHashes    *[]string         `toml:"authorized_hashes"`
	WWWAuthenticate     *string           `toml:"www_authenticate"`
	MaxConnectionsPerIP *uint64           `toml:"max_connections_per_ip"`
	RetryAfter          *uint32           `toml:"retry_after"`
	HealthCheck         *tomlHealthCheck  `toml:"health_check"`
	UDP                 *tomlUDP          `toml:"udp"`
}

// tomlHealthCheck is FileHealthCheckConfig (config.rs:1915-1940).
type tomlHealthCheck struct {
	URI                string  `toml:"uri"`
	Interval           *uint32 `toml:"interval"`
	Timeout            *uint32 `toml:"timeout"`
	HealthyThreshold   *uint32 `toml:"healthy_threshold"`
	UnhealthyThreshold *uint32 `toml:"unhealthy_threshold"`
	ExpectedStatus     *uint32 `toml:"expected_status"`
}

// tomlUDP is FileUdpClusterConfig, with its health settings.
type tomlUDP struct {
	AffinityKey                *string        `toml:"affinity_key"`
	Responses                  *uint32        `toml:"responses"`
	Requests                   *uint32        `toml:"requests"`
	SendProxyProtocol          *bool          `toml:"send_proxy_protocol"`
	ProxyProtocolEveryDatagram *bool          `toml:"proxy_protocol_every_datagram"`
	Health                     *tomlUDPHealth `toml:"health"`
}

type tomlUDPHealth struct {
	Mode                 *string `toml:"mode"`
	TCPPort              *uint32 `toml:"tcp_port"`
	Rise                 *uint32 `toml:"rise"`
	Fall                 *uint32 `toml:"fall"`
	FailOpen             *bool   `toml:"fail_open"`
	UDPProbePayload      *string `toml:"udp_probe_payload"`
	ProbeIntervalSeconds *uint32 `toml:"probe_interval_seconds"`
	ProbeTimeoutSeconds  *uint32 `toml:"probe_timeout_seconds"`
}

// tomlFrontend is FileClusterFrontendConfig (config.rs:1432-1488).
type tomlFrontend struct {
	Address          string            `toml:"address"`
	Hostname         *string           `toml:"hostname"`
	Path             *string           `toml:"path"`
	PathType         *string           `toml:"path_type"`
	Method           *string           `toml:"method"`
	Certificate      *string           `toml:"certificate"`
	Key              *string           `toml:"key"`
	CertChain        *string           `toml:"certificate_chain"`
	TLSVersions      []string          `toml:"tls_versions"`
	Position         *string           `toml:"position"`
	Tags             map[string]string `toml:"tags"`
	Redirect         *string           `toml:"redirect"`
	RedirectScheme   *string           `toml:"redirect_scheme"`
	RedirectTemplate *string           `toml:"redirect_template"`
	RewriteHost      *string           `toml:"rewrite_host"`
	RewritePath      *string           `toml:"rewrite_path"`
	RewritePort      *uint32           `toml:"rewrite_port"`
	RequiredAuth     *bool             `toml:"required_auth"`
	Headers          []tomlHeader      `toml:"headers"`
	HSTS             *tomlHSTS         `toml:"hsts"`
}

// tomlHeader is HeaderEditConfig.
type tomlHeader struct {
	Position string `toml:"position"`
	Key      string `toml:"key"`
	Value    string `toml:"value"`
}

// tomlBackend is BackendConfig (config.rs:2157-2163).
type tomlBackend struct {
	Address   string  `toml:"address"`
	Weight    *uint8  `toml:"weight"`
	StickyID  *string `toml:"sticky_id"`
	Backup    *bool   `toml:"backup"`
	BackendID *string `toml:"backend_id"`
}

// tomlBuilder follows Sōzu's ConfigBuilder (config.rs:2875-3180).
type tomlBuilder struct {
	path     string // the TOML file, for errors
	data     []byte // its text, to find the line of an error
	at       string // the dotted path of the object being built ("clusters.api.frontends.0")
	lines    map[string]int
	dir      string // relative paths are read from here
	file     *tomlFile
	warnings []string

	known       map[string]string // address → listener protocol
	expectProxy map[string]bool   // declared listeners with expect_proxy
	http        []*sozupb.HttpListenerConfig
	https       []*sozupb.HttpsListenerConfig
	tcp         []*sozupb.TcpListenerConfig
	udp         []*sozupb.UdpListenerConfig
	clusterReqs []*sozupb.Request
}

// TOMLOptions tune FromTOMLWith.
type TOMLOptions struct {
	// FilesDir is the directory that relative certificate, key, chain and
	// answer paths are read from. Sōzu reads them from its own working
	// directory; empty means the directory of the TOML file.
	FilesDir string
}

// FromTOML reads Sōzu's config.toml at path and returns the configuration
// state Sōzu 2.1.0's main process holds right after booting from it
// (Config::load_from_path then generate_config_messages, command/src/
// config.rs:3434-3558), with warnings for what Sōzu would log and skip.
//
// Certificate, key, chain and answer files named by relative paths are read
// relative to the directory of path (see FromTOMLWith). Errors carry the
// file, and the line (and column, for syntax and type errors) at fault
// (*TOMLError).
func FromTOML(path string) (*state.State, []string, error) {
	return FromTOMLWith(path, TOMLOptions{})
}

// FromTOMLWith is FromTOML with options.
func FromTOMLWith(path string, opts TOMLOptions) (*state.State, []string, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, fmt.Errorf("reading the Sōzu configuration: %w", err)
	}
	return parseTOMLIn(path, data, opts.FilesDir)
}

func parseTOML(path string, data []byte) (*state.State, []string, error) {
	return parseTOMLIn(path, data, "")
}

// parseTOMLIn reads data, the text of the TOML file at path, with relative
// file paths read from dir (the file's directory when empty).
func parseTOMLIn(path string, data []byte, dir string) (*state.State, []string, error) {
	if dir == "" {
		dir = filepath.Dir(path)
	}
	var f tomlFile
	dec := toml.NewDecoder(bytes.NewReader(data)).DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, nil, tomlError(path, err)
	}
	b := &tomlBuilder{
		path: path, data: data, dir: dir, file: &f,
		known: map[string]string{}, expectProxy: map[string]bool{},
	}
	if err := b.listeners(); err != nil {
		return nil, b.warnings, err
	}
	if err := b.clusters(); err != nil {
		return nil, b.warnings, err
	}
	s, err := b.state()
	return s, b.warnings, err
}

func tomlError(path string, err error) error {
	var sm *toml.StrictMissingError
	if errors.As(err, &sm) && len(sm.Errors) > 0 {
		first := sm.Errors[0]
		row, col := first.Position()
		keys := make([]string, len(sm.Errors))
		for i, e := range sm.Errors {
			keys[i] = strings.Join(e.Key(), ".")
		}
		return &TOMLError{File: path, Line: row, Column: col, Msg: "unknown key(s) Sōzu does not accept: " + strings.Join(keys, ", ")}
	}
	var de *toml.DecodeError
	if errors.As(err, &de) {
		row, col := de.Position()
		return &TOMLError{File: path, Line: row, Column: col, Msg: de.Error()}
	}
	return &TOMLError{File: path, Msg: err.Error()}
}

func (b *tomlBuilder) warnf(format string, args ...any) {
	b.warnings = append(b.warnings, fmt.Sprintf(format, args...))
}

func (b *tomlBuilder) errorf(format string, args ...any) error {
	return &TOMLError{File: b.path, Line: b.line(), Msg: fmt.Sprintf(format, args...)}
}

// line is the line where the object at b.at (or its closest parent) is
// declared, 0 when unknown.
func (b *tomlBuilder) line() int {
	if b.lines == nil {
		b.lines = tomlLines(b.data)
	}
	for at := b.at; at != ""; {
		if l, ok := b.lines[at]; ok {
			return l
		}
		i := strings.LastIndexByte(at, '.')
		if i < 0 {
			break
		}
		at = at[:i]
	}
	return 0
}

// readFile reads a file the TOML names, relative to the TOML's directory.
func (b *tomlBuilder) readFile(p string) (string, error) {
	if !filepath.IsAbs(p) {
		p = filepath.Join(b.dir, p)
	}
	data, err := os.ReadFile(p)
	if err != nil {
		return "", &TOMLError{File: b.path, Line: b.line(), Msg: err.Error(), Err: err}
	}
	return string(data), nil
}

// tomlLines maps the dotted path of every table, array element and key of
// a TOML document ("listeners.0", "clusters.api", "clusters.api.frontends.1")
// to the line where it starts. It is best effort: a document the decoder
// accepted parses here too.
func tomlLines(data []byte) map[string]int {
	out := map[string]int{}
	var p unstable.Parser
	p.Reset(data)
	line := func(n *unstable.Node) int {
		if n == nil || n.Raw.Length == 0 {
			return 0
		}
		return p.Shape(n.Raw).Start.Line
	}
	key := func(it unstable.Iterator) ([]string, int) {
		var parts []string
		ln := 0
		for it.Next() {
			if ln == 0 {
				ln = line(it.Node())
			}
			parts = append(parts, string(it.Node().Data))
		}
		return parts, ln
	}
	join := func(base []string, more ...string) []string {
		return append(append([]string{}, base...), more...)
	}
	set := func(path []string, ln int) {
		k := strings.Join(path, ".")
		if _, ok := out[k]; !ok && ln > 0 {
			out[k] = ln
		}
	}
	var walk func(path []string, v *unstable.Node, ln int)
	walk = func(path []string, v *unstable.Node, ln int) {
		set(path, ln)
		switch v.Kind {
		case unstable.Array:
			i := 0
			for it := v.Children(); it.Next(); i++ {
				c := it.Node()
				cl := ln
				if c.Kind == unstable.InlineTable {
					if first := c.Children(); first.Next() && first.Node().Kind == unstable.KeyValue {
						if _, l := key(first.Node().Key()); l > 0 {
							cl = l
						}
					}
				}
				walk(join(path, strconv.Itoa(i)), c, cl)
			}
		case unstable.InlineTable:
			for it := v.Children(); it.Next(); {
				kv := it.Node()
				if kv.Kind != unstable.KeyValue {
					continue
				}
				parts, l := key(kv.Key())
				walk(join(path, parts...), kv.Value(), l)
			}
		}
	}
	var table []string
	arrays := map[string]int{}
	for p.NextExpression() {
		e := p.Expression()
		switch e.Kind {
		case unstable.Table:
			parts, l := key(e.Key())
			table = parts
			set(table, l)
		case unstable.ArrayTable:
			parts, l := key(e.Key())
			k := strings.Join(parts, ".")
			table = join(parts, strconv.Itoa(arrays[k]))
			arrays[k]++
			set(table, l)
		case unstable.KeyValue:
			parts, l := key(e.Key())
			walk(join(table, parts...), e.Value(), l)
		}
	}
	return out
}

// answerSource is resolve_answer_source (config.rs:1296-1313): "file://path"
// reads the file, anything else is the answer itself.
func (b *tomlBuilder) answerSource(v string) (string, error) {
	if p, ok := strings.CutPrefix(v, "file://"); ok {
		return b.readFile(p)
	}
	return v, nil
}

// answers is load_answers (config.rs:1331-1346): empty values are skipped.
func (b *tomlBuilder) answers(m map[string]string) (map[string]string, error) {
	out := map[string]string{}
	for _, k := range sortedKeys(m) {
		if m[k] == "" {
			continue
		}
		v, err := b.answerSource(m[k])
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func (b *tomlBuilder) address(what, s string) (*sozupb.SocketAddress, error) {
	a, err := state.ParseAddress(s)
	if err != nil {
		return nil, b.errorf("%s: invalid address %q: %v", what, s, err)
	}
	return a, nil
}

// enum reads a value of a proto enum in the spellings Sōzu's file accepts.
func (b *tomlBuilder) enum(what, s string, ed protoreflect.EnumDescriptor) (protoreflect.EnumNumber, error) {
	name, ok := config.CanonicalEnumName(s, ed)
	if !ok {
		return 0, b.errorf("%s: %q is not a valid %s", what, s, ed.Name())
	}
	return ed.Values().ByName(protoreflect.Name(name)).Number(), nil
}

func (b *tomlBuilder) tlsVersions(what string, vs []string) ([]sozupb.TlsVersion, error) {
	out := make([]sozupb.TlsVersion, 0, len(vs))
	for _, v := range vs {
		n, err := b.enum(what+" tls_versions", v, sozupb.TlsVersion(0).Descriptor())
		if err != nil {
			return nil, err
		}
		out = append(out, sozupb.TlsVersion(n))
	}
	return out, nil
}

func (b *tomlBuilder) hsts(what string, h *tomlHSTS) (*sozupb.HstsConfig, error) {
	if h.Enabled == nil {
		return nil, b.errorf("%s: hsts needs enabled = true or false", what)
	}
	out := &sozupb.HstsConfig{Enabled: proto.Bool(*h.Enabled), MaxAge: h.MaxAge, IncludeSubdomains: h.IncludeSubdomains, Preload: h.Preload, ForceReplaceBackend: h.ForceReplaceBackend}
	if *h.Enabled && h.MaxAge == nil {
		out.MaxAge = proto.Uint32(31_536_000) // DEFAULT_HSTS_MAX_AGE, config.rs:160
	}
	return out, nil
}

// timeouts returns the listener's timeouts, the file's global ones filling
// what it leaves out (assign_config_timeouts, config.rs:819-824).
func (b *tomlBuilder) timeouts(l *tomlListener) (front, back, connect, request uint32) {
	pick := func(own, global *uint32, def uint32) uint32 {
		switch {
		case own != nil:
			return *own
		case global != nil:
			return *global
		}
		return def
	}
	f := b.file
	return pick(l.FrontTimeout, f.FrontTimeout, state.DefaultFrontTimeout),
		pick(l.BackTimeout, f.BackTimeout, state.DefaultBackTimeout),
		pick(l.ConnectTimeout, f.ConnectTimeout, state.DefaultConnectTimeout),
		pick(l.RequestTimeout, f.RequestTimeout, state.DefaultRequestTimeout)
}

// listenerAnswers merges the answer_NNN files and the answers map
// (get_listener_answers, config.rs:786-816).
func (b *tomlBuilder) listenerAnswers(l *tomlListener) (map[string]string, error) {
	out := map[string]string{}
	legacy := []struct {
		code string
		path *string
	}{
		{"301", l.Answer301}, {"400", l.Answer400}, {"401", l.Answer401}, {"404", l.Answer404},
		{"408", l.Answer408}, {"413", l.Answer413}, {"421", l.Answer421}, {"502", l.Answer502},
		{"503", l.Answer503}, {"504", l.Answer504}, {"507", l.Answer507}, {"429", l.Answer429},
	}
	for _, a := range legacy {
		if a.path == nil {
			continue
		}
		body, err := b.readFile(*a.path)
		if err != nil {
			return nil, err
		}
		out[a.code] = body
	}
	m, err := b.answers(l.Answers)
	if err != nil {
		return nil, err
	}
	for k, v := range m {
		out[k] = v
	}
	return out, nil
}

// httpAnswers is get_http_answers (config.rs:768-784): the answer_NNN files
// in the legacy message.
func (b *tomlBuilder) httpAnswers(l *tomlListener) (*sozupb.CustomHttpAnswers, error) {
	out := &sozupb.CustomHttpAnswers{}
	set := []struct {
		path *string
		dst  **string
	}{
		{l.Answer301, &out.Answer_301}, {l.Answer400, &out.Answer_400}, {l.Answer401, &out.Answer_401},
		{l.Answer404, &out.Answer_404}, {l.Answer408, &out.Answer_408}, {l.Answer413, &out.Answer_413},
		{l.Answer421, &out.Answer_421}, {l.Answer502, &out.Answer_502}, {l.Answer503, &out.Answer_503},
		{l.Answer504, &out.Answer_504}, {l.Answer507, &out.Answer_507}, {l.Answer429, &out.Answer_429},
	}
	for _, a := range set {
		if a.path == nil {
			continue
		}
		body, err := b.readFile(*a.path)
		if err != nil {
			return nil, err
		}
		*a.dst = proto.String(body)
	}
	return out, nil
}

// listeners is populate_listeners (config.rs:3025-3056).
func (b *tomlBuilder) listeners() error {
	for i := range b.file.Listeners {
		l := &b.file.Listeners[i]
		b.at = "listeners." + strconv.Itoa(i)
		a, err := b.address(fmt.Sprintf("listener %d", i+1), l.Address)
		if err != nil {
			return err
		}
		key := state.FormatAddress(a)
		if _, taken := b.known[key]; taken {
			return b.errorf("two listeners on %s: Sōzu refuses the file (ListenerAddressAlreadyInUse)", key)
		}
		if l.Protocol == nil {
			return b.errorf("listener %s has no protocol", key)
		}
		p := strings.ToLower(*l.Protocol)
		if p != "http" && p != "https" && p != "tcp" && p != "udp" {
			return b.errorf("listener %s: %q is not a protocol (http, https, tcp or udp)", key, *l.Protocol)
		}
		b.known[key] = p
		if l.ExpectProxy != nil && *l.ExpectProxy {
			b.expectProxy[key] = true
			if l.PublicAddress != nil {
				return b.errorf("listener %s: public_address and expect_proxy cannot be used together", key)
			}
		}
		if err := b.pushListener(p, a, l); err != nil {
			return err
		}
	}
	return nil
}

func (b *tomlBuilder) pushListener(protocol string, a *sozupb.SocketAddress, l *tomlListener) error {
	key := state.FormatAddress(a)
	what := strings.ToUpper(protocol) + " listener " + key
	var public *sozupb.SocketAddress
	if l.PublicAddress != nil {
		pa, err := b.address(what+" public_address", *l.PublicAddress)
		if err != nil {
			return err
		}
		public = pa
	}
	front, back, connect, request := b.timeouts(l)
	sticky := state.DefaultStickyName
	if l.StickyName != nil {
		sticky = *l.StickyName
	}
	switch protocol {
	case "http":
		if l.HSTS != nil {
			return b.errorf("%s: hsts is refused on plain HTTP", what)
		}
		ha, err := b.httpAnswers(l)
		if err != nil {
			return err
		}
		ans, err := b.listenerAnswers(l)
		if err != nil {
			return err
		}
		h := state.NewHTTPListener(a)
		h.PublicAddress, h.StickyName = public, proto.String(sticky)
		h.ExpectProxy = proto.Bool(l.ExpectProxy != nil && *l.ExpectProxy)
		h.FrontTimeout, h.BackTimeout, h.ConnectTimeout, h.RequestTimeout = proto.Uint32(front), proto.Uint32(back), proto.Uint32(connect), proto.Uint32(request)
		h.HttpAnswers, h.Answers = ha, ans
		b.h2(h.ProtoReflect(), l)
		h.ElideXRealIp = proto.Bool(l.ElideXRealIP != nil && *l.ElideXRealIP)
		h.SendXRealIp = proto.Bool(l.SendXRealIP != nil && *l.SendXRealIP)
		b.http = append(b.http, h)
	case "https":
		h := state.NewHTTPSListener(a)
		h.PublicAddress, h.StickyName = public, proto.String(sticky)
		h.ExpectProxy = proto.Bool(l.ExpectProxy != nil && *l.ExpectProxy)
		h.FrontTimeout, h.BackTimeout, h.ConnectTimeout, h.RequestTimeout = proto.Uint32(front), proto.Uint32(back), proto.Uint32(connect), proto.Uint32(request)
		if l.CipherList != nil {
			h.CipherList = *l.CipherList
		}
		if l.CipherSuites != nil {
			h.CipherSuites = *l.CipherSuites
		}
		if l.GroupsList != nil {
			h.GroupsList = *l.GroupsList
		}
		if l.ALPNProtocols != nil && len(*l.ALPNProtocols) > 0 {
			seen := map[string]bool{}
			var alpn []string
			for _, p := range *l.ALPNProtocols {
				if p != "h2" && p != "http/1.1" {
					return b.errorf("%s: %q is not an ALPN protocol Sōzu accepts (h2, http/1.1)", what, p)
				}
				if !seen[p] {
					seen[p] = true
					alpn = append(alpn, p)
				}
			}
			h.AlpnProtocols = alpn
		}
		if l.DisableHTTP11 != nil && *l.DisableHTTP11 {
			for _, p := range h.AlpnProtocols {
				if p == "http/1.1" {
					return b.errorf("%s: disable_http11 with http/1.1 among the ALPN protocols is refused", what)
				}
			}
		}
		if l.TLSVersions != nil {
			v, err := b.tlsVersions(what, *l.TLSVersions)
			if err != nil {
				return err
			}
			h.Versions = v
		}
		// Sōzu logs an unreadable listener certificate, key or chain and
		// goes on without it (config.rs:990-1018).
		if l.Key != nil {
			if k, err := b.readFile(*l.Key); err == nil {
				h.Key = proto.String(k)
			} else {
				b.warnf("%s: its key cannot be read, and Sōzu goes on without it: %v", what, err)
			}
		}
		if l.Certificate != nil {
			if c, err := b.readFile(*l.Certificate); err == nil {
				h.Certificate = proto.String(c)
			} else {
				b.warnf("%s: its certificate cannot be read, and Sōzu goes on without it: %v", what, err)
			}
		}
		if l.CertChain != nil {
			if c, err := b.readFile(*l.CertChain); err == nil {
				h.CertificateChain = SplitCertificateChain(c)
			} else {
				b.warnf("%s: its certificate chain cannot be read, and Sōzu goes on without it: %v", what, err)
			}
		}
		ha, err := b.httpAnswers(l)
		if err != nil {
			return err
		}
		ans, err := b.listenerAnswers(l)
		if err != nil {
			return err
		}
		h.HttpAnswers, h.Answers = ha, ans
		if l.SendTLS13Tickets != nil {
			h.SendTls13Tickets = proto.Uint64(*l.SendTLS13Tickets)
		}
		b.h2(h.ProtoReflect(), l)
		h.StrictSniBinding, h.DisableHttp11 = l.StrictSNIBinding, l.DisableHTTP11
		h.ElideXRealIp = proto.Bool(l.ElideXRealIP != nil && *l.ElideXRealIP)
		h.SendXRealIp = proto.Bool(l.SendXRealIP != nil && *l.SendXRealIP)
		if l.HSTS != nil {
			hs, err := b.hsts(what, l.HSTS)
			if err != nil {
				return err
			}
			h.Hsts = hs
		}
		b.https = append(b.https, h)
	case "tcp":
		t := state.NewTCPListener(a)
		t.PublicAddress = public
		t.ExpectProxy = proto.Bool(l.ExpectProxy != nil && *l.ExpectProxy)
		t.FrontTimeout, t.BackTimeout, t.ConnectTimeout = proto.Uint32(front), proto.Uint32(back), proto.Uint32(connect)
		b.tcp = append(b.tcp, t)
	default:
		u := state.NewUDPListener(a)
		u.PublicAddress = public
		// to_udp ignores the global timeouts (config.rs:1166-1231).
		if l.FrontTimeout != nil {
			u.FrontTimeout = proto.Uint32(*l.FrontTimeout)
		}
		if l.BackTimeout != nil {
			u.BackTimeout = proto.Uint32(*l.BackTimeout)
		}
		size := uint32(state.DefaultUDPMaxRxDatagramSize)
		if l.MaxRxDatagramSize != nil {
			size = *l.MaxRxDatagramSize
		}
		buf := uint64(defaultBufferSize)
		if b.file.BufferSize != nil {
			buf = *b.file.BufferSize
		}
		if uint64(size) > buf {
			b.warnf("%s: max_rx_datagram_size %d is above buffer_size %d, and Sōzu lowers it to %d", what, size, buf, buf)
			size = uint32(buf)
		}
		u.MaxRxDatagramSize = proto.Uint32(size)
		if l.MaxFlows != nil {
			u.MaxFlows = proto.Uint32(*l.MaxFlows)
		}
		b.udp = append(b.udp, u)
	}
	return nil
}

// h2 copies the h2 knobs and sozu_id_header, which HTTP and HTTPS
// listeners share under the same field names.
func (b *tomlBuilder) h2(m protoreflect.Message, l *tomlListener) {
	set32 := func(name string, v *uint32) {
		if v != nil {
			m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(name)), protoreflect.ValueOfUint32(*v))
		}
	}
	set64 := func(name string, v *uint64) {
		if v != nil {
			m.Set(m.Descriptor().Fields().ByName(protoreflect.Name(name)), protoreflect.ValueOfUint64(*v))
		}
	}
	set32("h2_max_rst_stream_per_window", l.H2MaxRstStreamPerWindow)
	set32("h2_max_ping_per_window", l.H2MaxPingPerWindow)
	set32("h2_max_settings_per_window", l.H2MaxSettingsPerWindow)
	set32("h2_max_empty_data_per_window", l.H2MaxEmptyDataPerWindow)
	set32("h2_max_window_update_stream0_per_window", l.H2MaxWindowUpdateStream0PerWindow)
	set32("h2_max_continuation_frames", l.H2MaxContinuationFrames)
	set32("h2_max_glitch_count", l.H2MaxGlitchCount)
	set32("h2_initial_connection_window", l.H2InitialConnectionWindow)
	set32("h2_max_concurrent_streams", l.H2MaxConcurrentStreams)
	set32("h2_stream_shrink_ratio", l.H2StreamShrinkRatio)
	set64("h2_max_rst_stream_lifetime", l.H2MaxRstStreamLifetime)
	set64("h2_max_rst_stream_abusive_lifetime", l.H2MaxRstStreamAbusiveLifetime)
	set64("h2_max_rst_stream_emitted_lifetime", l.H2MaxRstStreamEmittedLifetime)
	set32("h2_max_header_list_size", l.H2MaxHeaderListSize)
	set32("h2_max_header_table_size", l.H2MaxHeaderTableSize)
	set32("h2_max_header_fields", l.H2MaxHeaderFields)
	set32("h2_stream_idle_timeout_seconds", l.H2StreamIdleTimeoutSeconds)
	set32("h2_graceful_shutdown_deadline_seconds", l.H2GracefulShutdownDeadlineSeconds)
	if l.SozuIDHeader != nil {
		m.Set(m.Descriptor().Fields().ByName("sozu_id_header"), protoreflect.ValueOfString(*l.SozuIDHeader))
	}
}

// SplitCertificateChain splits a PEM bundle into its certificates, each
// trimmed, as Sōzu does with a chain file (command/src/certificate.rs:299):
// every block ends at an END CERTIFICATE line; what follows the last one is
// dropped.
func SplitCertificateChain(chain string) []string {
	const end = "-----END CERTIFICATE-----"
	var out []string
	for {
		i := strings.Index(chain, end)
		if i < 0 {
			return out
		}
		out = append(out, strings.TrimSpace(chain[:i+len(end)]))
		chain = chain[i+len(end):]
	}
}

// clusters is populate_clusters (config.rs:3058-3171) and each cluster's
// generate_requests (config.rs:2462-2660). Sōzu walks its clusters in hash
// order; the import sorts them by id.
func (b *tomlBuilder) clusters() error {
	for _, id := range sortedKeys(b.file.Clusters) {
		c := b.file.Clusters[id]
		if err := b.cluster(id, &c); err != nil {
			return err
		}
	}
	return nil
}

func (b *tomlBuilder) cluster(id string, c *tomlCluster) error {
	what := fmt.Sprintf("cluster %q", id)
	b.at = "clusters." + id
	// Both lists are required keys of FileClusterConfig (config.rs:2023-2024).
	if c.Frontends == nil {
		return b.errorf("%s has no frontends key (Sōzu requires one, even empty: frontends = [])", what)
	}
	if c.Backends == nil {
		return b.errorf("%s has no backends key (Sōzu requires one, even empty: backends = [])", what)
	}
	frontends, backends := *c.Frontends, *c.Backends
	msg := &sozupb.Cluster{
		ClusterId:     proto.String(id),
		StickySession: proto.Bool(false),
		HttpsRedirect: proto.Bool(false),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}
	if c.LoadBalancing != nil {
		n, err := b.enum(what+" load_balancing", *c.LoadBalancing, sozupb.LoadBalancingAlgorithms(0).Descriptor())
		if err != nil {
			return err
		}
		msg.LoadBalancing = sozupb.LoadBalancingAlgorithms(n).Enum()
	}
	if c.LoadMetric != nil {
		n, err := b.enum(what+" load_metric", *c.LoadMetric, sozupb.LoadMetric(0).Descriptor())
		if err != nil {
			return err
		}
		msg.LoadMetric = sozupb.LoadMetric(n).Enum()
	}
	ans, err := b.answers(c.Answers)
	if err != nil {
		return err
	}
	msg.Answers = ans
	msg.HttpsRedirectPort = c.HTTPSRedirectPort
	if c.AuthorizedHashes != nil {
		msg.AuthorizedHashes = *c.AuthorizedHashes
	}
	msg.WwwAuthenticate, msg.MaxConnectionsPerIp, msg.RetryAfter = c.WWWAuthenticate, c.MaxConnectionsPerIP, c.RetryAfter
	if hc := c.HealthCheck; hc != nil {
		or := func(v *uint32, d uint32) *uint32 {
			if v != nil {
				return proto.Uint32(*v)
			}
			return proto.Uint32(d)
		}
		msg.HealthCheck = &sozupb.HealthCheckConfig{
			Uri: proto.String(hc.URI), Interval: or(hc.Interval, 10), Timeout: or(hc.Timeout, 5),
			HealthyThreshold: or(hc.HealthyThreshold, 3), UnhealthyThreshold: or(hc.UnhealthyThreshold, 3),
			ExpectedStatus: or(hc.ExpectedStatus, 0),
		}
	}
	if u := c.UDP; u != nil {
		msg.Udp = &sozupb.UdpClusterConfig{Responses: u.Responses, Requests: u.Requests, SendProxyProtocol: u.SendProxyProtocol, ProxyProtocolEveryDatagram: u.ProxyProtocolEveryDatagram}
		if u.AffinityKey != nil {
			n, err := b.enum(what+" udp.affinity_key", *u.AffinityKey, sozupb.UdpAffinityKey(0).Descriptor())
			if err != nil {
				return err
			}
			msg.Udp.AffinityKey = sozupb.UdpAffinityKey(n).Enum()
		}
		if h := u.Health; h != nil {
			msg.Udp.Health = &sozupb.UdpHealthConfig{TcpPort: h.TCPPort, Rise: h.Rise, Fall: h.Fall, FailOpen: h.FailOpen, ProbeIntervalSeconds: h.ProbeIntervalSeconds, ProbeTimeoutSeconds: h.ProbeTimeoutSeconds}
			if h.Mode != nil {
				n, err := b.enum(what+" udp.health.mode", *h.Mode, sozupb.UdpHealthMode(0).Descriptor())
				if err != nil {
					return err
				}
				msg.Udp.Health.Mode = sozupb.UdpHealthMode(n).Enum()
			}
			if h.UDPProbePayload != nil {
				msg.Udp.Health.UdpProbePayload = []byte(*h.UDPProbePayload)
			}
		}
	}
	var front []*sozupb.Request
	switch strings.ToLower(c.Protocol) {
	case "http":
		msg.StickySession = proto.Bool(c.StickySession != nil && *c.StickySession)
		msg.HttpsRedirect = proto.Bool(c.HTTPSRedirect != nil && *c.HTTPSRedirect)
		msg.Http2 = c.HTTP2
		if c.Answer503 != nil {
			// Sōzu logs an unreadable answer_503 and goes on without it.
			if body, err := b.readFile(*c.Answer503); err == nil {
				msg.Answer_503 = proto.String(body)
			} else {
				b.warnf("%s: its answer_503 cannot be read, and Sōzu goes on without it: %v", what, err)
			}
		}
		for i := range frontends {
			b.at = fmt.Sprintf("clusters.%s.frontends.%d", id, i)
			reqs, err := b.httpFrontend(id, &frontends[i])
			if err != nil {
				return err
			}
			front = append(front, reqs...)
		}
	case "tcp":
		hasExpect := 0 // 0 unknown, 1 yes, 2 no
		for i := range frontends {
			f := &frontends[i]
			b.at = fmt.Sprintf("clusters.%s.frontends.%d", id, i)
			a, err := b.address(what+" frontend", f.Address)
			if err != nil {
				return err
			}
			key := state.FormatAddress(a)
			e := 2
			if b.expectProxy[key] {
				e = 1
			}
			if hasExpect != 0 && hasExpect != e {
				return b.errorf("%s: its frontends mix listeners that expect the proxy protocol and listeners that do not", what)
			}
			hasExpect = e
			switch {
			case f.Hostname != nil:
				return b.errorf("%s: a TCP frontend cannot have a hostname", what)
			case f.Path != nil:
				return b.errorf("%s: a TCP frontend cannot have a path", what)
			case f.Certificate != nil:
				return b.errorf("%s: a TCP frontend cannot have a certificate", what)
			case f.CertChain != nil:
				return b.errorf("%s: a TCP frontend cannot have a certificate chain", what)
			}
			tags := f.Tags
			if tags == nil {
				tags = map[string]string{}
			}
			switch b.known[key] {
			case "http", "https":
				return b.errorf("%s: TCP frontend on %s, where the listener is %s", what, key, strings.ToUpper(b.known[key]))
			case "udp":
				front = append(front, &sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: &sozupb.RequestUdpFrontend{ClusterId: proto.String(id), Address: a, Tags: tags}}})
				continue
			case "":
				b.known[key] = "tcp"
				b.tcp = append(b.tcp, b.defaultTCP(a))
			}
			front = append(front, &sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: &sozupb.RequestTcpFrontend{ClusterId: proto.String(id), Address: a, Tags: tags}}})
		}
		send := c.SendProxy != nil && *c.SendProxy
		expect := hasExpect == 1
		switch {
		case send && expect:
			msg.ProxyProtocol = sozupb.ProxyProtocolConfig_RELAY_HEADER.Enum()
		case send:
			msg.ProxyProtocol = sozupb.ProxyProtocolConfig_SEND_HEADER.Enum()
		case expect:
			msg.ProxyProtocol = sozupb.ProxyProtocolConfig_EXPECT_HEADER.Enum()
		}
	default:
		return b.errorf("%s: protocol %q is not http or tcp", what, c.Protocol)
	}
	b.clusterReqs = append(b.clusterReqs, &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: msg}})
	b.clusterReqs = append(b.clusterReqs, front...)
	for i, be := range backends {
		b.at = fmt.Sprintf("clusters.%s.backends.%d", id, i)
		a, err := b.address(fmt.Sprintf("%s backend %d", what, i+1), be.Address)
		if err != nil {
			return err
		}
		bid := fmt.Sprintf("%s-%d-%s", id, i, state.FormatAddress(a))
		if be.BackendID != nil {
			bid = *be.BackendID
		}
		w := int32(100)
		if be.Weight != nil {
			w = int32(*be.Weight)
		}
		b.clusterReqs = append(b.clusterReqs, &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: proto.String(id), BackendId: proto.String(bid), Address: a,
			LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: proto.Int32(w)},
			StickyId:                be.StickyID, Backup: be.Backup,
		}}})
	}
	return nil
}

func (b *tomlBuilder) defaultTCP(a *sozupb.SocketAddress) *sozupb.TcpListenerConfig {
	t := state.NewTCPListener(a)
	front, back, connect, _ := b.timeouts(&tomlListener{})
	t.FrontTimeout, t.BackTimeout, t.ConnectTimeout = proto.Uint32(front), proto.Uint32(back), proto.Uint32(connect)
	return t
}

// httpFrontend is to_http_front (config.rs:1788-1900) with the listener
// checks of populate_clusters, then HttpFrontendConfig::generate_requests.
func (b *tomlBuilder) httpFrontend(id string, f *tomlFrontend) ([]*sozupb.Request, error) {
	what := fmt.Sprintf("cluster %q frontend", id)
	a, err := b.address(what, f.Address)
	if err != nil {
		return nil, err
	}
	key := state.FormatAddress(a)
	what = fmt.Sprintf("cluster %q frontend on %s", id, key)
	if f.Hostname == nil {
		return nil, b.errorf("%s: hostname is missing", what)
	}
	var cert, certKey *string
	var chain []string
	if f.Key != nil {
		k, err := b.readFile(*f.Key)
		if err != nil {
			return nil, err
		}
		certKey = &k
	}
	if f.Certificate != nil {
		c, err := b.readFile(*f.Certificate)
		if err != nil {
			return nil, err
		}
		cert = &c
	}
	if f.CertChain != nil {
		c, err := b.readFile(*f.CertChain)
		if err != nil {
			return nil, err
		}
		chain = SplitCertificateChain(c)
	}
	fr := &sozupb.RequestHttpFrontend{
		ClusterId: proto.String(id), Address: a, Hostname: proto.String(*f.Hostname),
		Method: f.Method, Tags: f.Tags, RedirectTemplate: f.RedirectTemplate,
		RewriteHost: f.RewriteHost, RewritePath: f.RewritePath, RewritePort: f.RewritePort, RequiredAuth: f.RequiredAuth,
		// The serde default of RulePosition is PRE (config.rs:1445).
		Position: sozupb.RulePosition_PRE.Enum(),
	}
	if fr.Tags == nil {
		fr.Tags = map[string]string{}
	}
	path := ""
	if f.Path != nil {
		path = *f.Path
	}
	kind := sozupb.PathRuleKind_PREFIX
	if f.Path != nil && f.PathType != nil {
		switch strings.ToUpper(*f.PathType) {
		case "PREFIX":
		case "REGEX":
			kind = sozupb.PathRuleKind_REGEX
		case "EQUALS":
			kind = sozupb.PathRuleKind_EQUALS
		default:
			return nil, b.errorf("%s: path_type %q is not PREFIX, REGEX or EQUALS", what, *f.PathType)
		}
	}
	fr.Path = &sozupb.PathRule{Kind: kind.Enum(), Value: proto.String(path)}
	if f.Position != nil {
		n, err := b.enum(what+" position", *f.Position, sozupb.RulePosition(0).Descriptor())
		if err != nil {
			return nil, err
		}
		fr.Position = sozupb.RulePosition(n).Enum()
	}
	if f.Redirect != nil {
		switch strings.ToLower(*f.Redirect) {
		case "forward":
			fr.Redirect = sozupb.RedirectPolicy_FORWARD.Enum()
		case "permanent":
			fr.Redirect = sozupb.RedirectPolicy_PERMANENT.Enum()
		case "unauthorized":
			fr.Redirect = sozupb.RedirectPolicy_UNAUTHORIZED.Enum()
		default:
			return nil, b.errorf("%s: redirect %q is not forward, permanent or unauthorized", what, *f.Redirect)
		}
	}
	if f.RedirectScheme != nil {
		switch strings.ToLower(*f.RedirectScheme) {
		case "use-same", "use_same":
			fr.RedirectScheme = sozupb.RedirectScheme_USE_SAME.Enum()
		case "use-http", "use_http":
			fr.RedirectScheme = sozupb.RedirectScheme_USE_HTTP.Enum()
		case "use-https", "use_https":
			fr.RedirectScheme = sozupb.RedirectScheme_USE_HTTPS.Enum()
		default:
			return nil, b.errorf("%s: redirect_scheme %q is not use-same, use-http or use-https", what, *f.RedirectScheme)
		}
	}
	for i, h := range f.Headers {
		var pos sozupb.HeaderPosition
		switch strings.ToLower(h.Position) {
		case "request":
			pos = sozupb.HeaderPosition_REQUEST
		case "response":
			pos = sozupb.HeaderPosition_RESPONSE
		case "both":
			pos = sozupb.HeaderPosition_BOTH
		default:
			return nil, b.errorf("%s: header %d: position %q is not request, response or both", what, i+1, h.Position)
		}
		if !isToken(h.Key) {
			return nil, b.errorf("%s: header %d: key %q is not an HTTP field name", what, i+1, h.Key)
		}
		if hasControl(h.Value) {
			return nil, b.errorf("%s: header %d: its value holds control characters", what, i+1)
		}
		fr.Headers = append(fr.Headers, &sozupb.Header{Position: pos.Enum(), Key: proto.String(h.Key), Val: proto.String(h.Value)})
	}
	if f.HSTS != nil {
		if cert == nil || certKey == nil {
			return nil, b.errorf("%s: hsts is refused on a frontend without its own certificate and key (plain HTTP)", what)
		}
		hs, err := b.hsts(what, f.HSTS)
		if err != nil {
			return nil, err
		}
		fr.Hsts = hs
	}
	// The listener checks of populate_clusters (config.rs:3066-3132).
	switch b.known[key] {
	case "tcp", "udp":
		return nil, b.errorf("%s: an HTTP cluster's frontend on a %s listener", what, strings.ToUpper(b.known[key]))
	case "http":
		if cert != nil {
			return nil, b.errorf("%s: a frontend with a certificate on an HTTP listener", what)
		}
	case "https":
		if cert == nil {
			for _, l := range b.https {
				if state.FormatAddress(l.GetAddress()) == key && l.Certificate != nil {
					cert, certKey = l.Certificate, l.Key
					chain = l.GetCertificateChain()
					break
				}
			}
			if cert == nil {
				return nil, b.errorf("%s: on an HTTPS listener, a frontend needs a certificate, its own or the listener's", what)
			}
		}
	case "":
		if cert != nil {
			b.known[key] = "https"
			h := state.NewHTTPSListener(a)
			front, back, connect, request := b.timeouts(&tomlListener{})
			h.FrontTimeout, h.BackTimeout, h.ConnectTimeout, h.RequestTimeout = proto.Uint32(front), proto.Uint32(back), proto.Uint32(connect), proto.Uint32(request)
			h.HttpAnswers = &sozupb.CustomHttpAnswers{}
			b.https = append(b.https, h)
		} else {
			b.known[key] = "http"
			h := state.NewHTTPListener(a)
			front, back, connect, request := b.timeouts(&tomlListener{})
			h.FrontTimeout, h.BackTimeout, h.ConnectTimeout, h.RequestTimeout = proto.Uint32(front), proto.Uint32(back), proto.Uint32(connect), proto.Uint32(request)
			h.HttpAnswers = &sozupb.CustomHttpAnswers{}
			b.http = append(b.http, h)
		}
	}
	if certKey != nil && cert != nil {
		versions, err := b.tlsVersions(what, f.TLSVersions)
		if err != nil {
			return nil, err
		}
		ck := &sozupb.CertificateAndKey{Certificate: proto.String(*cert), Key: proto.String(*certKey), CertificateChain: chain, Versions: versions}
		return []*sozupb.Request{
			{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{Address: a, Certificate: ck}}},
			{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: fr}},
		}, nil
	}
	return []*sozupb.Request{{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: fr}}}, nil
}

// isToken reports whether s is an HTTP token (RFC 9110 §5.6.2), as Sōzu
// checks header names (config.rs:1856-1890).
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// hasControl reports whether s holds a control character other than tab,
// which Sōzu refuses in header values (config.rs:1893-1897).
func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= 0x08 || (c >= 0x0a && c <= 0x1f) || c == 0x7f {
			return true
		}
	}
	return false
}

// state applies the requests of generate_config_messages (config.rs:
// 3446-3558) to an empty state. Sōzu logs a request its state rejects at
// boot and goes on; so does the import, with a warning, except for a
// certificate added again, which is expected (one AddCertificate per HTTPS
// frontend).
func (b *tomlBuilder) state() (*state.State, error) {
	s := state.New()
	var reqs []*sozupb.Request
	for _, l := range b.http {
		reqs = append(reqs, &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: l}})
	}
	for _, l := range b.https {
		reqs = append(reqs, &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: l}})
	}
	for _, l := range b.tcp {
		reqs = append(reqs, &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: l}})
	}
	for _, l := range b.udp {
		reqs = append(reqs, &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: l}})
	}
	reqs = append(reqs, b.clusterReqs...)
	if b.file.ActivateListeners == nil || *b.file.ActivateListeners {
		act := func(a *sozupb.SocketAddress, lt sozupb.ListenerType) {
			reqs = append(reqs, &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{Address: a, Proxy: lt.Enum(), FromScm: proto.Bool(false)}}})
		}
		for _, l := range b.http {
			act(l.GetAddress(), sozupb.ListenerType_HTTP)
		}
		for _, l := range b.https {
			act(l.GetAddress(), sozupb.ListenerType_HTTPS)
		}
		for _, l := range b.tcp {
			act(l.GetAddress(), sozupb.ListenerType_TCP)
		}
		for _, l := range b.udp {
			act(l.GetAddress(), sozupb.ListenerType_UDP)
		}
	}
	for _, r := range reqs {
		err := s.Apply(r)
		if err == nil {
			continue
		}
		var se *state.Error
		if !errors.As(err, &se) {
			return nil, fmt.Errorf("%s: %s: %w", b.path, state.VerbName(r), err)
		}
		if _, ok := r.RequestType.(*sozupb.Request_AddCertificate); ok && se.Kind == state.Exists {
			continue
		}
		b.warnf("Sōzu refuses %s at boot and goes on without it: %s", describe(r), se.Message)
	}
	return s, nil
}

// describe names a request's object for a warning.
func describe(r *sozupb.Request) string {
	switch v := r.RequestType.(type) {
	case *sozupb.Request_AddHttpFrontend:
		return "the HTTP frontend " + state.RouteKey(v.AddHttpFrontend)
	case *sozupb.Request_AddHttpsFrontend:
		return "the HTTPS frontend " + state.RouteKey(v.AddHttpsFrontend)
	case *sozupb.Request_AddCertificate:
		return "a certificate on " + state.FormatAddress(v.AddCertificate.GetAddress())
	case *sozupb.Request_AddBackend:
		return fmt.Sprintf("backend %q of cluster %q", v.AddBackend.GetBackendId(), v.AddBackend.GetClusterId())
	case *sozupb.Request_AddTcpFrontend:
		return "the TCP frontend of cluster " + v.AddTcpFrontend.GetClusterId() + " on " + state.FormatAddress(v.AddTcpFrontend.GetAddress())
	case *sozupb.Request_AddUdpFrontend:
		return "the UDP frontend of cluster " + v.AddUdpFrontend.GetClusterId() + " on " + state.FormatAddress(v.AddUdpFrontend.GetAddress())
	}
	return state.VerbName(r)
}
