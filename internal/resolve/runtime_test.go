package resolve

import (
	"context"
	"net"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/syslog"
)

// fakeDNS is a UDP name server whose answers the test sets: answer
// builds the response to a query (nil: no answer).
type fakeDNS struct {
	conn    *net.UDPConn
	mu      sync.Mutex
	answer  func(id uint16, q Question) []byte
	queries atomic.Int64
}

func newFakeDNS(t *testing.T, answer func(id uint16, q Question) []byte) *fakeDNS {
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeDNS{conn: c, answer: answer}
	t.Cleanup(func() { c.Close() })
	go func() {
		buf := make([]byte, 4096)
		for {
			n, from, err := c.ReadFromUDP(buf)
			if err != nil {
				return
			}
			m, err := Parse(buf[:n])
			if err != nil {
				continue
			}
			f.queries.Add(1)
			f.mu.Lock()
			fn := f.answer
			f.mu.Unlock()
			if out := fn(m.ID, m.Question); out != nil {
				c.WriteToUDP(out, from)
			}
		}
	}()
	return f
}

func (f *fakeDNS) set(fn func(id uint16, q Question) []byte) {
	f.mu.Lock()
	f.answer = fn
	f.mu.Unlock()
}

func (f *fakeDNS) addr() string { return f.conn.LocalAddr().String() }

// hosts answers A queries from a table; AAAA queries get an empty
// answer (NOERROR, no records), unknown names NXDOMAIN.
func hosts(table map[string][]string) func(id uint16, q Question) []byte {
	return func(id uint16, q Question) []byte {
		ips, ok := table[q.Name]
		if !ok {
			return newResponse(id, RCodeNXDomain, q.Name, q.Type).bytes()
		}
		m := newResponse(id, 0, q.Name, q.Type)
		for _, ip := range ips {
			if a := netip.MustParseAddr(ip); a.Is4() == (q.Type == TypeA) {
				m.a("@12", ip)
			}
		}
		return m.bytes()
	}
}

// testRuntime builds backend "be" from servers (config lines after
// "backend be"), with a resolvers section "dns" on the given name
// servers, fast timers, and starts resolving.
type testRT struct {
	t    *testing.T
	rt   *Runtime
	be   *backend.Backend
	logs *lines
}

type lines struct {
	mu sync.Mutex
	l  []string
	// added is closed (and replaced) by each add, waking await.
	added chan struct{}
}

func (l *lines) add(backend string, lvl syslog.Level, msg string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.l = append(l.l, msg)
	if l.added != nil {
		close(l.added)
		l.added = nil
	}
}

// await reports whether a line containing sub is logged within 5s. A
// change is logged after it is applied (the line counts the servers
// left), so a test that saw the change waits for its line.
func (l *lines) await(sub string) bool {
	deadline := time.After(5 * time.Second)
	for {
		l.mu.Lock()
		found := slices.ContainsFunc(l.l, func(s string) bool { return strings.Contains(s, sub) })
		if l.added == nil {
			l.added = make(chan struct{})
		}
		added := l.added
		l.mu.Unlock()
		if found {
			return true
		}
		select {
		case <-added:
		case <-deadline:
			return false
		}
	}
}

func (l *lines) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.l {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *lines) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.l, "\n")
}

func startRT(t *testing.T, servers, resolvers string, state State, dns ...*fakeDNS) *testRT {
	t.Helper()
	src := "backend be\n  mode http\n  timeout connect 1s\n  timeout server 1s\n" + servers + "resolvers dns\n"
	for i, d := range dns {
		src += "  nameserver ns" + string(rune('1'+i)) + " " + d.addr() + "\n"
	}
	if resolvers == "" {
		resolvers = "  timeout resolve 20ms\n  timeout retry 50ms\n  hold nx 0\n  hold other 0\n  hold timeout 0\n  hold refused 0\n"
	}
	src += resolvers
	cfg, err := config.Parse("t.cfg", []byte(src))
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	b := backend.New(cfg.Backend("be"))
	tr := &testRT{t: t, be: b, logs: &lines{}}
	tr.rt, err = New(cfg, map[string]*backend.Backend{"be": b}, Options{Log: tr.logs.add, State: state})
	if err != nil {
		t.Fatal(err)
	}
	tr.rt.Start(context.Background())
	t.Cleanup(tr.rt.Stop)
	return tr
}

// addrs returns "name=addr" for every server, "-" for none.
func (tr *testRT) addrs() string {
	var out []string
	for _, s := range tr.be.Servers {
		a := s.Addr()
		if a == "" {
			a = "-"
		}
		out = append(out, s.Name+"="+a)
	}
	return strings.Join(out, " ")
}

