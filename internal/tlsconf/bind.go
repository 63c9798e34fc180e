package tlsconf

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"time"
)

// Bind is a TLS bind line at run time: give Config to tls.Server.
type Bind struct {
	// Config picks, per client hello, the configuration of the
	// certificate that serves it (see sniStore).
	Config *tls.Config
	store  *sniStore
	// configs are every configuration that issues session tickets.
	configs []*tls.Config
	ownKeys bool
}

// errNoCert refuses a handshake under strict-sni.
var errNoCert = errors.New("strict-sni: no certificate matches the server name")

// httpProtocols are the ALPN protocols Baton speaks in mode http, to
// clients and to servers alike (h2 towards servers: internal/h2's client).
var httpProtocols = map[string]bool{"http/1.1": true, "http/1.0": true, "h2": true}

// DefaultBindALPN is what an ssl bind of an HTTP frontend without an
// "alpn" keyword advertises (HAProxy's default from 2.8 on; 2.6
// advertised nothing, which browsers take as HTTP/1.1).
var DefaultBindALPN = []string{"h2", "http/1.1"}

func (l *loader) bind(s *BindSpec) (*Bind, error) {
	if len(s.Crts) == 0 {
		return nil, errors.New("ssl needs a certificate (crt or crt-list)")
	}
	warn := func(msg string) { l.warnf(s.Pos, "bind %s: %s", s.Addr, msg) }
	bd := &Bind{store: newSNIStore(s.StrictSNI)}
	base, err := l.serverConfig(s, &s.Opts, warn)
	if err != nil {
		return nil, err
	}
	for _, ref := range s.Crts {
		if !ref.List {
			files, err := certFiles(l.src, resolve(l.global.CrtBase, ref.Path))
			if err != nil {
				return nil, err
			}
			for _, f := range files {
				if err := l.addCert(bd, base, f, nil); err != nil {
					return nil, err
				}
			}
			continue
		}
		listPath := resolve(l.global.CrtBase, ref.Path)
		data, err := l.src.ReadFile(listPath)
		if err != nil {
			return nil, fmt.Errorf("crt-list %q: %w", listPath, unwrapPath(err))
		}
		lines, err := ParseCrtList(listPath, data, func(m string) { l.warns = append(l.warns, m) })
		if err != nil {
			return nil, fmt.Errorf("crt-list: %v", err)
		}
		if len(lines) == 0 {
			return nil, fmt.Errorf("crt-list %q: no certificate", listPath)
		}
		for _, line := range lines {
			cfg := base
			if line.Opts != nil {
				merged := line.Opts.Merge(s.Opts)
				where := fmt.Sprintf("%s:%d", listPath, line.Line)
				cfg, err = l.serverConfig(s, &merged, func(m string) { l.warns = append(l.warns, where+": "+m) })
				if err != nil {
					return nil, fmt.Errorf("%s: %v", where, err)
				}
			}
			files, err := certFiles(l.src, resolve(l.global.CrtBase, line.Path))
			if err != nil {
				return nil, fmt.Errorf("crt-list %s:%d: %v", listPath, line.Line, err)
			}
			for _, f := range files {
				if err := l.addCert(bd, cfg, f, line.Filters); err != nil {
					return nil, fmt.Errorf("crt-list %s:%d: %v", listPath, line.Line, err)
				}
			}
		}
	}
	versionsOf := bd.store.entries[0].cfg
	bd.Config = &tls.Config{
		MinVersion: versionsOf.MinVersion,
		MaxVersion: versionsOf.MaxVersion,
		GetConfigForClient: func(hello *tls.ClientHelloInfo) (*tls.Config, error) {
			e := bd.store.pick(hello)
			if e == nil {
				return nil, errNoCert
			}
			noALPN := len(hello.SupportedProtos) > 0 && len(e.cfg.NextProtos) > 0 && !overlap(hello.SupportedProtos, e.cfg.NextProtos)
			if e.tls13 != nil && offersTLS13(hello) {
				if noALPN {
					return e.tls13NoALPN, nil
				}
				return e.tls13, nil
			}
			if noALPN {
				return e.cfgNoALPN, nil
			}
			return e.cfg, nil
		},
	}
	if s.TicketKeys != "" {
		data, err := l.src.ReadFile(s.TicketKeys)
		if err != nil {
			return nil, fmt.Errorf("tls-ticket-keys %q: %w", s.TicketKeys, unwrapPath(err))
		}
		keys, err := ParseTicketKeys(data)
		if err != nil {
			return nil, fmt.Errorf("tls-ticket-keys %q: %v", s.TicketKeys, err)
		}
		bd.ownKeys = true
		bd.setKeys(keys)
	}
	return bd, nil
}

// addCert loads a certificate file and registers it, served by a clone
// of cfg.
func (l *loader) addCert(bd *Bind, cfg *tls.Config, path string, filters []string) error {
	c, warns, err := LoadCert(l.src, path, l.now)
	if err != nil {
		return err
	}
	for _, w := range warns {
		l.warns = append(l.warns, w)
	}
	e := &sniEntry{cert: c}
	e.cfg = cfg.Clone()
	e.cfg.Certificates = []tls.Certificate{c.TLS}
	e.cfgNoALPN = e.cfg.Clone()
	e.cfgNoALPN.NextProtos = nil
	if cfg.SessionTicketsDisabled && cfg.MaxVersion >= tls.VersionTLS13 {
		if cache := l.sessionCache(); cache != nil {
			e.tls13, e.tls13NoALPN = e.cfg.Clone(), e.cfgNoALPN.Clone()
			stateful(e.tls13, cache)
			stateful(e.tls13NoALPN, cache)
		}
	}
	lifetime(e.cfg, l.global.Lifetime)
	lifetime(e.cfgNoALPN, l.global.Lifetime)
	bd.configs = append(bd.configs, e.cfg, e.cfgNoALPN)
	bd.store.add(e, filters)
	return nil
}

