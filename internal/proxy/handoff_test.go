package proxy

import (
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"baton/internal/worker"
)

// The worker detects hand-over support with this interface; the
// assertion lives in a test so that proxy does not import worker.
var _ worker.Migrator = (*Engine)(nil)

// dupTo is a send function that does what the worker does across
// processes: the descriptor is duplicated while the old engine holds the
// connection parked, and the duplicate is adopted by next.
func dupTo(next *Engine, sent *atomic.Int64) func(string, *net.TCPConn, []byte) error {
	return func(bind string, c *net.TCPConn, buffered []byte) error {
		nc, err := dupConn(c)
		if err != nil {
			return err
		}
		if err := next.Adopt(bind, nc, buffered); err != nil {
			nc.Close()
			return err
		}
		sent.Add(1)
		return nil
	}
}

// dupConn duplicates c's descriptor into a new net.Conn, as a descriptor
// passed to another process would be.
func dupConn(c syscall.Conn) (net.Conn, error) {
	rc, err := c.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) { nfd, derr = syscall.Dup(int(fd)) }); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, derr
	}
	f := os.NewFile(uintptr(nfd), "handed-over")
	defer f.Close()
	return net.FileConn(f)
}

// HandOff moves idle and fresh connections to the next engine: the
// clients see no EOF, and their next requests on the same connections
// are answered by the new generation, keep-alive. A request in flight
// finishes in the old one with Connection: close, and the old engine is
// done once it has.
func TestHandOffMovesWaitingConnections(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	unblock := func() { once.Do(func() { close(release) }) }
	t.Cleanup(unblock)
	a := newLabelled(t, "a", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/slow" {
			<-release
		}
		w.Header().Set("X-Backend", "a")
		io.WriteString(w, "a")
	})
	b := newLabelled(t, "b", nil)
	oldH := start(t, cfgOf(listenProxy("web", a.addr())))
	p := listenProxy("web", b.addr())
	p.HTTPLog, p.LogGlobal = true, true
	newH := start(t, cfgOf(p))

	idle := oldH.dial()
	if resp, _ := idle.get("/"); resp.Header.Get("X-Backend") != "a" {
		t.Fatalf("before: %v", resp.Header)
	}
	busy := oldH.dial()
	busy.send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n")
	waitFor(t, "slow request at the server", func() bool { return a.reqs.Load() == 2 })
	fresh := oldH.dial()
	waitFor(t, "three connections", func() bool { return oldH.e.Conns() == 3 })
	waitFor(t, "fresh connection waiting", func() bool { return waiting(oldH.e) == 2 })

	var sent atomic.Int64
	oldH.e.HandOff(dupTo(newH.e, &sent))
	if sent.Load() != 2 {
		t.Fatalf("%d connections handed over, want 2 (idle and fresh)", sent.Load())
	}
	waitFor(t, "old engine keeps only the busy connection", func() bool { return oldH.e.Conns() == 1 })
	if n := newH.e.Conns(); n != 2 {
		t.Fatalf("new engine has %d connections, want 2", n)
	}
	oldH.e.SoftStop(0)

	// The old descriptor is closed without a shutdown: no EOF reaches
	// the clients (a FIN would be readable at once on loopback).
	for _, c := range []*client{idle, fresh} {
		c.c.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
		if _, err := c.br.ReadByte(); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("client reads %v after the hand-over, want nothing (timeout)", err)
		}
		c.c.SetReadDeadline(time.Now().Add(10 * time.Second))
	}
	for name, c := range map[string]*client{"idle": idle, "fresh": fresh} {
		for i := 0; i < 2; i++ {
			resp, body := c.get("/")
			if resp.StatusCode != 200 || body != "backend b\n" || resp.Close {
				t.Fatalf("%s client request %d after hand-over: %d %q close=%v, want the new backend, keep-alive", name, i, resp.StatusCode, body, resp.Close)
			}
		}
	}
	select {
	case <-oldH.e.Done():
		t.Fatal("old engine done while a request is in flight")
	default:
	}
	unblock()
	resp, body := busy.read("GET")
	if body != "a" || !resp.Close {
		t.Fatalf("in-flight response %q close=%v, want a with Connection: close", body, resp.Close)
	}
	select {
	case <-oldH.e.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("old engine not done")
	}
	if l := oldH.log.String(); l != "" {
		t.Errorf("old engine logged %q for handed-over connections", l)
	}
}

// A connection whose send fails stays in the old engine and is served
// there, answered with Connection: close.
func TestHandOffSendFailureKeepsConnection(t *testing.T) {
	a := newLabelled(t, "a", nil)
	h := start(t, cfgOf(listenProxy("web", a.addr())))
	idle := h.dial()
	idle.get("/")
	fresh := h.dial()
	waitFor(t, "two waiting connections", func() bool { return waiting(h.e) == 2 })
	var tries atomic.Int64
	h.e.HandOff(func(string, *net.TCPConn, []byte) error {
		tries.Add(1)
		return errors.New("next generation refuses")
	})
	if tries.Load() != 2 {
		t.Fatalf("send called %d times, want 2", tries.Load())
	}
	// The fresh one is still served; the idle one may be closed by the
	// drain (it was answered before), but if it sends in time it is
	// answered with Connection: close too.
	resp, body := fresh.get("/")
	if resp.StatusCode != 200 || body != "backend a\n" || !resp.Close {
		t.Fatalf("kept fresh connection: %d %q close=%v", resp.StatusCode, body, resp.Close)
	}
	fresh.expectClosed()
	h.e.SoftStop(0)
	idle.expectClosed()
	<-h.e.Done()
}

// Adopt refuses an engine that stopped accepting and a bind it does not
// serve; it never blocks on maxconn.
func TestAdopt(t *testing.T) {
	a := newLabelled(t, "a", nil)
	p := listenProxy("web", a.addr())
	p.MaxConn = 1
	h := start(t, cfgOf(p))
	first := h.dial()
	first.get("/") // holds the only slot
	for i := 0; i < 2; i++ {
		cl, sv := tcpPair(t)
		if err := h.e.Adopt("test:web", sv, nil); err != nil {
			t.Fatalf("Adopt beyond maxconn: %v", err)
		}
		c := &client{t: t, c: cl, br: newReader(cl)}
		if resp, _ := c.get("/"); resp.StatusCode != 200 {
			t.Fatalf("adopted connection: %d", resp.StatusCode)
		}
	}
	cl, sv := tcpPair(t)
	if err := h.e.Adopt("test:nope", sv, nil); err == nil {
		t.Fatal("Adopt on an unknown bind succeeded")
	}
	cl.Close()
	sv.Close()
	// Buffered bytes are the start of the first request.
	cl, sv = tcpPair(t)
	if err := h.e.Adopt("test:web", sv, []byte("GET /buf HTTP/1.1\r\n")); err != nil {
		t.Fatal(err)
	}
	c := &client{t: t, c: cl, br: newReader(cl)}
	c.send("Host: x\r\n\r\n")
	if resp, body := c.read("GET"); resp.StatusCode != 200 || body != "backend a\n" {
		t.Fatalf("adopted with buffered bytes: %d %q", resp.StatusCode, body)
	}
	h.e.StopAccepting()
	cl, sv = tcpPair(t)
	defer cl.Close()
	if err := h.e.Adopt("test:web", sv, nil); err == nil {
		t.Fatal("Adopt after StopAccepting succeeded")
	}
	sv.Close()
}
