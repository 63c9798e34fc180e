package proxy

import (
	"errors"
	"io"
	"net"
	"time"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/rules"
)

var errRespTooLarge = &h1.Error{Status: 502, Reason: "response head larger than the buffer"}

// clientState looks, without consuming, at the client socket: gone is
// EOF or an error, data is bytes waiting. It never blocks.
func (cc *clientConn) clientState() (gone, data bool) {
	if cc.h2stream {
		return cc.c.(interface{ ClientGone() bool }).ClientGone(), false
	}
	if cc.raw == nil {
		return false, false
	}
	cc.peekN, cc.peekErr = 0, nil
	ok := false
	cc.raw.Control(func(fd uintptr) { ok = cc.peek(fd) })
	if !ok {
		return false, false
	}
	if cc.peekErr != nil || cc.peekN == 0 {
		return true, false
	}
	return false, true
}

// streamRequestBody forwards the part of the request body that was not
// in the read buffer. The buffered body bytes were already sent, so the
// read buffer is cut back to the end of the head (kept for the rules and
// the log); bytes read past the end of a chunked body (a pipelined
// request) are kept there, and reads are sized so that they fit.
func (cc *clientConn) streamRequestBody(x *exchange, sc net.Conn, bt *config.Timeouts) (int64, error) {
	scratch := getBuf()
	defer putBuf(scratch)
	s := *scratch
	ct := cc.fe.p.Timeouts.Client
	var total int64
	headEnd := cc.r + cc.req.HeadLen
	remaining := cc.req.ContentLength - int64(cc.bodyEnd-headEnd)
	cc.w, cc.bodyEnd = headEnd, headEnd
	room := len(*cc.buf) - headEnd
	for {
		lim := len(s)
		if cc.req.Body == h1.BodyChunked && room > 0 && room < lim {
			lim = room
		}
		if cc.req.Body == h1.BodyLength {
			if remaining <= 0 {
				return total, nil
			}
			if int64(lim) > remaining {
				lim = int(remaining)
			}
		}
		cc.c.SetReadDeadline(deadline(time.Now(), ct))
		n, err := cc.readClient(s[:lim])
		if n == 0 && err != nil {
			if isTimeout(err) {
				return total, errClientTimeout
			}
			return total, errClientBody
		}
		fwd, done := n, false
		if cc.req.Body == h1.BodyChunked {
			var serr error
			fwd, done, serr = cc.chunks.Scan(s[:n])
			if serr != nil {
				return total, serr
			}
		} else {
			remaining -= int64(n)
			done = remaining == 0
		}
		sc.SetWriteDeadline(deadline(time.Now(), bt.Server))
		if _, err := sc.Write(s[:fwd]); err != nil {
			return total, err
		}
		total += int64(fwd)
		x.bytesIn += int64(fwd)
		if done {
			if extra := n - fwd; extra > 0 {
				b := *cc.buf
				if len(b)-cc.w >= extra {
					cc.w += copy(b[cc.w:], s[fwd:n])
				} else {
					x.closeClient = true // no room to keep the pipelined bytes
				}
			}
			return total, nil
		}
	}
}

