package rules

import (
	"net/netip"
	"testing"

	"baton/internal/expr"
)

// fakeResolver answers from a table and records the calls.
type fakeResolver struct {
	table map[string]string
	calls []string // "section name ipv4 wait"
}

func (f *fakeResolver) Resolve(section string, name []byte, ipv4, wait bool) (netip.Addr, bool) {
	f.calls = append(f.calls, section+" "+string(name)+" "+map[bool]string{true: "v4", false: "v6"}[ipv4]+" "+map[bool]string{true: "wait", false: "nowait"}[wait])
	a, ok := f.table[string(name)]
	if !ok {
		return netip.Addr{}, false
	}
	return netip.MustParseAddr(a), true
}

func TestDoResolve(t *testing.T) {
	s, cfg := frontend(t, ` http-request do-resolve(txn.ip,dns,ipv4) hdr(host),field(1,:),lower
 http-request do-resolve(txn.ip6,dns) str(v6.test)
 http-request set-dst var(txn.ip)
resolvers dns
 nameserver a 127.0.0.1:53`)
	for _, tc := range []struct {
		host, ip, ip6, dst string
	}{
		{"App.Test:8080", "10.0.0.7", "fd00::1", "10.0.0.7:80"},
		{"gone.test", "", "fd00::1", "127.0.0.1:80"},
	} {
		f := &fakeResolver{table: map[string]string{"app.test": "10.0.0.7", "v6.test": "fd00::1"}}
		in := newInput(cfg, s, parseReq(t, "GET /", "Host: "+tc.host), "192.0.2.1")
		in.Resolver = f
		var v Verdict
		s.Request(in, &v)
		get := func(name string) string {
			ref, _ := cfg.Expr.Vars.Declare(name)
			var smp expr.Sample
			if !in.GetVar(ref, &smp) {
				return ""
			}
			if smp.Type != expr.IPv4 && smp.Type != expr.IPv6 {
				t.Errorf("%s: type %v, want an address", name, smp.Type)
			}
			return smp.IP.String()
		}
		if got := get("txn.ip"); got != tc.ip {
			t.Errorf("Host %s: txn.ip %q, want %q (calls %q)", tc.host, got, tc.ip, f.calls)
		}
		if got := get("txn.ip6"); got != tc.ip6 {
			t.Errorf("Host %s: txn.ip6 %q, want %q", tc.host, got, tc.ip6)
		}
		if in.Dst.String() != tc.dst {
			t.Errorf("Host %s: dst %s, want %s", tc.host, in.Dst, tc.dst)
		}
		if len(f.calls) != 2 || f.calls[1] != "dns v6.test v6 wait" {
			t.Errorf("calls %q", f.calls)
		}
	}
	// Without a Resolver (no resolvers at run time) nothing is set.
	in := newInput(cfg, s, parseReq(t, "GET /", "Host: app.test"), "192.0.2.1")
	var v Verdict
	s.Request(in, &v)
	ref, _ := cfg.Expr.Vars.Declare("txn.ip")
	var smp expr.Sample
	if in.GetVar(ref, &smp) {
		t.Errorf("txn.ip set without a resolver: %v", smp.IP)
	}
}

// In tcp-request content, do-resolve may wait only while the inspect
// delay runs (final false; in an HTTP proxy, whenever a delay is set).
func TestDoResolveTCPContentWaits(t *testing.T) {
	s, cfg := compileProxy(t, `listen l
 mode tcp
 bind 127.0.0.1:1
 server s 127.0.0.1:2
 tcp-request inspect-delay 1s
 tcp-request content do-resolve(sess.ip,dns,ipv4) str(app.test)
resolvers dns
 nameserver a 127.0.0.1:53
`, "l")
	for _, final := range []bool{false, true} {
		f := &fakeResolver{}
		in := newInput(cfg, s, nil, "192.0.2.1")
		in.Req, in.Resolver = nil, f
		s.Content(in, final)
		want := "dns app.test v4 wait"
		if final {
			want = "dns app.test v4 nowait"
		}
		if len(f.calls) != 1 || f.calls[0] != want {
			t.Errorf("final %v: calls %q, want %q", final, f.calls, want)
		}
	}
}

func TestDoResolveHTTPContentWaits(t *testing.T) {
	for _, delay := range []string{"1s", "0"} {
		s, cfg := frontend(t, ` tcp-request inspect-delay `+delay+`
 tcp-request content do-resolve(txn.ip,dns) str(app.test)
resolvers dns
 nameserver a 127.0.0.1:53`)
		f := &fakeResolver{}
		in := newInput(cfg, s, parseReq(t, "GET /"), "192.0.2.1")
		in.Resolver = f
		s.Content(in, true)
		want := "dns app.test v6 wait"
		if delay == "0" {
			want = "dns app.test v6 nowait"
		}
		if len(f.calls) != 1 || f.calls[0] != want {
			t.Errorf("inspect-delay %s: calls %q, want %q", delay, f.calls, want)
		}
	}
}
