package reloadtest

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"sync"
	"time"
)

// TLS mode (--tls): every connection is a TLS client connection to the
// target, each client keeping its own session cache as a browser would.
// Besides the HTTP verdicts, the report counts handshakes: resumed ones,
// full ones, and full ones where the client offered a session it had
// (the proxy could not resume it: after a reload, a new process with new
// ticket keys). A reload should cost no handshake; the last count is what
// it cost.

// tlsSettings are the --tls flags.
type tlsSettings struct {
	on         bool
	serverName string
	caFile     string
	insecure   bool
	roots      *x509.CertPool
	// alpn is what the client offers: http/1.1, or h2 in HTTP/2 mode.
	alpn []string
}

func (t *tlsSettings) load() error {
	if !t.on {
		return nil
	}
	if t.alpn == nil {
		t.alpn = []string{"http/1.1"}
	}
	if t.caFile == "" {
		t.insecure = true
		return nil
	}
	pem, err := os.ReadFile(t.caFile)
	if err != nil {
		return fmt.Errorf("--tls-ca: %v", err)
	}
	t.roots = x509.NewCertPool()
	if !t.roots.AppendCertsFromPEM(pem) {
		return fmt.Errorf("--tls-ca %s: no certificate", t.caFile)
	}
	return nil
}

// config is a client's TLS configuration with its own session cache.
func (t *tlsSettings) config(cache tls.ClientSessionCache) *tls.Config {
	return &tls.Config{ServerName: t.serverName, RootCAs: t.roots, InsecureSkipVerify: t.insecure,
		ClientSessionCache: cache, NextProtos: t.alpn}
}

// offerCache is a client's session cache that remembers whether the last
// lookup found a session to offer.
type offerCache struct {
	tls.ClientSessionCache
	mu      sync.Mutex
	offered bool
}

func newOfferCache() *offerCache {
	return &offerCache{ClientSessionCache: tls.NewLRUClientSessionCache(4)}
}

func (c *offerCache) Get(key string) (*tls.ClientSessionState, bool) {
	s, ok := c.ClientSessionCache.Get(key)
	c.mu.Lock()
	c.offered = ok && s != nil
	c.mu.Unlock()
	return s, ok
}

// dialTLS opens a TLS connection for a client and records its handshake.
func (t *tlsSettings) dialTLS(conn net.Conn, cache *offerCache, timeout time.Duration, r *record) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	tc := tls.Client(conn, t.config(cache))
	if err := tc.HandshakeContext(ctx); err != nil {
		conn.Close()
		return nil, err
	}
	cs := tc.ConnectionState()
	r.handshake = true
	r.resumed = cs.DidResume
	cache.mu.Lock()
	r.offered = cache.offered
	cache.mu.Unlock()
	return tc, nil
}

// tlsCounts are the handshake counts of a run.
type tlsCounts struct {
	handshakes, resumed, full, fullOffered int
}

func countHandshakes(records []record) (c tlsCounts) {
	for _, r := range records {
		if !r.handshake {
			continue
		}
		c.handshakes++
		switch {
		case r.resumed:
			c.resumed++
		case r.offered:
			c.full++
			c.fullOffered++
		default:
			c.full++
		}
	}
	return c
}
