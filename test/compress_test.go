package e2e_test

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"compress/zlib"
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/http2"

	"baton/test/harness"
)

// compText is the origin's body: compressible text, larger than one
// 16 KiB buffer so the compressed body spans several reads.
var compText = func() string {
	var b strings.Builder
	for i := 0; b.Len() < 50000; i++ {
		fmt.Fprintf(&b, "line %d of the compression scenario, %d\n", i, i*7919%1000)
	}
	return b.String()
}()

// compMixed is a body of text, then 40,000 bytes that do not compress
// (a compressor sends them stored), then text again.
var compMixed = func() string {
	noise := make([]byte, 40000)
	x := uint32(1)
	for i := range noise {
		x = x*1664525 + 1013904223
		noise[i] = byte(x >> 24)
	}
	return compText[:20000] + string(noise) + compText
}()

const slowFirst = "the first part of a slow response\n"

// compOrigin serves compText with the headers the query asks for (ct,
// ce, cc, etag; status=206 adds a Content-Range) and echoes the
// Accept-Encoding it received in X-Got-AE. /slow sends slowFirst, then
// waits for release before the rest.
type compOrigin struct {
	addr    string
	release chan struct{}
	once    sync.Once
}

func startCompOrigin(t *testing.T) *compOrigin {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &compOrigin{addr: ln.Addr().String(), release: make(chan struct{})}
	srv := &http.Server{Handler: http.HandlerFunc(o.serve)}
	go srv.Serve(ln)
	t.Cleanup(func() { o.free(); srv.Close() })
	return o
}

func (o *compOrigin) free() { o.once.Do(func() { close(o.release) }) }

func (o *compOrigin) serve(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	h := w.Header()
	h.Set("X-Got-AE", strings.Join(r.Header.Values("Accept-Encoding"), ","))
	h.Set("Content-Type", "text/plain; charset=utf-8")
	if v := q.Get("ct"); v != "" {
		h.Set("Content-Type", v)
	}
	if v := q.Get("ce"); v != "" {
		h.Set("Content-Encoding", v)
	}
	if v := q.Get("cc"); v != "" {
		h.Set("Cache-Control", v)
	}
	h.Set("ETag", `"v1"`)
	if r.URL.Path == "/slow" {
		w.WriteHeader(200)
		io.WriteString(w, slowFirst)
		w.(http.Flusher).Flush()
		<-o.release
		io.WriteString(w, compText)
		return
	}
	if q.Get("mixed") != "" {
		h.Set("Content-Length", strconv.Itoa(len(compMixed)))
		io.WriteString(w, compMixed)
		return
	}
	h.Set("Content-Length", strconv.Itoa(len(compText)))
	if q.Get("status") == "206" {
		h.Set("Content-Range", fmt.Sprintf("bytes 0-%d/%d", len(compText)-1, 2*len(compText)))
		w.WriteHeader(206)
	}
	io.WriteString(w, compText)
}

func inflate(t *testing.T, coding string, body []byte) string {
	t.Helper()
	var r io.Reader
	var err error
	switch coding {
	case "gzip":
		r, err = gzip.NewReader(bytes.NewReader(body))
	case "deflate":
		r, err = zlib.NewReader(bytes.NewReader(body))
	default:
		t.Fatalf("unexpected coding %q", coding)
	}
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("%s: %v", coding, err)
	}
	return string(out)
}

// TestCompression runs the same scenarios under Baton and HAProxy 2.6.
func TestCompression(t *testing.T) {
	t.Parallel()
	o := startCompOrigin(t)
	fe, off, h2fe := harness.FreeAddr(t), harness.FreeAddr(t), harness.FreeAddr(t)
	cfg := fmt.Sprintf(`defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    compression algo gzip deflate
frontend fe
    bind %[1]s
    compression type text/
    default_backend be
frontend off
    bind %[2]s
    compression offload
    default_backend be
frontend h2
    bind %[3]s proto h2
    default_backend be
backend be
    server o %[4]s
`, fe, off, h2fe, o.addr)
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) {
			if proxy == "baton" {
				harness.Start(t, cfg, []string{fe, off, h2fe})
			} else {
				harness.StartHAProxy(t, cfg, []string{fe, off, h2fe})
			}
			compressionScenarios(t, fe, off, h2fe)
		})
	}
}

