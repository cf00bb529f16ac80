package state

import "fmt"

// ErrorKind tells apart the ways Sōzu's main process rejects a request
// (StateError in Sōzu 2.1.0, command/src/state.rs:38-69).
type ErrorKind int

// The kinds of rejection.
const (
	// Invalid: a field value Sōzu refuses (health check, H2 knob, ALPN,
	// sozu_id_header, unknown enum value, a certificate that does not parse,
	// a fingerprint that is not hex).
	Invalid ErrorKind = iota + 1
	// NotFound: the object the request names does not exist.
	NotFound
	// Exists: an object with the same identity key already exists.
	Exists
	// NoChange: the request would not change the state (RemoveListener of an
	// absent listener, a remove that matches nothing).
	NoChange
	// Empty: the request carries no verb.
	Empty
	// Undispatchable: the verb is not one the configuration state handles
	// (queries and process control that Sōzu answers elsewhere).
	Undispatchable
)

var errorKindNames = map[ErrorKind]string{
	Invalid:        "invalid",
	NotFound:       "not found",
	Exists:         "exists",
	NoChange:       "no change",
	Empty:          "empty request",
	Undispatchable: "undispatchable",
}

// String names the kind ("not found", "exists", ...).
func (k ErrorKind) String() string {
	if s, ok := errorKindNames[k]; ok {
		return s
	}
	return fmt.Sprintf("ErrorKind(%d)", int(k))
}

// Error is a request rejected by the rules of Sōzu's main process. Message
// is worded as Sōzu words it, so that it can be compared with a live
// answer: "Cluster 'api' already exists", "Did not find HttpListener with
// address or id '0.0.0.0:80'", "dispatching this request did not bring any
// change to the state".
type Error struct {
	Kind    ErrorKind
	Message string
}

// Error returns Message.
func (e *Error) Error() string { return e.Message }

// Is reports whether target is an *Error of the same Kind, so that
// errors.Is(err, &state.Error{Kind: state.NotFound}) works.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Kind == e.Kind && (t.Message == "" || t.Message == e.Message)
}

// Sōzu's ObjectKind names, as its errors print them (command/src/lib.rs:79-93).
const (
	objBackend       = "Backend"
	objCertificate   = "Certificate"
	objCluster       = "Cluster"
	objHTTPFrontend  = "HttpFrontend"
	objHTTPSFrontend = "HttpsFrontend"
	objHTTPListener  = "HttpListener"
	objHTTPSListener = "HttpsListener"
	objTCPListener   = "TcpListener"
	objTCPFrontend   = "TcpFrontend"
	objUDPListener   = "UdpListener"
	objUDPFrontend   = "UdpFrontend"
)

func errNotFound(kind, id string) *Error {
	return &Error{Kind: NotFound, Message: fmt.Sprintf("Did not find %s with address or id '%s'", kind, id)}
}

func errExists(kind, id string) *Error {
	return &Error{Kind: Exists, Message: fmt.Sprintf("%s '%s' already exists", kind, id)}
}

func errNoChange() *Error {
	return &Error{Kind: NoChange, Message: "dispatching this request did not bring any change to the state"}
}

func errInvalid(field, reason string) *Error {
	return &Error{Kind: Invalid, Message: fmt.Sprintf("Invalid value for field '%s': %s", field, reason)}
}
