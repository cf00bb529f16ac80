package planner

import (
	"fmt"
	"maps"
	"sort"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// keepUsedListeners returns want with every listener of base that want
// lacks but that want's routes or certificates stand on (an HTTP frontend on
// an HTTP listener's address, an HTTPS frontend or a certificate on an
// HTTPS listener's, a TCP or UDP frontend on a listener of that protocol).
// Removing such a listener would leave the routes the plan adds without a
// listener on the workers. The configuration may name a listener that only
// the base has (validate accepts it when a base is given), so the listener
// is kept as the base has it, with a note; want itself is never modified:
// a copy is returned when something is kept.
//
// Only routes and certificates of desired that are in scope count (a route
// out of scope never keeps a listener the configuration drops), and only an
// address where want has no listener at all (a listener replaced by one of
// another protocol is not kept beside it).
func keepUsedListeners(base, desired, want *state.State, sc scope, name func(state.Kind, string, proto.Message) string) (*state.State, []string) {
	type need struct {
		kind state.Kind
		addr string
	}
	needs := map[need]bool{}
	addr := func(a *sozupb.SocketAddress) string {
		if a == nil {
			return ""
		}
		s := state.FormatAddress(a)
		if want.HTTPListeners[s] != nil || want.HTTPSListeners[s] != nil || want.TCPListeners[s] != nil || want.UDPListeners[s] != nil {
			return ""
		}
		return s
	}
	for _, f := range desired.HTTPFrontends {
		if !sc.contains(state.KindHTTPFrontend, f) {
			continue
		}
		if a := addr(f.GetAddress()); a != "" && base.HTTPListeners[a] != nil {
			needs[need{state.KindHTTPListener, a}] = true
		}
	}
	for _, f := range desired.HTTPSFrontends {
		if !sc.contains(state.KindHTTPSFrontend, f) {
			continue
		}
		if a := addr(f.GetAddress()); a != "" && base.HTTPSListeners[a] != nil {
			needs[need{state.KindHTTPSListener, a}] = true
		}
	}
	for a, certs := range desired.Certificates {
		if !sc.certificates || len(certs) == 0 {
			continue
		}
		if a2, err := state.ParseAddress(a); err != nil || addr(a2) == "" {
			continue
		}
		if base.HTTPSListeners[a] != nil {
			needs[need{state.KindHTTPSListener, a}] = true
		}
	}
	for cid, l := range desired.TCPFrontends {
		if !sc.cluster(cid) {
			continue
		}
		for _, f := range l {
			if a := addr(f.GetAddress()); a != "" && base.TCPListeners[a] != nil {
				needs[need{state.KindTCPListener, a}] = true
			}
		}
	}
	for cid, l := range desired.UDPFrontends {
		if !sc.cluster(cid) {
			continue
		}
		for _, f := range l {
			if a := addr(f.GetAddress()); a != "" && base.UDPListeners[a] != nil {
				needs[need{state.KindUDPListener, a}] = true
			}
		}
	}
	if len(needs) == 0 {
		return want, nil
	}
	out := *want
	out.HTTPListeners = maps.Clone(want.HTTPListeners)
	out.HTTPSListeners = maps.Clone(want.HTTPSListeners)
	out.TCPListeners = maps.Clone(want.TCPListeners)
	out.UDPListeners = maps.Clone(want.UDPListeners)
	var notes []string
	for n := range needs {
		var m proto.Message
		switch n.kind {
		case state.KindHTTPListener:
			l := proto.Clone(base.HTTPListeners[n.addr]).(*sozupb.HttpListenerConfig)
			out.HTTPListeners[n.addr], m = l, l
		case state.KindHTTPSListener:
			l := proto.Clone(base.HTTPSListeners[n.addr]).(*sozupb.HttpsListenerConfig)
			out.HTTPSListeners[n.addr], m = l, l
		case state.KindTCPListener:
			l := proto.Clone(base.TCPListeners[n.addr]).(*sozupb.TcpListenerConfig)
			out.TCPListeners[n.addr], m = l, l
		case state.KindUDPListener:
			l := proto.Clone(base.UDPListeners[n.addr]).(*sozupb.UdpListenerConfig)
			out.UDPListeners[n.addr], m = l, l
		}
		notes = append(notes, fmt.Sprintf(
			"%s is not declared, but the configuration's routes or certificates use it: it is kept as the base has it, not removed",
			name(n.kind, n.addr, m)))
	}
	sort.Strings(notes)
	return &out, notes
}