// sessionCache returns the stateful session cache of no-tls-tickets
// binds, nil when tune.ssl.cachesize is 0.
func (l *loader) sessionCache() *sessionCache {
	size := l.global.CacheSize
	if !l.global.CacheSizeSet {
		size = DefaultCacheSize
	}
	if size <= 0 {
		return nil
	}
	if l.sessions == nil {
		l.sessions = newSessionCache(size, l.global.Lifetime)
	}
	return l.sessions
}

// serverConfig builds the configuration (without certificate) that o
// describes for a bind line.
func (l *loader) serverConfig(s *BindSpec, o *Options, warn func(string)) (*tls.Config, error) {
	cfg, err := o.baseConfig(s.TCP, "clients", warn)
	if err != nil {
		return nil, err
	}
	cfg.DynamicRecordSizingDisabled = l.global.MaxRecord == 0
	if o.Verify == "optional" || o.Verify == "required" {
		if o.CAFile == "" && o.CAVerifyFile == "" {
			return nil, fmt.Errorf("verify %s needs a ca-file to check client certificates against", o.Verify)
		}
		v, names, err := l.clientVerifier(o)
		if err != nil {
			return nil, err
		}
		cfg.ClientCAs = names
		cfg.ClientAuth = tls.RequestClientCert
		if o.Verify == "required" {
			cfg.ClientAuth = tls.RequireAnyClientCert
		}
		cfg.VerifyPeerCertificate = func(raw [][]byte, _ [][]*x509.Certificate) error {
			if len(raw) == 0 {
				return nil // optional, and none given
			}
			_, err := v.verify(raw, "")
			if err != nil {
				return fmt.Errorf("client certificate: %w", err)
			}
			return nil
		}
	} else if o.CAFile != "" || o.CAVerifyFile != "" {
		// As HAProxy, load (and so check) them; without verify no
		// client certificate is requested.
		if _, _, err := l.clientVerifier(o); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

// clientVerifier builds the check of client certificates: roots from
// ca-file and ca-verify-file, CRLs from crl-file (and any in the CA
// files), and the CA names to send (ca-file's, unless no-ca-names).
func (l *loader) clientVerifier(o *Options) (*verifier, *x509.CertPool, error) {
	roots := x509.NewCertPool()
	var names *x509.CertPool
	v := &verifier{usage: x509.ExtKeyUsageClientAuth}
	for i, f := range []string{o.CAFile, o.CAVerifyFile} {
		if f == "" {
			continue
		}
		path := resolve(l.global.CABase, f)
		pool, certs, crls, err := LoadCAs(l.src, path)
		if err != nil {
			return nil, nil, fmt.Errorf("ca-file: %v", err)
		}
		if f == "@system-ca" {
			roots = pool
		}
		for _, c := range certs {
			roots.AddCert(c)
		}
		if i == 0 && !o.NoCANames {
			names = pool
		}
		v.crls = append(v.crls, crls...)
	}
	v.roots = roots
	if o.CRLFile != "" {
		crls, err := LoadCRLs(l.src, resolve(l.global.CABase, o.CRLFile))
		if err != nil {
			return nil, nil, fmt.Errorf("crl-file: %v", err)
		}
		v.crls = append(v.crls, crls...)
	}
	return v, names, nil
}

// baseConfig is what a bind and a server configuration share: versions,
// suites, curves, tickets and ALPN (in mode http only the protocols
// Baton speaks, h2 and HTTP/1.x; DefaultBindALPN when none is set and
// peer is "clients").
func (o *Options) baseConfig(tcp bool, peer string, warn func(string)) (*tls.Config, error) {
	min, max, err := o.Versions(warn)
	if err != nil {
		return nil, err
	}
	cfg := &tls.Config{
		MinVersion:             min,
		MaxVersion:             max,
		CipherSuites:           o.CipherSuites,
		CurvePreferences:       o.CurveIDs,
		SessionTicketsDisabled: o.NoTickets,
	}
	alpn := o.ALPN
	if alpn == nil && !tcp && peer == "clients" {
		alpn = DefaultBindALPN
	}
	for _, p := range alpn {
		if tcp || httpProtocols[p] {
			cfg.NextProtos = append(cfg.NextProtos, p)
		} else {
			warn(fmt.Sprintf("alpn: %q is left out: Baton speaks h2 and HTTP/1.x", p))
		}
	}
	return cfg, nil
}

func overlap(a, b []string) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func (bd *Bind) setKeys(keys [][32]byte) {
	for _, c := range bd.configs {
		c.SetSessionTicketKeys(keys)
	}
}

// lifetime makes cfg's session tickets expire after d (tune.ssl.lifetime,
// DefaultLifetime when 0): the ticket carries its creation time, and one
// older than d is not resumed. Go itself would accept a ticket for 7 days.
func lifetime(cfg *tls.Config, d time.Duration) {
	if d <= 0 {
		d = DefaultLifetime
	}
	cfg.WrapSession = func(cs tls.ConnectionState, ss *tls.SessionState) ([]byte, error) {
		ss.Extra = append(ss.Extra, stampTicket(time.Now()))
		return cfg.EncryptTicket(cs, ss)
	}
	cfg.UnwrapSession = func(identity []byte, cs tls.ConnectionState) (*tls.SessionState, error) {
		ss, err := cfg.DecryptTicket(identity, cs)
		if ss == nil || err != nil {
			return nil, nil // not ours (another key, another process): full handshake
		}
		if t, ok := ticketStamp(ss.Extra); !ok || time.Since(t) > d {
			return nil, nil
		}
		return ss, nil
	}
}
