// Package h2_test runs HTTP/2 scenarios against the built baton binary
// and, with the same configuration text, against HAProxy 2.6: real
// clients (curl, h2load, h2spec, Go's HTTP/2 client) over TLS (ALPN h2)
// and in clear text with prior knowledge (bind ... proto h2), and reloads
// with streams in flight.
package h2_test

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"baton/internal/sample"
	"baton/internal/tlsconf/tlstest"
	"baton/test/harness"

	"golang.org/x/net/http2"
)

// env is one scenario's addresses, certificate and backends.
type env struct {
	tlsAddr, clearAddr string
	dir                string
	ca                 *tlstest.CA
	backends           map[string]string // label -> address
}

func newEnv(t *testing.T, labels ...string) *env {
	t.Helper()
	e := &env{tlsAddr: harness.FreeAddr(t), clearAddr: harness.FreeAddr(t), dir: t.TempDir(),
		ca: tlstest.NewCA("h2 test root"), backends: map[string]string{}}
	tlstest.Write(t, e.dir, "site.pem", e.ca.Issue(tlstest.Options{}, "localhost").Bundle())
	tlstest.Write(t, e.dir, "ca.pem", e.ca.PEM)
	for _, l := range labels {
		s, err := sample.Start("127.0.0.1:0", l)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		e.backends[l] = s.Addr
	}
	return e
}

// config is the scenario's configuration for backend label: an ssl bind
// (ALPN h2,http/1.1, written out for HAProxy 2.6, which has no default)
// and a clear-text proto h2 bind.
func (e *env) config(label string) string {
	return fmt.Sprintf(`global
    hard-stop-after 30s
    tune.h2.max-concurrent-streams 100
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
    timeout http-keep-alive 10s
frontend tls
    bind %s ssl crt %s/site.pem alpn h2,http/1.1
    default_backend be
frontend clear
    bind %s proto h2
    default_backend be
backend be
    server s1 %s
`, e.tlsAddr, e.dir, e.clearAddr, e.backends[label])
}

// start runs proxy ("baton" or "haproxy") on cfg.
func (e *env) start(t *testing.T, proxy, cfg string) *harness.Baton {
	t.Helper()
	addrs := []string{e.tlsAddr, e.clearAddr}
	if proxy == "haproxy" {
		harness.StartHAProxy(t, cfg, addrs)
		return nil
	}
	return harness.Start(t, cfg, addrs)
}

// client is Go's HTTP/2 client on one connection at a time to addr, over
// TLS or in clear text; dials counts its connections.
func (e *env) client(t *testing.T, useTLS bool, dials *atomic.Int64) *http.Client {
	return e.clientResumed(t, useTLS, dials, nil)
}

// clientResumed is client that also counts, in resumed, the TLS
// connections that resumed a session.
func (e *env) clientResumed(t *testing.T, useTLS bool, dials, resumed *atomic.Int64) *http.Client {
	tr := &http2.Transport{}
	addr := e.clearAddr
	if useTLS {
		addr = e.tlsAddr
		tr.TLSClientConfig = &tls.Config{RootCAs: e.ca.Pool(), ServerName: "localhost",
			NextProtos: []string{"h2"}, ClientSessionCache: tls.NewLRUClientSessionCache(4)}
		tr.DialTLSContext = func(ctx context.Context, _, _ string, cfg *tls.Config) (net.Conn, error) {
			if dials != nil {
				dials.Add(1)
			}
			c, err := (&tls.Dialer{Config: cfg}).DialContext(ctx, "tcp", addr)
			if err == nil && resumed != nil && c.(*tls.Conn).ConnectionState().DidResume {
				resumed.Add(1)
			}
			return c, err
		}
	} else {
		tr.AllowHTTP = true
		tr.DialTLSContext = func(ctx context.Context, _, _ string, _ *tls.Config) (net.Conn, error) {
			if dials != nil {
				dials.Add(1)
			}
			return (&net.Dialer{}).DialContext(ctx, "tcp", addr)
		}
	}
	t.Cleanup(tr.CloseIdleConnections)
	return &http.Client{Transport: tr, Timeout: 20 * time.Second}
}

// get fetches path and returns the backend's label (X-Backend).
func get(c *http.Client, useTLS bool, path string) (string, error) {
	scheme := "http"
	if useTLS {
		scheme = "https"
	}
	resp, err := c.Get(scheme + "://localhost" + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != 200 || resp.ProtoMajor != 2 {
		return "", fmt.Errorf("%s %d", resp.Proto, resp.StatusCode)
	}
	return resp.Header.Get("X-Backend"), nil
}

// tool returns the path of a command, skipping the test without it
// (.ci/run installs them all).
func tool(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Skipf("%s not on PATH", name)
	}
	return p
}

// run runs a command with a deadline and returns its combined output.
func run(t *testing.T, timeout time.Duration, name string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, name, args...).CombinedOutput()
	return string(out), err
}

func lastLines(s string, n int) string {
	l := strings.Split(strings.TrimSpace(s), "\n")
	if len(l) > n {
		l = l[len(l)-n:]
	}
	return strings.Join(l, "\n")
}
