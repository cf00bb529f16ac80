package sozu

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"sync"
	"syscall"
	"time"

	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// DefaultTimeout bounds each read and each write of a request, unless
// WithTimeout says otherwise.
const DefaultTimeout = 15 * time.Second

// Client is a connection to Sōzu's command socket. It is safe for
// concurrent use: Send calls are serialised, so a request is written only
// once the previous one has its terminal answer (Sōzu has no request ids and
// drops pipelined requests). A Client has no background goroutine.
type Client struct {
	path    string
	timeout time.Duration
	max     int

	conn net.Conn
	r    *bufio.Reader

	mu   sync.Mutex // held for a whole Send: one request at a time
	wbuf []byte     // frame buffer, reused under mu

	// dmu guards the fields below; Close and context cancellation take it
	// while a Send is in progress.
	dmu       sync.Mutex
	gen       uint64 // increments with each Send; cancellation checks it
	cancelled bool   // the current Send's context ended
	ctxBound  bool   // the current deadline is the context's, not the timeout's
	broken    error  // why the connection is unusable, or nil
	closed    bool
}

// Option configures a Client.
type Option func(*Client)

// WithTimeout sets how long each single read and each write may take
// (DefaultTimeout unless set). The clock restarts with every answer, so a
// long request that keeps sending PROCESSING answers does not expire; the
// caller's context bounds the whole exchange. d <= 0 leaves only the context.
func WithTimeout(d time.Duration) Option {
	return func(c *Client) { c.timeout = d }
}

// WithMaxFrameSize sets the largest frame, prefix included, the client will
// read or write (DefaultMaxFrameSize unless set; n <= 0 restores it). Match
// Sōzu's max_command_buffer_size: Sōzu refuses longer requests and cannot
// send longer answers.
func WithMaxFrameSize(n int) Option {
	return func(c *Client) {
		if n <= 0 {
			n = DefaultMaxFrameSize
		}
		c.max = n
	}
}

