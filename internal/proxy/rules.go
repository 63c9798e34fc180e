package proxy

import (
	"errors"
	"net"
	"net/netip"
	"strconv"
	"syscall"
	"time"

	"baton/internal/accesslog"
	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
	"baton/internal/pattern"
	"baton/internal/rules"
	"baton/internal/syslog"
)

// What the proxy does for the rules: the connection and request state
// the sample fetches read, the effects rules ask for (socket marks,
// timeouts, early hints, log level), waiting for a body, answers built
// by rules, use-server, and the TCP content inspection.

// Backend answers the nbsrv, be_conn, queue, avg_queue and connslots
// fetches.
func (e *Engine) Backend(name string) (expr.BackendStats, bool) {
	be := e.backends[name]
	if be == nil || be.b == nil {
		return expr.BackendStats{}, false
	}
	st := expr.BackendStats{Usable: be.b.UsableServers(), Conns: be.beconn.Load(), Queue: int64(be.b.Queued())}
	if st.Usable > 0 {
		// Baton has no maxqueue: every usable server's queue is unlimited,
		// which HAProxy reports as -1.
		st.Slots = -1
	}
	return st, true
}

// ServerState answers srv_is_up and srv_conn.
func (e *Engine) ServerState(backend, server string) (bool, int64, bool) {
	be := e.backends[backend]
	if be == nil || be.b == nil {
		return false, 0, false
	}
	for _, s := range be.b.Servers {
		if s.Name == server {
			return s.Usable(), int64(s.Conns()), true
		}
	}
	return false, 0, false
}

// FrontendConns answers fe_conn.
func (e *Engine) FrontendConns(name string) (int64, bool) {
	fe := e.feByName[name]
	if fe == nil {
		return 0, false
	}
	return fe.feconn.Load(), true
}

// connectionRules runs the frontend's tcp-request connection rules, reads
// the PROXY header when the bind (accept-proxy) or a rule (expect-proxy)
// wants one, then runs the tcp-request session rules, once, when the
// connection is accepted: as in HAProxy, connection rules see the real
// peer and no header yet, session rules the header's addresses and TLVs.
// It reports whether the connection may go on.
func (cc *clientConn) connectionRules() bool {
	rs := cc.fe.rules
	in := &cc.in
	in.BeginConnection()
	in.Src, in.Dst, in.Frontend = cc.src, cc.dst, cc.fe.p.Name
	k := rules.Continue
	if rs.HasTCPConnection() {
		k = rs.Connection(in)
	}
	switch k {
	case rules.Reject:
		cc.applyEffects()
		return false
	case rules.SilentDrop:
		cc.applyEffects()
		cc.silentDrop()
		return false
	}
	if cc.brt != nil && cc.brt.b.AcceptProxy || in.Effects.ExpectProxy {
		if !cc.readProxy() { // the header's addresses and PP are in in too
			return false
		}
	}
	if rs.HasTCPConnection() {
		k = rs.Session(in)
	}
	cc.applyEffects()
	switch k {
	case rules.Reject:
		return false
	case rules.SilentDrop:
		cc.silentDrop()
		return false
	}
	if in.Src != cc.src {
		cc.setSrc(in.Src)
	}
	cc.dst = in.Dst
	return true
}

// contentRules runs tcp-request content rules in an HTTP proxy, once the
// request head is read (the data is then final). It reports whether the
// request may go on.
func (cc *clientConn) contentRules(rs *rules.Set) bool {
	switch rs.Content(&cc.in, true) {
	case rules.Reject:
		return false
	case rules.SilentDrop:
		cc.silentDrop()
		return false
	}
	cc.applyEffects()
	return true
}

// timeouts returns the backend's timeouts with the set-timeout rules'
// changes, and keeps them in the exchange.
func (cc *clientConn) timeouts(be *backendRT) *config.Timeouts {
	x := &cc.ex
	ef := &cc.in.Effects
	if ef.ServerTimeout == 0 && ef.TunnelTimeout == 0 {
		x.bt = &be.p.Timeouts
		return x.bt
	}
	cc.tmo = be.p.Timeouts
	if ef.ServerTimeout > 0 {
		cc.tmo.Server = config.Timeout{Value: ef.ServerTimeout, Set: true, From: "http-request set-timeout"}
	}
	if ef.TunnelTimeout > 0 {
		cc.tmo.Tunnel = config.Timeout{Value: ef.TunnelTimeout, Set: true, From: "http-request set-timeout"}
	}
	x.bt = &cc.tmo
	return x.bt
}

