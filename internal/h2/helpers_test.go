package h2

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// handlerFunc adapts a function to Handler.
type handlerFunc func(*Stream)

func (f handlerFunc) ServeStream(s *Stream) { f(s) }

// okHandler answers every stream with 200 and "ok".
var okHandler = handlerFunc(func(s *Stream) {
	io.Copy(io.Discard, s)
	if s.WriteHeaders(200, []hpack.HeaderField{{Name: "content-type", Value: "text/plain"}}, false) == nil {
		s.WriteData([]byte("ok"), true)
	}
})

// logBuf collects a Conn's log lines.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// server runs one Conn on a loopback connection; client is the raw
// framer on the other end.
type server struct {
	t    *testing.T
	conn *Conn
	log  *logBuf
	done chan error
	c    net.Conn // the client's socket
	fr   *http2.Framer
	enc  *hpack.Encoder
	hbuf bytes.Buffer
	// results are the responses read so far, by stream.
	results map[uint32]*result
}

// loopbackPair returns the two ends of a loopback TCP connection.
func loopbackPair(tb testing.TB) (client, server net.Conn) {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer ln.Close()
	client, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		tb.Fatal(err)
	}
	server, err = ln.Accept()
	if err != nil {
		tb.Fatal(err)
	}
	return client, server
}

func newServer(t *testing.T, set Settings, h Handler) *server {
	t.Helper()
	cc, sconn := loopbackPair(t)
	s := &server{t: t, log: &logBuf{}, done: make(chan error, 1), c: cc}
	s.conn = NewConn(sconn, set, h)
	s.conn.Logf = s.log.logf
	go func() {
		err := s.conn.Serve()
		sconn.Close()
		s.done <- err
	}()
	t.Cleanup(func() {
		cc.Close()
		select {
		case <-s.done:
		case <-time.After(10 * time.Second):
			t.Error("Serve did not return after the client closed")
		}
	})
	s.fr = http2.NewFramer(cc, cc)
	s.fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	s.enc = hpack.NewEncoder(&s.hbuf)
	if _, err := io.WriteString(cc, ClientPreface); err != nil {
		t.Fatal(err)
	}
	s.fr.WriteSettings()
	// The server's SETTINGS and connection WINDOW_UPDATE.
	f := s.next()
	if sf, ok := f.(*http2.SettingsFrame); !ok || sf.IsAck() {
		t.Fatalf("first frame %v", f)
	}
	return s
}

// next reads the server's next frame (skipping SETTINGS acks, window
// updates and PING acks), failing the test after 10 s.
func (s *server) next() http2.Frame {
	s.t.Helper()
	for {
		s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := s.fr.ReadFrame()
		if err != nil {
			s.t.Fatalf("reading a frame: %v", err)
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if f.IsAck() {
				continue
			}
			s.fr.WriteSettingsAck()
		case *http2.WindowUpdateFrame:
			continue
		case *http2.PingFrame:
			if f.IsAck() {
				continue
			}
		}
		return f
	}
}

// block encodes header fields, given as name, value pairs.
func (s *server) block(kv ...string) []byte {
	s.hbuf.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		s.enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return append([]byte(nil), s.hbuf.Bytes()...)
}

// get sends a GET for path on stream id (END_STREAM), with extra fields.
func (s *server) get(id uint32, path string, extra ...string) {
	kv := append([]string{":method", "GET", ":scheme", "https", ":path", path, ":authority", "example.com"}, extra...)
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: s.block(kv...), EndStream: true, EndHeaders: true})
}

// expectGoAway reads frames until a GOAWAY and checks its code; it fails
// on EOF before one.
func (s *server) expectGoAway(code http2.ErrCode) *http2.GoAwayFrame {
	s.t.Helper()
	for {
		s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		f, err := s.fr.ReadFrame()
		if err != nil {
			s.t.Fatalf("no GOAWAY %v: %v", code, err)
		}
		if g, ok := f.(*http2.GoAwayFrame); ok {
			if g.ErrCode != code {
				s.t.Fatalf("GOAWAY %v, want %v", g.ErrCode, code)
			}
			return g
		}
	}
}

// expectReset reads frames until a RST_STREAM on id and checks its code.
func (s *server) expectReset(id uint32, code http2.ErrCode) {
	s.t.Helper()
	for {
		f := s.next()
		switch f := f.(type) {
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				if f.ErrCode != code {
					s.t.Fatalf("stream %d reset with %v, want %v", id, f.ErrCode, code)
				}
				return
			}
		case *http2.GoAwayFrame:
			s.t.Fatalf("GOAWAY %v while waiting for RST_STREAM %v on %d", f.ErrCode, code, id)
		case *http2.MetaHeadersFrame:
			if f.StreamID == id {
				s.t.Fatalf("stream %d answered (%v), want RST_STREAM %v", id, f.PseudoValue("status"), code)
			}
		}
	}
}

// result is one stream's response as read so far.
type result struct {
	status   string
	body     strings.Builder
	trailers []hpack.HeaderField
	done     bool
}

// response reads stream id's response: status, body, trailers. Frames
// of other streams read meanwhile are kept for their own call.
func (s *server) response(id uint32) (status string, body string, trailers []hpack.HeaderField) {
	s.t.Helper()
	if s.results == nil {
		s.results = map[uint32]*result{}
	}
	get := func(id uint32) *result {
		r := s.results[id]
		if r == nil {
			r = &result{}
			s.results[id] = r
		}
		return r
	}
	for !get(id).done {
		switch f := s.next().(type) {
		case *http2.MetaHeadersFrame:
			r := get(f.StreamID)
			if st := f.PseudoValue("status"); st != "" {
				r.status = st
			} else {
				r.trailers = f.RegularFields()
			}
			r.done = f.StreamEnded()
		case *http2.DataFrame:
			r := get(f.StreamID)
			r.body.Write(f.Data())
			r.done = f.StreamEnded()
		case *http2.RSTStreamFrame:
			if f.StreamID == id {
				s.t.Fatalf("stream %d reset: %v", id, f.ErrCode)
			}
		case *http2.GoAwayFrame:
			if f.ErrCode != http2.ErrCodeNo {
				s.t.Fatalf("GOAWAY %v", f.ErrCode)
			}
		}
	}
	r := get(id)
	return r.status, r.body.String(), r.trailers
}

// waitClosed waits for the server to close the connection (EOF).
func (s *server) waitClosed() {
	s.t.Helper()
	for {
		s.c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := s.fr.ReadFrame()
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) || errors.Is(err, net.ErrClosed) || strings.Contains(err.Error(), "reset") {
			return
		}
		s.t.Fatalf("waiting for the close: %v", err)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
