package planfile

import (
	"bytes"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/config"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

var update = flag.Bool("update", false, "rewrite the seed corpus under testdata/fuzz")

func ptr[T any](v T) *T { return &v }

func readExample(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "examples", "basic", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixture is a plan with two certificates: one whose key comes from a file
// (keyPath) and one from the sensitive variable "tls_key".
type fixture struct {
	plan              *planner.Plan
	in                Inputs
	keyPath, varKey   string
	fileKey           string
	certReq, certReq2 int
}

func newFixture(t testing.TB) *fixture {
	t.Helper()
	dir := t.TempDir()
	cert := readExample(t, "certs/api.pem")
	fileKey := readExample(t, "certs/api.key")
	keyPath := filepath.Join(dir, "api.key")
	if err := os.WriteFile(keyPath, []byte(fileKey), 0o600); err != nil {
		t.Fatal(err)
	}
	varKey := strings.Replace(fileKey, "PRIVATE KEY", "PRIVATE KEY", 1) + "\n" // another text: another hash
	a443, err := state.ParseAddress("0.0.0.0:443")
	if err != nil {
		t.Fatal(err)
	}
	a8443, _ := state.ParseAddress("0.0.0.0:8443")
	add1 := &sozupb.AddCertificate{Address: a443, Certificate: &sozupb.CertificateAndKey{Certificate: ptr(cert), Key: ptr(fileKey), Names: []string{"api.example.com"}}}
	add2 := &sozupb.AddCertificate{Address: a8443, Certificate: &sozupb.CertificateAndKey{Certificate: ptr(cert), Key: ptr(varKey), Names: []string{"api.example.com"}}}
	cluster := &sozupb.Cluster{ClusterId: ptr("api"), StickySession: ptr(false), HttpsRedirect: ptr(true), LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum()}
	fp, _ := state.CertificateFingerprint(cert)
	p := &planner.Plan{
		FormatVersion:      planner.FormatVersion,
		Base:               planner.Base{Source: planner.SourceLive, Socket: "/run/sozu/sozu.sock", Fingerprint: "sha256:" + strings.Repeat("0", 64)},
		DesiredFingerprint: "sha256:" + strings.Repeat("1", 64),
		Changes: []planner.Change{
			{Address: "certificate.a", Kind: state.KindCertificate, Key: state.CertificateKey("0.0.0.0:443", fp), Action: planner.Create, After: add1},
			{Address: "certificate.b", Kind: state.KindCertificate, Key: state.CertificateKey("0.0.0.0:8443", fp), Action: planner.Replace, Before: add1, After: add2,
				Attributes: []planner.AttributeChange{{Path: "certificate.key", Sensitive: true}, {Path: "certificate.names", Before: []any{"a"}, After: []any{"a", "b"}}},
				Reasons:    []string{"its names change"}, Warnings: []string{"w"}},
			{Address: "cluster.api", Kind: state.KindCluster, Key: "api", Action: planner.Update, Before: cluster, After: cluster,
				Attributes: []planner.AttributeChange{{Path: "load_balancing_parameters.weight", Before: int64(-3), After: uint64(1 << 63)}, {Path: "x", Before: 1.5, After: true}}},
		},
		Requests: []*sozupb.Request{
			{RequestType: &sozupb.Request_AddCluster{AddCluster: cluster}},
			{RequestType: &sozupb.Request_AddCertificate{AddCertificate: add1}},
			{RequestType: &sozupb.Request_AddCertificate{AddCertificate: add2}},
			{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "old"}},
		},
		RequestChange: []int{2, 0, 1, -1},
		Warnings:      []string{"plan-wide"},
		Summary:       planner.Summary{Create: 1, Update: 1, Replace: 1},
		MassRemoval:   planner.MassRemoval{Threshold: 0.3, Minimum: 10},
	}
	in := Inputs{
		ConfigDir: dir,
		Options:   Options{Manage: []string{"clusters"}, Targets: []string{"cluster.api"}, Destroy: false, MassRemovalThreshold: 30, MassRemovalMinimum: 10},
		Keys: map[config.ObjectID]config.KeySource{
			{Kind: state.KindCertificate, Key: "a"}: {File: keyPath, SHA256: hashOf(fileKey)},
			{Kind: state.KindCertificate, Key: "b"}: {Variable: "tls_key", SHA256: hashOf(varKey)},
		},
		Sensitive: map[string][]string{"certificate.a": {"key"}, "empty": nil},
	}
	return &fixture{plan: p, in: in, keyPath: keyPath, varKey: varKey, fileKey: fileKey, certReq: 1, certReq2: 2}
}

func writeFixture(t *testing.T, fx *fixture) string {
	t.Helper()
	f, err := New(fx.plan, fx.in)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "api.plan")
	if err := Write(path, f); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestRoundTrip(t *testing.T) {
	fx := newFixture(t)
	path := writeFixture(t, fx)
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", st.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte("PRIVATE KEY")) || bytes.Contains(data, []byte("MIGHAgEAMBMG")) {
		t.Fatal("a private key is in the plan file")
	}
	if entries, _ := os.ReadDir(filepath.Dir(path)); len(entries) != 1 {
		t.Errorf("temporary files left: %v", entries)
	}

	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if f.ConfigDir != fx.in.ConfigDir || f.Options.Targets[0] != "cluster.api" || f.Options.MassRemovalThreshold != 30 {
		t.Errorf("header: %+v", f)
	}
	p := f.Plan
	if p.Base != fx.plan.Base || p.DesiredFingerprint != fx.plan.DesiredFingerprint || p.Summary != fx.plan.Summary || p.MassRemoval != fx.plan.MassRemoval {
		t.Errorf("plan header: %+v", p)
	}
	if len(p.Requests) != 4 || len(p.Changes) != 3 {
		t.Fatalf("%d requests, %d changes", len(p.Requests), len(p.Changes))
	}
	// The file key is back; the variable's is not yet.
	if !proto.Equal(p.Requests[fx.certReq], fx.plan.Requests[fx.certReq]) {
		t.Errorf("request with a file key:\n%v\nwant\n%v", p.Requests[fx.certReq], fx.plan.Requests[fx.certReq])
	}
	if got := p.Requests[fx.certReq2].GetAddCertificate().GetCertificate().GetKey(); got != "" {
		t.Errorf("the variable's key is already there: %q", got)
	}
	if pend := f.Pending(); len(pend) != 1 || pend[0].Variable != "tls_key" {
		t.Fatalf("pending: %+v", pend)
	}
	var ke *KeyError
	if err := f.Resolve(ResolveOptions{}); !errors.As(err, &ke) || ke.Mismatch || !strings.Contains(err.Error(), "SOZU_VAR_tls_key") {
		t.Errorf("resolve without the variable: %v", err)
	}
	if err := f.Resolve(ResolveOptions{Variables: map[string]string{"tls_key": "other"}}); !errors.As(err, &ke) || !ke.Mismatch {
		t.Errorf("resolve with another value: %v", err)
	}
	if err := f.Resolve(ResolveOptions{Variables: map[string]string{"tls_key": fx.varKey}}); err != nil {
		t.Fatal(err)
	}
	for i := range p.Requests {
		if !proto.Equal(p.Requests[i], fx.plan.Requests[i]) {
			t.Errorf("request %d:\n%v\nwant\n%v", i, p.Requests[i], fx.plan.Requests[i])
		}
	}
	if len(f.Pending()) != 0 {
		t.Error("keys still pending")
	}
	// Changes keep their values without keys.
	c := p.Changes[1]
	if c.Before.(*sozupb.AddCertificate).GetCertificate().GetKey() != "" || c.After.(*sozupb.AddCertificate).GetCertificate().GetNames()[0] != "api.example.com" {
		t.Errorf("change values: %v %v", c.Before, c.After)
	}
	if c.Action != planner.Replace || c.Reasons[0] != "its names change" || c.Warnings[0] != "w" || !c.Attributes[0].Sensitive {
		t.Errorf("change: %+v", c)
	}
	attrs := p.Changes[2].Attributes
	if attrs[0].Before != int64(-3) || attrs[0].After != uint64(1<<63) || attrs[1].Before != 1.5 || attrs[1].After != true {
		t.Errorf("attribute values: %#v", attrs)
	}
	if p.Changes[0].Before != nil {
		t.Errorf("before of a create: %v", p.Changes[0].Before)
	}
	if len(f.Sensitive) != 1 || f.Sensitive["certificate.a"][0] != "key" {
		t.Errorf("sensitive: %v", f.Sensitive)
	}
	// The same plan gives the same bytes.
	f2, _ := New(newFixtureSame(fx), fx.in)
	b1, _ := Marshal(f2)
	b2, _ := Marshal(f2)
	if !bytes.Equal(b1, b2) {
		t.Error("two encodings differ")
	}
}

