package proxy

import (
	"net"
	"net/netip"
	"testing"
)

// addrPortOf gives what parsing the address's String form gave, without
// the string for a TCP address.
func TestAddrPortOf(t *testing.T) {
	for _, a := range []net.Addr{
		&net.TCPAddr{IP: net.IPv4(192, 0, 2, 1), Port: 80},      // 16-byte form
		&net.TCPAddr{IP: net.IP{192, 0, 2, 1}.To4(), Port: 443}, // 4-byte form
		&net.TCPAddr{IP: net.ParseIP("2001:db8::1"), Port: 8080},
		&net.TCPAddr{IP: net.ParseIP("::ffff:198.51.100.7"), Port: 1},
		&net.TCPAddr{IP: net.ParseIP("fe80::1"), Port: 22, Zone: "eth0"},
		&net.TCPAddr{Port: 80}, // no IP
		(*net.TCPAddr)(nil),
		&net.UnixAddr{Name: "/run/baton.sock", Net: "unix"},
		&net.UDPAddr{IP: net.IPv4(203, 0, 113, 9), Port: 53},
	} {
		want, werr := netip.ParseAddrPort(a.String())
		got, ok := addrPortOf(a)
		if ok != (werr == nil) || got != want {
			t.Errorf("addrPortOf(%#v) = %v, %v; want %v, %v", a, got, ok, want, werr == nil)
		}
	}
	if _, ok := addrPortOf(nil); ok {
		t.Error("addrPortOf(nil) succeeded")
	}
}
