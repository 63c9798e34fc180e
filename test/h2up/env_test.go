// Package h2up_test runs HTTP/2-to-server scenarios against the built
// baton binary and, with the same configuration text, against HAProxy
// 2.6: HTTP/1.1 and HTTP/2 clients through "server ... proto h2" and
// "server ... ssl alpn h2,http/1.1" to Go HTTP/2 origins, trailers both
// ways, and how many server connections concurrent requests open under
// http-reuse.
package h2up_test

import (
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/tlsconf/tlstest"
	"baton/test/harness"
)

var proxies = []string{"baton", "haproxy"}

// origin is a Go HTTP server on loopback that counts the connections it
// accepts.
type origin struct {
	addr     string
	accepted atomic.Int64
}

type countingListener struct {
	net.Listener
	n *atomic.Int64
}

func (l countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err == nil {
		l.n.Add(1)
	}
	return c, err
}

// startOrigin serves h: in clear text (HTTP/1.1 and HTTP/2 with prior
// knowledge) when ca is nil, else over TLS offering protos by ALPN.
func startOrigin(t *testing.T, h http.Handler, ca *tlstest.CA, protos ...string) *origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &origin{addr: ln.Addr().String()}
	srv := &http.Server{Handler: h, Protocols: new(http.Protocols)}
	srv.Protocols.SetHTTP1(true)
	cl := countingListener{Listener: ln, n: &o.accepted}
	if ca == nil {
		srv.Protocols.SetUnencryptedHTTP2(true)
		go srv.Serve(cl)
	} else {
		crt := ca.Issue(tlstest.Options{}, "origin.test")
		pair, err := tls.X509KeyPair([]byte(crt.CertPEM), []byte(crt.KeyPEM))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range protos {
			if p == "h2" {
				srv.Protocols.SetHTTP2(true)
			}
		}
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{pair}, NextProtos: protos}
		go srv.ServeTLS(cl, "", "")
	}
	t.Cleanup(func() { srv.Close() })
	return o
}

// echo answers with the request's protocol, body and trailer, and the
// trailer X-Sum after a flushed body (no content-length: a chunked
// HTTP/1.1 response can carry it).
func echo(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Trailer", "X-Sum")
	w.Header().Set("X-Proto", r.Proto)
	fmt.Fprintf(w, "body=%s in=%s te=%s", body, r.Trailer.Get("X-In"), r.Header.Get("Te"))
	w.(http.Flusher).Flush()
	w.Header().Set("X-Sum", "42")
}

// start runs proxy ("baton" or "haproxy") on cfg, waiting for addrs.
func start(t *testing.T, proxy, cfg string, addrs ...string) {
	t.Helper()
	if proxy == "haproxy" {
		harness.StartHAProxy(t, cfg, addrs)
		return
	}
	harness.Start(t, cfg, addrs)
}

const defaults = `defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
`

func deadline() time.Time { return time.Now().Add(20 * time.Second) }

func hasLine(s, line string) bool {
	for _, l := range strings.Split(s, "\r\n") {
		if strings.EqualFold(l, line) {
			return true
		}
	}
	return false
}
