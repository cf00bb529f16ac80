package render

import (
	"bytes"
	"encoding/json"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/golden"
	"github.com/sozuctl-plan/sozuctl-plan/planner"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// planSecret is a header value that comes from a sensitive variable.
const planSecret = "s3cr3t-token-value"

func planPtr[T any](v T) *T { return &v }

func planAddr(t testing.TB, s string) *sozupb.SocketAddress {
	t.Helper()
	a, err := state.ParseAddress(s)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// readPlanFile reads a file of the repository's examples.
func readPlanFile(t testing.TB, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// fixturePlan is a hand-made plan with one change of every action, a
// certificate with its private key, a sensitive header and a multi-line
// answer, so that the views are tested apart from the planner.
func fixturePlan(t testing.TB) (*planner.Plan, PlanOptions) {
	t.Helper()
	cert := readPlanFile(t, "examples/basic/certs/api.pem")
	key := readPlanFile(t, "examples/basic/certs/api.key")
	fp, err := state.CertificateFingerprint(cert)
	if err != nil {
		t.Fatal(err)
	}
	a80, a443 := planAddr(t, "0.0.0.0:80"), planAddr(t, "0.0.0.0:443")
	listener := state.Normalize(state.NewHTTPListener(a80))
	clusterBefore := &sozupb.Cluster{ClusterId: planPtr("api"), LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
		Answers: map[string]string{"503": "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n"}}
	clusterAfter := proto.Clone(clusterBefore).(*sozupb.Cluster)
	clusterAfter.LoadBalancing = sozupb.LoadBalancingAlgorithms_LEAST_LOADED.Enum()
	clusterAfter.Answers = map[string]string{"503": "HTTP/1.1 503 Busy\r\nContent-Length: 0\r\nRetry-After: 5\r\n\r\n"}
	certBefore := &sozupb.AddCertificate{Address: a443, Certificate: &sozupb.CertificateAndKey{
		Certificate: planPtr(cert), Key: planPtr(key), Names: []string{"api.example.com"}}}
	certAfter := proto.Clone(certBefore).(*sozupb.AddCertificate)
	certAfter.Certificate.Names = []string{"api.example.com", "www.example.com"}
	backend := &sozupb.AddBackend{ClusterId: planPtr("api"), BackendId: planPtr("api-old"), Address: planAddr(t, "10.0.0.9:8080")}
	front := &sozupb.RequestHttpFrontend{ClusterId: planPtr("api"), Address: a443, Hostname: planPtr("api.example.com"),
		Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: planPtr("/")},
		Position: sozupb.RulePosition_TREE.Enum(),
		Headers:  []*sozupb.Header{{Position: sozupb.HeaderPosition_REQUEST.Enum(), Key: planPtr("x-token"), Val: planPtr(planSecret)}}}
	frontKey := "0.0.0.0:443;api.example.com;P/"

	p := &planner.Plan{
		FormatVersion:      planner.FormatVersion,
		Base:               planner.Base{Source: planner.SourceState, Path: "base.state", Fingerprint: "sha256:" + strings.Repeat("ab", 32)},
		DesiredFingerprint: "sha256:" + strings.Repeat("cd", 32),
		Changes: []planner.Change{
			{Address: "certificate.api", Kind: state.KindCertificate, Key: state.CertificateKey("0.0.0.0:443", fp), Action: planner.Replace,
				Before: certBefore, After: certAfter,
				Attributes: []planner.AttributeChange{
					{Path: "certificate.names", Before: []any{"api.example.com"}, After: []any{"api.example.com", "www.example.com"}},
				},
				Reasons:  []string{"its names change"},
				Warnings: []string{"the certificate is removed, then added again: for a moment, no certificate serves these names"}},
			{Address: "cluster.api", Kind: state.KindCluster, Key: "api", Action: planner.Update, Before: clusterBefore, After: clusterAfter,
				Attributes: []planner.AttributeChange{
					{Path: "answers[503]", Before: clusterBefore.Answers["503"], After: clusterAfter.Answers["503"]},
					{Path: "load_balancing", Before: "ROUND_ROBIN", After: "LEAST_LOADED"},
				}},
			{Address: "cluster.api.backend.api-old", Kind: state.KindBackend, Key: state.BackendKey(backend), Action: planner.Delete, Before: backend},
			{Address: `cluster.api.https_frontend["` + frontKey + `"]`, Kind: state.KindHTTPSFrontend, Key: frontKey, Action: planner.Create, After: front},
			{Address: "listener.http.public", Kind: state.KindHTTPListener, Key: "0.0.0.0:80", Action: planner.Create, After: listener},
		},
		Summary:     planner.Summary{Create: 2, Update: 1, Replace: 1, Delete: 1},
		MassRemoval: planner.MassRemoval{BackendsRemoved: 1, BackendsInScope: 3, Threshold: 0.3, Minimum: 10},
		Warnings:    []string{"a plan-wide note"},
	}
	inactive := proto.Clone(listener).(*sozupb.HttpListenerConfig)
	inactive.Active = planPtr(false)
	add := func(ci int, r *sozupb.Request) {
		p.Requests = append(p.Requests, r)
		p.RequestChange = append(p.RequestChange, ci)
	}
	add(4, &sozupb.Request{RequestType: &sozupb.Request_AddHttpListener{AddHttpListener: inactive}})
	add(1, &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: clusterAfter}})
	add(0, &sozupb.Request{RequestType: &sozupb.Request_RemoveCertificate{RemoveCertificate: &sozupb.RemoveCertificate{Address: a443, Fingerprint: planPtr(fp)}}})
	add(0, &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: certAfter}})
	add(3, &sozupb.Request{RequestType: &sozupb.Request_AddHttpsFrontend{AddHttpsFrontend: front}})
	add(2, &sozupb.Request{RequestType: &sozupb.Request_RemoveBackend{RemoveBackend: &sozupb.RemoveBackend{ClusterId: planPtr("api"), BackendId: planPtr("api-old"), Address: backend.Address}}})
	add(4, &sozupb.Request{RequestType: &sozupb.Request_ActivateListener{ActivateListener: &sozupb.ActivateListener{Address: a80, Proxy: sozupb.ListenerType_HTTP.Enum(), FromScm: planPtr(false)}}})
	opts := PlanOptions{Sensitive: map[string][]string{`cluster.api.https_frontend["` + frontKey + `"]`: {"header.val"}}}
	return p, opts
}

