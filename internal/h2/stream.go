package h2

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"baton/internal/h1"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Request is a stream's request head, validated as RFC 9113 8.2 and 8.3
// require: only the request pseudo-header fields, no connection-specific
// fields, no CR, LF or NUL anywhere, content-length digits only.
type Request struct {
	Method, Scheme, Authority, Path string
	// Fields are the regular header fields in order; a "host" field is
	// kept only when there is no :authority.
	Fields []hpack.HeaderField
	// ContentLength is the content-length field's value; -1 when absent.
	ContentLength int64
	// NoBody: the HEADERS frame ended the stream.
	NoBody bool
}

// Stream is one client-initiated stream. Its handler reads the request
// body with Read and answers with WriteHeaders and WriteData.
type Stream struct {
	sc  *Conn
	id  uint32
	Req Request

	// Guarded by sc.mu.
	buf        []byte // request body received and not yet read: buf[off:]
	off        int
	remoteDone bool // the client ended the stream (END_STREAM)
	localDone  bool // the response ended (END_STREAM sent)
	reset      bool
	resetCode  http2.ErrCode
	sendWin    int64
	recvWin    int64
	recvUnack  int64
	received   int64 // DATA payload bytes received
	// contentLength is the request's declared length, checked against
	// the DATA received; -1 when absent.
	contentLength int64
	trailers      []hpack.HeaderField
	readDL        time.Time
	readTimer     *time.Timer

	// h1 is the stream's HTTP/1.1 view (H1Conn), and fieldRoom its
	// request's usual regular fields, allocated with it.
	h1        h1Conn
	fieldRoom [8]hpack.HeaderField
}

// ID returns the stream identifier.
func (st *Stream) ID() uint32 { return st.id }

// errReset is what a reset stream's reads and writes return.
var errReset = errors.New("h2: stream reset")

// ErrStreamReset reports a stream reset by the client or by a connection
// that ended.
var ErrStreamReset = errReset

// onHeaders opens a stream, or ends one with trailers, after
// readHeaderBlock decoded f's block into sc.hb.
func (sc *Conn) onHeaders(f *headersFrame) error {
	id := f.StreamID
	if id%2 == 0 {
		return errConn(http2.ErrCodeProtocol, "HEADERS on even stream %d", id)
	}
	sc.mu.Lock()
	if st := sc.streams[id]; st != nil {
		defer sc.mu.Unlock()
		return sc.onTrailersLocked(st, f)
	}
	if id <= sc.maxSeen {
		closed := sc.recentlyClosedLocked(id)
		sc.mu.Unlock()
		if closed {
			return errConn(http2.ErrCodeStreamClosed, "HEADERS on closed stream %d", id)
		}
		return errConn(http2.ErrCodeProtocol, "stream %d is not above %d", id, sc.maxSeen)
	}
	sc.maxSeen = id
	if sc.goaway2 && id > sc.lastID {
		sc.mu.Unlock()
		return nil // after the final GOAWAY: ignored (RFC 9113 6.8)
	}
	if f.HasPriority() && f.Priority.StreamDep == id {
		sc.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	if sc.hb.truncated {
		sc.mu.Unlock()
		return errConn(http2.ErrCodeEnhanceYourCalm, "header list larger than %d bytes (HPACK bomb?)", sc.set.maxHeaderList())
	}
	max := sc.set.maxStreams()
	if max != Unlimited && uint32(sc.open) >= max {
		sc.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeRefusedStream}
	}
	if limit := runningLimit(max); sc.running >= limit {
		n := sc.running
		sc.mu.Unlock()
		return errConn(http2.ErrCodeEnhanceYourCalm, "rapid reset: %d requests still running, most on streams the client reset", n)
	}
	req, ok := parseRequest(sc.hb.fields, f.StreamEnded())
	if !ok || req.NoBody && req.ContentLength > 0 {
		sc.mu.Unlock()
		return http2.StreamError{StreamID: id, Code: http2.ErrCodeProtocol}
	}
	st := &Stream{
		sc:            sc,
		id:            id,
		Req:           req,
		remoteDone:    req.NoBody,
		sendWin:       sc.peerWin,
		recvWin:       int64(sc.set.initialWindow()),
		contentLength: req.ContentLength,
	}
	st.Req.Fields = append(st.fieldRoom[:0], req.Fields...) // sc.hb's are the next block's
	sc.streams[id] = st
	sc.open++
	sc.running++
	sc.mu.Unlock()
	startStream(st)
	return nil
}

