package config

import (
	"strings"
	"testing"
)

func TestRedirectKeyword(t *testing.T) {
	c := mustParse(t, base+"  redirect location /a%20b code 301 drop-query if { path /x }\n  http-request deny if { path /y }\n")
	be := c.Backend("be")
	if be == nil || len(be.RedirectRules) != 1 {
		t.Fatalf("redirect rules: %+v", be)
	}
	rd := be.RedirectRules[0].Redirect
	if rd.Kind != "location" || rd.Code != 301 || !rd.DropQuery || be.RedirectRules[0].Cond == nil {
		t.Errorf("redirect: %+v", rd)
	}
	// The value is a plain string: "%20" stays as written.
	if lit, ok := rd.Target.Literal(); !ok || string(lit) != "/a%20b" {
		t.Errorf("target = %q (literal %v), want /a%%20b", lit, ok)
	}
	if len(be.RequestRules) != 1 {
		t.Errorf("http-request rules: %d, want 1", len(be.RequestRules))
	}
	warned := false
	for _, w := range c.Warnings {
		warned = warned || strings.Contains(w, "t.cfg:8: a 'http-request' rule placed after a 'redirect' rule will still be processed before")
	}
	if !warned {
		t.Errorf("no warning about the order: %q", c.Warnings)
	}
}

func TestGlobalNoOpsWarn(t *testing.T) {
	c := mustParse(t, "global\n  busy-polling\n  nosplice\n  tune.maxrewrite 1024\n  node n1\n  tune.http.maxhdr 50\n")
	if c.Global.Node != "n1" || c.Global.MaxHeaders != 50 {
		t.Errorf("node %q, maxhdr %d", c.Global.Node, c.Global.MaxHeaders)
	}
	for _, want := range []string{"t.cfg:2: busy-polling: no effect in Baton", "t.cfg:3: nosplice: no effect in Baton", "t.cfg:4: tune.maxrewrite: no effect in Baton"} {
		found := false
		for _, w := range c.Warnings {
			found = found || strings.HasPrefix(w, want)
		}
		if !found {
			t.Errorf("no warning %q in %q", want, c.Warnings)
		}
	}
}
