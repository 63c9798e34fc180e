package reloadtest

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"sync"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// The HTTP/2 client of --h2: our own frame loop on x/net/http2's Framer
// (net/http's Transport retries refused streams and hides GOAWAY, which
// is what we count). One goroutine reads every frame of a connection;
// the streams' goroutines write under wmu and wait on their stream's
// channel for what the reader delivered.

// errGoneAway says a connection takes no new stream (it saw a GOAWAY or
// failed): the caller opens the stream on a new connection. It is not a
// stream outcome: no stream was sent.
var errGoneAway = errors.New("connection going away")

// errRefusedStream is a stream the server did not process: RST_STREAM
// REFUSED_STREAM, or an ID above the last one a GOAWAY announced.
var errRefusedStream = errors.New("stream refused")

// maxLastStreamID is the last-stream-ID of a GOAWAY that announces a
// shutdown without refusing anything yet (RFC 9113 6.8: 2^31-1).
const maxLastStreamID = 1<<31 - 1

// h2Conn is one HTTP/2 client connection.
type h2Conn struct {
	nc      net.Conn
	dialAt  time.Duration // offset from the run's start
	timeout time.Duration // bounds each frame write

	// wmu serialises frame writes, the HPACK encoder and stream ID
	// allocation (IDs must go out in increasing order).
	wmu    sync.Mutex
	fr     *http2.Framer
	enc    *hpack.Encoder
	encBuf bytes.Buffer

	// mu guards everything below and every stream's state; the reader
	// goroutine changes them, the streams read them.
	mu       sync.Mutex
	nextID   uint32
	streams  map[uint32]*h2Stream
	opened   int
	goaways  int
	lastID   uint32 // from the latest GOAWAY
	twoPhase bool   // the first GOAWAY announced 2^31-1
	err      error  // the read loop's end; nil while it runs
	retiring bool   // close once the last stream ends

	done chan struct{} // closed when the read loop has ended
}

// h2Stream is one request's stream, as the reader delivered it.
type h2Stream struct {
	id      uint32
	ch      chan struct{} // 1-buffered: something changed
	status  int
	label   byte
	gotHead bool
	body    []byte // DATA not yet read
	ended   bool   // END_STREAM received
	rst     bool
	rstCode http2.ErrCode
	refused bool  // above a GOAWAY's last stream ID
	err     error // the connection failed under it
}

func (st *h2Stream) notify() {
	select {
	case st.ch <- struct{}{}:
	default:
	}
}

// failure is why the stream cannot go on, or nil; mu held.
func (st *h2Stream) failure() error {
	switch {
	case st.refused, st.rst && st.rstCode == http2.ErrCodeRefusedStream:
		return errRefusedStream
	case st.rst:
		return fmt.Errorf("RST_STREAM %v: %w", st.rstCode, errStreamReset)
	case st.err != nil:
		return st.err
	}
	return nil
}

var errStreamReset = errors.New("stream reset")

// dialH2 opens an HTTP/2 connection to target: over TLS with ALPN h2
// when tlsOn is set (the handshake is recorded in r), else clear text
// with prior knowledge.
func dialH2(target string, tlsOn *tlsSettings, cache *offerCache, timeout time.Duration, begin time.Time, r *record) (*h2Conn, error) {
	dialAt := time.Since(begin)
	nc, err := net.DialTimeout("tcp", target, timeout)
	if err != nil {
		return nil, err
	}
	if tlsOn != nil {
		if nc, err = tlsOn.dialTLS(nc, cache, timeout, r); err != nil {
			return nil, err
		}
		if p := nc.(*tls.Conn).ConnectionState().NegotiatedProtocol; p != "h2" {
			nc.Close()
			return nil, fmt.Errorf("ALPN chose %q, not h2", p)
		}
	}
	c := &h2Conn{nc: nc, dialAt: dialAt, timeout: timeout, nextID: 1, streams: make(map[uint32]*h2Stream),
		done: make(chan struct{})}
	c.fr = http2.NewFramer(nc, bufio.NewReaderSize(nc, 32<<10))
	c.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	c.enc = hpack.NewEncoder(&c.encBuf)
	nc.SetWriteDeadline(time.Now().Add(timeout))
	_, err = nc.Write([]byte(http2.ClientPreface))
	if err == nil {
		err = c.fr.WriteSettings(http2.Setting{ID: http2.SettingEnablePush, Val: 0})
	}
	if err != nil {
		nc.Close()
		return nil, err
	}
	go c.readLoop()
	return c, nil
}

