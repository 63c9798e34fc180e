package hardening_test

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// okReply is the recorder's default answer.
const okReply = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// script is what the recorder does once it has read a whole request.
type script struct {
	reply string // bytes to write; "" with hold=false means okReply
	close bool   // close the connection after writing reply
	hold  bool   // write nothing; keep reading until the peer closes
	// dieAfter, when > 0, closes the connection right after the request
	// without answering (server closes before answering).
	dieAfter bool
}

// recorder is a raw TCP HTTP/1.1 server that keeps the exact bytes of
// every request delivered to it, so a test can assert what a proxy
// forwarded, byte for byte, and whether it forwarded anything at all.
type recorder struct {
	t    testing.TB
	Addr string
	ln   net.Listener

	mu       sync.Mutex
	scr      script
	raw      bytes.Buffer // every byte received since reset, all connections
	reqs     []string     // whole requests since reset, in arrival order
	conns    map[net.Conn]*recConn
	changed  chan struct{} // closed and replaced on every event
	allConns []*recConn
	wg       sync.WaitGroup
}

// recConn is one accepted connection's history.
type recConn struct {
	opened time.Time
	// closed is when the peer closed (zero while open). It is set only
	// once serve has recorded what came before the close, so a test
	// that saw every connection closed sees every request too; the time
	// is the failed read's (readEnd), not the bookkeeping's.
	closed  time.Time
	readEnd time.Time // when a read first failed (serve's goroutine only)
	reqs    int
}

func startRecorder(t testing.TB) *recorder {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &recorder{t: t, Addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]*recConn{}, changed: make(chan struct{})}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.close)
	return r
}

func (r *recorder) close() {
	r.ln.Close()
	r.mu.Lock()
	for c := range r.conns {
		c.Close()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

// notify wakes waiters; r.mu must be held.
func (r *recorder) notify() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// reset forgets what was recorded and sets the script for what follows.
// Connections the proxy pooled stay open and are served by the new script.
func (r *recorder) reset(s script) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.scr = s
	r.raw.Reset()
	r.reqs = nil
	r.allConns = nil
}

// snapshot returns the bytes and requests received since reset.
func (r *recorder) snapshot() (raw string, reqs []string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.raw.String(), append([]string(nil), r.reqs...)
}

// waitFor waits up to timeout for cond (called with r.mu held).
func (r *recorder) waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		ok := cond()
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return true
		}
		select {
		case <-ch:
		case <-deadline.C:
			return false
		}
	}
}

// waitRequests waits for n whole requests since reset.
func (r *recorder) waitRequests(n int, timeout time.Duration) bool {
	return r.waitFor(timeout, func() bool { return len(r.reqs) >= n })
}

// allClosed waits until every connection opened since reset was closed by
// the peer and returns how long after the last close it noticed.
func (r *recorder) waitAllClosed(timeout time.Duration) bool {
	return r.waitFor(timeout, func() bool {
		for _, c := range r.allConns {
			if c.closed.IsZero() {
				return false
			}
		}
		return true
	})
}

// lastClosed returns when the last connection opened since reset closed.
func (r *recorder) lastClosed() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var t time.Time
	for _, c := range r.allConns {
		if c.closed.After(t) {
			t = c.closed
		}
	}
	return t
}

func (r *recorder) accept() {
	defer r.wg.Done()
	for {
		c, err := r.ln.Accept()
		if err != nil {
			return
		}
		rc := &recConn{opened: time.Now()}
		r.mu.Lock()
		r.conns[c] = rc
		r.allConns = append(r.allConns, rc)
		r.notify()
		r.mu.Unlock()
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.serve(c, rc)
			c.Close()
			r.mu.Lock()
			delete(r.conns, c)
			if rc.closed.IsZero() {
				rc.closed = rc.readEnd
				if rc.closed.IsZero() {
					rc.closed = time.Now()
				}
			}
			r.notify()
			r.mu.Unlock()
		}()
	}
}

// tee records every byte read from the connection.
type tee struct {
	r  *recorder
	c  net.Conn
	rc *recConn
}

func (t tee) Read(p []byte) (int, error) {
	n, err := t.c.Read(p)
	t.r.mu.Lock()
	t.r.raw.Write(p[:n])
	if err != nil && t.rc.readEnd.IsZero() {
		t.rc.readEnd = time.Now()
	}
	t.r.notify()
	t.r.mu.Unlock()
	return n, err
}

