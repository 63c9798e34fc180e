package config

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"baton/internal/syslog"
)

func init() {
	syslog.Resolve = func(host, network string) ([]netip.Addr, error) {
		if host == "localhost" {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return nil, fmt.Errorf("no such host")
	}
}

const logPrologue = `global
  log /dev/log local0
  log 127.0.0.1:514 len 200 format rfc5424 local1 notice
  log-tag gtag
  log-send-hostname edge1
defaults
  mode http
  log global
  log global
  log stderr format short daemon
  option httplog
  log-tag dtag
  timeout connect 1s
  timeout client 2s
  timeout server 3s
`

func TestProxyLogTargets(t *testing.T) {
	c := mustParse(t, logPrologue+`frontend a
  bind :80
  log stdout format raw local7 info
  default_backend b
frontend nolog
  bind :81
  no log
  log-format "%ci %{+Q}r"
  default_backend b
frontend own
  bind :82
  no log
  log udp@127.0.0.2:1514 sample 1:10 local2
  log global
  default_backend b
backend b
  server s 127.0.0.1:1
`)
	g := c.Global
	if g.LogTag != "gtag" || g.LogSendHostname != "edge1" || len(g.Logs) != 2 || g.Logs[1].Len != 200 {
		t.Fatalf("global = %+v", g)
	}
	desc := func(p *Proxy) string {
		var parts []string
		for _, l := range p.Logs {
			s := l.Addr.String()
			if l.Global {
				s = fmt.Sprintf("global#%d", l.Index)
			}
			parts = append(parts, s)
		}
		return strings.Join(parts, " ")
	}
	want := map[string]string{
		"a":     "global#0 global#1 stderr stdout",
		"nolog": "",
		"own":   "127.0.0.2:1514 global#0 global#1",
		"b":     "global#0 global#1 stderr",
	}
	for _, p := range c.Proxies {
		if got := desc(p); got != want[p.Name] {
			t.Errorf("%s logs %q, want %q", p.Name, got, want[p.Name])
		}
		if p.LogTag != "dtag" {
			t.Errorf("%s: log-tag %q, want the defaults' dtag", p.Name, p.LogTag)
		}
	}
	a, nolog := c.Proxies[0], c.Proxies[1]
	if !a.HTTPLog || a.LogFormat != "" || a.Logs[3].Pos != (Pos{"t.cfg", 18}) {
		t.Errorf("frontend a: httplog %v, format %q, pos %v", a.HTTPLog, a.LogFormat, a.Logs[3].Pos)
	}
	if nolog.HTTPLog || nolog.LogFormat != "%ci %{+Q}r" || nolog.LogFormatPos != (Pos{"t.cfg", 23}) {
		t.Errorf("log-format should replace the inherited httplog: %+v", nolog)
	}
	if !strings.Contains(strings.Join(c.Warnings, "\n"), `t.cfg:20: frontend "nolog": log format ignored: the proxy has no log target`) {
		t.Errorf("no warning for a format without target: %q", c.Warnings)
	}
}

func TestLogOptionsAndFormats(t *testing.T) {
	c := mustParse(t, `global
  log stdout format raw local0
defaults
  mode http
  log global
  log-format %ci
  option logasap
  option dontlog-normal
  option log-separate-errors
  option log-health-checks
  timeout connect 1s
  timeout client 2s
  timeout server 3s
frontend f
  bind :80
  no option logasap
  option httplog clf
  log-format-sd [x@1\ a=%{+Q}ci]
  error-log-format "%ci %ST"
  default_backend b
listen l
  bind :81
  option httplog
  server s 127.0.0.1:2
backend b
  no option log-health-checks
  server s 127.0.0.1:1
`)
	f, l, b := c.Proxies[0], c.Proxies[1], c.Proxies[2]
	if f.LogASAP || !f.DontLogNormal || !f.LogSeparateErrors || f.LogHealthChecks || !f.HTTPLogCLF || !f.HTTPLog || f.LogFormat != "" ||
		f.LogFormatSD != "[x@1 a=%{+Q}ci]" || f.ErrorLogFormat != "%ci %ST" {
		t.Errorf("frontend = %+v", f)
	}
	if !l.LogASAP || !l.LogHealthChecks || !l.HTTPLog || l.HTTPLogCLF || l.LogFormat != "" {
		t.Errorf("listen = %+v", l)
	}
	if b.LogHealthChecks || b.LogASAP || b.LogFormat != "" {
		t.Errorf("backend = %+v", b)
	}
}

func TestLogErrorsAndWarnings(t *testing.T) {
	tcp := "defaults\n  mode tcp\n  timeout connect 1s\n  timeout client 2s\n  timeout server 3s\n"
	errs := []struct {
		name, src string
		want      string
	}{
		{"global log global", "global\n  log global\n", `t.cfg:2: log: 'global' is not supported for a global syslog server`},
		{"no log with args", base + "  no log stdout\n", `t.cfg:7: no log: does not expect arguments`},
		{"log global args", base + "  log global local0\n", `t.cfg:7: log global: does not expect arguments`},
		{"log len", base + "  log stdout len 10 local0\n", `t.cfg:7: log: invalid log length "10"`},
		{"log-tag missing", "global\n  log-tag\n", `t.cfg:2: log-tag: expects a tag for use in syslog`},
		{"log-tag extra", base + "  log-tag a b\n", `t.cfg:7: log-tag: unexpected argument "b"`},
		{"log-format two args", base + "  log-format %ci %cp\n", `t.cfg:7: log-format: expects only one argument, don't forget to escape spaces!`},
		{"log-format empty", base + "  log-format \"\"\n", `t.cfg:7: log-format: expects an argument`},
		{"log-format bad var", "frontend f\n  bind :1\n  log-format %foo\n", `t.cfg:3: log-format: no such format variable 'foo'`},
		{"log-format sample", "frontend f\n  bind :1\n  log-format %[src,nope]\n", `t.cfg:3: log-format: failed to parse sample expression <src,nope>: unknown converter 'nope'`},
		{"log-format unclosed sample", "frontend f\n  bind :1\n  log-format %[src\n", `t.cfg:3: log-format: missing ']'`},
		{"http var in tcp", tcp + "  log-format \"%ci %{+Q}r\"\nlisten l\n  bind :1\n  server s 127.0.0.1:1\n",
			`t.cfg:6: log-format: format variable '%r' is reserved for mode http (listen "l" is in mode tcp)`},
		{"http var in tcp sd", tcp + "listen l\n  bind :1\n  log-format-sd %HM\n  server s 127.0.0.1:1\n",
			`t.cfg:8: log-format-sd: format variable '%HM' is reserved for mode http`},
		{"option arg", base + "  option logasap now\n", `t.cfg:7: option logasap: unexpected argument "now"`},
	}
	for _, c := range errs {
		_, err := Parse("t.cfg", []byte(c.src))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", c.name, err, c.want)
		}
	}
	warns := []struct {
		name, src string
		want      string
	}{
		{"log-format in backend", base + "  log-format %ci\n  server s 127.0.0.1:1\n", `t.cfg:7: log-format: ignored in backend "be"`},
		{"logasap in backend", base + "  option logasap\n  server s 127.0.0.1:1\n", `t.cfg:7: option logasap: ignored because backend "be" cannot use it`},
		{"log-health-checks in frontend", "frontend f\n  bind :1\n  option log-health-checks\n", `t.cfg:3: option log-health-checks: ignored because frontend "f" cannot use it`},
		{"hostname extra", "global\n  log-send-hostname a b\n", `t.cfg:2: log-send-hostname: extra argument "b" ignored`},
		{"httplog without target", "frontend f\n  bind :1\n  option httplog\n", `t.cfg:1: frontend "f": log format ignored: the proxy has no log target`},
	}
	for _, c := range warns {
		cfg, err := Parse("t.cfg", []byte(c.src))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if w := strings.Join(cfg.Warnings, "\n"); !strings.Contains(w, c.want) {
			t.Errorf("%s: warnings %q, want %q", c.name, w, c.want)
		}
	}
}