func (tr *testRT) wait(want string) {
	tr.t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for tr.addrs() != want {
		if time.Now().After(deadline) {
			tr.t.Fatalf("servers %s, want %s\nlog:\n%s", tr.addrs(), want, tr.logs)
		}
		time.Sleep(2 * time.Millisecond) // polling the servers' atomics
	}
}

func TestTemplateFollowsAnswers(t *testing.T) {
	table := map[string][]string{"app.test": {"10.0.0.1", "10.0.0.2"}}
	var mu sync.Mutex
	d := newFakeDNS(t, nil)
	d.set(func(id uint16, q Question) []byte {
		mu.Lock()
		defer mu.Unlock()
		return hosts(table)(id, q)
	})
	tr := startRT(t, "  server-template web 3 app.test:80 resolvers dns init-addr none\n", "", nil, d)
	tr.wait("web1=10.0.0.1:80 web2=10.0.0.2:80 web3=-")
	if !tr.logs.has("be/web1 changed its IP from (none) to 10.0.0.1 by dns/ns1.") || !tr.logs.await("Server be/web2 ('app.test') is UP/READY (resolves again).") {
		t.Errorf("log:\n%s", tr.logs)
	}
	// 10.0.0.1 leaves, 10.0.0.3 comes: web1 is freed and, drained, takes
	// the new address; web2 keeps its own.
	mu.Lock()
	table["app.test"] = []string{"10.0.0.2", "10.0.0.3"}
	mu.Unlock()
	tr.wait("web1=10.0.0.3:80 web2=10.0.0.2:80 web3=-")
	// A request in flight on web2 when its address leaves: the new one
	// goes to the free, drained web3 instead.
	s2 := tr.be.Servers[1]
	held, err := tr.be.Acquire(backend.Key{}, nil, time.Time{})
	for err == nil && held != s2 {
		tr.be.Release(held)
		held, err = tr.be.Acquire(backend.Key{}, nil, time.Time{})
	}
	mu.Lock()
	table["app.test"] = []string{"10.0.0.3", "10.0.0.4"}
	mu.Unlock()
	tr.wait("web1=10.0.0.3:80 web2=- web3=10.0.0.4:80")
	tr.be.Release(held)
	if !tr.logs.await("Server be/web2 is going DOWN for maintenance (No IP for server). 2 active and 0 backup servers left. 1 sessions active.") {
		t.Errorf("log:\n%s", tr.logs)
	}
	st := tr.rt.State()
	if len(st) != 3 || st[1] != (ServerState{Backend: "be", Server: "web2", Name: "app.test"}) || st[2].Addr != "10.0.0.4:80" {
		t.Errorf("state %+v", st)
	}
}

func TestDuplicatesAndPreferences(t *testing.T) {
	two := []string{"10.0.0.1", "192.168.1.5", "fd00::5"}
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": two, "spread.test": two}))
	tr := startRT(t, "  server-template web 2 app.test:80 resolvers dns init-addr 10.0.0.1\n"+
		"  server-template dup 3 app.test:81 resolvers dns resolve-prefer ipv4 resolve-opts allow-dup-ip resolve-net 192.168.0.0/16 init-addr none\n"+
		"  server-template spread 4 spread.test:82 resolvers dns resolve-prefer ipv4 resolve-opts allow-dup-ip init-addr none\n", "", nil, d)
	// web starts with 10.0.0.1 twice (init-addr). It prefers IPv6 (the
	// default) and asks AAAA first: the answer holds fd00::5 alone, which
	// web1 takes; web2 may not share it and has nothing left.
	// dup asks A: the preferred network outweighs an unused address, so
	// all share 192.168.1.5 (duplicates allowed). spread has no network
	// preference: the addresses alternate, the least used first.
	tr.wait("web1=[fd00::5]:80 web2=- dup1=192.168.1.5:81 dup2=192.168.1.5:81 dup3=192.168.1.5:81 " +
		"spread1=10.0.0.1:82 spread2=192.168.1.5:82 spread3=10.0.0.1:82 spread4=192.168.1.5:82")
}

