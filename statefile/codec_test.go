package statefile

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"google.golang.org/protobuf/testing/protocmp"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// TestAllStateFile reads a file holding every record kind and writes it
// back byte for byte.
func TestAllStateFile(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "sozu-2.1.0-all.state"))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	golden := goldenRecords(t)
	want := make([]*sozupb.WorkerRequest, len(golden))
	for i, g := range golden {
		want[i] = g.rec
	}
	if diff := cmp.Diff(want, recs, protocmp.Transform()); diff != "" {
		t.Fatalf("Decode mismatch (-want +got):\n%s", diff)
	}
	var out bytes.Buffer
	if err := Encode(&out, recs); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), data) {
		t.Errorf("Encode(Decode(file)) differs from the file")
	}
}

// TestSozu111File reads records shaped as Sōzu 1.1.1 writes them: the
// repeated and map fields added since are missing and read as empty.
func TestSozu111File(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sozu-1.1.1.state"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	lo := addr(t, "127.0.0.1:80")
	want := []*sozupb.WorkerRequest{
		rec("PROXY-MANAGER-1", &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId: p("app-1"), StickySession: p(false), HttpsRedirect: p(false),
			LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(), LoadMetric: sozupb.LoadMetric_CONNECTIONS.Enum(),
		}}}),
		rec("PROXY-MANAGER-2", &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: &sozupb.RequestHttpFrontend{
			ClusterId: p("app-1"), Address: lo, Hostname: p("example.com"),
			Path:     &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: p("/")},
			Position: sozupb.RulePosition_TREE.Enum(),
		}}}),
		rec("PROXY-MANAGER-3", &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: p("app-1"), BackendId: p("app-1-backend-0"), Address: addr(t, "127.0.0.1:8080"),
		}}}),
	}
	if diff := cmp.Diff(want, recs, protocmp.Transform()); diff != "" {
		t.Fatalf("Decode mismatch (-want +got):\n%s", diff)
	}
	c := recs[0].GetContent().GetAddCluster()
	if len(c.GetAnswers()) != 0 || len(c.GetAuthorizedHashes()) != 0 {
		t.Errorf("new repeated/map fields not empty: %v", c)
	}
}

func TestDecodeEmpty(t *testing.T) {
	recs, err := Decode(strings.NewReader(""))
	if err != nil || len(recs) != 0 {
		t.Fatalf("Decode(\"\") = %v, %v; want no record, no error", recs, err)
	}
}

const okRecord = `{"id":"SAVE-0","content":{"request_type":{"REMOVE_CLUSTER":"api"}}}`

