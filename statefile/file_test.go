package statefile

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/state"
)

// addRequests returns the golden records' requests that build a state (no
// removals, updates or runtime requests).
func addRequests(t testing.TB) []*sozupb.Request {
	var reqs []*sozupb.Request
	for _, g := range goldenRecords(t) {
		v := Verb(g.rec.GetContent())
		if strings.HasPrefix(v, "ADD_") || v == "ACTIVATE_LISTENER" {
			reqs = append(reqs, g.rec.GetContent())
		}
	}
	return reqs
}

func TestLoadAllStateFile(t *testing.T) {
	res, err := Load(filepath.Join("testdata", "sozu-2.1.0-all.state"))
	if err != nil {
		t.Fatal(err)
	}
	if res.Records != 37 {
		t.Errorf("Records = %d, want 37", res.Records)
	}
	// What Sōzu's main process rejects, replaying the file onto an empty
	// state: patches and removals of what is gone, save_state, an empty
	// request.
	want := []string{"SAVE-11", "SAVE-15", "SAVE-16", "SAVE-18", "SAVE-20", "SAVE-31", "SAVE-36"}
	var got []string
	for _, s := range res.Skipped {
		got = append(got, s.ID)
		if s.Err == nil || s.Object == "" || !strings.Contains(s.String(), s.ID) {
			t.Errorf("incomplete skipped record %+v", s)
		}
	}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("skipped %v, want %v", got, want)
	}
	var se *state.Error
	if !errors.As(res.Skipped[0].Err, &se) || se.Kind != state.NotFound {
		t.Errorf("first skip: %v, want a state NotFound error", res.Skipped[0].Err)
	}
	if n := res.State.Len(); n != 10 {
		t.Errorf("%d objects, want 10", n)
	}
}

func TestReadSozu111(t *testing.T) {
	s, err := Read(filepath.Join("testdata", "sozu-1.1.1.state"))
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range s.Objects() {
		keys = append(keys, o.Kind.String()+" "+o.Key)
	}
	want := []string{
		"cluster app-1",
		"backend app-1;app-1-backend-0;127.0.0.1:8080",
		"http_frontend 127.0.0.1:80;example.com;P/",
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	if c := s.Clusters["app-1"]; c.GetLoadMetric() != sozupb.LoadMetric_CONNECTIONS || c.Answers != nil {
		t.Errorf("cluster %v", c)
	}
}

func TestReadEmptyAndMissing(t *testing.T) {
	s, err := Read(os.DevNull)
	if err != nil || s.Len() != 0 {
		t.Fatalf("Read(%s) = %v, %v; want an empty state", os.DevNull, s, err)
	}
	s, err = ReadState(strings.NewReader(""))
	if err != nil || s.Len() != 0 {
		t.Fatalf("ReadState(\"\") = %v, %v", s, err)
	}
	missing := filepath.Join(t.TempDir(), "nope.state")
	if _, err := Read(missing); err == nil || !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Read(missing) = %v, want a not-exist error", err)
	}
}

func TestReadCorruptNamesFileAndRecord(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.state")
	if err := os.WriteFile(path, []byte(okRecord+"\n\x00{\"id\":\n\x00"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Read(path)
	var re *RecordError
	if !errors.As(err, &re) || re.Index != 2 {
		t.Fatalf("err = %v, want a *RecordError for record 2", err)
	}
	if !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "record 2 (byte 69)") {
		t.Errorf("error %q does not name the file and record", err)
	}
	if _, err := ReadState(strings.NewReader(okRecord)); !errors.Is(err, ErrTruncated) {
		t.Errorf("ReadState(truncated) = %v, want ErrTruncated", err)
	}
}

// TestWriteReadRoundTrip writes a state with every kind of object and reads
// it back equal, in Sōzu's record order and format.
func TestWriteReadRoundTrip(t *testing.T) {
	s, err := state.FromRequests(addRequests(t))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "out.state")
	if err := Write(path, s); err != nil {
		t.Fatal(err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if info.Mode().Perm() != FileMode {
		t.Errorf("mode %v, want %v", info.Mode().Perm(), FileMode)
	}
	back, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Skipped) != 0 {
		t.Errorf("skipped: %v", back.Skipped)
	}
	if !back.State.Equal(s) || back.State.Fingerprint() != s.Fingerprint() {
		t.Errorf("state read back differs")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var want bytes.Buffer
	if err := Encode(&want, Records(s.Requests())); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(data, want.Bytes()) {
		t.Errorf("file differs from Encode(Records(s.Requests()))")
	}
	if !bytes.HasPrefix(data, []byte(`{"id":"SAVE-0","content":{"request_type":{"ADD_HTTP_LISTENER":`)) {
		t.Errorf("file starts with %.80s", data)
	}
	// Overwriting keeps the mode tight even over a looser file.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Write(path, state.New()); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(path); info.Mode().Perm() != FileMode || info.Size() != 0 {
		t.Errorf("after rewrite: mode %v size %d", info.Mode().Perm(), info.Size())
	}
	assertOnlyFiles(t, dir, "out.state")
}

func TestWriteRequestsIDs(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bulk.state")
	reqs := []*sozupb.Request{
		{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "a"}},
		{RequestType: &sozupb.Request_RemoveCluster{RemoveCluster: "b"}},
	}
	if err := WriteRequests(path, reqs); err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(path)
	want := `{"id":"SAVE-0","content":{"request_type":{"REMOVE_CLUSTER":"a"}}}` + "\n\x00" +
		`{"id":"SAVE-1","content":{"request_type":{"REMOVE_CLUSTER":"b"}}}` + "\n\x00"
	if string(data) != want {
		t.Errorf("got %q", data)
	}
}

