package h2

import (
	"bufio"
	"io"
	"math"
	"net"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/h1"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h1Echo serves each stream through its HTTP/1.1 view, as the proxy
// does: it parses the request head, reads the body, and answers with a
// chunked response carrying a trailer. The request as seen in HTTP/1.1
// goes to got.
func h1Echo(got chan<- string) Handler {
	return handlerFunc(func(s *Stream) {
		c := s.H1Conn(nil, nil)
		defer c.Close()
		br := bufio.NewReader(c)
		var head strings.Builder
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				return
			}
			head.WriteString(line)
			if line == "\r\n" {
				break
			}
		}
		var req h1.Request
		if err := h1.ParseRequest([]byte(head.String()), &req, &h1.Limits{}); err != nil {
			got <- "parse error: " + err.Error()
			return
		}
		var body []byte
		switch req.Body {
		case h1.BodyLength:
			body = make([]byte, req.ContentLength)
			io.ReadFull(br, body)
		case h1.BodyChunked:
			raw, _ := io.ReadAll(io.LimitReader(br, 1<<20)) // until EOF: the adapter waits for the response
			_ = raw
		}
		got <- head.String() + string(body)
		io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nConnection: keep-alive\r\nTransfer-Encoding: chunked\r\n\r\n"+
			"5\r\nhello\r\n1;ext=1\r\n \r\n5\r\nworld\r\n0\r\nX-Check: yes\r\n\r\n")
	})
}

func TestExchangeThroughH1(t *testing.T) {
	got := make(chan string, 1)
	s := newServer(t, Settings{}, h1Echo(got))
	s.get(1, "/a?b=c", "cookie", "a=1", "user-agent", "t", "cookie", "b=2")
	head := <-got
	want := "GET /a?b=c HTTP/1.1\r\nhost: example.com\r\ncookie: a=1; b=2\r\nuser-agent: t\r\n\r\n"
	if head != want {
		t.Errorf("request as HTTP/1.1:\n%q\nwant\n%q", head, want)
	}
	status, body, trailers := s.response(1)
	if status != "200" || body != "hello world" || len(trailers) != 1 || trailers[0].Name != "x-check" || trailers[0].Value != "yes" {
		t.Errorf("response %s %q %v", status, body, trailers)
	}

	// A POST with content-length goes out with it; one without, chunked.
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, EndHeaders: true,
		BlockFragment: s.block(":method", "POST", ":scheme", "http", ":path", "/p", ":authority", "h", "content-length", "3")})
	s.fr.WriteData(3, true, []byte("abc"))
	if head := <-got; head != "POST /p HTTP/1.1\r\nhost: h\r\ncontent-length: 3\r\n\r\nabc" {
		t.Errorf("POST: %q", head)
	}
	s.response(3)
}

