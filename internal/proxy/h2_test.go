package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/internal/tlsconf/tlstest"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Client is an HTTP/2 client of the harness: over TLS (ALPN h2) when
// tc is set, else clear text with prior knowledge. One Transport keeps
// one connection, so every request is a stream of it.
func h2Client(h *harness, tc *tls.Config) *http.Client {
	tr := &http2.Transport{}
	if tc != nil {
		tc = tc.Clone()
		tc.NextProtos = []string{"h2"}
		tr.TLSClientConfig = tc
		tr.DialTLSContext = func(ctx context.Context, _, _ string, cfg *tls.Config) (net.Conn, error) {
			return (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", h.addr)
		}
	} else {
		tr.AllowHTTP = true
		tr.DialTLSContext = func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "tcp", h.addr)
		}
	}
	h.t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

func TestH2OverTLS(t *testing.T) {
	env := newTLSEnv(t)
	env.cert(t, "www.pem", tlstest.Options{}, "www.example.com")
	be := newLabelled(t, "a", func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.Proto+" "+r.Header.Get("X-Forwarded-Proto")+" "+r.Header.Get("X-ALPN"))
	})
	cfg, b := env.parse(t, tlsDefaults+`listen web
  bind 127.0.0.1:1 ssl crt ${DIR}/www.pem
  option httplog
  log global
  http-request set-header X-Forwarded-Proto https if { ssl_fc }
  http-request set-header X-ALPN %[ssl_fc_alpn]
  server s `+be.addr()+`
`)
	h := startOpts(t, cfg, Options{TLS: b})
	c := h2Client(h, env.client("www.example.com"))
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := c.Get("https://www.example.com/x")
			if err != nil {
				errs <- err
				return
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.ProtoMajor != 2 || string(body) != "HTTP/1.1 https h2" {
				errs <- fmt.Errorf("%s %q", resp.Proto, body)
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	waitFor(t, "log lines", func() bool { return strings.Count(h.log.String(), "web~ web/s ") >= n })
	if !strings.Contains(h.log.String(), `"GET https://www.example.com/x HTTP/2.0"`) { // as HAProxy logs a stream
		t.Errorf("log: %s", h.log.String())
	}
}

func TestH2PriorKnowledge(t *testing.T) {
	be := newLabelled(t, "a", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Len", fmt.Sprint(len(body)))
		fmt.Fprintf(w, "%s %s %v %q", r.Method, r.Host, r.TransferEncoding, body)
	})
	p := listenProxy("h2c", be.addr())
	p.Binds[0].Proto = "h2"
	h := start(t, cfgOf(p))
	c := h2Client(h, nil)
	resp, err := c.Post("http://svc.example/up", "text/plain", strings.NewReader("hello"))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	// A body of known length keeps it; net/http's client sends it with
	// content-length.
	if resp.ProtoMajor != 2 || string(body) != `POST svc.example [] "hello"` {
		t.Errorf("%s %q", resp.Proto, body)
	}
	// A body of unknown length goes to the server chunked.
	pr, pw := io.Pipe()
	go func() { io.WriteString(pw, "stream"); pw.Close() }()
	resp, err = c.Post("http://svc.example/up", "text/plain", pr)
	if err != nil {
		t.Fatal(err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if string(body) != `POST svc.example [chunked] "stream"` {
		t.Errorf("unknown length: %q", body)
	}
	if be.conns.Load() != 1 {
		t.Errorf("%d server connections for 2 streams (the pool is shared)", be.conns.Load())
	}
}

// TestH2SoftStop: streams in flight when the generation drains complete;
// the connection gets GOAWAY and closes, and the engine is done.
func TestH2SoftStop(t *testing.T) {
	release := make(chan struct{})
	arrived := make(chan struct{}, 10)
	be := newLabelled(t, "a", func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		io.WriteString(w, "done")
	})
	p := listenProxy("h2c", be.addr())
	p.Binds[0].Proto = "h2"
	h := start(t, cfgOf(p))
	c := h2Client(h, nil)
	const n = 5
	results := make(chan string, n)
	for i := 0; i < n; i++ {
		go func() {
			resp, err := c.Get("http://x/")
			if err != nil {
				results <- err.Error()
				return
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			results <- string(b)
		}()
	}
	for i := 0; i < n; i++ {
		<-arrived
	}
	h.e.SoftStop(time.Second)
	close(release)
	for i := 0; i < n; i++ {
		if r := <-results; r != "done" {
			t.Errorf("stream %d: %q", i, r)
		}
	}
	select {
	case <-h.e.Done():
	case <-time.After(10 * time.Second):
		t.Fatalf("engine not done: %d connections", h.e.Conns())
	}
}

// TestH2DowngradeSmuggling: requests that could be read two ways once in
// HTTP/1.1 (RFC 9113 8.2: content-length against DATA, connection and
// transfer-encoding fields, CR/LF/NUL in names and values) are reset on
// the HTTP/2 side before anything is forwarded that could frame a second
// request: the server never sees the smuggled one, and the well-formed
// request after them is served on the same connection. (A request whose
// DATA turns out longer or shorter than its content-length may already
// have its head at the server; its body is cut there, as when an
// HTTP/1.1 client goes away mid-body.)
func TestH2DowngradeSmuggling(t *testing.T) {
	var mu sync.Mutex
	var paths []string
	be := newLabelled(t, "a", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		mu.Lock()
		paths = append(paths, r.Method+" "+r.URL.Path)
		mu.Unlock()
	})
	p := listenProxy("h2c", be.addr())
	p.Binds[0].Proto = "h2"
	h := start(t, cfgOf(p))
	c, err := net.Dial("tcp", h.addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	io.WriteString(c, http2.ClientPreface)
	fr := http2.NewFramer(c, c)
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	fr.WriteSettings()
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	block := func(kv ...string) []byte {
		hb.Reset()
		kv = append([]string{":method", "POST", ":scheme", "http", ":path", "/", ":authority", "x"}, kv...)
		for i := 0; i+1 < len(kv); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		return append([]byte(nil), hb.Bytes()...)
	}
	smuggled := "GET /admin HTTP/1.1\r\nHost: x\r\n\r\n"
	cases := []struct {
		kv   []string
		data string
	}{
		{[]string{"content-length", "0"}, smuggled},
		{[]string{"content-length", "100"}, "short"},
		{[]string{"transfer-encoding", "chunked"}, "0\r\n\r\n" + smuggled},
		{[]string{"connection", "keep-alive"}, ""},
		{[]string{"x-a", "1\r\ncontent-length: 0"}, smuggled},
		{[]string{"x-a\r\ncontent-length", "0"}, smuggled},
		{[]string{"x-a", "a\x00b"}, ""},
	}
	next := func() http2.Frame {
		for {
			f, err := fr.ReadFrame()
			if err != nil {
				t.Fatal(err)
			}
			switch f.(type) {
			case *http2.SettingsFrame, *http2.WindowUpdateFrame:
				continue
			}
			return f
		}
	}
	id := uint32(1)
	for _, tc := range cases {
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block(tc.kv...), EndHeaders: true, EndStream: tc.data == ""})
		if tc.data != "" {
			fr.WriteData(id, true, []byte(tc.data))
		}
		f := next()
		// Skipped: STREAM_CLOSED for DATA after a reset, and the answer
		// to a head complete before its excess DATA arrived.
		for f.Header().StreamID < id || f.Header().Type != http2.FrameRSTStream && f.Header().StreamID == id {
			f = next()
		}
		if r, ok := f.(*http2.RSTStreamFrame); !ok || r.StreamID != id || r.ErrCode != http2.ErrCodeProtocol {
			t.Fatalf("%v: got %v, want RST_STREAM PROTOCOL_ERROR on %d", tc.kv, f, id)
		}
		id += 2
	}
	fr.WriteHeaders(http2.HeadersFrameParam{StreamID: id, BlockFragment: block("content-length", "2"), EndHeaders: true})
	fr.WriteData(id, true, []byte("ok"))
	for {
		f := next()
		if h, ok := f.(*http2.MetaHeadersFrame); ok && h.StreamID == id {
			if st := h.PseudoValue("status"); st != "200" {
				t.Fatalf("valid request: %s", st)
			}
			break
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range paths {
		if p != "POST /" {
			t.Errorf("the server saw %q", p)
		}
	}
}
