package sample

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// maxHead bounds a request head; a longer one gets 400.
const maxHead = 64 << 10

// Server is one labelled backend listening on Addr.
type Server struct {
	Addr  string // the listening address, with the kernel-picked port
	Label string // named in every response body and in X-Backend

	ln       net.Listener
	requests atomic.Int64
	done     chan struct{}

	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	closed bool
	wg     sync.WaitGroup
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves until
// Close.
func Start(addr, label string) (*Server, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("sample backend %q: %w", label, err)
	}
	s := &Server{
		Addr:  ln.Addr().String(),
		Label: label,
		ln:    ln,
		done:  make(chan struct{}),
		conns: make(map[net.Conn]struct{}),
	}
	s.wg.Add(1)
	go s.acceptLoop()
	return s, nil
}

// Requests returns how many requests the server has started to answer.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Close stops listening, closes every connection and waits for their
// goroutines to end.
func (s *Server) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.done)
	err := s.ln.Close()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return err
}

func (s *Server) acceptLoop() {
	defer s.wg.Done()
	for {
		c, err := s.ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			select {
			case <-s.done:
				return
			default:
			}
			// Transient accept errors (EMFILE under load tests): back off
			// briefly rather than spin or give up.
			select {
			case <-s.done:
				return
			case <-time.After(10 * time.Millisecond):
			}
			continue
		}
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.wg.Add(1)
		s.mu.Unlock()
		go s.serveConn(c)
	}
}

func (s *Server) serveConn(c net.Conn) {
	defer s.wg.Done()
	defer func() {
		c.Close()
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
	}()
	br := bufio.NewReaderSize(c, 16<<10)
	bw := bufio.NewWriterSize(c, 16<<10)
	for {
		req, err := readRequest(br)
		if err != nil {
			if errors.Is(err, errBadRequest) {
				s.requests.Add(1)
				writeSimple(bw, 400, "Bad Request", s.Label, "", "bad request: "+err.Error()+"\n")
				bw.Flush()
			}
			return
		}
		s.requests.Add(1)
		keep, err := s.serve(c, br, bw, req)
		if err != nil || !keep {
			return
		}
	}
}

// request is one parsed request head.
type request struct {
	raw         []byte // the head as received, final empty line included
	method      string
	target      string
	path        string
	query       string
	minor       int // HTTP/1.<minor>
	headers     []field
	bodyLen     int64 // -1: chunked; 0: none
	keep        bool  // the client allows the connection to stay open
	continue100 bool
	upgrade     bool
}

type field struct{ name, value string }

func (r *request) header(name string) string {
	for _, f := range r.headers {
		if strings.EqualFold(f.name, name) {
			return f.value
		}
	}
	return ""
}

