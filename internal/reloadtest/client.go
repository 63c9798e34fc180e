package reloadtest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"strconv"
	"syscall"
	"time"
)

// clientKind is one part of the traffic mix.
type clientKind uint8

const (
	kindNew      clientKind = iota // a new connection per request
	kindBusy                       // keep-alive, back-to-back requests
	kindIdle                       // keep-alive, idle 0.2-2 s between requests
	kindUpload                     // keep-alive, POST /echo sent over ~1 s
	kindDownload                   // keep-alive, /size read over ~1 s
	numKinds
)

var kindNames = [numKinds]string{"new", "busy", "idle", "upload", "download"}

// outcome is what happened to one request.
type outcome uint8

const (
	outOK outcome = iota
	outRefused
	outReset
	outEOF
	out5xx
	outTimeout
	outBad
	outRace
	outRefusedStream // HTTP/2: refused by RST_STREAM or GOAWAY, to be retried
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"ok", "refused", "reset", "eof", "5xx", "timeout", "bad", "race", "refused_stream"}

// record is one request as a client saw it. Times are offsets from the
// start of the run.
type record struct {
	dial    time.Duration // when its connection's dial started
	sent    time.Duration // when the request's first byte was written
	done    time.Duration // when the response head arrived, or the failure
	kind    clientKind
	newConn bool // first request on its connection
	label   byte // X-Backend's first byte; 0 when none
	out     outcome
	err     string // the failure, for --verbose
	// TLS mode: this request opened a TLS connection (handshake), which
	// resumed a session or not, and whether the client offered one.
	handshake, resumed, offered bool
	// h2: the request was an HTTP/2 stream; dial is its connection's.
	h2 bool
}

const (
	uploadPieces   = 10
	uploadPiece    = 64
	uploadGap      = 100 * time.Millisecond
	downloadBytes  = 1 << 20
	downloadChunk  = 16 << 10
	downloadGap    = 15 * time.Millisecond // 64 reads: about 1 s
	failureBackoff = 10 * time.Millisecond
)

// client runs one traffic loop until stop is closed, appending records.
type client struct {
	kind    clientKind
	target  string
	timeout time.Duration
	begin   time.Time
	stop    <-chan struct{}
	seen    *switchWatch
	rng     *rand.Rand
	// tls is set in TLS mode; cache is the client's session cache.
	tls   *tlsSettings
	cache *offerCache
	// h2 is set in HTTP/2 mode: the connections this client's streams use.
	h2 *h2Group

	conn   net.Conn
	br     *bufio.Reader
	dialAt time.Duration
	used   bool // the connection already carried a response

	records []record
}

func (c *client) now() time.Duration { return time.Since(c.begin) }

func (c *client) stopped() bool {
	select {
	case <-c.stop:
		return true
	default:
		return false
	}
}

// pause waits d or until stop; it reports whether the run goes on.
func (c *client) pause(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-c.stop:
		return false
	case <-t.C:
		return true
	}
}

func (c *client) run() {
	defer c.closeConn()
	for !c.stopped() {
		var r record
		if c.h2 != nil {
			r = c.oneH2()
		} else {
			r = c.one()
		}
		c.records = append(c.records, r)
		if r.out != outOK && r.out != outRace && r.out != outRefusedStream {
			if !c.pause(failureBackoff) {
				return
			}
		}
		if c.kind == kindIdle && r.out == outOK {
			idle := 200*time.Millisecond + time.Duration(c.rng.Int64N(int64(1800*time.Millisecond)))
			if !c.pause(idle) {
				return
			}
		}
	}
}

func (c *client) closeConn() {
	if c.conn != nil {
		c.conn.Close()
		c.conn, c.br, c.used = nil, nil, false
	}
}

