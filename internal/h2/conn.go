package h2

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"runtime"
	"sync"
	"time"

	"baton/internal/pollwait"
	"baton/internal/sockio"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// ClientPreface is what every HTTP/2 client sends first (RFC 9113 3.4).
const ClientPreface = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"

// Handler serves the streams of a connection: ServeStream runs in a
// goroutine of its own per stream and must end the stream (a complete
// response, or Reset) before it returns.
type Handler interface {
	ServeStream(s *Stream)
}

// Conn is the server side of one HTTP/2 connection.
type Conn struct {
	c   net.Conn
	set Settings
	h   Handler
	// Logf reports why a connection was closed with an error (attacks,
	// protocol errors); nil logs nothing.
	Logf func(format string, args ...any)

	fr *http2.Framer // reads belong to Serve's goroutine; writes to wmu
	rd connReader    // Serve's: the socket, buffered while busy (idlebuf.go)
	// sio reads (Serve's goroutine) and writes (under wmu) a plain TCP
	// socket with raw system calls (internal/sockio); unbound (its
	// RawConn nil) for any other connection, which net.Conn serves.
	sio sockio.IO
	hb  headerBlock  // Serve's: the request header block being read
	hf  headersFrame // Serve's: the HEADERS frame being read

	// wmu serialises frame writes: the framer's write side, bw, and the
	// HPACK encoder (whose state must follow the order frames leave in).
	wmu sync.Mutex
	bw  *bufio.Writer // nil while released (idlebuf.go)
	// flushOwed (under wmu): buffered frames that a stream writer has
	// promised to flush once it has let the other ready streams add
	// theirs (unlockWriter); any flush settles it.
	flushOwed bool
	henc      *hpack.Encoder
	hbuf      bytes.Buffer
	values    [valueCacheSize]string // recent field values (internValue)
	werr      error                  // the first write error: the connection is dead

	// mu guards everything below; cond is signalled when windows,
	// stream buffers or stream states change.
	mu      sync.Mutex
	cond    *sync.Cond
	streams map[uint32]*Stream
	// closedIDs remembers recently closed streams (a ring), so a frame
	// for one is STREAM_CLOSED while a never-used lower ID is a
	// protocol error.
	closedIDs  [64]uint32
	closedNext int
	maxSeen    uint32 // highest client stream ID opened
	open       int    // streams counted against the concurrency limit
	running    int    // handlers running (a reset stream's may still run)
	sendWin    int64  // connection send window
	peerWin    int64  // the client's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame  uint32 // the client's SETTINGS_MAX_FRAME_SIZE
	recvUnack  int64  // body bytes consumed but not yet given back
	dead       bool   // Serve has returned: every wait ends
	// The reading goroutine's deadline (armLocked): readDL is the one
	// set; idleDL the idle timeout's end (zero: none); releasing says
	// readDL is the short one after which an idle connection releases
	// its buffers, parked that it has (idlebuf.go).
	readDL, idleDL    time.Time
	releasing, parked bool
	// Graceful shutdown (RFC 9113 6.8): shutdown asked, the first
	// GOAWAY (2^31-1) and its PING sent, the final GOAWAY sent with
	// lastID.
	shutdown, goaway1, goaway2 bool
	lastID                     uint32
	idle                       chan struct{} // wakes Serve when the last stream ends during shutdown

	// Control-frame budget (Settings.ControlBudget per second), owned by
	// Serve's goroutine.
	budgetStart time.Time
	budgetUsed  int
}

// goawayPing is the payload of the PING that separates the two GOAWAY
// frames of a graceful shutdown.
var goawayPing = [8]byte{'b', 'a', 't', 'o', 'n', 'g', 'o', 'a'}

// NewConn prepares a server connection on c; Serve runs it.
func NewConn(c net.Conn, set Settings, h Handler) *Conn {
	sc := &Conn{
		c:         c,
		set:       set,
		h:         h,
		streams:   map[uint32]*Stream{},
		sendWin:   65535,
		peerWin:   65535,
		peerFrame: 16384,
		idle:      make(chan struct{}, 1),
	}
	sc.cond = sync.NewCond(&sc.mu)
	if tc, rc, ok := sockio.TCP(c); ok {
		sc.sio.Bind(rc, pollwait.Of(tc))
	}
	// No buffer until the first bytes: the preface is read straight
	// into Serve's array.
	sc.rd = connReader{sc: sc, direct: true}
	sc.fr = http2.NewFramer(connWriter{sc}, &sc.rd)
	sc.fr.SetMaxReadFrameSize(set.maxFrame())
	sc.hb.init(set.headerTableSize(), set.maxHeaderList())
	sc.henc = hpack.NewEncoder(&sc.hbuf)
	return sc
}

