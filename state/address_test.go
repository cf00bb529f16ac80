package state

import (
	"testing"

	"google.golang.org/protobuf/proto"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

func TestAddressRoundTrip(t *testing.T) {
	for _, s := range []string{"0.0.0.0:80", "10.0.0.1:65535", "[::1]:443", "[2001:db8::1]:53", "[::ffff:1.2.3.4]:80", "[::]:0"} {
		a, err := ParseAddress(s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if got := FormatAddress(a); got != s {
			t.Errorf("FormatAddress(ParseAddress(%q)) = %q", s, got)
		}
		ap, err := AddrPort(a)
		if err != nil || ap.String() != s {
			t.Errorf("AddrPort(%q) = %v, %v", s, ap, err)
		}
	}
	for _, bad := range []string{"", "1.2.3.4", "localhost:80", "1.2.3.4:70000", "[::1%eth0]:80x"} {
		if _, err := ParseAddress(bad); err == nil {
			t.Errorf("ParseAddress(%q) accepted", bad)
		}
	}
}

func TestFormatAddressLikeSozu(t *testing.T) {
	tests := []struct {
		name string
		a    *sozupb.SocketAddress
		want string
	}{
		{"nil address", nil, "0.0.0.0:0"},
		{"missing ip", &sozupb.SocketAddress{Port: proto.Uint32(8080)}, "0.0.0.0:8080"},
		{"port truncated to 16 bits", &sozupb.SocketAddress{Ip: &sozupb.IpAddress{Inner: &sozupb.IpAddress_V4{V4: 0x7f000001}}, Port: proto.Uint32(65536 + 80)}, "127.0.0.1:80"},
		{"v6 halves", &sozupb.SocketAddress{Ip: &sozupb.IpAddress{Inner: &sozupb.IpAddress_V6{V6: &sozupb.Uint128{High: proto.Uint64(0x20010db800000000), Low: proto.Uint64(1)}}}, Port: proto.Uint32(1)}, "[2001:db8::1]:1"},
	}
	for _, tt := range tests {
		if got := FormatAddress(tt.a); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
	if _, err := AddrPort(&sozupb.SocketAddress{Port: proto.Uint32(70000)}); err == nil {
		t.Error("AddrPort accepts a port above 65535")
	}
}

func FuzzParseAddress(f *testing.F) {
	for _, s := range []string{"0.0.0.0:80", "[::1]:443", "1.2.3.4:99999", "[::ffff:1.2.3.4]:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAddress(s)
		if err != nil {
			return
		}
		again, err := ParseAddress(FormatAddress(a))
		if err != nil || !proto.Equal(a, again) {
			t.Fatalf("%q → %q does not parse back the same (%v)", s, FormatAddress(a), err)
		}
	})
}
