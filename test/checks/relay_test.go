package checks_test

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"baton/test/harness"
)

// relay is the fault injector of these tests: a loopback address that
// refuses connections (closed), or forwards them to a real server or a
// fake one. Switching leaves connections already made to finish with
// their target (cutting a check in flight would make its failure a
// matter of timing); the next connection meets the new one.
type relay struct {
	t      testing.TB
	Addr   string
	mu     sync.Mutex
	ln     net.Listener
	target string
	conns  map[net.Conn]bool
}

// newRelay reserves an address and starts closed.
func newRelay(t testing.TB) *relay {
	r := &relay{t: t, Addr: harness.FreeAddr(t), conns: map[net.Conn]bool{}}
	t.Cleanup(r.close)
	return r
}

// close closes the address and every connection.
func (r *relay) close() {
	r.to("")
	r.mu.Lock()
	defer r.mu.Unlock()
	for c := range r.conns {
		c.Close()
	}
	clear(r.conns)
}

// to forwards to target from now on; "" closes the address.
func (r *relay) to(target string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.target = target
	if target == "" {
		if r.ln != nil {
			r.ln.Close()
			r.ln = nil
		}
		return
	}
	if r.ln != nil {
		return
	}
	var err error
	for i := 0; i < 100; i++ { // the closed port may linger a moment
		if r.ln, err = net.Listen("tcp", r.Addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		r.t.Errorf("relay %s: %v", r.Addr, err)
		return
	}
	go r.accept(r.ln)
}

func (r *relay) accept(ln net.Listener) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return
		}
		r.mu.Lock()
		target := r.target
		if r.ln != ln || target == "" {
			r.mu.Unlock()
			c.Close()
			continue
		}
		r.conns[c] = true
		r.mu.Unlock()
		go r.pipe(c, target)
	}
}

func (r *relay) pipe(c net.Conn, target string) {
	s, err := net.DialTimeout("tcp", target, 5*time.Second)
	if err != nil {
		c.Close()
		r.mu.Lock()
		delete(r.conns, c)
		r.mu.Unlock()
		return
	}
	r.mu.Lock()
	if !r.conns[c] {
		r.mu.Unlock()
		c.Close()
		s.Close()
		return
	}
	r.conns[s] = true
	r.mu.Unlock()
	done := make(chan struct{}, 2)
	go func() { io.Copy(s, c); s.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	go func() { io.Copy(c, s); c.(*net.TCPConn).CloseWrite(); done <- struct{}{} }()
	<-done
	<-done
	c.Close()
	s.Close()
	r.mu.Lock()
	delete(r.conns, c)
	delete(r.conns, s)
	r.mu.Unlock()
}
