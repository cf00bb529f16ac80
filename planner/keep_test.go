package planner

import (
	"testing"

	"google.golang.org/protobuf/proto"
)

// TestUndeclaredListenerInUse covers a configuration that declares routes
// on a listener only the base has: the listener is kept (with a note), never
// removed under the routes the plan adds.
func TestUndeclaredListenerInUse(t *testing.T) {
	web := []proto.Message{cluster("web"), backend("web", "w1", "10.0.1.1:80", 100)}
	cat := func(parts ...[]proto.Message) []proto.Message {
		var out []proto.Message
		for _, p := range parts {
			out = append(out, p...)
		}
		return out
	}
	runCases(t, []planCase{{
		name:    "HTTP frontend on a base-only listener: listener kept, frontend added",
		base:    []proto.Message{httpL(h80, true)},
		desired: cat(web, []proto.Message{front(h80, "web.example.com", "/", "web")}),
		want: []string{
			"add_cluster web",
			"add_backend web w1 10.0.1.1:80",
			"add_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
		},
		warning: `listener.http["0.0.0.0:80"] is not declared`,
		aim:     cat(web, []proto.Message{httpL(h80, true), front(h80, "web.example.com", "/", "web")}),
	}, {
		name:    "manage listeners and clusters: the same",
		base:    cat([]proto.Message{httpL(h80, true), httpL("0.0.0.0:81", false)}, web),
		desired: cat(web, []proto.Message{front(h80, "web.example.com", "/", "web")}),
		opts:    Options{Manage: []string{"listeners", "clusters"}},
		want: []string{
			"add_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"remove_listener HTTP 0.0.0.0:81",
		},
		warning: `listener.http["0.0.0.0:80"] is not declared`,
		aim:     cat(web, []proto.Message{httpL(h80, true), front(h80, "web.example.com", "/", "web")}),
	}, {
		name:    "TCP frontend on a base-only listener: kept",
		base:    []proto.Message{tcpL("0.0.0.0:5432", true)},
		desired: []proto.Message{cluster("db"), tcpF("db", "0.0.0.0:5432")},
		want: []string{
			"add_cluster db",
			"add_tcp_frontend db;0.0.0.0:5432",
		},
		warning: `listener.tcp["0.0.0.0:5432"] is not declared`,
		aim:     []proto.Message{tcpL("0.0.0.0:5432", true), cluster("db"), tcpF("db", "0.0.0.0:5432")},
	}, {
		name:    "a listener no declared route uses is still removed",
		base:    []proto.Message{httpL(h80, true)},
		desired: web,
		want: []string{
			"add_cluster web",
			"add_backend web w1 10.0.1.1:80",
			"deactivate_listener HTTP 0.0.0.0:80",
			"remove_listener HTTP 0.0.0.0:80",
		},
	}, {
		name:    "destroy removes it all the same",
		base:    cat([]proto.Message{httpL(h80, true), front(h80, "web.example.com", "/", "web")}, web),
		desired: cat(web, []proto.Message{front(h80, "web.example.com", "/", "web")}),
		opts:    Options{Destroy: true},
		want: []string{
			"deactivate_listener HTTP 0.0.0.0:80",
			"remove_http_frontend 0.0.0.0:80;web.example.com;P/ TREE -> web",
			"remove_backend web w1 10.0.1.1:80",
			"remove_cluster web",
			"remove_listener HTTP 0.0.0.0:80",
		},
		aim: []proto.Message{},
	}})
}
