package proxy

import (
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
	if !strings.Contains(h.log.String(), `"GET /x HTTP/1.1"`) {
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