func compressionScenarios(t *testing.T, fe, off, h2fe string) {
	compressed := func(t *testing.T, r *harness.Response, coding string) {
		t.Helper()
		if r.Status != 200 || r.Get("Content-Encoding") != coding || r.Has("Content-Length") || !r.Chunked {
			t.Fatalf("want a chunked %s response without Content-Length, got:\n%s", coding, r.Head)
		}
		if !r.HasToken("Vary", "Accept-Encoding") {
			t.Errorf("no Vary: Accept-Encoding:\n%s", r.Head)
		}
		if r.Get("ETag") != `W/"v1"` {
			t.Errorf("ETag %q, want the weak W/\"v1\"", r.Get("ETag"))
		}
		if got := inflate(t, coding, r.Body); got != compText {
			t.Errorf("body decompresses to %d bytes, want the origin's %d", len(got), len(compText))
		}
	}
	plain := func(t *testing.T, r *harness.Response, status int) {
		t.Helper()
		if r.Status != status || r.Has("Vary") || r.Get("Content-Length") != strconv.Itoa(len(compText)) || string(r.Body) != compText {
			t.Fatalf("want the origin's response untouched (status %d), got:\n%s", status, r.Head)
		}
		if r.Get("ETag") != `"v1"` {
			t.Errorf("ETag %q, want the strong \"v1\"", r.Get("ETag"))
		}
	}
	t.Run("gzip", func(t *testing.T) {
		r := harness.Get(t, fe, "/", "Accept-Encoding: gzip")
		compressed(t, r, "gzip")
		if r.Get("X-Got-AE") != "gzip" {
			t.Errorf("server saw Accept-Encoding %q, want it kept without offload", r.Get("X-Got-AE"))
		}
	})
	t.Run("deflate-by-q", func(t *testing.T) {
		compressed(t, harness.Get(t, fe, "/", "Accept-Encoding: gzip;q=0.5, deflate;q=0.9"), "deflate")
	})
	t.Run("tie-goes-to-first-listed", func(t *testing.T) {
		compressed(t, harness.Get(t, fe, "/", "Accept-Encoding: deflate, gzip"), "deflate")
	})
	t.Run("q0-refuses", func(t *testing.T) {
		plain(t, harness.Get(t, fe, "/", "Accept-Encoding: gzip;q=0, deflate;q=0"), 200)
	})
	t.Run("no-accept-encoding", func(t *testing.T) {
		plain(t, harness.Get(t, fe, "/"), 200)
	})
	t.Run("already-encoded", func(t *testing.T) {
		r := harness.Get(t, fe, "/?ce=br", "Accept-Encoding: gzip")
		plain(t, r, 200)
		if r.Get("Content-Encoding") != "br" {
			t.Errorf("Content-Encoding %q, want the server's br", r.Get("Content-Encoding"))
		}
	})
	t.Run("partial-206", func(t *testing.T) {
		r := harness.Get(t, fe, "/?status=206", "Accept-Encoding: gzip")
		plain(t, r, 206)
		if !r.Has("Content-Range") {
			t.Errorf("Content-Range lost:\n%s", r.Head)
		}
	})
	t.Run("no-transform", func(t *testing.T) {
		plain(t, harness.Get(t, fe, "/?cc=public,+no-transform", "Accept-Encoding: gzip"), 200)
	})
	t.Run("type-not-listed", func(t *testing.T) {
		plain(t, harness.Get(t, fe, "/?ct=application/json", "Accept-Encoding: gzip"), 200)
	})
	t.Run("type-case-aside", func(t *testing.T) {
		compressed(t, harness.Get(t, fe, "/?ct=TEXT/html", "Accept-Encoding: gzip"), "gzip")
	})
	t.Run("http10-client", func(t *testing.T) {
		r := harness.RoundTrip(t, fe, "GET / HTTP/1.0\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
		plain(t, r, 200)
	})
	t.Run("head", func(t *testing.T) {
		r := harness.RoundTrip(t, fe, "HEAD / HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n")
		if r.Has("Content-Encoding") || r.Get("Content-Length") != strconv.Itoa(len(compText)) {
			t.Errorf("HEAD answer changed:\n%s", r.Head)
		}
	})
	t.Run("offload", func(t *testing.T) {
		r := harness.Get(t, off, "/", "Accept-Encoding: gzip")
		compressed(t, r, "gzip")
		if r.Get("X-Got-AE") != "" {
			t.Errorf("server saw Accept-Encoding %q, want it removed by offload", r.Get("X-Got-AE"))
		}
		// Without a chosen algorithm, offload leaves the header.
		if r := harness.Get(t, off, "/", "Accept-Encoding: br"); r.Get("X-Got-AE") != "br" {
			t.Errorf("server saw Accept-Encoding %q, want br kept", r.Get("X-Got-AE"))
		}
	})
	t.Run("keep-alive", func(t *testing.T) {
		c := harness.Dial(t, fe)
		for i := range 3 {
			c.Send(harness.Request("GET", "/", "Accept-Encoding: gzip") + "\r\n")
			r := c.Read("GET")
			compressed(t, r, "gzip")
			if r.Get("Connection") == "close" {
				t.Fatalf("request %d: connection closed", i)
			}
		}
	})
	t.Run("external-decoders", func(t *testing.T) {
		// gzip(1) checks and decodes the gzip body, curl (zlib) both
		// codings.
		r := harness.Get(t, fe, "/?mixed=1", "Accept-Encoding: gzip")
		if r.Get("Content-Encoding") != "gzip" {
			t.Fatalf("not compressed:\n%s", r.Head)
		}
		for _, args := range [][]string{{"-t"}, {"-dc"}} {
			cmd := exec.Command("gzip", args...)
			cmd.Stdin = bytes.NewReader(r.Body)
			out, err := cmd.CombinedOutput()
			if err != nil || (args[0] == "-dc" && string(out) != compMixed) {
				t.Errorf("gzip %s: %v, %d bytes out (want %d)", args[0], err, len(out), len(compMixed))
			}
		}
		head := filepath.Join(t.TempDir(), "head")
		for _, coding := range []string{"gzip", "deflate"} {
			out, err := exec.Command("curl", "-sS", "--compressed", "-H", "Accept-Encoding: "+coding,
				"-D", head, "http://"+fe+"/?mixed=1").Output()
			if err != nil || string(out) != compMixed {
				t.Errorf("curl --compressed, %s: %v, %d bytes (want %d)", coding, err, len(out), len(compMixed))
			}
			if h, _ := os.ReadFile(head); !bytes.Contains(bytes.ToLower(h), []byte("content-encoding: "+coding)) {
				t.Errorf("curl, %s: the answer was not compressed:\n%s", coding, h)
			}
		}
	})
	t.Run("h2", func(t *testing.T) {
		tr := &http2.Transport{AllowHTTP: true, DisableCompression: true,
			DialTLSContext: func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
				return (&net.Dialer{}).DialContext(ctx, "tcp", h2fe)
			}}
		defer tr.CloseIdleConnections()
		req, _ := http.NewRequest("GET", "http://"+h2fe+"/", nil)
		req.Header.Set("Accept-Encoding", "gzip")
		resp, err := (&http.Client{Transport: tr, Timeout: 10 * time.Second}).Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 || resp.Header.Get("Content-Encoding") != "gzip" || resp.Header.Get("Content-Length") != "" {
			t.Fatalf("want an HTTP/2 gzip response without content-length, got %s %v", resp.Proto, resp.Header)
		}
		if got := inflate(t, "gzip", body); got != compText {
			t.Errorf("h2 body decompresses to %d bytes, want %d", len(got), len(compText))
		}
	})
}

