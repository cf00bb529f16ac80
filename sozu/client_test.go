package sozu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// server is a tiny stand-in for Sōzu's main process: it accepts
// connections on a unix socket and runs handle on each.
type server struct {
	path string
	ln   net.Listener
	wg   sync.WaitGroup
}

func newServer(t testing.TB, handle func(conn net.Conn)) *server {
	t.Helper()
	s := &server{path: testsock.Path(t)}
	ln, err := net.Listen("unix", s.path)
	if err != nil {
		t.Fatal(err)
	}
	s.ln = ln
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				handle(conn)
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		s.wg.Wait()
	})
	return s
}

func dial(t testing.TB, s *server, opts ...Option) *Client {
	t.Helper()
	c, err := Dial(context.Background(), s.path, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func answer(status sozupb.ResponseStatus, msg string) *sozupb.Response {
	return &sozupb.Response{Status: status.Enum(), Message: proto.String(msg)}
}

// script answers every request with the given answers, in order.
func script(answers ...*sozupb.Response) func(net.Conn) {
	return func(conn net.Conn) {
		for {
			if _, err := ReadRequest(conn, 0); err != nil {
				return
			}
			for _, a := range answers {
				if err := WriteFrame(conn, a); err != nil {
					return
				}
			}
		}
	}
}

// raw answers the first request with raw bytes, then closes (close) or
// waits for the client to hang up.
func raw(b string, close bool) func(net.Conn) {
	return func(conn net.Conn) {
		if _, err := ReadRequest(conn, 0); err != nil {
			return
		}
		conn.Write([]byte(b))
		if !close {
			io.Copy(io.Discard, conn)
		}
	}
}

var (
	statusReq  = &sozupb.Request{RequestType: &sozupb.Request_Status{Status: &sozupb.Status{}}}
	clusterReq = goldenFrames[3].req
)

func TestSendOK(t *testing.T) {
	tests := []struct {
		name    string
		answers []*sozupb.Response
	}{
		{"no processing", []*sozupb.Response{answer(sozupb.ResponseStatus_OK, "done")}},
		{"two processing", []*sozupb.Response{
			answer(sozupb.ResponseStatus_PROCESSING, "p1"),
			answer(sozupb.ResponseStatus_PROCESSING, "p2"),
			answer(sozupb.ResponseStatus_OK, "done"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, newServer(t, script(tc.answers...)))
			for round := 0; round < 3; round++ { // the connection is reusable
				var seen []string
				resp, err := c.Send(context.Background(), clusterReq, func(r *sozupb.Response) {
					seen = append(seen, r.GetMessage())
				})
				if err != nil {
					t.Fatalf("round %d: %v", round, err)
				}
				if resp.GetMessage() != "done" || resp.GetStatus() != sozupb.ResponseStatus_OK {
					t.Errorf("terminal answer %v", resp)
				}
				want := []string{}
				for _, a := range tc.answers[:len(tc.answers)-1] {
					want = append(want, a.GetMessage())
				}
				if fmt.Sprint(seen) != fmt.Sprint(want) {
					t.Errorf("onProcessing saw %v, want %v", seen, want)
				}
				// nil callback is allowed
				if _, err := c.Send(context.Background(), clusterReq, nil); err != nil {
					t.Fatal(err)
				}
			}
			if c.SocketPath() == "" {
				t.Error("empty SocketPath")
			}
		})
	}
}

func TestSendFailure(t *testing.T) {
	tests := []struct {
		name       string
		answers    []*sozupb.Response
		processing int
		text       string
	}{
		{"main process rejects", []*sozupb.Response{answer(sozupb.ResponseStatus_FAILURE, "Cluster 'api' already exists")}, 0,
			"add_cluster on %s: Sōzu answered FAILURE: Cluster 'api' already exists"},
		{"worker fails", []*sozupb.Response{
			answer(sozupb.ResponseStatus_PROCESSING, "Processing worker request..."),
			answer(sozupb.ResponseStatus_PROCESSING, "Worker 0 is processing"),
			answer(sozupb.ResponseStatus_FAILURE, "0: boom"),
		}, 2, "add_cluster on %s: Sōzu answered FAILURE after 2 PROCESSING answers: 0: boom"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, script(tc.answers...))
			c := dial(t, s)
			resp, err := c.Send(context.Background(), clusterReq, nil)
			var fe *FailureError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want *FailureError", err)
			}
			if fe.Processing != tc.processing || fe.Verb != "add_cluster" || fe.StatusMissing {
				t.Errorf("FailureError %+v", fe)
			}
			if want := "sozu: " + fmt.Sprintf(tc.text, s.path); err.Error() != want {
				t.Errorf("message\n got %q\nwant %q", err.Error(), want)
			}
			if resp == nil || resp.GetStatus() != sozupb.ResponseStatus_FAILURE {
				t.Errorf("FAILURE answer not returned: %v", resp)
			}
			// A FAILURE leaves the connection usable.
			if _, err := c.Send(context.Background(), clusterReq, nil); !errors.As(err, &fe) {
				t.Errorf("second send: %v", err)
			}
		})
	}
}

