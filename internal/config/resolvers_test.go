package config

import (
	"net/netip"
	"reflect"
	"strings"
	"testing"
	"time"
)

func init() {
	ResolvConf = "testdata/resolv.conf"
}

func TestResolversSection(t *testing.T) {
	c := mustParse(t, base+`  server s app.internal:80 resolvers dns
resolvers dns
  nameserver a 127.0.0.1:5353
  nameserver b udp@[::1]:53
  parse-resolv-conf
  resolve_retries 5
  timeout resolve 250ms
  timeout retry 2s
  hold valid 3s
  hold nx 4s
  hold other 5s
  hold refused 6s
  hold timeout 7s
  hold obsolete 8s
  accepted_payload_size 8192
resolvers plain
  nameserver x localhost:53
`)
	r := c.ResolversNamed("dns")
	want := &Resolvers{Name: "dns", Pos: Pos{"t.cfg", 8},
		Nameservers: []Nameserver{
			{Name: "a", Addr: "127.0.0.1:5353", Pos: Pos{"t.cfg", 9}},
			{Name: "b", Addr: "[::1]:53", Pos: Pos{"t.cfg", 10}},
			{Name: "10.9.9.9", Addr: "10.9.9.9:53", Pos: Pos{"t.cfg", 11}},
			{Name: "::1", Addr: "[::1]:53", Pos: Pos{"t.cfg", 11}},
		},
		ResolveRetries: 5, TimeoutResolve: 250 * time.Millisecond, TimeoutRetry: 2 * time.Second,
		Hold:                Holds{Valid: 3 * time.Second, NX: 4 * time.Second, Other: 5 * time.Second, Refused: 6 * time.Second, Timeout: 7 * time.Second, Obsolete: 8 * time.Second},
		AcceptedPayloadSize: 8192, holdValidAt: Pos{"t.cfg", 15},
	}
	if !reflect.DeepEqual(r, want) {
		t.Errorf("resolvers\n got %+v\nwant %+v", r, want)
	}
	p := c.ResolversNamed("plain")
	d := DefaultResolvers
	d.Name, d.Pos = "plain", Pos{"t.cfg", 22}
	d.Nameservers = []Nameserver{{Name: "x", Addr: "127.0.0.1:53", Pos: Pos{"t.cfg", 23}}}
	if !reflect.DeepEqual(p, &d) {
		t.Errorf("defaults\n got %+v\nwant %+v", p, &d)
	}
	// The fe80::1%eth0 line is skipped with a warning; the duplicate
	// 10.9.9.9 too.
	if n := len(c.Warnings); n != 3 || c.Warnings[2] != "t.cfg:15: hold valid: no effect: only do-resolve actions use it, and none uses resolvers dns (servers resolve every timeout resolve)" || !strings.Contains(c.Warnings[0], "resolv.conf:4: nameserver 10.9.9.9 is already in resolvers") || !strings.Contains(c.Warnings[1], "resolv.conf:5: address \"fe80::1%eth0\" is not an IP address") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func TestServerResolution(t *testing.T) {
	c := mustParse(t, base+`  server a app.internal:80 resolvers dns resolve-prefer ipv4 resolve-opts allow-dup-ip,ignore-weight resolve-net 10.0.0.0/8,fd00::/8 init-addr none
  server b gone.example:81 resolvers dns init-addr last,libc,10.1.2.3
  server c gone.example:82 resolvers dns
  server d app.internal:83 slowstart 30s
  server-template web 2-4 gone.example:8080 check resolvers dns init-addr libc,none
  server-template srv 2 _http._tcp.svc.consul resolvers dns
  server e _x._tcp.y:99 resolvers dns
resolvers dns
  nameserver a 127.0.0.1:53
`)
	be := c.Backend("be")
	got := map[string]*Server{}
	var names []string
	for _, s := range be.Servers {
		got[s.Name] = s
		names = append(names, s.Name)
	}
	if strings.Join(names, " ") != "a b c d web2 web3 web4 srv1 srv2 e" {
		t.Fatalf("servers %v", names)
	}
	a := got["a"]
	if a.Addr != "" || a.Host != "app.internal" || a.Port != 80 || a.Resolvers != "dns" || a.ResolvePrefer != "ipv4" ||
		!a.AllowDupIP || !a.IgnoreWeight || !reflect.DeepEqual(a.InitAddr, []string{"none"}) ||
		!reflect.DeepEqual(a.ResolveNets, []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("fd00::/8")}) {
		t.Errorf("a = %+v", a)
	}
	if b := got["b"]; b.Addr != "10.1.2.3:81" {
		t.Errorf("b: init-addr IP: %+v", b)
	}
	if s := got["c"]; s.Addr != "" || s.Host != "gone.example" {
		t.Errorf("c: default init-addr with resolvers starts without an address: %+v", s)
	}
	if s := got["d"]; s.Addr != "10.0.0.7:83" || s.Resolvers != "" || s.SlowStart != 30*time.Second {
		t.Errorf("d: %+v", s)
	}
	for _, n := range []string{"web2", "web3", "web4"} {
		s := got[n]
		if s.Template != "web" || s.Addr != "" || s.Host != "gone.example" || s.Port != 8080 || !s.Check || s.Resolvers != "dns" || s.Pos.Line != 11 {
			t.Errorf("%s = %+v", n, s)
		}
	}
	if s := got["srv2"]; !s.SRV || s.Host != "_http._tcp.svc.consul" || s.Port != 0 || s.Addr != "" || s.Template != "srv" {
		t.Errorf("srv2 = %+v", s)
	}
	// Warnings: c could not resolve; e's port is not used.
	var warned []string
	for _, w := range c.Warnings {
		if strings.Contains(w, "could not resolve") || strings.Contains(w, "is not used") {
			warned = append(warned, w)
		}
	}
	if len(warned) != 2 || !strings.HasPrefix(warned[0], "t.cfg:9: server \"c\"") || !strings.HasPrefix(warned[1], "t.cfg:13: server \"e\"") {
		t.Errorf("warnings %q", c.Warnings)
	}
}

