package live

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/sozu"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

func addr(t testing.TB, s string) *sozupb.SocketAddress {
	t.Helper()
	a, err := state.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func rq(x any) *sozupb.Request {
	switch v := x.(type) {
	case *sozupb.HttpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: v}}
	case *sozupb.HttpsListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: v}}
	case *sozupb.TcpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: v}}
	case *sozupb.UdpListenerConfig:
		return &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: v}}
	case *sozupb.Cluster:
		return &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: v}}
	case *sozupb.AddBackend:
		return &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: v}}
	case *sozupb.AddCertificate:
		return &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: v}}
	case *sozupb.RequestTcpFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_AddTcpFrontend{AddTcpFrontend: v}}
	case *sozupb.RequestUdpFrontend:
		return &sozupb.Request{RequestType: &sozupb.Request_AddUdpFrontend{AddUdpFrontend: v}}
	}
	panic("rq: unexpected type")
}

func httpFront(t testing.TB, https bool, a, host, cluster string) *sozupb.Request {
	f := &sozupb.RequestHttpFrontend{
		ClusterId: proto.String(cluster),
		Address:   addr(t, a),
		Hostname:  proto.String(host),
		Path:      &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/")},
		Position:  sozupb.RulePosition_TREE.Enum(),
		Tags:      map[string]string{"team": "x"},
	}
	if https {
		return &sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: f}}
	}
	return &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: f}}
}

func cluster(id string) *sozupb.Cluster {
	return &sozupb.Cluster{
		ClusterId:     proto.String(id),
		StickySession: proto.Bool(false),
		HttpsRedirect: proto.Bool(true),
		LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
	}
}

func backend(t testing.TB, cluster, id, a string) *sozupb.AddBackend {
	return &sozupb.AddBackend{ClusterId: proto.String(cluster), BackendId: proto.String(id), Address: addr(t, a)}
}

