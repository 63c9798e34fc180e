package config

import (
	"strings"
	"testing"
	"time"
)

func TestDefaultsInheritanceAndProvenance(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  option http-server-close
  timeout client 30s
  timeout connect 4s
  timeout server 40s
  retries 2
  maxconn 300
  default_backend app
frontend web
  bind :8080
  timeout http-keep-alive 3s
backend app
  timeout queue 9s
  server s 127.0.0.1:1
defaults strict
  mode http
  timeout client 10s
  timeout http-request 5s
  timeout connect 1s
  timeout server 2s
defaults inherited from strict
  timeout tunnel 1h
frontend api from strict
  bind :8081
  use_backend app if { path_beg /x }
backend other
  server s 127.0.0.1:2
listen l
  bind :8082
  mode tcp
  timeout client-fin 1s
  option httpclose
  no option httpclose
`)
	web, app, api := c.Proxies[0], c.Proxies[1], c.Proxies[2]
	other, l := c.Proxies[3], c.Proxies[4]
	type tc struct {
		name  string
		got   Timeout
		value time.Duration
		from  string
	}
	for _, x := range []tc{
		{"web client", web.Timeouts.Client, 30 * time.Second, "defaults at t.cfg:4"},
		{"web http-request", web.Timeouts.HTTPRequest, 30 * time.Second, "timeout client (defaults at t.cfg:4)"},
		{"web http-keep-alive", web.Timeouts.HTTPKeepAlive, 3 * time.Second, "t.cfg:12"},
		{"web client-fin", web.Timeouts.ClientFin, 30 * time.Second, "timeout client (defaults at t.cfg:4)"},
		{"app connect", app.Timeouts.Connect, 4 * time.Second, "defaults at t.cfg:5"},
		{"app queue", app.Timeouts.Queue, 9 * time.Second, "t.cfg:14"},
		{"app server-fin", app.Timeouts.ServerFin, 40 * time.Second, "timeout server (defaults at t.cfg:6)"},
		{"api client", api.Timeouts.Client, 10 * time.Second, "defaults strict at t.cfg:18"},
		{"api http-request", api.Timeouts.HTTPRequest, 5 * time.Second, "defaults strict at t.cfg:19"},
		{"api http-keep-alive", api.Timeouts.HTTPKeepAlive, 5 * time.Second, "timeout http-request (defaults strict at t.cfg:19)"},
		{"other queue", other.Timeouts.Queue, time.Second, "timeout connect (defaults strict at t.cfg:20)"},
		{"other tunnel", other.Timeouts.Tunnel, time.Hour, "defaults inherited at t.cfg:23"},
		{"l client-fin", l.Timeouts.ClientFin, time.Second, "t.cfg:32"},
		{"l queue", l.Timeouts.Queue, time.Second, "timeout connect (defaults strict at t.cfg:20)"},
	} {
		if !x.got.Set || x.got.Value != x.value || x.got.From != x.from {
			t.Errorf("%s = %+v, want %v from %q", x.name, x.got, x.value, x.from)
		}
	}
	// Settings a kind does not accept are not inherited.
	if web.Timeouts.Connect.Set || app.Timeouts.Client.Set || app.DefaultBackend != "" {
		t.Errorf("frontend got a backend timeout or backend got a frontend setting")
	}
	if web.DefaultBackend != "app" || web.DefaultPos.Line != 9 || web.MaxConn != 300 || app.Retries != 2 || app.MaxConn != 0 {
		t.Errorf("inherited settings: web %+v app %+v", web, app)
	}
	if web.KeepAlive != ServerClose || web.KeepAliveFrom != "defaults at t.cfg:3" || api.KeepAlive != KeepAlive || api.KeepAliveFrom != "" {
		t.Errorf("keep-alive: web %v %q api %v %q", web.KeepAlive, web.KeepAliveFrom, api.KeepAlive, api.KeepAliveFrom)
	}
	if l.KeepAlive != KeepAlive || l.KeepAliveFrom != "t.cfg:34" || l.Mode != ModeTCP || l.ModeFrom != "t.cfg:31" || l.DefaultBackend != "" {
		t.Errorf("listen: %+v", l)
	}
	if api.Defaults != "defaults strict at t.cfg:16" || web.Defaults != "defaults at t.cfg:1" || other.Defaults != "defaults inherited at t.cfg:22" {
		t.Errorf("Defaults: api %q web %q", api.Defaults, web.Defaults)
	}
	if got := EffectiveKeepAlive(api, app); got != ServerClose {
		t.Errorf("EffectiveKeepAlive = %v", got)
	}
}

func TestTimeoutZeroAndWarnings(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout client 5s
  timeout http-request 2s
frontend f
  bind :1
  timeout http-request 0
  timeout http-keep-alive 10s
  default_backend b
backend b
  server s 127.0.0.1:1
listen bare
  bind :2
`)
	f := c.Proxies[0]
	if hr := f.Timeouts.HTTPRequest; hr.Value != 5*time.Second || hr.From != "timeout client (defaults at t.cfg:3)" {
		t.Errorf("timeout http-request 0 must fall back to client: %+v", hr)
	}
	want := []string{
		`t.cfg:5: frontend "f": timeout http-keep-alive (10s) is larger than timeout client (5s)`,
		`t.cfg:10: backend "b": missing timeout connect`,
		`t.cfg:10: backend "b": missing timeout server`,
		`t.cfg:12: listen "bare": missing timeout connect`,
		`t.cfg:12: listen "bare": missing timeout server`,
	}
	if len(c.Warnings) != len(want) {
		t.Fatalf("warnings = %q", c.Warnings)
	}
	for i, w := range want {
		if !strings.HasPrefix(c.Warnings[i], w) {
			t.Errorf("warning %d = %q, want prefix %q", i, c.Warnings[i], w)
		}
	}
	c = mustParse(t, "frontend f\n  bind :1\n  default_backend b\nbackend b\nfrontend nothing\n  timeout client 1s\n")
	if len(c.Warnings) != 5 || !strings.Contains(c.Warnings[3], "has no bind line") || !strings.Contains(c.Warnings[4], "no default_backend") || !strings.HasPrefix(c.Warnings[0], `t.cfg:1: frontend "f": missing timeout client`) {
		t.Errorf("warnings = %q", c.Warnings)
	}
}