// Stream goroutines are reused: a handler's stack grows through the
// whole proxy path, and a goroutine that served one stream takes the
// next (of any connection) with its stack already grown, instead of
// growing a new one each time. An idle one exits after workerIdle.
var idleWorkers = make(chan *Stream)

const workerIdle = 5 * time.Second

func startStream(st *Stream) {
	select {
	case idleWorkers <- st:
	default:
		go streamWorker(st)
	}
}

func streamWorker(st *Stream) {
	t := time.NewTimer(workerIdle)
	defer t.Stop()
	for {
		st.serve()
		if !t.Stop() {
			select {
			case <-t.C:
			default:
			}
		}
		t.Reset(workerIdle)
		select {
		case st = <-idleWorkers:
		case <-t.C:
			return
		}
	}
}

// runningLimit bounds the handlers a connection may have running: twice
// its stream limit, so that streams the client reset while their
// requests still run (rapid reset, CVE-2023-44487) cannot pile up.
func runningLimit(max uint32) int {
	if max == Unlimited || max > 1<<15 {
		return 1 << 16
	}
	return 2 * int(max)
}

func (sc *Conn) onTrailersLocked(st *Stream, f *headersFrame) error {
	if st.remoteDone {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeStreamClosed}
	}
	if !f.StreamEnded() || sc.hb.truncated {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
	}
	for _, hf := range sc.hb.fields {
		if hf.IsPseudo() || !validField(hf) {
			return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
		}
	}
	if st.contentLength >= 0 && st.received != st.contentLength {
		return http2.StreamError{StreamID: st.id, Code: http2.ErrCodeProtocol}
	}
	st.trailers = append([]hpack.HeaderField(nil), sc.hb.fields...) // sc.hb's are the next block's
	st.remoteDone = true
	sc.maybeCloseLocked(st)
	sc.cond.Broadcast()
	return nil
}

// validField checks what the framer leaves to us (RFC 9113 8.2.1, 8.2.2):
// no connection-specific fields, te only as "trailers", no leading or
// trailing whitespace in a value.
func validField(hf hpack.HeaderField) bool {
	switch hf.Name {
	case "connection", "keep-alive", "proxy-connection", "transfer-encoding", "upgrade":
		return false
	case "te":
		if hf.Value != "trailers" {
			return false
		}
	}
	if v := hf.Value; v != "" && (isWS(v[0]) || isWS(v[len(v)-1])) {
		return false
	}
	return true
}

func isWS(b byte) bool { return b == ' ' || b == '\t' }

// parseRequest validates a request head (RFC 9113 8.2, 8.3.1).
func parseRequest(fields []hpack.HeaderField, ended bool) (Request, bool) {
	r := Request{ContentLength: -1, NoBody: ended}
	var host string
	var seen uint8 // pseudo-header fields already seen, one bit each
	// The regular fields are kept in place, in the block's slice; the
	// stream copies them before the next block.
	r.Fields = fields[:0]
	for _, hf := range fields {
		if hf.IsPseudo() {
			var bit uint8
			switch hf.Name {
			case ":method":
				r.Method, bit = hf.Value, 1
			case ":scheme":
				r.Scheme, bit = hf.Value, 2
			case ":path":
				r.Path, bit = hf.Value, 4
			case ":authority":
				r.Authority, bit = hf.Value, 8
			default:
				return r, false
			}
			if seen&bit != 0 {
				return r, false
			}
			seen |= bit
			continue
		}
		if !validField(hf) {
			return r, false
		}
		switch hf.Name {
		case "content-length":
			n, ok := parseLength(hf.Value)
			if !ok || r.ContentLength >= 0 && n != r.ContentLength {
				return r, false
			}
			if r.ContentLength >= 0 {
				continue // an identical repeat: keep one
			}
			r.ContentLength = n
		case "host":
			host = hf.Value
			continue
		}
		r.Fields = append(r.Fields, hf)
	}
	if !h1.IsToken(r.Method) {
		return r, false
	}
	if r.Method == "CONNECT" {
		// RFC 9113 8.5: only :method and :authority.
		if r.Scheme != "" || r.Path != "" || r.Authority == "" {
			return r, false
		}
	} else {
		if r.Scheme == "" || !h1.IsToken(r.Scheme) || r.Path == "" {
			return r, false
		}
		if r.Path[0] != '/' && !(r.Path == "*" && r.Method == "OPTIONS") {
			return r, false
		}
	}
	if !visible(r.Path) || !visible(r.Authority) || strings.ContainsAny(r.Authority, "@/?#") {
		return r, false
	}
	if r.Authority == "" {
		if !visible(host) {
			return r, false
		}
		r.Authority = host
	}
	return r, true
}

