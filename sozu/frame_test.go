package sozu

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		t.Fatalf("bad hex in test: %v", err)
	}
	return b
}

func addr4(a, b, c, d byte, port uint32) *sozupb.SocketAddress {
	return &sozupb.SocketAddress{
		Ip:   &sozupb.IpAddress{Inner: &sozupb.IpAddress_V4{V4: binary.BigEndian.Uint32([]byte{a, b, c, d})}},
		Port: proto.Uint32(port),
	}
}

func frontend(addr *sozupb.SocketAddress) *sozupb.RequestHttpFrontend {
	return &sozupb.RequestHttpFrontend{
		ClusterId: proto.String("api"),
		Address:   addr,
		Hostname:  proto.String("a.io"),
		Path:      &sozupb.PathRule{Kind: sozupb.PathRuleKind_PREFIX.Enum(), Value: proto.String("/")},
		Position:  sozupb.RulePosition_PRE.Enum(),
	}
}

// goldenFrames are worked out by hand from the protobuf encoding rules:
// a field key is (field_number << 3) | wire_type, with wire type 0 = varint,
// 2 = length-delimited, 5 = fixed32; the frame prefix is the little-endian
// u64 length of the whole frame, its own 8 bytes included.
var goldenFrames = []struct {
	name string
	req  *sozupb.Request
	hex  string
}{
	{
		// status = 12, LEN: key 12<<3|2 = 98 = 0x62, length 0.
		// payload 2 bytes, frame 8+2 = 10 = 0x0a.
		name: "status",
		req:  &sozupb.Request{RequestType: &sozupb.Request_Status{Status: &sozupb.Status{}}},
		hex:  "0a00000000000000 6200",
	},
	{
		// list_listeners = 6, LEN: key 6<<3|2 = 0x32, length 0; frame 10.
		name: "list_listeners",
		req:  &sozupb.Request{RequestType: &sozupb.Request_ListListeners{ListListeners: &sozupb.ListListeners{}}},
		hex:  "0a00000000000000 3200",
	},
	{
		// save_state = 1, LEN: key 1<<3|2 = 0x0a, length 12 = 0x0c,
		// "/run/x.state" = 2f 72 75 6e 2f 78 2e 73 74 61 74 65.
		// payload 2+12 = 14, frame 22 = 0x16.
		name: "save_state",
		req:  &sozupb.Request{RequestType: &sozupb.Request_SaveState{SaveState: "/run/x.state"}},
		hex:  "1600000000000000 0a0c 2f72756e2f782e7374617465",
	},
	{
		// Cluster: cluster_id (1, LEN) 0a 03 "app" = 5 bytes;
		// sticky_session (2, varint) 10 00; https_redirect (3) 18 00;
		// load_balancing (5, varint) ROUND_ROBIN=0: 28 00. 5+2+2+2 = 11 = 0x0b.
		// add_cluster = 13, LEN: key 13<<3|2 = 106 = 0x6a.
		// payload 2+11 = 13, frame 21 = 0x15.
		name: "add_cluster",
		req: &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{
			ClusterId:     proto.String("app"),
			StickySession: proto.Bool(false),
			HttpsRedirect: proto.Bool(false),
			LoadBalancing: sozupb.LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
		}}},
		hex: "1500000000000000 6a0b 0a03617070 1000 1800 2800",
	},
	{
		// IpAddress: v4 (1, fixed32) key 1<<3|5 = 0x0d, 10.0.0.1 is the
		// integer 0x0a000001, written little-endian 01 00 00 0a: 5 bytes.
		// SocketAddress: ip (1, LEN) 0a 05 + 5; port (2, varint) 80 = 0x50:
		// 10 50. 7+2 = 9 bytes.
		// RequestHttpFrontend: cluster_id 0a 03 "api" (5); address 12 09 + 9
		// (11); hostname (3) 1a 04 "a.io" (6); path (4) 22 05 + PathRule
		// {kind PREFIX 08 00, value 12 01 "/"} (7); position (6, varint)
		// PRE=0: 30 00 (2). 5+11+6+7+2 = 31 = 0x1f.
		// add_http_frontend = 15, LEN: key 15<<3|2 = 122 = 0x7a.
		// payload 2+31 = 33, frame 41 = 0x29.
		name: "add_http_frontend_v4",
		req:  &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: frontend(addr4(10, 0, 0, 1, 80))}},
		hex: "2900000000000000 7a1f 0a03617069 1209 0a05 0d0100000a 1050" +
			" 1a04612e696f 2205 0800 12012f 3000",
	},
	{
		// [2001:db8::1]:443. Uint128 high = first 8 bytes = 0x20010db8_00000000,
		// low = last 8 bytes = 1.
		// low (1, varint) 08 01. high (2, varint) key 0x10; 0x20010db8<<32
		// split in 7-bit groups from the low end: bits 0-34 are zero (five
		// 0x80 bytes), bits 35-41 = bits 3-9 of 0x20010db8 = 0110111b = 0x37
		// (+0x80 = b7), bits 42-48 = bits 10-16 = 1000011b = 0x43 (c3), bits
		// 49-55 = 0 (80), bits 56-62 = bits 24-30 = 0100000b = 0x20 (last).
		// Uint128 = 2 + 1 + 9 = 12 = 0x0c bytes.
		// IpAddress: v6 (2, LEN) 12 0c + 12 = 14 = 0x0e.
		// SocketAddress: 0a 0e + 14; port 443 = 3*128+59 → bb 03: 10 bb 03.
		// 16+3 = 19 = 0x13.
		// RequestHttpFrontend: 5 + (2+19) + 6 + 7 + 2 = 41 = 0x29.
		// payload 7a 29 + 41 = 43, frame 51 = 0x33.
		name: "add_http_frontend_v6",
		req: &sozupb.Request{RequestType: &sozupb.Request_AddHttpFrontend{AddHttpFrontend: frontend(&sozupb.SocketAddress{
			Ip: &sozupb.IpAddress{Inner: &sozupb.IpAddress_V6{V6: &sozupb.Uint128{
				High: proto.Uint64(0x20010db800000000),
				Low:  proto.Uint64(1),
			}}},
			Port: proto.Uint32(443),
		})}},
		hex: "3300000000000000 7a29 0a03617069 1213 0a0e 120c 0801 10 8080808080b7c38020 10bb03" +
			" 1a04612e696f 2205 0800 12012f 3000",
	},
}

