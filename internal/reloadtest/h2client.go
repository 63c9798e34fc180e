package reloadtest

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"time"
)

// HTTP/2 mode (--h2): the same kinds of client, each request a stream.
// The "new" clients open an HTTP/2 connection per stream (they see when a
// reload takes effect); the others share --h2-conns connections per kind
// group, several streams in flight on each, and open the next connection
// when the current one got a GOAWAY. A stream is judged like a request,
// plus:
//
//   - refused: RST_STREAM REFUSED_STREAM, or a stream above the last
//     stream ID of a GOAWAY (the client must retry it elsewhere; the
//     retry is a stream of its own). Any fails the run.
//   - stale: a stream on a connection dialled after the switch answered
//     by the old label (every stream of such a connection counts, not
//     only its first).
//   - pinned: a stream sent after the switch on a connection dialled
//     before it, answered by the old label: the draining generation
//     finishing what it had been sent, by design.
//
// The report counts connections, those that got a GOAWAY, those whose
// first GOAWAY announced 2^31-1 (a two-phase GOAWAY, RFC 9113 6.8) and
// GOAWAY frames. In TLS mode ALPN offers only h2 and every connection of
// a group shares the group's session cache, so a connection opened after
// a GOAWAY should resume.

// h2Group is a set of clients sharing HTTP/2 connections: one current
// connection, replaced when it stops taking streams.
type h2Group struct {
	target  string
	tls     *tlsSettings // nil: clear text, prior knowledge
	cache   *offerCache
	timeout time.Duration
	begin   time.Time

	mu     sync.Mutex
	cur    *h2Conn
	live   map[*h2Conn]struct{}
	counts h2Counts // of the connections that ended
}

func newH2Group(target string, tlsOn *tlsSettings, timeout time.Duration, begin time.Time) *h2Group {
	g := &h2Group{target: target, tls: tlsOn, timeout: timeout, begin: begin, live: make(map[*h2Conn]struct{})}
	if tlsOn != nil {
		g.cache = newOfferCache()
	}
	return g
}

// get returns the current connection, dialling a new one (recorded in r)
// when there is none that takes streams.
func (g *h2Group) get(r *record) (*h2Conn, error) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.cur != nil && g.cur.usable() {
		return g.cur, nil
	}
	if g.cur != nil {
		g.cur.retire()
		g.cur = nil
	}
	c, err := dialH2(g.target, g.tls, g.cache, g.timeout, g.begin, r)
	if err != nil {
		return nil, err
	}
	g.cur = c
	g.live[c] = struct{}{}
	go func() {
		<-c.done
		n := c.counts()
		g.mu.Lock()
		delete(g.live, c)
		g.counts.add(n)
		g.mu.Unlock()
	}()
	return c, nil
}

// retireCurrent makes the current connection close after its streams.
func (g *h2Group) retireCurrent() {
	g.mu.Lock()
	if g.cur != nil {
		g.cur.retire()
		g.cur = nil
	}
	g.mu.Unlock()
}

// close closes every connection and returns the group's counts.
func (g *h2Group) close() h2Counts {
	g.mu.Lock()
	var live []*h2Conn
	for c := range g.live {
		live = append(live, c)
	}
	g.cur = nil
	g.mu.Unlock()
	for _, c := range live {
		c.nc.Close()
		<-c.done
	}
	// The watchers add the counts once they see done: wait for them.
	for {
		g.mu.Lock()
		n, counts := len(g.live), g.counts
		g.mu.Unlock()
		if n == 0 {
			return counts
		}
		time.Sleep(time.Millisecond)
	}
}