func parseLength(v string) (int64, bool) {
	if v == "" || len(v) > 15 {
		return 0, false
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	return n, err == nil
}

// visible: printable ASCII without spaces (a request target or host).
func visible(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func (st *Stream) serve() {
	defer st.finish()
	st.sc.h.ServeStream(st)
}

// finish resets a stream whose handler returned without ending it.
func (st *Stream) finish() {
	sc := st.sc
	sc.mu.Lock()
	open := !st.localDone && !st.reset
	if st.readTimer != nil {
		st.readTimer.Stop()
	}
	sc.mu.Unlock()
	if open {
		st.Reset(http2.ErrCodeInternal)
	}
	sc.handlerDone()
}

// Reset ends the stream with RST_STREAM code (unless it is already over).
func (st *Stream) Reset(code http2.ErrCode) {
	sc := st.sc
	sc.mu.Lock()
	if st.reset || (st.localDone && st.remoteDone) || sc.dead {
		sc.mu.Unlock()
		return
	}
	st.reset, st.resetCode = true, code
	sc.closeStreamLocked(st)
	sc.mu.Unlock()
	sc.writeReset(st.id, code)
}

// Gone reports whether the client reset the stream or the connection
// ended.
func (st *Stream) Gone() bool {
	st.sc.mu.Lock()
	defer st.sc.mu.Unlock()
	return st.reset || st.sc.dead
}

// SetReadDeadline bounds Read; the zero time removes the bound.
func (st *Stream) SetReadDeadline(t time.Time) {
	sc := st.sc
	sc.mu.Lock()
	defer sc.mu.Unlock()
	st.readDL = t
	if st.readTimer != nil {
		st.readTimer.Stop()
		st.readTimer = nil
	}
}

// waitReadLocked waits on the condition variable until something
// changes or the read deadline passes (false). A timer is armed only
// for a wait that needs it: most reads find their bytes already there.
func (st *Stream) waitReadLocked() bool {
	sc := st.sc
	if !st.readDL.IsZero() {
		d := time.Until(st.readDL)
		if d <= 0 {
			return false
		}
		if st.readTimer == nil {
			st.readTimer = time.AfterFunc(d, sc.wakeAll)
		}
	}
	sc.cond.Wait()
	return true
}

func (sc *Conn) wakeAll() {
	sc.mu.Lock()
	sc.cond.Broadcast()
	sc.mu.Unlock()
}

// Read reads request body bytes; io.EOF after the last one. Trailers are
// available from Trailers once Read returned io.EOF.
func (st *Stream) Read(p []byte) (int, error) {
	sc := st.sc
	sc.mu.Lock()
	for st.off == len(st.buf) && !st.remoteDone && !st.reset && !sc.dead {
		if !st.waitReadLocked() {
			sc.mu.Unlock()
			return 0, os.ErrDeadlineExceeded
		}
	}
	if st.off < len(st.buf) {
		n := copy(p, st.buf[st.off:])
		st.off += n
		if st.off == len(st.buf) {
			st.buf, st.off = st.buf[:0], 0
		}
		sc.mu.Unlock()
		sc.giveBack(int64(n), st)
		return n, nil
	}
	reset := st.reset || sc.dead
	sc.mu.Unlock()
	if reset {
		return 0, errReset
	}
	return 0, io.EOF
}

// Trailers returns the request's trailer fields (nil when none).
func (st *Stream) Trailers() []hpack.HeaderField {
	st.sc.mu.Lock()
	defer st.sc.mu.Unlock()
	return st.trailers
}

// WriteHeaders sends a response head (status and fields; names must be
// lower case) or, with status 0, trailers. end ends the stream.
func (st *Stream) WriteHeaders(status int, fields []hpack.HeaderField, end bool) error {
	return st.writeHeaders(status, fields, nil, end, true)
}

// writeHeaders is WriteHeaders, with the fields given as HTTP/2 fields
// or as an HTTP/1.1 head's (converted as they are encoded: see
// encodeH1Fields); without flush the frames wait in the buffer for the
// DATA that the caller writes next (which flushes).
func (st *Stream) writeHeaders(status int, fields []hpack.HeaderField, h1f []h1.Header, end, flush bool) error {
	sc := st.sc
	sc.mu.Lock()
	if st.reset || sc.dead {
		sc.mu.Unlock()
		return errReset
	}
	frame := int(sc.peerFrame)
	if end {
		sc.endLocalLocked(st)
	}
	sc.mu.Unlock()
	sc.lockWriter()
	if sc.werr != nil {
		return sc.unlockWriter(false)
	}
	sc.hbuf.Reset()
	if status != 0 {
		sc.henc.WriteField(hpack.HeaderField{Name: ":status", Value: statusValue(status)})
	}
	for _, hf := range fields {
		sc.henc.WriteField(hf)
	}
	sc.encodeH1Fields(h1f)
	writeHeaderBlock(sc.fr, st.id, sc.hbuf.Bytes(), frame, end)
	return sc.unlockWriter(flush)
}

// writeHeaderBlock writes a header block as HEADERS and as many
// CONTINUATION frames as frame (the peer's largest) makes it need.
func writeHeaderBlock(fr *http2.Framer, id uint32, block []byte, frame int, end bool) {
	first := true
	for first || len(block) > 0 {
		n := min(len(block), frame)
		frag := block[:n]
		block = block[n:]
		if first {
			fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: frag, EndStream: end, EndHeaders: len(block) == 0})
			first = false
		} else {
			fr.WriteContinuation(id, len(block) == 0, frag)
		}
	}
}