func TestGoldenEncode(t *testing.T) {
	for _, tc := range goldenFrames {
		t.Run(tc.name, func(t *testing.T) {
			want := unhex(t, tc.hex)
			var buf bytes.Buffer
			if err := WriteFrame(&buf, tc.req); err != nil {
				t.Fatalf("WriteFrame: %v", err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("encoding differs\n got %x\nwant %x", buf.Bytes(), want)
			}
		})
	}
}

func TestGoldenDecode(t *testing.T) {
	for _, tc := range goldenFrames {
		t.Run(tc.name, func(t *testing.T) {
			r := bytes.NewReader(unhex(t, tc.hex))
			got, err := ReadRequest(r, 0)
			if err != nil {
				t.Fatalf("ReadRequest: %v", err)
			}
			if !proto.Equal(got, tc.req) {
				t.Errorf("decoded %v, want %v", got, tc.req)
			}
			if r.Len() != 0 {
				t.Errorf("%d bytes left unread", r.Len())
			}
			if _, err := ReadRequest(r, 0); err != io.EOF {
				t.Errorf("second read: got %v, want io.EOF", err)
			}
		})
	}
}

func TestWriteFrameMissingRequired(t *testing.T) {
	var buf bytes.Buffer
	req := &sozupb.Request{RequestType: &sozupb.Request_AddCluster{AddCluster: &sozupb.Cluster{ClusterId: proto.String("app")}}}
	err := WriteFrame(&buf, req)
	var ee *EncodeError
	if !errors.As(err, &ee) {
		t.Fatalf("got %v, want *EncodeError", err)
	}
	if ee.Message != "command.Request" {
		t.Errorf("Message = %q", ee.Message)
	}
	if buf.Len() != 0 {
		t.Errorf("%d bytes written", buf.Len())
	}
	if err := WriteFrame(&buf, nil); err == nil {
		t.Error("nil message: no error")
	}
}

func TestWriteFrameWriterError(t *testing.T) {
	err := WriteFrame(failWriter{}, goldenFrames[0].req)
	if !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want wrapped errBoom", err)
	}
}