func TestWriteFailuresLeaveNothing(t *testing.T) {
	dir := t.TempDir()
	// The target is a directory: the rename fails after the temporary file
	// was written.
	target := filepath.Join(dir, "taken")
	if err := os.MkdirAll(filepath.Join(target, "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := Write(target, state.New()); err == nil {
		t.Error("Write over a directory did not fail")
	}
	assertOnlyFiles(t, dir, "taken")

	// A record too large for Sōzu: refused before any file is created.
	big := []*sozupb.Request{{RequestType: &sozupb.Request_Logging{Logging: strings.Repeat("x", MaxRecordSize)}}}
	err := WriteRequests(filepath.Join(dir, "big.state"), big)
	var tl *RecordTooLargeError
	if !errors.As(err, &tl) {
		t.Errorf("err = %v, want a *RecordTooLargeError", err)
	}
	assertOnlyFiles(t, dir, "taken")

	// A directory that does not exist.
	if err := Write(filepath.Join(dir, "no", "such", "dir.state"), state.New()); err == nil {
		t.Error("Write into a missing directory did not fail")
	}
}

func assertOnlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Errorf("directory holds %v, want %v", got, names)
	}
}

// TestLoadReportsLargeRecords: Sōzu may write records its load_state cannot
// read back; Load reads them and lists them.
func TestLoadReportsLargeRecords(t *testing.T) {
	big := `{"id":"SAVE-1","content":{"request_type":{"LOGGING":"` + strings.Repeat("x", MaxRecordSize) + `"}}}`
	in := okRecord + "\n\x00" + big + "\n\x00"
	res, err := LoadReader(strings.NewReader(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Large) != 1 || res.Large[0].Index != 2 || res.Large[0].Size != len(big)+2 || res.Large[0].ID != "SAVE-1" {
		t.Fatalf("Large = %+v", res.Large)
	}
	if s := res.Large[0].String(); !strings.Contains(s, "record 2 (SAVE-1, LOGGING xxx") || !strings.Contains(s, "under 100000 bytes") || len(s) > 200 {
		t.Errorf("String() = %.200s", s)
	}
	small, err := LoadReader(strings.NewReader(okRecord + "\n\x00"))
	if err != nil || len(small.Large) != 0 {
		t.Errorf("small file: %v %v", small.Large, err)
	}
}

// TestReadSozu111Save reads a whole file as Sōzu 1.1.1's save_state writes
// it: every 1.1.1 field present, none of those added since.
func TestReadSozu111Save(t *testing.T) {
	res, err := Load(filepath.Join("testdata", "sozu-1.1.1-save.state"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Skipped) != 0 || res.Records != 11 {
		t.Fatalf("%d records, skipped %v", res.Records, res.Skipped)
	}
	var keys []string
	for _, o := range res.State.Objects() {
		keys = append(keys, o.Kind.String()+" "+o.Key)
	}
	want := []string{
		"http_listener 0.0.0.0:80",
		"https_listener 0.0.0.0:443",
		"tcp_listener 0.0.0.0:5432",
		"cluster app-1",
		"backend app-1;app-1-0;127.0.0.1:8080",
		"http_frontend 0.0.0.0:80;example.com;P/",
		"https_frontend 0.0.0.0:443;example.com;P/",
		"tcp_frontend db;0.0.0.0:5432",
		"certificate 0.0.0.0:443;ccf72380a62a235fbf5474c2a85f6f68d0a1398f2dada1b19df37e10d4aea723",
	}
	if strings.Join(keys, "\n") != strings.Join(want, "\n") {
		t.Errorf("objects:\n%s\nwant:\n%s", strings.Join(keys, "\n"), strings.Join(want, "\n"))
	}
	s := res.State
	h := s.HTTPListeners["0.0.0.0:80"]
	if !h.GetActive() || h.GetHttpAnswers().GetAnswer_503() == "" || h.GetHttpAnswers().Answer_421 != nil || h.Answers != nil || h.H2MaxConcurrentStreams != nil {
		t.Errorf("http listener %v", h)
	}
	hs := s.HTTPSListeners["0.0.0.0:443"]
	if hs.AlpnProtocols != nil || hs.Hsts != nil || hs.GetSendTls13Tickets() != 4 || len(hs.GetVersions()) != 2 {
		t.Errorf("https listener %v", hs)
	}
	if c := s.Clusters["app-1"]; c.HealthCheck != nil || c.Http2 != nil || !c.GetHttpsRedirect() {
		t.Errorf("cluster %v", c)
	}
	// Written back, the file has Sōzu 2.1.0's shape: the newer fields appear.
	var out bytes.Buffer
	if err := Encode(&out, Records(s.Requests())); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"alpn_protocols":[],"h2_max_rst_stream_per_window":null`) ||
		!strings.Contains(out.String(), `"answer_421":null`) {
		t.Errorf("re-encoded file lacks the 2.x fields:\n%s", out.String())
	}
}
