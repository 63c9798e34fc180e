package config

import (
	"strings"
	"testing"
)

func TestRateLimitSessions(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  rate-limit sessions 50
  timeout connect 1s
  timeout client 2s
  timeout server 3s
frontend f
  bind 127.0.0.1:1
  default_backend b
frontend g
  bind 127.0.0.1:2
  rate-limit sessions 0
  default_backend b
backend b
`)
	got := map[string]int{}
	for _, p := range c.Proxies {
		got[p.Name] = p.RateLimitSessions
	}
	if got["f"] != 50 || got["g"] != 0 || got["b"] != 0 {
		t.Errorf("rate limits %v", got)
	}
	for _, tt := range []struct{ src, want string }{
		{base + "frontend f\n  bind :1\n  rate-limit connections 5\n", "t.cfg:9: rate-limit: expects 'sessions' and a number"},
		{base + "frontend f\n  bind :1\n  rate-limit sessions x\n", `t.cfg:9: rate-limit sessions: invalid number "x"`},
		{base + "  rate-limit sessions 5\n", `t.cfg:7: "rate-limit" is not allowed in a backend section`},
	} {
		if _, err := Parse("t.cfg", []byte(tt.src)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}
