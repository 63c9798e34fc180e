package tlsconf

import (
	"crypto/tls"
	"fmt"
	"sort"
	"strings"
)

// Options are the TLS settings a bind line, a crt-list line or a server
// line may carry, parsed and checked. The zero value means every setting
// unset: Go's defaults apply, with HAProxy's minimum version (TLSv1.2).
type Options struct {
	// Ciphers is the OpenSSL cipher string for TLS 1.2 and earlier as
	// written; CipherSuites its Go suites (nil: Go's defaults).
	Ciphers      string
	CipherSuites []uint16
	// Ciphersuites is the TLS 1.3 list as written; Go always offers its
	// three TLS 1.3 suites (see CheckCiphersuites).
	Ciphersuites string
	// Curves is the key exchange list as written ("curves" or "ecdhe");
	// CurveIDs its Go groups (nil: Go's defaults).
	Curves   string
	CurveIDs []tls.CurveID
	// MinVer and MaxVer are "ssl-min-ver" and "ssl-max-ver" as version
	// indexes (see versionNames) plus one; 0 means unset.
	MinVer, MaxVer int
	// NoVer has bit i set by "no-<version i>".
	NoVer uint8
	// Force is "force-<version>" as a version index plus one; 0 unset.
	Force int
	// NoTickets is "no-tls-tickets"; Tickets is an explicit
	// "tls-tickets" (servers), which overrides a default NoTickets.
	NoTickets, Tickets bool
	// PreferClientCiphers is accepted: Go orders suites itself.
	PreferClientCiphers bool
	// ALPN is the "alpn" list; nil means no ALPN is advertised.
	ALPN []string
	// Verify is "none", "optional" or "required"; "" means unset (binds:
	// none; servers: ssl-server-verify).
	Verify string
	// CAFile, CAVerifyFile and CRLFile are paths as resolved against
	// ca-base ("@system-ca" is kept as is).
	CAFile, CAVerifyFile, CRLFile string
	// NoCANames stops CA names being sent in a certificate request.
	NoCANames bool
}

// versionNames are HAProxy's version words, by index.
var versionNames = []string{"SSLv3", "TLSv1.0", "TLSv1.1", "TLSv1.2", "TLSv1.3"}

var goVersions = []uint16{tls.VersionSSL30, tls.VersionTLS10, tls.VersionTLS11, tls.VersionTLS12, tls.VersionTLS13}

// VersionName is HAProxy's name of a Go TLS version ("TLSv1.3"), as
// ssl_fc_protocol returns it.
func VersionName(v uint16) string {
	for i, g := range goVersions {
		if g == v {
			return versionNames[i]
		}
	}
	return ""
}

// noVerWords maps "no-sslv3" and friends to version indexes.
var noVerWords = map[string]int{"sslv3": 0, "tlsv10": 1, "tlsv11": 2, "tlsv12": 3, "tlsv13": 4}

// Context says where an option word appears: each option is allowed in
// some of them.
type Context uint8

const (
	CtxBind          Context = 1 << iota // a bind line
	CtxCrtList                           // inside [ ] on a crt-list line
	CtxServer                            // a server line
	CtxDefaultBind                       // ssl-default-bind-options
	CtxDefaultServer                     // ssl-default-server-options
)

// option is one TLS option word.
type option struct {
	ctx   Context
	value bool // takes one argument
	apply func(o *Options, v string, warn func(string)) error
}

func versionIndex(v string) (int, error) {
	for i, n := range versionNames {
		if n == v {
			return i, nil
		}
	}
	return 0, fmt.Errorf("unknown version %q (SSLv3, TLSv1.0, TLSv1.1, TLSv1.2 or TLSv1.3)", v)
}

var options map[string]option

