package proxy

import (
	"bytes"
	"crypto/tls"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/h2"
)

// HTTP/2 towards servers ("server ... proto h2", or "ssl alpn h2..."
// when the server picks h2 by ALPN). A request to such a server takes a
// stream of an HTTP/2 connection (h2.ClientConn) instead of a connection
// of its own: the stream is an h2.ClientStream, an HTTP/1.1 view of the
// exchange, so handle, retries, rules, logs and timeouts run as for any
// server connection. A stream is never pooled: releasing it (keepConn,
// dropServer) closes it and gives its slot back to the connection.
//
// Which connection a stream takes follows http-reuse as HAProxy 2.6
// applies it to multiplexed connections:
//   - the connection the client connection (the session: an HTTP/1.1
//     client connection, or an HTTP/2 one for all its streams) already
//     uses for that server, while it has a free stream;
//   - else, unless the server's connections are private ("never",
//     send-proxy), a shared connection of the server with a free stream:
//     for any request with "always" and Baton's default, for a
//     session's later requests with "safe", and with "aggressive" once
//     the server proved it reuses connections;
//   - else a new connection, which becomes the session's (and, unless
//     private, the server's shared one). A private connection closes
//     when its client connection does, once its streams end.
// A server whose ALPN chose HTTP/1.1 is spoken to in HTTP/1.1, its
// connections pooled as usual (reuse.go).

// h2Capable reports whether traffic to a server may be HTTP/2.
func h2Capable(cs *config.Server) bool {
	switch cs.Proto {
	case "h2":
		return true
	case "h1":
		return false
	}
	return cs.TLS != nil && cs.TLS.SSL && slices.Contains(cs.TLS.Opts.ALPN, "h2")
}

// h2Owner is a session's HTTP/2 server connection. mu also serialises
// the session's dials, so the streams of one HTTP/2 client arriving
// together open one server connection, not one each.
type h2Owner struct {
	mu      sync.Mutex
	srv     *backend.Server
	sni     string
	c       *h2.ClientConn
	private bool
}

// h2Pool is a server's shared HTTP/2 connections.
type h2Pool struct {
	mu    sync.Mutex
	conns []pooledH2
}

type pooledH2 struct {
	c   *h2.ClientConn
	sni string
}

// h2PoolOf returns srv's pool (made on first use).
func (e *Engine) h2PoolOf(srv *backend.Server) *h2Pool {
	if p, ok := e.h2pools.Load(srv); ok {
		return p.(*h2Pool)
	}
	p, _ := e.h2pools.LoadOrStore(srv, &h2Pool{})
	return p.(*h2Pool)
}

// take reserves a stream on a shared connection opened with sni,
// forgetting the connections that take no more streams.
func (p *h2Pool) take(sni string) *h2.ClientConn {
	p.mu.Lock()
	defer p.mu.Unlock()
	live := p.conns[:0]
	var got *h2.ClientConn
	for _, pc := range p.conns {
		if !pc.c.Usable() {
			continue
		}
		live = append(live, pc)
		if got == nil && pc.sni == sni && pc.c.Reserve() {
			got = pc.c
		}
	}
	clear(p.conns[len(live):])
	p.conns = live
	return got
}

func (p *h2Pool) add(c *h2.ClientConn, sni string) {
	p.mu.Lock()
	p.conns = append(p.conns, pooledH2{c: c, sni: sni})
	p.mu.Unlock()
}

// h2owner returns the session's owner record (made on first use; an
// HTTP/2 client's streams share their connection's).
func (cc *clientConn) h2owner() *h2Owner {
	if cc.h2own == nil {
		cc.h2own = &h2Owner{}
	}
	return cc.h2own
}

// dropH2Owner ends the session's claim on its HTTP/2 server connection:
// a private one closes once its streams end.
func (cc *clientConn) dropH2Owner() {
	o := cc.h2own
	if o == nil || cc.h2stream {
		return
	}
	o.mu.Lock()
	if o.c != nil && o.private {
		o.c.CloseWhenIdle()
	}
	o.c, o.srv = nil, nil
	o.mu.Unlock()
}

// mayShareH2 applies http-reuse to taking a shared connection.
func (cc *clientConn) mayShareH2(be *backendRT, srv *backend.Server) bool {
	if cc.answered {
		return true
	}
	switch be.p.HTTPReuse {
	case "safe":
		return false
	case "aggressive":
		p := be.provenOf(srv)
		return p != nil && p.Load()
	}
	return true
}

