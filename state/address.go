package state

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	sozupb "github.com/sozuctl-plan/sozuctl-plan/proto"
)

// ParseAddress reads a socket address written as "ip:port" ("0.0.0.0:443",
// "[::1]:8080") into Sōzu's SocketAddress. The port must be in 0..65535.
func ParseAddress(s string) (*sozupb.SocketAddress, error) {
	ap, err := netip.ParseAddrPort(s)
	if err != nil {
		return nil, fmt.Errorf("invalid socket address %q: want \"ip:port\", such as \"0.0.0.0:80\" or \"[::1]:8080\"", s)
	}
	return AddressFromAddrPort(ap), nil
}

// AddressFromAddrPort converts a Go address and port to Sōzu's SocketAddress.
// An IPv4-mapped IPv6 address stays IPv6, as it does in Sōzu.
func AddressFromAddrPort(ap netip.AddrPort) *sozupb.SocketAddress {
	ip := &sozupb.IpAddress{}
	addr := ap.Addr()
	if addr.Is4() {
		b := addr.As4()
		ip.Inner = &sozupb.IpAddress_V4{V4: binary.BigEndian.Uint32(b[:])}
	} else {
		b := addr.As16()
		// Sōzu packs the 128-bit address as a u128: high = first 8 bytes,
		// low = last 8 bytes (big-endian halves).
		ip.Inner = &sozupb.IpAddress_V6{V6: &sozupb.Uint128{
			High: ptr(binary.BigEndian.Uint64(b[:8])),
			Low:  ptr(binary.BigEndian.Uint64(b[8:])),
		}}
	}
	return &sozupb.SocketAddress{Ip: ip, Port: ptr(uint32(ap.Port()))}
}

// AddrPort converts Sōzu's SocketAddress to a Go address and port. A missing
// IP decodes as 0.0.0.0, as Sōzu does; a port above 65535 is an error.
func AddrPort(a *sozupb.SocketAddress) (netip.AddrPort, error) {
	if a == nil {
		return netip.AddrPort{}, fmt.Errorf("missing socket address")
	}
	if a.GetPort() > 65535 {
		return netip.AddrPort{}, fmt.Errorf("port %d out of range 0..65535", a.GetPort())
	}
	port := uint16(a.GetPort())
	switch inner := a.GetIp().GetInner().(type) {
	case *sozupb.IpAddress_V4:
		var b [4]byte
		binary.BigEndian.PutUint32(b[:], inner.V4)
		return netip.AddrPortFrom(netip.AddrFrom4(b), port), nil
	case *sozupb.IpAddress_V6:
		var b [16]byte
		binary.BigEndian.PutUint64(b[:8], inner.V6.GetHigh())
		binary.BigEndian.PutUint64(b[8:], inner.V6.GetLow())
		return netip.AddrPortFrom(netip.AddrFrom16(b), port), nil
	default:
		return netip.AddrPortFrom(netip.IPv4Unspecified(), port), nil
	}
}

// FormatAddress renders a SocketAddress the way Sōzu renders a Rust
// SocketAddr: "10.0.0.1:80", "[::1]:443". It is the key of listeners and
// certificate maps and the first part of HTTP route keys. It converts as
// Sōzu does (command/src/request.rs:357-385): a missing address or IP is
// 0.0.0.0, and a port above 65535 keeps its low 16 bits.
func FormatAddress(a *sozupb.SocketAddress) string {
	return sozuAddrPort(a).String()
}

// sozuAddrPort converts a SocketAddress as Sōzu does; it never fails.
func sozuAddrPort(a *sozupb.SocketAddress) netip.AddrPort {
	port := uint16(a.GetPort()) // truncation, as Rust's `as u16`
	var b [4]byte
	switch inner := a.GetIp().GetInner().(type) {
	case *sozupb.IpAddress_V4:
		binary.BigEndian.PutUint32(b[:], inner.V4)
		return netip.AddrPortFrom(netip.AddrFrom4(b), port)
	case *sozupb.IpAddress_V6:
		var b16 [16]byte
		binary.BigEndian.PutUint64(b16[:8], inner.V6.GetHigh())
		binary.BigEndian.PutUint64(b16[8:], inner.V6.GetLow())
		return netip.AddrPortFrom(netip.AddrFrom16(b16), port)
	}
	return netip.AddrPortFrom(netip.IPv4Unspecified(), port)
}

func ptr[T any](v T) *T { return &v }
