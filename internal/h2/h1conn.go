package h2

import (
	"io"
	"net"
	"os"
	"strconv"
	"time"

	"baton/internal/h1"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// H1Conn presents a stream as an HTTP/1.1 connection carrying one
// exchange, so that the proxy's HTTP/1.1 path (rules, logs, counters,
// retries) serves it unchanged. Reads yield the request as HTTP/1.1 (a
// body without content-length is sent chunked, with the trailers);
// once it is consumed, a read waits for the response to end and then
// reports io.EOF. Writes are parsed as an HTTP/1.1 response and sent as
// HEADERS and DATA frames (interim 1xx heads included, chunked framing
// removed, trailers as a final HEADERS). Close resets a stream whose
// response was cut short, as a closed HTTP/1.1 connection shows a
// truncated body. It is part of the stream's allocation: call it once
// per stream.
func (st *Stream) H1Conn(local, remote net.Addr) net.Conn {
	c := &st.h1
	*c = h1Conn{st: st, local: local, remote: remote}
	c.pending = appendRequestHead(c.reqHead[:0], &st.Req)
	c.resp.Headers = c.respFields[:0]
	c.chunked = !st.Req.NoBody && st.Req.ContentLength < 0
	c.isHead = st.Req.Method == "HEAD"
	return c
}

type h1Conn struct {
	st            *Stream
	local, remote net.Addr
	closed        bool

	// Request side: pending bytes go out before anything else.
	pending  []byte
	chunked  bool
	bodyDone bool
	scratch  []byte

	// Response side.
	isHead    bool
	rbuf      []byte
	resp      h1.Response
	lim       h1.Limits
	state     int // respHead, respBody, respDone
	kind      h1.BodyKind
	remaining int64
	dec       chunkDecoder

	// Room for a usual request head and response field list, so that a
	// stream's HTTP/1.1 view is one allocation.
	reqHead    [320]byte
	respFields [16]h1.Header
}

const (
	respHead = iota
	respBody
	respDone
)

// appendRequestHead writes the request as an HTTP/1.1 head. Cookie
// fields are joined with "; " (RFC 9113 8.2.3).
func appendRequestHead(b []byte, r *Request) []byte {
	target := r.Path
	if r.Method == "CONNECT" {
		target = r.Authority
	}
	b = append(b, r.Method...)
	b = append(b, ' ')
	b = append(b, target...)
	b = append(b, " HTTP/1.1\r\nhost: "...)
	b = append(b, r.Authority...)
	b = append(b, "\r\n"...)
	cookies := 0
	for _, hf := range r.Fields {
		if hf.Name == "cookie" {
			cookies++
			if cookies > 1 {
				continue
			}
			b = append(b, "cookie: "...)
			first := true
			for _, c := range r.Fields {
				if c.Name == "cookie" {
					if !first {
						b = append(b, "; "...)
					}
					b = append(b, c.Value...)
					first = false
				}
			}
			b = append(b, "\r\n"...)
			continue
		}
		b = appendField(b, hf)
	}
	if !r.NoBody && r.ContentLength < 0 {
		b = append(b, "transfer-encoding: chunked\r\n"...)
	}
	return append(b, "\r\n"...)
}

func appendField(b []byte, hf hpack.HeaderField) []byte {
	b = append(b, hf.Name...)
	b = append(b, ": "...)
	b = append(b, hf.Value...)
	return append(b, "\r\n"...)
}

func (c *h1Conn) Read(p []byte) (int, error) {
	if len(c.pending) > 0 {
		n := copy(p, c.pending)
		c.pending = c.pending[n:]
		return n, nil
	}
	if !c.bodyDone {
		if !c.chunked {
			n, err := c.st.Read(p)
			if err == io.EOF {
				c.bodyDone = true
				if n > 0 {
					return n, nil
				}
				return c.waitResponse()
			}
			return n, err
		}
		if len(c.scratch) == 0 {
			c.scratch = make([]byte, 16384)
		}
		n, err := c.st.Read(c.scratch)
		switch {
		case n > 0:
			c.pending = strconv.AppendInt(c.pending[:0], int64(n), 16)
			c.pending = append(c.pending, "\r\n"...)
			c.pending = append(c.pending, c.scratch[:n]...)
			c.pending = append(c.pending, "\r\n"...)
		case err == io.EOF:
			c.bodyDone = true
			c.pending = append(c.pending[:0], "0\r\n"...)
			for _, hf := range c.st.Trailers() {
				c.pending = appendField(c.pending, hf)
			}
			c.pending = append(c.pending, "\r\n"...)
		default:
			return 0, err
		}
		return c.Read(p)
	}
	return c.waitResponse()
}

// waitResponse blocks a read past the request until the response ended
// (io.EOF: the exchange is over) or the stream died.
func (c *h1Conn) waitResponse() (int, error) {
	st := c.st
	sc := st.sc
	sc.mu.Lock()
	defer sc.mu.Unlock()
	for c.state != respDone && !st.localDone && !st.reset && !sc.dead {
		if !st.waitReadLocked() {
			return 0, os.ErrDeadlineExceeded
		}
	}
	if st.reset || sc.dead {
		return 0, errReset
	}
	return 0, io.EOF
}

func (c *h1Conn) Write(p []byte) (int, error) {
	if c.closed {
		return 0, net.ErrClosed
	}
	total := len(p)
	for len(p) > 0 {
		switch c.state {
		case respHead:
			if len(c.rbuf) == 0 {
				// Usually the whole head comes in one write: it is
				// parsed where it is, and only an incomplete one is kept.
				c.rbuf = p
			} else {
				c.rbuf = append(c.rbuf, p...)
			}
			p = nil
			for c.state == respHead {
				err := h1.ParseResponse(c.rbuf, &c.resp, c.isHead, &c.lim)
				if err == h1.ErrIncomplete {
					c.rbuf = append([]byte(nil), c.rbuf...) // the caller's bytes are not ours to keep
					return total, nil
				}
				if err != nil {
					c.st.Reset(http2.ErrCodeInternal)
					return 0, err
				}
				rest := c.rbuf[c.resp.HeadLen:]
				if err := c.sendHead(len(rest) == 0); err != nil {
					return 0, err
				}
				if c.state == respHead {
					c.rbuf = rest // after an interim head: the next one
					continue
				}
				if len(rest) > 0 && c.state == respBody {
					if err := c.body(rest); err != nil {
						return 0, err
					}
				}
				c.rbuf = nil
			}
		case respBody:
			if err := c.body(p); err != nil {
				return 0, err
			}
			p = nil
		default:
			p = nil // bytes past the response's end: dropped
		}
	}
	return total, nil
}

// sendHead sends the parsed head; without flush, its frames wait for the
// body bytes that came in the same write.
func (c *h1Conn) sendHead(flush bool) error {
	r := &c.resp
	if r.Status < 200 {
		// Interim (100 Continue, 103): the final head follows.
		return c.st.writeHeaders(r.Status, nil, r.Headers, false, true)
	}
	c.kind = r.Body
	end := false
	switch {
	case c.isHead || r.Body == h1.BodyNone:
		end = true
	case r.Body == h1.BodyLength:
		c.remaining = r.ContentLength
		end = c.remaining == 0
	case r.Body == h1.BodyChunked:
		c.dec = chunkDecoder{}
	}
	if err := c.st.writeHeaders(r.Status, nil, r.Headers, end, flush || end); err != nil {
		return err
	}
	if end {
		c.state = respDone
		c.st.sc.wakeAll()
	} else {
		c.state = respBody
	}
	return nil
}

func (c *h1Conn) body(p []byte) error {
	switch c.kind {
	case h1.BodyLength:
		n := int64(len(p))
		if n > c.remaining {
			n = c.remaining
		}
		c.remaining -= n
		end := c.remaining == 0
		if err := c.st.WriteData(p[:n], end); err != nil {
			return err
		}
		if end {
			c.done()
		}
		return nil
	case h1.BodyChunked:
		for len(p) > 0 && c.state == respBody {
			data, rest, fin, err := c.dec.next(p)
			if err != nil {
				c.st.Reset(http2.ErrCodeInternal)
				return err
			}
			p = rest
			if len(data) > 0 {
				if err := c.st.WriteData(data, false); err != nil {
					return err
				}
			}
			if fin {
				var err error
				if len(c.dec.trailers) > 0 {
					err = c.st.WriteHeaders(0, c.dec.trailers, true)
				} else {
					err = c.st.WriteData(nil, true)
				}
				if err != nil {
					return err
				}
				c.done()
			}
		}
		return nil
	}
	return c.st.WriteData(p, false) // until close
}

func (c *h1Conn) done() {
	c.state = respDone
	c.st.sc.wakeAll()
}

// Close ends the stream's exchange: a response framed by the close ends
// here; one cut short resets the stream; a complete one whose request
// body was not all read resets the rest of the request with NO_ERROR
// (RFC 9113 8.1).
func (c *h1Conn) Close() error {
	if c.closed {
		return nil
	}
	c.closed = true
	switch {
	case c.state == respBody && c.kind == h1.BodyUntilClose:
		if c.st.WriteData(nil, true) == nil {
			c.done()
		}
	case c.state != respDone:
		c.st.Reset(http2.ErrCodeInternal)
	}
	c.st.Reset(http2.ErrCodeNo) // nothing when both sides are done
	return nil
}

// ClientGone reports a stream the client reset (the proxy then abandons
// its server request, as for a closed HTTP/1.1 connection).
func (c *h1Conn) ClientGone() bool { return c.st.Gone() }

func (c *h1Conn) LocalAddr() net.Addr  { return c.local }
func (c *h1Conn) RemoteAddr() net.Addr { return c.remote }

func (c *h1Conn) SetDeadline(t time.Time) error {
	c.st.SetReadDeadline(t)
	return nil
}

func (c *h1Conn) SetReadDeadline(t time.Time) error {
	c.st.SetReadDeadline(t)
	return nil
}

// SetWriteDeadline is a no-op: writes are bounded by the connection's
// WriteTimeout (timeout client), as the frames of every stream share it.
func (c *h1Conn) SetWriteDeadline(time.Time) error { return nil }
