package rules

import (
	"testing"

	"baton/internal/h1"
)

func hdr(r *h1.Request, name string) string {
	v, _ := r.Header(name)
	return string(v)
}

// TestPatternActions: set-map, del-map, add-acl and del-acl change the
// files the next lookup reads; a set-map that changes nothing allocates
// nothing.
func TestPatternActions(t *testing.T) {
	m := writeFile(t, "hosts.map", "a v1\n")
	l := writeFile(t, "ok.lst", "")
	s, cfg := frontend(t, `
 acl ok req.hdr(x-k) -f `+l+`
 http-request set-map(`+m+`) %[req.hdr(x-k)] %[req.hdr(x-v)] if { method PUT }
 http-request del-map(`+m+`) %[req.hdr(x-k)] if { method DELETE }
 http-request add-acl(`+l+`) %[req.hdr(x-k)] if { method POST }
 http-request del-acl(`+l+`) %[req.hdr(x-k)] if { method PATCH }
 http-request set-header x-got %[req.hdr(x-k),map(`+m+`,none)]
 http-request set-header x-ok 1 if ok`)
	steps := []struct {
		method, key, val string
		got, ok          string
	}{
		{"GET", "a", "", "v1", ""},
		{"PUT", "a", "v2", "v2", ""},
		{"PUT", "b", "v3", "v3", ""},
		{"DELETE", "a", "", "none", ""},
		{"POST", "a", "", "none", "1"},
		{"GET", "a", "", "none", "1"},
		{"PATCH", "a", "", "none", ""},
		{"GET", "b", "", "v3", ""},
	}
	for _, st := range steps {
		req := parseReq(t, st.method+" /", "X-K: "+st.key, "X-V: "+st.val)
		in := newInput(cfg, s, req, "127.0.0.1")
		var v Verdict
		s.Request(in, &v)
		if got := hdr(req, "x-got"); got != st.got {
			t.Errorf("%s %s: x-got %q, want %q", st.method, st.key, got, st.got)
		}
		if got := hdr(req, "x-ok"); got != st.ok {
			t.Errorf("%s %s: x-ok %q, want %q", st.method, st.key, got, st.ok)
		}
	}

	req := parseReq(t, "PUT /", "X-K: b", "X-V: v3")
	in := newInput(cfg, s, req, "127.0.0.1")
	run := func() {
		in.BeginRequest()
		in.Req = req
		var v Verdict
		s.Request(in, &v)
	}
	run()
	if n := testing.AllocsPerRun(100, run); n != 0 {
		t.Errorf("a set-map that changes nothing allocates %.1f times", n)
	}
}