func TestHoldAndFailure(t *testing.T) {
	// lastValid is when the name server last began a valid answer: the
	// resolver takes it later, so its hold period ends after lastValid
	// plus the hold.
	var lastValid atomic.Int64
	valid := func(ip string) func(id uint16, q Question) []byte {
		answer := hosts(map[string][]string{"app.test": {ip}})
		return func(id uint16, q Question) []byte {
			if q.Type == TypeA {
				lastValid.Store(time.Now().UnixNano())
			}
			return answer(id, q)
		}
	}
	d := newFakeDNS(t, valid("10.0.0.1"))
	tr := startRT(t, "  server s1 app.test:80 resolvers dns resolve-prefer ipv4 init-addr none\n",
		"  timeout resolve 20ms\n  timeout retry 30ms\n  hold nx 300ms\n  hold timeout 0\n", nil, d)
	tr.wait("s1=10.0.0.1:80")
	d.set(hosts(nil)) // NXDOMAIN from now on
	tr.wait("s1=-")
	if e := time.Since(time.Unix(0, lastValid.Load())); e < 300*time.Millisecond {
		t.Errorf("server lost its address %v after the last valid answer, hold nx is 300ms", e)
	}
	if !tr.logs.has("resolvers dns: resolution of app.test failed (DNS NX status); servers keep their addresses until 300ms without a valid answer") ||
		!tr.logs.await("Server be/s1 is going DOWN for maintenance (DNS NX status).") {
		t.Errorf("log:\n%s", tr.logs)
	}
	d.set(valid("10.0.0.9"))
	tr.wait("s1=10.0.0.9:80")
	d.set(func(uint16, Question) []byte { return nil }) // silence: timeouts, hold timeout 0
	tr.wait("s1=-")
	if !tr.logs.await("Server be/s1 is going DOWN for maintenance (DNS timeout status).") || tr.rt.sections[0].servers[0].count.Timeout.Load() == 0 {
		t.Errorf("no timeout recorded; log:\n%s", tr.logs)
	}
}

// AAAA refused, then A valid: the other family is asked at once.
func TestFamilyFallback(t *testing.T) {
	d := newFakeDNS(t, func(id uint16, q Question) []byte {
		if q.Type == TypeAAAA {
			return newResponse(id, RCodeRefused, q.Name, q.Type).bytes()
		}
		return newResponse(id, 0, q.Name, q.Type).a("@12", "10.1.1.1").bytes()
	})
	tr := startRT(t, "  server s1 app.test:80 resolvers dns init-addr none\n", "", nil, d)
	tr.wait("s1=10.1.1.1:80")
	ns := &tr.rt.sections[0].servers[0].count
	if ns.Refused.Load() == 0 || ns.Valid.Load() == 0 || ns.Update.Load() != 1 {
		t.Errorf("counters refused %d valid %d update %d", ns.Refused.Load(), ns.Valid.Load(), ns.Update.Load())
	}
}

// Bad answers never corrupt the servers: each is counted and the good
// name server's answer wins.
func TestBadAnswers(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(id uint16, q Question) []byte
		counter func(c *Counters) *atomic.Uint64
	}{
		{"wrong id", func(id uint16, q Question) []byte {
			return newResponse(id+1, 0, q.Name, q.Type).a("@12", "6.6.6.6").bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.Outdated }},
		{"another name", func(id uint16, q Question) []byte {
			return newResponse(id, 0, "evil.test", q.Type).a("@12", "6.6.6.6").bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.Invalid }},
		{"records for another name", func(id uint16, q Question) []byte {
			return newResponse(id, 0, q.Name, q.Type).a("evil.test", "6.6.6.6").bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.Invalid }},
		{"compression loop", func(id uint16, q Question) []byte {
			return newResponse(id, 0, q.Name, q.Type).a("@24", "6.6.6.6").bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.Invalid }},
		{"truncated message", func(id uint16, q Question) []byte {
			b := newResponse(id, 0, q.Name, q.Type).a("@12", "6.6.6.6").bytes()
			return b[:len(b)-2]
		}, func(c *Counters) *atomic.Uint64 { return &c.Invalid }},
		{"TC bit", func(id uint16, q Question) []byte {
			b := newResponse(id, 0, q.Name, q.Type).a("@12", "6.6.6.6").bytes()
			b[2] |= 0x02
			return b
		}, func(c *Counters) *atomic.Uint64 { return &c.Truncated }},
		{"too big", func(id uint16, q Question) []byte {
			m := newResponse(id, 0, q.Name, q.Type)
			for i := range 60 {
				m.a("@12", netip.AddrFrom4([4]byte{6, 6, 6, byte(i)}).String())
			}
			return m.bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.TooBig }},
		{"empty answer", func(id uint16, q Question) []byte {
			return newResponse(id, 0, q.Name, q.Type).bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.AnyErr }},
		{"CNAME to nowhere", func(id uint16, q Question) []byte {
			return newResponse(id, 0, q.Name, q.Type).cname("@12", "elsewhere.test").bytes()
		}, func(c *Counters) *atomic.Uint64 { return &c.CNAMEError }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			bad := newFakeDNS(t, tc.answer)
			// The good server answers late, after the bad one.
			good := newFakeDNS(t, nil)
			good.set(func(id uint16, q Question) []byte {
				time.Sleep(5 * time.Millisecond)
				return newResponse(id, 0, q.Name, q.Type).cname("@12", "real.test").a("real.test", "10.0.0.7").bytes()
			})
			tr := startRT(t, "  server s1 app.test:80 resolvers dns resolve-prefer ipv4 init-addr none\n", "", nil, bad, good)
			tr.wait("s1=10.0.0.7:80")
			deadline := time.Now().Add(5 * time.Second)
			for tc.counter(&tr.rt.sections[0].servers[0].count).Load() == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("bad answer not counted:\n%s", tr.rt.ShowResolvers(""))
				}
				time.Sleep(2 * time.Millisecond)
			}
			if c := tr.rt.sections[0].servers[1].count.CNAME.Load(); c == 0 {
				t.Errorf("good server's CNAME not counted")
			}
			// Never the bad address, whatever came first.
			if strings.Contains(tr.logs.String(), "to 6.6.6.6") {
				t.Errorf("bad address used:\n%s", tr.logs)
			}
			// Each bad answer is said (empty answers are routine: an
			// AAAA query for an IPv4-only name).
			if tc.name != "empty answer" && !tr.logs.await("resolvers dns: nameserver ns1: ") {
				t.Errorf("bad answer not logged:\n%s", tr.logs)
			}
		})
	}
}