// applyEffects sets the socket options rules asked for (set-mark,
// set-tos) on the client socket.
func (cc *clientConn) applyEffects() {
	ef := &cc.in.Effects
	if cc.raw == nil || !ef.MarkSet && !ef.TOSSet {
		return
	}
	cc.raw.Control(func(fd uintptr) {
		if ef.MarkSet {
			syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_MARK, int(ef.Mark))
		}
		if ef.TOSSet {
			if cc.src.Addr().Is4() || cc.src.Addr().Is4In6() {
				syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TOS, int(ef.TOS))
			} else {
				syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_TCLASS, int(ef.TOS))
			}
		}
	})
	ef.MarkSet, ef.TOSSet = false, false
}

// tcpRepair is Linux's TCP_REPAIR socket option.
const tcpRepair = 19

// silentDrop closes the client connection so that its peer is not told:
// with TCP_REPAIR (it needs CAP_NET_ADMIN) the close sends nothing, else
// the TTL drops to 1 so the reset dies at the first router, as HAProxy
// does.
func (cc *clientConn) silentDrop() {
	if cc.raw != nil {
		cc.raw.Control(func(fd uintptr) {
			if syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, tcpRepair, 1) != nil {
				syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IP, syscall.IP_TTL, 1)
				syscall.SetsockoptInt(int(fd), syscall.IPPROTO_IPV6, syscall.IPV6_UNICAST_HOPS, 1)
			}
		})
	}
	cc.silent = true
}

// WaitForBody reads more of a Content-Length request body into the read
// buffer (wait-for-body): until atLeast bytes are there (0: the whole
// body), the buffer is full, the client stops sending or wait passes.
func (cc *clientConn) WaitForBody(in *rules.Input, wait time.Duration, atLeast int64) {
	req := &cc.req
	if req.Body != h1.BodyLength {
		return
	}
	b := *cc.buf
	headEnd := cc.r + req.HeadLen
	want := req.ContentLength
	if atLeast > 0 && atLeast < want {
		want = atLeast
	}
	cc.c.SetReadDeadline(time.Now().Add(wait))
	for int64(cc.w-headEnd) < want && cc.w < len(b) {
		n, err := cc.readClient(b[cc.w:])
		cc.w += n
		if err != nil {
			break
		}
	}
	cc.setBody()
}

// setBody points the rules at the request body bytes buffered so far.
func (cc *clientConn) setBody() {
	req := &cc.req
	in := &cc.in
	headEnd := cc.r + req.HeadLen
	switch req.Body {
	case h1.BodyLength:
		end := min(int64(cc.w), int64(headEnd)+req.ContentLength)
		in.ReqBody = (*cc.buf)[headEnd:end]
		in.ReqBodyFinal = int64(len(in.ReqBody)) == req.ContentLength || cc.w == len(*cc.buf)
	case h1.BodyNone:
		in.ReqBody, in.ReqBodyFinal = nil, true
	default:
		// A chunked body is not decoded for the fetches: they see none.
		in.ReqBody, in.ReqBodyFinal = nil, true
	}
}

// pickServer runs the backend's use-server rules: a named server takes
// the request when it is in service and below its maxconn (or down, when
// a force-persist rule allows). It returns nil to let the balance
// algorithm choose.
func (cc *clientConn) pickServer(be *backendRT) *backend.Server {
	if s := cc.cookieServer(be); s != nil {
		return s
	}
	if be.rules == nil || !be.rules.HasUseServer() {
		if s := cc.stickMatch(be); s != nil {
			return s
		}
		return cc.lastServer(be)
	}
	var got *backend.Server
	be.rules.UseServer(&cc.in, func(name []byte, force bool) bool {
		s := be.b.ServerByName(name)
		if s != nil && be.b.TakeServer(s, force) {
			got = s
			return true
		}
		return false
	})
	if got == nil {
		got = cc.stickMatch(be)
	}
	if got == nil {
		got = cc.lastServer(be)
	}
	return got
}

