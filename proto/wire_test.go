package sozupb

import (
	"encoding/hex"
	"testing"

	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// Wire facts a client of Sōzu relies on, pinned against the generated code.

func TestEncodings(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		want string // hex
	}{
		{
			name: "list_listeners is tag 6 with an empty body",
			msg:  &Request{RequestType: &Request_ListListeners{ListListeners: &ListListeners{}}},
			want: "3200",
		},
		{
			name: "add_cluster is tag 13, required scalars written even when zero",
			msg: &Request{RequestType: &Request_AddCluster{AddCluster: &Cluster{
				ClusterId:     proto.String("app"),
				StickySession: proto.Bool(false),
				HttpsRedirect: proto.Bool(false),
				LoadBalancing: LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
			}}},
			want: "6a0b0a036170701000180028" + "00",
		},
		{
			name: "IPv4 is a fixed32 holding the address big-endian",
			msg:  &SocketAddress{Ip: &IpAddress{Inner: &IpAddress_V4{V4: 0x7F000001}}, Port: proto.Uint32(80)},
			want: "0a050d0100007f1050",
		},
		{
			name: "IPv6 halves: low is field 1, high field 2",
			msg:  &Uint128{Low: proto.Uint64(1), High: proto.Uint64(0)},
			want: "08011000",
		},
		{
			name: "Logging (capital L) is tag 42",
			msg:  &Request{RequestType: &Request_Logging{Logging: "info"}},
			want: "d20204696e666f",
		},
		{
			name: "remove_cluster is a bare string at tag 14",
			msg:  &Request{RequestType: &Request_RemoveCluster{RemoveCluster: "app"}},
			want: "7203617070",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := proto.MarshalOptions{Deterministic: true}.Marshal(tt.msg)
			if err != nil {
				t.Fatalf("marshal: %v", err)
			}
			if got := hex.EncodeToString(b); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

// TestRequiredFieldsAreEnforced shows Go refusing to marshal a message
// missing a proto2 required field unless AllowPartial is set, while Sōzu
// would accept it and use the declared default. Unmarshal refuses it too,
// except below a oneof member (any Request payload, any ResponseContent):
// there protobuf-go's Unmarshal lets it through, and only
// proto.CheckInitialized notices.
func TestRequiredFieldsAreEnforced(t *testing.T) {
	tests := []struct {
		name string
		msg  proto.Message
		// inOneof: the missing field sits below a oneof member.
		inOneof bool
	}{
		{"cluster without sticky_session", &Cluster{ClusterId: proto.String("app"), HttpsRedirect: proto.Bool(false), LoadBalancing: LoadBalancingAlgorithms_RANDOM.Enum()}, false},
		{"frontend without position", &RequestHttpFrontend{
			Address:  &SocketAddress{Ip: &IpAddress{Inner: &IpAddress_V4{V4: 1}}, Port: proto.Uint32(80)},
			Hostname: proto.String("example.com"),
			Path:     &PathRule{Kind: PathRuleKind_PREFIX.Enum(), Value: proto.String("")},
		}, false},
		{"https listener without send_tls13_tickets", &HttpsListenerConfig{
			Address:        &SocketAddress{Ip: &IpAddress{Inner: &IpAddress_V4{V4: 1}}, Port: proto.Uint32(443)},
			ExpectProxy:    proto.Bool(false),
			StickyName:     proto.String("SOZUBALANCEID"),
			FrontTimeout:   proto.Uint32(60),
			BackTimeout:    proto.Uint32(30),
			ConnectTimeout: proto.Uint32(3),
			RequestTimeout: proto.Uint32(10),
			Active:         proto.Bool(false),
		}, false},
		{"socket address without ip, nested in a request", &Request{RequestType: &Request_RemoveListener{RemoveListener: &RemoveListener{
			Address: &SocketAddress{Port: proto.Uint32(80)},
			Proxy:   ListenerType_HTTP.Enum(),
		}}}, true},
		{"cluster without sticky_session, in a request", &Request{RequestType: &Request_AddCluster{AddCluster: &Cluster{ClusterId: proto.String("app")}}}, true},
		{"worker request without content", &WorkerRequest{Id: proto.String("SAVE-1")}, false},
		{"response without status", &Response{Message: proto.String("")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := proto.Marshal(tt.msg); err == nil {
				t.Error("Marshal accepted a message missing a required field")
			}
			b, err := proto.MarshalOptions{AllowPartial: true}.Marshal(tt.msg)
			if err != nil {
				t.Fatalf("Marshal with AllowPartial: %v", err)
			}
			back := tt.msg.ProtoReflect().New().Interface()
			err = proto.Unmarshal(b, back)
			if tt.inOneof && err != nil {
				t.Errorf("Unmarshal now checks required fields below a oneof (%v): update this test and the notes that rely on it", err)
			}
			if !tt.inOneof && err == nil {
				t.Error("Unmarshal accepted a message missing a required field")
			}
			if err := proto.CheckInitialized(back); err == nil {
				t.Error("CheckInitialized accepted a message missing a required field")
			}
			if err := (proto.UnmarshalOptions{AllowPartial: true}).Unmarshal(b, back); err != nil {
				t.Errorf("Unmarshal with AllowPartial: %v", err)
			}
		})
	}
}

// TestDeclaredDefaults checks that the getters of unset fields return the
// proto2 defaults Sōzu itself fills in for missing fields.
func TestDeclaredDefaults(t *testing.T) {
	tests := []struct {
		name      string
		got, want any
	}{
		{"frontend position", (&RequestHttpFrontend{}).GetPosition(), RulePosition_TREE},
		{"frontend redirect", (&RequestHttpFrontend{}).GetRedirect(), RedirectPolicy_FORWARD},
		{"response status", (&Response{}).GetStatus(), ResponseStatus_FAILURE},
		{"cluster load balancing", (&Cluster{}).GetLoadBalancing(), LoadBalancingAlgorithms_ROUND_ROBIN},
		{"http front timeout", (&HttpListenerConfig{}).GetFrontTimeout(), uint32(60)},
		{"http back timeout", (&HttpListenerConfig{}).GetBackTimeout(), uint32(30)},
		{"http connect timeout", (&HttpListenerConfig{}).GetConnectTimeout(), uint32(3)},
		{"http request timeout", (&HttpListenerConfig{}).GetRequestTimeout(), uint32(10)},
		{"https tickets (no declared default)", (&HttpsListenerConfig{}).GetSendTls13Tickets(), uint64(0)},
		{"udp front timeout", (&UdpListenerConfig{}).GetFrontTimeout(), uint32(30)},
		{"udp datagram size", (&UdpListenerConfig{}).GetMaxRxDatagramSize(), uint32(1500)},
		{"udp health fail_open", (&UdpHealthConfig{}).GetFailOpen(), true},
		{"health check interval", (&HealthCheckConfig{}).GetInterval(), uint32(10)},
		{"access log format (first value, not 0)", (&ServerConfig{}).GetAccessLogFormat(), ProtobufAccessLogFormat_Ascii},
		{"server buffer size", (&ServerConfig{}).GetBufferSize(), uint64(16393)},
		{"server log level", (&ServerConfig{}).GetLogLevel(), "info"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %v, want %v", tt.got, tt.want)
			}
		})
	}
}

// TestUnknownRequestTag shows what a server that does not know a request
// tag sees: no member set, the bytes kept as unknown fields. Sōzu (prost)
// does the same and then sends no answer at all.
func TestUnknownRequestTag(t *testing.T) {
	b := protowire.AppendTag(nil, 60, protowire.BytesType)
	b = protowire.AppendBytes(b, nil)
	var req Request
	if err := proto.Unmarshal(b, &req); err != nil {
		t.Fatalf("unmarshal: %v", err)
	}
	if req.GetRequestType() != nil {
		t.Errorf("request type = %T, want none", req.GetRequestType())
	}
	if len(req.ProtoReflect().GetUnknown()) != len(b) {
		t.Errorf("unknown bytes = %x, want %x", req.ProtoReflect().GetUnknown(), b)
	}
}

// BenchmarkMarshalAddCluster measures encoding one typical request.
func BenchmarkMarshalAddCluster(b *testing.B) {
	req := &Request{RequestType: &Request_AddCluster{AddCluster: &Cluster{
		ClusterId:     proto.String("app"),
		StickySession: proto.Bool(false),
		HttpsRedirect: proto.Bool(true),
		LoadBalancing: LoadBalancingAlgorithms_ROUND_ROBIN.Enum(),
		Answers:       map[string]string{"503": "HTTP/1.1 503 Service Unavailable\r\n\r\n"},
	}}}
	for b.Loop() {
		if _, err := proto.Marshal(req); err != nil {
			b.Fatal(err)
		}
	}
}
