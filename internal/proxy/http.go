package proxy

import (
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"time"

	"baton/internal/backend"
	"baton/internal/compress"
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
	"baton/internal/rules"
)

// Header values the proxy adds; package-level so adding them allocates
// nothing.
var (
	valClose   = []byte("close")
	valKeep    = []byte("keep-alive")
	valUpgrade = []byte("upgrade")
	valChunked = []byte("chunked")
)

// abortCheckEvery is how often a request waiting for a slow server looks
// whether its client has gone, to cancel the server request.
const abortCheckEvery = time.Second

// exchange is one request/response on a client connection: what the log
// line needs and what the connection decides afterwards.
type exchange struct {
	be *backendRT
	// bt are the timeouts of the exchange: the backend's, or a copy
	// changed by set-timeout rules.
	bt      *config.Timeouts
	srv     *backend.Server
	sc      net.Conn
	reused  bool
	retries int
	// redispatched: a retry went to another server ('+' in the log).
	redispatched bool

	status   int
	bytesIn  int64 // request bytes read from the client
	bytesOut int64 // response bytes sent to the client
	term     [2]byte

	closeClient bool
	logged      bool
	// comp is the compression algorithm chosen for the request
	// (compress.go); None: the response is not compressed.
	comp compress.Algo
	// forwarded: the request went to a server (a response rule then
	// answers in place of its response).
	forwarded bool
	// bodyDropped: a rule answered a request whose body had all arrived
	// with its head; the next request starts after it (cc.bodyEnd).
	bodyDropped bool
	// released: the server's slot was freed; beHeld: the exchange
	// counts in its backend's beconn. The log line counts the other
	// exchanges only, as HAProxy's does.
	released bool
	beHeld   bool
	// cached: a cache answered (the log's server is "<CACHE>").
	cached bool

	// Timers, filled only when logging (they cost time.Now calls).
	tAccept              time.Time // accept, or the previous request's end (HAProxy's accept date)
	tStart               time.Time // first byte of the request (or accept)
	tHead                time.Time // request head complete
	tQueued, tConn, tRsp time.Time
	// tHandshake is the TLS handshake's duration (%Th), for the
	// connection's first request only.
	tHandshake time.Duration

	// method and uri are copied for the log line, since the read buffer
	// may be reused for the body before the line is written.
	reqLine []byte

	// answered says the proxy answered itself (stats.go's answered*);
	// entered is the server whose session gauge counts this exchange;
	// counted is set once the exchange was counted (it may be logged
	// earlier, with option logasap).
	answered uint8
	entered  *serverRT
	counted  bool
	// id numbers the request in the engine (%rt), and srvSrc and srvDst
	// are the server connection's addresses; set only when logging.
	id             uint64
	srvSrc, srvDst netip.AddrPort
}

func (x *exchange) reset() {
	x.leaveServer() // an exchange that ended without its count
	line := x.reqLine[:0]
	*x = exchange{reqLine: line, term: [2]byte{'-', '-'}}
}

func (x *exchange) setTerm(who, when byte) {
	if x.term[0] == '-' {
		x.term = [2]byte{who, when}
	}
}

func isTimeout(err error) bool { return errors.Is(err, os.ErrDeadlineExceeded) }

// serve runs the connection until it closes or parks; a parked
// connection's next goroutine (clientConn.wake) runs serve again, which
// resumes the wait it left.
func (cc *clientConn) serve() {
	parked := false
	defer func() {
		if parked {
			return // the connection is no longer this goroutine's
		}
		cc.setActive(stateClosing)
		cc.stickClose()
		if cc.session != nil {
			cc.ex.leaveServer()
		}
		cc.cur.Store(nil)
		cc.forgetPoll() // closeAll closes the descriptor: no epoll_ctl
		cc.closeAll()
		cc.dropPrivate()
		cc.dropH2Owner()
		if cc.h2stream {
			cc.c.Close() // the stream's view, which closeAll leaves to its goroutine: this one
		}
		cc.releaseBufs()
		cc.dropSession()
		if cc.h2stream {
			cc.e.unregisterStream(cc)
		} else {
			cc.e.unregister(cc)
		}
	}()
	if cc.relay != nil {
		cc.runRelay() // resumed after a relay began: nothing else to do
		return
	}
	if !cc.rulesDone {
		cc.rulesDone = true
		cc.acceptSetup()
		if !cc.adopted && !cc.connectionRules() {
			return
		}
	}
	if cc.fe.p.Mode == config.ModeTCP && !cc.upgraded {
		if cc.tlsBind != nil && !cc.tlsHandshake() {
			return
		}
		if !cc.serveTCP() {
			return
		}
	}
	cc.takeSession()
	if parked = cc.serveHTTP(); parked {
		return
	}
	if cc.relay != nil {
		cc.runRelay()
		return
	}
	cc.closeNotify()
	cc.lingerClose()
}