func init() {
	const versCtx = CtxBind | CtxCrtList | CtxServer | CtxDefaultBind | CtxDefaultServer
	options = map[string]option{
		"ciphers": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, warn func(string)) error {
			return o.setCiphers(v, warn)
		}},
		"ciphersuites": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, warn func(string)) error {
			return o.setCiphersuites(v, warn)
		}},
		"curves": {ctx: CtxBind | CtxCrtList, value: true, apply: func(o *Options, v string, warn func(string)) error {
			return o.setCurves(v, warn)
		}},
		"ecdhe": {ctx: CtxBind | CtxCrtList, value: true, apply: func(o *Options, v string, warn func(string)) error {
			if o.CurveIDs != nil {
				return nil // "curves" wins over "ecdhe", as in HAProxy
			}
			return o.setCurves(v, warn)
		}},
		"ssl-min-ver": {ctx: versCtx, value: true, apply: func(o *Options, v string, _ func(string)) error {
			i, err := versionIndex(v)
			o.MinVer = i + 1
			return err
		}},
		"ssl-max-ver": {ctx: versCtx, value: true, apply: func(o *Options, v string, _ func(string)) error {
			i, err := versionIndex(v)
			o.MaxVer = i + 1
			return err
		}},
		"no-tls-tickets": {ctx: CtxBind | CtxServer | CtxDefaultBind | CtxDefaultServer, apply: func(o *Options, _ string, _ func(string)) error {
			o.NoTickets, o.Tickets = true, false
			return nil
		}},
		"tls-tickets": {ctx: CtxServer, apply: func(o *Options, _ string, _ func(string)) error {
			o.NoTickets, o.Tickets = false, true
			return nil
		}},
		"prefer-client-ciphers": {ctx: CtxBind | CtxDefaultBind, apply: func(o *Options, _ string, warn func(string)) error {
			o.PreferClientCiphers = true
			warn("prefer-client-ciphers: Go's TLS picks the suite itself (AES-GCM first with hardware AES, else ChaCha20); the client's order is not followed")
			return nil
		}},
		"alpn": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, _ func(string)) error {
			o.ALPN = nil
			for _, p := range strings.Split(v, ",") {
				if p == "" || len(p) > 255 {
					return fmt.Errorf("invalid protocol list %q", v)
				}
				o.ALPN = append(o.ALPN, p)
			}
			return nil
		}},
		"npn": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, warn func(string)) error {
			warn("npn: Go's TLS does not implement NPN (obsolete, replaced by ALPN); nothing is advertised with it")
			return nil
		}},
		"verify": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, _ func(string)) error {
			switch v {
			case "none", "optional", "required":
				o.Verify = v
				return nil
			}
			return fmt.Errorf("verify %q: expects none, optional or required", v)
		}},
		"ca-file": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, _ func(string)) error {
			o.CAFile = v
			return nil
		}},
		"ca-verify-file": {ctx: CtxBind | CtxCrtList, value: true, apply: func(o *Options, v string, _ func(string)) error {
			o.CAVerifyFile = v
			return nil
		}},
		"crl-file": {ctx: CtxBind | CtxCrtList | CtxServer, value: true, apply: func(o *Options, v string, _ func(string)) error {
			o.CRLFile = v
			return nil
		}},
		"no-ca-names": {ctx: CtxBind | CtxCrtList, apply: func(o *Options, _ string, _ func(string)) error {
			o.NoCANames = true
			return nil
		}},
		"allow-0rtt": {ctx: CtxBind | CtxCrtList | CtxServer, apply: func(o *Options, _ string, warn func(string)) error {
			warn("allow-0rtt: Go's TLS does not accept early data over TCP; clients fall back to a 1-RTT handshake")
			return nil
		}},
	}
	for w, i := range noVerWords {
		options["no-"+w] = option{ctx: versCtx, apply: func(o *Options, _ string, _ func(string)) error {
			o.NoVer |= 1 << i
			return nil
		}}
		options["force-"+w] = option{ctx: versCtx, apply: func(o *Options, _ string, _ func(string)) error {
			o.Force = i + 1
			return nil
		}}
	}
}

// IsOption reports whether word is a TLS option allowed in ctx.
func IsOption(word string, ctx Context) bool {
	opt, ok := options[word]
	return ok && opt.ctx&ctx != 0
}

// TakesValue reports whether the TLS option word takes an argument.
func TakesValue(word string) bool { return options[word].value }

// OptionNames lists the option words allowed in ctx, sorted.
func OptionNames(ctx Context) []string {
	var out []string
	for w, o := range options {
		if o.ctx&ctx != 0 {
			out = append(out, w)
		}
	}
	sort.Strings(out)
	return out
}

// Apply sets the option word (with its value, "" when it takes none) on
// o. Warnings about what Go cannot honour go to warn; an error says what
// is wrong with the value.
func (o *Options) Apply(word, value string, ctx Context, warn func(string)) error {
	opt, ok := options[word]
	if !ok || opt.ctx&ctx == 0 {
		return fmt.Errorf("%q is not a TLS option here", word)
	}
	return opt.apply(o, value, warn)
}

func (o *Options) setCiphers(v string, warn func(string)) error {
	cl, err := ParseCiphers(v)
	if cl != nil {
		for _, w := range cl.Warnings {
			warn("ciphers: " + w)
		}
	}
	if err != nil {
		return err
	}
	o.Ciphers, o.CipherSuites = v, cl.Suites
	return nil
}

func (o *Options) setCiphersuites(v string, warn func(string)) error {
	ws, err := CheckCiphersuites(v)
	for _, w := range ws {
		warn("ciphersuites: " + w)
	}
	if err != nil {
		return err
	}
	o.Ciphersuites = v
	return nil
}