// connectH2 returns a stream to an HTTP/2-capable server (or an
// HTTP/1.1 connection when its ALPN chose that); reused says the stream
// rides an existing connection, so a refusal may be retried on a new one.
func (cc *clientConn) connectH2(be *backendRT, srv *backend.Server, bt *config.Timeouts, fresh bool) (c net.Conn, reused bool, err error) {
	private := be.isPrivate(srv)
	sni := ""
	if be.serverTLS(srv) != nil {
		sni = string(cc.serverSNI(srv))
	}
	own := cc.h2owner()
	own.mu.Lock()
	defer own.mu.Unlock()
	if !fresh {
		if own.srv == srv && own.sni == sni && own.c != nil && own.c.Reserve() {
			return cc.newH2Stream(own.c), true, nil
		}
		if !private && cc.mayShareH2(be, srv) {
			if hc := cc.e.h2PoolOf(srv).take(sni); hc != nil {
				cc.ownH2(own, srv, sni, hc, false)
				return cc.newH2Stream(hc), true, nil
			}
		}
		if srv.Config.Proto != "h2" {
			// An HTTP/1.1 connection of an ssl server that chose it.
			var match func(net.Conn) bool
			if be.sniKeyed(srv) {
				match = func(c net.Conn) bool { return sentSNI(c) == sni }
			}
			if c := cc.takeConn(be, srv, match); c != nil {
				return c, true, nil
			}
		}
	}
	raw, err := cc.dialServer(be, srv, bt)
	if err != nil {
		return nil, false, err
	}
	tc, isTLS := raw.(*tls.Conn)
	if srv.Config.Proto != "h2" && (!isTLS || tc.ConnectionState().NegotiatedProtocol != "h2") {
		return raw, false, nil // HTTP/1.1 by ALPN
	}
	set := h2.ClientSettings{Limits: cc.e.cfg.Global.H2, WriteTimeout: bt.Server.Value, SettingsTimeout: bt.Connect.Value}
	set.IdleTimeout = be.p.Timeouts.HTTPKeepAlive.Value
	if set.IdleTimeout <= 0 {
		set.IdleTimeout = be.p.Timeouts.Server.Value
	}
	hc, err := h2.NewClientConn(raw, set, isTLS)
	if err != nil {
		return nil, false, err
	}
	hc.Reserve() // a new connection always has a slot
	cc.ownH2(own, srv, sni, hc, private)
	if !private {
		cc.e.h2PoolOf(srv).add(hc, sni)
	}
	return cc.newH2Stream(hc), false, nil
}

// ownH2 makes hc the session's connection to srv; a private one it
// replaces closes once its streams end.
func (cc *clientConn) ownH2(own *h2Owner, srv *backend.Server, sni string, hc *h2.ClientConn, private bool) {
	if own.c != nil && own.c != hc && own.private {
		own.c.CloseWhenIdle()
	}
	own.srv, own.sni, own.c, own.private = srv, sni, hc, private
}

// newH2Stream opens a stream view on hc for this request, with the te
// and trailer fields the client sent (see noteH2Fields).
func (cc *clientConn) newH2Stream(hc *h2.ClientConn) *h2.ClientStream {
	st := hc.NewStream()
	st.TETrailers = cc.teTrailers
	st.Trailer = string(cc.trailerDecl)
	return st
}

// noteH2Fields keeps what an HTTP/2 server needs of the request's
// hop-by-hop fields before they are stripped: whether te lists
// "trailers" (sent as "te: trailers", RFC 9113 8.2.2) and the trailer
// field announcing request trailers, which HTTP/2 carries end to end.
func (cc *clientConn) noteH2Fields(req *h1.Request) {
	cc.teTrailers = wantsTrailers(req)
	cc.trailerDecl = cc.trailerDecl[:0]
	if v, ok := req.Header("Trailer"); ok {
		cc.trailerDecl = append(cc.trailerDecl, v...)
	}
}

// wantsTrailers reports whether the request's te field lists
// "trailers" (read before the hop-by-hop fields are stripped).
func wantsTrailers(req *h1.Request) bool {
	v, ok := req.Header("Te")
	if !ok {
		return false
	}
	found := false
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		tok := bytes.TrimSpace(v[:i])
		if j := bytes.IndexByte(tok, ';'); j >= 0 {
			tok = bytes.TrimSpace(tok[:j])
		}
		if bytes.EqualFold(tok, []byte("trailers")) {
			found = true
		}
		if i == len(v) {
			break
		}
		v = v[i+1:]
	}
	return found
}

// Full duplex. An HTTP/1.1 exchange sends the whole request body before
// it reads the response; gRPC's bidirectional streams need the response
// to flow while the request body still does. For an HTTP/2 client's
// stream to an HTTP/2 server, the rest of the request body is pumped by
// a goroutine of its own while the exchange reads the response: bytes
// go unchanged from the client stream's HTTP/1.1 view to the server
// stream's, each of which frames them. The pump stops at the request's
// end, or is cut short once the response is over (joinDuplex).
type duplex struct {
	st   *h2.ClientStream
	done chan struct{}
	n    atomic.Int64 // body bytes pumped (the pump adds, joinDuplex reads)
}

// startDuplex starts the pump when the exchange is an HTTP/2 client's
// stream to an HTTP/2 server; nil means stream the body as usual.
func (cc *clientConn) startDuplex(sc net.Conn, bt *config.Timeouts) *duplex {
	st, ok := sc.(*h2.ClientStream)
	if !ok || !cc.h2stream {
		return nil
	}
	d := &duplex{st: st, done: make(chan struct{})}
	ct, stt := cc.fe.p.Timeouts.Client, bt.Server
	go func() {
		defer close(d.done)
		buf := getBuf()
		defer putBuf(buf)
		for !st.RequestDone() {
			cc.c.SetReadDeadline(deadline(time.Now(), ct))
			n, err := cc.c.Read(*buf)
			if n > 0 {
				st.SetWriteDeadline(deadline(time.Now(), stt))
				if _, werr := st.Write((*buf)[:n]); werr != nil {
					st.Cancel(werr)
					return
				}
				d.n.Add(int64(n))
			}
			if err != nil {
				if !st.RequestDone() {
					st.Cancel(errClientBody)
				}
				return
			}
		}
	}()
	return d
}

// joinDuplex waits for the pump, cutting short its wait for a body the
// client no longer sends once the response is over.
func (cc *clientConn) joinDuplex(x *exchange, d *duplex) {
	select {
	case <-d.done:
	default:
		cc.c.SetReadDeadline(time.Now())
		<-d.done
	}
	x.bytesIn += d.n.Load()
}