func TestSendStatusMissing(t *testing.T) {
	for name, frame := range map[string]string{
		// message (2, LEN) "x", no status: read as FAILURE, the declared default.
		"missing": le(11) + "\x12\x01x",
		// status (1, varint) 7, which ResponseStatus does not define.
		"unknown": le(13) + "\x08\x07\x12\x01x",
	} {
		c := dial(t, newServer(t, raw(frame, false)))
		resp, err := c.Send(context.Background(), statusReq, nil)
		var fe *FailureError
		if !errors.As(err, &fe) || !fe.StatusMissing || fe.Message != "x" {
			t.Fatalf("%s: got (%v, %v), want FailureError with StatusMissing", name, resp, err)
		}
		if !strings.Contains(err.Error(), "no known status") {
			t.Errorf("%s: message %q does not say the status was missing", name, err)
		}
	}
}

func silent(conn net.Conn) { io.Copy(io.Discard, conn) }

func TestSendTimeout(t *testing.T) {
	s := newServer(t, silent)
	c := dial(t, s, WithTimeout(50*time.Millisecond))
	start := time.Now()
	_, err := c.Send(context.Background(), statusReq, nil)
	var te *TimeoutError
	if !errors.As(err, &te) {
		t.Fatalf("got %v, want *TimeoutError", err)
	}
	if !errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("timeout cause wrong: %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("timeout took %v", d)
	}
	if !strings.Contains(err.Error(), "status on "+s.path+": no answer within 50ms") {
		t.Errorf("message %q", err)
	}
	_, err = c.Send(context.Background(), statusReq, nil)
	var be *BrokenError
	if !errors.As(err, &be) || !errors.As(err, &te) {
		t.Fatalf("after timeout: got %v, want *BrokenError wrapping the timeout", err)
	}
}

func TestSendTimeoutAfterProcessing(t *testing.T) {
	c := dial(t, newServer(t, func(conn net.Conn) {
		ReadRequest(conn, 0)
		WriteFrame(conn, answer(sozupb.ResponseStatus_PROCESSING, "p"))
		io.Copy(io.Discard, conn)
	}), WithTimeout(50*time.Millisecond))
	_, err := c.Send(context.Background(), statusReq, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Processing != 1 {
		t.Fatalf("got %v, want *TimeoutError after 1 PROCESSING", err)
	}
}

func TestSendContext(t *testing.T) {
	s := newServer(t, silent)

	t.Run("cancel", func(t *testing.T) {
		c := dial(t, s) // default 15 s timeout: only the context can end it
		ctx, cancel := context.WithCancel(context.Background())
		time.AfterFunc(30*time.Millisecond, cancel)
		_, err := c.Send(ctx, statusReq, nil)
		var te *TimeoutError
		if !errors.As(err, &te) || !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want *TimeoutError wrapping context.Canceled", err)
		}
		var be *BrokenError
		if _, err := c.Send(context.Background(), statusReq, nil); !errors.As(err, &be) {
			t.Fatalf("after cancel: got %v, want *BrokenError", err)
		}
	})
	t.Run("deadline", func(t *testing.T) {
		c := dial(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
		defer cancel()
		_, err := c.Send(ctx, statusReq, nil)
		var te *TimeoutError
		if !errors.As(err, &te) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("got %v, want *TimeoutError wrapping context.DeadlineExceeded", err)
		}
		if !strings.Contains(err.Error(), "deadline passed") {
			t.Errorf("message %q", err)
		}
	})
	t.Run("already done", func(t *testing.T) {
		c := dial(t, s, WithTimeout(30*time.Millisecond))
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		_, err := c.Send(ctx, statusReq, nil)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("got %v, want context.Canceled", err)
		}
		// Nothing was sent, so the connection is still fine: the server is
		// silent, so a short timeout is the expected outcome, not BrokenError.
		var be *BrokenError
		var te *TimeoutError
		_, err = c.Send(context.Background(), statusReq, nil)
		if errors.As(err, &be) || !errors.As(err, &te) {
			t.Fatalf("a request refused before writing broke the client: %v", err)
		}
	})
}