// lastServer applies "option prefer-last-server": the server whose
// connection the client still holds (a private one) takes its next
// request while load balancing could pick it, as in HAProxy; never
// with a hashing algorithm, which already sends a request where it
// belongs, nor when that server is another backend's. nil means balance.
func (cc *clientConn) lastServer(be *backendRT) *backend.Server {
	s := cc.priv.srv
	if s == nil || cc.priv.c == nil || !be.p.ConnOptions.PreferLastServer || !s.In(be.b) {
		return nil
	}
	switch be.p.Balance {
	case config.SourceHash, config.URI, config.URLParam, config.Hdr, config.RDPCookie:
		return nil
	}
	if !s.Usable() || !be.b.TakeServer(s, false) {
		return nil
	}
	return s
}

// sendEarlyHints sends the early-hint fields in 103 responses to an
// HTTP/1.1 client, once.
func (cc *clientConn) sendEarlyHints(x *exchange) {
	hints := cc.in.Effects.EarlyHints
	cc.in.Effects.EarlyHints = hints[:0]
	if len(hints) == 0 || cc.req.Minor == 0 {
		return
	}
	out := getBuf()
	b := (*out)[:0]
	open := false
	for _, h := range hints {
		if len(h.Name) == 0 { // the end of one 103
			b = append(b, "\r\n"...)
			open = false
			continue
		}
		if !open {
			b = append(b, "HTTP/1.1 103 Early Hints\r\n"...)
			open = true
		}
		b = append(b, h.Name...)
		b = append(b, ": "...)
		b = append(b, h.Value...)
		b = append(b, "\r\n"...)
	}
	cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
	n, _ := cc.c.Write(b)
	x.bytesOut += int64(n)
	putBuf(out)
}