func TestRequestValidation(t *testing.T) {
	// Each request is malformed (RFC 9113 8.2, 8.3): the stream is reset
	// with PROTOCOL_ERROR and the handler never runs.
	cases := []struct {
		name string
		kv   []string
	}{
		{"connection field", []string{"connection", "close"}},
		{"transfer-encoding", []string{"transfer-encoding", "chunked"}},
		{"keep-alive", []string{"keep-alive", "5"}},
		{"upgrade", []string{"upgrade", "websocket"}},
		{"te not trailers", []string{"te", "gzip"}},
		{"upper-case name", []string{"X-Upper", "1"}},
		{"CR LF in value", []string{"x-a", "1\r\nx-b: 2"}},
		{"LF in value", []string{"x-a", "1\nx-b: 2"}},
		{"NUL in value", []string{"x-a", "1\x00"}},
		{"CR in name", []string{"x-a\r\nx-b", "1"}},
		{"NUL in name", []string{"x\x00a", "1"}},
		{"space in name", []string{"x a", "1"}},
		{"leading space", []string{"x-a", " 1"}},
		{"trailing tab", []string{"x-a", "1\t"}},
		{"content-length not digits", []string{"content-length", "1,1"}},
		{"content-length twice", []string{"content-length", "1", "content-length", "2"}},
		{"unknown pseudo", []string{":proto", "x"}},
	}
	var ran atomic.Int32
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) {
		ran.Add(1)
		io.Copy(io.Discard, st) // ends with the reset
		st.Reset(http2.ErrCodeCancel)
	}))
	id := uint32(1)
	for _, c := range cases {
		s.get(id, "/", c.kv...)
		s.expectReset(id, http2.ErrCodeProtocol)
		id += 2
	}
	// Pseudo-header fields: missing, empty or misplaced.
	for _, kv := range [][]string{
		{":method", "GET", ":scheme", "http", ":authority", "h"},                         // no :path
		{":method", "GET", ":scheme", "http", ":path", "", ":authority", "h"},            // empty :path
		{":method", "GET", ":path", "/", ":authority", "h"},                              // no :scheme
		{":method", "GET", ":scheme", "http", ":path", "a", ":authority", "h"},           // not origin-form
		{":method", "GET", ":scheme", "http", ":path", "/a b", ":authority", "h"},        // space in :path
		{":method", "G T", ":scheme", "http", ":path", "/", ":authority", "h"},           // space in :method
		{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "h", ":x", ""}, // pseudo after... unknown
		{":method", "GET", ":scheme", "http", ":path", "/", "x", "1", ":authority", "h"}, // pseudo after regular
		{":method", "GET", ":method", "GET", ":scheme", "http", ":path", "/"},            // duplicate
	} {
		s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: s.block(kv...), EndStream: true, EndHeaders: true})
		s.expectReset(id, http2.ErrCodeProtocol)
		id += 2
	}
	// None of those reached a handler: each was refused at its HEADERS.
	if n := ran.Load(); n != 0 {
		t.Errorf("handlers ran for %d requests refused at their HEADERS", n)
	}
	// content-length against DATA: more, or less at END_STREAM. These are
	// found only once DATA arrives, after the stream was handed to its
	// handler, whose goroutine may or may not have started by the reset.
	for _, data := range []string{"abcd", "ab"} {
		s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, EndHeaders: true,
			BlockFragment: s.block(":method", "POST", ":scheme", "http", ":path", "/", ":authority", "h", "content-length", "3")})
		s.fr.WriteData(id, true, []byte(data))
		s.expectReset(id, http2.ErrCodeProtocol)
		id += 2
	}
	if n := ran.Load(); n > 2 {
		t.Errorf("handlers ran for %d malformed requests; at most the 2 content-length cases (checked on DATA) may reach one", n)
	}
}

func TestZeroWindowStall(t *testing.T) {
	s := newServer(t, Settings{WriteTimeout: 200 * time.Millisecond}, okHandler)
	s.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
	s.get(1, "/")
	for {
		f := s.next()
		if _, ok := f.(*http2.MetaHeadersFrame); ok {
			continue
		}
		r, ok := f.(*http2.RSTStreamFrame)
		if !ok || r.ErrCode != http2.ErrCodeCancel {
			t.Fatalf("got %v, want RST_STREAM CANCEL", f)
		}
		break
	}
	waitFor(t, "the log line", func() bool { return strings.Contains(s.log.String(), "zero-window stall") })
	// The connection lives on: a stream with a window is served.
	s.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 65535})
	s.get(3, "/")
	if st, body, _ := s.response(3); st != "200" || body != "ok" {
		t.Errorf("after the stall: %s %q", st, body)
	}
}

func TestConcurrencyLimit(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, Settings{Limits: Limits{MaxConcurrentStreams: 2}}, handlerFunc(func(st *Stream) {
		<-release
		okHandler(st)
	}))
	s.get(1, "/")
	s.get(3, "/")
	s.get(5, "/")
	s.expectReset(5, http2.ErrCodeRefusedStream)
	close(release)
	s.response(1)
	s.response(3)
}