func TestSendClosed(t *testing.T) {
	tests := []struct {
		name       string
		handle     func(net.Conn)
		processing int
		text       string
	}{
		{"before any answer", raw("", true), 0, "the connection closed before Sōzu answered"},
		{"after processing", func(conn net.Conn) {
			ReadRequest(conn, 0)
			WriteFrame(conn, answer(sozupb.ResponseStatus_PROCESSING, "p"))
			WriteFrame(conn, answer(sozupb.ResponseStatus_PROCESSING, "p"))
		}, 2, "after 2 PROCESSING answers and before the final one"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, newServer(t, tc.handle))
			_, err := c.Send(context.Background(), statusReq, nil)
			var ce *ClosedError
			if !errors.As(err, &ce) || ce.Processing != tc.processing {
				t.Fatalf("got %v, want *ClosedError after %d PROCESSING", err, tc.processing)
			}
			if !strings.Contains(err.Error(), tc.text) {
				t.Errorf("message %q lacks %q", err, tc.text)
			}
			var be *BrokenError
			if _, err := c.Send(context.Background(), statusReq, nil); !errors.As(err, &be) {
				t.Fatalf("after close: got %v, want *BrokenError", err)
			}
		})
	}
}

func TestSendMalformed(t *testing.T) {
	ok := func() string {
		b, _ := AppendFrame(nil, answer(sozupb.ResponseStatus_PROCESSING, "p"))
		return string(b)
	}()
	tests := []struct {
		name   string
		bytes  string
		close  bool
		reason string
		kind   FrameProblem
	}{
		{"length below 8", le(3) + "abcdefgh", false, "below the 8 bytes", FrameTooShort},
		{"length above max", le(200) + strings.Repeat("x", 192), false, "exceeds the maximum of 100", FrameTooLong},
		{"truncated", ok + le(40) + "\x08\x00", true, "2 of the 32 payload bytes", FrameTruncated},
		{"undecodable", le(11) + "\x0a\x05z", false, "not a valid Response", FrameUndecodable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, raw(tc.bytes, tc.close))
			c := dial(t, s, WithMaxFrameSize(100), WithTimeout(5*time.Second))
			_, err := c.Send(context.Background(), statusReq, nil)
			var fe *FrameError
			if !errors.As(err, &fe) {
				t.Fatalf("got %v, want *FrameError", err)
			}
			if !strings.Contains(fe.Reason, tc.reason) || fe.Problem != tc.kind || fe.Socket != s.path || fe.Verb != "status" {
				t.Errorf("FrameError %+v", fe)
			}
			if !strings.HasPrefix(err.Error(), "sozu: status on "+s.path+": malformed frame: ") {
				t.Errorf("message %q", err)
			}
			if hint := strings.HasSuffix(err.Error(), " (is this Sōzu's command socket?)"); hint != (tc.kind != FrameTruncated) {
				t.Errorf("message %q: the hint about another program's socket is wanted only for a frame wrong from its header", err)
			}
			var be *BrokenError
			if _, err := c.Send(context.Background(), statusReq, nil); !errors.As(err, &be) || !strings.Contains(err.Error(), "dial again") {
				t.Fatalf("after a bad frame: got %v, want *BrokenError", err)
			}
		})
	}
}

func TestSendInvalidRequest(t *testing.T) {
	var got atomic.Value
	s := newServer(t, func(conn net.Conn) {
		req, err := ReadRequest(conn, 0)
		if err != nil {
			return
		}
		got.Store(Verb(req))
		WriteFrame(conn, answer(sozupb.ResponseStatus_OK, ""))
		io.Copy(io.Discard, conn)
	})
	c := dial(t, s, WithMaxFrameSize(64))
	tests := []struct {
		name string
		req  *sozupb.Request
		text string
	}{
		{"missing required", &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{ClusterId: proto.String("api")}}},
			"add_cluster on " + s.path + ": invalid request, nothing sent: cannot encode it"},
		{"no verb", &sozupb.Request{}, "request on " + s.path + ": invalid request, nothing sent: no verb is set"},
		{"nil", nil, "invalid request, nothing sent: no verb"},
		{"too large", &sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: strings.Repeat("x", 100)}},
			"save_state on " + s.path + ": invalid request, nothing sent: its 110-byte frame exceeds the maximum of 64 bytes"},
	}
	for _, tc := range tests {
		_, err := c.Send(context.Background(), tc.req, nil)
		var ie *InvalidRequestError
		if !errors.As(err, &ie) {
			t.Fatalf("%s: got %v, want *InvalidRequestError", tc.name, err)
		}
		if !strings.Contains(err.Error(), tc.text) {
			t.Errorf("%s: message %q lacks %q", tc.name, err, tc.text)
		}
	}
	// Nothing reached the server: the first request it reads is this one.
	if _, err := c.Send(context.Background(), statusReq, nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := got.Load().(string); v != "status" {
		t.Errorf("server's first request was %q, want status", v)
	}
}

