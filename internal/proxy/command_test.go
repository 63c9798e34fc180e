package proxy

import (
	"strings"
	"testing"

	"baton/internal/config"
)

func TestRuntimeCommands(t *testing.T) {
	cfg, err := config.Parse("t.cfg", []byte(`resolvers dns
  nameserver ns1 127.0.0.1:9
backend be
  mode http
  server s1 app.test:80 resolvers dns init-addr none
`))
	if err != nil {
		t.Fatal(err)
	}
	e, err := New(cfg, Options{Log: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	if out := e.Command("show resolvers"); !strings.HasPrefix(out, "Resolvers section dns\n nameserver ns1:\n  sent:        0\n") || !strings.HasSuffix(out, "outdated:    0\n\n") {
		t.Errorf("show resolvers: %q", out)
	}
	if out := e.Command("show resolvers other"); out != "Can't find that resolvers section\n\n" {
		t.Errorf("show resolvers other: %q", out)
	}
	if out := e.Command("help"); !strings.Contains(out, "  show resolvers [id]                     : dumps counters") {
		t.Errorf("help: %q", out)
	}
	if out := e.Command("show nothing"); !strings.HasPrefix(out, "Unknown command, but maybe one of the following ones is a better match:\n") {
		t.Errorf("unknown: %q", out)
	}
	// A server that has no address yet is never picked: 503 at once.
	if s := e.backends["be"].b.Servers[0]; s.Usable() || s.Addr() != "" {
		t.Errorf("server without an address usable=%v addr=%q", s.Usable(), s.Addr())
	}
}
