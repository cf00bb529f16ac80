package render

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func p[T any](v T) *T { return &v }

const secretKey = "-----BEGIN PRIVATE KEY-----\nTOP-SECRET-KEY-MATERIAL\n-----END PRIVATE KEY-----\n"

func mustAddr(t testing.TB, s string) *sozupb.SocketAddress {
	t.Helper()
	a, err := state.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// inventoryState is a state with every kind of object, and a few objects
// attached to nothing.
func inventoryState(t testing.TB) *state.State {
	t.Helper()
	cert, err := os.ReadFile(filepath.Join("testdata", "inventory-cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	a80, a443, a5432, a53 := mustAddr(t, "0.0.0.0:80"), mustAddr(t, "0.0.0.0:443"), mustAddr(t, "0.0.0.0:5432"), mustAddr(t, "[::]:53")
	https := state.NewHTTPSListener(a443)
	https.Key = p(secretKey) // a TOML-only field, masked all the same
	tcp := state.NewTCPListener(a5432)
	tcp.Active = p(true)
	reqs := []*sozupb.Request{
		{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: state.NewHTTPListener(a80)}},
		{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{Address: a80, Proxy: sozupb.ListenerType_HTTP.Enum(), FromScm: p(false)}}},
		{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: https}},
		{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: tcp}},
		{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: state.NewUDPListener(a53)}},
		{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: p("api"), StickySession: p(false), HttpsRedirect: p(true),
			LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
			Answers:       map[string]string{"503": "HTTP/1.1 503 Busy\r\n\r\n"},
			HealthCheck: &sozupb.HealthCheckConfig{Uri: p("/healthz"), Interval: p(uint32(10)), Timeout: p(uint32(5)),
				HealthyThreshold: p(uint32(3)), UnhealthyThreshold: p(uint32(3)), ExpectedStatus: p(uint32(200))},
		}}},
		{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: p("db"), StickySession: p(false), HttpsRedirect: p(false), LoadBalancing: sozupb.LoadBalancingAlgorithms_LEAST_LOADED.Enum(),
		}}},
		{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
			ClusterId: p("api"), Address: a80, Hostname: p("api.example.com"),
			Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: p("/")}, Position: sozupb.RulePosition_TREE.Enum(),
		}}},
		{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
			Address: a80, Hostname: p("blocked.example.com"),
			Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_EQUALS.Enum(), Value: p("/admin")}, Position: sozupb.RulePosition_PRE.Enum(),
		}}},
		{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
			Address: a443, Certificate: &sozupb.CertificateAndKey{Certificate: p(string(cert)), Key: p(secretKey),
				Versions: []sozupb.TlsVersion{sozupb.TlsVersion_TLS_V1_3}},
		}}},
		{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: &sozupb.RequestHttpFrontend{
			ClusterId: p("api"), Address: a443, Hostname: p("api.example.com"),
			Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_REGEX.Enum(), Value: p("^/v[0-9]+/")}, Method: p("GET"),
			Position: sozupb.RulePosition_TREE.Enum(),
		}}},
		{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: &sozupb.RequestTcpFrontend{ClusterId: p("db"), Address: a5432}}},
		{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: &sozupb.RequestUdpFrontend{ClusterId: p("gone"), Address: mustAddr(t, "0.0.0.0:5353")}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: p("api"), BackendId: p("api-1"), Address: mustAddr(t, "10.0.0.1:8080"),
			LoadBalancingParameters: &sozupb.LoadBalancingParams{Weight: p(int32(100))},
		}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: p("api"), BackendId: p("api-2"), Address: mustAddr(t, "[fd00::2]:8080"), Backup: p(true), StickyId: p("two"),
		}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: p("db"), BackendId: p("db-1"), Address: mustAddr(t, "10.0.1.1:5432"),
		}}},
		{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: p("old"), BackendId: p("old-1"), Address: mustAddr(t, "10.0.9.9:80"),
		}}},
	}
	s, err := state.FromRequests(reqs)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestInventoryGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		s    *state.State
	}{
		{"inventory", inventoryState(t)},
		{"inventory-empty", state.New()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var text, js bytes.Buffer
			if err := WriteInventoryText(&text, tc.s); err != nil {
				t.Fatal(err)
			}
			if err := WriteInventoryJSON(&js, tc.s); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.name+".txt"), text.Bytes())
			golden.Check(t, filepath.Join("testdata", tc.name+".json"), js.Bytes())
			for _, out := range []string{text.String(), js.String()} {
				if strings.Contains(out, "TOP-SECRET") || strings.Contains(out, "PRIVATE KEY") {
					t.Errorf("a private key reached the output:\n%s", out)
				}
			}
		})
	}
}

