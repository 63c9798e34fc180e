package tlsconf

import (
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Global is what the global section says about TLS.
type Global struct {
	// CrtBase and CABase prefix relative crt / ca-file and crl-file
	// paths; "" means none.
	CrtBase, CABase string
	// DefaultBind and DefaultServer are ssl-default-bind-* and
	// ssl-default-server-*: what a bind or server line leaves unset.
	DefaultBind, DefaultServer Options
	// ServerVerify is ssl-server-verify: "none" or "required"; "" means
	// required, HAProxy's default.
	ServerVerify string
	// Lifetime is tune.ssl.lifetime, how long a session may be resumed;
	// 0 means DefaultLifetime.
	Lifetime time.Duration
	// MaxRecord is tune.ssl.maxrecord; 0 means full-size records from
	// the start (Go's dynamic record sizing off), as HAProxy's default.
	MaxRecord int
	// CacheSize is tune.ssl.cachesize, the sessions kept for binds with
	// no-tls-tickets (see sessions.go); unless CacheSizeSet,
	// DefaultCacheSize. 0 (set) keeps none.
	CacheSize    int
	CacheSizeSet bool
}

// DefaultLifetime is HAProxy's tune.ssl.lifetime default.
const DefaultLifetime = 300 * time.Second

// CrtRef is one "crt" or "crt-list" argument of a bind line, in order.
type CrtRef struct {
	Path string // as written
	List bool   // a crt-list file
}

// BindSpec is a bind line's TLS side, as the configuration states it;
// Load turns it into a Bind.
type BindSpec struct {
	// Pos is "file:line" of the bind line; Addr its address.
	Pos, Addr string
	// TCP is set when the frontend is in mode tcp: the ALPN list is then
	// advertised as written (the server behind speaks the protocol);
	// in mode http only the HTTP/1.x protocols Baton speaks are.
	TCP bool
	// Opts are the bind line's options over ssl-default-bind-*.
	Opts Options
	// Crts are resolved against Global.CrtBase when loaded, and so are
	// the paths inside crt-list files.
	Crts      []CrtRef
	StrictSNI bool
	// TicketKeys is tls-ticket-keys: the bind then uses the file's keys
	// instead of the master's, and they do not rotate.
	TicketKeys string
}

// ServerSpec is a server line's TLS side.
type ServerSpec struct {
	// Pos is "file:line" of the server line; Backend and Name identify it.
	Pos, Backend, Name string
	// SSL is "ssl": traffic to the server is TLS. CheckSSL is
	// "check-ssl" (or ssl without "no-check-ssl"): health checks are.
	SSL, CheckSSL bool
	// NoCheckSSL is "no-check-ssl": checks stay plain even with ssl.
	NoCheckSSL bool
	// TCP is set in mode tcp (ALPN as written, see BindSpec.TCP).
	TCP bool
	// Opts are the server's options over ssl-default-server-*; Verify
	// is already resolved against ssl-server-verify.
	Opts Options
	// SNI is the "sni" sample expression as written ("" sends no SNI);
	// the configuration compiles it (config.Server.SNI) and the proxy
	// evaluates it per connection.
	SNI string
	// CheckSNI is "check-sni": the SNI of health checks.
	CheckSNI string
	// CheckALPN is "check-alpn"; nil means Opts.ALPN.
	CheckALPN []string
	// VerifyHost is "verifyhost": the name checked when no SNI is sent.
	VerifyHost string
	// Crt is the client certificate ("crt"), resolved against crt-base.
	Crt string
	// NoReuse is "no-ssl-reuse": every connection does a full handshake.
	NoReuse bool
}

// Specs are every TLS side of a configuration, in file order.
type Specs struct {
	Global  Global
	Binds   []*BindSpec
	Servers []*ServerSpec
}

// Bundle is a configuration's loaded TLS material: one Bind per TLS bind
// line, one Client per TLS server. It is read-only once Load returns,
// except for the session ticket keys (SetTicketKeys).
type Bundle struct {
	binds   map[*BindSpec]*Bind
	servers map[*ServerSpec]*Client

	mu sync.Mutex // serialises SetTicketKeys
}

// Bind returns the runtime of a bind spec, or nil.
func (b *Bundle) Bind(s *BindSpec) *Bind {
	if b == nil {
		return nil
	}
	return b.binds[s]
}

// Client returns the runtime of a server spec, or nil.
func (b *Bundle) Client(s *ServerSpec) *Client {
	if b == nil {
		return nil
	}
	return b.servers[s]
}

// SetTicketKeys installs session ticket keys (the first encrypts, all
// decrypt) on every bind that has no tls-ticket-keys file of its own. The
// master owns the keys and hands the same ones to every generation, so a
// client resumes across reloads.
func (b *Bundle) SetTicketKeys(keys [][32]byte) {
	if b == nil || len(keys) == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, bd := range b.binds {
		if !bd.ownKeys {
			bd.setKeys(keys)
		}
	}
}

// Load reads and checks every certificate, key, CA, CRL, crt-list and
// ticket key file that specs name, from src, and builds their TLS
// configurations. Warnings (expired certificates, what Go cannot honour)
// do not stop it; errors name the bind or server line ("file:line") and
// the file, all of them, one per line.
func Load(specs *Specs, src Source, now time.Time) (*Bundle, []string, error) {
	l := &loader{src: src, now: now, global: specs.Global}
	b := &Bundle{binds: map[*BindSpec]*Bind{}, servers: map[*ServerSpec]*Client{}}
	for _, s := range specs.Binds {
		bd, err := l.bind(s)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: bind %s: %v", s.Pos, s.Addr, err))
			continue
		}
		b.binds[s] = bd
	}
	for _, s := range specs.Servers {
		c, err := l.client(s)
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("%s: server %s/%s: %v", s.Pos, s.Backend, s.Name, err))
			continue
		}
		b.servers[s] = c
	}
	if len(l.errs) > 0 {
		return nil, l.warns, errors.Join(l.errs...)
	}
	return b, l.warns, nil
}

// loader is one Load in progress.
type loader struct {
	src    Source
	now    time.Time
	global Global
	errs   []error
	warns  []string
	// sessions is the stateful session cache of no-tls-tickets binds,
	// made on first use.
	sessions *sessionCache
}

func (l *loader) warnf(pos, format string, args ...any) {
	l.warns = append(l.warns, pos+": "+fmt.Sprintf(format, args...))
}

// resolve joins a relative path to base, as crt-base and ca-base do.
func resolve(base, path string) string {
	if base == "" || filepath.IsAbs(path) || path == "@system-ca" {
		return path
	}
	return filepath.Join(base, path)
}

// WarningsSorted returns warnings without duplicates, in order: the same
// certificate named by several lines warns once.
func WarningsSorted(w []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range w {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return posLess(out[i], out[j]) })
	return out
}

func posLess(a, b string) bool {
	fa, la := splitPos(a)
	fb, lb := splitPos(b)
	if fa != fb {
		return false // different files keep their order
	}
	return la < lb
}

func splitPos(s string) (string, int) {
	f, rest, ok := strings.Cut(s, ":")
	if !ok {
		return s, 0
	}
	n := 0
	for _, c := range rest {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int(c-'0')
	}
	return f, n
}
