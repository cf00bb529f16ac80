// Package sozu speaks Sōzu's command protocol on its unix socket.
//
// It owns the wire framing (an 8-byte little-endian length that counts
// itself, followed by a protobuf Request or Response), the request/answer
// cycle (zero or more PROCESSING answers, then one OK or FAILURE), and the
// typed errors callers tell apart with errors.As: [*FailureError],
// [*TimeoutError], [*ClosedError], [*FrameError], [*InvalidRequestError] and
// [*BrokenError].
//
// Sōzu answers without any correlation id and drops all but the last of
// several requests that arrive together, so a [Client] never pipelines: it
// sends one request, reads answers until the terminal one, and only then lets
// the next caller write. After a timeout, a closed connection or a malformed
// frame the stream can no longer be trusted, and the client refuses further
// requests instead of reconnecting behind the caller's back.
//
// The framing functions ([WriteFrame], [ReadFrame], [ReadRequest],
// [ReadResponse]) serve both sides and are also used by the simulator.
// This package imports only the generated protocol package.
package sozu