func newFixtureSame(fx *fixture) *planner.Plan { return fx.plan }

func TestReadErrors(t *testing.T) {
	fx := newFixture(t)
	path := writeFixture(t, fx)
	data, _ := os.ReadFile(path)
	dir := t.TempDir()
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	var ve *VersionError
	var ce *CorruptError
	for _, tc := range []struct {
		name string
		data []byte
		want func(error) bool
		msg  string
	}{
		{"v2", bytes.Replace(data, []byte(`"version":1`), []byte(`"version":2`), 1),
			func(err error) bool { return errors.As(err, &ve) && ve.Got == 2 }, "format version 2"},
		{"not a plan", []byte(`{"id":"SAVE-0"}`), func(err error) bool { return errors.As(err, &ve) && ve.Got == 0 }, "is not a sozuctl-plan plan file"},
		{"garbage", []byte("\x00\x01garbage"), func(err error) bool { return errors.As(err, &ve) }, "not a sozuctl-plan plan file"},
		{"empty", nil, func(err error) bool { return errors.As(err, &ve) }, "not a sozuctl-plan plan file"},
		{"cut", data[:len(data)/2], func(err error) bool { return errors.As(err, &ce) }, "corrupt"},
		{"edited", bytes.Replace(data, []byte(`"plan-wide"`), []byte(`"plan-wid3"`), 1),
			func(err error) bool { return errors.As(err, &ce) }, "checksum does not match"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := write(tc.name, tc.data)
			_, err := Read(p)
			if err == nil || !tc.want(err) || !strings.Contains(err.Error(), tc.msg) {
				t.Fatalf("got %v (%T), want %q", err, err, tc.msg)
			}
			if !strings.Contains(err.Error(), p) {
				t.Errorf("the error does not name the file: %v", err)
			}
		})
	}
	if _, err := Read(filepath.Join(dir, "missing.plan")); err == nil || !strings.Contains(err.Error(), "missing.plan") {
		t.Errorf("missing file: %v", err)
	}

	// A key file that changed, then one that is gone.
	if err := os.WriteFile(fx.keyPath, []byte("another key"), 0o600); err != nil {
		t.Fatal(err)
	}
	var ke *KeyError
	_, err := Read(path)
	if !errors.As(err, &ke) || !ke.Mismatch || !strings.Contains(err.Error(), "changed since the plan was made") || !strings.Contains(err.Error(), fx.keyPath) {
		t.Errorf("changed key: %v", err)
	}
	os.Remove(fx.keyPath)
	_, err = Read(path)
	if !errors.As(err, &ke) || ke.Mismatch || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing key: %v", err)
	}
	// Shown without keys all the same.
	if _, err := ReadNoKeys(path); err != nil {
		t.Errorf("ReadNoKeys: %v", err)
	}
}