func TestGracefulShutdown(t *testing.T) {
	release := make(chan struct{})
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) {
		<-release
		okHandler(st)
	}))
	s.get(1, "/")
	waitFor(t, "the stream to run", func() bool {
		s.conn.mu.Lock()
		defer s.conn.mu.Unlock()
		return s.conn.running == 1
	})
	s.conn.Shutdown()
	g := s.expectGoAway(http2.ErrCodeNo)
	if g.LastStreamID != math.MaxInt32 {
		t.Fatalf("first GOAWAY names %d, want 2^31-1", g.LastStreamID)
	}
	// The PING follows; a stream opened before answering it is served.
	var ping *http2.PingFrame
	for ping == nil {
		if p, ok := s.next().(*http2.PingFrame); ok {
			ping = p
		}
	}
	s.get(3, "/")
	waitFor(t, "stream 3", func() bool {
		s.conn.mu.Lock()
		defer s.conn.mu.Unlock()
		return s.conn.maxSeen == 3
	})
	s.fr.WritePing(true, ping.Data)
	g = s.expectGoAway(http2.ErrCodeNo)
	if g.LastStreamID != 3 {
		t.Fatalf("final GOAWAY names %d, want 3", g.LastStreamID)
	}
	s.get(5, "/") // after the final GOAWAY: ignored
	close(release)
	for _, id := range []uint32{1, 3} {
		if st, body, _ := s.response(id); st != "200" || body != "ok" {
			t.Errorf("stream %d: %s %q", id, st, body)
		}
	}
	s.waitClosed()
	if err := <-s.done; err != nil {
		t.Errorf("Serve: %v", err)
	}
	s.done <- nil // for the cleanup
}

func TestIdleTimeout(t *testing.T) {
	s := newServer(t, Settings{IdleTimeout: 100 * time.Millisecond}, okHandler)
	s.get(1, "/")
	s.response(1)
	s.expectGoAway(http2.ErrCodeNo)
	s.waitClosed()
}

// TestRequestFlowControl: a client uploading more than a window gets
// the window back as the handler reads, and never more than the window
// in flight.
func TestRequestFlowControl(t *testing.T) {
	got := make(chan int, 1)
	s := newServer(t, Settings{Limits: Limits{InitialWindowSize: 1000}}, handlerFunc(func(st *Stream) {
		n, _ := io.Copy(io.Discard, st)
		got <- int(n)
		st.WriteHeaders(204, nil, true)
	}))
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
		BlockFragment: s.block(":method", "POST", ":scheme", "http", ":path", "/", ":authority", "h")})
	win, sent := 1000, 0
	chunk := make([]byte, 400)
	for sent < 5000 {
		for win >= len(chunk) && sent < 5000 {
			s.fr.WriteData(1, false, chunk)
			win -= len(chunk)
			sent += len(chunk)
		}
		if sent >= 5000 {
			break
		}
		s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := s.fr.ReadFrame()
		if err != nil {
			t.Fatal(err)
		}
		if w, ok := f.(*http2.WindowUpdateFrame); ok && w.StreamID == 1 {
			win += int(w.Increment)
		}
	}
	s.fr.WriteData(1, true, nil)
	if n := <-got; n != sent {
		t.Errorf("handler read %d, sent %d", n, sent)
	}
	s.response(1)
}

// TestInterimResponse: 100 Continue from the HTTP/1.1 side becomes an
// interim HEADERS frame.
func TestInterimResponse(t *testing.T) {
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) {
		c := st.H1Conn(nil, nil)
		defer c.Close()
		io.WriteString(c, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
	}))
	s.get(1, "/")
	var statuses []string
	for {
		f := s.next()
		if h, ok := f.(*http2.MetaHeadersFrame); ok {
			statuses = append(statuses, h.PseudoValue("status"))
		}
		if d, ok := f.(*http2.DataFrame); ok && d.StreamEnded() {
			break
		}
	}
	if strings.Join(statuses, ",") != "100,200" {
		t.Errorf("statuses %v", statuses)
	}
}

var _ = hpack.HeaderField{}

// TestHalfCloseAfterLastRequest: on a plain TCP connection the reader
// waits for the poller after a short read (sockio), and a FIN that came
// with the last bytes raises no edge of its own. The connection must
// still end soon after its last stream (its short deadline, then a
// direct read that tries first), not at the idle timeout.
func TestHalfCloseAfterLastRequest(t *testing.T) {
	for i := range 5 { // the FIN shares the bytes' edge in some runs only
		s := newServer(t, Settings{IdleTimeout: time.Minute}, h1Echo(make(chan string, 4)))
		s.get(1, "/a")
		s.response(1) // the reader's last read came back short
		s.get(3, "/b")
		s.c.(*net.TCPConn).CloseWrite()
		if status, _, _ := s.response(3); status != "200" {
			t.Fatalf("run %d: last request answered %q", i, status)
		}
		s.waitClosed() // fails after 10 s, far below the idle minute
	}
}
