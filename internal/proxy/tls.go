package proxy

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/sockio"
	"baton/internal/tlsconf"
)

// TLS on the client side. A connection accepted on an "ssl" bind starts
// like any other: it waits (parked, without a buffer) for its first
// bytes, so that a reload can still move it to the next generation as a
// plain socket. When bytes come, its goroutine runs the handshake under
// timeout client (counted from the accept, so a client trickling its
// handshake cannot stretch it), then cc.c is the *tls.Conn; cc.tcp and
// cc.raw stay the socket's, for peeking and parking. The request head
// that follows gets timeout http-request from the handshake's end.
//
// Go's TLS reads whole records and may hold deciphered bytes, or whole
// records not yet deciphered, that the socket no longer shows. Before an
// idle TLS connection parks it therefore reads once with a deadline in
// the past (see awaitRequest): buffered data is returned at once, and a
// read that times out leaves at most a partial record, whose rest will
// make the socket readable.

// tlsHandshake runs the server handshake of a connection accepted on a
// TLS bind. It returns false when the connection must close (the failure
// is logged).
func (cc *clientConn) tlsHandshake() bool {
	tc := tls.Server(sockio.Wrap(cc.c), cc.tlsBind.Config) // records read and written with raw calls
	tc.SetDeadline(deadline(cc.start, cc.fe.p.Timeouts.Client))
	err := tc.Handshake()
	if err != nil {
		cc.logHandshake(err)
		return false
	}
	tc.SetDeadline(time.Time{})
	cc.wdl.forget()
	cs := tc.ConnectionState()
	cc.facts = tlsconf.NewFacts(&cs)
	cc.hsEnd = time.Now()
	cc.mu.Lock()
	cc.tlsConn = tc
	cc.c = tc
	cc.mu.Unlock()
	return true
}

// logHandshake writes HAProxy's connection error line for a failed
// handshake: "client [date] frontend/bind: SSL handshake failure (why)",
// or "Timeout during SSL handshake". HAProxy names the bind by its number;
// Baton by its address.
func (cc *clientConn) logHandshake(err error) {
	if !cc.fe.log.Traffic() && !cc.fe.log.Connects() || errors.Is(err, net.ErrClosed) { // closed by a hard stop
		return
	}
	date := cc.start.Format("02/Jan/2006:15:04:05.000")
	if isTimeout(err) {
		cc.fe.log.Eventf(cc.fe.log.ErrorLevel(), "%s [%s] %s/%s: Timeout during SSL handshake", cc.src, date, cc.fe.p.Name, cc.bind)
		return
	}
	cc.fe.log.Eventf(cc.fe.log.ErrorLevel(), "%s [%s] %s/%s: SSL handshake failure (%v)", cc.src, date, cc.fe.p.Name, cc.bind, err)
}

// closeNotify sends a TLS close_notify before the connection closes, as a
// TLS server should at the end of a connection, bounded so that a client
// not reading cannot hold the goroutine.
func (cc *clientConn) closeNotify() {
	if cc.tlsConn == nil {
		return
	}
	cc.mu.Lock()
	skip := cc.closed || cc.handedOver
	cc.mu.Unlock()
	if skip {
		return
	}
	cc.tlsConn.SetWriteDeadline(time.Now().Add(closeNotifyTimeout)) // closing: no write follows
	cc.tlsConn.CloseWrite()
}

// closeNotifyTimeout bounds sending close_notify.
const closeNotifyTimeout = time.Second

// writeTo writes head then body to w: one writev on a socket; on a TLS
// connection one Write of both (body appended in head's spare capacity,
// heads being built in pooled 16 KiB buffers), where two writes would
// cost two records.
func (cc *clientConn) writeTo(w net.Conn, head, body []byte) (int64, error) {
	// TLS (one record) and HTTP/2 streams (HEADERS and DATA in one
	// flush) want head and body in one write.
	if _, isTLS := w.(*tls.Conn); (isTLS || cc.h2stream) && len(body) > 0 && cap(head)-len(head) >= len(body) {
		n, err := w.Write(append(head, body...))
		return int64(n), err
	}
	if s, ok := w.(*serverConn); ok {
		return s.io.Writev(head, body)
	}
	if r := cc.plainIO(); r != nil && w == cc.c {
		return r.Writev(head, body)
	}
	cc.iov[0], cc.iov[1] = head, body
	cc.bufs = cc.iov[:]
	n, err := cc.bufs.WriteTo(w)
	cc.iov[0], cc.iov[1] = nil, nil
	return n, err
}

// Server side: TLS towards servers with "ssl".

// serverTLS returns the TLS client of a server, nil for plain TCP.
func (be *backendRT) serverTLS(srv *backend.Server) *tlsconf.Client {
	if be.tls == nil || srv.Index >= len(be.tls) {
		return nil
	}
	if c := be.tls[srv.Index]; c != nil && c.SSL {
		return c
	}
	return nil
}

// serverSNI is the SNI a connection to srv sends for this request: the
// server's "sni" expression evaluated on the request, as a string, nil
// for none. The value lives in the rules' scratch buffer until the next
// request, so evaluating it allocates nothing once that has grown.
func (cc *clientConn) serverSNI(srv *backend.Server) []byte {
	cs := srv.Config
	if cs == nil || cs.SNI == nil || cc.session == nil {
		return nil
	}
	var s expr.Sample
	if !cs.SNI.Eval(&cc.in.Ctx, &s) || !cc.in.Cast(&s, expr.Str) {
		return nil
	}
	return s.Bytes
}

// dialServer opens a connection to srv under timeout connect, with TLS
// when the server has "ssl" (the handshake under the same timeout).
func (cc *clientConn) dialServer(be *backendRT, srv *backend.Server, bt *config.Timeouts) (net.Conn, error) {
	// The TCP connection with its source, socket options and PROXY
	// header (dial.go): the header precedes the TLS handshake.
	c, err := cc.dialRaw(be, srv, bt.Connect.Value)
	if err != nil {
		return nil, err
	}
	tc := be.serverTLS(srv)
	if tc == nil {
		return c, nil
	}
	ctx := context.Background()
	if bt.Connect.Value > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, bt.Connect.Value)
		defer cancel()
	}
	s := tls.Client(sockio.Wrap(c), tc.Config(string(cc.serverSNI(srv))))
	if err := s.HandshakeContext(ctx); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// sniKeyed reports whether connections to srv are kept apart by SNI: a
// TLS server with an sni expression, whose pooled connections serve only
// requests whose expression gives the name they were opened with, as
// HAProxy's connection reuse requires.
func (be *backendRT) sniKeyed(srv *backend.Server) bool {
	return srv.Config != nil && srv.Config.SNI != nil && be.serverTLS(srv) != nil
}

// sentSNI is the SNI a pooled connection was opened with ("" for none,
// or a connection that is not TLS).
func sentSNI(c net.Conn) string {
	if s, ok := c.(*tls.Conn); ok {
		return s.ConnectionState().ServerName
	}
	return ""
}
