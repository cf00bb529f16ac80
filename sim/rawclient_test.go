package sim

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/sozuctl-plan/sozuctl-plan/internal/testsock"
	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
	"github.com/sozuctl-plan/sozuctl-plan/statefile"
)

// The tests of this file talk to the simulator the way a client written
// from Sōzu's sources alone would: the framing is done here by hand (8-byte
// little-endian length counting itself, then the protobuf payload), without
// the sozu package that the simulator itself uses, and the expected frames
// are spelled out byte by byte.

// rawSim serves a simulator on a fresh socket and returns a connection to it.
func rawSim(t *testing.T, opts Options) (*Simulator, net.Conn) {
	t.Helper()
	s, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(testsock.Dir(t), "r.sock")
	ln, err := Listen(path)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- s.Serve(ln) }()
	t.Cleanup(func() {
		s.Close()
		if err := <-done; err != nil {
			t.Errorf("Serve: %v", err)
		}
	})
	c, err := net.Dial("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return s, c
}

// rawFrame builds a frame by hand.
func rawFrame(t *testing.T, m proto.Message) []byte {
	t.Helper()
	payload, err := proto.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	out := binary.LittleEndian.AppendUint64(nil, uint64(8+len(payload)))
	return append(out, payload...)
}

// rawRead reads one whole frame, prefix included, within a second.
func rawRead(t *testing.T, c net.Conn) ([]byte, error) {
	t.Helper()
	c.SetReadDeadline(time.Now().Add(time.Second))
	defer c.SetReadDeadline(time.Time{})
	prefix := make([]byte, 8)
	if _, err := io.ReadFull(c, prefix); err != nil {
		return nil, err
	}
	n := binary.LittleEndian.Uint64(prefix)
	if n < 8 || n > 2_000_000 {
		t.Fatalf("answer declares %d bytes", n)
	}
	frame := make([]byte, n)
	copy(frame, prefix)
	if _, err := io.ReadFull(c, frame[8:]); err != nil {
		t.Fatalf("answer cut short: %v", err)
	}
	return frame, nil
}

// rawExchange writes one request and reads frames until a terminal status,
// returning the frames and their decoded answers.
func rawExchange(t *testing.T, c net.Conn, req *sozupb.Request) ([][]byte, []*sozupb.Response) {
	t.Helper()
	if _, err := c.Write(rawFrame(t, req)); err != nil {
		t.Fatal(err)
	}
	var frames [][]byte
	var answers []*sozupb.Response
	for {
		f, err := rawRead(t, c)
		if err != nil {
			t.Fatalf("reading answer %d: %v", len(answers)+1, err)
		}
		r := &sozupb.Response{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(f[8:], r); err != nil {
			t.Fatalf("answer %x does not decode: %v", f, err)
		}
		frames, answers = append(frames, f), append(answers, r)
		if r.GetStatus() != sozupb.ResponseStatus_PROCESSING {
			return frames, answers
		}
	}
}

// textFrame is the frame of a Response with a status and a message and no
// content: field 1 (varint) then field 2 (length-delimited), as protobuf
// lays them out. Messages are kept under 128 bytes so that their length is
// one byte.
func textFrame(status byte, msg string) []byte {
	body := append([]byte{0x08, status, 0x12, byte(len(msg))}, msg...)
	return append(binary.LittleEndian.AppendUint64(nil, uint64(8+len(body))), body...)
}

func TestRawClientAnswerBytes(t *testing.T) {
	const ok, processing, failure = 0, 1, 2
	_, c := rawSim(t, Options{})
	tests := []struct {
		name string
		req  *sozupb.Request
		want [][]byte
	}{
		{"accepted mutation", addCluster("a"), [][]byte{
			textFrame(processing, "Processing worker request..."),
			textFrame(ok, "Successfully applied request to all workers"),
		}},
		{"listener", addHTTPListener("0.0.0.0:80", false), [][]byte{
			textFrame(processing, "Processing worker request..."),
			textFrame(ok, "Successfully applied request to all workers"),
		}},
		{"duplicate listener", addHTTPListener("0.0.0.0:80", false), [][]byte{
			textFrame(failure, "could not dispatch request on the main process state: HttpListener '0.0.0.0:80' already exists"),
		}},
		{"removal of a missing cluster", removeCluster("zz"), [][]byte{
			textFrame(failure, "could not dispatch request on the main process state: Did not find Cluster with address or id 'zz'"),
		}},
		{"bad logging filter", &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "x=y"}}, [][]byte{
			textFrame(failure, "Error parsing logging filter:\n- Invalid log level: x=y"),
		}},
		{"runtime setting", &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "debug"}}, [][]byte{
			textFrame(processing, "Processing worker request..."),
			textFrame(ok, "Successfully applied request to all workers"),
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, _ := rawExchange(t, c, tc.req)
			if len(got) != len(tc.want) {
				t.Fatalf("%d answers, want %d", len(got), len(tc.want))
			}
			for i := range got {
				if !bytes.Equal(got[i], tc.want[i]) {
					t.Errorf("answer %d:\n got %x\nwant %x", i, got[i], tc.want[i])
				}
			}
		})
	}
}

