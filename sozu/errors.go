package sozu

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// where renders the "sozu: <verb> on <socket>" head shared by every error
// sentence, leaving out what is unknown.
func where(verb, socket string) string {
	var b strings.Builder
	b.WriteString("sozu: ")
	switch {
	case verb != "" && socket != "":
		fmt.Fprintf(&b, "%s on %s: ", verb, socket)
	case verb != "":
		fmt.Fprintf(&b, "%s: ", verb)
	case socket != "":
		fmt.Fprintf(&b, "on %s: ", socket)
	}
	return b.String()
}

// FailureError reports that Sōzu answered FAILURE. Processing counts the
// PROCESSING answers that came before it: 0 means the main process rejected
// the request before any worker saw it (its state is unchanged); more means
// the main process accepted it and at least one worker failed, in which case
// the main process keeps the change.
type FailureError struct {
	Socket     string // path of the command socket
	Verb       string // the request's verb, as given by Verb
	Message    string // Sōzu's message, verbatim
	Processing int    // PROCESSING answers received before the FAILURE
	// StatusMissing is set when the answer carried no status, or a value
	// ResponseStatus does not define; it is read as FAILURE, the field's
	// declared default, as Sōzu's own client does. Never as OK: an answer
	// that does not say OK must not confirm a change.
	StatusMissing bool
}

// Error implements error.
func (e *FailureError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "(no message)"
	}
	extra := ""
	if e.StatusMissing {
		extra = " (the answer carried no known status, read as FAILURE)"
	}
	if e.Processing > 0 {
		return fmt.Sprintf("%sSōzu answered FAILURE after %d PROCESSING answers%s: %s", where(e.Verb, e.Socket), e.Processing, extra, msg)
	}
	return fmt.Sprintf("%sSōzu answered FAILURE%s: %s", where(e.Verb, e.Socket), extra, msg)
}

// TimeoutError reports that no terminal answer arrived in time: either a
// single read or write exceeded the client's timeout, or the caller's
// context ended. In the second case errors.Is(err, ctx.Err()) holds
// (context.DeadlineExceeded or context.Canceled).
type TimeoutError struct {
	Socket     string
	Verb       string
	Processing int           // PROCESSING answers received before giving up
	Timeout    time.Duration // the per-operation timeout, when that is what expired
	Err        error         // the context's error, or os.ErrDeadlineExceeded
}

// Error implements error.
func (e *TimeoutError) Error() string {
	cause := fmt.Sprintf("no answer within %s", e.Timeout)
	switch {
	case errors.Is(e.Err, context.Canceled):
		cause = "the request was cancelled before Sōzu's final answer"
	case errors.Is(e.Err, context.DeadlineExceeded):
		cause = "the deadline passed before Sōzu's final answer"
	}
	return fmt.Sprintf("%s%s (%d PROCESSING answers received); the connection is no longer usable", where(e.Verb, e.Socket), cause, e.Processing)
}

// Unwrap returns the underlying cause.
func (e *TimeoutError) Unwrap() error { return e.Err }

// ClosedError reports that the connection ended before the terminal answer.
type ClosedError struct {
	Socket     string
	Verb       string
	Processing int   // PROCESSING answers received before the close
	Err        error // the read or write error, usually io.EOF
}

// Error implements error.
func (e *ClosedError) Error() string {
	cause := ""
	if e.Err != nil && !errors.Is(e.Err, io.EOF) {
		cause = fmt.Sprintf(" (%v)", e.Err)
	}
	if e.Processing > 0 {
		return fmt.Sprintf("%sthe connection closed after %d PROCESSING answers and before the final one%s; the request may have been partly applied", where(e.Verb, e.Socket), e.Processing, cause)
	}
	return fmt.Sprintf("%sthe connection closed before Sōzu answered%s", where(e.Verb, e.Socket), cause)
}

// Unwrap returns the underlying cause.
func (e *ClosedError) Unwrap() error { return e.Err }

