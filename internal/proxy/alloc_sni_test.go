package proxy

import (
	"crypto/tls"
	"testing"

	"baton/internal/tlsconf/tlstest"
)

// A TLS server whose sni is an expression with converters: each request
// evaluates it and takes the pooled connection opened with that name,
// without allocating more than the same server without sni (Go's TLS
// itself allocates a little per request).
func TestKeepAliveRequestAllocsSNI(t *testing.T) {
	env := newTLSEnv(t)
	kp, err := tls.LoadX509KeyPair(env.cert(t, "origin.pem", tlstest.Options{}, "bench"), env.dir+"/origin.pem")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{kp}})
	if err != nil {
		t.Fatal(err)
	}
	serveRaw(t, ln, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", nil)
	measure := func(sni string) float64 {
		cfg, b := env.parse(t, `defaults
  mode http
  timeout connect 2s
  timeout client 3s
  timeout server 5s
listen bench
  bind 127.0.0.1:1
  server s `+ln.Addr().String()+` ssl verify none`+sni+`
`)
		return measureKeepAlive(t, cfg.Proxies[0], Options{TLS: b}, cfg)
	}
	plain := measure("")
	if with := measure(" sni req.hdr(host),upper,lower"); with > plain {
		t.Errorf("%.2f allocations per request with an sni expression, %.2f without", with, plain)
	}
}