// fixture builds a state with every kind of object; httpsListeners are the
// addresses of its HTTPS listeners, and each gets one certificate of its own
// plus one shared by all.
func fixture(t testing.TB, httpsListeners ...string) *state.State {
	t.Helper()
	http := state.NewHTTPListener(addr(t, "0.0.0.0:80"))
	http.Active = proto.Bool(true)
	reqs := []*sozupb.Request{
		rq(http),
		rq(state.NewTCPListener(addr(t, "0.0.0.0:5432"))),
		rq(state.NewUDPListener(addr(t, "[::]:53"))),
		rq(cluster("api")), rq(cluster("db")), rq(cluster("dns")),
		rq(backend(t, "api", "api-1", "10.0.0.1:8080")),
		rq(backend(t, "api", "api-2", "[2001:db8::2]:8080")),
		rq(backend(t, "db", "db-1", "10.0.0.3:5432")),
		httpFront(t, false, "0.0.0.0:80", "api.example.com", "api"),
		rq(&sozupb.RequestTcpFrontend{ClusterId: proto.String("db"), Address: addr(t, "0.0.0.0:5432")}),
		rq(&sozupb.RequestUdpFrontend{ClusterId: proto.String("dns"), Address: addr(t, "[::]:53")}),
	}
	shared, sharedKey := selfSigned(t, "shared.example.com")
	for i, a := range httpsListeners {
		reqs = append(reqs, rq(state.NewHTTPSListener(addr(t, a))))
		reqs = append(reqs, httpFront(t, true, a, "api.example.com", "api"))
		cert, key := selfSigned(t, "api.example.com", "www"+string(rune('a'+i))+".example.com")
		reqs = append(reqs,
			rq(&sozupb.AddCertificate{Address: addr(t, a), Certificate: &sozupb.CertificateAndKey{Certificate: proto.String(cert), Key: proto.String(key), CertificateChain: []string{cert}}}),
			rq(&sozupb.AddCertificate{Address: addr(t, a), Certificate: &sozupb.CertificateAndKey{Certificate: proto.String(shared), Key: proto.String(sharedKey)}}),
		)
	}
	st, err := state.FromRequests(reqs)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func dial(t testing.TB, path string) *sozu.Client {
	t.Helper()
	c, err := sozu.Dial(context.Background(), path, sozu.WithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// privateDir returns an empty 0700 directory for state files.
func privateDir(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	return dir
}

func entries(t testing.TB, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestReadSaveState(t *testing.T) {
	tests := []struct {
		name         string
		st           *state.State
		denyExisting bool
		wantSends    int
	}{
		{"empty", state.New(), false, 1},
		{"full", fixture(t, "0.0.0.0:443", "[::]:8443"), false, 1},
		{"Sōzu cannot open our file", fixture(t, "0.0.0.0:443"), true, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{t: t, st: tc.st, denyExisting: tc.denyExisting}
			c := dial(t, f.serve(t))
			dir := privateDir(t)
			got, err := ReadSaveState(context.Background(), c, dir)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(tc.st) {
				t.Errorf("state read differs from Sōzu's:\n got %d objects %s\nwant %d objects %s", got.Len(), got.Fingerprint(), tc.st.Len(), tc.st.Fingerprint())
			}
			if n := len(f.verbs); n != tc.wantSends {
				t.Errorf("%d requests sent (%v), want %d", n, f.verbs, tc.wantSends)
			}
			if !tc.denyExisting && f.modeAtWrite != 0o600 {
				t.Errorf("Sōzu wrote into a file of mode %v, want 0600", f.modeAtWrite)
			}
			if left := entries(t, dir); len(left) != 0 {
				t.Errorf("files left behind: %v", left)
			}
		})
	}
}

func TestReadSaveStateKeep(t *testing.T) {
	for _, deny := range []bool{false, true} {
		f := &fake{t: t, st: fixture(t, "0.0.0.0:443"), denyExisting: deny}
		c := dial(t, f.serve(t))
		dir := privateDir(t)
		got, path, err := ReadSaveStateKeep(context.Background(), c, dir)
		if err != nil {
			t.Fatal(err)
		}
		if !got.Equal(f.st) {
			t.Error("state read differs from Sōzu's")
		}
		if filepath.Dir(path) != dir || !strings.HasPrefix(filepath.Base(path), FilePrefix) {
			t.Errorf("path %s", path)
		}
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("deny=%v: kept file has mode %v, want 0600", deny, fi.Mode().Perm())
		}
	}
}

func TestReadSaveStateErrors(t *testing.T) {
	t.Run("relative dir", func(t *testing.T) {
		f := &fake{t: t, st: state.New()}
		c := dial(t, f.serve(t))
		_, err := ReadSaveState(context.Background(), c, "state")
		if err == nil || !strings.Contains(err.Error(), "not absolute") {
			t.Fatalf("got %v", err)
		}
		if len(f.verbs) != 0 {
			t.Errorf("requests sent: %v", f.verbs)
		}
	})
	t.Run("another filesystem", func(t *testing.T) {
		f := &fake{t: t, st: fixture(t, "0.0.0.0:443"), elsewhere: t.TempDir()}
		c := dial(t, f.serve(t))
		dir := privateDir(t)
		_, err := ReadSaveState(context.Background(), c, dir)
		var se *SaveStateError
		if !errors.As(err, &se) || !strings.Contains(err.Error(), "another filesystem") || !strings.Contains(err.Error(), "--live-read queries") {
			t.Fatalf("got %v", err)
		}
		if left := entries(t, dir); len(left) != 0 {
			t.Errorf("files left behind: %v", left)
		}
	})
	t.Run("Sōzu fails", func(t *testing.T) {
		f := &fake{t: t, st: state.New(), saveStateFail: "Failed writing state to file: disk full"}
		c := dial(t, f.serve(t))
		dir := privateDir(t)
		_, _, err := ReadSaveStateKeep(context.Background(), c, dir)
		var fe *sozu.FailureError
		if !errors.As(err, &fe) || !strings.Contains(err.Error(), "disk full") {
			t.Fatalf("got %v, want a FailureError", err)
		}
		if left := entries(t, dir); len(left) != 0 {
			t.Errorf("files left behind: %v", left)
		}
	})
	t.Run("no answer", func(t *testing.T) {
		f := &fake{t: t, st: state.New(), silentOn: "save_state"}
		c, err := sozu.Dial(context.Background(), f.serve(t), sozu.WithTimeout(50*time.Millisecond))
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		dir := privateDir(t)
		_, err = ReadSaveState(context.Background(), c, dir)
		var te *sozu.TimeoutError
		if !errors.As(err, &te) {
			t.Fatalf("got %v, want a TimeoutError", err)
		}
		if left := entries(t, dir); len(left) != 0 {
			t.Errorf("files left behind: %v", left)
		}
	})
	t.Run("missing dir", func(t *testing.T) {
		f := &fake{t: t, st: state.New()}
		c := dial(t, f.serve(t))
		_, err := ReadSaveState(context.Background(), c, filepath.Join(t.TempDir(), "nope"))
		if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("got %v", err)
		}
		if len(f.verbs) != 0 {
			t.Errorf("requests sent: %v", f.verbs)
		}
	})
}

func TestReadQueries(t *testing.T) {
	tests := []struct {
		name         string
		st           *state.State
		workersServe bool
		ghost        string
		want         *state.State // nil: same as st
		wantWarn     []string     // substrings of extra warnings, in order
	}{
		{name: "empty", st: state.New()},
		{name: "one HTTPS listener", st: fixture(t, "0.0.0.0:443")},
		{name: "no HTTPS listener", st: fixture(t)},
		{name: "two HTTPS listeners, workers serve all", st: fixture(t, "0.0.0.0:443", "[::]:8443"), workersServe: true},
		{name: "cluster removed meanwhile", st: fixture(t, "0.0.0.0:443"), ghost: "gone", wantWarn: []string{`cluster "gone" was removed`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f := &fake{t: t, st: tc.st, workersServe: tc.workersServe, ghost: tc.ghost}
			c := dial(t, f.serve(t))
			got, warns, err := ReadQueries(context.Background(), c)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.want
			if want == nil {
				want = tc.st
			}
			if !got.Equal(want) {
				t.Errorf("state read differs: got %d objects, want %d", got.Len(), want.Len())
			}
			wantWarns := len(tc.wantWarn) + 2
			if len(warns) != wantWarns {
				t.Fatalf("warnings %q, want %d", warns, wantWarns)
			}
			for i, w := range tc.wantWarn {
				if !strings.Contains(warns[i], w) {
					t.Errorf("warning %q lacks %q", warns[i], w)
				}
			}
			if !slices.Contains(warns, WarnOrphanBackends) || !slices.Contains(warns, WarnNotAtomic) {
				t.Errorf("standing warnings missing: %q", warns)
			}
		})
	}
}

func TestReadQueriesUnplacedCertificates(t *testing.T) {
	st := fixture(t, "0.0.0.0:443", "[::]:8443")
	f := &fake{t: t, st: st} // workers report nothing
	c := dial(t, f.serve(t))
	got, warns, err := ReadQueries(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	// 3 distinct certificates (one per listener, one shared): all left out.
	var certWarns int
	for _, w := range warns {
		if strings.HasPrefix(w, "certificate ") && strings.Contains(w, "2 HTTPS listeners") {
			certWarns++
		}
	}
	if certWarns != 3 {
		t.Errorf("%d certificate warnings in %q, want 3", certWarns, warns)
	}
	want := st.Clone()
	want.Certificates = map[string]map[string]*sozupb.CertificateAndKey{}
	if !got.Equal(want) {
		t.Error("state read differs from Sōzu's without certificates")
	}
	if !slices.Contains(f.verbs, "query_certificates_from_workers") {
		t.Errorf("workers not asked: %v", f.verbs)
	}
}

func TestReadQueriesOrphanBackend(t *testing.T) {
	st := fixture(t)
	if err := st.Apply(rq(backend(t, "removed", "r-1", "10.0.0.9:80"))); err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, st: st}
	c := dial(t, f.serve(t))
	got, _, err := ReadQueries(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Backends["removed"]) != 0 || !got.Equal(fixture(t)) {
		t.Error("orphan backend appeared, or other objects were lost")
	}
}

func TestReadQueriesConnectionDropped(t *testing.T) {
	f := &fake{t: t, st: fixture(t, "0.0.0.0:443"), closeOn: "query_certificates_from_the_state"}
	c := dial(t, f.serve(t))
	_, _, err := ReadQueries(context.Background(), c)
	var qe *QueryError
	var ce *sozu.ClosedError
	if !errors.As(err, &qe) || !errors.As(err, &ce) {
		t.Fatalf("got %v, want *QueryError wrapping *sozu.ClosedError", err)
	}
	if qe.Verb != "query_certificates_from_the_state" || !strings.Contains(err.Error(), "max_command_buffer_size") {
		t.Errorf("error %q", err)
	}
}

func TestSaveStateFile(t *testing.T) {
	f := &fake{t: t, st: fixture(t, "0.0.0.0:443")}
	c := dial(t, f.serve(t))
	dir := privateDir(t)
	path := filepath.Join(dir, "20260101T000000.000Z-1-before.state")
	got, err := SaveStateFile(context.Background(), c, path)
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(f.st) {
		t.Error("state read differs from Sōzu's")
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("checkpoint file: %v %v", fi, err)
	}
	// An existing file is never overwritten.
	_, err = SaveStateFile(context.Background(), c, path)
	if !errors.Is(err, os.ErrExist) {
		t.Errorf("existing file: got %v", err)
	}
	if _, err := os.Stat(path); err != nil {
		t.Errorf("existing file was removed: %v", err)
	}
	if _, err := SaveStateFile(context.Background(), c, "x.state"); err == nil || !strings.Contains(err.Error(), "not absolute") {
		t.Errorf("relative path: got %v", err)
	}
	if n := len(f.verbs); n != 1 {
		t.Errorf("%d requests sent, want 1", n)
	}
}
