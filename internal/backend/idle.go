package backend

import (
	"errors"
	"net"
	"os"
	"sync"
	"syscall"
	"time"
)

// idlePool holds a server's idle keep-alive connections, most recently
// used on top. Entries are recycled through a free list so a steady
// put/get cycle allocates nothing. Its bounds and purge are in
// pool.go.
type idlePool struct {
	mu     sync.Mutex
	closed bool         // the backend was closed: refuse puts
	stack  []*idleEntry // LIFO, oldest at 0; len <= the server's limit
	free   []*idleEntry
	// timer is the pool-purge-delay timer, made on the first put and
	// armed while the pool holds connections (armed).
	timer *time.Timer
	armed bool
}

// idleEntry is one pooled connection and the state of its liveness probe.
type idleEntry struct {
	c net.Conn
	// rc is rcOf's RawConn. SyscallConn allocates, so it is kept while
	// the same connection cycles through this entry (the usual case:
	// the entry freed by GetIdle is the next one PutIdle takes). rcOf
	// may keep a closed connection reachable until the entry is reused.
	rc    syscall.RawConn
	rcOf  net.Conn
	probe func(fd uintptr) bool // e.peek, bound once
	buf   [1]byte
	n     int
	errno syscall.Errno
}

// PutIdle pools c, an idle connection to s, for reuse by a later request.
// It returns false, and the caller closes c, when the pool is full
// (IdleLimit, or the process's idle budget), the backend is closed, the
// server is not Ready and healthy, or c goes to an address the server no
// longer has.
func (s *Server) PutIdle(c net.Conn) bool {
	if c == nil {
		return false
	}
	max := s.IdleLimit()
	p := &s.idle
	p.mu.Lock()
	if p.closed || len(p.stack) >= max || s.State() != Ready || !s.Healthy() || s.checksAddr() && !sameAddr(c, s.ep.Load()) ||
		!takeIdleBudget() {
		p.mu.Unlock()
		return false
	}
	var e *idleEntry
	if n := len(p.free); n > 0 {
		e = p.free[n-1]
		p.free[n-1] = nil
		p.free = p.free[:n-1]
	} else {
		e = &idleEntry{}
		e.probe = e.peek
	}
	if p.stack == nil {
		p.stack = make([]*idleEntry, 0, min(max, 64))
	}
	e.c = c
	p.stack = append(p.stack, e)
	s.armPurge()
	p.mu.Unlock()
	return true
}

// GetIdle returns the most recently pooled idle connection to s, or nil.
// Connections the server has closed (or that received unexpected bytes)
// are closed and skipped: each candidate gets a non-blocking peek at its
// socket, which catches most keep-alive races where the server timed the
// connection out while it sat in the pool.
func (s *Server) GetIdle() net.Conn { return s.GetIdleMatching(nil) }

// GetIdleMatching is GetIdle for the most recently pooled connection that
// match accepts (nil accepts any); the others stay pooled. It is how a
// request finds a TLS connection opened with its own SNI. match runs
// under the pool's lock: it must be quick and must not block.
func (s *Server) GetIdleMatching(match func(net.Conn) bool) net.Conn {
	p := &s.idle
	for {
		p.mu.Lock()
		i := len(p.stack) - 1
		for match != nil && i >= 0 && !match(p.stack[i].c) {
			i--
		}
		if i < 0 {
			p.mu.Unlock()
			return nil
		}
		e := p.stack[i]
		copy(p.stack[i:], p.stack[i+1:])
		p.stack[len(p.stack)-1] = nil
		p.stack = p.stack[:len(p.stack)-1]
		pooledIdle.Add(-1)
		p.mu.Unlock()

		c := e.c
		alive := (!s.checksAddr() || sameAddr(c, s.ep.Load())) && e.alive()
		e.c = nil
		p.mu.Lock()
		p.free = append(p.free, e)
		p.mu.Unlock()
		if alive {
			return c
		}
		c.Close()
	}
}

// IdleCount returns the number of pooled idle connections to s.
func (s *Server) IdleCount() int {
	s.idle.mu.Lock()
	defer s.idle.mu.Unlock()
	return len(s.idle.stack)
}

// alive reports whether e.c looks usable: for a socket (a TLS
// connection's underneath), a peek must find nothing to read yet
// (EAGAIN). EOF, data or an error mean the server closed or misbehaved.
// Connections without a socket are assumed alive.
func (e *idleEntry) alive() bool {
	if e.rcOf != e.c {
		e.rc, e.rcOf = nil, nil
		sc, ok := e.c.(syscall.Conn)
		if nc, isTLS := e.c.(interface{ NetConn() net.Conn }); !ok && isTLS {
			// A TLS connection: its socket tells whether the server
			// closed it (a close_notify or any record counts as data).
			sc, ok = nc.NetConn().(syscall.Conn)
		}
		if !ok {
			return true
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return false
		}
		e.rc, e.rcOf = rc, e.c
	}
	e.n, e.errno = -1, 0
	err := e.rc.Read(e.probe)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		// The connection kept the read deadline of its last exchange
		// (the proxy leaves a plain socket's deadlines set), and it
		// passed while the connection waited here: clear it and peek.
		e.c.SetReadDeadline(time.Time{})
		err = e.rc.Read(e.probe)
	}
	if err != nil {
		return false // closed locally
	}
	return peekAlive(e.n, e.errno)
}

// purge closes every pooled connection; with closing set, later puts are
// refused for good.
func (p *idlePool) purge(closing bool) {
	p.mu.Lock()
	if closing {
		p.closed = true
		if p.timer != nil {
			p.timer.Stop()
			p.armed = false
		}
	}
	stack := p.stack
	p.stack = nil
	pooledIdle.Add(-int64(len(stack)))
	for _, e := range stack {
		if e.c != nil {
			e.c.Close()
			e.c = nil
		}
	}
	p.free = append(p.free, stack...)
	p.mu.Unlock()
}