// readResponseHead reads the server's final response head into cc.sbuf,
// relaying interim 1xx responses, and sending a 100-continue request's
// body once the server asked for it.
func (cc *clientConn) readResponseHead(x *exchange, sc net.Conn, bt *config.Timeouts, isHead bool, complete *bool, streamed *int64) error {
	if cc.sbuf == nil {
		cc.sbuf = getBuf()
	}
	sb := *cc.sbuf
	cc.sw = 0
	srvDL := deadline(cc.now, bt.Server)
	got := false
	for {
		if cc.sw > 0 {
			err := h1.ParseResponse(sb[:cc.sw], &cc.resp, isHead, &cc.limits)
			if err == nil {
				st := cc.resp.Status
				if st >= 100 && st < 200 && st != 101 {
					cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
					n, werr := cc.c.Write(sb[:cc.resp.HeadLen])
					x.bytesOut += int64(n)
					if werr != nil {
						return errClientGone
					}
					cc.sw = copy(sb, sb[cc.resp.HeadLen:cc.sw])
					if !*complete && st == 100 {
						if err := cc.sendPendingBody(x, sc, bt, complete, streamed); err != nil {
							return err
						}
						srvDL = deadline(time.Now(), bt.Server)
					}
					continue
				}
				return nil
			}
			if err != h1.ErrIncomplete {
				return err
			}
			if cc.sw == len(sb) {
				return errRespTooLarge
			}
		}
		dl := srvDL
		if check := cc.now.Add(abortCheckEvery); dl.IsZero() || check.Before(dl) {
			dl = check
		}
		sc.SetReadDeadline(dl)
		n, err := sc.Read(sb[cc.sw:])
		cc.sw += n
		if n > 0 {
			got = true
			continue
		}
		if err == nil {
			continue
		}
		if isTimeout(err) {
			cc.now = time.Now()
			if !srvDL.IsZero() && !cc.now.Before(srvDL) {
				return err
			}
			gone, data := cc.clientState()
			if gone {
				return errClientGone
			}
			if data && !*complete {
				// The client gave up waiting for 100 Continue and sent
				// its body: forward it.
				if err := cc.sendPendingBody(x, sc, bt, complete, streamed); err != nil {
					return err
				}
			}
			continue
		}
		if !got {
			return errNoResponse
		}
		return err
	}
}

func (cc *clientConn) sendPendingBody(x *exchange, sc net.Conn, bt *config.Timeouts, complete *bool, streamed *int64) error {
	n, err := cc.streamRequestBody(x, sc, bt)
	*streamed += n
	if err != nil {
		if err == errClientBody || err == errClientTimeout {
			return errClientGone
		}
		return err
	}
	*complete = true
	return nil
}

// relayResponse sends the parsed response head and streams its body to
// the client, then pools or closes the server connection.
func (cc *clientConn) relayResponse(x *exchange, logging, srvKeep, isUpgrade, complete bool, streamed int64) bool {
	resp := &cc.resp
	sb := *cc.sbuf
	sc := x.sc
	be := x.be
	if logging {
		x.tRsp = time.Now()
	}
	x.status = resp.Status
	x.srv.Observe(backend.ObserveStatus(resp.Status))
	if resp.Status == 101 {
		if !isUpgrade {
			cc.dropServer(x)
			x.release()
			return cc.serverError(x, errUnexpected101, logging)
		}
		return cc.tunnel(x)
	}
	comp := cc.compressible(x, resp) // decided on the server's response, before the rules
	if resp.Close || resp.Minor == 0 || resp.Body == h1.BodyUntilClose {
		srvKeep = false
	}
	if !complete {
		// A final response to an Expect: 100-continue request whose body
		// was never sent: the client's next bytes are unknowable.
		x.closeClient = true
		srvKeep = false
		cc.unreadBody = true
	}
	if cc.e.draining.Load() || cc.relayed {
		x.closeClient = true
	}
	// The backend's http-response rules run first, then the frontend's;
	// then http-after-response, backend first too.
	in := &cc.in
	in.Resp, in.Status = resp, resp.Status
	cc.stickStore(be, x.srv, true)
	cc.cookieResponse(be, x.srv)
	cc.fe.rules.CaptureResponse(in, resp)
	v := &cc.verdict
	cc.responseRules(be, resp, v)
	if v.Kind != rules.Continue {
		// The server's response is replaced (deny, return, redirect) or
		// the connection dropped: the server connection cannot be reused.
		cc.dropServer(x)
		be.b.Release(x.srv)
		x.released = true
		if !complete {
			x.closeClient = true
		}
		x.forwarded = true
		return cc.answerVerdict(x, be, logging)
	}
	cc.afterResponseRules(be, resp)
	x.status = resp.Status
	cc.applyEffects()
	// The cache stores what the server sent (HAProxy runs the cache
	// before compression when no filter line orders them).
	if cc.cache.store = nil; in.Effects.CacheStore != "" {
		cc.cacheStore(x)
	}
	if comp {
		cc.compressHead(x, resp)
	}
	resp.Headers = h1.StripHopByHop(resp.Headers)
	switch {
	case resp.Body == h1.BodyChunked || comp:
		resp.AddHeader("Transfer-Encoding", valChunked)
	case resp.Body == h1.BodyUntilClose:
		x.closeClient = true
	}
	if x.closeClient {
		resp.AddHeader("Connection", valClose)
	} else if cc.req.Minor == 0 {
		resp.AddHeader("Connection", valKeep)
	}
	resp.Minor = 1
	if comp {
		return cc.relayCompressed(x, logging, srvKeep)
	}

	// Body bytes already read with the head.
	start := resp.HeadLen
	avail := cc.sw - start
	var n int
	done := false
	switch resp.Body {
	case h1.BodyNone:
		done = true
	case h1.BodyLength:
		if int64(avail) >= resp.ContentLength {
			n, done = int(resp.ContentLength), true
		} else {
			n = avail
		}
	case h1.BodyChunked:
		cc.chunks.Reset()
		var err error
		n, done, err = cc.chunks.Scan(sb[start:cc.sw])
		if err != nil {
			cc.dropServer(x)
			x.release()
			return cc.serverError(x, err, logging)
		}
	case h1.BodyUntilClose:
		n = avail
	}
	if done && n < avail {
		srvKeep = false // bytes after the response: the server is confused
	}

	if done {
		// The server has sent everything: free its slot before the
		// client can see the answer and send its next request.
		cc.releaseServer(x, srvKeep)
	}
	if cc.cache.store != nil {
		cc.cacheCopy(sb[start:start+n], done)
	}
	out := getBuf()
	head := h1.AppendResponseHead((*out)[:0], resp)
	ct := cc.fe.p.Timeouts.Client
	cc.now = time.Now()
	cc.setWriteDeadline(deadline(cc.now, ct))
	w, err := cc.writeTo(cc.c, head, sb[start:start+n])
	headLen := len(head)
	putBuf(out)
	x.bytesOut += w
	ok := err == nil
	if !ok {
		x.setTerm('C', 'D')
	}
	if logging && ok && cc.fe.log.ASAP {
		cc.logHTTPEarly(x, headLen)
	}
	if ok && !done {
		ok = cc.streamResponseBody(x, sc, int64(n), srvKeep)
	}
	return cc.endRelay(x, ok)
}