// appendVerdict builds the answer a rule decided: a whole response from
// an errorfile, the error page of the status with the rule's headers,
// or a status line with the rule's headers and body.
func (cc *clientConn) appendVerdict(dst []byte, x *exchange, v *rules.Verdict) []byte {
	if pg := v.Page; pg != nil {
		if pg.MustClose() {
			x.closeClient = true
		}
		if !pg.Silent {
			x.status = pg.Status
		}
		return pg.Append(dst, x.closeClient)
	}
	if v.Errorfile && len(v.Headers) == 0 {
		return cc.appendGenerated(dst, x, v.Status)
	}
	close := x.closeClient
	dst = append(dst, "HTTP/1.1 "...)
	dst = strconv.AppendInt(dst, int64(v.Status), 10)
	dst = append(dst, ' ')
	dst = append(dst, h1.StatusText(v.Status)...)
	dst = append(dst, "\r\n"...)
	body := v.Body
	ctype := v.ContentType
	if v.Errorfile {
		// The error page with extra fields (auth's WWW-Authenticate):
		// take the page's body and content type.
		page := h1.AppendStatusResponse(nil, v.Status, false)
		if i := indexCRLFCRLF(page); i >= 0 {
			body = page[i+4:]
		}
		ctype = textHTML
		dst = append(dst, "cache-control: no-cache\r\n"...)
	}
	for _, h := range v.Headers {
		dst = append(dst, h.Name...)
		dst = append(dst, ": "...)
		dst = append(dst, h.Value...)
		dst = append(dst, "\r\n"...)
	}
	dst = append(dst, "content-length: "...)
	dst = strconv.AppendInt(dst, int64(len(body)), 10)
	dst = append(dst, "\r\n"...)
	if len(ctype) > 0 {
		dst = append(dst, "content-type: "...)
		dst = append(dst, ctype...)
		dst = append(dst, "\r\n"...)
	}
	if close {
		dst = append(dst, "connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, body...)
}

var textHTML = []byte("text/html")

func indexCRLFCRLF(b []byte) int {
	for i := 0; i+3 < len(b); i++ {
		if b[i] == '\r' && b[i+1] == '\n' && b[i+2] == '\r' && b[i+3] == '\n' {
			return i
		}
	}
	return -1
}

// afterResponse passes a response Baton builds itself (an error page, a
// rule's answer) through the http-after-response rules of the backend
// and the frontend, when they have any: the bytes are parsed, edited and
// written again.
func (cc *clientConn) afterResponse(resp []byte, be *backendRT) []byte {
	feAfter := cc.fe.rules.HasAfterResponse()
	beAfter := be != nil && be.rules != nil && be.p != cc.fe.p && be.rules.HasAfterResponse()
	if !feAfter && !beAfter {
		return resp
	}
	var r h1.Response
	if h1.ParseResponse(resp, &r, false, &h1.Limits{}) != nil {
		return resp
	}
	in := &cc.in
	in.Status = r.Status
	if beAfter {
		be.rules.AfterResponse(in, &r)
	}
	if feAfter {
		cc.fe.rules.AfterResponse(in, &r)
	}
	out := h1.AppendResponseHead(nil, &r)
	return append(out, resp[r.HeadLen:]...)
}

// inspectTCP runs tcp-request content rules on a TCP connection's first
// bytes: it reads into the connection's buffer until the rules decide,
// the inspect delay passes, the buffer fills or the client shuts its
// side. It reports whether the connection may go on.
func (cc *clientConn) inspectTCP(rs *rules.Set, delay time.Duration) bool {
	if cc.buf == nil {
		cc.buf = getBuf()
	}
	b := *cc.buf
	in := &cc.in
	dl := cc.start.Add(delay)
	eof := false
	for {
		in.Payload = b[:cc.w]
		final := eof || cc.w == len(b) || delay <= 0 || !time.Now().Before(dl)
		in.PayloadFinal = final
		switch rs.Content(in, final) {
		case rules.Reject:
			return false
		case rules.SilentDrop:
			cc.silentDrop()
			return false
		case rules.Wait:
		default:
			cc.applyEffects()
			cc.src, cc.dst = in.Src, in.Dst
			return true
		}
		cc.c.SetReadDeadline(dl)
		n, err := cc.readClient(b[cc.w:])
		cc.w += n
		if err != nil && n == 0 {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				eof = true
			}
		}
	}
}

// inspectResponse runs tcp-response content rules on the server's first
// bytes, read into buf. It returns how many bytes were read and the
// decision.
func inspectResponse(in *rules.Input, rs *rules.Set, sc net.Conn, buf []byte, delay time.Duration) (int, rules.Kind) {
	dl := time.Now().Add(delay)
	w := 0
	eof := false
	for {
		in.ResPayload = buf[:w]
		final := eof || w == len(buf) || delay <= 0 || !time.Now().Before(dl)
		in.ResPayloadFinal = final
		if k := rs.ResponseContent(in, final); k != rules.Wait {
			return w, k
		}
		sc.SetReadDeadline(dl)
		n, err := sc.Read(buf[w:])
		w += n
		if err != nil && n == 0 {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				eof = true
			}
		}
	}
}

// inspectServer runs the backend's tcp-response content rules on the
// server's first bytes and forwards them. It reports whether the
// connection goes on (a reject or close ends it).
func (cc *clientConn) inspectServer(x *exchange, be *backendRT, sc net.Conn) bool {
	if cc.sbuf == nil {
		cc.sbuf = getBuf()
	}
	// The client's bytes flow to the server meanwhile, as in HAProxy: a
	// server that speaks second must hear the client first.
	fwd := make(chan int64, 1)
	go func() {
		buf := getBuf()
		defer putBuf(buf)
		var total int64
		for {
			n, err := cc.c.Read(*buf)
			if n > 0 {
				sc.SetWriteDeadline(deadline(time.Now(), be.p.Timeouts.Server))
				if _, werr := sc.Write((*buf)[:n]); werr != nil {
					break
				}
				total += int64(n)
			}
			if err != nil {
				break
			}
		}
		fwd <- total
	}()
	n, k := inspectResponse(&cc.in, be.rules, sc, *cc.sbuf, be.rules.ResponseInspectDelay)
	cc.c.SetReadDeadline(time.Unix(1, 0)) // stop the forwarding
	x.bytesIn += <-fwd
	cc.c.SetReadDeadline(time.Time{})
	sc.SetReadDeadline(time.Time{})
	switch k {
	case rules.Reject:
		x.setTerm('S', 'D')
		return false
	case rules.SilentDrop:
		cc.silentDrop()
		x.setTerm('S', 'D')
		return false
	}
	cc.applyEffects()
	if n > 0 {
		cc.setWriteDeadline(deadline(time.Now(), cc.fe.p.Timeouts.Client))
		w, err := cc.c.Write((*cc.sbuf)[:n])
		x.bytesOut += int64(w)
		if err != nil {
			x.setTerm('C', 'D')
			return false
		}
	}
	return k != rules.CloseAfter
}

