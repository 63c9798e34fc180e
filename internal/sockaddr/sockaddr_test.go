package sockaddr

import (
	"fmt"
	"strings"
	"testing"
)

func init() {
	LookupHost = func(h string) ([]string, error) {
		switch h {
		case "localhost":
			return []string{"::1", "127.0.0.1"}, nil
		case "v6only":
			return []string{"2001:db8::1"}, nil
		}
		return nil, fmt.Errorf("no such host")
	}
}

func TestParseList(t *testing.T) {
	tests := []struct {
		in     string
		ranges bool
		prefix string
		want   string // canonical names joined by " ", or "error: substring"
	}{
		{in: ":80", want: ":80"},
		{in: "*:80", want: ":80"},
		{in: "0.0.0.0:80", want: "0.0.0.0:80"},
		{in: "127.0.0.1:8080", want: "127.0.0.1:8080"},
		{in: "[::1]:80", want: "[::1]:80"},
		{in: ":::80", want: "[::]:80"},
		{in: "::1:80", want: "[::1]:80"},
		{in: "[::ffff:127.0.0.1]:80", want: "127.0.0.1:80"},
		{in: "localhost:80", want: "127.0.0.1:80"},
		{in: "ipv4@:80", want: "ipv4@0.0.0.0:80"},
		{in: "ipv4@127.0.0.1:80", want: "ipv4@127.0.0.1:80"},
		{in: "ipv4@localhost:80", want: "ipv4@127.0.0.1:80"},
		{in: "ipv6@:80", want: "ipv6@[::]:80"},
		{in: "ipv6@[::1]:80", want: "ipv6@[::1]:80"},
		{in: "ipv6@localhost:80", want: "ipv6@[::1]:80"},
		{in: "ipv4@[::1]:80", want: "error: ipv4@ with an IPv6 address"},
		{in: "ipv6@127.0.0.1:80", want: "error: ipv6@ with an IPv4 address"},
		{in: "ipv4@v6only:80", want: "error: ipv4@ with an IPv6 address"},
		{in: "/run/x.sock", want: "unix@/run/x.sock"},
		{in: "unix@/run/x.sock", want: "unix@/run/x.sock"},
		{in: "uxst@/run/x.sock", want: "unix@/run/x.sock"},
		{in: "unix@rel.sock", want: "unix@rel.sock"},
		{in: "unix@x.sock", prefix: "/var/run/", want: "unix@/var/run/x.sock"},
		{in: "unix@x.sock", prefix: "/var/run", want: "unix@/var/runx.sock"},
		{in: "/x.sock", prefix: "/var/run", want: "unix@/var/run/x.sock"},
		{in: "/tmp/a@b", want: "unix@/tmp/a@b"},
		{in: "abns@foo", want: "abns@foo"},
		{in: "fd@3", want: "fd@3"},
		{in: "fd@x", want: "error: fd@ needs a descriptor number"},
		{in: "fd@", want: "error: fd@ needs a descriptor number"},
		{in: ":80,:443", want: ":80 :443"},
		{in: "127.0.0.1:80,unix@/s,fd@4", want: "127.0.0.1:80 unix@/s fd@4"},
		{in: ":8000-8002", ranges: true, want: ":8000 :8001 :8002"},
		{in: "ipv4@127.0.0.1:10-11,:20", ranges: true, want: "ipv4@127.0.0.1:10 ipv4@127.0.0.1:11 :20"},
		{in: ":8000-8002", want: "error: port ranges are not allowed"},
		{in: ":8002-8000", ranges: true, want: "error: ends before it starts"},
		{in: ":1-2000", ranges: true, want: "error: more than 1024 listeners"},
		{in: ":0", want: "error: invalid port"},
		{in: ":65536", want: "error: invalid port"},
		{in: ":+80", want: "error: invalid port"},
		{in: "127.0.0.1", want: "error: missing port"},
		{in: "nohost:80", want: `error: cannot resolve "nohost"`},
		{in: "[::1:80", want: "error: expected [IPv6]:PORT"},
		{in: "fe80::1%eth0:80", want: "error: zones are not supported"},
		{in: "udp@:514", want: "error: is a UDP address"},
		{in: "quic4@:443", want: "error: is a QUIC address"},
		{in: "uxdg@/s", want: "error: UNIX datagram"},
		{in: "sockpair@3", want: "error: socketpair"},
		{in: "tcp@:80", want: `error: unknown prefix "tcp@"`},
		{in: "abns@", want: "error: abns@ needs a name"},
		{in: "abns@" + strings.Repeat("x", 108), want: "error: longer than 106 bytes"},
		{in: "unix@", want: "error: empty socket path"},
		{in: "", want: "error: empty address"},
		{in: ":80,", want: "error: empty address"},
	}
	for _, tt := range tests {
		addrs, err := ParseList(tt.in, Options{Ranges: tt.ranges, UnixPrefix: tt.prefix})
		var got string
		if err != nil {
			got = "error: " + err.Error()
		} else {
			var names []string
			for _, a := range addrs {
				names = append(names, a.String())
			}
			got = strings.Join(names, " ")
		}
		if strings.HasPrefix(tt.want, "error: ") {
			if !strings.HasPrefix(got, "error: ") || !strings.Contains(got, strings.TrimPrefix(tt.want, "error: ")) {
				t.Errorf("ParseList(%q) = %q, want %s", tt.in, got, tt.want)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("ParseList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestNetworkAddress(t *testing.T) {
	for _, tt := range []struct{ in, network, address string }{
		{":80", "tcp", ":80"},
		{"[::1]:80", "tcp", "[::1]:80"},
		{"ipv4@:80", "tcp4", "0.0.0.0:80"},
		{"ipv6@[::1]:80", "tcp6", "[::1]:80"},
		{"/run/x", "unix", "/run/x"},
		{"abns@foo", "unix", "@foo" + strings.Repeat("\x00", 104)},
		{"fd@3", "", ""},
	} {
		a, err := Parse(tt.in, Options{})
		if err != nil || a.Network() != tt.network || a.Address() != tt.address {
			t.Errorf("Parse(%q) = %v (%q, %q), %v; want %q, %q", tt.in, a, a.Network(), a.Address(), err, tt.network, tt.address)
		}
	}
}

// FuzzParseList: any text gives addresses or an error, and every address
// reads back from its canonical name as itself.
func FuzzParseList(f *testing.F) {
	for _, s := range []string{":80", "*:80,:443", "ipv4@127.0.0.1:10-12", ":::80", "[::1]:80", "/s", "unix@x", "abns@a", "fd@3", "udp@:1", "localhost:1"} {
		f.Add(s, true, "")
	}
	f.Add("/x", false, "/p")
	f.Fuzz(func(t *testing.T, s string, ranges bool, prefix string) {
		addrs, err := ParseList(s, Options{Ranges: ranges, UnixPrefix: prefix})
		if err != nil {
			return
		}
		if len(addrs) == 0 {
			t.Fatalf("%q: no address and no error", s)
		}
		for _, a := range addrs {
			b, err := Parse(a.String(), Options{})
			if err != nil || b != a {
				t.Fatalf("%q: %+v reads back from %q as %+v, %v", s, a, a.String(), b, err)
			}
		}
	})
}

func TestDialArgs(t *testing.T) {
	for _, tt := range []struct{ in, network, address string }{
		{"127.0.0.1:80", "tcp", "127.0.0.1:80"},
		{"[::1]:80", "tcp", "[::1]:80"},
		{"unix@/run/a.sock", "unix", "/run/a.sock"},
		{"abns@x", "unix", "@x" + strings.Repeat("\x00", 106)},
		{"ipv4@127.0.0.1:80", "tcp4", "127.0.0.1:80"},
	} {
		if n, a := DialArgs(tt.in); n != tt.network || a != tt.address {
			t.Errorf("DialArgs(%q) = %q, %q; want %q, %q", tt.in, n, a, tt.network, tt.address)
		}
	}
}