// lingerLimit bounds how long and how much a closing HTTP connection
// keeps reading what its client still sends.
const (
	lingerTime  = time.Second
	lingerBytes = 1 << 20
)

// lingerClose closes an HTTP client connection without destroying the
// last response: closing a socket with unread received bytes makes the
// kernel send a reset, which can discard the response before the client
// reads it. When bytes are pending (an unread body, pipelined requests),
// the write side is shut first and the rest is read and dropped for a
// bounded time.
func (cc *clientConn) lingerClose() {
	cc.mu.Lock()
	closed := cc.closed || cc.handedOver
	cc.mu.Unlock()
	if closed || cc.tcp == nil || cc.silent {
		return // a handed-over socket must not be shut down or read
	}
	if _, data := cc.clientState(); !data && !cc.unreadBody {
		return
	}
	cc.tcp.CloseWrite()
	if cc.buf == nil {
		cc.buf = getBuf()
	}
	b := *cc.buf
	cc.c.SetReadDeadline(time.Now().Add(lingerTime))
	for n := 0; n < lingerBytes; {
		m, err := cc.c.Read(b)
		n += m
		if err != nil {
			return
		}
	}
}

// serveHTTP serves requests until the connection closes (false) or
// parks while idle (true). A parked connection comes back with resuming
// set and re-enters the wait it left.
func (cc *clientConn) serveHTTP() (parked bool) {
	t := &cc.fe.p.Timeouts
	for ; ; cc.answered = true {
		first := !cc.answered
		x := &cc.ex
		x.reset()
		logging := cc.fe.logging
		prevEnd := cc.now // when the previous answer went out
		if logging {
			if cc.upgradeFirst {
				x.id = cc.upgradeID // taken when the connection was accepted
			} else {
				x.id = cc.e.reqID.Add(1) - 1
			}
		}
		if cc.r == cc.w {
			got, parked := cc.awaitRequest(x, first)
			if parked {
				return true
			}
			if !got {
				return false
			}
		}
		if cc.tlsBind != nil && cc.tlsConn == nil {
			if !cc.tlsHandshake() {
				return false
			}
		}
		if first && cc.wantsH2() {
			cc.serveH2()
			return false
		}
		if first && !cc.adopted && !cc.upgraded && cc.fe.log.Connects() {
			// HAProxy's default line, once the first request begins.
			cc.logConnect()
		}
		if cc.buf == nil {
			cc.buf = getBuf()
		}
		// One clock reading serves every deadline up to the response
		// head; relayResponse takes the second.
		now := time.Now()
		if !first {
			// cc.now is when the previous answer went out: a client
			// that came back within the hot wait gets a hot read next.
			cc.hot = now.Sub(cc.now) < cc.e.hotWait
		}
		cc.now = now
		x.tAccept, x.tStart = prevEnd, now
		if first {
			x.tAccept = cc.start
			now = cc.start
			if !cc.hsEnd.IsZero() {
				// The request head gets timeout http-request from the
				// end of the handshake.
				now = cc.hsEnd
				x.tHandshake = cc.hsEnd.Sub(cc.start)
			}
		}
		hadBytes := cc.w > cc.r
		err := cc.readHead(deadline(now, t.HTTPRequest))
		if err != nil {
			cc.headError(x, err, first && !cc.adopted, hadBytes || cc.w > cc.r)
			return false
		}
		if logging {
			x.tHead = time.Now()
		}
		ok := cc.handle(x, logging)
		cc.stickEnd(x)
		if !ok {
			return false
		}
		if x.closeClient {
			return false
		}
	}
}

