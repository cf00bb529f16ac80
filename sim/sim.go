package sim

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync"
	"time"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// DefaultWorkers is the number of workers a simulator runs when
// Options.Workers is zero: Sōzu's own default worker_count.
const DefaultWorkers = 2

// MaxWorkers bounds Options.Workers.
const MaxWorkers = 64

// Faults selects the injected faults. Every count N designates the Nth
// state-changing request received on the socket, from 1: the 28 verbs that
// Sōzu's configuration state records (state.IsStateChanging), whether
// accepted or not. Requests replayed by load_state, the preload, queries,
// status and save_state are not counted. Zero disables a fault.
type Faults struct {
	// FailRequest: the main process accepts and keeps the Nth request, and
	// the first worker answers FAILURE (its copy of the state is updated, its
	// proxies are not), so the client gets FAILURE.
	FailRequest int
	// RejectRequest: the main process rejects the Nth request; nothing
	// changes and the client gets an immediate FAILURE.
	RejectRequest int
	// DropAfter: the Nth request is applied as Sōzu would apply it, then the
	// connection is closed instead of answering it.
	DropAfter int
	// LoseWorker: the last worker never sees the Nth request (neither its
	// state copy nor its proxies), and the answer is OK, as Sōzu reports a
	// worker that timed out.
	LoseWorker int
	// Delay is slept before every answer written.
	Delay time.Duration
}

// Options configures a Simulator.
type Options struct {
	// Workers is the number of workers (0: DefaultWorkers).
	Workers int
	// Faults are the injected faults.
	Faults Faults
	// Preload is the state the main process and every worker start with,
	// as if Sōzu had booted with it; nil starts empty. It is copied.
	Preload *state.State
	// Logger receives one debug line per request and the connection errors;
	// nil discards them.
	Logger *slog.Logger
	// MaxFrameSize bounds frames in both directions (0: the 2,000,000 bytes
	// of Sōzu's default max_command_buffer_size).
	MaxFrameSize int
}

// Simulator is a Sōzu stand-in: a main process and its workers behind a
// command socket. One lock guards every layer, so concurrent clients see
// their requests applied one at a time, as Sōzu's single-threaded main
// process does.
type Simulator struct {
	mu       sync.Mutex
	main     *state.State
	workers  []*Worker
	faults   Faults
	received int              // state-changing requests received on the socket
	counts   map[string]int32 // Sōzu's request census (CountRequests)
	log      *slog.Logger
	maxFrame int
	noFiles  bool // save_state and load_state refuse to touch files (fuzzing)

	netMu     sync.Mutex
	closed    bool
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	wg        sync.WaitGroup
}

// New returns a Simulator ready to Serve.
func New(opts Options) (*Simulator, error) {
	n := opts.Workers
	if n == 0 {
		n = DefaultWorkers
	}
	if n < 1 || n > MaxWorkers {
		return nil, fmt.Errorf("sim: %d workers: the count must be between 1 and %d", opts.Workers, MaxWorkers)
	}
	f := opts.Faults
	if f.FailRequest < 0 || f.RejectRequest < 0 || f.DropAfter < 0 || f.LoseWorker < 0 || f.Delay < 0 {
		return nil, errors.New("sim: fault counts and delay must not be negative")
	}
	max := opts.MaxFrameSize
	if max <= 0 {
		max = sozu.DefaultMaxFrameSize
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Simulator{
		main:      opts.Preload.Clone(),
		faults:    f,
		counts:    map[string]int32{},
		log:       log,
		maxFrame:  max,
		listeners: map[net.Listener]struct{}{},
		conns:     map[net.Conn]struct{}{},
	}
	boot := s.main.Requests()
	for i := range n {
		// A worker boots with a copy of the main state, and its proxies
		// replay the requests that rebuild it; one they refuse is skipped,
		// as on a real boot.
		w := &Worker{sim: s, id: uint32(i), config: s.main.Clone(), px: newProxies()}
		for _, req := range boot {
			_ = w.px.apply(req)
		}
		s.workers = append(s.workers, w)
	}
	return s, nil
}

// MainState returns a copy of the main process's state.
func (s *Simulator) MainState() *state.State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.main.Clone()
}

// Workers returns the number of workers.
func (s *Simulator) Workers() int { return len(s.workers) }

// Worker returns worker i (0-based), or nil when there is no such worker.
func (s *Simulator) Worker(i int) *Worker {
	if i < 0 || i >= len(s.workers) {
		return nil
	}
	return s.workers[i]
}

// Received returns how many state-changing requests arrived on the socket:
// the count the faults refer to.
func (s *Simulator) Received() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.received
}