func TestRetryOn(t *testing.T) {
	c := mustParse(t, `defaults
  mode http
  retry-on 503 504 empty-response
  option redispatch 2
backend be
backend b2
  retry-on all-retryable-errors
  no option redispatch
backend b3
  retry-on none
  option redispatch -2
backend b4
  option redispatch 0
  acl post method POST
  http-request disable-l7-retry if post
listen l
  mode tcp
  bind :9
  retry-on response-timeout
backend b5
  retry-on 0rtt-rejected 503
`)
	for _, tc := range []struct {
		name     string
		retryOn  RetryOn
		redisp   bool
		interval int
	}{
		{"be", Retry503 | Retry504 | RetryEmptyResponse, true, 2},
		{"b2", RetryAllRetryable, false, 0},
		{"b3", RetryNever, true, -2},
		{"b4", Retry503 | Retry504 | RetryEmptyResponse, false, 0},
		{"l", RetryResponseTimeout, true, 2},
	} {
		p := c.Backend(tc.name)
		if p.RetryOn != tc.retryOn || p.Redispatch != tc.redisp || p.RedispatchInterval != tc.interval {
			t.Errorf("%s: retry-on %v redispatch %v/%d, want %v %v/%d", tc.name, p.RetryOn, p.Redispatch, p.RedispatchInterval, tc.retryOn, tc.redisp, tc.interval)
		}
	}
	if r := c.Backend("b4").RequestRules; len(r) != 1 || r[0].Action != "disable-l7-retry" || r[0].Cond == nil {
		t.Errorf("disable-l7-retry rule %+v", r)
	}
	if p := mustParse(t, base); p.Backend("be").RetryOn.Effective() != RetryConnFailure {
		t.Errorf("default retry-on %v", p.Backend("be").RetryOn)
	}
	found := false
	for _, w := range c.Warnings {
		found = found || strings.HasPrefix(w, "t.cfg:19: retry-on: listen \"l\" is in mode tcp")
	}
	if !found {
		t.Errorf("no tcp warning in %q", c.Warnings)
	}
	if w := c.Warnings[len(c.Warnings)-1]; !strings.HasPrefix(w, "t.cfg:21: retry-on 0rtt-rejected: no effect in Baton") {
		t.Errorf("0rtt-rejected warning: %q", w)
	}
	if !RetryAllRetryable.Status(503) || RetryAllRetryable.Status(404) || (Retry404|Retry401).String() != "401 404" {
		t.Errorf("RetryOn helpers")
	}
}