func (sc *Conn) logf(format string, args ...any) {
	if sc.Logf != nil {
		sc.Logf(format, args...)
	}
}

// connError closes the connection with a GOAWAY carrying code.
type connError struct {
	code   http2.ErrCode
	reason string
}

func (e *connError) Error() string { return e.code.String() + ": " + e.reason }

func errConn(code http2.ErrCode, format string, args ...any) error {
	return &connError{code: code, reason: fmt.Sprintf(format, args...)}
}

// Serve reads the preface and serves frames until the connection ends:
// the client closes, a connection error, an idle timeout, or the end of
// a graceful shutdown once every stream is done. It returns nil for the
// ordinary ends.
func (sc *Conn) Serve() error {
	defer sc.teardown()
	pt := sc.set.PrefaceTimeout
	if pt == 0 {
		pt = sc.set.IdleTimeout
	}
	if pt > 0 {
		sc.readDL = time.Now().Add(pt)
		sc.c.SetReadDeadline(sc.readDL)
	}
	var pre [len(ClientPreface)]byte
	if _, err := io.ReadFull(&sc.rd, pre[:]); err != nil {
		return nil
	}
	if string(pre[:]) != ClientPreface {
		sc.goAway(http2.ErrCodeProtocol, 0)
		return errors.New("h2: bad client preface")
	}
	if err := sc.writeSettings(); err != nil {
		return nil
	}
	sc.budgetStart = time.Now()
	for {
		sc.armReadDeadline()
		err := sc.readFrame()
		if err == nil {
			if sc.finished() {
				return nil
			}
			continue
		}
		var se http2.StreamError
		if errors.As(err, &se) {
			sc.streamError(se.StreamID, se.Code)
			continue
		}
		return sc.fail(err)
	}
}

// fail ends the connection after err, sending the GOAWAY it calls for.
func (sc *Conn) fail(err error) error {
	var ce *connError
	var fce http2.ConnectionError
	switch {
	case errors.As(err, &ce):
	case errors.As(err, &fce):
		ce = &connError{code: http2.ErrCode(fce), reason: "frame error"}
		if d := sc.fr.ErrorDetail(); d != nil {
			ce.reason = d.Error()
		}
	case errors.Is(err, http2.ErrFrameTooLarge):
		ce = &connError{code: http2.ErrCodeFrameSize, reason: "frame larger than SETTINGS_MAX_FRAME_SIZE"}
	case isTimeout(err):
		// Idle for IdleTimeout, or a finished shutdown (its GOAWAY is
		// already out).
		sc.mu.Lock()
		say := !sc.goaway2
		sc.mu.Unlock()
		if say {
			sc.goAway(http2.ErrCodeNo, sc.lastStream())
		}
		return nil
	default:
		return nil // the client closed or the socket failed: nothing to say
	}
	sc.goAway(ce.code, sc.lastStream())
	sc.logf("h2: closing the connection with GOAWAY %s: %s", ce.code, ce.reason)
	sc.linger()
	return ce
}

// Lingering after an error GOAWAY: closing a socket with unread bytes
// sends a reset, which can destroy the GOAWAY before the client reads
// it. So the write side is shut and what the client still sends is read
// and dropped, for a bounded time and amount.
const (
	lingerTime  = time.Second
	lingerBytes = 1 << 20
)