// endLocalLocked marks the response ended before its last frame is
// written: a client that reads END_STREAM and reuses the stream ID at
// once must find the stream closed (STREAM_CLOSED), not still open.
func (sc *Conn) endLocalLocked(st *Stream) {
	st.localDone = true
	sc.maybeCloseLocked(st)
}

// WriteData sends body bytes within the client's flow-control windows;
// end ends the stream. A window that stays closed for the connection's
// WriteTimeout resets the stream (zero-window stall).
func (st *Stream) WriteData(p []byte, end bool) error {
	sc := st.sc
	if len(p) == 0 && !end {
		return nil
	}
	var dl time.Time
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		sc.mu.Lock()
		var n int
		for {
			if st.reset || sc.dead {
				sc.mu.Unlock()
				return errReset
			}
			if len(p) == 0 {
				break
			}
			avail := min(sc.sendWin, st.sendWin, int64(sc.peerFrame))
			if avail > 0 {
				n = int(min(avail, int64(len(p))))
				break
			}
			// About to wait for a window: what is buffered (a HEADERS
			// frame written without a flush) goes out first.
			sc.mu.Unlock()
			sc.wmu.Lock()
			sc.flushLocked()
			sc.wmu.Unlock()
			sc.mu.Lock()
			if st.reset || sc.dead || min(sc.sendWin, st.sendWin) > 0 {
				continue
			}
			if sc.set.WriteTimeout > 0 {
				if dl.IsZero() {
					dl = time.Now().Add(sc.set.WriteTimeout)
					timer = time.AfterFunc(sc.set.WriteTimeout, sc.wakeAll)
				} else if !time.Now().Before(dl) {
					sc.mu.Unlock()
					sc.logf("h2: stream %d: the client's window stayed closed for %v (zero-window stall): RST_STREAM CANCEL", st.id, sc.set.WriteTimeout)
					st.Reset(http2.ErrCodeCancel)
					return os.ErrDeadlineExceeded
				}
			}
			sc.cond.Wait()
		}
		sc.sendWin -= int64(n)
		st.sendWin -= int64(n)
		last := end && n == len(p)
		if last {
			sc.endLocalLocked(st)
		}
		sc.mu.Unlock()
		sc.lockWriter()
		err := sc.werr
		if err == nil {
			// Flushed by the last writer of a burst; a window that
			// closes after this frame flushes before it waits.
			sc.fr.WriteData(st.id, last, p[:n])
			err = sc.unlockWriter(true)
		} else {
			sc.unlockWriter(false)
		}
		if err != nil {
			return err
		}
		p = p[n:]
		if last || len(p) == 0 {
			return nil
		}
	}
}

// statusValues holds the :status values 100 to 599, so that a response
// head makes no string for its status.
var statusValues = func() (t [500]string) {
	for i := range t {
		t[i] = strconv.Itoa(100 + i)
	}
	return t
}()

func statusValue(code int) string {
	if code >= 100 && code < 600 {
		return statusValues[code-100]
	}
	return strconv.Itoa(code)
}
