package tlsconf

import (
	"crypto/ecdsa"
	"crypto/tls"
	"strings"
)

// sniEntry is one certificate of a bind line (from crt or a crt-list
// line) with the configuration that serves it.
type sniEntry struct {
	cert  *Cert
	order int
	// cfg serves this certificate with its options; cfgNoALPN is the
	// same without ALPN, for a client whose protocols share none with
	// ours (HAProxy then goes on without ALPN; Go would refuse).
	cfg, cfgNoALPN *tls.Config
	// tls13 and tls13NoALPN, set with no-tls-tickets, serve TLS 1.3
	// clients with stateful tickets (sessions.go).
	tls13, tls13NoALPN *tls.Config
}

// sniStore picks a bind line's certificate for a client hello, as
// HAProxy does: an exact name first, then a wildcard one ("*.example.org"
// matches "www.example.org", one label only), among several candidates
// the first the client can use (ECDSA before RSA), else the first loaded
// certificate (the default), unless strict-sni refuses.
//
// Names come from the crt-list line's SNI filters when it has any,
// otherwise from the certificate's CN and SAN DNS names. A negative
// filter "!name" keeps name from matching wildcards: a client asking for
// it gets an exact match or the default. Negative wildcards, "!*"
// included, add nothing: "cert.pem !*" serves only as the default.
type sniStore struct {
	entries []*sniEntry
	// exact and wild map a name (wildcards by their suffix ".example.org")
	// to the entries serving it, in load order; negated names map to
	// nothing but still block the wildcard lookup.
	exact map[string][]*sniEntry
	wild  map[string][]*sniEntry
	// negated holds names with a negative filter and no positive one.
	negated map[string]bool
	strict  bool
}

func newSNIStore(strict bool) *sniStore {
	return &sniStore{exact: map[string][]*sniEntry{}, wild: map[string][]*sniEntry{}, negated: map[string]bool{}, strict: strict}
}

// add registers e under filters, or under its certificate's names when
// there are none.
func (s *sniStore) add(e *sniEntry, filters []string) {
	e.order = len(s.entries)
	s.entries = append(s.entries, e)
	names := filters
	if len(names) == 0 {
		names = e.cert.Names
	}
	for _, n := range names {
		neg := strings.HasPrefix(n, "!")
		n = strings.TrimPrefix(n, "!")
		wild := strings.HasPrefix(n, "*")
		if neg {
			if !wild {
				s.negated[n] = true
			}
			continue
		}
		if wild {
			suffix := strings.TrimPrefix(n, "*")
			if suffix == "" {
				continue // "*" alone names nothing
			}
			s.wild[suffix] = append(s.wild[suffix], e)
			continue
		}
		s.exact[n] = append(s.exact[n], e)
	}
}

// pick returns the entry for hello, or nil when strict-sni refuses.
func (s *sniStore) pick(hello *tls.ClientHelloInfo) *sniEntry {
	name := strings.ToLower(strings.TrimSuffix(hello.ServerName, "."))
	if name != "" {
		if c := s.exact[name]; len(c) > 0 {
			return choose(c, hello)
		}
		if !s.negated[name] {
			if i := strings.IndexByte(name, '.'); i > 0 {
				if c := s.wild[name[i:]]; len(c) > 0 {
					return choose(c, hello)
				}
			}
		}
	}
	if s.strict || len(s.entries) == 0 {
		return nil
	}
	return s.entries[0]
}

// choose picks among entries serving the same name: the first ECDSA one
// the client supports, else the first it supports, else the first.
func choose(c []*sniEntry, hello *tls.ClientHelloInfo) *sniEntry {
	if len(c) == 1 {
		return c[0]
	}
	var any *sniEntry
	for _, e := range c {
		if hello.SupportsCertificate(&e.cert.TLS) != nil {
			continue
		}
		if _, ec := e.cert.TLS.PrivateKey.(*ecdsa.PrivateKey); ec {
			return e
		}
		if any == nil {
			any = e
		}
	}
	if any != nil {
		return any
	}
	return c[0]
}
