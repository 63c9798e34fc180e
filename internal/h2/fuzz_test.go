package h2

import (
	"bytes"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// fuzzConn is a client connection replaying fixed bytes; what the server
// writes is dropped.
type fuzzConn struct {
	r *bytes.Reader
}

func (c *fuzzConn) Read(p []byte) (int, error)         { return c.r.Read(p) }
func (c *fuzzConn) Write(p []byte) (int, error)        { return len(p), nil }
func (c *fuzzConn) Close() error                       { return nil }
func (c *fuzzConn) LocalAddr() net.Addr                { return &net.TCPAddr{} }
func (c *fuzzConn) RemoteAddr() net.Addr               { return &net.TCPAddr{} }
func (c *fuzzConn) SetDeadline(t time.Time) error      { return nil }
func (c *fuzzConn) SetReadDeadline(t time.Time) error  { return nil }
func (c *fuzzConn) SetWriteDeadline(t time.Time) error { return nil }

// seedFrames builds a client's frames after the preface with a framer.
func seedFrames(write func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer)) []byte {
	var out, hb bytes.Buffer
	fr := http2.NewFramer(&out, nil)
	enc := hpack.NewEncoder(&hb)
	write(fr, enc, &hb)
	return out.Bytes()
}

func reqBlock(enc *hpack.Encoder, hb *bytes.Buffer, kv ...string) []byte {
	hb.Reset()
	for i := 0; i+1 < len(kv); i += 2 {
		enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
	}
	return append([]byte(nil), hb.Bytes()...)
}

// FuzzFrames feeds arbitrary bytes after the client preface to a server
// connection whose streams go through the HTTP/1.1 view: no input may
// panic it, and Serve and every stream handler must end when the input
// does.
func FuzzFrames(f *testing.F) {
	f.Add(seedFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 10})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true,
			BlockFragment: reqBlock(enc, hb, ":method", "GET", ":scheme", "http", ":path", "/", ":authority", "h", "cookie", "a", "cookie", "b")})
		fr.WriteWindowUpdate(1, 100)
		fr.WritePing(false, [8]byte{1})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 3, EndHeaders: false,
			BlockFragment: reqBlock(enc, hb, ":method", "POST", ":scheme", "http", ":path", "/p", ":authority", "h")})
		fr.WriteContinuation(3, true, reqBlock(enc, hb, "content-length", "3"))
		fr.WriteData(3, false, []byte("ab"))
		fr.WriteDataPadded(3, true, []byte("c"), []byte{0, 0})
		fr.WriteRSTStream(3, http2.ErrCodeCancel)
		fr.WritePriority(5, http2.PriorityParam{StreamDep: 5})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
			BlockFragment: reqBlock(enc, hb, ":method", "POST", ":scheme", "http", ":path", "/", ":authority", "h")})
		fr.WriteData(1, false, []byte("chunk"))
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndStream: true, EndHeaders: true,
			BlockFragment: reqBlock(enc, hb, "x-trailer", "1")})
		fr.WriteGoAway(0, http2.ErrCodeNo, nil)
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		var wg sync.WaitGroup
		h := handlerFunc(func(st *Stream) {
			wg.Add(1)
			defer wg.Done()
			c := st.H1Conn(nil, nil)
			io.Copy(io.Discard, io.LimitReader(c, 1<<20))
			io.WriteString(c, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\nx: y\r\n\r\n")
			c.Close()
		})
		in := append([]byte(ClientPreface), data...)
		sc := NewConn(&fuzzConn{r: bytes.NewReader(in)}, Settings{WriteTimeout: time.Second}, h)
		done := make(chan struct{})
		go func() {
			sc.Serve()
			close(done)
		}()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Serve did not end with its input")
		}
		waited := make(chan struct{})
		go func() {
			sc.mu.Lock()
			for sc.running > 0 {
				sc.cond.Wait()
			}
			sc.mu.Unlock()
			close(waited)
		}()
		select {
		case <-waited:
		case <-time.After(10 * time.Second):
			t.Fatal("a stream handler outlived its connection")
		}
		wg.Wait()
	})
}