func TestDecodeErrors(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		index   int
		offset  int64
		wantErr string
	}{
		{"corrupt JSON", okRecord + "\n\x00" + `{"id":"SAVE-1","content":{` + "\n\x00", 2, int64(len(okRecord) + 2), "unexpected"},
		{"no final NUL", okRecord + "\n\x00" + okRecord + "\n", 2, int64(len(okRecord) + 2), "without the NUL byte"},
		{"only a newline after the last NUL", okRecord + "\n\x00\n", 2, int64(len(okRecord) + 2), "without the NUL byte"},
		{"missing required scalar", `{"id":"BAD","content":{"request_type":{"ADD_CLUSTER":{"sticky_session":false,"https_redirect":false,"load_balancing":0}}}}` + "\n\x00", 1, 0, `content.request_type.ADD_CLUSTER: missing required field "cluster_id"`},
		{"missing id", `{"content":{"request_type":null}}` + "\x00", 1, 0, `missing required field "id"`},
		{"missing address", `{"id":"x","content":{"request_type":{"ACTIVATE_LISTENER":{"proxy":0,"from_scm":false}}}}` + "\x00", 1, 0, `missing required field "address"`},
		{"null required", `{"id":null,"content":{"request_type":null}}` + "\x00", 1, 0, "expected a string"},
		{"empty record", okRecord + "\n\x00\x00", 2, int64(len(okRecord) + 2), "empty record"},
		{"unknown variant", `{"id":"x","content":{"request_type":{"ADD_WIDGET":{}}}}` + "\x00", 1, 0, `unknown variant "ADD_WIDGET"`},
		{"two variants", `{"id":"x","content":{"request_type":{"REMOVE_CLUSTER":"a","LOGGING":"b"}}}` + "\x00", 1, 0, "exactly one variant"},
		{"duplicate field", `{"id":"x","id":"y","content":{"request_type":null}}` + "\x00", 1, 0, `duplicate field "id"`},
		{"float for integer", `{"id":"x","content":{"request_type":{"UPGRADE_WORKER":1.5}}}` + "\x00", 1, 0, "expected an integer"},
		{"negative for unsigned", `{"id":"x","content":{"request_type":{"UPGRADE_WORKER":-1}}}` + "\x00", 1, 0, "non-negative"},
		{"u32 overflow", `{"id":"x","content":{"request_type":{"UPGRADE_WORKER":4294967296}}}` + "\x00", 1, 0, "out of range"},
		{"u64 overflow", `{"id":"x","content":{"request_type":{"SET_MAX_CONNECTIONS_PER_IP":18446744073709551616}}}` + "\x00", 1, 0, "out of range"},
		{"trailing characters", okRecord + "x\x00", 1, 0, "after the end"},
		{"invalid UTF-8", "{\"id\":\"\xff\",\"content\":{\"request_type\":null}}\x00", 1, 0, "UTF-8"},
		{"lone surrogate", `{"id":"\ud800","content":{"request_type":null}}` + "\x00", 1, 0, "surrogate"},
		{"minus zero", `{"id":"x","content":{"request_type":{"SET_MAX_CONNECTIONS_PER_IP":-0}}}` + "\x00", 1, 0, "expected an integer, found -0"},
		{"minus zero signed", `{"id":"x","content":{"request_type":{"CONFIGURE_METRICS":-0}}}` + "\x00", 1, 0, "expected an integer, found -0"},
		{"leading zero", `{"id":"x","content":{"request_type":{"UPGRADE_WORKER":01}}}` + "\x00", 1, 0, "leading zero"},
		{"deep nesting", `{"id":"x","zz":` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `,"content":{"request_type":null}}` + "\x00", 1, 0, "nested more than"},
		{"enum beyond i32", `{"id":"x","content":{"request_type":{"CONFIGURE_METRICS":2147483648}}}` + "\x00", 1, 0, "out of range"},
		{"not an object", "[]\n\x00", 1, 0, "expected an object"},
		{"bad byte", `{"id":"x","content":{"request_type":{"ADD_CLUSTER":{"cluster_id":"d","sticky_session":false,"https_redirect":false,"load_balancing":0,"udp":{"health":{"udp_probe_payload":[256]}}}}}}` + "\x00", 1, 0, "out of range"},
		{"null repeated", `{"id":"x","content":{"request_type":{"ADD_TCP_FRONTEND":{"cluster_id":"d","address":{"ip":{"inner":{"V4":0}},"port":1},"tags":null}}}}` + "\x00", 1, 0, "expected"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.in))
			if err == nil {
				t.Fatal("no error")
			}
			var re *RecordError
			if !errors.As(err, &re) {
				t.Fatalf("error %T %v is not a *RecordError", err, err)
			}
			if re.Index != tt.index || re.Offset != tt.offset {
				t.Errorf("record %d at byte %d, want record %d at byte %d (%v)", re.Index, re.Offset, tt.index, tt.offset, err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %q does not contain %q", err, tt.wantErr)
			}
			if !strings.HasPrefix(err.Error(), "record ") {
				t.Errorf("error %q does not start with the record number", err)
			}
		})
	}
}