func (r *request) queryInt(key string, def int64) int64 {
	for _, kv := range strings.Split(r.query, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if k == key {
			n, err := strconv.ParseInt(v, 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return def
}

var errBadRequest = errors.New("bad request")

func badf(format string, a ...any) error {
	return fmt.Errorf("%w: "+format, append([]any{errBadRequest}, a...)...)
}

// readRequest reads one request head. io.EOF means the client closed
// between requests.
func readRequest(br *bufio.Reader) (*request, error) {
	var raw []byte
	var lines []string
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			return nil, badf("header line too long")
		}
		if err != nil {
			if len(raw) == 0 && len(line) == 0 && err == io.EOF {
				return nil, io.EOF
			}
			if err == io.EOF {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		raw = append(raw, line...)
		if len(raw) > maxHead {
			return nil, badf("head over %d bytes", maxHead)
		}
		text := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
		if text == "" {
			if len(lines) == 0 {
				// RFC 9112 2.2: ignore empty lines before the request line.
				raw = raw[:0]
				continue
			}
			break
		}
		lines = append(lines, text)
	}
	req := &request{raw: raw}
	parts := strings.Split(lines[0], " ")
	if len(parts) != 3 || parts[0] == "" || parts[1] == "" {
		return nil, badf("request line %q", lines[0])
	}
	req.method, req.target = parts[0], parts[1]
	switch parts[2] {
	case "HTTP/1.1":
		req.minor = 1
	case "HTTP/1.0":
		req.minor = 0
	default:
		return nil, badf("version %q", parts[2])
	}
	req.path, req.query, _ = strings.Cut(req.target, "?")
	if i := strings.Index(req.path, "://"); i >= 0 {
		// absolute-form: keep only the path.
		rest := req.path[i+3:]
		if j := strings.IndexByte(rest, '/'); j >= 0 {
			req.path = rest[j:]
		} else {
			req.path = "/"
		}
	}
	var cl []string
	var te string
	connTokens := ""
	for _, l := range lines[1:] {
		if l[0] == ' ' || l[0] == '\t' {
			return nil, badf("obsolete line folding")
		}
		name, value, ok := strings.Cut(l, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			return nil, badf("header line %q", l)
		}
		value = strings.Trim(value, " \t")
		req.headers = append(req.headers, field{name, value})
		switch strings.ToLower(name) {
		case "content-length":
			cl = append(cl, value)
		case "transfer-encoding":
			if te != "" {
				te += ", "
			}
			te += value
		case "connection":
			connTokens += "," + strings.ToLower(value)
		case "expect":
			req.continue100 = strings.EqualFold(value, "100-continue")
		case "upgrade":
			req.upgrade = value != ""
		}
	}
	switch {
	case te != "" && len(cl) > 0:
		return nil, badf("both Content-Length and Transfer-Encoding")
	case te != "":
		if !strings.EqualFold(strings.TrimSpace(lastToken(te)), "chunked") {
			return nil, badf("transfer-encoding %q", te)
		}
		req.bodyLen = -1
	case len(cl) > 0:
		for _, v := range cl[1:] {
			if v != cl[0] {
				return nil, badf("conflicting Content-Length")
			}
		}
		n, err := strconv.ParseInt(cl[0], 10, 64)
		if err != nil || n < 0 || cl[0][0] == '+' {
			return nil, badf("Content-Length %q", cl[0])
		}
		req.bodyLen = n
	}
	closeTok := hasToken(connTokens, "close")
	if req.minor == 0 {
		req.keep = hasToken(connTokens, "keep-alive") && !closeTok
	} else {
		req.keep = !closeTok
	}
	return req, nil
}

func lastToken(s string) string {
	if i := strings.LastIndexByte(s, ','); i >= 0 {
		return s[i+1:]
	}
	return s
}

func hasToken(list, tok string) bool {
	for _, t := range strings.Split(list, ",") {
		if strings.TrimSpace(t) == tok {
			return true
		}
	}
	return false
}

// serve answers one request and reports whether the connection may carry
// another.
func (s *Server) serve(c net.Conn, br *bufio.Reader, bw *bufio.Writer, req *request) (bool, error) {
	body := newBodyReader(br, req.bodyLen)
	if req.continue100 && req.bodyLen != 0 && req.minor == 1 {
		bw.WriteString("HTTP/1.1 100 Continue\r\n\r\n")
		if err := bw.Flush(); err != nil {
			return false, err
		}
	}
	keep := req.keep
	head := req.method == "HEAD"
	status, reason := 200, "OK"
	payload := "backend " + s.Label + "\n"

	switch req.path {
	case "/slow":
		ms := req.queryInt("ms", 0)
		if ms > 0 {
			t := time.NewTimer(time.Duration(ms) * time.Millisecond)
			select {
			case <-t.C:
			case <-s.done:
				t.Stop()
				return false, net.ErrClosed
			}
		}
	case "/size":
		if _, err := io.Copy(io.Discard, body); err != nil {
			return false, err
		}
		n := req.queryInt("bytes", 0)
		if n < 0 {
			n = 0
		}
		s.writeHead(bw, req, 200, "OK", fmt.Sprintf("Content-Length: %d\r\n", n), keep)
		if !head {
			if err := writePattern(bw, n); err != nil {
				return false, err
			}
		}
		return keep, bw.Flush()
	case "/echo":
		return s.echo(bw, req, body, keep)
	case "/headers":
		payload = string(req.raw)
	case "/status":
		code := req.queryInt("code", 200)
		if code < 200 || code > 599 {
			status, reason = 400, "Bad Request"
			payload = "status code must be 200..599\n"
		} else {
			status, reason = int(code), "Status"
		}
	case "/close":
		keep = false
	case "/upgrade":
		if req.upgrade {
			if _, err := io.Copy(io.Discard, body); err != nil {
				return false, err
			}
			s.writeHead(bw, req, 101, "Switching Protocols",
				"Upgrade: websocket\r\nConnection: Upgrade\r\n", true)
			if err := bw.Flush(); err != nil {
				return false, err
			}
			return false, tunnelEcho(c, br)
		}
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		return false, err
	}
	if status == 204 || status == 304 {
		s.writeHead(bw, req, status, reason, "", keep)
	} else {
		s.writeHead(bw, req, status, reason, fmt.Sprintf("Content-Length: %d\r\n", len(payload)), keep)
		if !head {
			bw.WriteString(payload)
		}
	}
	return keep, bw.Flush()
}

// writeHead writes a status line and the common headers; extra is a block
// of complete header lines.
func (s *Server) writeHead(bw *bufio.Writer, req *request, status int, reason, extra string, keep bool) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\n", status, reason)
	bw.WriteString("Content-Type: text/plain\r\n")
	bw.WriteString("X-Backend: " + s.Label + "\r\n")
	bw.WriteString("X-Request-Path: " + req.path + "\r\n")
	bw.WriteString("X-Request-Target: " + req.target + "\r\n")
	bw.WriteString(extra)
	if status != 101 {
		switch {
		case !keep:
			bw.WriteString("Connection: close\r\n")
		case req.minor == 0:
			bw.WriteString("Connection: keep-alive\r\n")
		}
	}
	bw.WriteString("\r\n")
}

func writeSimple(bw *bufio.Writer, status int, reason, label, extra, payload string) {
	fmt.Fprintf(bw, "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nX-Backend: %s\r\n%sContent-Length: %d\r\nConnection: close\r\n\r\n%s",
		status, reason, label, extra, len(payload), payload)
}

const alphabet = "abcdefghijklmnopqrstuvwxyz"

var patternBlock = bytes.Repeat([]byte(alphabet), 1024)

// writePattern writes n bytes of 'a'..'z' repeated.
func writePattern(w io.Writer, n int64) error {
	for n > 0 {
		k := int64(len(patternBlock))
		if k > n {
			k = n
		}
		if _, err := w.Write(patternBlock[:k]); err != nil {
			return err
		}
		n -= k
	}
	return nil
}

// echo streams the request body back as it arrives, flushing after every
// read so that slow uploads are echoed slowly.
func (s *Server) echo(bw *bufio.Writer, req *request, body *bodyReader, keep bool) (bool, error) {
	head := req.method == "HEAD"
	if req.bodyLen >= 0 {
		s.writeHead(bw, req, 200, "OK", fmt.Sprintf("Content-Length: %d\r\n", req.bodyLen), keep)
		if err := bw.Flush(); err != nil {
			return false, err
		}
		dst := io.Writer(bw)
		if head {
			dst = io.Discard
		}
		if err := copyFlush(dst, bw, body); err != nil {
			return false, err
		}
		return keep, bw.Flush()
	}
	if head {
		s.writeHead(bw, req, 200, "OK", "", keep)
		io.Copy(io.Discard, body)
		return keep, bw.Flush()
	}
	s.writeHead(bw, req, 200, "OK", "Transfer-Encoding: chunked\r\n", keep)
	if err := bw.Flush(); err != nil {
		return false, err
	}
	if err := copyFlush(chunkWriter{bw}, bw, body); err != nil {
		return false, err
	}
	bw.WriteString("0\r\n\r\n")
	return keep, bw.Flush()
}

func copyFlush(dst io.Writer, bw *bufio.Writer, src io.Reader) error {
	buf := make([]byte, 16<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return werr
			}
			if werr := bw.Flush(); werr != nil {
				return werr
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

type chunkWriter struct{ w *bufio.Writer }

func (c chunkWriter) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	fmt.Fprintf(c.w, "%x\r\n", len(p))
	c.w.Write(p)
	_, err := c.w.WriteString("\r\n")
	return len(p), err
}

// tunnelEcho copies everything the client sends back to it, starting with
// bytes already buffered, until the client closes its side.
func tunnelEcho(c net.Conn, br *bufio.Reader) error {
	_, err := io.Copy(c, br)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
	return err
}

// bodyReader decodes a request body framed by Content-Length (n >= 0) or
// chunked transfer coding (n == -1).
type bodyReader struct {
	br      *bufio.Reader
	left    int64 // bytes left in the body or the current chunk
	chunked bool
	done    bool
}

func newBodyReader(br *bufio.Reader, n int64) *bodyReader {
	if n < 0 {
		return &bodyReader{br: br, chunked: true}
	}
	return &bodyReader{br: br, left: n, done: n == 0}
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.done {
		return 0, io.EOF
	}
	if b.chunked && b.left == 0 {
		n, err := b.chunkSize()
		if err != nil {
			return 0, err
		}
		if n == 0 {
			if err := b.trailers(); err != nil {
				return 0, err
			}
			b.done = true
			return 0, io.EOF
		}
		b.left = n
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.br.Read(p)
	b.left -= int64(n)
	if err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	if b.left == 0 && err == nil {
		if b.chunked {
			if err := b.crlf(); err != nil {
				return n, err
			}
		} else {
			b.done = true
		}
	}
	return n, err
}

func (b *bodyReader) chunkSize() (int64, error) {
	line, err := b.line()
	if err != nil {
		return 0, err
	}
	if i := strings.IndexByte(line, ';'); i >= 0 {
		line = line[:i]
	}
	line = strings.TrimRight(line, " \t")
	n, err := strconv.ParseInt(line, 16, 64)
	if err != nil || n < 0 || line == "" || len(line) > 15 {
		return 0, badf("chunk size %q", line)
	}
	return n, nil
}

func (b *bodyReader) trailers() error {
	for {
		line, err := b.line()
		if err != nil {
			return err
		}
		if line == "" {
			return nil
		}
	}
}

func (b *bodyReader) crlf() error {
	line, err := b.line()
	if err != nil {
		return err
	}
	if line != "" {
		return badf("chunk not followed by CRLF")
	}
	return nil
}

func (b *bodyReader) line() (string, error) {
	l, err := b.br.ReadSlice('\n')
	if err == bufio.ErrBufferFull {
		return "", badf("chunk line too long")
	}
	if err == io.EOF {
		return "", io.ErrUnexpectedEOF
	}
	if err != nil {
		return "", err
	}
	return strings.TrimSuffix(strings.TrimSuffix(string(l), "\n"), "\r"), nil
}
