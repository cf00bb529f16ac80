package state

import (
	"fmt"
	"math/rand"
	"testing"

	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// gen draws requests from a small universe so that keys collide often.
type gen struct {
	t     testing.TB
	r     *rand.Rand
	certs []string
}

var (
	genAddrs    = []string{"0.0.0.0:80", "0.0.0.0:443", "[::]:443", "10.0.0.1:8080", "[2001:db8::1]:53"}
	genClusters = []string{"api", "web", "db", "z"}
	genHosts    = []string{"a.example", "b.example", "*.c.example"}
	genPaths    = []string{"/", "/api", "^/v[0-9]"}
)

func (g *gen) pick(list []string) string { return list[g.r.Intn(len(list))] }
func (g *gen) addr() *sozupb.SocketAddress {
	return mustAddr(g.t, g.pick(genAddrs))
}
func (g *gen) maybeU32(n uint32) *uint32 {
	if g.r.Intn(3) == 0 {
		return proto.Uint32(uint32(g.r.Intn(int(n))))
	}
	return nil
}
func (g *gen) lt() *sozupb.ListenerType { return sozupb.ListenerType(g.r.Intn(4)).Enum() }
func (g *gen) tags() map[string]string {
	if g.r.Intn(2) == 0 {
		return nil
	}
	return map[string]string{"k": g.pick([]string{"1", "2"})}
}

func (g *gen) front() *sozupb.RequestHttpFrontend {
	f := &sozupb.RequestHttpFrontend{
		Address:  g.addr(),
		Hostname: proto.String(g.pick(genHosts)),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind(g.r.Intn(3)).Enum(), Value: proto.String(g.pick(genPaths))},
	}
	if g.r.Intn(2) == 0 {
		f.Position = sozupb.RulePosition(g.r.Intn(3)).Enum()
	}
	if g.r.Intn(3) > 0 {
		f.ClusterId = proto.String(g.pick(genClusters))
	}
	if g.r.Intn(4) == 0 {
		f.Method = proto.String("GET")
	}
	f.Tags = g.tags()
	return f
}

func (g *gen) cert() *sozupb.CertificateAndKey {
	c := &sozupb.CertificateAndKey{Certificate: proto.String(g.certs[g.r.Intn(len(g.certs))]), Key: proto.String("key")}
	if g.r.Intn(3) == 0 {
		c.Names = []string{g.pick(genHosts)}
	}
	return c
}

