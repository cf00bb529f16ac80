package state

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// decodeRequests splits fuzz input into varint-length-prefixed Request
// messages; undecodable ones are skipped.
func decodeRequests(data []byte) []*sozupb.Request {
	var out []*sozupb.Request
	for len(data) > 0 && len(out) < 64 {
		n, k := binary.Uvarint(data)
		if k <= 0 || n > uint64(len(data)-k) {
			break
		}
		r := &sozupb.Request{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(data[k:k+int(n)], r); err == nil {
			out = append(out, r)
		}
		data = data[k+int(n):]
	}
	return out
}

func encodeRequests(reqs []*sozupb.Request) []byte {
	var out []byte
	for _, r := range reqs {
		b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(r)
		if err != nil {
			panic(err)
		}
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

// checkKeys verifies that every object is filed under the key its content
// gives.
func checkKeys(t *testing.T, s *State) {
	t.Helper()
	for k, l := range s.HTTPListeners {
		if FormatAddress(l.GetAddress()) != k {
			t.Fatalf("http listener %s filed under %s", FormatAddress(l.GetAddress()), k)
		}
	}
	for k, f := range s.HTTPFrontends {
		if RouteKey(f) != k {
			t.Fatalf("frontend %s filed under %s", RouteKey(f), k)
		}
	}
	for c, list := range s.Backends {
		for i, b := range list {
			if b.GetClusterId() != c {
				t.Fatalf("backend of %s in %s", b.GetClusterId(), c)
			}
			if i > 0 && compareBackendsSozu(list[i-1], b) > 0 {
				t.Fatalf("backends of %s not in Sōzu's order", c)
			}
			if findBackend(list, b.GetBackendId(), b.GetAddress()) != i {
				t.Fatalf("backend %s of %s is not unique", BackendKey(b), c)
			}
		}
	}
	for addr, certs := range s.Certificates {
		for fp, c := range certs {
			got, err := CertificateFingerprint(c.GetCertificate())
			if err != nil || got != fp {
				t.Fatalf("certificate at %s filed under %s, has %s (%v)", addr, fp, got, err)
			}
		}
	}
}

func FuzzApply(f *testing.F) {
	f.Add(encodeRequests(fuzzSeedRequests(f)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		s, owned := New(), New()
		for _, r := range decodeRequests(data) {
			err := s.Apply(r)
			var se *Error
			if err != nil && !errors.As(err, &se) {
				t.Fatalf("error is not a *state.Error: %v", err)
			}
			// ApplyOwned follows the same rules.
			if oerr := owned.ApplyOwned(proto.Clone(r).(*sozupb.Request)); (oerr == nil) != (err == nil) || (err != nil && oerr.Error() != err.Error()) {
				t.Fatalf("Apply: %v, ApplyOwned: %v", err, oerr)
			}
		}
		if !owned.Equal(s) {
			t.Fatal("ApplyOwned built another state than Apply")
		}
		checkKeys(t, s)
		_ = s.Fingerprint()
		for _, certs := range s.Certificates {
			for _, c := range certs {
				if len(c.GetNames()) == 0 {
					if _, err := CertificateNames(c.GetCertificate()); err != nil {
						// Sōzu cannot replay this certificate either.
						return
					}
				}
			}
		}
		rebuilt, err := FromRequests(s.Requests())
		if err != nil {
			t.Fatalf("replay: %v", err)
		}
		if !rebuilt.Equal(s) || rebuilt.Fingerprint() != s.Fingerprint() {
			t.Fatal("replay differs")
		}
	})
}

// fuzzSeedRequests is a short sequence touching every verb.
func fuzzSeedRequests(tb testing.TB) []*sozupb.Request {
	cert := "-----BEGIN CERTIFICATE-----\nAAECAw==\n-----END CERTIFICATE-----\n"
	if b, err := os.ReadFile(filepath.Join("testdata", "sample-cert.pem")); err == nil {
		cert = string(b)
	}
	fp, _ := CertificateFingerprint(cert)
	a, p := listenerRef(tb, "0.0.0.0:80", sozupb.ListenerType_HTTP)
	return []*sozupb.Request{
		req(NewHTTPListener(mustAddr(tb, "0.0.0.0:80"))),
		req(NewHTTPSListener(mustAddr(tb, "[::]:443"))),
		req(NewTCPListener(mustAddr(tb, "0.0.0.0:5432"))),
		req(NewUDPListener(mustAddr(tb, "0.0.0.0:53"))),
		req(&sozupb.ActivateListener{Address: a, Proxy: p, FromScm: proto.Bool(false)}),
		req(&sozupb.UpdateHttpListenerConfig{Address: a, SozuIdHeader: proto.String("X-Id")}),
		req(cluster("api")),
		req(&sozupb.SetHealthCheck{ClusterId: proto.String("api"), Config: healthCheck("/h")}),
		req(backend(tb, "api", "b1", "10.0.0.1:80")),
		addHTTPFront(httpFront(tb, "0.0.0.0:80", "a.example", "/", "api")),
		addHTTPSFront(httpFront(tb, "[::]:443", "a.example", "/", "api")),
		addTCPFront(tcpFront(tb, "db", "0.0.0.0:5432", nil)),
		addUDPFront(udpFront(tb, "dns", "0.0.0.0:53", nil)),
		req(&sozupb.AddCertificate{Address: mustAddr(tb, "[::]:443"), Certificate: &sozupb.CertificateAndKey{Certificate: proto.String(cert), Key: proto.String("k")}}),
		req(&sozupb.ReplaceCertificate{Address: mustAddr(tb, "[::]:443"), OldFingerprint: proto.String(fp), NewCertificate: &sozupb.CertificateAndKey{Certificate: proto.String(cert), Key: proto.String("k")}}),
		req(&sozupb.RemoveCertificate{Address: mustAddr(tb, "[::]:443"), Fingerprint: proto.String(fp)}),
		req(&sozupb.RemoveBackend{ClusterId: proto.String("api"), BackendId: proto.String("b1"), Address: mustAddr(tb, "10.0.0.1:80")}),
		removeHTTPFront(httpFront(tb, "0.0.0.0:80", "a.example", "/", "api")),
		removeHealthCheck("api"),
		removeCluster("api"),
		req(&sozupb.RemoveListener{Address: a, Proxy: p}),
	}
}

// TestWriteFuzzSeeds keeps testdata/fuzz/FuzzApply/seed in step with
// fuzzSeedRequests (go test -run TestWriteFuzzSeeds -update).
func TestWriteFuzzSeeds(t *testing.T) {
	data := encodeRequests(fuzzSeedRequests(t))
	content := fmt.Sprintf("go test fuzz v1\n[]byte(%q)\n", data)
	golden.CheckString(t, filepath.Join("testdata", "fuzz", "FuzzApply", "seed"), content)
}

// TestAppendAddressMatchesGeneric checks the hand-written address encoding
// against the generic one.
func TestAppendAddressMatchesGeneric(t *testing.T) {
	for _, s := range []string{"0.0.0.0:0", "10.1.2.3:8080", "[::1]:443", "[2001:db8::ff]:65535", "[::ffff:1.2.3.4]:1"} {
		a := mustAddr(t, s)
		fast := appendAddress(nil, a)
		var slow []byte
		m := canonicalAddress(a).ProtoReflect()
		for _, fd := range sortedFields(m.Descriptor()) {
			if !m.Has(fd) {
				continue
			}
			slow = appendVarint(slow, uint64(fd.Number()))
			slow = appendValue(slow, fd, m.Get(fd))
		}
		slow = appendVarint(slow, 0)
		if string(fast) != string(slow) {
			t.Errorf("%s: %x, generic %x", s, fast, slow)
		}
	}
}