// awaitRequest waits, between requests or before the first, until the
// client sends a byte (got), goes away or times out (neither: the caller
// closes), or the connection parks. A keep-alive client usually sends its
// next request within moments, so it is first read directly into the
// buffer it still holds, for the engine's hot wait; only then does the
// connection let go of its buffer and park. Only a client that came back
// within the hot wait last time gets a hot read: one that sends a single
// request and stays idle (most of 10k idle connections) parks at once. A parked connection comes
// back with resuming set and re-enters the wait it left.
func (cc *clientConn) awaitRequest(x *exchange, first bool) (got, parked bool) {
	t := &cc.fe.p.Timeouts
	if !cc.resuming {
		switch {
		case first && !cc.adopted && cc.tlsBind != nil:
			// A TLS client's first bytes are its handshake, bounded by
			// timeout client from the accept (see tlsHandshake).
			cc.setIdle(deadline(cc.start, t.Client), true)
		case first && !cc.adopted:
			// Wait for the first byte without a buffer too, under
			// timeout http-request. A soft stop never closes this wait
			// (the client was never answered): only a hand-over ends it
			// early.
			cc.setIdle(deadline(cc.start, t.HTTPRequest), true)
		case first:
			// Adopted from the previous generation: the client was idle
			// between requests there. Its wait is a keep-alive wait
			// (silent at its end), but as fresh as any first one for a
			// soft stop: this generation never answered it, so it is
			// served or handed over, never closed.
			cc.setIdle(deadline(cc.start.Add(-cc.idleFor), t.HTTPKeepAlive), true)
		default:
			// cc.now is when the previous response was sent.
			var hotUntil time.Time
			if cc.hot {
				hotUntil = cc.now.Add(cc.e.hotWait)
			} else if cc.tlsConn != nil {
				// Go's TLS may hold a whole record the socket no longer
				// shows: read once without waiting before parking.
				hotUntil = cc.now
			}
			if cc.setIdleHot(deadline(cc.now, t.HTTPKeepAlive), false, hotUntil) {
				switch cc.hotRead() {
				case hotGot:
					cc.setActive(stateActive)
					return true, false
				case hotGone:
					return false, false
				}
			}
		}
	}
	// Idle: hold no buffer while waiting.
	cc.releaseBufs()
	resumed := cc.resuming
	cc.resuming = false
	ok, timedOut, parked := cc.waitIdle(resumed)
	if parked {
		return false, true
	}
	cc.setActive(stateActive)
	if !ok && first && !cc.adopted && cc.tlsBind != nil && cc.tlsConn == nil {
		// No handshake happened: nothing may be answered in HTTP.
		if timedOut && !cc.fe.p.DontLogNull {
			cc.logHandshake(os.ErrDeadlineExceeded)
		}
		return false, false
	}
	if !ok && first && !cc.adopted {
		x.tAccept, x.tStart = cc.start, cc.start
		if timedOut {
			cc.headError(x, os.ErrDeadlineExceeded, true, false)
		} else if !cc.handedOver && !cc.isClosed() {
			cc.headError(x, io.EOF, true, false)
		}
	}
	return ok, false
}

// readHead reads until buf[r:] starts with a whole request head, under
// one deadline for the whole head (timeout http-request). The deadline
// is set before the first read it makes: a head that the wait for the
// request (awaitRequest) read whole needs none, and every later reader
// of the client sets its own.
func (cc *clientConn) readHead(dl time.Time) error {
	armed := false
	b := *cc.buf
	for {
		if cc.w > cc.r {
			err := h1.ParseRequest(b[cc.r:cc.w], &cc.req, &cc.limits)
			if err == nil {
				return nil
			}
			if err != h1.ErrIncomplete {
				return err
			}
		}
		if cc.w == len(b) {
			if cc.r == 0 {
				return errHeadTooLarge
			}
			cc.w = copy(b, b[cc.r:cc.w])
			cc.r = 0
		}
		if !armed {
			cc.c.SetReadDeadline(dl)
			armed = true
		}
		n, err := cc.readClient(b[cc.w:])
		cc.w += n
		if err != nil && n == 0 {
			return err
		}
	}
}

var errHeadTooLarge = &h1.Error{Status: 431, Reason: "request head larger than the buffer"}