// FrameProblem says what is wrong with a frame. Sōzu handles them
// differently (command/src/channel.rs:551-606): it skips the 8 bytes of a
// length below 8 and reads on, but keeps a too long or undecodable frame in
// its buffer, which leaves the connection dead.
type FrameProblem int

// The kinds of malformed frames.
const (
	FrameTooShort    FrameProblem = iota + 1 // declared length below the 8 bytes of the prefix
	FrameTooLong                             // declared length above the maximum
	FrameTruncated                           // the stream ended inside the frame
	FrameUndecodable                         // the payload is not a valid message
)

// String names the problem.
func (p FrameProblem) String() string {
	switch p {
	case FrameTooShort:
		return "too short"
	case FrameTooLong:
		return "too long"
	case FrameTruncated:
		return "truncated"
	case FrameUndecodable:
		return "undecodable"
	}
	return fmt.Sprintf("FrameProblem(%d)", int(p))
}

// FrameError reports a malformed frame: a declared length below 8 or above
// the maximum, a stream that ends inside a frame, or a payload that does not
// decode.
type FrameError struct {
	Socket  string       // filled in by Client; empty from ReadFrame
	Verb    string       // filled in by Client; empty from ReadFrame
	Problem FrameProblem // what kind of malformation
	Reason  string       // what is wrong, as a clause
	Length  uint64       // the declared length, when it was read
	Err     error        // underlying cause, if any
}

// Error implements error.
func (e *FrameError) Error() string {
	msg := fmt.Sprintf("%smalformed frame: %s", where(e.Verb, e.Socket), e.Reason)
	if e.Err != nil && !errors.Is(e.Err, io.ErrUnexpectedEOF) {
		msg += fmt.Sprintf(": %v", e.Err)
	}
	if e.Socket != "" && e.Problem != FrameTruncated {
		// A frame that is wrong from its header on usually means the path
		// is some other program's socket.
		msg += " (is this Sōzu's command socket?)"
	}
	return msg
}

// Unwrap returns the underlying cause.
func (e *FrameError) Unwrap() error { return e.Err }

// EncodeError reports that a message could not be encoded, usually because
// a proto2 required field is not set.
type EncodeError struct {
	Message string // full protobuf name of the message
	Err     error
}

// Error implements error.
func (e *EncodeError) Error() string {
	return fmt.Sprintf("sozu: cannot encode %s: %v", e.Message, e.Err)
}

// Unwrap returns the underlying cause.
func (e *EncodeError) Unwrap() error { return e.Err }

// InvalidRequestError reports a request refused before anything was written:
// it cannot be encoded (a proto2 required field is missing), it names no verb
// (Sōzu never answers such a request), or its frame exceeds the maximum.
type InvalidRequestError struct {
	Socket string
	Verb   string
	Reason string
	Err    error
}

// Error implements error.
func (e *InvalidRequestError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%sinvalid request, nothing sent: %s: %v", where(e.Verb, e.Socket), e.Reason, e.Err)
	}
	return fmt.Sprintf("%sinvalid request, nothing sent: %s", where(e.Verb, e.Socket), e.Reason)
}

// Unwrap returns the underlying cause.
func (e *InvalidRequestError) Unwrap() error { return e.Err }

// ErrClientClosed is the cause carried by a BrokenError once Close was called.
var ErrClientClosed = errors.New("client closed")

// BrokenError is returned by Send once the connection can no longer be
// trusted: an earlier request timed out, hit a closed connection or a
// malformed frame, or the client was closed. Cause is that earlier error.
// Dial again to continue.
type BrokenError struct {
	Socket string
	Verb   string
	Cause  error
}

// Error implements error.
func (e *BrokenError) Error() string {
	if errors.Is(e.Cause, ErrClientClosed) {
		return fmt.Sprintf("%snot sent: the client is closed", where(e.Verb, e.Socket))
	}
	return fmt.Sprintf("%snot sent: the connection is unusable since an earlier error (%v); dial again", where(e.Verb, e.Socket), e.Cause)
}

// Unwrap returns the earlier error.
func (e *BrokenError) Unwrap() error { return e.Cause }
