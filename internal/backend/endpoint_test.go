package backend

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"baton/internal/config"
)

// dynamicBackend has two servers resolved at run time: a starts with
// the address of a local listener, b without one.
func dynamicBackend(t *testing.T) (*Backend, net.Listener) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	p := &config.Proxy{Name: "be", Servers: []*config.Server{
		{Name: "a", Addr: ln.Addr().String(), Weight: 1, Host: "app", Resolvers: "dns"},
		{Name: "b", Weight: 1, Host: "app", Resolvers: "dns"},
	}}
	b := New(p)
	t.Cleanup(b.Close)
	return b, ln
}

func TestServerWithoutAddressIsNotPicked(t *testing.T) {
	b, ln := dynamicBackend(t)
	a, s := b.Servers[0], b.Servers[1]
	if s.Usable() || s.Addr() != "" || s.Endpoint() != nil {
		t.Fatalf("b without an address: usable %v addr %q", s.Usable(), s.Addr())
	}
	for range 4 {
		got := mustAcquire(t, b, Key{}, nil)
		if got != a {
			t.Fatalf("picked %s, want a (b has no address)", got.Name)
		}
		b.Release(got)
	}
	if a.Addr() != ln.Addr().String() || b.UsableActive() != 1 {
		t.Errorf("a addr %q, usable %d", a.Addr(), b.UsableActive())
	}
	// a loses its address: nothing is left; b gets one.
	changed := b.Apply([]AddrUpdate{{Server: a, Weight: -1}})
	if len(changed) != 1 || a.Usable() {
		t.Fatalf("a still usable after losing its address (changed %v)", changed)
	}
	if _, err := b.Acquire(Key{}, nil, time.Time{}); err != ErrNoServer {
		t.Fatalf("Acquire: %v, want ErrNoServer", err)
	}
	b.Apply([]AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort("[::ffff:10.0.0.9]:80"), Weight: 7}})
	if !s.Usable() || s.Addr() != "10.0.0.9:80" || s.Weight() != 7 {
		t.Fatalf("b after update: usable %v addr %q weight %d", s.Usable(), s.Addr(), s.Weight())
	}
	// The same address again changes nothing.
	if changed := b.Apply([]AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort("10.0.0.9:80"), Weight: -1}}); len(changed) != 0 {
		t.Errorf("unchanged address reported as a change")
	}
}

// A queued request gets a server as soon as one receives an address.
func TestApplyWakesQueue(t *testing.T) {
	b, _ := dynamicBackend(t)
	a, s := b.Servers[0], b.Servers[1]
	a.MaxConn = 1
	held := mustAcquire(t, b, Key{}, nil)
	got := make(chan *Server, 1)
	go func() {
		srv, err := b.Acquire(Key{}, nil, time.Now().Add(10*time.Second))
		if err != nil {
			t.Error(err)
		}
		got <- srv
	}()
	for b.Queued() == 0 {
		time.Sleep(time.Millisecond) // polling until the request queued
	}
	b.Apply([]AddrUpdate{{Server: s, Addr: netip.MustParseAddrPort("10.0.0.9:80"), Weight: -1}})
	select {
	case srv := <-got:
		if srv != s {
			t.Errorf("queued request got %s, want b", srv.Name)
		}
		b.Release(srv)
	case <-time.After(5 * time.Second):
		t.Fatal("queued request not woken by the new address")
	}
	b.Release(held)
}

func TestAddressChangeClosesPooledConnections(t *testing.T) {
	b, ln := dynamicBackend(t)
	a := b.Servers[0]
	old, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if !a.PutIdle(old) {
		t.Fatal("connection to the current address refused")
	}
	ch := a.AddrChanged()
	ln2, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln2.Close()
	b.Apply([]AddrUpdate{{Server: a, Addr: netip.MustParseAddrPort(ln2.Addr().String()), Weight: -1}})
	select {
	case <-ch:
	default:
		t.Error("AddrChanged not closed by the change")
	}
	if !isClosed(old) || a.IdleCount() != 0 {
		t.Fatalf("pooled connection to the old address kept (closed %v, idle %d)", isClosed(old), a.IdleCount())
	}
	// A request that was in flight to the old address finishes later:
	// its connection must not be pooled for requests to the new one.
	late, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer late.Close()
	if a.PutIdle(late) {
		t.Fatal("connection to the old address pooled after the change")
	}
	cur, err := net.Dial("tcp", ln2.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	if !a.PutIdle(cur) || a.GetIdle() != cur {
		t.Fatal("connection to the new address not pooled")
	}
	cur.Close()
}

// A connection pooled just before a change, and taken just after (the
// purge had not run yet), is dropped by GetIdle.
func TestGetIdleChecksAddress(t *testing.T) {
	b, ln := dynamicBackend(t)
	a := b.Servers[0]
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if !a.PutIdle(c) {
		t.Fatal("refused")
	}
	// Change the address without the purge (as if GetIdle ran between
	// the store and the purge).
	a.ep.Store(endpointOf(netip.MustParseAddrPort("10.0.0.1:1")))
	if got := a.GetIdle(); got != nil {
		t.Fatal("GetIdle returned a connection to the old address")
	}
	if !isClosed(c) {
		t.Error("stale connection not closed")
	}
}