func (sc *Conn) linger() {
	if cw, ok := sc.c.(interface{ CloseWrite() error }); ok {
		cw.CloseWrite()
	}
	sc.c.SetReadDeadline(time.Now().Add(lingerTime))
	buf := make([]byte, 4096)
	for n := 0; n < lingerBytes; {
		m, err := sc.c.Read(buf)
		n += m
		if err != nil {
			return
		}
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// armReadDeadline gives an idle connection (no handler running) its idle
// timeout; a busy one waits on its streams' own timeouts. An idle
// connection still holding its buffers first waits releaseDelay, after
// which it releases them (parkIdle) and waits for the rest.
//
// The deadline is set under mu, as handlerDone sets it when the last
// handler ends, so that neither can undo the other's.
func (sc *Conn) armReadDeadline() {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	sc.armLocked()
}

func (sc *Conn) armLocked() {
	sc.releasing = false
	switch {
	case sc.goaway2 && sc.running == 0:
		sc.setReadDLLocked(time.Now()) // done: Serve returns
	case sc.running > 0:
		sc.setReadDLLocked(time.Time{})
	default:
		now := time.Now()
		sc.idleDL = time.Time{}
		if sc.set.IdleTimeout > 0 {
			sc.idleDL = now.Add(sc.set.IdleTimeout)
		}
		if sc.parked || sc.set.IdleTimeout > 0 && sc.set.IdleTimeout <= releaseDelay {
			sc.setReadDLLocked(sc.idleDL)
		} else {
			sc.releasing = true
			sc.setReadDLLocked(now.Add(releaseDelay))
		}
	}
}

// setReadDLLocked sets the socket's read deadline unless it is already
// that (a busy connection's stays zero frame after frame).
func (sc *Conn) setReadDLLocked(t time.Time) {
	if t.IsZero() && sc.readDL.IsZero() {
		return
	}
	sc.readDL = t
	sc.c.SetReadDeadline(t)
}

// finished reports the end of a graceful shutdown: the final GOAWAY is
// out and no stream remains.
func (sc *Conn) finished() bool {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.goaway2 && sc.running == 0
}

func (sc *Conn) lastStream() uint32 {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	return sc.maxSeen
}

// teardown ends every stream: their handlers see the connection gone.
func (sc *Conn) teardown() {
	sc.mu.Lock()
	sc.dead = true
	for id, st := range sc.streams {
		st.reset = true
		st.resetCode = http2.ErrCodeCancel
		delete(sc.streams, id)
	}
	sc.cond.Broadcast()
	sc.mu.Unlock()
	sc.wmu.Lock()
	if sc.bw != nil {
		sc.bw.Flush()
	}
	if sc.werr == nil {
		sc.werr = net.ErrClosed
	}
	sc.flushOwed = false
	sc.releaseWriteLocked()
	sc.wmu.Unlock()
	sc.rd.r, sc.rd.w = 0, 0
	sc.rd.release()
}

// Shutdown starts a graceful shutdown (RFC 9113 6.8): a GOAWAY with
// stream ID 2^31-1 and NO_ERROR, then a PING; when its answer arrives, a
// GOAWAY with the last stream ID really opened. Streams up to it are
// served; the connection closes once they are done. Safe to call from
// any goroutine, more than once.
func (sc *Conn) Shutdown() {
	sc.mu.Lock()
	if sc.shutdown || sc.dead {
		sc.mu.Unlock()
		return
	}
	sc.shutdown, sc.goaway1 = true, true
	sc.mu.Unlock()
	sc.wmu.Lock()
	sc.fr.WriteGoAway(math.MaxInt32, http2.ErrCodeNo, nil)
	sc.fr.WritePing(false, goawayPing)
	sc.flushLocked()
	sc.wmu.Unlock()
	// A client that never answers the PING still gets the final
	// GOAWAY, after a round trip's worth of patience.
	time.AfterFunc(time.Second, sc.finalGoAway)
}

// finalGoAway sends the second GOAWAY of a shutdown, once, and wakes
// Serve so that an idle connection closes.
func (sc *Conn) finalGoAway() {
	sc.mu.Lock()
	if sc.goaway2 || sc.dead {
		sc.mu.Unlock()
		return
	}
	sc.goaway2 = true
	sc.lastID = sc.maxSeen
	last := sc.lastID
	sc.mu.Unlock()
	sc.wmu.Lock()
	sc.fr.WriteGoAway(last, http2.ErrCodeNo, nil)
	sc.flushLocked()
	sc.wmu.Unlock()
	sc.armReadDeadline() // an idle connection ends now
}

// goAway sends a final GOAWAY (on a connection error or at the end).
func (sc *Conn) goAway(code http2.ErrCode, last uint32) {
	sc.wmu.Lock()
	if sc.werr == nil {
		sc.c.SetWriteDeadline(time.Now().Add(time.Second))
		sc.fr.WriteGoAway(last, code, nil)
		sc.flushLocked()
	}
	sc.wmu.Unlock()
}

// flushLocked flushes bw under wmu and its write deadline.
func (sc *Conn) flushLocked() error {
	sc.flushOwed = false
	if sc.bw == nil {
		return sc.werr // nothing written since the release
	}
	return flushFrames(sc.c, sc.bw, sc.set.WriteTimeout, &sc.werr)
}

// flushFrames flushes bw to c within timeout (0: none). The first
// error sticks in *werr and sets a read deadline in the past, so the
// connection's reading loop ends too: the connection is dead.
func flushFrames(c net.Conn, bw *bufio.Writer, timeout time.Duration, werr *error) error {
	if *werr != nil {
		return *werr
	}
	if timeout > 0 {
		c.SetWriteDeadline(time.Now().Add(timeout))
	}
	if err := bw.Flush(); err != nil {
		*werr = err
		c.SetReadDeadline(time.Now())
		return err
	}
	return nil
}

// lockWriter takes wmu for a stream's frames; unlockWriter releases it.
func (sc *Conn) lockWriter() { sc.wmu.Lock() }

// unlockWriter releases wmu after a stream's frames; with flush they
// must leave soon. One write per response was most of a small
// response's cost, so a writer does not flush at once: unless another
// writer already owes the flush, it owes it, yields once (the other
// streams that are ready to answer run and add their frames) and then
// flushes whatever the buffer holds in one write. Writers that found
// the flush owed leave at once: the owner's flush comes after their
// frames.
func (sc *Conn) unlockWriter(flush bool) error {
	if !flush || sc.werr != nil || sc.flushOwed {
		err := sc.werr
		sc.wmu.Unlock()
		return err
	}
	sc.flushOwed = true
	sc.wmu.Unlock()
	runtime.Gosched()
	sc.wmu.Lock()
	err := sc.werr
	if sc.flushOwed {
		err = sc.flushLocked()
	}
	sc.wmu.Unlock()
	return err
}

func (sc *Conn) writeSettings() error {
	s := []http2.Setting{
		{ID: http2.SettingMaxFrameSize, Val: sc.set.maxFrame()},
		{ID: http2.SettingInitialWindowSize, Val: sc.set.initialWindow()},
		{ID: http2.SettingHeaderTableSize, Val: sc.set.headerTableSize()},
		{ID: http2.SettingMaxHeaderListSize, Val: sc.set.maxHeaderList()},
		{ID: http2.SettingEnablePush, Val: 0},
	}
	if m := sc.set.maxStreams(); m != Unlimited {
		s = append(s, http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: m})
	}
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.fr.WriteSettings(s...)
	sc.fr.WriteWindowUpdate(0, connWindow-65535)
	return sc.flushLocked()
}

// spend charges one frame to the control budget.
func (sc *Conn) spend(what string) error {
	now := time.Now()
	if now.Sub(sc.budgetStart) >= time.Second {
		sc.budgetStart, sc.budgetUsed = now, 0
	}
	sc.budgetUsed++
	if sc.budgetUsed > sc.set.controlBudget() {
		return errConn(http2.ErrCodeEnhanceYourCalm, "%s flood: more than %d control frames in a second", what, sc.set.controlBudget())
	}
	return nil
}

// readFrame reads the next frame and acts on it. HEADERS frames are read
// apart from the framer (readHeadersFrame), which would make one per
// request; the framer still checks their size and order.
func (sc *Conn) readFrame() error {
	fh, err := sc.fr.ReadFrameHeader()
	if err != nil {
		return err
	}
	if fh.Type == http2.FrameHeaders {
		if err := sc.readHeadersFrame(fh); err != nil {
			return err
		}
		if err := sc.readHeaderBlock(&sc.hf); err != nil {
			return err
		}
		return sc.onHeaders(&sc.hf)
	}
	f, err := sc.fr.ReadFrameForHeader(fh)
	if err != nil {
		return err
	}
	return sc.process(f)
}

func (sc *Conn) process(f http2.Frame) error {
	switch f := f.(type) {
	case *http2.DataFrame:
		return sc.onData(f)
	case *http2.SettingsFrame:
		return sc.onSettings(f)
	case *http2.PingFrame:
		return sc.onPing(f)
	case *http2.WindowUpdateFrame:
		if err := sc.spend("WINDOW_UPDATE"); err != nil {
			return err
		}
		return sc.onWindowUpdate(f)
	case *http2.RSTStreamFrame:
		if err := sc.spend("RST_STREAM"); err != nil {
			return err
		}
		return sc.onReset(f)
	case *http2.PriorityFrame:
		if err := sc.spend("PRIORITY"); err != nil {
			return err
		}
		if f.StreamDep == f.StreamID {
			return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol}
		}
		return nil
	case *http2.GoAwayFrame:
		return nil
	case *http2.PushPromiseFrame:
		return errConn(http2.ErrCodeProtocol, "PUSH_PROMISE from a client")
	}
	return nil // unknown frame types are ignored (RFC 9113 5.5)
}