// one sends one request of the client's kind and judges the answer.
func (c *client) one() (r record) {
	r.kind = c.kind
	if c.conn == nil {
		r.newConn = true
		c.dialAt = c.now()
		conn, err := net.DialTimeout("tcp", c.target, c.timeout)
		if err == nil && c.tls != nil {
			conn, err = c.tls.dialTLS(conn, c.cache, c.timeout, &r)
		}
		if err != nil {
			r.dial, r.sent, r.done = c.dialAt, c.dialAt, c.now()
			r.out, r.err = classify(err), err.Error()
			return r
		}
		c.conn, c.br, c.used = conn, bufio.NewReaderSize(conn, 32<<10), false
	}
	r.dial = c.dialAt
	reused := c.used
	defer func() {
		if r.out != outOK || c.kind == kindNew {
			c.closeConn()
		}
	}()

	deadline := c.timeout
	switch c.kind {
	case kindUpload:
		deadline += uploadPieces * uploadGap
	case kindDownload:
		deadline += downloadBytes / downloadChunk * downloadGap
	}
	c.conn.SetDeadline(time.Now().Add(deadline))

	var head string
	var upload []byte
	method := "GET"
	switch c.kind {
	case kindNew:
		head = "GET /?rt=new HTTP/1.1\r\nHost: reload-test\r\nConnection: close\r\n\r\n"
	case kindBusy, kindIdle:
		head = "GET /?rt=" + kindNames[c.kind] + " HTTP/1.1\r\nHost: reload-test\r\n\r\n"
	case kindUpload:
		method = "POST"
		upload = make([]byte, uploadPieces*uploadPiece)
		for i := range upload {
			upload[i] = 'A' + byte(c.rng.IntN(26))
		}
		head = "POST /echo HTTP/1.1\r\nHost: reload-test\r\nContent-Type: text/plain\r\nContent-Length: " +
			strconv.Itoa(len(upload)) + "\r\n\r\n"
	case kindDownload:
		head = "GET /size?bytes=" + strconv.Itoa(downloadBytes) + " HTTP/1.1\r\nHost: reload-test\r\n\r\n"
	}

	r.sent = c.now()
	_, werr := io.WriteString(c.conn, head)
	if werr == nil && upload != nil {
		for i := 0; i < uploadPieces && werr == nil; i++ {
			if i > 0 {
				time.Sleep(uploadGap)
			}
			_, werr = c.conn.Write(upload[i*uploadPiece : (i+1)*uploadPiece])
		}
	}
	// Even when the write failed, a response may be waiting (an early 5xx
	// from the proxy): read before judging.
	if _, err := c.br.Peek(1); err != nil {
		r.done = c.now()
		if werr != nil {
			err = werr
		}
		r.err = err.Error()
		r.out = classify(err)
		if reused && (r.out == outEOF || r.out == outReset) {
			r.out = outRace
		}
		return r
	}
	resp, err := http.ReadResponse(c.br, &http.Request{Method: method})
	r.done = c.now()
	if err != nil {
		r.out, r.err = classifyMid(err), "response head: "+err.Error()
		return r
	}
	if l := resp.Header.Get("X-Backend"); l != "" {
		r.label = l[0]
	}
	body, berr := c.readBody(resp.Body)
	resp.Body.Close()
	c.judge(&r, resp.StatusCode, resp.Status, body, berr, upload, werr, classifyMid)
	if r.out == outOK {
		if r.newConn {
			c.seen.observe(r.dial, r.label)
		}
		c.used = true
		if resp.Close {
			c.closeConn()
		}
	}
	return r
}

// judge sets r's outcome from a complete exchange: the status, the body
// read (or its error), the upload sent (or its error); name classifies
// the errors.
func (c *client) judge(r *record, code int, status string, body []byte, berr error, upload []byte, werr error, name func(error) outcome) {
	switch {
	case code >= 500:
		r.out, r.err = out5xx, status
	case code != 200:
		r.out, r.err = outBad, status
	case berr != nil:
		r.out, r.err = name(berr), "response body: "+berr.Error()
	case upload != nil && !bytes.Equal(body, upload):
		r.out, r.err = outBad, fmt.Sprintf("echo returned %d bytes, not the %d sent", len(body), len(upload))
	case c.kind == kindDownload && len(body) != downloadBytes:
		r.out, r.err = outBad, fmt.Sprintf("download of %d bytes got %d", downloadBytes, len(body))
	case r.label == 0:
		r.out, r.err = outBad, "response without X-Backend"
	case werr != nil:
		r.out, r.err = name(werr), "request body: "+werr.Error()
	}
}

// readBody reads a response body; downloads are read slowly, and only
// their length is kept.
func (c *client) readBody(body io.Reader) ([]byte, error) {
	if c.kind != kindDownload {
		return io.ReadAll(body)
	}
	buf := make([]byte, downloadChunk)
	n, sinceGap := 0, 0
	for {
		k, err := body.Read(buf)
		n += k
		sinceGap += k
		if err == io.EOF {
			return make([]byte, n), nil
		}
		if err != nil {
			return nil, err
		}
		if sinceGap >= downloadChunk {
			sinceGap = 0
			time.Sleep(downloadGap)
		}
	}
}

// classify names a failure that happened before any response byte.
func classify(err error) outcome {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return outRefused
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return outReset
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return outEOF
	case errors.Is(err, os.ErrDeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return outTimeout
	}
	return outBad
}

// classifyMid names a failure after part of a response arrived.
func classifyMid(err error) outcome {
	if o := classify(err); o != outBad {
		return o
	}
	// http.ReadResponse wraps truncation in its own errors.
	if bytes.Contains([]byte(err.Error()), []byte("unexpected EOF")) {
		return outEOF
	}
	return outBad
}