var errBoom = errors.New("boom")

type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errBoom }

func le(n uint64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], n)
	return string(b[:])
}

func TestReadFrame(t *testing.T) {
	tests := []struct {
		name      string
		in        string
		max       int
		want      string // payload on success
		wantEOF   bool
		wantFrame string // substring of the FrameError reason
		wantUEOF  bool   // errors.Is(err, io.ErrUnexpectedEOF)
		problem   FrameProblem
	}{
		{name: "empty stream", in: "", wantEOF: true},
		{name: "empty payload", in: le(8), want: ""},
		{name: "payload", in: le(11) + "abc", want: "abc"},
		{name: "payload then more", in: le(10) + "abXYZ", want: "ab"},
		{name: "length 0", in: le(0), wantFrame: "below the 8 bytes", problem: FrameTooShort},
		{name: "length 7", in: le(7) + "abcdefg", wantFrame: "below the 8 bytes", problem: FrameTooShort},
		{name: "length max+1", in: le(101), max: 100, wantFrame: "exceeds the maximum of 100", problem: FrameTooLong},
		{name: "length exactly max", in: le(12) + "abcd", max: 12, want: "abcd"},
		{name: "huge length", in: le(1<<63) + "x", wantFrame: "exceeds the maximum of 2000000", problem: FrameTooLong},
		{name: "short prefix", in: "\x10\x00\x00", wantFrame: "3 of the 8 length bytes", wantUEOF: true, problem: FrameTruncated},
		{name: "truncated payload", in: le(20) + "abc", wantFrame: "3 of the 12 payload bytes", wantUEOF: true, problem: FrameTruncated},
		{name: "truncated big payload", in: le(1_000_000) + strings.Repeat("z", 70_000), wantFrame: "70000 of the 999992 payload bytes", wantUEOF: true, problem: FrameTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadFrame(iotest.HalfReader(strings.NewReader(tc.in)), tc.max)
			switch {
			case tc.wantEOF:
				if err != io.EOF {
					t.Fatalf("got (%q, %v), want io.EOF", got, err)
				}
			case tc.wantFrame != "":
				var fe *FrameError
				if !errors.As(err, &fe) {
					t.Fatalf("got (%q, %v), want *FrameError", got, err)
				}
				if fe.Problem != tc.problem {
					t.Errorf("problem %v, want %v", fe.Problem, tc.problem)
				}
				if !strings.Contains(fe.Reason, tc.wantFrame) {
					t.Errorf("reason %q does not contain %q", fe.Reason, tc.wantFrame)
				}
				if errors.Is(err, io.ErrUnexpectedEOF) != tc.wantUEOF {
					t.Errorf("errors.Is(err, io.ErrUnexpectedEOF) = %v", !tc.wantUEOF)
				}
				if errors.Is(err, io.EOF) {
					t.Errorf("a malformed frame must not read as a clean io.EOF")
				}
			default:
				if err != nil {
					t.Fatalf("ReadFrame: %v", err)
				}
				if string(got) != tc.want {
					t.Errorf("payload %q, want %q", got, tc.want)
				}
			}
		})
	}
}