// endRelay ends a relayed exchange: the server is let go if it was not
// yet, the request consumed and logged, and a failed one closes the
// client connection.
func (cc *clientConn) endRelay(x *exchange, ok bool) bool {
	if !x.released {
		cc.releaseServer(x, false)
	}
	cc.cache.store = nil // a response that did not end is not stored
	cc.r = cc.bodyEnd
	cc.logHTTP(x)
	if !ok {
		x.closeClient = true
	}
	return ok
}

var errUnexpected101 = &h1.Error{Status: 502, Reason: "101 response to a request without Upgrade"}

// releaseServer ends the exchange's use of its server once the server
// sent its whole response (or failed): the connection goes back to the
// pool when keep says it may, else it is closed, and the server's slot is
// freed. It runs before the last bytes reach the client, so the client's
// next request already sees the slot free (leastconn, maxconn).
func (cc *clientConn) releaseServer(x *exchange, keep bool) {
	// A connection to a destination the rules chose is not pooled.
	keep = keep && !x.srv.Config.DstFromRules
	if sc := x.sc; keep && sc != nil {
		if _, plain := sc.(*serverConn); !plain {
			sc.SetDeadline(time.Time{})
		}
		// A plain socket keeps the deadlines this exchange left: on
		// their grid (deadline.go) the next exchange's are most often
		// the same, so neither reaches the runtime. Every exchange sets
		// its own before its I/O, and the idle pool's peek clears a read
		// deadline that passed while the connection waited.
		if !cc.keepConn(x.be, x.srv, sc, x.reused) {
			sc.Close()
		}
		x.sc = nil
		cc.setServer(nil)
	} else {
		cc.dropServer(x)
	}
	x.release()
}

// release frees the exchange's server slot.
func (x *exchange) release() {
	x.released = true
	x.be.b.Release(x.srv)
}