func srvAnswer(withExtra bool, recs ...string) func(id uint16, q Question) []byte {
	return func(id uint16, q Question) []byte {
		switch q.Type {
		case TypeSRV:
			m := newResponse(id, 0, q.Name, q.Type)
			for _, r := range recs {
				f := strings.Fields(r) // target port weight ip
				port, weight := atoi(f[1]), atoi(f[2])
				m.srv("@12", 1, uint16(weight), uint16(port), f[0])
			}
			if withExtra {
				for _, r := range recs {
					f := strings.Fields(r)
					m.additionalA(f[0], f[3])
				}
			}
			return m.bytes()
		case TypeA:
			for _, r := range recs {
				if f := strings.Fields(r); f[0] == q.Name {
					return newResponse(id, 0, q.Name, q.Type).a("@12", f[3]).bytes()
				}
			}
		}
		return newResponse(id, RCodeNXDomain, q.Name, q.Type).bytes()
	}
}

func atoi(s string) int {
	n := 0
	for _, c := range s {
		n = n*10 + int(c-'0')
	}
	return n
}

func TestSRV(t *testing.T) {
	for _, extra := range []bool{true, false} {
		name := "additional records"
		if !extra {
			name = "target resolutions"
		}
		t.Run(name, func(t *testing.T) {
			d := newFakeDNS(t, srvAnswer(extra, "a.svc 8001 256 10.0.0.1", "b.svc 8002 65535 10.0.0.2"))
			tr := startRT(t, "  server-template s 3 _web._tcp.svc resolvers dns resolve-prefer ipv4\n", "", nil, d)
			tr.wait("s1=10.0.0.1:8001 s2=10.0.0.2:8002 s3=-")
			if w1, w2 := tr.be.Servers[0].Weight(), tr.be.Servers[1].Weight(); w1 != 1 || w2 != 256 {
				t.Errorf("weights %d %d, want 1 256", w1, w2)
			}
			d.set(srvAnswer(extra, "b.svc 8002 0 10.0.0.2", "c.svc 9000 512 10.0.0.3"))
			tr.wait("s1=10.0.0.3:9000 s2=10.0.0.2:8002 s3=-")
			if w1, w2 := tr.be.Servers[0].Weight(), tr.be.Servers[1].Weight(); w1 != 2 || w2 != 0 {
				t.Errorf("weights %d %d, want 2 0", w1, w2)
			}
			if !tr.logs.has("be/s1 changed its FQDN from a.svc to (none) by 'SRV record'") || !tr.logs.has("be/s1 changed its FQDN from (none) to c.svc") {
				t.Errorf("log:\n%s", tr.logs)
			}
			st := tr.rt.State()
			if st[0] != (ServerState{Backend: "be", Server: "s1", Name: "_web._tcp.svc", Addr: "10.0.0.3:9000", Target: "c.svc", Port: 9000, Weight: 2}) {
				t.Errorf("state %+v", st[0])
			}
			// b leaves while s2 serves a request, so the new record takes
			// the idle s3: s2 must still lose b's address (it kept it
			// when its port was cleared before the change was applied).
			if !tr.be.TakeServer(tr.be.Servers[1], true) {
				t.Fatal("s2: no connection slot")
			}
			d.set(srvAnswer(extra, "c.svc 9000 512 10.0.0.3", "d.svc 9100 256 10.0.0.4"))
			tr.wait("s1=10.0.0.3:9000 s2=- s3=10.0.0.4:9100")
		})
	}
}

