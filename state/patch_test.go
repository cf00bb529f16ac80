package state

import (
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// TestUpdateListenerCoversEveryField sets each field of each listener patch
// alone and checks that the listener field of the same name takes it, except
// the fields Sōzu's main process ignores.
func TestUpdateListenerCoversEveryField(t *testing.T) {
	ignored := map[protoreflect.Name]bool{"address": true, "answers": true, "elide_x_real_ip": true, "send_x_real_ip": true, "hsts": true}
	addr := "0.0.0.0:1"
	cases := []struct {
		patch  proto.Message
		add    *sozupb.Request
		stored func(s *State) proto.Message
	}{
		{&sozupb.UpdateHttpListenerConfig{}, req(NewHTTPListener(mustAddr(t, addr))), func(s *State) proto.Message { return s.HTTPListeners[addr] }},
		{&sozupb.UpdateHttpsListenerConfig{}, req(NewHTTPSListener(mustAddr(t, addr))), func(s *State) proto.Message { return s.HTTPSListeners[addr] }},
		{&sozupb.UpdateTcpListenerConfig{}, req(NewTCPListener(mustAddr(t, addr))), func(s *State) proto.Message { return s.TCPListeners[addr] }},
		{&sozupb.UpdateUdpListenerConfig{}, req(NewUDPListener(mustAddr(t, addr))), func(s *State) proto.Message { return s.UDPListeners[addr] }},
	}
	for _, c := range cases {
		fields := c.patch.ProtoReflect().Descriptor().Fields()
		for i := 0; i < fields.Len(); i++ {
			fd := fields.Get(i)
			name := string(c.patch.ProtoReflect().Descriptor().Name()) + "." + string(fd.Name())
			p := c.patch.ProtoReflect().New()
			p.Set(p.Descriptor().Fields().ByName("address"), protoreflect.ValueOfMessage(mustAddr(t, addr).ProtoReflect()))
			var want protoreflect.Value
			switch {
			case fd.Name() == "address":
				continue
			case fd.Name() == "sozu_id_header":
				want = protoreflect.ValueOfString("X-Request-Id")
			case fd.Name() == "alpn_protocols":
				want = protoreflect.ValueOfMessage((&sozupb.AlpnProtocols{Values: []string{"h2"}}).ProtoReflect())
			case fd.Name() == "http_answers":
				want = protoreflect.ValueOfMessage((&sozupb.CustomHttpAnswers{Answer_503: proto.String("busy")}).ProtoReflect())
			case fd.Name() == "hsts":
				want = protoreflect.ValueOfMessage((&sozupb.HstsConfig{Enabled: proto.Bool(true)}).ProtoReflect())
			case fd.Name() == "public_address":
				want = protoreflect.ValueOfMessage(mustAddr(t, "9.9.9.9:9").ProtoReflect())
			case fd.IsMap():
				m := p.Mutable(fd).Map()
				m.Set(protoreflect.ValueOfString("503").MapKey(), protoreflect.ValueOfString("x"))
			case fd.Kind() == protoreflect.BoolKind:
				want = protoreflect.ValueOfBool(true)
			case fd.Kind() == protoreflect.Uint32Kind:
				want = protoreflect.ValueOfUint32(7)
			case fd.Kind() == protoreflect.Uint64Kind:
				want = protoreflect.ValueOfUint64(7)
			case fd.Kind() == protoreflect.StringKind:
				want = protoreflect.ValueOfString("name")
			default:
				t.Fatalf("%s: no test value for kind %v", name, fd.Kind())
			}
			if want.IsValid() {
				p.Set(fd, want)
			}
			s := New()
			if err := s.Apply(c.add); err != nil {
				t.Fatal(err)
			}
			before := proto.Clone(c.stored(s))
			r := &sozupb.Request{}
			rm := r.ProtoReflect()
			var verb protoreflect.FieldDescriptor
			oneof := rm.Descriptor().Oneofs().ByName("request_type").Fields()
			for j := 0; j < oneof.Len(); j++ {
				if oneof.Get(j).Message() != nil && oneof.Get(j).Message().FullName() == p.Descriptor().FullName() {
					verb = oneof.Get(j)
				}
			}
			rm.Set(verb, protoreflect.ValueOfMessage(p))
			if err := s.Apply(r); err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			after := c.stored(s)
			if ignored[fd.Name()] {
				if !proto.Equal(before, after) {
					t.Errorf("%s should be ignored by the main process", name)
				}
				continue
			}
			sfd := after.ProtoReflect().Descriptor().Fields().ByName(fd.Name())
			if sfd == nil {
				t.Errorf("%s has no listener field", name)
				continue
			}
			got := after.ProtoReflect().Get(sfd)
			switch fd.Name() {
			case "alpn_protocols":
				if got.List().Len() != 1 || got.List().Get(0).String() != "h2" {
					t.Errorf("%s not applied", name)
				}
			case "http_answers", "public_address":
				if !proto.Equal(got.Message().Interface(), want.Message().Interface()) {
					t.Errorf("%s not applied: %v", name, got)
				}
			default:
				if !got.Equal(want) {
					t.Errorf("%s not applied: %v, want %v", name, got, want)
				}
			}
		}
	}
}