// streamResponseBody forwards the rest of the response body, releasing
// the server (pooled if keep allows and it sent nothing past the body)
// once the last body bytes are read. A server that fails mid-body leaves
// the client with a visibly truncated response: ok is false and the
// caller closes the client connection.
func (cc *clientConn) streamResponseBody(x *exchange, sc net.Conn, sent int64, keep bool) (ok bool) {
	resp := &cc.resp
	sb := *cc.sbuf
	st := x.bt.Server
	ct := cc.fe.p.Timeouts.Client
	remaining := resp.ContentLength - sent
	for {
		lim := len(sb)
		if resp.Body == h1.BodyLength {
			if remaining <= 0 {
				cc.releaseServer(x, keep)
				return true
			}
			if int64(lim) > remaining {
				lim = int(remaining)
			}
		}
		sc.SetReadDeadline(deadline(time.Now(), st))
		n, err := sc.Read(sb[:lim])
		if n == 0 && err != nil {
			if err == io.EOF && resp.Body == h1.BodyUntilClose {
				return true
			}
			if isTimeout(err) {
				x.setTerm('s', 'D')
			} else {
				x.setTerm('S', 'D')
			}
			return false
		}
		fwd, done := n, false
		switch resp.Body {
		case h1.BodyChunked:
			var serr error
			fwd, done, serr = cc.chunks.Scan(sb[:n])
			if serr != nil {
				x.setTerm('S', 'D')
				return false
			}
		case h1.BodyLength:
			remaining -= int64(n)
			done = remaining == 0
		}
		if done {
			// Bytes past the body: the server is confused, never reuse.
			cc.releaseServer(x, keep && fwd == n)
		}
		if cc.cache.store != nil {
			cc.cacheCopy(sb[:fwd], done)
		}
		cc.setWriteDeadline(deadline(time.Now(), ct))
		w, werr := cc.c.Write(sb[:fwd])
		x.bytesOut += int64(w)
		if werr != nil {
			x.setTerm('C', 'D')
			return false
		}
		if done {
			return true
		}
	}
}

// tunnel relays a 101 Switching Protocols response and then copies bytes
// both ways until either side ends.
func (cc *clientConn) tunnel(x *exchange) bool {
	bodyEnd := cc.bodyEnd
	sb := *cc.sbuf
	sc := x.sc
	cc.setActive(stateTunnel)
	x.closeClient = true
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, err := cc.c.Write(sb[:cc.sw])
	x.bytesOut += int64(n)
	if err == nil && cc.w > bodyEnd {
		sc.SetWriteDeadline(deadline(time.Now(), x.bt.Server))
		_, err = sc.Write((*cc.buf)[bodyEnd:cc.w])
	}
	cc.r = cc.w
	if err == nil {
		cc.logHTTP(x) // HAProxy logs an upgraded request when it switches
		x.logged = true
		putBuf(cc.buf)
		cc.buf = nil
		cc.r, cc.w = 0, 0
		pt := tunnelTimeouts(&cc.fe.p.Timeouts, x.bt)
		pt.indepClient, pt.indepServer = cc.fe.p.IndependentStreams, x.be.p.IndependentStreams
		pipe(cc.c, plainConn(sc), pt)
	}
	cc.dropServer(x)
	x.release()
	return false
}

// pipeTimeouts are the inactivity limits of a tunnel; zero means none.
type pipeTimeouts struct {
	client, server       time.Duration
	clientFin, serverFin time.Duration
	// indepClient and indepServer are option independent-streams of the
	// frontend and the backend.
	indepClient, indepServer bool
}

func tunnelTimeouts(ft, bt *config.Timeouts) pipeTimeouts {
	pt := pipeTimeouts{client: ft.Client.Value, server: bt.Server.Value,
		clientFin: ft.ClientFin.Value, serverFin: bt.ServerFin.Value}
	if bt.Tunnel.Value > 0 {
		pt.client, pt.server = bt.Tunnel.Value, bt.Tunnel.Value
	} else if ft.Tunnel.Value > 0 {
		pt.client, pt.server = ft.Tunnel.Value, ft.Tunnel.Value
	}
	return pt
}

var errTunnelIdle = errors.New("tunnel idle timeout")