// curveNames maps OpenSSL's group names to Go's.
var curveNames = map[string]tls.CurveID{
	"X25519": tls.X25519, "x25519": tls.X25519,
	"P-256": tls.CurveP256, "prime256v1": tls.CurveP256, "secp256r1": tls.CurveP256,
	"P-384": tls.CurveP384, "secp384r1": tls.CurveP384,
	"P-521": tls.CurveP521, "secp521r1": tls.CurveP521,
	"X25519MLKEM768": tls.X25519MLKEM768, "SecP256r1MLKEM768": tls.SecP256r1MLKEM768,
	"SecP384r1MLKEM1024": tls.SecP384r1MLKEM1024,
}

// knownCurves are groups OpenSSL has and Go does not.
var knownCurves = wordSet("X448 x448 ffdhe2048 ffdhe3072 ffdhe4096 ffdhe6144 ffdhe8192 brainpoolP256r1 brainpoolP384r1 brainpoolP512r1 secp224r1 P-224 secp192r1 prime192v1 secp256k1")

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

func (o *Options) setCurves(v string, warn func(string)) error {
	var ids []tls.CurveID
	for _, n := range splitList(v) {
		id, ok := curveNames[n]
		switch {
		case ok:
			ids = append(ids, id)
		case knownCurves[n]:
			warn(fmt.Sprintf("curves: %s is not implemented by Go's TLS; ignored", n))
		default:
			return fmt.Errorf("curves %q: unknown curve %q", v, n)
		}
	}
	if len(ids) == 0 {
		return fmt.Errorf("curves %q: no curve that Go's TLS implements", v)
	}
	o.Curves, o.CurveIDs = v, ids
	return nil
}

// Merge returns o with every setting def has and o leaves unset: def is
// a defaults line (ssl-default-bind-*, the bind line under a crt-list
// line). Version options are taken as a group.
func (o Options) Merge(def Options) Options {
	if o.CipherSuites == nil {
		o.Ciphers, o.CipherSuites = def.Ciphers, def.CipherSuites
	}
	if o.Ciphersuites == "" {
		o.Ciphersuites = def.Ciphersuites
	}
	if o.CurveIDs == nil {
		o.Curves, o.CurveIDs = def.Curves, def.CurveIDs
	}
	if o.MinVer == 0 && o.MaxVer == 0 && o.NoVer == 0 && o.Force == 0 {
		o.MinVer, o.MaxVer, o.NoVer, o.Force = def.MinVer, def.MaxVer, def.NoVer, def.Force
	}
	if !o.NoTickets && !o.Tickets {
		o.NoTickets = def.NoTickets
	}
	o.PreferClientCiphers = o.PreferClientCiphers || def.PreferClientCiphers
	if o.ALPN == nil {
		o.ALPN = def.ALPN
	}
	if o.Verify == "" {
		o.Verify = def.Verify
	}
	if o.CAFile == "" {
		o.CAFile = def.CAFile
	}
	if o.CAVerifyFile == "" {
		o.CAVerifyFile = def.CAVerifyFile
	}
	if o.CRLFile == "" {
		o.CRLFile = def.CRLFile
	}
	o.NoCANames = o.NoCANames || def.NoCANames
	return o
}

// Versions computes the TLS version range as HAProxy does: every version
// is enabled unless a no-<version> option disables it or it lies below
// ssl-min-ver (TLSv1.2 when unset) or above ssl-max-ver; force-<version>
// enables that one only. Go has no SSLv3: it is dropped with a warning.
// A range with a hole (no-tlsv11 between TLSv1.0 and TLSv1.2) cannot be
// expressed in Go: the hole is a warning and the version stays enabled.
func (o *Options) Versions(warn func(string)) (min, max uint16, err error) {
	var enabled [5]bool
	lo, hi := 3, 4 // TLSv1.2 .. TLSv1.3
	if o.MinVer != 0 {
		lo = o.MinVer - 1
	}
	if o.MaxVer != 0 {
		hi = o.MaxVer - 1
	}
	if o.Force != 0 {
		lo, hi = o.Force-1, o.Force-1
	}
	first, last := -1, -1
	for i := range enabled {
		enabled[i] = i >= lo && i <= hi && (o.Force != 0 || o.NoVer&(1<<i) == 0)
		if enabled[i] {
			if first < 0 {
				first = i
			}
			last = i
		}
	}
	if first < 0 {
		return 0, 0, fmt.Errorf("every SSL/TLS version is disabled (ssl-min-ver %s, ssl-max-ver %s)", versionNames[lo], versionNames[hi])
	}
	if enabled[0] {
		warn("SSLv3: Go's TLS does not implement SSLv3; the lowest version is TLSv1.0")
		if last == 0 {
			return 0, 0, fmt.Errorf("only SSLv3 is enabled, which Go's TLS does not implement")
		}
		first = 1
	}
	for i := first; i <= last; i++ {
		if !enabled[i] {
			warn(fmt.Sprintf("versions %s to %s are not contiguous; Go negotiates a range, so %s stays enabled", versionNames[first], versionNames[last], versionNames[i]))
		}
	}
	return goVersions[first], goVersions[last], nil
}
