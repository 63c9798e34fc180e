package h2

import (
	"bufio"
	"bytes"
	"errors"
	"net"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The client side: HTTP/2 towards servers ("server ... proto h2", or
// "ssl alpn h2" when the server picks h2). A ClientConn multiplexes
// streams on one server connection; each ClientStream presents one
// exchange as an HTTP/1.1 connection (clientstream.go), the mirror of
// Stream.H1Conn, so the proxy's HTTP/1.1 path drives it unchanged.
//
// Model. One goroutine (readLoop) reads every frame and owns the
// connection's reading side; streams wait on ClientConn.cond. ClientConn.mu
// guards the stream table, the windows, the slot count and every
// stream's buffer and flags; wmu serialises frame writes and the HPACK
// encoder, and stream IDs are given out under wmu as HEADERS leave, so
// they rise in the order the server sees them (RFC 9113 5.1.1).

// ClientSettings are a server connection's limits and timeouts. The zero
// value of each field is documented.
type ClientSettings struct {
	// Limits are what Baton announces: the HPACK table its decoder keeps,
	// each stream's receive window, the largest frame it reads; and
	// MaxConcurrentStreams caps the streams Baton opens on the
	// connection below the server's own limit. Zero fields mean
	// HAProxy's defaults (see Limits).
	Limits
	// WriteTimeout bounds each frame write and each wait for the
	// server's flow-control window (timeout server); 0 means none.
	WriteTimeout time.Duration
	// SettingsTimeout bounds the wait for the server's first SETTINGS
	// (timeout connect), which NewClientConn waits for so that no stream
	// is opened beyond the server's concurrency limit; 0 means
	// WriteTimeout, and no bound when that is 0 too.
	SettingsTimeout time.Duration
	// IdleTimeout closes a connection that has had no stream for this
	// long (timeout http-keep-alive, else timeout server); 0 means never
	// (the server's own timeout ends it).
	IdleTimeout time.Duration
}

// defaults gives the Limits' values with their zero values resolved.
func (s ClientSettings) defaults() *Settings { return &Settings{Limits: s.Limits} }

// ClientConn is one HTTP/2 connection to a server.
type ClientConn struct {
	c   net.Conn
	set ClientSettings
	// TLS tells the :scheme of requests ("https" over TLS).
	tls bool

	fr *http2.Framer // reads belong to readLoop; writes to wmu
	br *bufio.Reader

	wmu    sync.Mutex
	bw     *bufio.Writer
	henc   *hpack.Encoder
	hbuf   bytes.Buffer
	werr   error
	nextID uint32 // the next stream ID; written under wmu and mu, read under either

	mu         sync.Mutex
	cond       *sync.Cond
	streams    map[uint32]*ClientStream
	slots      int    // streams reserved or open: counted against maxStreams
	maxStreams uint32 // the server's SETTINGS_MAX_CONCURRENT_STREAMS
	sendWin    int64  // connection send window
	peerWin    int64  // the server's SETTINGS_INITIAL_WINDOW_SIZE
	peerFrame  uint32 // the server's SETTINGS_MAX_FRAME_SIZE
	recvUnack  int64  // connection-level bytes consumed, not yet given back
	settings   bool   // the server's first SETTINGS arrived
	goaway     bool   // the server sent GOAWAY: no new stream
	goawayID   uint32 // its last stream ID
	dead       bool   // readLoop ended: every wait ends
	idleSince  time.Time
	idleTimer  *time.Timer
	closeIdle  bool // close as soon as no stream is left
}

// ErrRefused is a stream the server never processed: above a GOAWAY's
// last stream ID, reset with REFUSED_STREAM, or on a connection that
// died first. The request may be sent again on another connection.
var ErrRefused = errors.New("h2: stream refused by the server (not processed)")

// errClientConnDead is a stream whose connection failed after the
// server may have processed it.
var errClientConnDead = errors.New("h2: server connection lost")

// NewClientConn starts HTTP/2 on c: the client preface, Baton's SETTINGS
// and the connection window; the server's SETTINGS are read as they come.
func NewClientConn(c net.Conn, set ClientSettings, isTLS bool) (*ClientConn, error) {
	cc := &ClientConn{
		c:          c,
		set:        set,
		tls:        isTLS,
		nextID:     1,
		streams:    map[uint32]*ClientStream{},
		maxStreams: 100, // until the server's SETTINGS say (RFC 9113 6.5.2 advises at least 100)
		sendWin:    65535,
		peerWin:    65535,
		peerFrame:  16384,
		idleSince:  time.Now(),
	}
	cc.cond = sync.NewCond(&cc.mu)
	cc.bw = bufio.NewWriterSize(c, 16384)
	cc.br = bufio.NewReaderSize(c, 16384)
	cc.fr = http2.NewFramer(cc.bw, cc.br)
	cc.fr.SetMaxReadFrameSize(set.defaults().maxFrame())
	cc.fr.MaxHeaderListSize = 1 << 20
	cc.fr.ReadMetaHeaders = hpack.NewDecoder(set.defaults().headerTableSize(), nil)
	cc.henc = hpack.NewEncoder(&cc.hbuf)

	cc.wmu.Lock()
	cc.bw.WriteString(ClientPreface)
	cc.fr.WriteSettings(
		http2.Setting{ID: http2.SettingEnablePush, Val: 0},
		http2.Setting{ID: http2.SettingInitialWindowSize, Val: set.defaults().initialWindow()},
		http2.Setting{ID: http2.SettingHeaderTableSize, Val: set.defaults().headerTableSize()},
		http2.Setting{ID: http2.SettingMaxFrameSize, Val: set.defaults().maxFrame()},
	)
	cc.fr.WriteWindowUpdate(0, connWindow-65535)
	err := cc.flushLocked()
	cc.wmu.Unlock()
	if err != nil {
		c.Close()
		return nil, err
	}
	go cc.readLoop()
	// The server's SETTINGS first: its stream limit may be below the 100
	// assumed, and a stream above it would be refused.
	wait := set.SettingsTimeout
	if wait <= 0 {
		wait = set.WriteTimeout
	}
	var dl time.Time
	if wait > 0 {
		dl = time.Now().Add(wait)
	}
	cc.mu.Lock()
	for !cc.settings && !cc.dead {
		if !cc.waitLocked(dl) {
			break
		}
	}
	ok := cc.settings && !cc.dead
	cc.mu.Unlock()
	if !ok {
		c.Close()
		return nil, errNoSettings
	}
	if set.IdleTimeout > 0 {
		cc.idleTimer = time.AfterFunc(set.IdleTimeout, cc.idleCheck)
	}
	return cc, nil
}

// errNoSettings is a server that did not start HTTP/2 (no SETTINGS in
// time, or it closed): a connection failure.
var errNoSettings = errors.New("h2: the server sent no SETTINGS (does it speak HTTP/2?)")

// Reserve takes a stream slot on the connection: false when it is
// closing, dead, or at the server's concurrency limit. A reserved slot
// is given back by the stream's Close.
func (cc *ClientConn) Reserve() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	limit := min(cc.maxStreams, cc.set.defaults().maxStreams())
	if cc.dead || cc.goaway || cc.closeIdle || uint32(cc.slots) >= limit {
		return false
	}
	cc.slots++
	return true
}

// Usable reports whether the connection may still take new streams
// (whatever its current load).
func (cc *ClientConn) Usable() bool {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return !cc.dead && !cc.goaway && !cc.closeIdle
}

// Streams is how many streams hold a slot.
func (cc *ClientConn) Streams() int {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	return cc.slots
}

// CloseWhenIdle stops new streams and closes the connection once the
// ones in progress end (a client connection's private server connection
// when the client leaves, a process stopping).
func (cc *ClientConn) CloseWhenIdle() {
	cc.mu.Lock()
	cc.closeIdle = true
	idle := cc.slots == 0
	cc.mu.Unlock()
	if idle {
		cc.Close()
	}
}

// Close closes the connection at once; streams in progress fail.
func (cc *ClientConn) Close() error {
	cc.wmu.Lock()
	if cc.werr == nil {
		cc.fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		cc.flushLocked()
	}
	cc.wmu.Unlock()
	return cc.c.Close()
}

// idleCheck closes a connection idle for IdleTimeout, else re-arms.
func (cc *ClientConn) idleCheck() {
	cc.mu.Lock()
	if cc.dead {
		cc.mu.Unlock()
		return
	}
	left := cc.set.IdleTimeout - time.Since(cc.idleSince)
	if cc.slots == 0 && left <= 0 {
		cc.closeIdle = true
		cc.mu.Unlock()
		cc.Close()
		return
	}
	if left <= 0 {
		left = cc.set.IdleTimeout
	}
	cc.idleTimer.Reset(left)
	cc.mu.Unlock()
}

// releaseSlot gives back a stream's slot; the last one of a closing
// connection closes it.
func (cc *ClientConn) releaseSlotLocked() (closeNow bool) {
	cc.slots--
	if cc.slots == 0 {
		cc.idleSince = time.Now()
		return cc.closeIdle || cc.goaway
	}
	return false
}

func (cc *ClientConn) flushLocked() error {
	return flushFrames(cc.c, cc.bw, cc.set.WriteTimeout, &cc.werr)
}

// readLoop reads frames until the connection ends, then fails every
// stream still waiting.
func (cc *ClientConn) readLoop() {
	err := cc.readFrames()
	cc.mu.Lock()
	cc.dead = true
	for _, st := range cc.streams {
		if !st.done && st.err == nil {
			st.err = errClientConnDead
			if !st.sent {
				st.err = ErrRefused
			}
		}
	}
	cc.cond.Broadcast()
	cc.mu.Unlock()
	if cc.idleTimer != nil {
		cc.idleTimer.Stop()
	}
	if ce, ok := err.(*connError); ok {
		cc.wmu.Lock()
		cc.fr.WriteGoAway(0, ce.code, nil)
		cc.flushLocked()
		cc.wmu.Unlock()
	}
	cc.c.Close()
}

func (cc *ClientConn) readFrames() error {
	for {
		// No read deadline: a failed write sets one to end this loop,
		// and Close (idle, owner gone) ends it too.
		f, err := cc.fr.ReadFrame()
		if err != nil {
			var se http2.StreamError
			if errors.As(err, &se) {
				cc.resetStream(se.StreamID, se.Code, errClientConnDead)
				continue
			}
			if ce, ok := err.(http2.ConnectionError); ok {
				return errConn(http2.ErrCode(ce), "%v", err)
			}
			return err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			err = cc.onSettings(f)
		case *http2.MetaHeadersFrame:
			err = cc.onHeaders(f)
		case *http2.DataFrame:
			err = cc.onData(f)
		case *http2.WindowUpdateFrame:
			err = cc.onWindowUpdate(f)
		case *http2.RSTStreamFrame:
			code := f.ErrCode
			e := error(&StreamResetError{Code: code})
			if code == http2.ErrCodeRefusedStream {
				e = ErrRefused
			}
			cc.mu.Lock()
			if st := cc.streams[f.StreamID]; st != nil {
				st.resetLocked(e)
			}
			cc.mu.Unlock()
		case *http2.PingFrame:
			if !f.IsAck() {
				cc.wmu.Lock()
				cc.fr.WritePing(true, f.Data)
				err = cc.flushLocked()
				cc.wmu.Unlock()
			}
		case *http2.GoAwayFrame:
			cc.onGoAway(f)
		case *http2.PushPromiseFrame:
			return errConn(http2.ErrCodeProtocol, "PUSH_PROMISE although push is disabled")
		}
		if err != nil {
			return err
		}
	}
}

// StreamResetError is a stream the server reset.
type StreamResetError struct{ Code http2.ErrCode }

func (e *StreamResetError) Error() string {
	return "h2: stream reset by the server: " + e.Code.String()
}

func (cc *ClientConn) onSettings(f *http2.SettingsFrame) error {
	if f.IsAck() {
		return nil
	}
	tableSize := int64(-1)
	cc.mu.Lock()
	cc.settings = true
	err := f.ForeachSetting(func(s http2.Setting) error {
		switch s.ID {
		case http2.SettingMaxConcurrentStreams:
			cc.maxStreams = s.Val
		case http2.SettingInitialWindowSize:
			if s.Val > 1<<31-1 {
				return errConn(http2.ErrCodeFlowControl, "initial window size %d", s.Val)
			}
			delta := int64(s.Val) - cc.peerWin
			cc.peerWin = int64(s.Val)
			for _, st := range cc.streams {
				st.sendWin += delta
			}
		case http2.SettingMaxFrameSize:
			cc.peerFrame = s.Val
		case http2.SettingHeaderTableSize:
			tableSize = int64(s.Val) // applied under wmu below (lock order: wmu, then mu)
		}
		return nil
	})
	cc.cond.Broadcast()
	cc.mu.Unlock()
	if err != nil {
		return err
	}
	cc.wmu.Lock()
	defer cc.wmu.Unlock()
	if tableSize >= 0 {
		cc.henc.SetMaxDynamicTableSizeLimit(uint32(tableSize))
	}
	cc.fr.WriteSettingsAck()
	return cc.flushLocked()
}

func (cc *ClientConn) onGoAway(f *http2.GoAwayFrame) {
	cc.mu.Lock()
	cc.goaway = true
	cc.goawayID = f.LastStreamID
	for id, st := range cc.streams {
		if id > f.LastStreamID {
			st.resetLocked(ErrRefused)
		}
	}
	idle := cc.slots == 0
	cc.cond.Broadcast()
	cc.mu.Unlock()
	if idle {
		cc.c.Close()
	}
}

func (cc *ClientConn) onWindowUpdate(f *http2.WindowUpdateFrame) error {
	cc.mu.Lock()
	defer cc.mu.Unlock()
	n := int64(f.Increment)
	if f.StreamID == 0 {
		if cc.sendWin+n > 1<<31-1 {
			return errConn(http2.ErrCodeFlowControl, "connection window overflow")
		}
		cc.sendWin += n
	} else if st := cc.streams[f.StreamID]; st != nil {
		st.sendWin += n
	}
	cc.cond.Broadcast()
	return nil
}

// resetStream sends RST_STREAM for id and fails the stream with err.
func (cc *ClientConn) resetStream(id uint32, code http2.ErrCode, err error) {
	cc.mu.Lock()
	if st := cc.streams[id]; st != nil {
		st.resetLocked(err)
	}
	cc.mu.Unlock()
	cc.writeReset(id, code)
}

func (cc *ClientConn) writeReset(id uint32, code http2.ErrCode) {
	cc.wmu.Lock()
	cc.fr.WriteRSTStream(id, code)
	cc.flushLocked()
	cc.wmu.Unlock()
}

func (cc *ClientConn) onHeaders(f *http2.MetaHeadersFrame) error {
	cc.mu.Lock()
	st := cc.streams[f.StreamID]
	if st == nil {
		next := cc.nextID
		cc.mu.Unlock()
		if f.StreamID >= next {
			return errConn(http2.ErrCodeProtocol, "HEADERS on stream %d never opened", f.StreamID)
		}
		return nil // a stream we reset: its frames are dropped
	}
	defer cc.mu.Unlock()
	if f.Truncated {
		st.resetLocked(errClientConnDead)
		go cc.writeReset(f.StreamID, http2.ErrCodeInternal)
		return nil
	}
	if st.gotFinal {
		// Trailers: they must end the stream.
		if !f.StreamEnded() {
			st.resetLocked(errClientConnDead)
			go cc.writeReset(f.StreamID, http2.ErrCodeProtocol)
			return nil
		}
		for _, hf := range f.RegularFields() {
			if validField(hf) && !hopByHop[hf.Name] {
				st.trailers = append(st.trailers, hf)
			}
		}
		st.remoteDone = true
		cc.cond.Broadcast()
		return nil
	}
	status := 0
	for _, hf := range f.PseudoFields() {
		if hf.Name == ":status" {
			status = parseStatus(hf.Value)
		}
	}
	if status < 100 || status > 999 || status == 101 { // no 101 in HTTP/2 (RFC 9113 8.6)
		st.resetLocked(&StreamResetError{Code: http2.ErrCodeProtocol})
		go cc.writeReset(f.StreamID, http2.ErrCodeProtocol)
		return nil
	}
	st.appendResponseHead(status, f.RegularFields(), f.StreamEnded())
	if f.StreamEnded() {
		st.remoteDone = true
	}
	cc.cond.Broadcast()
	return nil
}

func parseStatus(v string) int {
	if len(v) != 3 {
		return 0
	}
	n := 0
	for i := 0; i < 3; i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0
		}
		n = n*10 + int(v[i]-'0')
	}
	return n
}