// TestDecodeTolerates covers what Sōzu accepts beyond its own output.
func TestDecodeTolerates(t *testing.T) {
	in := ` {"unknown":{"a":[1,2.5e3,true,null,"\u00e9"]},"id":"x\"\\\/\b\f\n\r\t\u0041\ud83d\ude00","content":{"request_type":{"ADD_TCP_FRONTEND":{"cluster_id":"d","address":{"ip":{"inner":{"V4":0}},"port":1},"tags":{"a":"1","a":"2"}}}}}` + "\r\n\t\x00"
	recs, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := recs[0].GetId(), "x\"\\/\b\f\n\r\tA😀"; got != want {
		t.Errorf("id %q, want %q", got, want)
	}
	if got := recs[0].GetContent().GetAddTcpFrontend().GetTags()["a"]; got != "2" {
		t.Errorf("duplicate map key: got %q, want the last value", got)
	}
	// A missing map or repeated field reads as empty, even where Sōzu has no
	// serde(default).
	r, err := UnmarshalRecord([]byte(`{"id":"z","content":{"request_type":{"ADD_TCP_FRONTEND":{"cluster_id":"d","address":{"ip":{"inner":{"V4":0}},"port":1}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.GetContent().GetAddTcpFrontend().Tags != nil {
		t.Errorf("tags: %v", r.GetContent().GetAddTcpFrontend().Tags)
	}
}

// TestUnnamedEnumValues checks that enum numbers the schema does not name
// are read and written back unchanged, in place: Sōzu holds enums as plain
// i32 and reads any of them (a newer Sōzu may write values this schema
// lacks), so refusing them would refuse files Sōzu loads.
func TestUnnamedEnumValues(t *testing.T) {
	in := `{"id":"a","content":{"request_type":{"CONFIGURE_METRICS":7}}}` + "\n\x00" +
		`{"id":"b","content":{"request_type":{"ADD_CLUSTER":{"cluster_id":"c","sticky_session":false,"https_redirect":false,"proxy_protocol":9,"load_balancing":42,"answer_503":null,"load_metric":-3,"http2":null,"answers":{},"https_redirect_port":null,"authorized_hashes":[],"www_authenticate":null,"max_connections_per_ip":null,"retry_after":null,"health_check":null,"udp":null}}}}` + "\n\x00" +
		`{"id":"c","content":{"request_type":{"ADD_CERTIFICATE":{"address":{"ip":{"inner":{"V4":0}},"port":443},"certificate":{"certificate":"x","certificate_chain":[],"key":"k","versions":[4,9,-1,5],"names":[]},"expired_at":null}}}}` + "\n\x00"
	recs, err := Decode(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if got := recs[0].GetContent().GetConfigureMetrics(); got != 7 {
		t.Errorf("configure_metrics = %d, want 7", got)
	}
	c := recs[1].GetContent().GetAddCluster()
	if c.GetLoadBalancing() != 42 || c.GetProxyProtocol() != 9 || c.GetLoadMetric() != -3 {
		t.Errorf("cluster enums: %v", c)
	}
	var versions []int32
	for _, v := range recs[2].GetContent().GetAddCertificate().GetCertificate().GetVersions() {
		versions = append(versions, int32(v))
	}
	if fmt.Sprint(versions) != "[4 9 -1 5]" {
		t.Errorf("versions = %v, want [4 9 -1 5] in order", versions)
	}
	var out bytes.Buffer
	if err := Encode(&out, recs); err != nil {
		t.Fatal(err)
	}
	if out.String() != in {
		t.Errorf("Encode(Decode(in)) =\n%s\nwant\n%s", out.String(), in)
	}
}

// TestLargeUint64 checks that values above 2^53 survive a round trip.
func TestLargeUint64(t *testing.T) {
	for _, v := range []uint64{1<<53 + 1, 18446744073709551615, 18446744073709551614} {
		r := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_AddBackend{AddBackend: &sozupb.AddBackend{
			ClusterId: p("c"), BackendId: p("b"),
			Address: &sozupb.SocketAddress{Port: p(uint32(1)), Ip: &sozupb.IpAddress{Inner: &sozupb.IpAddress_V6{V6: &sozupb.Uint128{Low: p(v), High: p(v - 1)}}}},
		}}})
		b, err := MarshalRecord(r)
		if err != nil {
			t.Fatal(err)
		}
		back, err := UnmarshalRecord(b)
		if err != nil {
			t.Fatal(err)
		}
		ip := back.GetContent().GetAddBackend().GetAddress().GetIp().GetV6()
		if ip.GetLow() != v || ip.GetHigh() != v-1 {
			t.Errorf("%d: got low %d high %d", v, ip.GetLow(), ip.GetHigh())
		}
	}
}

func TestEncodeRefusesLargeRecord(t *testing.T) {
	big := strings.Repeat("A", MaxRecordSize)
	recs := []*sozupb.WorkerRequest{
		rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "api"}}),
		rec("SAVE-1", &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
			Address:     addr(t, "0.0.0.0:443"),
			Certificate: &sozupb.CertificateAndKey{Certificate: p(big), Key: p("k"), Names: []string{"big.example.com"}},
		}}}),
	}
	var out bytes.Buffer
	err := Encode(&out, recs)
	var re *RecordError
	var tl *RecordTooLargeError
	if !errors.As(err, &re) || !errors.As(err, &tl) {
		t.Fatalf("error %v: want a *RecordError wrapping a *RecordTooLargeError", err)
	}
	if re.Index != 2 || tl.ID != "SAVE-1" || tl.Size < MaxRecordSize {
		t.Errorf("got %+v %+v", re, tl)
	}
	for _, want := range []string{"record 2", "SAVE-1", "ADD_CERTIFICATE on 0.0.0.0:443 for big.example.com", "100000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	if out.Len() != 0 {
		t.Errorf("Encode wrote %d bytes before refusing", out.Len())
	}
	if strings.Contains(err.Error(), "AAAA") {
		t.Errorf("error holds the record's content")
	}
}

func TestEncodeRecordSizeLimit(t *testing.T) {
	base := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: ""}})
	b, _ := MarshalRecord(base)
	overhead := len(b) + len(terminator)
	fits := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: strings.Repeat("x", MaxRecordSize-1-overhead)}})
	if err := Encode(&bytes.Buffer{}, []*sozupb.WorkerRequest{fits}); err != nil {
		t.Errorf("a record of %d bytes refused: %v", MaxRecordSize-1, err)
	}
	over := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: strings.Repeat("x", MaxRecordSize-overhead)}})
	if err := Encode(&bytes.Buffer{}, []*sozupb.WorkerRequest{over}); err == nil {
		t.Errorf("a record of %d bytes accepted", MaxRecordSize)
	}
}

func TestEncodeInvalidUTF8(t *testing.T) {
	r := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "a\xffb"}})
	if _, err := MarshalRecord(r); err == nil || !strings.Contains(err.Error(), "UTF-8") {
		t.Errorf("err = %v, want a UTF-8 error", err)
	}
	// The error never quotes the value: it could be a private key.
	k := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_AddCertificate{AddCertificate: &sozupb.AddCertificate{
		Address:     addr(t, "0.0.0.0:443"),
		Certificate: &sozupb.CertificateAndKey{Certificate: p("c"), Key: p("SECRET\xff")},
	}}})
	_, err := MarshalRecord(k)
	if err == nil || strings.Contains(err.Error(), "SECRET") || !strings.Contains(err.Error(), "content: request_type.ADD_CERTIFICATE: certificate: key: a string of 7 bytes") {
		t.Errorf("err = %v", err)
	}
	if _, err := MarshalRecord(nil); err == nil {
		t.Error("MarshalRecord(nil) did not fail")
	}
}

// TestEncodeRequiredDefaults: an unset required field is written as the
// value Sōzu would hold, its proto2 default.
func TestEncodeRequiredDefaults(t *testing.T) {
	r := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_AddTcpListener{AddTcpListener: &sozupb.TcpListenerConfig{}}})
	b, err := MarshalRecord(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"id":"SAVE-0","content":{"request_type":{"ADD_TCP_LISTENER":{"address":{"ip":{"inner":null},"port":0},"public_address":null,"expect_proxy":false,"front_timeout":60,"back_timeout":30,"connect_timeout":3,"active":false}}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
}

func TestStringEscapes(t *testing.T) {
	in := "q\"b\\n\nr\rt\tb\bf\f\x01\x1f\x7f<>&é\u2028😀"
	got := string(appendString(nil, in))
	want := `"q\"b\\n\nr\rt\tb\bf\f\u0001\u001f` + "\x7f<>&é\u2028😀" + `"`
	if got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	d := decoder{data: []byte(got)}
	back, err := d.stringBytes()
	if err != nil || string(back) != in {
		t.Errorf("read back %q, %v", back, err)
	}
}

func TestAppendFloat(t *testing.T) {
	for f, want := range map[float64]string{1: "1.0", 0.5: "0.5", 1e21: "1e21", 1.5e-7: "1.5e-7", -2: "-2.0"} {
		if got := string(appendFloat(nil, f, false)); got != want {
			t.Errorf("%v → %s, want %s", f, got, want)
		}
	}
}

func TestDescribe(t *testing.T) {
	for _, g := range goldenRecords(t) {
		if d := Describe(g.rec.GetContent()); d == "" || strings.Contains(d, "PRIVATE") {
			t.Errorf("%s: Describe = %q", g.name, d)
		}
	}
	if got := Describe(nil); got != "empty request" {
		t.Errorf("Describe(nil) = %q", got)
	}
	b := goldenRecords(t)[28].rec.GetContent()
	if got, want := Describe(b), "ADD_BACKEND api/api-1 10.0.0.1:8080"; got != want {
		t.Errorf("Describe = %q, want %q", got, want)
	}
}

// TestDecodeLongRecord reads a record longer than the reader's buffer.
func TestDecodeLongRecord(t *testing.T) {
	long := rec("SAVE-0", &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: strings.Repeat("y", 600<<10)}})
	b, err := MarshalRecord(long)
	if err != nil {
		t.Fatal(err)
	}
	in := append(append([]byte(okRecord+"\n\x00"), b...), "\n\x00"...)
	recs, err := Decode(bytes.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(recs) != 2 || len(recs[1].GetContent().GetLogging()) != 600<<10 {
		t.Fatalf("got %d records", len(recs))
	}
}

func asTooLarge(err error, target **RecordTooLargeError) bool { return errors.As(err, target) }

// TestDecodeManyRecordsFirstError decodes enough records to use several
// workers and reports the first bad one.
func TestDecodeManyRecordsFirstError(t *testing.T) {
	var buf bytes.Buffer
	for i := 1; i <= 5000; i++ {
		switch i {
		case 1700, 4000:
			buf.WriteString(`{"id":"bad"}` + "\n\x00")
		default:
			buf.WriteString(okRecord + "\n\x00")
		}
	}
	_, err := Decode(bytes.NewReader(buf.Bytes()))
	var re *RecordError
	if !errors.As(err, &re) || re.Index != 1700 || re.Offset != int64(1699*(len(okRecord)+2)) {
		t.Fatalf("err = %v, want record 1700", err)
	}
	good := bytes.Repeat([]byte(okRecord+"\n\x00"), 5000)
	recs, err := Decode(bytes.NewReader(good))
	if err != nil || len(recs) != 5000 || recs[4999].GetContent().GetRemoveCluster() != "api" {
		t.Fatalf("Decode: %d records, %v", len(recs), err)
	}
	_, err = Decode(bytes.NewReader(append(good, okRecord...)))
	if !errors.As(err, &re) || re.Index != 5001 || !errors.Is(err, ErrTruncated) {
		t.Fatalf("err = %v, want record 5001 truncated", err)
	}
}

// TestSignedValues: negative int32 and int64 values survive a round trip.
func TestSignedValues(t *testing.T) {
	in := `{"id":"x","content":{"request_type":{"ADD_BACKEND":{"cluster_id":"c","backend_id":"b","address":{"ip":{"inner":{"V4":0}},"port":1},"sticky_id":null,"load_balancing_parameters":{"weight":-2147483648},"backup":null}}}}`
	r, err := UnmarshalRecord([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if w := r.GetContent().GetAddBackend().GetLoadBalancingParameters().GetWeight(); w != -2147483648 {
		t.Errorf("weight %d", w)
	}
	if out, _ := MarshalRecord(r); string(out) != in {
		t.Errorf("re-encoded as %s", out)
	}
	in = `{"id":"x","content":{"request_type":{"REMOVE_CERTIFICATE":{"address":{"ip":{"inner":{"V4":0}},"port":1},"fingerprint":"ab"}}}}`
	if _, err := UnmarshalRecord([]byte(in)); err != nil {
		t.Fatal(err)
	}
	in = `{"id":"x","content":{"request_type":{"ADD_CERTIFICATE":{"address":{"ip":{"inner":{"V4":0}},"port":1},"certificate":{"certificate":"c","certificate_chain":[],"key":"k","versions":[],"names":[]},"expired_at":-9223372036854775808}}}}`
	r, err = UnmarshalRecord([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if e := r.GetContent().GetAddCertificate().GetExpiredAt(); e != -9223372036854775808 {
		t.Errorf("expired_at %d", e)
	}
	if out, _ := MarshalRecord(r); string(out) != in {
		t.Errorf("re-encoded as %s", out)
	}
	if _, err := UnmarshalRecord([]byte(strings.Replace(in, "-9223372036854775808", "-9223372036854775809", 1))); err == nil {
		t.Error("int64 underflow accepted")
	}
}

// TestDecodeTruncatedEverywhere cuts the every-kind file at every byte:
// a cut right after a NUL reads the records before it, and any other cut is
// ErrTruncated about the record that was cut, counted from 1, at the byte
// where that record starts.
func TestDecodeTruncatedEverywhere(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "sozu-2.1.0-all.state"))
	if err != nil {
		t.Fatal(err)
	}
	for n := 0; n <= len(data); n++ {
		cut := data[:n]
		complete := bytes.Count(cut, []byte{0})
		recs, err := Decode(bytes.NewReader(cut))
		if n == 0 || cut[n-1] == 0 {
			if err != nil || len(recs) != complete {
				t.Fatalf("cut at %d (after a NUL): %d records, %v; want %d, no error", n, len(recs), err, complete)
			}
			continue
		}
		var re *RecordError
		if !errors.As(err, &re) || !errors.Is(err, ErrTruncated) {
			t.Fatalf("cut at %d: %v, want ErrTruncated in a *RecordError", n, err)
		}
		if re.Index != complete+1 || re.Offset != int64(bytes.LastIndexByte(cut, 0)+1) {
			t.Fatalf("cut at %d: record %d at byte %d, want record %d at byte %d",
				n, re.Index, re.Offset, complete+1, bytes.LastIndexByte(cut, 0)+1)
		}
	}
}