func (g *gen) request() *sozupb.Request {
	switch g.r.Intn(28) {
	case 0, 1:
		c := cluster(g.pick(genClusters))
		if g.r.Intn(3) == 0 {
			c.HealthCheck = healthCheck(g.pick([]string{"/h", "bad"}))
		}
		c.LoadBalancing = sozupb.LoadBalancingAlgorithms(g.r.Intn(3)).Enum()
		return req(c)
	case 2:
		return removeCluster(g.pick(genClusters))
	case 3:
		l := NewHTTPListener(g.addr())
		l.Active = proto.Bool(g.r.Intn(2) == 0)
		return req(l)
	case 4:
		l := NewHTTPSListener(g.addr())
		if g.r.Intn(2) == 0 {
			l.CipherList, l.GroupsList = nil, nil
		}
		return req(l)
	case 5:
		return req(NewTCPListener(g.addr()))
	case 6:
		return req(NewUDPListener(g.addr()))
	case 7:
		return req(&sozupb.RemoveListener{Address: g.addr(), Proxy: g.lt()})
	case 8:
		return req(&sozupb.ActivateListener{Address: g.addr(), Proxy: g.lt(), FromScm: proto.Bool(false)})
	case 9:
		return req(&sozupb.DeactivateListener{Address: g.addr(), Proxy: g.lt(), ToScm: proto.Bool(false)})
	case 10:
		return req(&sozupb.UpdateHttpListenerConfig{Address: g.addr(), FrontTimeout: g.maybeU32(100), H2MaxPingPerWindow: g.maybeU32(3),
			SozuIdHeader: []*string{nil, proto.String("X-Id"), proto.String("bad header")}[g.r.Intn(3)]})
	case 11:
		p := &sozupb.UpdateHttpsListenerConfig{Address: g.addr(), BackTimeout: g.maybeU32(100), H2StreamShrinkRatio: g.maybeU32(4)}
		if g.r.Intn(3) == 0 {
			p.AlpnProtocols = &sozupb.AlpnProtocols{Values: [][]string{nil, {"h2"}, {"h3"}}[g.r.Intn(3)]}
		}
		return req(p)
	case 12:
		return req(&sozupb.UpdateTcpListenerConfig{Address: g.addr(), ConnectTimeout: g.maybeU32(10)})
	case 13:
		return req(&sozupb.UpdateUdpListenerConfig{Address: g.addr(), MaxFlows: g.maybeU32(10)})
	case 14:
		return addHTTPFront(g.front())
	case 15:
		return removeHTTPFront(g.front())
	case 16:
		return addHTTPSFront(g.front())
	case 17:
		return removeHTTPSFront(g.front())
	case 18:
		return addTCPFront(&sozupb.RequestTcpFrontend{ClusterId: proto.String(g.pick(genClusters)), Address: g.addr(), Tags: g.tags()})
	case 19:
		return removeTCPFront(&sozupb.RequestTcpFrontend{ClusterId: proto.String(g.pick(genClusters)), Address: g.addr()})
	case 20:
		return addUDPFront(&sozupb.RequestUdpFrontend{ClusterId: proto.String(g.pick(genClusters)), Address: g.addr(), Tags: g.tags()})
	case 21:
		return removeUDPFront(&sozupb.RequestUdpFrontend{ClusterId: proto.String(g.pick(genClusters)), Address: g.addr()})
	case 22:
		b := &sozupb.AddBackend{ClusterId: proto.String(g.pick(genClusters)), BackendId: proto.String(g.pick([]string{"b1", "b2", "b3"})), Address: g.addr()}
		if g.r.Intn(2) == 0 {
			b.Backup = proto.Bool(g.r.Intn(2) == 0)
		}
		return req(b)
	case 23:
		return req(&sozupb.RemoveBackend{ClusterId: proto.String(g.pick(genClusters)), BackendId: proto.String(g.pick([]string{"b1", "b2", "b3"})), Address: g.addr()})
	case 24:
		return req(&sozupb.AddCertificate{Address: g.addr(), Certificate: g.cert(), ExpiredAt: proto.Int64(1)})
	case 25:
		fp, _ := CertificateFingerprint(g.certs[g.r.Intn(len(g.certs))])
		return req(&sozupb.RemoveCertificate{Address: g.addr(), Fingerprint: proto.String(fp)})
	case 26:
		fp, _ := CertificateFingerprint(g.certs[g.r.Intn(len(g.certs))])
		nc := g.cert()
		if g.r.Intn(5) == 0 {
			nc.Certificate = proto.String("bad")
		}
		return req(&sozupb.ReplaceCertificate{Address: g.addr(), OldFingerprint: proto.String(fp), NewCertificate: nc})
	default:
		if g.r.Intn(2) == 0 {
			return req(&sozupb.SetHealthCheck{ClusterId: proto.String(g.pick(genClusters)), Config: healthCheck("/hc")})
		}
		return removeHealthCheck(g.pick(genClusters))
	}
}