func TestRawClientShapes(t *testing.T) {
	s, c := rawSim(t, Options{Workers: 3})
	rawExchange(t, c, addCluster("a"))

	// Status: PROCESSING, then OK listing every worker RUNNING, ids 0..2.
	_, rs := rawExchange(t, c, &sozupb.Request{RequestType: &sozupb.Request_Status{Status: &sozupb.Status{}}})
	if len(rs) != 2 || rs[0].GetMessage() != "Querying status of workers..." {
		t.Fatalf("status answers %v", rs)
	}
	var ids []uint32
	for _, w := range rs[1].GetContent().GetWorkers().GetVec() {
		if w.GetRunState() != sozupb.RunState_RUNNING || w.GetPid() != int32(os.Getpid()) {
			t.Errorf("worker %v", w)
		}
		ids = append(ids, w.GetId())
	}
	if !equalU32(ids, []uint32{0, 1, 2}) {
		t.Errorf("status lists workers %v", ids)
	}

	// ListWorkers: one OK with the same shape.
	_, rs = rawExchange(t, c, &sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}})
	if len(rs) != 1 || len(rs[0].GetContent().GetWorkers().GetVec()) != 3 {
		t.Errorf("list_workers answers %v", rs)
	}

	// QueryClustersHashes: "main" and one key per worker, named by its id.
	_, rs = rawExchange(t, c, hashesReq())
	if len(rs) != 2 || rs[0].GetMessage() != "Querying cluster..." || rs[1].GetMessage() != "Successfully queried clusters" {
		t.Fatalf("hashes answers %v", rs)
	}
	m := rs[1].GetContent().GetWorkerResponses().GetMap()
	if got := sortedKeys(m); !equalStrings(got, []string{"0", "1", "2", "main"}) {
		t.Errorf("hash keys %v", got)
	}
	for k, v := range m {
		if _, ok := v.GetClusterHashes().GetMap()["a"]; !ok {
			t.Errorf("%s has no hash for cluster a", k)
		}
	}

	// QueryClusterById of an unknown cluster: every entry is an empty list.
	_, rs = rawExchange(t, c, &sozupb.Request{RequestType: &sozupb.Request_QueryClusterById{QueryClusterById: "none"}})
	for k, v := range rs[1].GetContent().GetWorkerResponses().GetMap() {
		if v.GetClusters() == nil || len(v.GetClusters().GetVec()) != 0 {
			t.Errorf("%s: %v, want an empty cluster list", k, v)
		}
	}

	// CountRequests: Sōzu's census names, first occurrence counted as 2,
	// queries and the refused logging filter not counted.
	rawExchange(t, c, addCluster("b"))
	rawExchange(t, c, &sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "nope"}})
	_, rs = rawExchange(t, c, &sozupb.Request{RequestType: &sozupb.Request_CountRequests{CountRequests: &sozupb.CountRequests{}}})
	if got := rs[0].GetContent().GetRequestCounts().GetMap(); len(got) != 1 || got["AddCluster"] != 3 {
		t.Errorf("counts %v, want AddCluster: 3 only", got)
	}
	if s.Received() != 2 {
		t.Errorf("received %d state changes, want 2", s.Received())
	}
}

// TestRawClientFraming: what Sōzu does with frames that are not one clean
// request at a time.
func TestRawClientFraming(t *testing.T) {
	_, c := rawSim(t, Options{})
	listWorkers := rawFrame(t, &sozupb.Request{RequestType: &sozupb.Request_ListWorkers{ListWorkers: &sozupb.ListWorkers{}}})
	listListeners := rawFrame(t, &sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}})
	silence := func() {
		t.Helper()
		c.SetReadDeadline(time.Now().Add(150 * time.Millisecond))
		defer c.SetReadDeadline(time.Time{})
		var b [1]byte
		if n, err := c.Read(b[:]); n != 0 || !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("got %d bytes (%v), want silence", n, err)
		}
	}
	message := func() string {
		t.Helper()
		f, err := rawRead(t, c)
		if err != nil {
			t.Fatal(err)
		}
		r := &sozupb.Response{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(f[8:], r); err != nil {
			t.Fatal(err)
		}
		return r.GetMessage()
	}

	// Two frames in one write: only the last is answered.
	c.Write(append(append([]byte{}, listWorkers...), listListeners...))
	if got := message(); got != "Successfully listed listeners" {
		t.Errorf("pipelined frames answered %q", got)
	}
	silence()

	// A frame declaring 3 bytes: its 8 prefix bytes are skipped.
	c.Write(append(binary.LittleEndian.AppendUint64(nil, 3), listWorkers...))
	if got := message(); got != "Successfully listed workers" {
		t.Errorf("after a short frame: %q", got)
	}

	// An empty request (a frame of just its prefix) and an unknown tag get
	// no answer, and the connection stays usable.
	c.Write(binary.LittleEndian.AppendUint64(nil, 8))
	silence()
	unknown := []byte{0xa2, 0x06, 0x00} // field 100, empty message
	c.Write(append(binary.LittleEndian.AppendUint64(nil, uint64(8+len(unknown))), unknown...))
	silence()
	// A request sent one byte at a time is read whole.
	for _, b := range listWorkers {
		c.Write([]byte{b})
	}
	if got := message(); got != "Successfully listed workers" {
		t.Errorf("byte by byte: %q", got)
	}

	// A frame declaring more than 2,000,000 bytes: Sōzu never answers on the
	// connection again; the simulator closes it.
	c.Write(binary.LittleEndian.AppendUint64(nil, 2_000_001))
	c.SetReadDeadline(time.Now().Add(time.Second))
	var b [1]byte
	if n, err := c.Read(b[:]); n != 0 || !errors.Is(err, io.EOF) {
		t.Errorf("after an oversized frame: %d bytes, %v; want the connection closed", n, err)
	}
}