func (r *recorder) serve(c net.Conn, rc *recConn) {
	br := bufio.NewReader(tee{r, c, rc})
	for {
		req, err := readRawRequest(br)
		if req != "" {
			r.mu.Lock()
			r.reqs = append(r.reqs, req)
			rc.reqs++
			s := r.scr
			r.notify()
			r.mu.Unlock()
			if err != nil {
				return
			}
			switch {
			case s.dieAfter:
				return
			case s.hold:
				io.Copy(io.Discard, br)
				return
			}
			reply := s.reply
			if reply == "" {
				reply = okReply
			}
			if _, werr := io.WriteString(c, reply); werr != nil || s.close {
				return
			}
			continue
		}
		if err != nil {
			return
		}
	}
}

// readRawRequest reads one request and returns its exact bytes. It is
// lenient on purpose (it must capture whatever a proxy sends): the head
// ends at the first empty line, with or without CR; the body is framed by
// chunked (last Transfer-Encoding token) or Content-Length. A framing it
// cannot follow returns what was read and an error.
func readRawRequest(br *bufio.Reader) (string, error) {
	var b strings.Builder
	var te, cl string
	first := true
	for {
		line, err := br.ReadString('\n')
		b.WriteString(line)
		if err != nil {
			return b.String(), err
		}
		l := strings.TrimRight(line, "\r\n")
		if l == "" {
			if first {
				continue // stray empty line before a request
			}
			break
		}
		if !first {
			name, value, _ := strings.Cut(l, ":")
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "transfer-encoding":
				te = strings.ToLower(strings.TrimSpace(value))
			case "content-length":
				cl = strings.TrimSpace(value)
			}
		}
		first = false
	}
	switch {
	case strings.HasSuffix(te, "chunked"):
		for {
			line, err := br.ReadString('\n')
			b.WriteString(line)
			if err != nil {
				return b.String(), err
			}
			size, _, _ := strings.Cut(strings.TrimSpace(line), ";")
			n, err := strconv.ParseInt(size, 16, 64)
			if err != nil || n < 0 {
				return b.String(), fmt.Errorf("chunk size %q", line)
			}
			if n == 0 {
				for {
					l, err := br.ReadString('\n')
					b.WriteString(l)
					if err != nil {
						return b.String(), err
					}
					if strings.TrimRight(l, "\r\n") == "" {
						return b.String(), nil
					}
				}
			}
			if _, err := io.CopyN(&b, br, n+2); err != nil {
				return b.String(), err
			}
		}
	case cl != "":
		n, err := strconv.ParseInt(cl, 10, 64)
		if err != nil || n < 0 {
			return b.String(), fmt.Errorf("content-length %q", cl)
		}
		_, err = io.CopyN(&b, br, n)
		return b.String(), err
	}
	return b.String(), nil
}

// wellFormed checks the invariants of anything a proxy may forward: CRLF
// line ends only, no NUL, no obs-fold or leading whitespace, one Host
// (none allowed in HTTP/1.0), at most one Content-Length and never both it and
// Transfer-Encoding.
func wellFormed(req string) error {
	head, _, ok := strings.Cut(req, "\r\n\r\n")
	if !ok {
		return fmt.Errorf("head does not end with CRLF CRLF")
	}
	for i := 0; i < len(head); i++ {
		switch head[i] {
		case 0:
			return fmt.Errorf("NUL at %d", i)
		case '\n':
			if i == 0 || head[i-1] != '\r' {
				return fmt.Errorf("bare LF at %d", i)
			}
		case '\r':
			if i+1 >= len(head) || head[i+1] != '\n' {
				return fmt.Errorf("bare CR at %d", i)
			}
		}
	}
	lines := strings.Split(head, "\r\n")
	if strings.Count(lines[0], " ") != 2 {
		return fmt.Errorf("request line %q", lines[0])
	}
	var hosts, cls, tes int
	for _, l := range lines[1:] {
		if l == "" || l[0] == ' ' || l[0] == '\t' {
			return fmt.Errorf("folded or empty line %q", l)
		}
		name, _, ok := strings.Cut(l, ":")
		if !ok || strings.ContainsAny(name, " \t") {
			return fmt.Errorf("bad header line %q", l)
		}
		switch strings.ToLower(name) {
		case "host":
			hosts++
		case "content-length":
			cls++
		case "transfer-encoding":
			tes++
		}
	}
	switch {
	case hosts > 1 || hosts == 0 && !strings.HasSuffix(lines[0], " HTTP/1.0"):
		return fmt.Errorf("%d Host fields", hosts)
	case cls > 1:
		return fmt.Errorf("%d Content-Length fields", cls)
	case cls > 0 && tes > 0:
		return fmt.Errorf("both Content-Length and Transfer-Encoding")
	case tes > 1:
		return fmt.Errorf("%d Transfer-Encoding fields", tes)
	}
	return nil
}