// mutateOneField changes one scalar field of m to a value whose effective
// value differs, and reports the field's name; it returns "" when m has no
// scalar field.
func mutateOneField(r *rand.Rand, m protoreflect.Message) string {
	var scalars []protoreflect.FieldDescriptor
	fields := m.Descriptor().Fields()
	for i := 0; i < fields.Len(); i++ {
		fd := fields.Get(i)
		if !fd.IsList() && !fd.IsMap() && fd.Message() == nil {
			scalars = append(scalars, fd)
		}
	}
	if len(scalars) == 0 {
		return ""
	}
	fd := scalars[r.Intn(len(scalars))]
	v := m.Get(fd)
	switch fd.Kind() {
	case protoreflect.BoolKind:
		m.Set(fd, protoreflect.ValueOfBool(!v.Bool()))
	case protoreflect.StringKind:
		m.Set(fd, protoreflect.ValueOfString(v.String()+"x"))
	case protoreflect.EnumKind:
		values := fd.Enum().Values()
		next := values.Get(0).Number()
		for i := 0; i < values.Len(); i++ {
			if values.Get(i).Number() != v.Enum() {
				next = values.Get(i).Number()
				break
			}
		}
		m.Set(fd, protoreflect.ValueOfEnum(next))
	case protoreflect.Uint32Kind:
		m.Set(fd, protoreflect.ValueOfUint32(uint32(v.Uint())+1))
	case protoreflect.Uint64Kind:
		m.Set(fd, protoreflect.ValueOfUint64(v.Uint()+1))
	case protoreflect.Int32Kind:
		m.Set(fd, protoreflect.ValueOfInt32(int32(v.Int())+1))
	case protoreflect.Int64Kind:
		m.Set(fd, protoreflect.ValueOfInt64(v.Int()+1))
	default:
		return ""
	}
	return string(fd.FullName())
}

func TestPropertyRoundTripAndFingerprint(t *testing.T) {
	g := &gen{t: t}
	g.certs = []string{
		testCert(t, "a.example", []string{"a.example"}, nil),
		testCert(t, "b.example", nil, nil),
		testCert(t, "c.example", []string{"c.example", "www.c.example"}, nil),
	}
	for seed := int64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprint("seed", seed), func(t *testing.T) {
			g.r = rand.New(rand.NewSource(seed))
			s := New()
			for i := 0; i < 150; i++ {
				_ = s.Apply(g.request())
			}
			rebuilt, err := FromRequests(s.Requests())
			if err != nil {
				t.Fatalf("replay of Requests(): %v", err)
			}
			if !rebuilt.Equal(s) || !s.Equal(rebuilt) {
				t.Fatal("FromRequests(s.Requests()) is not Equal to s")
			}
			fp := s.Fingerprint()
			if rebuilt.Fingerprint() != fp {
				t.Fatal("fingerprint differs after replay")
			}
			if again, _ := FromRequests(rebuilt.Requests()); again.Fingerprint() != fp {
				t.Fatal("second replay differs")
			}

			// Clone is deep: changing every message of the clone leaves s alone.
			c := s.Clone()
			for _, o := range c.Objects() {
				m := o.Message
				if ac, ok := m.(*sozupb.AddCertificate); ok {
					m = ac.Certificate
				}
				mutateOneField(g.r, m.ProtoReflect())
			}
			if s.Fingerprint() != fp {
				t.Fatal("mutating a clone changed the original")
			}

			// Any single-field change shows in Fingerprint and Equal.
			objects := s.Objects()
			for n := 0; n < 20 && len(objects) > 0; n++ {
				c := s.Clone()
				o := c.Objects()[g.r.Intn(len(objects))]
				m := o.Message
				if ac, ok := m.(*sozupb.AddCertificate); ok {
					m = ac.Certificate
				}
				field := mutateOneField(g.r, m.ProtoReflect())
				if field == "" {
					continue
				}
				if c.Fingerprint() == fp {
					t.Errorf("changing %s of %s %s kept the fingerprint", field, o.Kind, o.Key)
				}
				if c.Equal(s) || s.Equal(c) {
					t.Errorf("changing %s of %s %s kept Equal", field, o.Kind, o.Key)
				}
			}
		})
	}
}