// headError answers (or not) a request whose head could not be read.
func (cc *clientConn) headError(x *exchange, err error, first, gotBytes bool) {
	perr, isParse := errors.AsType[*h1.Error](err) // As's pointer would escape: one allocation per HTTP/2 stream
	switch {
	case isParse:
		x.status = perr.Status
		x.setTerm('P', 'R')
		cc.captureRequest()
	case isTimeout(err):
		if !gotBytes && !first {
			return // timeout http-keep-alive: close silently
		}
		if !gotBytes && cc.fe.p.HTTPIgnoreProbes {
			return // a browser's speculative connection: no 408, no log
		}
		x.status = 408
		x.setTerm('c', 'R')
		if cc.upgraded {
			x.term[0] = 'P' // as HAProxy logs an upgraded connection's
		}
	default:
		// Client closed or reset before a whole head.
		if !gotBytes && cc.fe.p.HTTPIgnoreProbes {
			return
		}
		if !gotBytes {
			// HAProxy counts a connection closed before sending a byte
			// as an invalid request answered 400 (nothing is sent), and
			// logs it as <BADREQ> unless dontlognull.
			if first && !cc.adopted {
				x.status = 400
				x.setTerm('C', 'R')
				if cc.fe.p.DontLogNull {
					cc.countHTTP(x)
				} else {
					cc.logHeadError(x)
				}
			}
			return
		}
		x.status = 400
		x.setTerm('C', 'R')
		cc.logHeadError(x)
		return
	}
	out := getBuf()
	x.closeClient = true
	resp := cc.appendGenerated((*out)[:0], x, x.status)
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, _ := cc.c.Write(resp)
	x.bytesOut = int64(n)
	putBuf(out)
	if !gotBytes && cc.fe.p.DontLogNull {
		cc.countHTTP(x) // counted, not logged
		return
	}
	cc.logHeadError(x)
}

var idempotent = [...]string{"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"}

func isIdempotent(m []byte) bool {
	for _, s := range idempotent {
		if string(m) == s {
			return true
		}
	}
	return false
}