// TestRawClientStateFiles: a simulator started from each sample state file
// (Sōzu 1.1.1 and 2.1.0) saves the same objects over the socket, and
// load_state of that file into a fresh simulator gives them back.
func TestRawClientStateFiles(t *testing.T) {
	for _, name := range []string{"sozu-1.1.1.state", "sozu-1.1.1-save.state", "sozu-2.1.0-all.state"} {
		t.Run(name, func(t *testing.T) {
			want, err := statefile.Read(filepath.Join("..", "statefile", "testdata", name))
			if err != nil {
				t.Fatal(err)
			}
			_, c := rawSim(t, Options{Preload: want})
			file := filepath.Join(testsock.Dir(t), "saved.state")
			_, rs := rawExchange(t, c, saveReq(file))
			if len(rs) != 1 || rs[0].GetStatus() != sozupb.ResponseStatus_OK {
				t.Fatalf("save_state answers %v", rs)
			}
			got, err := statefile.Read(file)
			if err != nil {
				t.Fatal(err)
			}
			if !got.Equal(want) {
				t.Errorf("save_state holds %d objects, the file had %d (or they differ)", got.Len(), want.Len())
			}

			// The samples hold frontends without a listener: the main process
			// takes them and the workers refuse them, so the terminal answer
			// may be FAILURE with a count of worker errors, as in Sōzu.
			fresh, c2 := rawSim(t, Options{})
			_, rs = rawExchange(t, c2, loadReq(file))
			if len(rs) != 3 || !loadCounts.MatchString(rs[2].GetMessage()) {
				t.Fatalf("load_state answers %v", rs)
			}
			if !fresh.MainState().Equal(want) {
				t.Error("load_state into a fresh simulator gives another state")
			}
			for i := range fresh.Workers() {
				if !fresh.Worker(i).State().Equal(want) {
					t.Errorf("worker %d's copy differs after load_state", i)
				}
			}
		})
	}
}

// loadCounts matches both terminal answers of a load_state that read the
// whole file.
var loadCounts = regexp.MustCompile(`^(Successfully loaded state from path .*, \d+ ok messages, 0 errors|loading state: \d+ ok messages, [1-9]\d* errors)$`)

func equalU32(a, b []uint32) bool {
	sort.Slice(a, func(i, j int) bool { return a[i] < a[j] })
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestRawClientPartialRequest: Sōzu decodes a request that lacks a required
// field with the field's defaults and takes it; the object it stored is
// listed afterwards like any other.
func TestRawClientPartialRequest(t *testing.T) {
	_, c := rawSim(t, Options{})
	partial := &sozupb.Request{RequestType: &sozupb.Request_AddUdpListener{AddUdpListener: &sozupb.UdpListenerConfig{}}}
	payload, err := proto.MarshalOptions{AllowPartial: true}.Marshal(partial)
	if err != nil {
		t.Fatal(err)
	}
	c.Write(append(binary.LittleEndian.AppendUint64(nil, uint64(8+len(payload))), payload...))
	for i := 0; ; i++ {
		f, err := rawRead(t, c)
		if err != nil {
			t.Fatalf("answer %d: %v", i+1, err)
		}
		r := &sozupb.Response{}
		if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(f[8:], r); err != nil {
			t.Fatal(err)
		}
		if r.GetStatus() != sozupb.ResponseStatus_PROCESSING {
			break
		}
	}
	_, rs := rawExchange(t, c, &sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}})
	if got := sortedKeys(rs[0].GetContent().GetListenersList().GetUdpListeners()); !equalStrings(got, []string{"0.0.0.0:0"}) {
		t.Errorf("UDP listeners %v, want the one at 0.0.0.0:0", got)
	}
}