// TestSendSerialised runs Sends from several goroutines; the server checks
// that no byte of a next request arrives before it has answered the
// current one, and echoes each request so answers can be matched.
func TestSendSerialised(t *testing.T) {
	var overlaps atomic.Int32
	s := newServer(t, func(conn net.Conn) {
		for {
			req, err := ReadRequest(conn, 0)
			if err != nil {
				return
			}
			// Another request in flight would be readable now.
			conn.SetReadDeadline(time.Now().Add(time.Millisecond))
			var one [1]byte
			if n, _ := conn.Read(one[:]); n > 0 {
				overlaps.Add(1)
				return
			}
			conn.SetReadDeadline(time.Time{})
			WriteFrame(conn, answer(sozupb.ResponseStatus_PROCESSING, "p"))
			WriteFrame(conn, answer(sozupb.ResponseStatus_OK, req.GetSaveState()))
		}
	})
	c := dial(t, s)
	var wg sync.WaitGroup
	errs := make(chan error, 100)
	for g := 0; g < 6; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				name := fmt.Sprintf("g%d-%d", g, i)
				req := &sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: name}}
				resp, err := c.Send(context.Background(), req, nil)
				if err != nil {
					errs <- err
					return
				}
				if resp.GetMessage() != name {
					errs <- fmt.Errorf("request %s got answer %q", name, resp.GetMessage())
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := overlaps.Load(); n > 0 {
		t.Errorf("server saw %d overlapping requests", n)
	}
}

func TestClose(t *testing.T) {
	s := newServer(t, silent)
	c := dial(t, s)
	done := make(chan error, 1)
	go func() {
		_, err := c.Send(context.Background(), statusReq, nil)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		var be *BrokenError
		if !errors.As(err, &be) || !errors.Is(err, ErrClientClosed) {
			t.Errorf("Send during Close: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Close did not interrupt Send")
	}
	_, err := c.Send(context.Background(), statusReq, nil)
	if !errors.Is(err, ErrClientClosed) || !strings.Contains(err.Error(), "the client is closed") {
		t.Errorf("Send after Close: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestDialError(t *testing.T) {
	path := testsock.Path(t)
	_, err := Dial(context.Background(), path)
	if err == nil || !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), path) {
		t.Fatalf("got %v", err)
	}
}

func BenchmarkSendRoundTrip(b *testing.B) {
	ok := answer(sozupb.ResponseStatus_OK, "")
	s := newServer(b, script(ok))
	c := dial(b, s)
	ctx := context.Background()
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Send(ctx, clusterReq, nil); err != nil {
			b.Fatal(err)
		}
	}
}

func TestSendCallbackPanic(t *testing.T) {
	c := dial(t, newServer(t, script(
		answer(sozupb.ResponseStatus_PROCESSING, "p"),
		answer(sozupb.ResponseStatus_OK, "done"),
	)))
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("the callback's panic did not reach the caller")
			}
		}()
		c.Send(context.Background(), statusReq, func(*sozupb.Response) { panic("callback") })
	}()
	_, err := c.Send(context.Background(), statusReq, nil)
	var be *BrokenError
	if !errors.As(err, &be) || !strings.Contains(err.Error(), "abandoned") {
		t.Fatalf("after a panicking callback: got %v, want *BrokenError", err)
	}
}

func TestNoGoroutineLeft(t *testing.T) {
	s := newServer(t, script(answer(sozupb.ResponseStatus_OK, "")))
	before := runtime.NumGoroutine()
	for i := 0; i < 20; i++ {
		c := dial(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		if _, err := c.Send(ctx, statusReq, nil); err != nil {
			t.Fatal(err)
		}
		cancel()
		c.Close()
	}
	// The server's per-connection goroutines end when the clients hang up;
	// give them a moment. The client itself starts none.
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		t.Errorf("%d goroutines after, %d before", n, before)
	}
}

func TestSetTimeout(t *testing.T) {
	c := dial(t, newServer(t, silent))
	if c.Timeout() != DefaultTimeout {
		t.Errorf("default timeout %v", c.Timeout())
	}
	c.SetTimeout(40 * time.Millisecond)
	if c.Timeout() != 40*time.Millisecond {
		t.Errorf("timeout %v after SetTimeout", c.Timeout())
	}
	start := time.Now()
	_, err := c.Send(context.Background(), statusReq, nil)
	var te *TimeoutError
	if !errors.As(err, &te) || te.Timeout != 40*time.Millisecond {
		t.Fatalf("got %v", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Error("the new timeout was not used")
	}
}