// handle serves one parsed request. It returns false when the client
// connection must be closed now.
func (cc *clientConn) handle(x *exchange, logging bool) bool {
	fe := cc.fe
	req := &cc.req
	b := *cc.buf
	headEnd := cc.r + req.HeadLen
	if logging {
		x.reqLine = expr.AppendRequestLine(x.reqLine[:0], req, cc.h2stream, cc.facts != nil)
	}

	draining := cc.e.draining.Load()
	x.closeClient = req.Close || req.HadCLAndTE || draining || fe.p.KeepAlive == config.Close || cc.relayed
	if fe.p.MonitorURI != "" && cc.isMonitor() {
		return cc.answerMonitor(x)
	}

	in := &cc.in
	upFirst := cc.upgradeFirst
	if !upFirst {
		in.BeginRequest()
	}
	in.Req = req
	in.Now = cc.now
	in.TLS = cc.facts // ssl_fc*, ssl_c_*
	in.HTTP2 = cc.h2stream
	in.FirstRequest = !cc.answered
	cc.stickRequest()
	in.RequestIDs = &cc.e.reqID
	if logging {
		in.SetRequestID(x.id) // the log line's %rt
	}
	in.UniqueIDFormat = fe.rules.UniqueIDFormat
	cc.setBody()
	fe.rules.CaptureRequest(in)
	cc.verdict = cc.verdict.Reset()
	be := cc.upgradeBE
	if upFirst {
		// The first request of an upgraded connection: the frontend's
		// tcp-request content rules ran on the raw bytes, and may have
		// chosen its backend (upgrade.go).
		cc.upgradeFirst, cc.upgradeBE = false, nil
	}
	if be == nil {
		if !upFirst && fe.rules.HasTCPContent() && !cc.contentRules(fe.rules) {
			return false
		}
		fe.rules.Request(in, &cc.verdict)
		if cc.verdict.Kind != rules.Continue {
			return cc.answerVerdict(x, nil, logging)
		}
		if fe.p.Stats != nil && cc.wantsStats(fe.p) {
			return cc.answerStats(x, fe.p, fe.rules, logging)
		}
		if fe.rules.Redirect(in, &cc.verdict); cc.verdict.Kind != rules.Continue {
			return cc.answerVerdict(x, nil, logging)
		}
		beName, beDyn := fe.rules.Backend(in)
		be = fe.backendFor(cc.e, beName, beDyn)
		if be == nil || be.b == nil {
			x.status = 503
			x.setTerm('S', 'C')
			if req.Body != h1.BodyNone {
				x.closeClient = true
			}
			return cc.answerStatus(x, logging)
		}
		if cc.upgraded && be.p.Mode != config.ModeHTTP {
			return cc.upgradedToTCP(x, be)
		}
	}
	in.Backend = be.p.Name
	// The backend's rules run once it is chosen, as in HAProxy (a listen
	// proxy serving itself ran them as the frontend).
	if be.p != fe.p && be.rules != nil {
		if be.rules.HasTCPContent() && !cc.contentRules(be.rules) {
			return false
		}
		be.rules.Request(in, &cc.verdict)
		if cc.verdict.Kind != rules.Continue {
			x.be = be
			be.beCum.Add(1)
			return cc.answerVerdict(x, be, logging)
		}
	}
	if be.p.Stats != nil && be.p != fe.p && cc.wantsStats(be.p) {
		x.be = be
		return cc.answerStats(x, be.p, be.svc, logging)
	}
	if be.p != fe.p && be.rules != nil {
		if be.rules.Redirect(in, &cc.verdict); cc.verdict.Kind != rules.Continue {
			x.be = be
			be.beCum.Add(1)
			return cc.answerVerdict(x, be, logging)
		}
	}
	if in.Src != cc.src {
		// set-src: later requests, the log and X-Forwarded-For see it.
		cc.setSrc(in.Src)
	}
	cc.dst = in.Dst
	cc.applyEffects()
	if in.Effects.CacheUse != "" {
		if done, ok := cc.cacheUse(x, be, logging); done {
			return ok
		}
	}
	if h := fe.rules.UniqueIDHeader; h != "" {
		if id, ok := in.UniqueID(); ok {
			req.AddHeader(h, id)
		}
	}
	cc.sendEarlyHints(x)
	x.be = be
	be.beCum.Add(1)
	mode := keepAliveMode(fe.p, be.p)
	if mode == config.Close {
		x.closeClient = true
	}

	// Request headers for the server.
	upgradeVal, _ := req.Header("Upgrade")
	isUpgrade := req.Upgrade && len(upgradeVal) > 0
	isHead := string(req.Method) == "HEAD"
	idem := isIdempotent(req.Method)
	key := backend.Key{Src: cc.src.Addr(), URI: req.Target, Req: req}
	cc.chooseCompression(x, req, fe.p, be.p, isHead)
	if be.h2 {
		cc.noteH2Fields(req)
	}
	req.Headers = h1.StripHopByHop(req.Headers)
	cc.forwardedHeaders(req, fe.p, be.p)
	if req.Body == h1.BodyChunked {
		req.AddHeader("Transfer-Encoding", valChunked)
	}
	srvKeep := false
	switch {
	case isUpgrade:
		req.AddHeader("Connection", valUpgrade)
		req.AddHeader("Upgrade", upgradeVal)
	case req.Minor == 0:
		req.AddHeader("Connection", valClose)
	case mode != config.KeepAlive:
		// http-pretend-keepalive: the server is not told, but the
		// connection still closes after the response.
		if !fe.p.HTTPPretendKeepAlive && !be.p.HTTPPretendKeepAlive {
			req.AddHeader("Connection", valClose)
		}
	default:
		srvKeep = true
	}

	// balance url_param check_post reads the parameter from a POST's
	// body: it is waited for as http-buffer-request does.
	checkPost := be.p.Balance == config.URLParam && be.p.BalanceOpts.CheckPost && string(req.Method) == "POST"
	if req.Body != h1.BodyNone && (fe.p.HTTPBufferRequest || be.p.HTTPBufferRequest || checkPost) {
		cc.bufferBody(headEnd)
	}
	// Body bytes already buffered after the head; cc.chunks goes on
	// with a chunked body's rest.
	inBuf, complete, chunkErr := cc.bodyInBuffer(headEnd, &cc.chunks)
	if chunkErr != nil {
		x.status = 400
		x.setTerm('P', 'R')
		x.closeClient = true
		return cc.answerStatus(x, logging)
	}
	bodyEnd := headEnd + inBuf
	cc.bodyEnd = bodyEnd
	x.bytesIn = int64(bodyEnd - cc.r)
	if checkPost && req.Body != h1.BodyNone {
		key.Body = b[headEnd:bodyEnd]
		if req.Body == h1.BodyChunked {
			var d h1.Dechunker
			key.Body, _ = d.Next(key.Body) // as HAProxy: the first chunk only
		}
	}

	cc.cookieRequest(be)
	nameHdr := be.p.SendNameHeader
	if nameHdr != "" {
		req.DelHeader(nameHdr) // the client's own is replaced
	}
	out := getBuf()
	defer putBuf(out)
	head := h1.AppendRequestHead((*out)[:0], req)
	headBase := len(head) - 2 // before the blank line

	bt := cc.timeouts(be)
	retryable := idem && complete
	// Retries after the request reached a server (retry-on beyond
	// conn-failure) need the whole request in the buffer, as in HAProxy.
	l7 := complete && !isUpgrade && be.p.RetryOn.Effective()&config.RetryL7 != 0 && !cc.verdict.NoL7Retry
	var err error
	queueDL := deadline(cc.now, bt.Queue)
	x.srv = cc.pickServer(be) // use-server
	if x.srv == nil {
		x.srv, err = be.b.Acquire(key, nil, queueDL)
		if err != nil {
			return cc.noServer(x, err, logging)
		}
	}
	be.beconn.Add(1)
	defer be.beconn.Add(-1)
	x.beHeld = true
	cc.enterBackend(be)
	defer leaveBackend(be)
	cc.enterServer(x, x.srv)
	if logging {
		x.tQueued = time.Now()
	}
	fresh := false // true after a reused connection failed: dial anew
	var streamed int64
	var resErr error
	for {
		srv := x.srv
		in.Server = srv.Name // a retry may have redispatched
		if nameHdr != "" {
			head = appendNameHeader(head[:headBase], nameHdr, srv.Name)
		}
		sc, reused, err := cc.connect(be, srv, bt, fresh)
		fresh = false
		if err != nil {
			ok, aerr := cc.retry(x, config.RetryConnFailure, key, queueDL)
			if aerr != nil {
				return cc.noServer(x, aerr, logging)
			}
			if !ok {
				x.release()
				x.status = 503
				x.setTerm('S', 'C')
				return cc.answerStatus(x, logging)
			}
			continue
		}
		if !reused {
			// A SOCKS4 handshake read from the socket: what came
			// after its reply may be there already.
			sc = newServerConn(sc, !be.dialOf(srv).socks4.IsValid()) // pooled with it
		}
		x.sc, x.reused = sc, reused
		cc.setServer(sc)
		cc.curSrv.Store(srv)
		cc.stickStore(be, srv, false)
		if logging {
			x.tConn = time.Now()
			x.noteServer(sc)
		}
		// Send the head with the buffered body bytes in one writev.
		sc.SetWriteDeadline(deadline(cc.now, bt.Server))
		_, err = cc.writeTo(sc, head, b[headEnd:bodyEnd])
		if err != nil {
			// Nothing was answered yet: as retryable as a silent close.
			err = &noResponseError{err: err}
		}
		if err == nil && !complete && !req.Expect100 {
			if d := cc.startDuplex(sc, bt); d != nil {
				defer cc.joinDuplex(x, d) // h2 to h2: the body flows with the response (h2up.go)
				complete = true
			}
		}
		if err == nil && !complete && !req.Expect100 {
			streamed, resErr = cc.streamRequestBody(x, sc, bt)
			if resErr != nil {
				cc.dropServer(x)
				x.release()
				return cc.bodyError(x, resErr, logging)
			}
			complete = true
		}
		if err == nil {
			err = cc.readResponseHead(x, sc, bt, isHead, &complete, &streamed)
		}
		var kind config.RetryOn // a failure retry-on may retry
		if err == nil {
			if !l7 || x.bytesOut > 0 || !be.p.RetryOn.Effective().Status(cc.resp.Status) || x.retries >= be.p.Retries {
				break
			}
			kind = config.RetryL7 // the status is in the set
		}
		cc.dropServer(x)
		var noResp *noResponseError
		aborted := cc.aborted.Swap(false) // shutdown sessions: no retry
		if err != nil && reused && retryable && errors.As(err, &noResp) && !aborted {
			// A pooled connection the server had closed: the request
			// never reached it, try again on a new connection.
			fresh = true
			continue
		}
		if err != nil && err != errClientGone && l7 && x.bytesOut == 0 && !aborted {
			kind = l7Failure(err)
		}
		if kind != 0 {
			ok, aerr := cc.retry(x, kind, key, queueDL)
			if aerr != nil {
				return cc.noServer(x, aerr, logging)
			}
			if ok {
				continue
			}
		}
		x.release()
		return cc.serverError(x, err, logging)
	}

	// Final response head parsed in the server buffer x.sbuf.
	return cc.relayResponse(x, logging, srvKeep, isUpgrade, complete, streamed)
}