// write runs one frame write under wmu, bounded by the timeout.
func (c *h2Conn) write(f func() error) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	return f()
}

func (c *h2Conn) readLoop() {
	defer close(c.done)
	for {
		f, err := c.fr.ReadFrame()
		if err != nil {
			c.fail(err)
			return
		}
		switch f := f.(type) {
		case *http2.MetaHeadersFrame:
			c.mu.Lock()
			if st := c.streams[f.StreamID]; st != nil {
				if !st.gotHead {
					st.status, _ = strconv.Atoi(f.PseudoValue("status"))
					if st.status >= 200 { // 1xx: the final head follows
						st.gotHead = true
						if l := headerValue(f, "x-backend"); l != "" {
							st.label = l[0]
						}
					}
				}
				if f.StreamEnded() {
					st.ended = true
				}
				st.notify()
			}
			c.mu.Unlock()
		case *http2.DataFrame:
			n := len(f.Data())
			c.mu.Lock()
			st := c.streams[f.StreamID]
			if st != nil {
				st.body = append(st.body, f.Data()...)
				if f.StreamEnded() {
					st.ended = true
				}
				st.notify()
			}
			c.mu.Unlock()
			if st == nil && n > 0 {
				// Nobody will read it: give the connection's window back.
				c.write(func() error { return c.fr.WriteWindowUpdate(0, uint32(n)) })
			}
		case *http2.RSTStreamFrame:
			c.mu.Lock()
			if st := c.streams[f.StreamID]; st != nil {
				st.rst, st.rstCode = true, f.ErrCode
				st.notify()
			}
			c.mu.Unlock()
		case *http2.SettingsFrame:
			if !f.IsAck() {
				c.write(c.fr.WriteSettingsAck)
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				c.write(func() error { return c.fr.WritePing(true, f.Data) })
			}
		case *http2.GoAwayFrame:
			c.mu.Lock()
			if c.goaways == 0 && f.LastStreamID == maxLastStreamID {
				c.twoPhase = true
			}
			c.goaways++
			c.lastID = f.LastStreamID
			for id, st := range c.streams {
				if id > f.LastStreamID {
					st.refused = true
					st.notify()
				}
			}
			c.mu.Unlock()
		}
	}
}

func headerValue(f *http2.MetaHeadersFrame, name string) string {
	for _, hf := range f.RegularFields() {
		if hf.Name == name {
			return hf.Value
		}
	}
	return ""
}

// fail ends the connection: every stream still waiting learns why.
func (c *h2Conn) fail(err error) {
	c.mu.Lock()
	if c.err == nil {
		c.err = err
	}
	for _, st := range c.streams {
		if st.err == nil {
			st.err = err
		}
		st.notify()
	}
	c.mu.Unlock()
	c.nc.Close()
}

// usable says whether the connection takes new streams.
func (c *h2Conn) usable() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err == nil && c.goaways == 0 && !c.retiring
}

