package rules

import (
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
)

// compileProxy parses a configuration and compiles the proxy named name.
// The text is prefixed with defaults and followed by the backends the
// tests route to (hit, miss, api, static, web).
func compileProxy(t testing.TB, body, name string) (*Set, *config.Config) {
	t.Helper()
	src := "defaults\n mode http\n timeout connect 1s\n timeout client 1s\n timeout server 1s\n" + body + `
backend hit
 server s 127.0.0.1:1
backend miss
 server s 127.0.0.1:1
backend api
 server s 127.0.0.1:1
backend static
 server s 127.0.0.1:1
backend web
 server s 127.0.0.1:1
`
	cfg, err := config.Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatalf("parse:\n%v\nconfiguration:\n%s", err, src)
	}
	for _, p := range cfg.Proxies {
		if p.Name == name {
			s, err := Compile(p)
			if err != nil {
				t.Fatal(err)
			}
			return s, cfg
		}
	}
	t.Fatalf("no proxy %q", name)
	return nil, nil
}

// frontend compiles "frontend fe" with the given lines.
func frontend(t testing.TB, lines string) (*Set, *config.Config) {
	t.Helper()
	return compileProxy(t, "frontend fe\n bind 127.0.0.1:1\n"+lines+"\n", "fe")
}

// parseReq parses "METHOD TARGET" and "Name: value" header lines.
func parseReq(t testing.TB, reqLine string, hdrs ...string) *h1.Request {
	t.Helper()
	raw := reqLine + " HTTP/1.1\r\n"
	hasHost := false
	for _, h := range hdrs {
		raw += h + "\r\n"
		hasHost = hasHost || strings.HasPrefix(strings.ToLower(h), "host:")
	}
	if !hasHost {
		raw += "Host: test.local\r\n"
	}
	raw += "\r\n"
	var r h1.Request
	if err := h1.ParseRequest([]byte(raw), &r, &h1.Limits{}); err != nil {
		t.Fatalf("parse %q: %v", raw, err)
	}
	return &r
}

// newInput returns an Input for the request from src, with variables and
// captures as a connection of cfg's frontend would have.
func newInput(cfg *config.Config, s *Set, r *h1.Request, src string) *Input {
	in := &Input{}
	in.Vars = cfg.Expr.Vars.NewVars()
	in.Captures = expr.NewCaptures(s.ReqCaptures, s.ResCaptures)
	in.BeginConnection()
	in.BeginRequest()
	in.Req = r
	in.Src = netip.AddrPortFrom(netip.MustParseAddr(src), 40000)
	in.Dst = netip.MustParseAddrPort("127.0.0.1:80")
	in.Frontend = "fe"
	return in
}

func headerDump(hs []h1.Header) string {
	var b strings.Builder
	for _, h := range hs {
		b.WriteString(string(h.Name) + ": " + string(h.Value) + "\n")
	}
	return b.String()
}

// writeFile writes a file for a test configuration and returns its path.
func writeFile(t testing.TB, name, data string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}