// connect returns a connection to srv: an idle one this request may use
// (see reuse.go) unless fresh, else a new one under timeout connect
// (with TLS for an ssl server).
func (cc *clientConn) connect(be *backendRT, srv *backend.Server, bt *config.Timeouts, fresh bool) (net.Conn, bool, error) {
	if (be.h2 || srv.Index >= len(be.dial)) && h2Capable(srv.Config) { // a server added at run time is not in be.h2
		return cc.connectH2(be, srv, bt, fresh)
	}
	if !fresh && !srv.Config.DstFromRules {
		var match func(net.Conn) bool
		if be.tls != nil && be.sniKeyed(srv) {
			sni := cc.serverSNI(srv)
			match = func(c net.Conn) bool { return sentSNI(c) == string(sni) }
		}
		if c := cc.takeConn(be, srv, match); c != nil {
			return c, true, nil
		}
	}
	c, err := cc.dialServer(be, srv, bt)
	if err != nil {
		return nil, false, err
	}
	return c, false, nil
}

func (cc *clientConn) dropServer(x *exchange) {
	if x.sc != nil {
		x.sc.Close()
		x.sc = nil
		cc.setServer(nil)
	}
}

func (cc *clientConn) noServer(x *exchange, err error, logging bool) bool {
	x.status = 503
	if errors.Is(err, backend.ErrQueueTimeout) {
		x.setTerm('s', 'Q')
	} else {
		x.setTerm('S', 'C')
	}
	if cc.req.Body != h1.BodyNone {
		x.closeClient = true
	}
	return cc.answerStatus(x, logging)
}