func TestReadFrameReaderError(t *testing.T) {
	_, err := ReadFrame(iotest.ErrReader(errBoom), 0)
	if !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want errBoom", err)
	}
	_, err = ReadFrame(io.MultiReader(strings.NewReader(le(20)+"ab"), iotest.ErrReader(errBoom)), 0)
	if !errors.Is(err, errBoom) {
		t.Fatalf("got %v, want errBoom", err)
	}
}

func TestReadResponse(t *testing.T) {
	ok := &sozupb.Response{Status: sozupb.ResponseStatus_OK.Enum(), Message: proto.String("done")}
	var buf bytes.Buffer
	if err := WriteFrame(&buf, ok); err != nil {
		t.Fatal(err)
	}
	// A status-less answer: message (2, LEN) "x" only.
	buf.WriteString(le(11) + "\x12\x01x")
	// Garbage payload: key 0x0a (field 1, LEN) claiming 5 bytes, 1 present.
	buf.WriteString(le(11) + "\x0a\x05z")

	got, err := ReadResponse(&buf, 0)
	if err != nil || !proto.Equal(got, ok) {
		t.Fatalf("got (%v, %v), want %v", got, err, ok)
	}
	got, err = ReadResponse(&buf, 0)
	if err != nil {
		t.Fatalf("status-less: %v", err)
	}
	if got.Status != nil || got.GetStatus() != sozupb.ResponseStatus_FAILURE || got.GetMessage() != "x" {
		t.Errorf("status-less answer decoded as %v (GetStatus %v)", got, got.GetStatus())
	}
	_, err = ReadResponse(&buf, 0)
	var fe *FrameError
	if !errors.As(err, &fe) || fe.Problem != FrameUndecodable || !strings.Contains(fe.Error(), "not a valid Response") {
		t.Fatalf("garbage: got %v, want *FrameError", err)
	}
	if _, err := ReadResponse(&buf, 0); err != io.EOF {
		t.Fatalf("end: got %v, want io.EOF", err)
	}
}

func TestReadRequestKeepsUnknownFields(t *testing.T) {
	// Field 999 (varint) is unknown to 2.1.0: key 999<<3 = 7992 = b8 3e, value 01.
	in := le(11) + "\xb8\x3e\x01"
	req, err := ReadRequest(strings.NewReader(in), 0)
	if err != nil {
		t.Fatal(err)
	}
	if Verb(req) != "" {
		t.Errorf("Verb = %q, want empty", Verb(req))
	}
	if got := req.ProtoReflect().GetUnknown(); !bytes.Equal(got, []byte{0xb8, 0x3e, 0x01}) {
		t.Errorf("unknown fields %x", got)
	}
}

func TestVerb(t *testing.T) {
	tests := []struct {
		req  *sozupb.Request
		want string
	}{
		{nil, ""},
		{&sozupb.Request{}, ""},
		{goldenFrames[0].req, "status"},
		{goldenFrames[2].req, "save_state"},
		{goldenFrames[3].req, "add_cluster"},
		{goldenFrames[4].req, "add_http_frontend"},
		{&sozupb.Request{RequestType: &sozupb.Request_Logging{Logging: "info"}}, "logging"},
		{&sozupb.Request{RequestType: &sozupb.Request_RemoveUdpFrontend{}}, "remove_udp_frontend"},
	}
	for _, tc := range tests {
		if got := Verb(tc.req); got != tc.want {
			t.Errorf("Verb(%v) = %q, want %q", tc.req, got, tc.want)
		}
	}
}

func TestFrameProblemString(t *testing.T) {
	for p, want := range map[FrameProblem]string{FrameTooShort: "too short", FrameTooLong: "too long", FrameTruncated: "truncated", FrameUndecodable: "undecodable", 9: "FrameProblem(9)"} {
		if p.String() != want {
			t.Errorf("%d: %q, want %q", int(p), p.String(), want)
		}
	}
}
