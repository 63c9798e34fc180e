package config

import (
	"bytes"
	"strings"
	"testing"
)

func TestExplain(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout client 30s
  timeout connect 5s
  timeout server 30s
frontend web
  bind :8080
  timeout http-request 10s
  default_backend app
backend app
  option http-server-close
  server s 127.0.0.1:1
`)
	var b bytes.Buffer
	Explain(&b, c)
	out := b.String()
	for _, want := range []string{
		"frontend web (t.cfg:6)\n",
		"  mode http (defaults at t.cfg:2)\n",
		"  connection mode http-keep-alive (default)\n",
		"    with backend app: http-server-close (the more closing mode wins)\n",
		"timeout http-request     10s",
		"from t.cfg:8\n",
		"timeout http-keep-alive  10s",
		"from timeout http-request (t.cfg:8)\n",
		"timeout client-fin       30s",
		"from timeout client (defaults at t.cfg:3)\n",
		"backend app (t.cfg:10)\n",
		"  connection mode http-server-close (t.cfg:11)\n",
		"from timeout connect (defaults at t.cfg:4)\n",
		"not set: timeout client and server apply\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("explain output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "warnings:") {
		t.Errorf("unexpected warnings:\n%s", out)
	}
	c = mustParse(t, "frontend f\n  bind :1\n  default_backend b\nbackend b\n")
	b.Reset()
	Explain(&b, c)
	if !strings.Contains(b.String(), "warnings:\n  t.cfg:1: frontend \"f\": missing timeout client") {
		t.Errorf("warnings not explained:\n%s", b.String())
	}
}