// noResponseError is a server that closed before sending a byte of its
// response.
type noResponseError struct{ err error }

func (e *noResponseError) Error() string { return "server closed before responding: " + e.err.Error() }

var errNoResponse = &noResponseError{err: io.EOF}

// serverError answers the client after a failed exchange with a server.
func (cc *clientConn) serverError(x *exchange, err error, logging bool) bool {
	x.closeClient = true
	var perr *h1.Error
	var noResp *noResponseError
	switch {
	case err == errClientGone:
		x.setTerm('C', 'H')
		cc.logHTTP(x)
		return false
	case errors.As(err, &perr):
		x.status = 502
		x.setTerm('P', 'H')
		x.srv.Observe(backend.ObsHTTPHeaders)
		cc.captureResponse(x, string(cc.req.Method) == "HEAD")
	case isTimeout(err):
		x.status = 504
		x.setTerm('s', 'H')
		x.srv.Observe(backend.ObsHTTPReadTimeout)
	case errors.As(err, &noResp):
		x.status = 502
		x.setTerm('S', 'H')
		x.srv.Observe(backend.ObsHTTPClosed)
	default:
		x.status = 502
		x.setTerm('S', 'H')
		x.srv.Observe(backend.ObsHTTPReadError)
	}
	return cc.answerStatus(x, logging)
}

func (cc *clientConn) bodyError(x *exchange, err error, logging bool) bool {
	x.closeClient = true
	if err == errClientBody {
		x.setTerm('C', 'D')
		cc.logHTTP(x)
		return false
	}
	if err == errClientTimeout {
		x.status = 408
		x.setTerm('c', 'D')
		return cc.answerStatus(x, logging)
	}
	x.status = 502
	x.setTerm('S', 'D')
	return cc.answerStatus(x, logging)
}

var (
	errClientGone    = errors.New("client closed while waiting for the server")
	errClientBody    = errors.New("client aborted during the request body")
	errClientTimeout = errors.New("client timeout during the request body")
)

// answerStatus sends a HAProxy-style status page and logs.
func (cc *clientConn) answerStatus(x *exchange, logging bool) bool {
	if cc.req.Body != h1.BodyNone {
		// The body was not forwarded: the client's next bytes are not a
		// request head.
		x.closeClient = true
		cc.unreadBody = true
	}
	out := getBuf()
	resp := cc.afterResponse(cc.appendGenerated((*out)[:0], x, x.status), x.be)
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, err := cc.c.Write(resp)
	putBuf(out)
	x.bytesOut = int64(n)
	if !x.closeClient {
		cc.r += cc.req.HeadLen // only bodiless requests keep the connection
	}
	cc.logHTTP(x)
	return err == nil
}

