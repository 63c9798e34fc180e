package harness

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"
)

// IOTimeout bounds every read and write of a Conn unless a test sets its
// own deadline: generous, because a loaded 2-core machine runs these tests.
const IOTimeout = 10 * time.Second

// Conn is a raw HTTP/1.1 client connection: tests write exact bytes and read
// responses as the proxy sent them, so framing, header order and connection
// handling are observable (net/http would hide them).
type Conn struct {
	t testing.TB
	net.Conn
	R *bufio.Reader
}

// Dial connects to addr; the connection is closed at cleanup.
func Dial(t testing.TB, addr string) *Conn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, IOTimeout)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return &Conn{t: t, Conn: c, R: bufio.NewReader(c)}
}

// Send writes s in one write call.
func (c *Conn) Send(s string) {
	c.t.Helper()
	c.SetWriteDeadline(time.Now().Add(IOTimeout))
	if _, err := io.WriteString(c.Conn, s); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// CloseWrite half-closes the connection (sends FIN).
func (c *Conn) CloseWrite() {
	c.t.Helper()
	if err := c.Conn.(*net.TCPConn).CloseWrite(); err != nil {
		c.t.Fatalf("close write: %v", err)
	}
}

// Read reads one response to a request with the given method (HEAD
// responses carry no body), failing the test on error.
func (c *Conn) Read(method string) *Response {
	c.t.Helper()
	r, err := c.TryRead(method)
	if err != nil {
		c.t.Fatalf("reading response: %v", err)
	}
	return r
}

// TryRead is Read returning the error instead of failing. A 1xx interim
// response is returned as is; read again for the final one.
func (c *Conn) TryRead(method string) (*Response, error) {
	c.SetReadDeadline(time.Now().Add(IOTimeout))
	return ReadResponse(c.R, method)
}

// ReadN reads exactly n raw bytes (tunnel data).
func (c *Conn) ReadN(n int) string {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(IOTimeout))
	buf := make([]byte, n)
	if _, err := io.ReadFull(c.R, buf); err != nil {
		c.t.Fatalf("reading %d bytes: %v (got %q)", n, err, buf)
	}
	return string(buf)
}

// ReadAll reads until the peer closes.
func (c *Conn) ReadAll() string {
	c.t.Helper()
	c.SetReadDeadline(time.Now().Add(IOTimeout))
	b, err := io.ReadAll(c.R)
	if err != nil {
		c.t.Fatalf("reading to EOF: %v (got %q)", err, b)
	}
	return string(b)
}

// Closed waits up to timeout for the peer to close the connection and
// reports whether it did; bytes received meanwhile are returned too.
func (c *Conn) Closed(timeout time.Duration) (bool, string) {
	c.SetReadDeadline(time.Now().Add(timeout))
	b, err := io.ReadAll(c.R)
	if err == nil {
		return true, string(b)
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false, string(b)
	}
	return true, string(b) // reset counts as closed
}

// Header is one response header field as received.
type Header struct{ Name, Value string }

// Response is one HTTP/1.x response as read off the wire.
type Response struct {
	Proto   string // "HTTP/1.1"
	Status  int
	Reason  string
	Headers []Header // in order, names as sent
	Body    []byte   // de-chunked
	Chunked bool
	Head    string // the raw head, final empty line included
}

// Get returns the first value of the header name (case-insensitive).
func (r *Response) Get(name string) string {
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			return h.Value
		}
	}
	return ""
}

// Has reports whether the header name is present.
func (r *Response) Has(name string) bool { return len(r.Values(name)) > 0 }

// Values returns every value of the header name, in order.
func (r *Response) Values(name string) []string {
	var out []string
	for _, h := range r.Headers {
		if strings.EqualFold(h.Name, name) {
			out = append(out, h.Value)
		}
	}
	return out
}