// Dial connects to the Sōzu command socket at socketPath. ctx bounds the
// connection attempt only.
func Dial(ctx context.Context, socketPath string, opts ...Option) (*Client, error) {
	c := &Client{path: socketPath, timeout: DefaultTimeout, max: DefaultMaxFrameSize}
	for _, o := range opts {
		o(c)
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", socketPath)
	if err != nil {
		return nil, dialError(socketPath, err)
	}
	c.conn = conn
	c.r = bufio.NewReaderSize(conn, 32<<10)
	return c, nil
}

// SetTimeout changes the per-operation timeout (see WithTimeout) for the
// requests sent from now on; a Send in progress keeps the one it started
// with for its current read. Useful around a long request such as a large
// load_state, which Sōzu runs without any timeout of its own.
func (c *Client) SetTimeout(d time.Duration) {
	c.dmu.Lock()
	c.timeout = d
	c.dmu.Unlock()
}

// Timeout returns the per-operation timeout.
func (c *Client) Timeout() time.Duration {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	return c.timeout
}

// SocketPath returns the path the client dialled.
func (c *Client) SocketPath() string { return c.path }

// Close closes the connection. A Send in progress fails, and every later
// Send returns a *BrokenError whose cause is ErrClientClosed. Closing twice
// is harmless.
func (c *Client) Close() error {
	c.dmu.Lock()
	if c.closed {
		c.dmu.Unlock()
		return nil
	}
	c.closed = true
	c.dmu.Unlock()
	if err := c.conn.Close(); err != nil {
		return fmt.Errorf("sozu: closing connection to %s: %w", c.path, err)
	}
	return nil
}

// Send writes req and reads answers until the terminal one. Each PROCESSING
// answer is passed to onProcessing (which may be nil) in arrival order;
// onProcessing runs while the client is held and must not call Send.
//
// Sōzu's OK answer is returned with a nil error. A FAILURE answer is
// returned together with a *FailureError. Other errors are typed:
// *InvalidRequestError (nothing was written), *TimeoutError, *ClosedError,
// *FrameError, *BrokenError. After a timeout, a closed connection or a
// malformed frame the client is broken: later Sends return a *BrokenError
// without writing anything.
//
// A request that never gets a terminal answer (subscribe_events) runs until
// its context ends or a read times out.
func (c *Client) Send(ctx context.Context, req *sozupb.Request, onProcessing func(*sozupb.Response)) (*sozupb.Response, error) {
	verb := Verb(req)
	if verb == "" {
		return nil, &InvalidRequestError{Socket: c.path, Verb: "request", Reason: "no verb is set, and Sōzu never answers such a request"}
	}

	c.mu.Lock()
	defer c.mu.Unlock()

	frame, err := AppendFrame(c.wbuf[:0], req)
	if err != nil {
		return nil, &InvalidRequestError{Socket: c.path, Verb: verb, Reason: "cannot encode it", Err: errors.Unwrap(err)}
	}
	if cap(frame) <= 64<<10 {
		c.wbuf = frame
	}
	if len(frame) > c.max {
		return nil, &InvalidRequestError{Socket: c.path, Verb: verb, Reason: fmt.Sprintf("its %d-byte frame exceeds the maximum of %d bytes", len(frame), c.max)}
	}

	c.dmu.Lock()
	if c.closed || c.broken != nil {
		cause := c.broken
		if c.closed {
			cause = ErrClientClosed
		}
		c.dmu.Unlock()
		return nil, &BrokenError{Socket: c.path, Verb: verb, Cause: cause}
	}
	c.gen++
	gen := c.gen
	c.cancelled = false
	c.dmu.Unlock()

	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%snot sent: %w", where(verb, c.path), err)
	}
	stop := context.AfterFunc(ctx, func() {
		c.dmu.Lock()
		defer c.dmu.Unlock()
		if c.gen == gen && !c.closed {
			c.cancelled = true
			_ = c.conn.SetDeadline(time.Unix(1, 0))
		}
	})
	defer stop()

	// Until the terminal answer is read, leaving Send by any other way than
	// fail (a panicking onProcessing) must leave the client broken: the rest
	// of the answers would otherwise be read as the next request's.
	finished := false
	defer func() {
		if !finished {
			c.dmu.Lock()
			if c.broken == nil {
				c.broken = fmt.Errorf("%s%w", where(verb, c.path), errAbandoned)
			}
			c.dmu.Unlock()
		}
	}()

	processing := 0
	if err := c.arm(ctx); err != nil {
		return nil, c.fail(ctx, verb, processing, err)
	}
	if _, err := c.conn.Write(frame); err != nil {
		return nil, c.fail(ctx, verb, processing, err)
	}

	for {
		if err := c.arm(ctx); err != nil {
			return nil, c.fail(ctx, verb, processing, err)
		}
		resp, err := ReadResponse(c.r, c.max)
		if err != nil {
			return nil, c.fail(ctx, verb, processing, err)
		}
		switch resp.GetStatus() {
		case sozupb.ResponseStatus_PROCESSING:
			processing++
			if onProcessing != nil {
				onProcessing(resp)
			}
		case sozupb.ResponseStatus_OK:
			finished = true
			return resp, nil
		default:
			finished = true
			return resp, &FailureError{
				Socket:        c.path,
				Verb:          verb,
				Message:       resp.GetMessage(),
				Processing:    processing,
				StatusMissing: !knownStatus(resp),
			}
		}
	}
}

// knownStatus reports whether resp carries a status ResponseStatus defines.
// (protobuf-go keeps an undefined value of a proto2 enum in the field.)
func knownStatus(resp *sozupb.Response) bool {
	return resp.Status != nil && resp.Status.Descriptor().Values().ByNumber(protoreflect.EnumNumber(*resp.Status)) != nil
}

