package planner

import (
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// listenerKinds are the four listener kinds, in plan order.
var listenerKinds = [...]state.Kind{state.KindHTTPListener, state.KindHTTPSListener, state.KindTCPListener, state.KindUDPListener}

func isListener(k state.Kind) bool {
	return k >= state.KindHTTPListener && k <= state.KindUDPListener
}

// listenerType is the ListenerType of a listener kind.
func listenerType(k state.Kind) sozupb.ListenerType {
	switch k {
	case state.KindHTTPListener:
		return sozupb.ListenerType_HTTP
	case state.KindHTTPSListener:
		return sozupb.ListenerType_HTTPS
	case state.KindTCPListener:
		return sozupb.ListenerType_TCP
	}
	return sozupb.ListenerType_UDP
}

// frontendKindOf is the frontend kind that a listener kind serves.
func frontendKindOf(k state.Kind) state.Kind {
	switch k {
	case state.KindHTTPListener:
		return state.KindHTTPFrontend
	case state.KindHTTPSListener:
		return state.KindHTTPSFrontend
	case state.KindTCPListener:
		return state.KindTCPFrontend
	}
	return state.KindUDPFrontend
}

// listenerMap returns the listeners of one kind, keyed by address.
func listenerMap(s *state.State, k state.Kind) map[string]proto.Message {
	out := map[string]proto.Message{}
	switch k {
	case state.KindHTTPListener:
		for a, l := range s.HTTPListeners {
			out[a] = l
		}
	case state.KindHTTPSListener:
		for a, l := range s.HTTPSListeners {
			out[a] = l
		}
	case state.KindTCPListener:
		for a, l := range s.TCPListeners {
			out[a] = l
		}
	case state.KindUDPListener:
		for a, l := range s.UDPListeners {
			out[a] = l
		}
	}
	return out
}

// activeField is the name of every listener config's active flag.
const activeField = "active"

func isActive(l proto.Message) bool {
	m := l.ProtoReflect()
	fd := m.Descriptor().Fields().ByName(activeField)
	return fd != nil && m.Get(fd).Bool()
}

// withActive returns a copy of l with active set to v.
func withActive(l proto.Message, v bool) proto.Message {
	c := proto.Clone(l)
	m := c.ProtoReflect()
	if fd := m.Descriptor().Fields().ByName(activeField); fd != nil {
		m.Set(fd, protoreflect.ValueOfBool(v))
	}
	return c
}

// sameConfig reports whether two listeners are effectively equal, their
// active flags aside.
func sameConfig(a, b proto.Message) bool {
	return effectiveEqual(withActive(a, false), withActive(b, false))
}

// masterIgnored are the patch fields that Sōzu's main process does not
// record (command/src/state.rs:623-906): a patch of them would never show
// in its state, so a change of them is a listener replace.
var masterIgnored = map[protoreflect.Name]bool{
	"answers": true, "elide_x_real_ip": true, "send_x_real_ip": true, "hsts": true,
}

// newPatch returns an empty Update*ListenerConfig for a listener kind.
func newPatch(k state.Kind) proto.Message {
	switch k {
	case state.KindHTTPListener:
		return &sozupb.UpdateHttpListenerConfig{}
	case state.KindHTTPSListener:
		return &sozupb.UpdateHttpsListenerConfig{}
	case state.KindTCPListener:
		return &sozupb.UpdateTcpListenerConfig{}
	}
	return &sozupb.UpdateUdpListenerConfig{}
}

// listenerPatch returns the Update*Listener request that turns listener
// base into want in Sōzu's main process, active flags aside, or nil when no
// patch can (a field the patch message lacks, a value to clear, a field the
// main process ignores). The patch carries only the fields that differ, and
// is checked by applying it with state.Apply.
func listenerPatch(k state.Kind, base, want proto.Message) *sozupb.Request {
	bn := state.Normalize(base).ProtoReflect()
	wn := state.Normalize(want).ProtoReflect()
	patch := newPatch(k)
	pm := patch.ProtoReflect()
	pfs := pm.Descriptor().Fields()
	cfs := wn.Descriptor().Fields()
	set := 0
	for i := 0; i < pfs.Len(); i++ {
		pf := pfs.Get(i)
		if pf.Name() == "address" || masterIgnored[pf.Name()] {
			continue
		}
		cf := cfs.ByName(pf.Name())
		if cf == nil || !wn.Has(cf) {
			continue
		}
		if bn.Has(cf) && bn.Get(cf).Equal(wn.Get(cf)) {
			continue
		}
		switch {
		case pf.Name() == "alpn_protocols" && cf.IsList():
			vals := make([]string, 0, wn.Get(cf).List().Len())
			l := wn.Get(cf).List()
			for j := 0; j < l.Len(); j++ {
				vals = append(vals, l.Get(j).String())
			}
			pm.Set(pf, protoreflect.ValueOfMessage((&sozupb.AlpnProtocols{Values: vals}).ProtoReflect()))
		case pf.IsList() || cf.IsList() || pf.IsMap() || cf.IsMap() || pf.Kind() != cf.Kind():
			continue
		case pf.Message() != nil:
			if pf.Message().FullName() != cf.Message().FullName() {
				continue
			}
			pm.Set(pf, protoreflect.ValueOfMessage(proto.Clone(wn.Get(cf).Message().Interface()).ProtoReflect()))
		default:
			pm.Set(pf, wn.Get(cf))
		}
		set++
	}
	if set == 0 {
		return nil
	}
	addr := addressOf(want)
	if addr == nil {
		return nil
	}
	pm.Set(pfs.ByName("address"), protoreflect.ValueOfMessage(cloneAddr(addr).ProtoReflect()))

	req := patchRequest(k, patch)
	check := state.New()
	if err := check.Apply(addListenerRequest(k, withActive(base, false))); err != nil {
		return nil
	}
	if err := check.Apply(req); err != nil {
		return nil
	}
	got := listenerMap(check, k)[state.FormatAddress(addressOf(want))]
	if got == nil || !sameConfig(got, want) {
		return nil
	}
	return req
}

// addressOf returns the address field of a listener config.
func addressOf(l proto.Message) *sozupb.SocketAddress {
	m := l.ProtoReflect()
	fd := m.Descriptor().Fields().ByName("address")
	if fd == nil || !m.Has(fd) {
		return nil
	}
	a, _ := m.Get(fd).Message().Interface().(*sozupb.SocketAddress)
	return a
}