func TestMarshalRefusesUnrecordedKey(t *testing.T) {
	fx := newFixture(t)
	_, err := Marshal(&File{Plan: fx.plan})
	if err == nil || !strings.Contains(err.Error(), "private key") {
		t.Fatalf("got %v", err)
	}
	if _, err := Marshal(nil); err == nil {
		t.Error("nil file")
	}
	for _, r := range []*sozupb.Request{nil, {}} {
		if _, err := Marshal(&File{Plan: &planner.Plan{Requests: []*sozupb.Request{r}, RequestChange: []int{-1}}}); err == nil || !strings.Contains(err.Error(), "request 1 is empty") {
			t.Errorf("empty request: %v", err)
		}
	}
	if _, err := New(nil, Inputs{}); err == nil {
		t.Error("nil plan")
	}
}

func TestUnknownKeySource(t *testing.T) {
	fx := newFixture(t)
	fx.in.Keys = nil
	path := writeFixture(t, fx)
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Pending()) != 2 {
		t.Fatalf("pending %v", f.Pending())
	}
	var ke *KeyError
	if err := f.Resolve(ResolveOptions{}); !errors.As(err, &ke) || !strings.Contains(err.Error(), "apply the configuration directory") {
		t.Errorf("got %v", err)
	}
	lookup := map[string]string{hashOf(fx.fileKey): fx.fileKey, hashOf(fx.varKey): fx.varKey}
	if err := f.Resolve(ResolveOptions{Lookup: func(s string) (string, bool) { v, ok := lookup[s]; return v, ok }}); err != nil {
		t.Fatal(err)
	}
	for i := range f.Plan.Requests {
		if !proto.Equal(f.Plan.Requests[i], fx.plan.Requests[i]) {
			t.Errorf("request %d differs", i)
		}
	}
}