// serverAddr is where to connect for srv, whose address is addr: a
// server declared at 0.0.0.0 or port 0 (or without a port) takes the
// destination the rules set (set-dst, set-dst-port), as in HAProxy.
func (cc *clientConn) serverAddr(srv *backend.Server, addr string) string {
	cs := srv.Config
	if cs == nil || !cs.DstFromRules {
		return addr
	}
	dst := cc.in.Dst
	host, port, _ := net.SplitHostPort(addr)
	a := dst.Addr()
	if host != "0.0.0.0" {
		if h, err := netip.ParseAddr(host); err == nil {
			a = h
		}
	}
	p := dst.Port()
	if port != "0" {
		if n, err := strconv.Atoi(port); err == nil {
			p = uint16(n)
		}
	}
	return netip.AddrPortFrom(a.Unmap(), p).String()
}

// noteRules records in a log entry what the rules left for the log: the
// sample context (%[...]), the capture slots (%hr %hs) and the level
// set-log-level chose.
func (cc *clientConn) noteRules(e *accesslog.Entry) {
	if cc.session == nil {
		return
	}
	e.Sample = &cc.in.Ctx
	if id, ok := cc.in.UniqueID(); ok {
		e.UniqueID = id
	}
	if caps := cc.in.Captures; caps != nil {
		e.CapturedReq = appendSlots(e.CapturedReq, caps.Req)
		e.CapturedRes = appendSlots(e.CapturedRes, caps.Res)
	}
	if lvl := cc.in.Effects.LogLevel; lvl != "" && lvl != "silent" {
		e.Level, e.LevelSet = syslog.ParseLevel(lvl)
	}
}

// appendSlots appends the values of capture slots, nil for an empty one.
func appendSlots(dst [][]byte, caps []expr.Capture) [][]byte {
	for i := range caps {
		var v []byte
		if caps[i].Set {
			v = caps[i].Value
			if v == nil {
				v = []byte{}
			}
		}
		dst = append(dst, v)
	}
	return dst
}

// forLog readies the sample context for a log line's %[...]: the request
// head's buffer may hold the body by now, so the request-line fetches
// read the line copied for the log, and the raw payload is gone. It
// returns the request afterLog puts back.
func (cc *clientConn) forLog(x *exchange) *h1.Request {
	if cc.session == nil {
		return nil
	}
	req := cc.in.Req
	cc.in.Req, cc.in.ReqLine, cc.in.Payload = nil, x.reqLine, nil
	return req
}

func (cc *clientConn) afterLog(req *h1.Request) {
	if cc.session != nil {
		cc.in.Req = req
	}
}

// Patterns gives the runtime API's map and ACL commands the generation's
// pattern files and ACL values.
func (e *Engine) Patterns() *pattern.Store { return e.cfg.Expr.Maps }

// responseRules runs the backend's http-response rules on resp, then
// the frontend's, until one decides (v).
func (cc *clientConn) responseRules(be *backendRT, resp *h1.Response, v *rules.Verdict) {
	in := &cc.in
	if be.rules != nil && be.p != cc.fe.p && be.rules.HasResponseRules() {
		be.rules.Response(in, resp, v)
	}
	if v.Kind == rules.Continue && cc.fe.rules.HasResponseRules() {
		cc.fe.rules.Response(in, resp, v)
	}
}

// afterResponseRules runs the http-after-response rules on resp, the
// backend's first.
func (cc *clientConn) afterResponseRules(be *backendRT, resp *h1.Response) {
	in := &cc.in
	if be.rules != nil && be.p != cc.fe.p && be.rules.HasAfterResponse() {
		be.rules.AfterResponse(in, resp)
	}
	if cc.fe.rules.HasAfterResponse() {
		cc.fe.rules.AfterResponse(in, resp)
	}
}