// recentlyClosedLocked reports whether id was opened and has since
// closed, as far as the ring of recent IDs remembers.
func (sc *Conn) recentlyClosedLocked(id uint32) bool {
	for _, c := range sc.closedIDs {
		if c == id && id != 0 {
			return true
		}
	}
	return false
}

func (sc *Conn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	if err := sc.spend("SETTINGS"); err != nil {
		return err
	}
	if err := f.ForeachSetting(func(s http2.Setting) error {
		if err := s.Valid(); err != nil {
			return err
		}
		switch s.ID {
		case http2.SettingInitialWindowSize:
			sc.mu.Lock()
			delta := int64(s.Val) - sc.peerWin
			sc.peerWin = int64(s.Val)
			for _, st := range sc.streams {
				st.sendWin += delta
				if st.sendWin > math.MaxInt32 {
					sc.mu.Unlock()
					return errConn(http2.ErrCodeFlowControl, "window above 2^31-1")
				}
			}
			sc.cond.Broadcast()
			sc.mu.Unlock()
		case http2.SettingMaxFrameSize:
			sc.mu.Lock()
			sc.peerFrame = s.Val
			sc.mu.Unlock()
		case http2.SettingHeaderTableSize:
			sc.wmu.Lock()
			sc.henc.SetMaxDynamicTableSizeLimit(s.Val)
			sc.wmu.Unlock()
		}
		return nil
	}); err != nil {
		var ce http2.ConnectionError
		if errors.As(err, &ce) {
			return errConn(http2.ErrCode(ce), "invalid SETTINGS value")
		}
		return err
	}
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.fr.WriteSettingsAck()
	return sc.flushLocked()
}

