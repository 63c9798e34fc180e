package config

import (
	"errors"
	"strings"
	"testing"
)

// TestServerProto: "proto" on server, default-server and server-template
// lines, and the mode each value needs.
func TestServerProto(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout connect 1s
  timeout client 1s
  timeout server 1s
backend be
  default-server proto h2
  server a 127.0.0.1:81
  server b 127.0.0.1:82 proto h1
  server-template t 2 127.0.0.1:83
backend tcp
  mode tcp
  server c 127.0.0.1:84 proto none
`)
	got := map[string]string{}
	for _, name := range []string{"be", "tcp"} {
		for _, s := range c.Backend(name).Servers {
			got[s.Name] = s.Proto
		}
	}
	want := map[string]string{"a": "h2", "b": "h1", "t1": "h2", "t2": "h2", "c": "none"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("server %s: proto %q, want %q (all: %v)", k, got[k], v, got)
		}
	}

	head := "defaults\n  timeout connect 1s\n  timeout client 1s\n  timeout server 1s\n"
	for _, tt := range []struct{ src, want string }{
		{"backend be\n  mode http\n  server s 127.0.0.1:1 proto fcgi\n", `t.cfg:7: server "s": proto: "fcgi" is not a protocol Baton speaks to servers (h1, h2, none)`},
		{"backend be\n  mode http\n  server s 127.0.0.1:1 proto\n", `t.cfg:7: server "s": proto expects a value`},
		{"backend be\n  mode tcp\n  server s 127.0.0.1:1 proto h2\n", `t.cfg:7: server "s": proto h2 needs mode http (backend "be" is in mode tcp)`},
		{"backend be\n  mode http\n  server s 127.0.0.1:1 proto none\n", `t.cfg:7: server "s": proto none needs mode tcp (backend "be" is in mode http)`},
	} {
		_, err := Parse("t.cfg", []byte(head+tt.src))
		var el ErrorList
		if !errors.As(err, &el) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q:\n got %v\nwant %s", tt.src, err, tt.want)
		}
	}
}