func TestInventoryJSONShape(t *testing.T) {
	s := inventoryState(t)
	var js bytes.Buffer
	if err := WriteInventoryJSON(&js, s); err != nil {
		t.Fatal(err)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(js.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	if len(keys) != 6 {
		t.Errorf("top-level keys %v", keys)
	}
	if string(doc["format_version"]) != `"1.0"` {
		t.Errorf("format_version %s", doc["format_version"])
	}
	inv, err := NewInventory(s)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(inv.Listeners)+len(inv.Clusters)+len(inv.Backends)+len(inv.Frontends)+len(inv.Certificates), s.Len(); got != want {
		t.Errorf("%d entries for %d objects", got, want)
	}
	c := inv.Certificates[0]
	if c.NotAfter != "2036-11-22T13:30:37Z" || len(c.Names) != 2 || c.Fingerprint == "" || c.ParseError != "" {
		t.Errorf("certificate entry %+v", c)
	}
	// Same state, same bytes.
	var again bytes.Buffer
	if err := WriteInventoryJSON(&again, s.Clone()); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(js.Bytes(), again.Bytes()) {
		t.Error("the JSON inventory is not deterministic")
	}
	// Masking copies: the state keeps its key.
	for _, m := range s.Certificates["0.0.0.0:443"] {
		if m.GetKey() != secretKey {
			t.Error("rendering changed the state's key")
		}
	}
}

func TestInventoryNil(t *testing.T) {
	inv, err := NewInventory(nil)
	if err != nil || inv.FormatVersion != "1.0" || inv.Listeners == nil {
		t.Errorf("NewInventory(nil) = %+v, %v", inv, err)
	}
}

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, os.ErrClosed }

func TestInventoryWriteErrors(t *testing.T) {
	s := inventoryState(t)
	if err := WriteInventoryText(failWriter{}, s); err == nil {
		t.Error("WriteInventoryText: no error")
	}
	if err := WriteInventoryJSON(failWriter{}, s); err == nil {
		t.Error("WriteInventoryJSON: no error")
	}
}

func BenchmarkInventoryJSON(b *testing.B) {
	s := inventoryState(b)
	for b.Loop() {
		if err := WriteInventoryJSON(&bytes.Buffer{}, s); err != nil {
			b.Fatal(err)
		}
	}
}

// largeInventoryState has 10,000 clusters with 3 backends and 2 frontends
// each (SPEC §8's 60,000 objects).
func largeInventoryState(b *testing.B) *state.State {
	s := state.New()
	a80 := mustAddr(b, "0.0.0.0:80")
	apply := func(r *sozupb.Request) {
		if err := s.Apply(r); err != nil {
			b.Fatal(err)
		}
	}
	apply(&sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: state.NewHTTPListener(a80)}})
	for i := 0; i < 10_000; i++ {
		id := fmt.Sprintf("c%05d", i)
		apply(&sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: p(id), StickySession: p(false), HttpsRedirect: p(false), LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
		}}})
		for j := 0; j < 3; j++ {
			apply(&sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
				ClusterId: p(id), BackendId: p(fmt.Sprint(j)), Address: mustAddr(b, fmt.Sprintf("10.%d.%d.%d:80", i/256, i%256, j)),
			}}})
		}
		for _, path := range []string{"/", "/api"} {
			apply(&sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
				ClusterId: p(id), Address: a80, Hostname: p(id + ".example.com"),
				Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: p(path)}, Position: sozupb.RulePosition_TREE.Enum(),
			}}})
		}
	}
	return s
}

// BenchmarkInventoryLarge renders 60,000 objects as text and as JSON.
func BenchmarkInventoryLarge(b *testing.B) {
	s := largeInventoryState(b)
	b.Run("text", func(b *testing.B) {
		for b.Loop() {
			if err := WriteInventoryText(io.Discard, s); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("json", func(b *testing.B) {
		for b.Loop() {
			if err := WriteInventoryJSON(io.Discard, s); err != nil {
				b.Fatal(err)
			}
		}
	})
}