// open sends a request's HEADERS on a new stream; end says the request
// has no body. errGoneAway means nothing was sent.
func (c *h2Conn) open(method, path, scheme string, bodyLen int, end bool) (*h2Stream, error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	c.mu.Lock()
	if c.err != nil || c.goaways > 0 || c.retiring {
		c.mu.Unlock()
		return nil, errGoneAway
	}
	st := &h2Stream{id: c.nextID, ch: make(chan struct{}, 1)}
	c.nextID += 2
	c.streams[st.id] = st
	c.opened++
	c.mu.Unlock()

	c.encBuf.Reset()
	c.enc.WriteField(hpack.HeaderField{Name: ":method", Value: method})
	c.enc.WriteField(hpack.HeaderField{Name: ":scheme", Value: scheme})
	c.enc.WriteField(hpack.HeaderField{Name: ":authority", Value: "reload-test"})
	c.enc.WriteField(hpack.HeaderField{Name: ":path", Value: path})
	if bodyLen >= 0 {
		c.enc.WriteField(hpack.HeaderField{Name: "content-type", Value: "text/plain"})
		c.enc.WriteField(hpack.HeaderField{Name: "content-length", Value: strconv.Itoa(bodyLen)})
	}
	c.nc.SetWriteDeadline(time.Now().Add(c.timeout))
	err := c.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: st.id, BlockFragment: c.encBuf.Bytes(),
		EndStream: end, EndHeaders: true})
	if err != nil {
		c.fail(err)
	}
	return st, err
}

// sendData writes a piece of a request body.
func (c *h2Conn) sendData(st *h2Stream, data []byte, end bool) error {
	return c.write(func() error { return c.fr.WriteData(st.id, end, data) })
}

// wait returns once ready() holds (mu held while it runs), or the
// stream failed, or the deadline passed.
func (c *h2Conn) wait(st *h2Stream, deadline time.Time, ready func() bool) error {
	t := time.NewTimer(time.Until(deadline))
	defer t.Stop()
	for {
		c.mu.Lock()
		ok, err := ready(), st.failure()
		c.mu.Unlock()
		if ok {
			return nil
		}
		if err != nil {
			return err
		}
		select {
		case <-st.ch:
		case <-t.C:
			return os.ErrDeadlineExceeded
		}
	}
}

// read takes up to max bytes of the stream's body, giving the window
// back for them; io.EOF-like end is (nil, true).
func (c *h2Conn) read(st *h2Stream, max int, deadline time.Time) ([]byte, bool, error) {
	if err := c.wait(st, deadline, func() bool { return len(st.body) > 0 || st.ended }); err != nil {
		return nil, false, err
	}
	c.mu.Lock()
	n := min(max, len(st.body))
	data := append([]byte(nil), st.body[:n]...)
	st.body = st.body[n:]
	done := st.ended && len(st.body) == 0
	c.mu.Unlock()
	if n > 0 {
		c.write(func() error {
			if !done {
				c.fr.WriteWindowUpdate(st.id, uint32(n))
			}
			return c.fr.WriteWindowUpdate(0, uint32(n))
		})
	}
	return data, done, nil
}

// release forgets a finished stream; a retiring connection closes with
// its last stream, and one told to go away closes once it has none.
func (c *h2Conn) release(st *h2Stream) {
	c.mu.Lock()
	delete(c.streams, st.id)
	closeNow := len(c.streams) == 0 && (c.retiring || c.goaways > 0)
	c.mu.Unlock()
	if closeNow {
		c.nc.Close()
	}
}

// retire closes the connection once its streams have ended.
func (c *h2Conn) retire() {
	c.mu.Lock()
	c.retiring = true
	closeNow := len(c.streams) == 0
	c.mu.Unlock()
	if closeNow {
		c.nc.Close()
	}
}

// h2Counts are the HTTP/2 connection counts of a run.
type h2Counts struct {
	conns, goawayConns, twoPhase, goaways int
}

func (c *h2Conn) counts() h2Counts {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := h2Counts{conns: 1, goaways: c.goaways}
	if c.goaways > 0 {
		n.goawayConns = 1
	}
	if c.twoPhase {
		n.twoPhase = 1
	}
	return n
}

func (n *h2Counts) add(m h2Counts) {
	n.conns += m.conns
	n.goawayConns += m.goawayConns
	n.twoPhase += m.twoPhase
	n.goaways += m.goaways
}