// errAbandoned is the cause of a broken client whose previous Send ended
// without its terminal answer and without an error (onProcessing panicked).
var errAbandoned = errors.New("the previous request was abandoned before its final answer")

// errCancelled marks an operation refused because the context ended.
var errCancelled = errors.New("context ended")

// arm sets the deadline of the next read or write: the client's timeout
// from now, or the context's deadline when that comes first.
func (c *Client) arm(ctx context.Context) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	if c.cancelled || ctx.Err() != nil {
		return errCancelled
	}
	var d time.Time
	if c.timeout > 0 {
		d = time.Now().Add(c.timeout)
	}
	c.ctxBound = false
	if cd, ok := ctx.Deadline(); ok && (d.IsZero() || cd.Before(d)) {
		d = cd
		c.ctxBound = true
	}
	return c.conn.SetDeadline(d)
}

// fail turns a read or write error into the typed error Send returns, and
// marks the connection broken.
func (c *Client) fail(ctx context.Context, verb string, processing int, err error) error {
	c.dmu.Lock()
	defer c.dmu.Unlock()
	cancelled, closed := c.cancelled, c.closed
	var out error
	var fe *FrameError
	switch {
	case closed:
		return &BrokenError{Socket: c.path, Verb: verb, Cause: ErrClientClosed}
	case cancelled || errors.Is(err, errCancelled) || (errors.Is(err, os.ErrDeadlineExceeded) && (c.ctxBound || ctx.Err() != nil)):
		// The socket deadline may fire a moment before the context's own
		// timer; it was the context's deadline all the same.
		cause := ctx.Err()
		if cause == nil {
			cause = context.DeadlineExceeded
		}
		out = &TimeoutError{Socket: c.path, Verb: verb, Processing: processing, Err: cause}
	case errors.Is(err, os.ErrDeadlineExceeded):
		out = &TimeoutError{Socket: c.path, Verb: verb, Processing: processing, Timeout: c.timeout, Err: os.ErrDeadlineExceeded}
	case errors.As(err, &fe):
		cp := *fe
		cp.Socket, cp.Verb = c.path, verb
		out = &cp
	case errors.Is(err, io.EOF), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNRESET), errors.Is(err, net.ErrClosed):
		out = &ClosedError{Socket: c.path, Verb: verb, Processing: processing, Err: err}
	default:
		out = &ClosedError{Socket: c.path, Verb: verb, Processing: processing, Err: err}
	}
	if c.broken == nil {
		c.broken = out
	}
	return out
}

// dialError explains why socketPath could not be dialled in the terms an
// operator acts on (nothing there, not a socket, nobody listening), and
// keeps err for errors.Is.
func dialError(socketPath string, err error) error {
	why := ""
	fi, serr := os.Stat(socketPath)
	switch {
	case errors.Is(serr, fs.ErrNotExist):
		why = "there is no socket at that path (is Sōzu running, and is this its command socket?)"
	case serr == nil && fi.IsDir():
		why = "it is a directory, not a unix socket"
	case serr == nil && fi.Mode()&fs.ModeSocket == 0:
		why = "it is a regular file, not a unix socket"
	case errors.Is(err, syscall.ECONNREFUSED):
		why = "nothing is listening on it (a socket left behind by a stopped Sōzu?)"
	case errors.Is(err, fs.ErrPermission):
		why = "permission denied (run as a user that may write to the socket)"
	}
	if why == "" {
		return fmt.Errorf("sozu: connecting to the command socket %s: %w", socketPath, err)
	}
	return fmt.Errorf("sozu: connecting to the command socket %s: %s: %w", socketPath, why, unwrapOp(err))
}

// unwrapOp drops the net.OpError wrapper, whose text repeats the path.
func unwrapOp(err error) error {
	var op *net.OpError
	if errors.As(err, &op) && op.Err != nil {
		var se *os.SyscallError
		if errors.As(op.Err, &se) && se.Err != nil {
			return se.Err
		}
		return op.Err
	}
	return err
}
