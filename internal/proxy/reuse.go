package proxy

import (
	"net"
	"sync/atomic"

	"baton/internal/backend"
	"baton/internal/h2"
)

// HTTP connection reuse (http-reuse) and private server connections.
//
// A server connection is private when it carries a PROXY header naming
// its client (send-proxy), or when the backend says "http-reuse never":
// after a response it stays with its client connection instead of the
// server's pool, for that client's next request to the same server.
// Otherwise it goes back to the pool, and the strategy decides which
// requests may take pooled connections: Baton's default and "always" any
// request; "safe" all but a client connection's first request;
// "aggressive" a first request too once the server has shown it handles
// reuse (a reused connection of it answered).

// privConn is a client connection's own server connection.
type privConn struct {
	srv *backend.Server
	c   net.Conn
}

// isPrivate reports whether connections to srv stay with their client.
func (be *backendRT) isPrivate(srv *backend.Server) bool {
	return be.p.HTTPReuse == "never" || be.dialOf(srv).private()
}

// takeConn returns an idle connection to srv that this request may use:
// the client's private one, or a pooled one the strategy allows, which
// match (nil: any) accepts; nil means dial a new one.
func (cc *clientConn) takeConn(be *backendRT, srv *backend.Server, match func(net.Conn) bool) net.Conn {
	if be.isPrivate(srv) {
		if p := cc.priv; p.c != nil {
			cc.priv = privConn{}
			if p.srv == srv && (match == nil || match(p.c)) {
				return p.c
			}
			p.c.Close() // another server (or SNI) now: of no use
		}
		return nil
	}
	if !cc.answered {
		switch be.p.HTTPReuse {
		case "safe":
			return nil
		case "aggressive":
			if p := be.provenOf(srv); p == nil || !p.Load() {
				return nil
			}
		}
	}
	c := srv.GetIdleMatching(match)
	if c != nil && backend.IdlePeeked {
		markEmpty(c) // its pool peeked at it: nothing there
	}
	return c
}

// keepConn keeps an idle server connection after a response: with its
// client when private, else in the server's pool. It reports false when
// the connection was not kept (the caller closes it).
func (cc *clientConn) keepConn(be *backendRT, srv *backend.Server, c net.Conn, reused bool) bool {
	if reused && be.p.HTTPReuse == "aggressive" {
		if p := be.provenOf(srv); p != nil && !p.Load() {
			p.Store(true)
		}
	}
	if st, ok := c.(*h2.ClientStream); ok {
		st.Close() // a stream is never pooled: its connection is (h2up.go)
		return true
	}
	if be.isPrivate(srv) {
		if cc.priv.c != nil {
			cc.priv.c.Close()
		}
		cc.priv = privConn{srv: srv, c: c}
		return true
	}
	return srv.PutIdle(c)
}

// dropPrivate closes the client's private server connection, if any.
func (cc *clientConn) dropPrivate() {
	if cc.priv.c != nil {
		cc.priv.c.Close()
		cc.priv = privConn{}
	}
}

// provenOf is the "a reused connection answered" flag of srv for
// http-reuse aggressive; nil for a server added at run time (never
// proven: it reuses connections like safe).
func (be *backendRT) provenOf(srv *backend.Server) *atomic.Bool {
	if srv.Index < len(be.proven) {
		return &be.proven[srv.Index]
	}
	return nil
}
