package config

import "testing"

func TestDescriptionsAndBufSize(t *testing.T) {
	c := mustParse(t, `global
  description "edge node" 7
  tune.bufsize 16384
defaults
  mode http
  timeout client 1s
  timeout server 1s
  timeout connect 1s
frontend fe
  bind 127.0.0.1:8080
  description Public site
  default_backend app
backend app
  server s 127.0.0.1:9000
`)
	if c.Global.Description != "edge node 7" {
		t.Errorf("global description %q", c.Global.Description)
	}
	for _, p := range c.Proxies {
		want := map[string]string{"fe": "Public site", "app": ""}[p.Name]
		if p.Description != want {
			t.Errorf("%s: description %q, want %q", p.Name, p.Description, want)
		}
	}
	if len(c.Warnings) != 0 {
		t.Errorf("warnings = %q", c.Warnings)
	}
}