// A generation starts with what the previous one resolved: no request
// goes to the init-addr value while the first answer is awaited.
func TestStateCarriedOver(t *testing.T) {
	d := newFakeDNS(t, nil)
	d.set(func(uint16, Question) []byte { return nil }) // no answer yet
	state := State{
		{Backend: "be", Server: "web1", Name: "app.test", Addr: "10.0.0.8:80"},
		{Backend: "be", Server: "web2", Name: "app.test"},
		{Backend: "be", Server: "s", Name: "other.test", Addr: "10.9.9.9:80"}, // the name changed: ignored
		{Backend: "be", Server: "srv1", Name: "_x._tcp.y", Addr: "10.0.0.5:7000", Target: "t.y", Port: 7000, Weight: 3},
	}
	tr := startRT(t, "  server-template web 2 app.test:80 resolvers dns init-addr 10.1.1.1\n"+
		"  server s new.test:80 resolvers dns init-addr 10.2.2.2\n"+
		"  server srv1 _x._tcp.y resolvers dns\n", "  timeout resolve 1s\n  timeout retry 1s\n", state, d)
	if got := tr.addrs(); got != "web1=10.0.0.8:80 web2=- s=10.2.2.2:80 srv1=10.0.0.5:7000" {
		t.Fatalf("servers %s", got)
	}
	if w := tr.be.Servers[3].Weight(); w != 3 {
		t.Errorf("srv1 weight %d, want 3", w)
	}
	if !tr.logs.has("3 server(s) start with the address the previous generation resolved") {
		t.Errorf("log:\n%s", tr.logs)
	}
	enc := tr.rt.State().Encode()
	back, err := DecodeState(enc)
	if err != nil || len(back) != 4 || back[1].Server != "srv1" || back[1].Target != "t.y" {
		t.Errorf("state round trip %v %+v", err, back)
	}
}

func TestShowResolvers(t *testing.T) {
	d := newFakeDNS(t, hosts(map[string][]string{"app.test": {"10.0.0.1"}}))
	tr := startRT(t, "  server s1 app.test:80 resolvers dns resolve-prefer ipv4 init-addr none\n", "", nil, d)
	tr.wait("s1=10.0.0.1:80")
	out := tr.rt.ShowResolvers("")
	if !strings.HasPrefix(out, "Resolvers section dns\n nameserver ns1:\n  sent:        ") || !strings.HasSuffix(out, "  outdated:    0\n\n") {
		t.Errorf("show resolvers:\n%q", out)
	}
	for _, f := range []string{"snd_error:   0", "valid:       ", "update:      1", "cname_error: 0", "too_big:     0", "truncated:   0"} {
		if !strings.Contains(out, "\n  "+f) {
			t.Errorf("missing %q in\n%s", f, out)
		}
	}
	if got := tr.rt.ShowResolvers("nope"); got != "Can't find that resolvers section\n\n" {
		t.Errorf("unknown section: %q", got)
	}
	if got := tr.rt.ShowResolvers("dns"); !strings.HasPrefix(got, "Resolvers section dns\n") {
		t.Errorf("named section: %q", got)
	}
}

// A flood of bad answers costs a line per kind and second, which then
// says how many were left unsaid.
func TestBadAnswerLogLimit(t *testing.T) {
	logs := &lines{}
	ns := &nameserver{name: "ns1", logged: map[*atomic.Uint64]*logLimit{}}
	s := &section{rt: &Runtime{opt: Options{Log: logs.add}}, cfg: config.Resolvers{Name: "dns"}, servers: []*nameserver{ns}}
	for range 100 {
		s.bad(ns, &ns.count.Outdated, "forged")
	}
	s.bad(ns, &ns.count.Invalid, "broken")
	if got := logs.String(); got != "resolvers dns: nameserver ns1: forged\nresolvers dns: nameserver ns1: broken" {
		t.Fatalf("lines:\n%s", got)
	}
	ns.logged[&ns.count.Outdated].at = time.Now().Add(-logEvery) // the second has passed
	s.bad(ns, &ns.count.Outdated, "forged")
	if !logs.has("forged (and 99 more like it)") || ns.count.Outdated.Load() != 101 {
		t.Errorf("lines:\n%s\ncount %d", logs, ns.count.Outdated.Load())
	}
}