// answerVerdict acts on what request rules decided: an answer (deny,
// tarpit, return, auth, redirect, use-service), or a close without one
// (reject, silent-drop).
func (cc *clientConn) answerVerdict(x *exchange, be *backendRT, logging bool) bool {
	if cc.verdict.Service != "" {
		return cc.answerService(x, logging)
	}
	req := &cc.req
	v := &cc.verdict
	switch v.Kind {
	case rules.Reject, rules.SilentDrop:
		if v.Kind == rules.SilentDrop {
			cc.silentDrop()
		}
		x.closeClient = true
		x.setTerm('P', 'R')
		x.answered = answeredDenied
		cc.logHTTP(x)
		return false
	}
	// An answered request's body is dropped when all of it has arrived
	// with the head, and the connection goes on, as in HAProxy 2.6;
	// one still on its way is not read: the connection closes.
	unread := req.Body != h1.BodyNone && !x.forwarded
	if unread {
		var sc h1.ChunkedScanner
		headEnd := cc.r + req.HeadLen
		if n, whole, err := cc.bodyInBuffer(headEnd, &sc); whole && err == nil {
			cc.bodyEnd, x.bodyDropped, unread = headEnd+n, true, false
			x.bytesIn = int64(cc.bodyEnd - cc.r)
		}
	}
	if v.Close || unread {
		x.closeClient = true
	}
	cc.unreadBody = unread
	cc.sendEarlyHints(x) // HAProxy sends them as the rules run
	x.setTerm('P', 'R')
	x.answered = answeredIntercepted
	if v.Denied {
		x.answered = answeredDenied
	}
	if v.Tarpit {
		x.setTerm('P', 'T')
		cc.tarpit(be)
	}
	return cc.respond(x, be, logging)
}

// bodyInBuffer reports how many bytes of the current request's body the
// read buffer holds after headEnd, and whether that is all of it; sc
// scans a chunked body (from its start), and an error is malformed
// chunking.
func (cc *clientConn) bodyInBuffer(headEnd int, sc *h1.ChunkedScanner) (n int, whole bool, err error) {
	req := &cc.req
	switch req.Body {
	case h1.BodyLength:
		if avail := int64(cc.w - headEnd); avail < req.ContentLength {
			return int(avail), false, nil
		}
		return int(req.ContentLength), true, nil
	case h1.BodyChunked:
		sc.Reset()
		return sc.Scan((*cc.buf)[headEnd:cc.w])
	}
	return 0, true, nil
}

// tarpit holds a tarpitted request for timeout tarpit (else timeout
// connect) before it is answered.
func (cc *clientConn) tarpit(be *backendRT) {
	t := cc.fe.p.Timeouts
	if be != nil {
		t = be.p.Timeouts
	}
	if d := t.Tarpit.Value; d > 0 {
		timer := time.NewTimer(d)
		select {
		case <-timer.C:
		case <-cc.e.stop:
			timer.Stop()
		}
	}
}

// respond sends the answer a rule built.
func (cc *clientConn) respond(x *exchange, be *backendRT, logging bool) bool {
	v := &cc.verdict
	x.status = v.Status
	out := getBuf()
	resp := cc.afterResponse(cc.appendVerdict((*out)[:0], x, v), be)
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, err := cc.c.Write(resp)
	putBuf(out)
	x.bytesOut += int64(n)
	if x.forwarded || x.bodyDropped {
		cc.r = cc.bodyEnd
	} else {
		cc.r += cc.req.HeadLen
	}
	cc.logHTTP(x)
	return err == nil
}

// bufferBody reads the request body into the read buffer, up to its end
// or the buffer's, under timeout http-request (option
// http-buffer-request), so the server is chosen and connected to once
// the body is there. A read failure ends the wait: forwarding meets it.
func (cc *clientConn) bufferBody(headEnd int) {
	b := *cc.buf
	cc.c.SetReadDeadline(deadline(cc.now, cc.fe.p.Timeouts.HTTPRequest))
	defer cc.c.SetReadDeadline(time.Time{})
	var sc h1.ChunkedScanner
	for cc.w < len(b) {
		if _, whole, err := cc.bodyInBuffer(headEnd, &sc); whole || err != nil {
			return
		}
		n, err := cc.readClient(b[cc.w:])
		cc.w += n
		if err != nil {
			return
		}
	}
}