func (sc *Conn) onPing(f *http2.PingFrame) error {
	if f.IsAck() {
		if f.Data == goawayPing {
			sc.finalGoAway()
		}
		return nil
	}
	if err := sc.spend("PING"); err != nil {
		return err
	}
	sc.wmu.Lock()
	defer sc.wmu.Unlock()
	sc.fr.WritePing(true, f.Data)
	return sc.flushLocked()
}

func (sc *Conn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	inc := int64(f.Increment)
	if f.StreamID == 0 {
		sc.sendWin += inc
		if sc.sendWin > math.MaxInt32 {
			return errConn(http2.ErrCodeFlowControl, "connection window above 2^31-1")
		}
		sc.cond.Broadcast()
		return nil
	}
	st := sc.streams[f.StreamID]
	if st == nil {
		if f.StreamID > sc.maxSeen {
			return errConn(http2.ErrCodeProtocol, "WINDOW_UPDATE on idle stream %d", f.StreamID)
		}
		return nil
	}
	st.sendWin += inc
	if st.sendWin > math.MaxInt32 {
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	sc.cond.Broadcast()
	return nil
}

func (sc *Conn) onReset(f *http2.RSTStreamFrame) error {
	sc.mu.Lock()
	defer sc.mu.Unlock()
	st := sc.streams[f.StreamID]
	if st == nil {
		if f.StreamID > sc.maxSeen {
			return errConn(http2.ErrCodeProtocol, "RST_STREAM on idle stream %d", f.StreamID)
		}
		return nil
	}
	st.reset, st.resetCode = true, f.ErrCode
	sc.closeStreamLocked(st)
	return nil
}

// streamError resets a stream after a stream error (RFC 9113 5.4.2).
func (sc *Conn) streamError(id uint32, code http2.ErrCode) {
	sc.mu.Lock()
	if st := sc.streams[id]; st != nil {
		st.reset, st.resetCode = true, code
		sc.closeStreamLocked(st)
	}
	if id > sc.maxSeen && id&1 == 1 {
		sc.maxSeen = id // a rejected HEADERS still used its ID
	}
	sc.mu.Unlock()
	sc.writeReset(id, code)
}

func (sc *Conn) writeReset(id uint32, code http2.ErrCode) {
	sc.wmu.Lock()
	sc.fr.WriteRSTStream(id, code)
	sc.flushLocked()
	sc.wmu.Unlock()
}

// closeStreamLocked removes st from the open streams (both sides done,
// or reset).
func (sc *Conn) closeStreamLocked(st *Stream) {
	if sc.streams[st.id] != st {
		return
	}
	delete(sc.streams, st.id)
	sc.open--
	sc.closedIDs[sc.closedNext] = st.id
	sc.closedNext = (sc.closedNext + 1) % len(sc.closedIDs)
	st.buf = nil
	sc.cond.Broadcast()
}

// handlerDone is called when a stream's handler returns.
func (sc *Conn) handlerDone() {
	sc.mu.Lock()
	sc.running--
	if sc.running == 0 && !sc.dead {
		sc.armLocked()
	}
	sc.cond.Broadcast()
	sc.mu.Unlock()
}

func (sc *Conn) onData(f *http2.DataFrame) error {
	n := int64(f.Length) // padding included: it counts against windows
	data := f.Data()
	if len(data) == 0 && !f.StreamEnded() {
		if err := sc.spend("empty DATA"); err != nil {
			return err
		}
	}
	sc.mu.Lock()
	st := sc.streams[f.StreamID]
	if st == nil {
		idle := f.StreamID > sc.maxSeen
		sc.mu.Unlock()
		if idle {
			return errConn(http2.ErrCodeProtocol, "DATA on idle stream %d", f.StreamID)
		}
		sc.giveBack(n, nil)
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeStreamClosed}
	}
	if st.remoteDone {
		sc.mu.Unlock()
		sc.giveBack(n, nil)
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeStreamClosed}
	}
	if n > st.recvWin {
		sc.mu.Unlock()
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeFlowControl}
	}
	st.recvWin -= n
	st.received += int64(len(data))
	if st.contentLength >= 0 && (st.received > st.contentLength || f.StreamEnded() && st.received != st.contentLength) {
		sc.mu.Unlock()
		sc.giveBack(n, nil)
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol}
	}
	st.buf = append(st.buf, data...)
	if f.StreamEnded() {
		st.remoteDone = true
		sc.maybeCloseLocked(st)
	}
	sc.cond.Broadcast()
	sc.mu.Unlock()
	if pad := n - int64(len(data)); pad > 0 {
		sc.giveBack(pad, st)
	}
	return nil
}