func (cc *ClientConn) onData(f *http2.DataFrame) error {
	n := int64(f.Length)
	cc.mu.Lock()
	st := cc.streams[f.StreamID]
	if st == nil || !st.gotFinal || st.remoteDone || st.err != nil {
		// A stream we no longer read: its bytes still count against the
		// connection window, given back at once.
		cc.recvUnack += n
		give := cc.takeConnCreditLocked(true)
		cc.mu.Unlock()
		if st != nil && st.err == nil {
			cc.resetStream(f.StreamID, http2.ErrCodeStreamClosed, errClientConnDead)
		}
		cc.giveBack(f.StreamID, give, 0)
		return nil
	}
	if n > st.recvWin {
		cc.mu.Unlock()
		cc.resetStream(f.StreamID, http2.ErrCodeFlowControl, errClientConnDead)
		return nil
	}
	st.recvWin -= n
	st.rbody = append(st.rbody, f.Data()...)
	// Padding is flow-controlled too but never read: give it back now.
	pad := n - int64(len(f.Data()))
	st.recvWin += pad
	cc.recvUnack += pad
	if f.StreamEnded() {
		st.remoteDone = true
	}
	give := cc.takeConnCreditLocked(false)
	cc.cond.Broadcast()
	cc.mu.Unlock()
	cc.giveBack(0, give, 0)
	return nil
}

// takeConnCreditLocked returns the connection-level bytes to give back
// now: at least half the window's worth, or everything with force.
func (cc *ClientConn) takeConnCreditLocked(force bool) int64 {
	if cc.recvUnack >= connWindow/2 || force && cc.recvUnack > 0 {
		n := cc.recvUnack
		cc.recvUnack = 0
		return n
	}
	return 0
}

// giveBack sends WINDOW_UPDATE frames: conn bytes for the connection,
// stream bytes for stream id.
func (cc *ClientConn) giveBack(id uint32, conn, stream int64) {
	if conn == 0 && stream == 0 {
		return
	}
	cc.wmu.Lock()
	if conn > 0 {
		cc.fr.WriteWindowUpdate(0, uint32(conn))
	}
	if stream > 0 && id != 0 {
		cc.fr.WriteWindowUpdate(id, uint32(stream))
	}
	cc.flushLocked()
	cc.wmu.Unlock()
}