func TestIsPlanFile(t *testing.T) {
	fx := newFixture(t)
	data, _ := os.ReadFile(writeFixture(t, fx))
	for _, tc := range []struct {
		data []byte
		want bool
	}{
		{data, true},
		{data[:40], true}, // the head, or a file cut short
		{[]byte(` {"version": 2, "format": "sozuctl-plan plan"}`), true},
		{[]byte(`{"id":"x"}`), false},
		{[]byte(`{"format":"sozuctl-plan plans"}`), false},
		{nil, false},
	} {
		if got := IsPlanFile(tc.data); got != tc.want {
			t.Errorf("IsPlanFile(%.50q) = %t", tc.data, got)
		}
	}
}

func TestWriteErrors(t *testing.T) {
	fx := newFixture(t)
	f, _ := New(fx.plan, fx.in)
	if err := Write(filepath.Join(t.TempDir(), "no", "such", "dir", "x.plan"), f); err == nil || !strings.Contains(err.Error(), "x.plan") {
		t.Errorf("got %v", err)
	}
}

// FuzzDecode: Decode never panics, and what it accepts encodes again.
func FuzzDecode(f *testing.F) {
	f.Fuzz(func(t *testing.T, data []byte) {
		pf, err := Decode(data)
		if err != nil {
			var ve *VersionError
			var ce *CorruptError
			if !errors.As(err, &ve) && !errors.As(err, &ce) {
				t.Fatalf("untyped error %T: %v", err, err)
			}
			return
		}
		for i := range pf.Keys {
			pf.Keys[i].Resolved = true // Marshal checks only what is set
		}
		if _, err := Marshal(pf); err != nil {
			t.Fatalf("decoded but does not encode: %v", err)
		}
	})
}

