package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"strings"
)

// Client is a TLS server line at run time: how Baton originates TLS to
// that server.
type Client struct {
	// SSL: traffic is TLS. CheckSSL: health checks are.
	SSL, CheckSSL bool
	// base carries everything but the server name; Config clones it
	// per name.
	base *tls.Config
	// check is the configuration of health checks (check-sni,
	// check-alpn).
	check *tls.Config
	// verifyHost is checked when no SNI is sent ("verifyhost").
	verifyHost string
}

// Config returns the configuration of a connection that sends sni ("" for
// none; the proxy evaluates the server's sni expression). It shares the server's session cache (unless no-ssl-reuse), so a
// later connection with the same name resumes.
func (c *Client) Config(sni string) *tls.Config {
	if sni == "" {
		return c.base
	}
	cfg := c.base.Clone()
	cfg.ServerName = sni
	return cfg
}

// CheckConfig is the configuration of a TLS health check.
func (c *Client) CheckConfig() *tls.Config { return c.check }

// sessionCacheSize bounds the sessions kept per server (one per name).
const sessionCacheSize = 64

func (l *loader) client(s *ServerSpec) (*Client, error) {
	warn := func(msg string) { l.warnf(s.Pos, "server %s/%s: %s", s.Backend, s.Name, msg) }
	o := &s.Opts
	cfg, err := o.baseConfig(s.TCP, "servers", warn)
	if err != nil {
		return nil, err
	}
	c := &Client{SSL: s.SSL, CheckSSL: s.CheckSSL, verifyHost: s.VerifyHost}
	// Verification is ours (see verifier): HAProxy checks the name only
	// against the SNI sent or verifyhost, and CRLs too.
	cfg.InsecureSkipVerify = true
	if !s.NoReuse {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(sessionCacheSize)
	}
	if s.Crt != "" {
		crt, warns, err := LoadCert(l.src, resolve(l.global.CrtBase, s.Crt), l.now)
		if err != nil {
			return nil, fmt.Errorf("crt: %v", err)
		}
		l.warns = append(l.warns, warns...)
		cfg.Certificates = []tls.Certificate{crt.TLS}
	}
	switch o.Verify {
	case "required":
		if o.CAFile == "" {
			return nil, errors.New(`verify is required (by default: ssl-server-verify) but no ca-file is set; add "ca-file FILE", or "verify none" if the server's certificate need not be checked`)
		}
		v := &verifier{usage: x509.ExtKeyUsageServerAuth}
		pool, _, crls, err := LoadCAs(l.src, resolve(l.global.CABase, o.CAFile))
		if err != nil {
			return nil, fmt.Errorf("ca-file: %v", err)
		}
		v.roots, v.crls = pool, crls
		if o.CRLFile != "" {
			more, err := LoadCRLs(l.src, resolve(l.global.CABase, o.CRLFile))
			if err != nil {
				return nil, fmt.Errorf("crl-file: %v", err)
			}
			v.crls = append(v.crls, more...)
		}
		vh := s.VerifyHost
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			host := cs.ServerName
			if host == "" {
				host = vh
			}
			_, err := v.verify(rawOf(cs.PeerCertificates), host)
			if err != nil {
				return fmt.Errorf("server certificate: %w", err)
			}
			return nil
		}
	case "none", "":
	default:
		return nil, fmt.Errorf("verify %q: a server accepts none or required", o.Verify)
	}
	c.base = cfg
	c.check = cfg.Clone()
	c.check.ServerName = strings.TrimSpace(s.CheckSNI)
	if s.CheckALPN != nil {
		c.check.NextProtos = s.CheckALPN
	} else if !s.TCP {
		// The server's alpn, but h2: Baton's HTTP checks speak HTTP/1.1.
		c.check.NextProtos = nil
		for _, p := range cfg.NextProtos {
			if p != "h2" {
				c.check.NextProtos = append(c.check.NextProtos, p)
			}
		}
	}
	return c, nil
}

func rawOf(certs []*x509.Certificate) [][]byte {
	out := make([][]byte, len(certs))
	for i, c := range certs {
		out[i] = c.Raw
	}
	return out
}