func TestEffectiveEqualAgreesWithNormalize(t *testing.T) {
	g := &gen{t: t, r: rand.New(rand.NewSource(7))}
	g.certs = []string{testCert(t, "a.example", nil, nil)}
	payload := func(r *sozupb.Request) proto.Message {
		m := r.ProtoReflect()
		return m.Get(m.WhichOneof(m.Descriptor().Oneofs().ByName("request_type"))).Message().Interface()
	}
	var msgs []proto.Message
	for i := 0; i < 300; i++ {
		if r := g.request(); r.GetRemoveCluster() == "" && r.GetRemoveHealthCheck() == "" {
			msgs = append(msgs, payload(r))
		}
	}
	for i := 0; i < 3000; i++ {
		a, b := msgs[g.r.Intn(len(msgs))], msgs[g.r.Intn(len(msgs))]
		want := a.ProtoReflect().Descriptor() == b.ProtoReflect().Descriptor() && proto.Equal(Normalize(a), Normalize(b))
		if got := EffectiveEqual(a, b); got != want {
			t.Fatalf("EffectiveEqual = %v, Normalize says %v\na=%v\nb=%v", got, want, a, b)
		}
	}
	if EffectiveEqual(nil, cluster("a")) || !EffectiveEqual(nil, nil) {
		t.Fatal("nil handling")
	}
}

func TestFingerprintIgnoresEmptyContainersAndDefaults(t *testing.T) {
	a := New()
	b := New()
	b.Backends["x"] = nil
	b.TCPFrontends["x"] = nil
	b.Certificates["0.0.0.0:443"] = map[string]*sozupb.CertificateAndKey{}
	if !a.Equal(b) || a.Fingerprint() != b.Fingerprint() {
		t.Fatal("empty containers count")
	}
	addr := mustAddr(t, "0.0.0.0:443")
	a.HTTPSListeners["0.0.0.0:443"] = NewHTTPSListener(addr)
	b.HTTPSListeners["0.0.0.0:443"] = &sozupb.HttpsListenerConfig{Address: addr, StickyName: proto.String(DefaultStickyName),
		Versions: DefaultTLSVersions(), SendTls13Tickets: proto.Uint64(4)}
	if !a.Equal(b) || a.Fingerprint() != b.Fingerprint() {
		t.Fatal("a listener with defaults left out differs")
	}
	b.HTTPSListeners["0.0.0.0:443"].Active = proto.Bool(true)
	if a.Equal(b) || a.Fingerprint() == b.Fingerprint() {
		t.Fatal("active must count")
	}
	if New().Fingerprint() != (&State{}).Fingerprint() {
		t.Fatal("zero State and New differ")
	}
	var none *State
	if !none.Equal(New()) || !New().Equal(none) || none.Equal(a) || a.Equal(none) {
		t.Fatal("a nil State is the empty State")
	}
	var zero State
	if err := zero.Apply(req(cluster("c"))); err != nil || len(zero.Clusters) != 1 {
		t.Fatalf("zero State Apply: %v", err)
	}
}

func TestFingerprintTCPOrderOnOneAddress(t *testing.T) {
	a, b := New(), New()
	f1 := tcpFront(t, "db", "0.0.0.0:1", map[string]string{"k": "1"})
	f2 := tcpFront(t, "db", "0.0.0.0:1", map[string]string{"k": "2"})
	f3 := tcpFront(t, "db", "0.0.0.0:2", nil)
	for _, r := range []*sozupb.Request{addTCPFront(f1), addTCPFront(f3), addTCPFront(f2)} {
		if err := a.Apply(r); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range []*sozupb.Request{addTCPFront(f3), addTCPFront(f1), addTCPFront(f2)} {
		if err := b.Apply(r); err != nil {
			t.Fatal(err)
		}
	}
	if !a.Equal(b) || a.Fingerprint() != b.Fingerprint() {
		t.Fatal("order across addresses should not matter")
	}
	c := New()
	for _, r := range []*sozupb.Request{addTCPFront(f2), addTCPFront(f1), addTCPFront(f3)} {
		if err := c.Apply(r); err != nil {
			t.Fatal(err)
		}
	}
	if a.Equal(c) || a.Fingerprint() == c.Fingerprint() {
		t.Fatal("order on one address decides which tags route and must count")
	}
}