// TestCompressionStreams: a response whose server pauses after its first
// bytes reaches the client compressed up to that point before the server
// goes on; it is not held until its end.
func TestCompressionStreams(t *testing.T) {
	t.Parallel()
	for _, proxy := range []string{"baton", "haproxy"} {
		t.Run(proxy, func(t *testing.T) {
			o := startCompOrigin(t)
			fe := harness.FreeAddr(t)
			cfg := fmt.Sprintf("defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n"+
				"frontend fe\n    bind %s\n    compression algo gzip\n    default_backend be\nbackend be\n    server o %s\n", fe, o.addr)
			if proxy == "baton" {
				harness.Start(t, cfg, []string{fe})
			} else {
				// Seen with 2.6.12: HAProxy keeps the first part of a
				// paused compressed response until more input comes,
				// and once, after flushing part of it, held the rest
				// until the client's deadline.
				t.Skip("HAProxy 2.6 does not flush a paused compressed response reliably")
			}
			c := harness.Dial(t, fe)
			c.Send(harness.Request("GET", "/slow", "Accept-Encoding: gzip") + "\r\n")
			c.SetReadDeadline(time.Now().Add(10 * time.Second))
			resp, err := http.ReadResponse(c.R, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			if resp.Header.Get("Content-Encoding") != "gzip" {
				t.Fatalf("not compressed: %v", resp.Header)
			}
			zr, err := gzip.NewReader(resp.Body)
			if err != nil {
				t.Fatalf("gzip header before the server went on: %v", err)
			}
			want := slowFirst
			first := make([]byte, len(want))
			if _, err := io.ReadFull(zr, first); err != nil || string(first) != want {
				t.Fatalf("first part before the server went on: %q, %v", first, err)
			}
			o.free()
			rest, err := io.ReadAll(bufio.NewReader(zr))
			if err != nil || string(first)+string(rest) != slowFirst+compText {
				t.Fatalf("rest: %d bytes, %v; want %d", len(rest), err, len(compText))
			}
		})
	}
}
