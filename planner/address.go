package planner

import (
	"strconv"
	"strings"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// DerivedAddress returns the plan address of an object that the
// configuration does not name (a base-only object, or any object when
// Options.Namer is nil). msg is the object as state.State.Objects gives it.
// The scheme, stable across releases:
//
//	listener.<protocol>["<ip:port>"]
//	cluster.<cluster_id>
//	cluster.<cluster_id>.backend.<backend_id>
//	cluster.<cluster_id>.http_frontend["<route key>"]   (https_frontend alike)
//	http_frontend["<route key>"]                        (no cluster: a deny route)
//	cluster.<cluster_id>.tcp_frontend["<ip:port>[;tags]"] (udp_frontend alike)
//	certificate["<ip:port>;<fingerprint>"]
//
// A label that is not made of letters, digits, '_' and '-' is written as
// ["label"] instead of .label.
func DerivedAddress(kind state.Kind, key string, msg proto.Message) string {
	switch kind {
	case state.KindHTTPListener, state.KindHTTPSListener, state.KindTCPListener, state.KindUDPListener:
		return "listener." + listenerProtocol(kind) + index(key)
	case state.KindCluster:
		return "cluster" + label(key)
	case state.KindBackend:
		b, _ := msg.(*sozupb.AddBackend)
		return "cluster" + label(b.GetClusterId()) + ".backend" + label(b.GetBackendId())
	case state.KindHTTPFrontend, state.KindHTTPSFrontend:
		f, _ := msg.(*sozupb.RequestHttpFrontend)
		prefix := ""
		if f.ClusterId != nil {
			prefix = "cluster" + label(f.GetClusterId()) + "."
		}
		return prefix + kind.String() + index(key)
	case state.KindTCPFrontend, state.KindUDPFrontend:
		cluster, rest, _ := strings.Cut(key, ";")
		return "cluster" + label(cluster) + "." + kind.String() + index(rest)
	case state.KindCertificate:
		return "certificate" + index(key)
	}
	return kind.String() + index(key)
}

func listenerProtocol(kind state.Kind) string {
	switch kind {
	case state.KindHTTPListener:
		return "http"
	case state.KindHTTPSListener:
		return "https"
	case state.KindTCPListener:
		return "tcp"
	}
	return "udp"
}

// label renders one address label: ".name" when it is a plain name,
// ["name"] otherwise.
func label(s string) string {
	if s == "" {
		return index(s)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return index(s)
		}
	}
	return "." + s
}

func index(s string) string { return "[" + strconv.Quote(s) + "]" }

// addressMatches reports whether target names addr or an object nested
// under it (cluster.api matches cluster.api.backend.api-1 and
// cluster.api.http_frontend["..."]).
func addressMatches(target, addr string) bool {
	if addr == target {
		return true
	}
	if !strings.HasPrefix(addr, target) {
		return false
	}
	c := addr[len(target)]
	return c == '.' || c == '['
}
