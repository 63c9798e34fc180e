package config

import (
	"fmt"
	"strings"
	"testing"
)

func TestBindAddresses(t *testing.T) {
	tests := []struct {
		global, bind string
		want         string // "ADDR[unix options]" per bind, or "error: ..."/"warning: ..."
	}{
		{"", ":80,:443", ":80 :443"},
		{"", "127.0.0.1:8000-8002", "127.0.0.1:8000 127.0.0.1:8001 127.0.0.1:8002"},
		{"", "ipv4@:80 ", "ipv4@0.0.0.0:80"},
		{"", ":::80", "[::]:80"},
		{"", "fd@3", "fd@3"},
		{"", "abns@x", "abns@x{mode 0}"},
		{"", "/run/a.sock mode 600 uid 65534", "unix@/run/a.sock{mode 600 uid 65534}"},
		{"  unix-bind prefix /var/run mode 660 gid 7\n", "/a.sock,unix@b.sock gid 8", "unix@/var/run/a.sock{mode 660 gid 8} unix@/var/runb.sock{mode 660 gid 8}"},
		{"  unix-bind mode 640\n", "unix@/x", "unix@/x{mode 640}"},
		{"", ":80 mode 600", "warning: bind :80: [mode] apply to UNIX sockets only; ignored for :80"},
		{"", "udp@:514", `error: bind: address "udp@:514" is a UDP address`},
		{"", ":80 ssl", `error: bind :80: ssl needs a certificate`},
		{"", ":80 accept-netscaler-cip 1234", `error: bind :80: option "accept-netscaler-cip" is not supported`},
		{"", "/s mode", "error: bind /s: mode expects a value"},
		{"", "/s mode 999", `error: bind /s: mode: invalid mode "999"`},
		{"", ":9-8", "error: ends before it starts"},
	}
	for _, tt := range tests {
		src := "global\n" + tt.global + "frontend f\n  timeout client 1s\n  bind " + tt.bind + "\n"
		c, err := Parse("t.cfg", []byte(src))
		var got string
		switch {
		case err != nil:
			got = "error: " + err.Error()
		case strings.HasPrefix(tt.want, "warning: "):
			got = "warning: " + strings.Join(c.Warnings, "|")
		default:
			var out []string
			for _, b := range c.Proxies[0].Binds {
				s := b.Addr
				if u := b.Unix; u != nil {
					s += fmt.Sprintf("{mode %o", u.Mode)
					if u.HasUID {
						s += fmt.Sprintf(" uid %d", u.UID)
					}
					if u.HasGID {
						s += fmt.Sprintf(" gid %d", u.GID)
					}
					s += "}"
				}
				out = append(out, s)
			}
			got = strings.Join(out, " ")
		}
		if strings.HasPrefix(tt.want, "error: ") || strings.HasPrefix(tt.want, "warning: ") {
			if !strings.Contains(got, tt.want[strings.Index(tt.want, " ")+1:]) || got[:5] != tt.want[:5] {
				t.Errorf("bind %s: %q, want %q", tt.bind, got, tt.want)
			}
			continue
		}
		if got != tt.want {
			t.Errorf("bind %s: %q, want %q", tt.bind, got, tt.want)
		}
	}
}

func TestStatsSocketForms(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"/run/s.sock", "/run/s.sock"},
		{"unix@/run/s.sock", "/run/s.sock"},
		{"unix@rel.sock", "unix@rel.sock"},
		{"127.0.0.1:9999", "127.0.0.1:9999"},
		{"ipv4@127.0.0.1:9999", "ipv4@127.0.0.1:9999"},
		{"abns@stats", "abns@stats"},
		{`"fd@${BATON_TEST_FD-5}"`, "fd@5"},
	} {
		c, err := Parse("t.cfg", []byte("global\n  stats socket "+tt.in+" level admin gid 12 mode 660\n"))
		if err != nil {
			t.Errorf("stats socket %s: %v", tt.in, err)
			continue
		}
		s := c.Global.StatsSockets[0]
		if s.Path != tt.want || s.Mode != 0o660 || !s.Owner.HasGID || s.Owner.GID != 12 || s.Owner.HasUID {
			t.Errorf("stats socket %s: %+v, want path %q", tt.in, s, tt.want)
		}
	}
}

func TestServerAddressForms(t *testing.T) {
	for _, tt := range []struct{ in, want string }{
		{"127.0.0.1:80", "127.0.0.1:80"},
		{"unix@/run/app.sock", "unix@/run/app.sock"},
		{"/run/app.sock", "unix@/run/app.sock"},
		{"abns@app", "abns@app"},
		{"ipv4@127.0.0.1:80", "ipv4@127.0.0.1:80"},
		{"ipv6@[::1]:80", "ipv6@[::1]:80"},
		{"fd@3", "error: a server cannot use an inherited descriptor"},
		{"udp@1.2.3.4:5", "error: is a UDP address"},
	} {
		c, err := Parse("t.cfg", []byte("backend b\n  timeout connect 1s\n  timeout server 1s\n  server s "+tt.in+"\n"))
		got := ""
		if err != nil {
			got = "error: " + err.Error()
		} else {
			got = c.Proxies[0].Servers[0].Addr
		}
		if strings.HasPrefix(tt.want, "error: ") && !strings.Contains(got, tt.want[7:]) || !strings.HasPrefix(tt.want, "error: ") && got != tt.want {
			t.Errorf("server %s: %q, want %q", tt.in, got, tt.want)
		}
	}
}