// Serve accepts connections on ln and serves each in its own goroutine until
// ln fails or the Simulator is closed. It returns nil after Close.
func (s *Simulator) Serve(ln net.Listener) error {
	s.netMu.Lock()
	if s.closed {
		s.netMu.Unlock()
		ln.Close()
		return nil
	}
	s.listeners[ln] = struct{}{}
	s.netMu.Unlock()
	defer func() {
		s.netMu.Lock()
		delete(s.listeners, ln)
		s.netMu.Unlock()
	}()
	for {
		c, err := ln.Accept()
		if err != nil {
			s.netMu.Lock()
			closed := s.closed
			s.netMu.Unlock()
			if closed {
				return nil
			}
			return fmt.Errorf("sim: accepting on %s: %w", ln.Addr(), err)
		}
		s.netMu.Lock()
		if s.closed {
			s.netMu.Unlock()
			c.Close()
			return nil
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.netMu.Unlock()
		go func() {
			defer s.wg.Done()
			s.serveConn(c)
			s.netMu.Lock()
			delete(s.conns, c)
			s.netMu.Unlock()
		}()
	}
}

// ListenAndServe listens on the unix socket socketPath (mode 0600) and serves
// until ctx is done or serving fails; it then closes the Simulator and
// removes the socket file. A stale socket file nobody answers on is replaced;
// a live one is an error.
func (s *Simulator) ListenAndServe(ctx context.Context, socketPath string) error {
	ln, err := Listen(socketPath)
	if err != nil {
		return err
	}
	errc := make(chan error, 1)
	go func() { errc <- s.Serve(ln) }()
	select {
	case <-ctx.Done():
		s.Close()
		<-errc
		return nil
	case err := <-errc:
		s.Close()
		return err
	}
}

// Listen opens a unix socket at path with mode 0600, replacing a stale
// socket file that no process answers on. Closing the listener removes the
// file.
func Listen(path string) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode()&os.ModeSocket == 0 {
			return nil, fmt.Errorf("sim: %s exists and is not a socket", path)
		}
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("sim: %s is already served by another process", path)
		}
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("sim: removing stale socket: %w", err)
		}
	}
	ln, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("sim: listening: %w", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("sim: restricting socket mode: %w", err)
	}
	return ln, nil
}

// Close stops every listener given to Serve, closes every connection and
// waits for their goroutines. It is safe to call more than once.
func (s *Simulator) Close() error {
	s.netMu.Lock()
	if s.closed {
		s.netMu.Unlock()
		s.wg.Wait()
		return nil
	}
	s.closed = true
	var errs []error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && !errors.Is(err, net.ErrClosed) {
			errs = append(errs, err)
		}
	}
	for c := range s.conns {
		c.Close()
	}
	s.netMu.Unlock()
	s.wg.Wait()
	if len(errs) > 0 {
		return fmt.Errorf("sim: closing: %w", errors.Join(errs...))
	}
	return nil
}

// Worker is one simulated Sōzu worker: its own copy of the configuration
// state and its proxies' routing tables. Its methods take the simulator's
// lock, so they are safe while clients are served.
type Worker struct {
	sim    *Simulator
	id     uint32
	config *state.State
	px     *proxies
}

// apply runs a request as a worker does: its state copy first, whatever the
// outcome, then its proxies, whose verdict is the worker's answer.
func (w *Worker) apply(req *sozupb.Request) error {
	_ = w.config.Apply(req)
	return w.px.apply(req)
}

// ID is the worker's id, the key Sōzu gives it in answers ("0", "1"...).
func (w *Worker) ID() uint32 { return w.id }

// State returns a copy of the worker's own configuration state.
func (w *Worker) State() *state.State {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	return w.config.Clone()
}

// Routes returns the worker's HTTP and HTTPS routing rules, sorted.
func (w *Worker) Routes() []Route {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	return w.px.routes()
}

// TCPRoute returns the cluster the worker's TCP listener at addr
// ("ip:port") routes to; ok is false when the listener routes nowhere or
// does not exist.
func (w *Worker) TCPRoute(addr string) (cluster string, ok bool) {
	return w.l4Route(sozupb.ListenerType_TCP, addr)
}

// UDPRoute is TCPRoute for the worker's UDP listener at addr.
func (w *Worker) UDPRoute(addr string) (cluster string, ok bool) {
	return w.l4Route(sozupb.ListenerType_UDP, addr)
}

func (w *Worker) l4Route(proto sozupb.ListenerType, addr string) (string, bool) {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	l, ok := w.px.listeners[listenerKey{proto, canonical(addr)}]
	if !ok || l.target == nil {
		return "", false
	}
	return *l.target, true
}

// HasListener reports whether the worker has a listener of protocol proto
// at addr, bound or not.
func (w *Worker) HasListener(proto sozupb.ListenerType, addr string) bool {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	_, ok := w.px.listeners[listenerKey{proto, canonical(addr)}]
	return ok
}

// Bound reports whether the worker has a bound (activated) listener of any
// protocol at addr ("ip:port").
func (w *Worker) Bound(addr string) bool {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	addr = canonical(addr)
	for k, l := range w.px.listeners {
		if k.addr == addr && l.bound {
			return true
		}
	}
	return false
}

// Backend is a backend as a worker's proxies hold it.
type Backend struct {
	ID      string
	Address string
}

// Backends returns the backends the worker routes to for a cluster, in the
// order they were added.
func (w *Worker) Backends(cluster string) []Backend {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	var out []Backend
	for _, b := range w.px.backends[cluster] {
		out = append(out, Backend{ID: b.GetBackendId(), Address: state.FormatAddress(b.GetAddress())})
	}
	return out
}

// HasCluster reports whether the worker's proxies hold the cluster's settings.
func (w *Worker) HasCluster(cluster string) bool {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	return w.px.clusters[cluster]
}

// Certificates returns, for the worker's HTTPS listener at addr, the
// fingerprint served for each name.
func (w *Worker) Certificates(addr string) map[string]string {
	w.sim.mu.Lock()
	defer w.sim.mu.Unlock()
	l, ok := w.px.listeners[listenerKey{sozupb.ListenerType_HTTPS, canonical(addr)}]
	if !ok {
		return nil
	}
	return l.selected()
}

// canonical renders an "ip:port" string the way state.FormatAddress does, so
// that "[::1]:80" and "[0:0::1]:80" name one listener. Unparsable input is
// returned as is (and matches nothing).
func canonical(addr string) string {
	a, err := state.ParseAddress(addr)
	if err != nil {
		return addr
	}
	return state.FormatAddress(a)
}