// maybeCloseLocked closes a stream both sides have ended.
func (sc *Conn) maybeCloseLocked(st *Stream) {
	if st.remoteDone && st.localDone {
		sc.closeStreamLocked(st)
	}
}

// giveBack returns n consumed body bytes to the client's windows: the
// connection's always, the stream's when st is still receiving. Updates
// are sent in batches of half a window.
func (sc *Conn) giveBack(n int64, st *Stream) {
	if n <= 0 {
		return
	}
	var connInc, streamInc uint32
	sc.mu.Lock()
	sc.recvUnack += n
	if sc.recvUnack >= connWindow/2 {
		connInc = uint32(sc.recvUnack)
		sc.recvUnack = 0
	}
	if st != nil && !st.remoteDone && !st.reset {
		st.recvUnack += n
		if st.recvUnack >= int64(sc.set.initialWindow())/2 || len(st.buf) == 0 {
			streamInc = uint32(st.recvUnack)
			st.recvWin += st.recvUnack
			st.recvUnack = 0
		}
	}
	dead := sc.dead
	sc.mu.Unlock()
	if dead || connInc == 0 && streamInc == 0 {
		return
	}
	sc.wmu.Lock()
	if connInc > 0 {
		sc.fr.WriteWindowUpdate(0, connInc)
	}
	if streamInc > 0 {
		sc.fr.WriteWindowUpdate(st.id, streamInc)
	}
	sc.flushLocked()
	sc.wmu.Unlock()
}
