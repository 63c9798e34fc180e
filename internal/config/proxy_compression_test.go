package config

import (
	"slices"
	"strings"
	"testing"

	"baton/internal/compress"
)

func proxyNamed(c *Config, name string) *Proxy {
	for _, p := range c.Proxies {
		if p.Name == name {
			return p
		}
	}
	return nil
}

// TestCompressionParse: settings, HAProxy's inheritance from defaults
// (the proxy's own lines go on top of the defaults', last configured
// first) and the filter list.
func TestCompressionParse(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  timeout connect 1s
  timeout client 2s
  timeout server 3s
  compression algo gzip
  compression type text/html
frontend fe
  bind :80
  compression algo deflate raw-deflate
  compression type text/plain application/json
  compression offload
  filter trace name BEFORE
  filter compression
  default_backend be
backend be
  server s 127.0.0.1:80
backend plain
  server s 127.0.0.1:80
`)
	fe, be, plain := proxyNamed(c, "fe"), proxyNamed(c, "be"), proxyNamed(c, "plain")
	want := []compress.Algo{compress.RawDeflate, compress.Deflate, compress.Gzip}
	if fe.Compression == nil || !slices.Equal(fe.Compression.Algos, want) {
		t.Fatalf("fe algos = %+v, want %v", fe.Compression, want)
	}
	if !slices.Equal(fe.Compression.Types, []string{"application/json", "text/plain", "text/html"}) || !fe.Compression.Offload {
		t.Errorf("fe = %+v", fe.Compression)
	}
	if be.Compression == nil || !slices.Equal(be.Compression.Algos, []compress.Algo{compress.Gzip}) ||
		!slices.Equal(be.Compression.Types, []string{"text/html"}) || be.Compression.Offload {
		t.Errorf("be inherits %+v, want the defaults' gzip and text/html", be.Compression)
	}
	if plain.Compression == be.Compression || &plain.Compression.Algos[0] == &be.Compression.Algos[0] {
		t.Error("proxies share the defaults' settings")
	}
	if len(fe.Filters) != 2 || fe.Filters[0].Name != "trace" || fe.Filters[1].Name != "compression" {
		t.Errorf("filters = %+v", fe.Filters)
	}
	if len(c.Warnings) != 1 || !strings.Contains(c.Warnings[0], "t.cfg:13: filter trace: a no-op in Baton") {
		t.Errorf("warnings = %q, want the one of filter trace", c.Warnings)
	}
}

func TestCompressionOffloadInDefaults(t *testing.T) {
	c := mustParse(t, "defaults\n  mode http\n  compression offload\n  compression algo gzip\nbackend be\n  server s 127.0.0.1:80\n")
	if be := proxyNamed(c, "be"); be.Compression == nil || be.Compression.Offload {
		t.Errorf("be = %+v, want gzip without offload", be.Compression)
	}
	if len(c.Warnings) == 0 || !strings.Contains(c.Warnings[0], "t.cfg:3: compression: 'offload' ignored in 'defaults' section") {
		t.Errorf("warnings = %q", c.Warnings)
	}
}

func TestCompressionErrors(t *testing.T) {
	fe := "frontend fe\n  mode http\n  bind :80\n"
	tests := []struct{ src, want string }{
		{fe + "  compression algo\n", `t.cfg:4: compression algo: expects <algorithm>`},
		{fe + "  compression algo br\n", `t.cfg:4: compression algo: "br" is not a supported algorithm`},
		{fe + "  compression algo GZIP\n", `t.cfg:4: compression algo: "GZIP" is not a supported algorithm`},
		{fe + "  compression type\n", `t.cfg:4: compression type: expects <mime type>`},
		{fe + "  compression offload now\n", `t.cfg:4: compression offload: takes no argument`},
		{fe + "  compression foo\n", `t.cfg:4:`},
		{fe + "  filter compression x\n", `t.cfg:4: filter compression: unknown keyword "x"`},
		{fe + "  filter compression\n  filter compression\n", `t.cfg:5: filter compression: frontend "fe" supports only one compression filter`},
		{fe + "  filter trace foo\n", `t.cfg:4: filter trace: unknown keyword "foo"`},
		{fe + "  filter trace name\n", `t.cfg:4: filter trace: 'name' expects a name`},
		{fe + "  filter trace name X\n  compression algo gzip\n", `t.cfg:5: frontend "fe": require an explicit filter declaration to use HTTP compression`},
		{"defaults\n  filter compression\n", `t.cfg:2: "filter compression" is not allowed in a defaults section`},
	}
	for _, tt := range tests {
		_, err := Parse("t.cfg", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
	}
}