// TestSeedCorpus writes the seed corpus of FuzzDecode with -update, and
// checks that it is there otherwise.
func TestSeedCorpus(t *testing.T) {
	fx := newFixture(t)
	// Paths of no machine in particular, so that the corpus names none.
	fx.in.ConfigDir = "/srv/sozu-config"
	for id, src := range fx.in.Keys {
		if src.File != "" {
			src.File = "/srv/sozu-config/certs/api.key"
			fx.in.Keys[id] = src
		}
	}
	pf, err := New(fx.plan, fx.in)
	if err != nil {
		t.Fatal(err)
	}
	valid, err := Marshal(pf)
	if err != nil {
		t.Fatal(err)
	}
	empty, err := Marshal(&File{Plan: &planner.Plan{Base: planner.Base{Source: planner.SourceEmpty}}})
	if err != nil {
		t.Fatal(err)
	}
	seeds := map[string][]byte{
		"valid":      valid,
		"empty-plan": empty,
		"version-2":  bytes.Replace(empty, []byte(`"version":1`), []byte(`"version":2`), 1),
		"cut":        valid[:len(valid)/3],
		"state-file": []byte("{\"id\":\"SAVE-0\",\"content\":{}}\n\x00"),
		"not-json":   []byte("plan"),
	}
	dir := filepath.Join("testdata", "fuzz", "FuzzDecode")
	for name, data := range seeds {
		path := filepath.Join(dir, name)
		content := "go test fuzz v1\n[]byte(" + goQuote(data) + ")\n"
		if *update {
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("seed %s missing (run go test -update): %v", name, err)
		}
	}
}

// goQuote quotes b as a Go string literal.
func goQuote(b []byte) string {
	var sb strings.Builder
	sb.WriteByte('"')
	for _, c := range b {
		switch {
		case c == '"' || c == '\\':
			sb.WriteByte('\\')
			sb.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			sb.WriteString(`\x`)
			sb.WriteString(strings.ToLower(string("0123456789ABCDEF"[c>>4]) + string("0123456789ABCDEF"[c&15])))
		}
	}
	sb.WriteByte('"')
	return sb.String()
}

// TestKeySourcePerObject: when two objects hold the same key text, each
// request records the source of its own object.
func TestKeySourcePerObject(t *testing.T) {
	fx := newFixture(t)
	add2 := fx.plan.Requests[fx.certReq2].GetAddCertificate()
	add2.Certificate.Key = ptr(fx.fileKey)
	fx.plan.Changes[1].Key = "b-key"
	fx.plan.Changes[0].Key = "a-key"
	fx.in.Keys = map[config.ObjectID]config.KeySource{
		{Kind: state.KindCertificate, Key: "a-key"}: {File: fx.keyPath, SHA256: hashOf(fx.fileKey)},
		{Kind: state.KindCertificate, Key: "b-key"}: {Variable: "tls_key", SHA256: hashOf(fx.fileKey)},
	}
	f, err := New(fx.plan, fx.in)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Keys) != 2 || f.Keys[0].File != fx.keyPath || f.Keys[1].Variable != "tls_key" {
		t.Errorf("keys: %+v", f.Keys)
	}
}

// TestResolveFromState: keys of variables and expressions are found among
// the keys of a state (the configuration loaded again).
func TestResolveFromState(t *testing.T) {
	fx := newFixture(t)
	path := writeFixture(t, fx)
	f, err := Read(path)
	if err != nil {
		t.Fatal(err)
	}
	a8443, _ := state.ParseAddress("0.0.0.0:8443")
	st := state.New()
	if err := st.Apply(&sozupb.Request{RequestType: &sozupb.Request_AddHttpsListener{AddHttpsListener: state.NewHTTPSListener(a8443)}}); err != nil {
		t.Fatal(err)
	}
	if err := f.Resolve(ResolveOptions{Lookup: KeysOf(st)}); err == nil {
		t.Fatal("resolved from a state without the key")
	}
	if err := st.Apply(proto.Clone(fx.plan.Requests[fx.certReq2]).(*sozupb.Request)); err != nil {
		t.Fatal(err)
	}
	if err := f.Resolve(ResolveOptions{Lookup: KeysOf(st)}); err != nil {
		t.Fatal(err)
	}
	if !proto.Equal(f.Plan.Requests[fx.certReq2], fx.plan.Requests[fx.certReq2]) {
		t.Error("the key is not back")
	}
	if _, ok := KeysOf(nil)("x"); ok {
		t.Error("a key in a nil state")
	}
}