// oneH2 sends one stream of the client's kind and judges the answer.
func (c *client) oneH2() (r record) {
	r.kind, r.h2 = c.kind, true
	deadline := time.Now().Add(c.timeout)
	switch c.kind {
	case kindUpload:
		deadline = deadline.Add(uploadPieces * uploadGap)
	case kindDownload:
		deadline = deadline.Add(downloadBytes / downloadChunk * downloadGap)
	}
	method, path, bodyLen := "GET", "/?rt="+kindNames[c.kind], -1
	var upload []byte
	switch c.kind {
	case kindUpload:
		method, path = "POST", "/echo"
		upload = make([]byte, uploadPieces*uploadPiece)
		for i := range upload {
			upload[i] = 'A' + byte(c.rng.IntN(26))
		}
		bodyLen = len(upload)
	case kindDownload:
		path = "/size?bytes=" + strconv.Itoa(downloadBytes)
	}
	scheme := "http"
	if c.tls != nil {
		scheme = "https"
	}

	// A connection may go away between get and open: nothing was sent
	// then, and the next one is tried.
	var conn *h2Conn
	var st *h2Stream
	err := errGoneAway
	for try := 0; try < 3 && errors.Is(err, errGoneAway); try++ {
		if conn, err = c.h2.get(&r); err != nil {
			break
		}
		r.dial, r.sent = conn.dialAt, c.now()
		st, err = conn.open(method, path, scheme, bodyLen, upload == nil)
	}
	if c.kind == kindNew {
		defer c.h2.retireCurrent()
	}
	if conn == nil || st == nil {
		if conn == nil {
			r.dial, r.sent = c.now(), c.now()
		}
		r.done = c.now()
		r.out, r.err = h2Outcome(err), err.Error()
		return r
	}
	defer conn.release(st)
	r.newConn = st.id == 1
	if err == nil && upload != nil {
		for i := 0; i < uploadPieces && err == nil; i++ {
			if i > 0 {
				time.Sleep(uploadGap)
			}
			err = conn.sendData(st, upload[i*uploadPiece:(i+1)*uploadPiece], i == uploadPieces-1)
		}
	}
	// Even when the write failed, a response may be waiting.
	herr := conn.wait(st, deadline, func() bool { return st.gotHead })
	r.done = c.now()
	if herr != nil {
		if err == nil {
			err = herr
		}
		r.out, r.err = h2Outcome(err), err.Error()
		return r
	}
	conn.mu.Lock()
	status, label := st.status, st.label
	conn.mu.Unlock()
	r.label = label
	body, berr := c.readH2Body(conn, st, deadline)
	c.judge(&r, status, strconv.Itoa(status), body, berr, upload, err, h2Outcome)
	if r.out == outOK {
		c.seen.observe(r.dial, r.label)
	}
	return r
}

// readH2Body reads a stream's body; downloads are read slowly, and only
// their length is kept.
func (c *client) readH2Body(conn *h2Conn, st *h2Stream, deadline time.Time) ([]byte, error) {
	var body []byte
	n := 0
	for {
		data, done, err := conn.read(st, downloadChunk, deadline)
		if err != nil {
			return nil, err
		}
		n += len(data)
		if c.kind != kindDownload {
			body = append(body, data...)
		}
		if done {
			if c.kind == kindDownload {
				return make([]byte, n), nil
			}
			return body, nil
		}
		if c.kind == kindDownload && len(data) > 0 {
			time.Sleep(downloadGap * time.Duration(len(data)) / downloadChunk)
		}
	}
}

// h2Outcome names a stream's failure.
func h2Outcome(err error) outcome {
	switch {
	case errors.Is(err, errRefusedStream):
		return outRefusedStream
	case errors.Is(err, errStreamReset):
		return outReset
	case errors.Is(err, os.ErrDeadlineExceeded):
		return outTimeout
	}
	return classifyMid(err)
}

// probeH2 sends one GET on a new HTTP/2 connection and returns its
// X-Backend.
func probeH2(s *settings) (byte, error) {
	var tlsOn *tlsSettings
	if s.tls.on {
		tlsOn = &s.tls
	}
	g := newH2Group(s.target, tlsOn, 2*time.Second, time.Now())
	defer g.close()
	c := &client{kind: kindBusy, timeout: 2 * time.Second, begin: g.begin, h2: g, tls: tlsOn, seen: &switchWatch{}}
	r := c.oneH2()
	if r.out != outOK {
		return 0, fmt.Errorf("%s: %s", outcomeNames[r.out], r.err)
	}
	return r.label, nil
}
