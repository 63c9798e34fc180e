package syslog

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"
)

func init() {
	// Tests resolve only "localhost" and never touch the network.
	Resolve = func(host, network string) ([]netip.Addr, error) {
		if host == "localhost" {
			switch network {
			case "ip6":
				return []netip.Addr{netip.MustParseAddr("::1")}, nil
			case "ip4":
				return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("::1"), netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host")
	}
}

func udp(s string) Address { return Address{Network: UDP, UDP: netip.MustParseAddrPort(s)} }

func TestParseAddress(t *testing.T) {
	cases := []struct {
		in      string
		want    Address
		wantErr string
	}{
		{in: "stdout", want: Address{Network: FD, FD: 1}},
		{in: "stderr", want: Address{Network: FD, FD: 2}},
		{in: "fd@1", want: Address{Network: FD, FD: 1}},
		{in: "fd@2", want: Address{Network: FD, FD: 2}},
		{in: "/dev/log", want: Address{Network: Unixgram, Path: "/dev/log"}},
		{in: "unix@/run/log.sock", want: Address{Network: Unixgram, Path: "/run/log.sock"}},
		{in: "unix@relative", want: Address{Network: Unixgram, Path: "relative"}},
		{in: "uxdg@/tmp/x", want: Address{Network: Unixgram, Path: "/tmp/x"}},
		{in: "abns@logs", want: Address{Network: Unixgram, Path: "@logs"}},
		{in: "127.0.0.1", want: udp("127.0.0.1:514")},
		{in: "127.0.0.1:5140", want: udp("127.0.0.1:5140")},
		{in: "127.0.0.1:", want: udp("127.0.0.1:514")},
		{in: "127.0.0.1:0", want: udp("127.0.0.1:514")},
		{in: "udp@127.0.0.2:600", want: udp("127.0.0.2:600")},
		{in: "udp4@127.0.0.1", want: udp("127.0.0.1:514")},
		{in: "ipv4@127.0.0.1:5", want: udp("127.0.0.1:5")},
		{in: "::1:514", want: udp("[::1]:514")},
		{in: "[::1]:515", want: udp("[::1]:515")},
		{in: "[::1]", want: udp("[::1]:514")},
		{in: "ipv6@[::1]", want: udp("[::1]:514")},
		{in: "udp6@[::1]:600", want: udp("[::1]:600")},
		{in: "localhost:514", want: udp("127.0.0.1:514")},
		{in: "ipv6@localhost", want: udp("[::1]:514")},
		{in: "", wantErr: "missing address"},
		{in: "fd@x", wantErr: `file descriptor "x" is not a valid integer`},
		{in: "fd@3", wantErr: "inherits only fd@1 (stdout) and fd@2 (stderr)"},
		{in: "relative/path", wantErr: "must be absolute"},
		{in: "::1", wantErr: "invalid address"},
		{in: "ipv6@::1", wantErr: "invalid address"},
		{in: "ipv4@[::1]", wantErr: "not an IPv4 address"},
		{in: "127.0.0.1:99999", wantErr: `invalid port "99999"`},
		{in: "127.0.0.1:514-520", wantErr: "port range not permitted"},
		{in: "nosuchhost.invalid", wantErr: `cannot resolve "nosuchhost.invalid"`},
		{in: "tcp@127.0.0.1:514", wantErr: "tcp@ is a HAProxy log transport that Baton does not support"},
		{in: "ring@buf", wantErr: "ring@ is a HAProxy log transport"},
		{in: "foo@bar", wantErr: `unknown address family "foo@"`},
		{in: "unix@", wantErr: "missing socket path"},
		{in: "[::1", wantErr: "missing ']'"},
		{in: ":514", wantErr: "missing host"},
	}
	for _, c := range cases {
		got, err := ParseAddress(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseAddress(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("ParseAddress(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseSample(t *testing.T) {
	cases := []struct {
		in      string
		want    *Sample
		wantErr string
	}{
		{in: "1:4", want: &Sample{Ranges: []Range{{1, 1}}, Size: 4}},
		{in: "3,1:4", want: &Sample{Ranges: []Range{{1, 1}, {3, 3}}, Size: 4}},
		{in: "1-2,4:5", want: &Sample{Ranges: []Range{{1, 2}, {4, 4}}, Size: 5}},
		{in: "2:1", wantErr: "sample size 1 should be greater or equal to 2"},
		{in: "0:1", wantErr: `wrong sample range "0"`},
		{in: "1-2,2:3", wantErr: "overlapping"},
		{in: "1,1-3:3", wantErr: "overlapping"},
		{in: "2,1-3:3", wantErr: "overlapping"},
		{in: "3-2:3", wantErr: `wrong sample range "3-2"`},
		{in: "1:x", wantErr: `wrong sample size "x"`},
		{in: "1", wantErr: "missing sample size"},
		{in: ":3", wantErr: "wrong sample range"},
	}
	for _, c := range cases {
		got, err := ParseSample(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseSample(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseSample(%q) = %+v, %v; want %+v", c.in, got, err, c.want)
		}
	}
}

func TestParseTarget(t *testing.T) {
	cases := []struct {
		in      string
		want    Target
		wantErr string
	}{
		{in: "/dev/log local0", want: Target{Addr: Address{Network: Unixgram, Path: "/dev/log"}, Facility: 16, MaxLevel: Debug, Len: 1024}},
		{in: "/dev/log local1 notice", want: Target{Addr: Address{Network: Unixgram, Path: "/dev/log"}, Facility: 17, MaxLevel: Notice, Len: 1024}},
		{in: "stdout format raw local0", want: Target{Addr: Address{Network: FD, FD: 1}, Format: Raw, Facility: 16, MaxLevel: Debug, Len: 1024}},
		{in: "127.0.0.1 len 200 format rfc5424 sample 1:2 daemon info notice", want: Target{Addr: udp("127.0.0.1:514"),
			Format: RFC5424, Facility: 3, MaxLevel: Info, MinLevel: Notice, Len: 200, Sample: &Sample{Ranges: []Range{{1, 1}}, Size: 2}}},
		{in: "stdout", wantErr: "expects an address and a facility"},
		{in: "stdout local0 info debug", want: Target{Addr: Address{Network: FD, FD: 1}, Facility: 16, MaxLevel: Info, MinLevel: Debug, Len: 1024}},
		{in: "stdout local0 foo", wantErr: `unknown optional log level "foo"`},
		{in: "stdout local0 info bar", wantErr: `unknown optional minimum log level "bar"`},
		{in: "stdout local0 info info info", wantErr: `unexpected argument "info"`},
		{in: "stdout local9", wantErr: `unknown log facility "local9"`},
		{in: "127.0.0.1 len 70 local0", wantErr: `invalid log length "70", must be between 80 and 65535`},
		{in: "127.0.0.1 format rfc5424 len 100 local0", wantErr: `unknown log facility "len"`},
		{in: "127.0.0.1 format json local0", wantErr: `unknown log format "json"`},
		{in: "127.0.0.1 sample 0:1 local0", wantErr: `wrong sample range "0"`},
		{in: "tcp@127.0.0.1 local0", wantErr: "does not support"},
		{in: "stdout format", wantErr: "format expects one of local, rfc3164"},
	}
	for _, c := range cases {
		got, err := ParseTarget(strings.Fields(c.in))
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseTarget(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseTarget(%q) =\n %+v, %v\nwant %+v", c.in, got, err, c.want)
		}
	}
}

// FuzzParseTarget: any "log" line either parses into a consistent target
// or fails with a message; it never panics.
func FuzzParseTarget(f *testing.F) {
	for _, s := range []string{"/dev/log local0", "stdout format raw local0 info", "127.0.0.1:514 len 100 format rfc5424 sample 1-2,4:5 local7 debug emerg",
		"[::1]:5 local0", "fd@2 daemon", "udp6@[::1] user", "x@y z", "1:2:3 local0", "[ local0"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tg, err := ParseTarget(strings.Fields(s))
		if err != nil {
			if err.Error() == "" {
				t.Fatalf("%q: empty error", s)
			}
			return
		}
		if tg.Len < 80 || tg.Len > 65535 || tg.Facility > 23 || tg.MaxLevel > Debug || tg.MinLevel > Debug {
			t.Fatalf("%q: out of range target %+v", s, tg)
		}
		if smp := tg.Sample; smp != nil {
			prev := 0
			for _, r := range smp.Ranges {
				if r.Low <= prev || r.High < r.Low || r.High > smp.Size {
					t.Fatalf("%q: bad sample %v", s, smp)
				}
				prev = r.High
			}
		}
		switch tg.Addr.Network {
		case FD:
			if tg.Addr.FD != 1 && tg.Addr.FD != 2 {
				t.Fatalf("%q: fd %d", s, tg.Addr.FD)
			}
		case Unixgram:
			if tg.Addr.Path == "" {
				t.Fatalf("%q: empty path", s)
			}
		case UDP:
			if !tg.Addr.UDP.IsValid() || tg.Addr.UDP.Port() == 0 {
				t.Fatalf("%q: bad UDP address %v", s, tg.Addr.UDP)
			}
		default:
			t.Fatalf("%q: no network", s)
		}
	})
}