func TestDNSErrors(t *testing.T) {
	ns := "resolvers dns\n  nameserver a 127.0.0.1:53\n"
	for _, tc := range []struct {
		name, src string
		want      []string
	}{
		{"no nameserver", "resolvers dns\n  timeout resolve 1s\n", []string{`t.cfg:1: resolvers "dns": no nameserver`}},
		{"duplicate section", ns + "resolvers dns\n  nameserver b 127.0.0.1:53\n", []string{`t.cfg:3: resolvers "dns": already declared at t.cfg:1`}},
		{"duplicate nameserver", ns + "  nameserver a 127.0.0.2:53\n", []string{`t.cfg:3: nameserver a: name already used in resolvers "dns"`}},
		{"tcp nameserver", "resolvers dns\n  nameserver a tcp@127.0.0.1:53\n", []string{`t.cfg:2: nameserver a: TCP name servers (tcp@) are not supported`}},
		{"nameserver without port", "resolvers dns\n  nameserver a 127.0.0.1\n", []string{`t.cfg:2: nameserver a: invalid address "127.0.0.1"`}},
		{"bad retries", ns + "  resolve_retries 0\n", []string{`t.cfg:3: resolve_retries: 0 is out of range 1..1000`}},
		{"bad payload", ns + "  accepted_payload_size 100\n", []string{`t.cfg:3: accepted_payload_size: 100 is out of range 512..65535`}},
		{"bad hold", ns + "  hold nope 1s\n", []string{`t.cfg:3: unknown hold "nope" in resolvers section (supported: nx, obsolete, other, refused, timeout, valid)`}},
		{"zero timeout", ns + "  timeout retry 0\n", []string{`t.cfg:3: timeout retry: must be above 0`}},
		{"typo", ns + "  nameservr b 1.1.1.1:53\n", []string{`t.cfg:3: unknown keyword "nameservr" in resolvers section (did you mean "nameserver"?)`}},
		{"unknown resolvers", base + "  server s app.internal:80 resolvers nope\n", []string{`t.cfg:7: server "s": no resolvers section named "nope"`}},
		{"unknown template resolvers", base + "  server-template w 3 app.internal:80 resolvers nope\n", []string{`t.cfg:7: server "w1": no resolvers section named "nope"`}},
		{"unresolvable without resolvers", base + "  server s gone.example:80\n", []string{`t.cfg:7: server "s": cannot resolve "gone.example"`, `init-addr last,libc`}},
		{"explicit init-addr fails", base + "  server s gone.example:80 resolvers dns init-addr last,libc\n" + ns, []string{`t.cfg:7: server "s": cannot resolve "gone.example"`}},
		{"init-addr last alone", base + "  server s gone.example:80 init-addr last\n", []string{`t.cfg:7: server "s": no init-addr method resolved "gone.example"`}},
		{"bad init-addr", base + "  server s a.b:80 init-addr dns\n", []string{`t.cfg:7: server "s": invalid init-addr method "dns"`}},
		{"srv without resolvers", base + "  server s _a._tcp.b\n", []string{`t.cfg:7: server "s": SRV label "_a._tcp.b" needs resolvers`}},
		{"srv with init-addr ip", base + "  server s _a._tcp.b resolvers dns init-addr 1.2.3.4\n" + ns, []string{`an SRV label has no port`}},
		{"bad prefer", base + "  server s 1.2.3.4:80 resolve-prefer ipv5\n", []string{`invalid resolve-prefer "ipv5"`}},
		{"bad opts", base + "  server s 1.2.3.4:80 resolve-opts dup\n", []string{`unknown resolve-opts "dup"`}},
		{"bad net", base + "  server s 1.2.3.4:80 resolve-net 10.0.0.0\n", []string{`invalid resolve-net "10.0.0.0"`}},
		{"bad host", base + "  server s a!b:80\n", []string{`invalid character '!' in host name`}},
		{"bad slowstart", base + "  server s 1.2.3.4:80 slowstart soon\n", []string{`t.cfg:7: server "s": invalid slowstart "soon"`}},
		{"template range", base + "  server-template w 3-1 a.b:80\n", []string{`t.cfg:7: server-template w: invalid number or range "3-1"`}},
		{"template zero", base + "  server-template w 0 a.b:80\n", []string{`invalid number or range "0"`}},
		{"template clash", base + "  server w2 1.2.3.4:80\n  server-template w 3 1.2.3.4:80\n", []string{`t.cfg:8: server-template w: server name "w2" already declared at t.cfg:7`}},
		{"template option error once", base + "  server-template w 3 1.2.3.4:80 weight x\n", []string{`t.cfg:7: server "w1": invalid weight "x"`}},
		{"template in frontend", "frontend f\n  bind :80\n  server-template w 3 1.2.3.4:80\n", []string{`"server-template" is not allowed in a frontend section`}},
		{"retry-on unknown", base + "  retry-on 418\n", []string{`t.cfg:7: retry-on: unknown keyword "418"`}},
		{"retry-on none mixed", base + "  retry-on none 503\n", []string{`"none" cannot be combined`}},
		{"retry-on empty", base + "  retry-on\n", []string{`retry-on: missing keyword`}},
		{"redispatch bad", base + "  option redispatch x\n", []string{`option redispatch: invalid interval "x"`}},
		{"disable-l7-retry arg", base + "  http-request disable-l7-retry now\n", []string{`http-request disable-l7-retry: unexpected argument "now"`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse("t.cfg", []byte(tc.src))
			if err == nil {
				t.Fatalf("no error for\n%s", tc.src)
			}
			el, _ := err.(ErrorList)
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
			if len(el) != 1 {
				t.Errorf("%d errors, want 1: %v", len(el), err)
			}
		})
	}
}