// HasToken reports whether a comma-separated header (Connection) carries
// token, case-insensitively.
func (r *Response) HasToken(name, token string) bool {
	for _, v := range r.Values(name) {
		for _, t := range strings.Split(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}

func (r *Response) String() string { return r.Head + string(r.Body) }

// ReadResponse reads one response from br. The body is framed by
// Transfer-Encoding: chunked, Content-Length or the end of the connection;
// 1xx, 204, 304 and responses to HEAD have none.
func ReadResponse(br *bufio.Reader, method string) (*Response, error) {
	var head strings.Builder
	line, err := br.ReadString('\n')
	if err != nil {
		return nil, fmt.Errorf("status line: %w (got %q)", err, line)
	}
	head.WriteString(line)
	r := &Response{}
	parts := strings.SplitN(strings.TrimRight(line, "\r\n"), " ", 3)
	if len(parts) < 2 || !strings.HasPrefix(parts[0], "HTTP/1.") {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	r.Proto = parts[0]
	if r.Status, err = strconv.Atoi(parts[1]); err != nil {
		return nil, fmt.Errorf("bad status line %q", line)
	}
	if len(parts) == 3 {
		r.Reason = parts[2]
	}
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, fmt.Errorf("header: %w (head so far %q)", err, head.String())
		}
		head.WriteString(line)
		l := strings.TrimRight(line, "\r\n")
		if l == "" {
			break
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok {
			return nil, fmt.Errorf("bad header line %q", line)
		}
		r.Headers = append(r.Headers, Header{name, strings.TrimSpace(value)})
	}
	r.Head = head.String()
	switch {
	case r.Status < 200, r.Status == 204, r.Status == 304, method == "HEAD":
		return r, nil
	case r.HasToken("Transfer-Encoding", "chunked"):
		r.Chunked = true
		r.Body, err = readChunked(br)
	case r.Has("Content-Length"):
		n, perr := strconv.Atoi(r.Get("Content-Length"))
		if perr != nil {
			return nil, fmt.Errorf("bad Content-Length %q", r.Get("Content-Length"))
		}
		r.Body = make([]byte, n)
		_, err = io.ReadFull(br, r.Body)
	default:
		r.Body, err = io.ReadAll(br)
	}
	if err != nil {
		return nil, fmt.Errorf("body: %w (head %q)", err, r.Head)
	}
	return r, nil
}

func readChunked(br *bufio.Reader) ([]byte, error) {
	var body bytes.Buffer
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return nil, err
		}
		size, _, _ := strings.Cut(strings.TrimSpace(line), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil {
			return nil, fmt.Errorf("bad chunk size %q", line)
		}
		if n == 0 {
			for { // trailers
				l, err := br.ReadString('\n')
				if err != nil {
					return nil, err
				}
				if strings.TrimRight(l, "\r\n") == "" {
					return body.Bytes(), nil
				}
			}
		}
		if _, err := io.CopyN(&body, br, n); err != nil {
			return nil, err
		}
		if l, err := br.ReadString('\n'); err != nil || strings.TrimRight(l, "\r\n") != "" {
			return nil, fmt.Errorf("missing CRLF after chunk (%q, %v)", l, err)
		}
	}
}

// RoundTrip sends raw on a new connection and reads one response.
func RoundTrip(t testing.TB, addr, raw string) *Response {
	t.Helper()
	c := Dial(t, addr)
	defer c.Close()
	c.Send(raw)
	method, _, _ := strings.Cut(raw, " ")
	return c.Read(method)
}

// Get sends "GET path" with Host and the given extra header lines
// ("Name: value") on a new connection, reads one response and closes.
func Get(t testing.TB, addr, path string, headers ...string) *Response {
	t.Helper()
	return RoundTrip(t, addr, Request("GET", path, headers...)+"\r\n")
}

// Request builds a request head without its final empty line, so callers
// can add fields: "METHOD path HTTP/1.1", "Host: test.local" unless headers
// carry a Host line, then headers.
func Request(method, path string, headers ...string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\n", method, path)
	host := false
	for _, h := range headers {
		host = host || len(h) > 5 && strings.EqualFold(h[:5], "host:")
	}
	if !host {
		b.WriteString("Host: test.local\r\n")
	}
	for _, h := range headers {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	return b.String()
}
