package config

import (
	"strings"
	"testing"
)

// TestDisabledProxies: "disabled" sets a proxy aside in Stopped, a
// defaults section's applies to the proxies after it unless they say
// "enabled"; references to a disabled backend stay valid.
func TestDisabledProxies(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout connect 1s
  timeout client 2s
  timeout server 3s
frontend f
  bind 127.0.0.1:1
  use_backend b if { path /b }
  default_backend d
frontend g
  disabled
  bind 127.0.0.1:1
backend b
  disabled
  server s 127.0.0.1:2
defaults x
  mode http
  disabled
  timeout connect 1s
  timeout client 2s
  timeout server 3s
backend d
backend e
  enabled
`)
	var on, off []string
	for _, p := range c.Proxies {
		on = append(on, p.Name)
	}
	for _, p := range c.Stopped {
		off = append(off, p.Name)
	}
	if strings.Join(on, " ") != "f e" || strings.Join(off, " ") != "g b d" {
		t.Errorf("running %v, stopped %v", on, off)
	}
	var ex strings.Builder
	Explain(&ex, c)
	if !strings.Contains(ex.String(), "backend b (t.cfg:13)\n  disabled: checked, not started\n") {
		t.Errorf("explain does not list the disabled backend:\n%s", ex.String())
	}
	if !c.StoppedBackend("b") || c.StoppedBackend("g") || c.StoppedBackend("e") {
		t.Error("StoppedBackend")
	}
	for _, tt := range []struct{ src, want string }{
		{base + "  disabled now\n", "t.cfg:7: disabled: takes no argument"},
		{base + "  disabled\n  stick-table type ip size 1\nfrontend f\n  bind 127.0.0.1:1\n  http-request track-sc0 src table be\n  default_backend be\n",
			"t.cfg:11: stick-table: table 'be' belongs to a disabled proxy"},
	} {
		if _, err := Parse("t.cfg", []byte(tt.src)); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("error %v, want %q", err, tt.want)
		}
	}
}
