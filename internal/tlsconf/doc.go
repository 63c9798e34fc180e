// Package tlsconf turns HAProxy's TLS keywords into Go's crypto/tls
// configurations: certificates and keys, crt-lists, SNI selection,
// versions, OpenSSL cipher names, client-certificate checks, session
// tickets, the TLS side of servers, and a strict ClientHello parser for
// TLS passthrough. It uses only the standard library and knows nothing of
// the configuration language: package config parses the keywords into
// Options and specs (BindSpec, ServerSpec, Global), and this package loads
// what they name.
//
// # Model
//
// Options is one set of TLS settings (a bind line, a crt-list line, a
// server line, a global default), checked when parsed: OpenSSL cipher
// strings are evaluated into Go suites (ParseCiphers: a name Go lacks is
// a warning, a list with nothing usable an error), versions follow
// HAProxy's rules (Versions: no-*, force-*, ssl-min-ver/ssl-max-ver, a
// TLSv1.2 minimum by default), curves map to Go's groups.
//
// Load reads every file the specs name through a Source and builds a
// Bundle: one Bind per TLS bind line, one Client per TLS server. The
// master loads from the disk, recording what it read (OSFiles), so that a
// broken certificate fails the reload with the bind line's file:line and
// the PEM's path before any worker starts; the worker loads the same
// bytes from Assets, so a file edited in between cannot make the two
// disagree. Expired or not yet valid certificates and chains out of order
// are warnings.
//
// A Bind's Config selects, for each client hello, the certificate by SNI
// (sniStore: exact names, then "*.domain" wildcards of one label, then the
// first certificate loaded, or a refusal with strict-sni; crt-list
// filters with "!" negations; ECDSA preferred over RSA when the client
// supports it) and returns that certificate's own configuration, which
// carries its crt-list line's options. A client whose ALPN list shares
// nothing with ours is served without ALPN, as HAProxy does (Go alone
// would refuse it).
//
// Client certificates (verify optional|required) are checked by this
// package, not by Go's built-in verification, to add CRLs (a valid CRL
// from every CA of the chain, as OpenSSL's crl_check_all) and
// ca-verify-file / no-ca-names. Server certificates are checked the same
// way, against the SNI sent or verifyhost, as HAProxy does.
//
// # Session tickets and reloads
//
// Go encrypts session tickets with the first of a list of keys and
// decrypts with any. The master owns the list (NewTicketKey,
// RotateTicketKeys every TicketRotation, TicketKeysKept kept) and hands
// it to every generation, which calls Bundle.SetTicketKeys: a client that
// got a ticket before a reload resumes after it, without a full
// handshake. A bind with tls-ticket-keys uses its file's keys instead
// (hashed into Go keys; they rotate when the file changes and Baton
// reloads). Tickets carry their creation time and are not resumed after
// tune.ssl.lifetime (5 minutes by default), where Go alone would accept
// them for 7 days. With no-tls-tickets there is no RFC 5077 ticket up to
// TLS 1.2 (Go's server has no session-ID cache, so TLS 1.2 clients are
// not resumed), and TLS 1.3 clients get tickets that only name their
// session in the generation's own cache (sessions.go), as OpenSSL does.
//
// # What Go cannot do
//
// Go's TLS has no SSLv3, DHE, DSS, CAMELLIA, ARIA or CCM suites, no NPN,
// no 0-RTT over TCP, orders cipher suites itself (the list's order and
// prefer-client-ciphers are not followed) and always offers its three
// TLS 1.3 suites. Each is a warning naming what is not honoured.
//
// # Passthrough
//
// ParseHello parses the first bytes of a connection as TLS handshake
// records (reassembled across records) and returns the handshake type,
// the SNI and the ALPN list of a ClientHello, ErrIncomplete for a valid
// prefix, or a *HelloError: every length is checked, extensions must not
// repeat, the SNI must be one host name of at most 255 bytes.
package tlsconf
