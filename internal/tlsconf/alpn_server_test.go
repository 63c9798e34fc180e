package tlsconf

import (
	"slices"
	"testing"
)

// TestServerALPNH2: a server line in mode http offers h2 by ALPN (Baton
// speaks HTTP/2 to servers); its health checks offer the same list less
// h2 unless check-alpn says otherwise (Baton's HTTP checks speak
// HTTP/1.1).
func TestServerALPNH2(t *testing.T) {
	f := newFixture(t)
	plain := &ServerSpec{Pos: "t.cfg:1", Name: "s", SSL: true}
	plain.Opts.Verify = "none"
	if err := plain.Opts.Apply("alpn", "h2,http/1.1", CtxServer, func(string) {}); err != nil {
		t.Fatal(err)
	}
	checked := &ServerSpec{Pos: "t.cfg:2", Name: "c", SSL: true, CheckALPN: []string{"h2"}}
	checked.Opts = plain.Opts
	b, warns := f.load(t, &Specs{Servers: []*ServerSpec{plain, checked}})
	if len(warns) != 0 {
		t.Errorf("warnings %q", warns)
	}
	c := b.Client(plain)
	if got := c.Config("").NextProtos; !slices.Equal(got, []string{"h2", "http/1.1"}) {
		t.Errorf("traffic ALPN %q", got)
	}
	if got := c.CheckConfig().NextProtos; !slices.Equal(got, []string{"http/1.1"}) {
		t.Errorf("check ALPN %q, want http/1.1 only", got)
	}
	if got := b.Client(checked).CheckConfig().NextProtos; !slices.Equal(got, []string{"h2"}) {
		t.Errorf("check-alpn h2: check ALPN %q", got)
	}
}