// renderAll renders doc in every view.
func renderAll(t *testing.T, doc *PlanDocument) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var b bytes.Buffer
	if err := WritePlanJSON(&b, doc); err != nil {
		t.Fatal(err)
	}
	out["json"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := WritePlanHuman(&b, doc, HumanOptions{}); err != nil {
		t.Fatal(err)
	}
	out["txt"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := WritePlanHuman(&b, doc, HumanOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	out["color.txt"] = bytes.Clone(b.Bytes())
	b.Reset()
	if err := WritePlanMarkdown(&b, doc); err != nil {
		t.Fatal(err)
	}
	out["md"] = bytes.Clone(b.Bytes())
	return out
}

// assertNoSecrets fails when a private key or the sensitive value shows.
func assertNoSecrets(t *testing.T, name string, out []byte) {
	t.Helper()
	for _, s := range []string{"PRIVATE KEY", planSecret, "MIGHAgEAMBMG"} {
		if bytes.Contains(out, []byte(s)) {
			t.Errorf("%s shows %q:\n%s", name, s, out)
		}
	}
}

func TestPlanFixtureGolden(t *testing.T) {
	p, opts := fixturePlan(t)
	doc, err := NewPlanDocument(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	for ext, out := range renderAll(t, doc) {
		golden.Check(t, filepath.Join("testdata", "plan-fixture."+ext), out)
		assertNoSecrets(t, ext, out)
	}
}

func TestPlanJSONStable(t *testing.T) {
	var first []byte
	for i := 0; i < 5; i++ {
		p, opts := fixturePlan(t)
		doc, err := NewPlanDocument(p, opts)
		if err != nil {
			t.Fatal(err)
		}
		b, err := MarshalPlanJSON(doc)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = b
		} else if !bytes.Equal(first, b) {
			t.Fatalf("run %d gave other bytes", i)
		}
	}
}

func TestPlanJSONShape(t *testing.T) {
	p, opts := fixturePlan(t)
	doc, err := NewPlanDocument(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	b, err := MarshalPlanJSON(doc)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		FormatVersion string `json:"format_version"`
		Base          struct {
			Source, Fingerprint string
		}
		Summary  map[string]int
		Changes  []map[string]json.RawMessage
		Requests []map[string]map[string]json.RawMessage
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.FormatVersion != "1.0" || got.Base.Source != "state" || got.Base.Fingerprint != p.Base.Fingerprint {
		t.Errorf("header: %+v", got)
	}
	if got.Summary["create"] != 2 || got.Summary["update"] != 1 || got.Summary["replace"] != 1 || got.Summary["delete"] != 1 {
		t.Errorf("summary: %v", got.Summary)
	}
	if len(got.Requests) != len(p.Requests) {
		t.Fatalf("%d requests, want %d", len(got.Requests), len(p.Requests))
	}
	if string(got.Requests[1]["add_cluster"]["cluster_id"]) != `"api"` {
		t.Errorf("add_cluster: %s", got.Requests[1]["add_cluster"]["cluster_id"])
	}
	var ck map[string]json.RawMessage
	if err := json.Unmarshal(got.Requests[3]["add_certificate"]["certificate"], &ck); err != nil {
		t.Fatal(err)
	}
	if string(ck["key"]) != `"(sensitive)"` {
		t.Errorf("key = %s", ck["key"])
	}
	if !strings.Contains(string(ck["certificate"]), "BEGIN CERTIFICATE") {
		t.Errorf("the certificate is not in full: %s", ck["certificate"])
	}
	var headers bytes.Buffer
	if err := json.Compact(&headers, got.Requests[4]["add_https_frontend"]["headers"]); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(headers.String(), `"val":"(sensitive)"`) {
		t.Errorf("the sensitive header shows: %s", got.Requests[4]["add_https_frontend"]["headers"])
	}
	if string(got.Changes[2]["after"]) != "null" || string(got.Changes[3]["before"]) != "null" {
		t.Errorf("before/after of delete and create: %s %s", got.Changes[2]["after"], got.Changes[3]["before"])
	}
}

func TestPlanNoChanges(t *testing.T) {
	for _, tc := range []struct {
		source, want string
	}{
		{planner.SourceLive, "The live proxy matches the configuration."},
		{planner.SourceState, "The state file matches the configuration."},
		{planner.SourceEmpty, "nothing to do"},
	} {
		doc, err := NewPlanDocument(&planner.Plan{Base: planner.Base{Source: tc.source, Fingerprint: "sha256:00"}}, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WritePlanHuman(&b, doc, HumanOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(b.String(), "\nNo changes.\n") || !strings.Contains(b.String(), tc.want) {
			t.Errorf("%s:\n%s", tc.source, b.String())
		}
		if strings.Contains(b.String(), "Plan:") {
			t.Errorf("%s: a plan line without changes:\n%s", tc.source, b.String())
		}
	}
}

func TestPlanHumanBase(t *testing.T) {
	for _, tc := range []struct {
		base planner.Base
		want string
	}{
		{planner.Base{}, "Base: empty"},
		{planner.Base{Source: planner.SourceState, Path: "x.state", Fingerprint: "sha256:0123456789abcdef0123"}, "Base: the state file x.state (state sha256:0123456789abcdef)."},
		{planner.Base{Source: planner.SourceLive, Socket: "/run/s.sock", Fingerprint: "sha256:01"}, "Base: the live proxy at /run/s.sock (state sha256:01)."},
	} {
		doc, err := NewPlanDocument(&planner.Plan{Base: tc.base}, PlanOptions{})
		if err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		if err := WritePlanHuman(&b, doc, HumanOptions{}); err != nil {
			t.Fatal(err)
		}
		if !strings.HasPrefix(b.String(), tc.want) {
			t.Errorf("got %q, want prefix %q", b.String(), tc.want)
		}
	}
}

func TestPlanHumanColor(t *testing.T) {
	p, opts := fixturePlan(t)
	doc, err := NewPlanDocument(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	var plain, col bytes.Buffer
	if err := WritePlanHuman(&plain, doc, HumanOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := WritePlanHuman(&col, doc, HumanOptions{Color: true}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(plain.Bytes(), []byte("\x1b[")) {
		t.Error("escape codes without colour")
	}
	if !bytes.Contains(col.Bytes(), []byte(ansiGreen+"+"+ansiReset)) {
		t.Error("no green + with colour")
	}
	stripped := strings.NewReplacer(ansiReset, "", ansiBold, "", ansiRed, "", ansiGreen, "", ansiYellow, "", ansiCyan, "").Replace(col.String())
	if stripped != plain.String() {
		t.Errorf("colour changes the text:\n%s\n---\n%s", stripped, plain.String())
	}
}

func TestSensitivePaths(t *testing.T) {
	for _, tc := range []struct {
		in   []string
		want string
	}{
		{[]string{"key"}, "[[key]]"},
		{[]string{"header.val"}, "[[headers val]]"},
		{[]string{"weight"}, "[[load_balancing_parameters weight]]"},
		{[]string{"path_prefix", "listener"}, "[[address] [path]]"},
		{nil, "[]"},
	} {
		got := sensitivePaths(tc.in)
		if s := strings.ReplaceAll(strings.TrimSpace(jsonish(got)), "\"", ""); s != tc.want {
			t.Errorf("%v: got %s, want %s", tc.in, s, tc.want)
		}
	}
}

func jsonish(p [][]string) string {
	var b strings.Builder
	b.WriteString("[")
	for i, s := range p {
		if i > 0 {
			b.WriteString(" ")
		}
		b.WriteString("[" + strings.Join(s, " ") + "]")
	}
	b.WriteString("]")
	return b.String()
}

func TestMaskPath(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		path     []string
	}{
		{`{"a":{"b":"x"}}`, `{"a":{"b":"(sensitive)"}}`, []string{"a", "b"}},
		{`{"headers":[{"key":"k","val":"v"},{"key":"k2","val":"v2"}]}`, `{"headers":[{"key":"k","val":"(sensitive)"},{"key":"k2","val":"(sensitive)"}]}`, []string{"headers", "val"}},
		{`{"address":"a","certificate":{"key":"x"}}`, `{"address":"a","certificate":{"key":"(sensitive)"}}`, []string{"key"}},
		{`{"a":null}`, `{"a":null}`, []string{"a"}},
		{`{"a":1}`, `{"a":1}`, []string{"b"}},
		{`"x"`, `"x"`, []string{"b"}},
	} {
		got, err := maskRaw([]byte(tc.in), func(v any) any { return maskPath(v, tc.path, nil) })
		if err != nil {
			t.Fatal(err)
		}
		if string(got) != tc.want {
			t.Errorf("%s %v: got %s, want %s", tc.in, tc.path, got, tc.want)
		}
	}
}

func TestAttributeSensitivity(t *testing.T) {
	paths := sensitivePaths([]string{"header.val", "key"})
	for _, tc := range []struct {
		path string
		want bool
	}{
		{"headers", true},
		{"headers.val", true},
		{"hostname", false},
		{"certificate.key", true},
		{"key", true},
		{"certificate.names", false},
	} {
		got := attributeOf(planner.AttributeChange{Path: tc.path, Before: "a", After: "b"}, paths)
		if got.Sensitive != tc.want {
			t.Errorf("%s: sensitive %t, want %t", tc.path, got.Sensitive, tc.want)
		}
		if got.Sensitive && (got.Before != Sensitive || got.After != Sensitive) {
			t.Errorf("%s: values show: %v %v", tc.path, got.Before, got.After)
		}
	}
}

func TestNewPlanDocumentNil(t *testing.T) {
	doc, err := NewPlanDocument(nil, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Base.Source != "empty" || doc.HasChanges() {
		t.Errorf("%+v", doc)
	}
	if err := WritePlanHuman(&bytes.Buffer{}, nil, HumanOptions{}); err == nil {
		t.Error("no error for a nil document")
	}
	if _, err := MarshalPlanJSON(nil); err == nil {
		t.Error("no error for a nil document")
	}
}

// bigPlan creates n backends, each with its own change and request.
func bigPlan(t testing.TB, n int) *planner.Plan {
	t.Helper()
	p := &planner.Plan{Base: planner.Base{Source: planner.SourceLive, Socket: "sozu.sock", Fingerprint: "sha256:00"}}
	for i := 0; i < n; i++ {
		b := &sozupb.AddBackend{ClusterId: planPtr("c" + strconv.Itoa(i/3)), BackendId: planPtr("b" + strconv.Itoa(i)),
			Address: state.AddressFromAddrPort(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)}), 8080))}
		p.Changes = append(p.Changes, planner.Change{Address: "cluster.c" + strconv.Itoa(i/3) + ".backend.b" + strconv.Itoa(i),
			Kind: state.KindBackend, Key: state.BackendKey(b), Action: planner.Create, After: b})
		p.Requests = append(p.Requests, &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: b}})
		p.RequestChange = append(p.RequestChange, i)
		p.Warnings = append(p.Warnings, "") // filled below for a few
	}
	p.Warnings = p.Warnings[:3]
	p.Warnings[0], p.Warnings[1], p.Warnings[2] = "one", "two | three", "*four*"
	p.Summary.Create = n
	return p
}

func TestPlanMarkdownLimit(t *testing.T) {
	p := bigPlan(t, 60000)
	doc, err := NewPlanDocument(p, PlanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := WritePlanMarkdown(&b, doc); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	if len(out) >= MarkdownLimit {
		t.Fatalf("%d characters", len(out))
	}
	if !strings.HasPrefix(out, "### sozuctl-plan: 60000 to add, 0 to change, 0 to replace, 0 to destroy\n") {
		t.Errorf("the summary is not first:\n%.300s", out)
	}
	if !strings.Contains(out, "| backends | 60000 | 0 | 0 | 0 |") || !strings.Contains(out, "**Impact:** 60000 requests") {
		t.Errorf("no table or impact:\n%.1000s", out)
	}
	if !strings.Contains(out, `- two \| three`) || !strings.Contains(out, `- \*four\*`) {
		t.Errorf("warnings are not all there, escaped:\n%.2000s", out)
	}
	tail := out[strings.LastIndex(out[:len(out)-1], "\n")+1:]
	if !strings.HasPrefix(tail, "_Left out to stay under 60000 characters: the last ") || !strings.Contains(tail, " of 60000 changes") {
		t.Errorf("last line: %q", tail)
	}
	if !strings.Contains(out, "`cluster.c0.backend.b0`") {
		t.Error("the first change is not shown")
	}
	// The same document gives the same text.
	var again bytes.Buffer
	if err := WritePlanMarkdown(&again, doc); err != nil {
		t.Fatal(err)
	}
	if again.String() != out {
		t.Error("two renderings differ")
	}
}

func TestPlanMarkdownSmallLimits(t *testing.T) {
	p, opts := fixturePlan(t)
	doc, err := NewPlanDocument(p, opts)
	if err != nil {
		t.Fatal(err)
	}
	full := markdownPlan(doc, MarkdownLimit)
	if strings.Contains(full, "Left out") {
		t.Fatalf("the fixture is cut at the full limit:\n%s", full)
	}
	for limit := 800; limit < len(full)+markdownTailRoom; limit += 97 {
		out := markdownPlan(doc, limit)
		if len(out) > limit {
			t.Errorf("limit %d: %d characters", limit, len(out))
		}
		if !strings.HasPrefix(out, "### sozuctl-plan: 2 to add") {
			t.Errorf("limit %d: summary missing", limit)
		}
		assertNoSecrets(t, "markdown", []byte(out))
	}
}

func TestMarkdownHelpers(t *testing.T) {
	for in, want := range map[string]string{
		"a":    "`a`",
		"a`b":  "``a`b``",
		"`a":   "`` `a ``",
		"a\nb": "`a b`",
	} {
		if got := mdCode(in); got != want {
			t.Errorf("mdCode(%q) = %q, want %q", in, got, want)
		}
	}
	if got := mdEscape("<b>|x_y*"); got != `&lt;b&gt;\|x\_y\*` {
		t.Errorf("mdEscape: %q", got)
	}
	if longestRun("a``b```", '`') != 3 {
		t.Error("longestRun")
	}
}

func TestSocketAddressJSON(t *testing.T) {
	for in, want := range map[string]string{
		`{"ip":{"v4":167772161},"port":8080}`:                               "10.0.0.1:8080",
		`{"ip":{"v6":{"high":"0","low":"1"}},"port":443}`:                   "[::1]:443",
		`{"ip":{"v6":{"high":"18302628885633695744","low":"2"}},"port":80}`: "[fe00::2]:80",
		`{"ip":{"v4":-1},"port":80}`:                                        "",
		`{"ip":{},"port":80}`:                                               "",
		`{"ip":{"v4":1},"port":80,"x":1}`:                                   "",
		`{"ip":{"v4":1}}`:                                                   "",
	} {
		got, ok := socketAddress(decodeValue([]byte(in)))
		if got != want || ok != (want != "") {
			t.Errorf("%s: got %q %t, want %q", in, got, ok, want)
		}
	}
}

// TestSensitiveIdentity: a sensitive value that is part of an object's
// identity (a hostname from a sensitive variable) is hidden in its
// address, key, warnings and requests too.
func TestSensitiveIdentity(t *testing.T) {
	const host = "hidden.example.com"
	a80 := planAddr(t, "0.0.0.0:80")
	front := &sozupb.RequestHttpFrontend{ClusterId: planPtr("api"), Address: a80, Hostname: planPtr(host),
		Path: &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: planPtr("/")}}
	key := "0.0.0.0:80;" + host + ";P/"
	addr := `cluster.api.http_frontend["` + key + `"]`
	p := &planner.Plan{
		Changes: []planner.Change{{Address: addr, Kind: state.KindHTTPFrontend, Key: key, Action: planner.Delete, Before: front,
			Warnings: []string{"the route for " + host + " goes away"}}},
		Requests:      []*sozupb.Request{{RequestType: &sozupb.Request_RemoveHttpFrontend{RemoveHttpFrontend: front}}},
		RequestChange: []int{0},
		Warnings:      []string{"plan-wide: " + host},
		Summary:       planner.Summary{Delete: 1},
	}
	doc, err := NewPlanDocument(p, PlanOptions{Sensitive: map[string][]string{addr: {"hostname"}}})
	if err != nil {
		t.Fatal(err)
	}
	for ext, out := range renderAll(t, doc) {
		if bytes.Contains(out, []byte(host)) {
			t.Errorf("%s shows the sensitive hostname:\n%s", ext, out)
		}
	}
	if doc.Changes[0].Address != `cluster.api.http_frontend["0.0.0.0:80;(sensitive);P/"]` {
		t.Errorf("address %s", doc.Changes[0].Address)
	}
}

// TestPlanDocumentOddPlans: plans the planner never makes still render,
// without a panic.
func TestPlanDocumentOddPlans(t *testing.T) {
	var nilCluster *sozupb.Cluster
	for name, p := range map[string]*planner.Plan{
		"nil messages": {Changes: []planner.Change{{Address: "x", Kind: state.KindCluster, Action: planner.Update, Before: nilCluster, After: nil,
			Attributes: []planner.AttributeChange{{Path: "a", Before: map[string]any{"k": 1}, After: []any{nil}}}}}},
		"request change out of range": {Requests: []*sozupb.Request{{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "a"}}}, RequestChange: []int{7}},
		"missing request changes":     {Requests: []*sozupb.Request{nil, {}}},
		"unknown kind and action":     {Changes: []planner.Change{{Address: "y", Kind: state.Kind(99), Action: "explode"}}},
	} {
		doc, err := NewPlanDocument(p, PlanOptions{Sensitive: map[string][]string{"x": {"a"}}})
		if err != nil {
			t.Errorf("%s: %v", name, err)
			continue
		}
		renderAll(t, doc)
		for _, ci := range doc.RequestChanges {
			if ci != -1 {
				t.Errorf("%s: request change %d", name, ci)
			}
		}
	}
}
