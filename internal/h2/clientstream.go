package h2

import (
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"

	"baton/internal/h1"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// ClientStream is one exchange with a server over a ClientConn,
// presented as an HTTP/1.1 connection: writes are parsed as an HTTP/1.1
// request and sent as HEADERS, DATA and trailers (chunked framing
// removed, hop-by-hop fields dropped, te only as "trailers"); reads
// yield the response as HTTP/1.1 (interim 1xx heads, then the final
// head, its body framed by the server's content-length or else chunked
// so that trailers reach the client). Close ends the exchange and gives
// the stream's slot back (a stream not finished both ways is reset with
// CANCEL). One goroutine writes and reads it, as an HTTP/1.1 exchange
// does a server connection.
type ClientStream struct {
	cc *ClientConn

	// TETrailers sends "te: trailers" with the request: the client said
	// it accepts trailers (the proxy strips te before the request
	// reaches the stream). Set before the first Write.
	TETrailers bool
	// Trailer is the request's trailer field (the names of the trailers
	// it announces), sent as "trailer"; "" sends none. Set before the
	// first Write.
	Trailer string

	// Request side, the writer's.
	wbuf      []byte
	req       h1.Request
	lim       h1.Limits
	wstate    int // reqHead, reqBody, reqDone
	kind      h1.BodyKind
	remaining int64
	dec       chunkDecoder
	fields    []hpack.HeaderField

	// Under cc.mu.
	id         uint32
	sent       bool // HEADERS left: the server may have processed it
	reqDone    bool // END_STREAM sent
	sendWin    int64
	recvWin    int64
	unacked    int64 // stream window bytes read, not yet given back
	isHead     bool
	gotFinal   bool
	chunked    bool // the response is rendered chunked
	bodyless   bool // the response has no body (HEAD, 204, 304)
	out        []byte
	rbody      []byte
	trailers   []hpack.HeaderField
	remoteDone bool
	done       bool // the whole response was rendered
	err        error
	closed     bool
	rdl, wdl   time.Time
}

const (
	reqHead = iota
	reqBody
	reqDone
)

// NewStream returns a stream for a slot Reserve took.
func (cc *ClientConn) NewStream() *ClientStream {
	return &ClientStream{cc: cc}
}

func (st *ClientStream) Write(p []byte) (int, error) {
	total := len(p)
	for len(p) > 0 {
		switch st.wstate {
		case reqHead:
			st.wbuf = append(st.wbuf, p...)
			p = nil
			err := h1.ParseRequest(st.wbuf, &st.req, &st.lim)
			if err == h1.ErrIncomplete {
				return total, nil
			}
			if err != nil {
				return 0, err
			}
			rest := st.wbuf[st.req.HeadLen:]
			if err := st.sendHead(); err != nil {
				return 0, err
			}
			if len(rest) > 0 && st.wstate == reqBody {
				if err := st.body(rest); err != nil {
					return 0, err
				}
			}
			st.wbuf = st.wbuf[:0]
		case reqBody:
			if err := st.body(p); err != nil {
				return 0, err
			}
			p = nil
		default:
			p = nil // past the request: nothing more may follow on a stream
		}
	}
	return total, nil
}

// sendHead sends the parsed request head as HEADERS.
func (st *ClientStream) sendHead() error {
	r := &st.req
	cc := st.cc
	method := string(r.Method)
	f := st.fields[:0]
	f = append(f, hpack.HeaderField{Name: ":method", Value: method})
	target := string(r.Target)
	authority := string(r.Host)
	if method != "CONNECT" {
		scheme := "http"
		if cc.tls {
			scheme = "https"
		}
		path := target
		if i := strings.Index(target, "://"); i > 0 && target[0] != '/' {
			rest := target[i+3:]
			j := strings.IndexByte(rest, '/')
			if j < 0 {
				path = "/"
			} else {
				path = rest[j:]
			}
		}
		if path == "" {
			path = "/"
		}
		f = append(f, hpack.HeaderField{Name: ":scheme", Value: scheme})
		f = append(f, hpack.HeaderField{Name: ":authority", Value: authority})
		f = append(f, hpack.HeaderField{Name: ":path", Value: path})
	} else {
		f = append(f, hpack.HeaderField{Name: ":authority", Value: target})
	}
	te := st.TETrailers
	for _, h := range r.Headers {
		name := strings.ToLower(string(h.Name))
		switch {
		case name == "te":
			te = te || hasToken(string(h.Value), "trailers")
			continue
		case name == "host" || hopByHop[name]:
			continue
		case name == "content-length" && r.Body != h1.BodyLength:
			continue
		}
		f = append(f, hpack.HeaderField{Name: name, Value: string(h.Value)})
	}
	if te {
		f = append(f, hpack.HeaderField{Name: "te", Value: "trailers"})
	}
	if st.Trailer != "" {
		f = append(f, hpack.HeaderField{Name: "trailer", Value: st.Trailer})
	}
	st.fields = f
	st.kind = r.Body
	st.remaining = r.ContentLength
	end := r.Body == h1.BodyNone || r.Body == h1.BodyLength && r.ContentLength == 0
	if r.Body == h1.BodyChunked {
		st.dec = chunkDecoder{}
	}
	st.isHead = method == "HEAD"
	if err := st.writeHeaders(f, end, true); err != nil {
		return err
	}
	if end {
		st.wstate = reqDone
	} else {
		st.wstate = reqBody
	}
	return nil
}

func hasToken(v, tok string) bool {
	for _, t := range strings.Split(v, ",") {
		t = strings.TrimSpace(t)
		if i := strings.IndexByte(t, ';'); i >= 0 {
			t = strings.TrimSpace(t[:i])
		}
		if strings.EqualFold(t, tok) {
			return true
		}
	}
	return false
}

// writeHeaders sends a header block: the request's (opening the stream)
// or its trailers.
func (st *ClientStream) writeHeaders(fields []hpack.HeaderField, end, open bool) error {
	cc := st.cc
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	if cc.werr != nil {
		return cc.refusedIfUnsent(st, cc.werr)
	}
	cc.mu.Lock()
	if st.err != nil {
		err := st.err
		cc.mu.Unlock()
		return err
	}
	if open {
		if cc.goaway || cc.dead || cc.nextID > 1<<31-1 {
			cc.closeIdle = cc.closeIdle || cc.nextID > 1<<31-1
			cc.mu.Unlock()
			return ErrRefused
		}
		st.id = cc.nextID
		cc.nextID += 2
		cc.streams[st.id] = st
		st.sent = true
		st.sendWin = cc.peerWin
		st.recvWin = int64(cc.set.defaults().initialWindow())
		st.isHead = string(st.req.Method) == "HEAD"
	}
	if end {
		st.reqDone = true
	}
	frame := int(cc.peerFrame)
	cc.mu.Unlock()
	cc.hbuf.Reset()
	for _, hf := range fields {
		cc.henc.WriteField(hf)
	}
	writeHeaderBlock(cc.fr, st.id, cc.hbuf.Bytes(), frame, end)
	return cc.flushLocked()
}

func (cc *ClientConn) refusedIfUnsent(st *ClientStream, err error) error {
	if !st.sent {
		return ErrRefused
	}
	return err
}

// body sends request body bytes (the chunked framing removed).
func (st *ClientStream) body(p []byte) error {
	switch st.kind {
	case h1.BodyLength:
		n := min(int64(len(p)), st.remaining)
		st.remaining -= n
		end := st.remaining == 0
		if err := st.writeData(p[:n], end); err != nil {
			return err
		}
		if end {
			st.wstate = reqDone
		}
	case h1.BodyChunked:
		for len(p) > 0 && st.wstate == reqBody {
			data, rest, fin, err := st.dec.next(p)
			if err != nil {
				st.cc.resetStream(st.id, http2.ErrCodeCancel, err)
				return err
			}
			p = rest
			if len(data) > 0 {
				if err := st.writeData(data, false); err != nil {
					return err
				}
			}
			if fin {
				if len(st.dec.trailers) > 0 {
					err = st.writeHeaders(st.dec.trailers, true, false)
				} else {
					err = st.writeData(nil, true)
				}
				if err != nil {
					return err
				}
				st.wstate = reqDone
			}
		}
	}
	return nil
}

// writeData sends p as DATA frames within the server's windows, waiting
// for them under the write deadline; end sets END_STREAM on the last.
func (st *ClientStream) writeData(p []byte, end bool) error {
	cc := st.cc
	for {
		cc.mu.Lock()
		for len(p) > 0 && (st.sendWin <= 0 || cc.sendWin <= 0) && st.err == nil && !cc.dead {
			if !cc.waitLocked(st.wdl) {
				cc.mu.Unlock()
				return os.ErrDeadlineExceeded
			}
		}
		if st.err != nil || cc.dead {
			err := st.err
			if err == nil {
				err = errClientConnDead
			}
			cc.mu.Unlock()
			return err
		}
		n := min(int64(len(p)), st.sendWin, cc.sendWin, int64(cc.peerFrame))
		st.sendWin -= n
		cc.sendWin -= n
		last := n == int64(len(p))
		if last && end {
			st.reqDone = true
		}
		cc.mu.Unlock()
		cc.wmu.Lock()
		cc.fr.WriteData(st.id, last && end, p[:n])
		err := cc.flushLocked()
		cc.wmu.Unlock()
		if err != nil {
			return err
		}
		p = p[n:]
		if last {
			return nil
		}
	}
}

// waitLocked waits on cond until a broadcast or the deadline dl (zero:
// none); false once dl has passed.
func (cc *ClientConn) waitLocked(dl time.Time) bool {
	if dl.IsZero() {
		cc.cond.Wait()
		return true
	}
	d := time.Until(dl)
	if d <= 0 {
		return false
	}
	t := time.AfterFunc(d, func() {
		cc.mu.Lock()
		cc.cond.Broadcast()
		cc.mu.Unlock()
	})
	cc.cond.Wait()
	t.Stop()
	return true
}

// appendResponseHead renders a response head as HTTP/1.1 (under cc.mu).
func (st *ClientStream) appendResponseHead(status int, fields []hpack.HeaderField, end bool) {
	b := st.out
	b = append(b, "HTTP/1.1 "...)
	b = strconv.AppendInt(b, int64(status), 10)
	b = append(b, ' ')
	b = append(b, http.StatusText(status)...)
	b = append(b, "\r\n"...)
	hasLength := false
	for _, hf := range fields {
		if !validField(hf) || hopByHop[hf.Name] {
			continue
		}
		if hf.Name == "content-length" {
			if hasLength {
				continue // one is enough; the framer checked they agree
			}
			hasLength = true
		}
		b = appendField(b, hf)
	}
	if status >= 200 {
		st.gotFinal = true
		st.bodyless = st.isHead || status == 204 || status == 304
		switch {
		case st.bodyless || hasLength:
		case end:
			b = append(b, "content-length: 0\r\n"...)
		default:
			st.chunked = true
			b = append(b, "transfer-encoding: chunked\r\n"...)
		}
	}
	st.out = append(b, "\r\n"...)
}

// Read yields the response as HTTP/1.1, then io.EOF.
func (st *ClientStream) Read(p []byte) (int, error) {
	cc := st.cc
	cc.mu.Lock()
	for {
		if len(st.out) > 0 {
			n := copy(p, st.out)
			st.out = st.out[n:]
			cc.mu.Unlock()
			return n, nil
		}
		if len(st.rbody) > 0 {
			n := int64(len(st.rbody))
			if st.bodyless {
				// No body may follow such a head: what came is dropped.
			} else if st.chunked {
				st.out = strconv.AppendInt(st.out[:0], n, 16)
				st.out = append(st.out, "\r\n"...)
				st.out = append(st.out, st.rbody...)
				st.out = append(st.out, "\r\n"...)
			} else {
				st.out = append(st.out[:0], st.rbody...)
			}
			st.rbody = st.rbody[:0]
			st.recvWin += n
			st.unacked += n
			cc.recvUnack += n
			var sgive int64
			if st.unacked >= int64(cc.set.defaults().initialWindow())/2 && !st.remoteDone {
				sgive, st.unacked = st.unacked, 0
			}
			cgive := cc.takeConnCreditLocked(false)
			if sgive > 0 || cgive > 0 {
				cc.mu.Unlock()
				cc.giveBack(st.id, cgive, sgive)
				cc.mu.Lock()
			}
			continue
		}
		if st.remoteDone && st.gotFinal && !st.done {
			st.done = true
			if st.chunked {
				st.out = append(st.out[:0], "0\r\n"...)
				for _, hf := range st.trailers {
					st.out = appendField(st.out, hf)
				}
				st.out = append(st.out, "\r\n"...)
			}
			continue
		}
		if st.done {
			cc.mu.Unlock()
			return 0, io.EOF
		}
		if st.err != nil {
			err := st.err
			cc.mu.Unlock()
			return 0, err
		}
		if !cc.waitLocked(st.rdl) {
			cc.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
	}
}

// resetLocked fails the stream with err (a reset, a GOAWAY above it).
func (st *ClientStream) resetLocked(err error) {
	if st.err == nil && !st.done {
		st.err = err
	}
	st.cc.cond.Broadcast()
}

// Close ends the exchange: a stream not finished both ways is reset
// with CANCEL; the slot is given back.
func (st *ClientStream) Close() error {
	cc := st.cc
	cc.mu.Lock()
	if st.closed {
		cc.mu.Unlock()
		return nil
	}
	st.closed = true
	reset := st.sent && st.err == nil && !(st.remoteDone && st.reqDone)
	if st.sent {
		delete(cc.streams, st.id)
	}
	st.resetLocked(net.ErrClosed) // a writer waiting for a window stops
	// Bytes never read still occupied the connection window.
	cc.recvUnack += int64(len(st.rbody))
	st.rbody = nil
	give := cc.takeConnCreditLocked(false)
	closeNow := cc.releaseSlotLocked()
	cc.mu.Unlock()
	if reset {
		cc.writeReset(st.id, http2.ErrCodeCancel)
	}
	cc.giveBack(0, give, 0)
	if closeNow {
		cc.Close()
	}
	return nil
}

// RequestDone reports whether the whole request has been written (the
// writer's view: call it from the writing goroutine).
func (st *ClientStream) RequestDone() bool { return st.wstate == reqDone }

// Cancel resets a stream whose request cannot be completed (the client
// went away mid-body): the server gets RST_STREAM CANCEL and a reader
// waiting for the response gets err. Close still gives the slot back.
func (st *ClientStream) Cancel(err error) {
	cc := st.cc
	cc.mu.Lock()
	send := st.sent && st.err == nil && !st.closed && !(st.remoteDone && st.reqDone)
	st.resetLocked(err)
	cc.mu.Unlock()
	if send {
		cc.writeReset(st.id, http2.ErrCodeCancel)
	}
}

func (st *ClientStream) LocalAddr() net.Addr  { return st.cc.c.LocalAddr() }
func (st *ClientStream) RemoteAddr() net.Addr { return st.cc.c.RemoteAddr() }

func (st *ClientStream) SetDeadline(t time.Time) error {
	st.SetReadDeadline(t)
	return st.SetWriteDeadline(t)
}

func (st *ClientStream) SetReadDeadline(t time.Time) error {
	st.cc.mu.Lock()
	st.rdl = t
	st.cc.mu.Unlock()
	return nil
}

func (st *ClientStream) SetWriteDeadline(t time.Time) error {
	st.cc.mu.Lock()
	st.wdl = t
	st.cc.mu.Unlock()
	return nil
}
