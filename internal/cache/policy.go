package cache

import (
	"bytes"
	"net/url"
	"strings"
	"time"

	"baton/internal/h1"
)

// Directives are the Cache-Control directives the cache acts on.
type Directives struct {
	NoStore, NoCache, Private, Public, MustRevalidate bool
	// MaxAge, SMaxAge and MinFresh are in seconds; -1 when absent, and
	// also when the value does not start with a digit (Bad then says
	// so). Digits followed by anything else count ("3600.5" is 3600),
	// as in HAProxy.
	MaxAge, SMaxAge, MinFresh int64
	// NoCacheFields is set for no-cache with a list of fields
	// (no-cache="set-cookie"): the response may be stored, without them
	// (Omitted); private with a list of fields is the same.
	NoCacheFields bool
	// Bad is set when a max-age or s-maxage value is malformed.
	Bad bool
}

// ParseCacheControl folds the directives of one Cache-Control field
// value into d (call Reset first, then once per field).
func (d *Directives) Parse(v []byte) {
	for len(v) > 0 {
		var item []byte
		item, v = nextItem(v)
		name, val, hasVal := bytes.Cut(item, []byte("="))
		name = trimOWS(name)
		val = trimOWS(val)
		if len(val) >= 2 && val[0] == '"' && val[len(val)-1] == '"' {
			val = val[1 : len(val)-1]
		}
		switch {
		case eqFold(name, "no-store"):
			d.NoStore = true
		case eqFold(name, "no-cache"):
			if hasVal && len(val) > 0 {
				d.NoCacheFields = true
			} else {
				d.NoCache = true
			}
		case eqFold(name, "private"):
			// With a list of fields only those are private (Omitted).
			d.Private = d.Private || !hasVal || len(val) == 0
		case eqFold(name, "public"):
			d.Public = true
		case eqFold(name, "min-fresh"):
			d.MinFresh = d.seconds(val, hasVal)
		case eqFold(name, "must-revalidate"), eqFold(name, "proxy-revalidate"):
			d.MustRevalidate = true
		case eqFold(name, "max-age"):
			d.MaxAge = d.seconds(val, hasVal)
		case eqFold(name, "s-maxage"):
			d.SMaxAge = d.seconds(val, hasVal)
		}
	}
}

// Reset clears d before the first Parse.
func (d *Directives) Reset() { *d = Directives{MaxAge: -1, SMaxAge: -1, MinFresh: -1} }

// seconds reads a delta-seconds value; a huge one is capped (RFC 9111
// 1.2.2) and a malformed one marks d as Bad.
func (d *Directives) seconds(v []byte, ok bool) int64 {
	if !ok || len(v) == 0 || v[0] < '0' || v[0] > '9' {
		d.Bad = true
		return -1
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			break
		}
		if n < 1<<31 {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, 1<<31)
}

// nextItem splits a comma-separated list, minding quoted strings.
func nextItem(v []byte) (item, rest []byte) {
	quoted := false
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case '\\':
			if quoted {
				i++
			}
		case ',':
			if !quoted {
				return v[:i], v[i+1:]
			}
		}
	}
	return v, nil
}

func trimOWS(b []byte) []byte { return bytes.Trim(b, " \t") }

func eqFold(b []byte, s string) bool { return len(b) == len(s) && bytes.EqualFold(b, []byte(s)) }

// Lookup says what the cache may do with a request.
type Lookup struct {
	// Use is set when the request may be answered from the cache.
	Use bool
	// Store is set when its response may be stored.
	Store bool
	// Invalidate is set for an unsafe method: a successful response
	// removes the key's object.
	Invalidate bool
	// Authorized is set for a request with Authorization: its response
	// is stored only when it says it may be shared (RFC 9111 3.5).
	Authorized bool
	// MaxAge and MinFresh are the request's own limits in seconds (-1:
	// none): a stored response older than MaxAge, or fresh for less
	// than MinFresh, is not used.
	MaxAge, MinFresh int64
}

// Usable says whether a hit of the given age and remaining freshness
// (seconds) meets the request's limits.
func (l *Lookup) Usable(age, fresh int64) bool {
	return (l.MaxAge < 0 || age <= l.MaxAge) && (l.MinFresh < 0 || fresh >= l.MinFresh)
}

// RequestPolicy decides for a request (see the package comment).
func RequestPolicy(r *h1.Request) Lookup {
	m := string(r.Method)
	if m != "GET" && m != "HEAD" {
		switch m {
		case "OPTIONS", "TRACE", "CONNECT":
			return Lookup{}
		}
		return Lookup{Invalidate: true}
	}
	if r.Minor < 1 || len(r.Host) == 0 && !absolute(r.Target) {
		return Lookup{}
	}
	l := Lookup{Use: true, Store: m == "GET", MaxAge: -1, MinFresh: -1}
	var d Directives
	d.Reset()
	ccFound, pragma := false, false
	for _, h := range r.Headers {
		switch {
		case eqFold(h.Name, "authorization"):
			l.Authorized = true
		case eqFold(h.Name, "cache-control"):
			ccFound = true
			d.Parse(h.Value)
		case eqFold(h.Name, "pragma"):
			if bytes.Contains(bytes.ToLower(h.Value), []byte("no-cache")) {
				pragma = true
			}
		}
	}
	if d.NoCache || d.MaxAge == 0 || pragma && !ccFound || l.Authorized {
		l.Use = false
	}
	l.MaxAge, l.MinFresh = d.MaxAge, d.MinFresh
	if d.NoStore {
		l.Store = false
	}
	return l
}

func absolute(target []byte) bool { return len(target) > 0 && target[0] != '/' && target[0] != '*' }

// AppendKey appends the request's cache key: "https://" + Host + the
// target, or the target alone when it is absolute.
func AppendKey(dst []byte, r *h1.Request) []byte {
	if !absolute(r.Target) {
		dst = append(dst, "https://"...)
		dst = append(dst, r.Host...)
	}
	return append(dst, r.Target...)
}

// Vary signature bits: the request fields a response varies on.
const (
	VaryAcceptEncoding = 1 << iota
	VaryReferer
)

// Freshness is what a storable response's head says.
type Freshness struct {
	// TTL is how long the object stays fresh in the cache.
	TTL time.Duration
	// Age is the response's own Age, in seconds.
	Age int64
	// Vary is the signature of the fields it varies on.
	Vary int
	// Shared is set when the response says a request with
	// Authorization may have it stored: public, must-revalidate or
	// s-maxage.
	Shared bool
}

// Section is a cache section's settings the policy needs.
type Section struct {
	// MaxAge caps every object's lifetime.
	MaxAge time.Duration
	// ProcessVary lets responses with Vary be stored.
	ProcessVary bool
}

// ResponsePolicy decides whether a response to a storable GET may be
// stored, and for how long.
func ResponsePolicy(s *Section, resp *h1.Response, now time.Time) (Freshness, bool) {
	var f Freshness
	if resp.Status != 200 {
		return f, false
	}
	var d Directives
	d.Reset()
	var expires []byte
	hasExpires, validator, ages := false, false, 0
	for _, h := range resp.Headers {
		switch {
		case eqFold(h.Name, "cache-control"):
			d.Parse(h.Value)
		case eqFold(h.Name, "pragma"):
			if bytes.Contains(bytes.ToLower(h.Value), []byte("no-cache")) {
				return f, false
			}
		case eqFold(h.Name, "expires"):
			expires, hasExpires = h.Value, true
		case eqFold(h.Name, "etag"), eqFold(h.Name, "last-modified"):
			validator = true
		case eqFold(h.Name, "age"):
			if ages++; !validAge(h.Value) {
				return f, false
			}
			f.Age = parseAge(h.Value)
		case eqFold(h.Name, "vary"):
			sig, ok := varySignature(h.Value)
			if !ok {
				return f, false
			}
			f.Vary |= sig
		}
	}
	if f.Vary != 0 && !s.ProcessVary || ages > 1 {
		return f, false // an Age field given twice cannot be trusted
	}
	f.Shared = d.Public || d.MustRevalidate || d.SMaxAge > 0
	if d.NoStore || d.NoCache || d.Private || d.Bad || d.MaxAge == 0 || d.SMaxAge == 0 {
		return f, false
	}
	lifetime := int64(-1)
	switch {
	case d.SMaxAge > 0:
		lifetime = d.SMaxAge
	case d.MaxAge > 0:
		lifetime = d.MaxAge
	case hasExpires:
		lifetime = 0
		if t, ok := ParseHTTPDate(expires); ok {
			lifetime = max(0, int64(t.Sub(now)/time.Second))
		}
	case !validator:
		return f, false
	}
	ttl := s.MaxAge
	if lifetime >= 0 && time.Duration(lifetime)*time.Second < ttl {
		ttl = time.Duration(lifetime) * time.Second
	}
	ttl -= time.Duration(f.Age) * time.Second
	if ttl <= 0 {
		return f, false
	}
	f.TTL = ttl
	return f, true
}

// validAge says whether an Age value is one non-negative integer; the
// cache does not store a response whose age it cannot know.
func validAge(v []byte) bool {
	v = trimOWS(v)
	for _, c := range v {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(v) > 0
}

func parseAge(v []byte) int64 {
	v = trimOWS(v)
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return 0
		}
		if n < 1<<31 {
			n = n*10 + int64(c-'0')
		}
	}
	return min(n, 1<<31)
}

// varySignature reads a Vary value; ok is false for a field the cache
// cannot vary on (and for "*").
func varySignature(v []byte) (sig int, ok bool) {
	for len(v) > 0 {
		var item []byte
		item, v = nextItem(v)
		item = trimOWS(item)
		switch {
		case len(item) == 0:
		case eqFold(item, "accept-encoding"):
			sig |= VaryAcceptEncoding
		case eqFold(item, "referer"):
			sig |= VaryReferer
		default:
			return 0, false
		}
	}
	return sig, true
}

// ParseHTTPDate reads an HTTP-date in its three forms (RFC 9110 5.6.7).
func ParseHTTPDate(v []byte) (time.Time, bool) {
	s := string(trimOWS(v))
	for _, layout := range [...]string{time.RFC1123, time.RFC850, time.ANSIC} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// Framing says whether a field is one a stored head leaves out: the
// message framing (a hit has its own Content-Length) and Age (a hit
// computes its own).
func Framing(name []byte) bool {
	return eqFold(name, "content-length") || eqFold(name, "transfer-encoding") || eqFold(name, "age")
}

// Dechunk decodes a complete chunked body in place (trailers are
// dropped); ok is false for a malformed one.
func Dechunk(b []byte) ([]byte, bool) {
	out := b[:0]
	for {
		line, rest, found := bytes.Cut(b, []byte("\r\n"))
		if !found {
			return nil, false
		}
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		line = trimOWS(line)
		if len(line) == 0 || len(line) > 15 {
			return nil, false
		}
		n := 0
		for _, c := range line {
			switch {
			case c >= '0' && c <= '9':
				n = n<<4 | int(c-'0')
			case c >= 'a' && c <= 'f':
				n = n<<4 | int(c-'a'+10)
			case c >= 'A' && c <= 'F':
				n = n<<4 | int(c-'A'+10)
			default:
				return nil, false
			}
		}
		if n == 0 {
			return out, true
		}
		if len(rest) < n+2 || rest[n] != '\r' || rest[n+1] != '\n' {
			return nil, false
		}
		out = append(out, rest[:n]...)
		b = rest[n+2:]
	}
}

// AppendLocationKey appends the key of a Location or Content-Location
// value of a response to req, resolved against the request's target;
// ok is false for another host's URL, which the cache does not hold
// under this Host (RFC 9111 4.4).
func AppendLocationKey(dst []byte, req *h1.Request, loc []byte) ([]byte, bool) {
	base, err := url.Parse("https://" + string(req.Host) + string(req.Path()))
	if err != nil {
		return dst, false
	}
	ref, err := url.Parse(string(trimOWS(loc)))
	if err != nil {
		return dst, false
	}
	u := base.ResolveReference(ref)
	if !strings.EqualFold(u.Host, string(req.Host)) {
		return dst, false
	}
	dst = append(dst, "https://"...)
	dst = append(dst, req.Host...)
	return append(dst, u.RequestURI()...), true
}

// Omitted says whether a stored head leaves out the field name: one
// that the response's Cache-Control lists in no-cache="..." or
// private="..." may not be sent from the cache without revalidation
// (RFC 9111 5.2.2.4, 5.2.2.7), and the cache never revalidates.
func Omitted(r *h1.Response, name []byte) bool {
	for _, h := range r.Headers {
		if !eqFold(h.Name, "cache-control") {
			continue
		}
		v := h.Value
		for len(v) > 0 {
			var item []byte
			item, v = nextItem(v)
			d, list, ok := bytes.Cut(trimOWS(item), []byte("="))
			if !ok || !eqFold(trimOWS(d), "no-cache") && !eqFold(trimOWS(d), "private") {
				continue
			}
			list = bytes.Trim(trimOWS(list), `"`)
			for len(list) > 0 {
				var f []byte
				f, list, _ = bytes.Cut(list, []byte(","))
				if f = trimOWS(f); len(f) > 0 && bytes.EqualFold(f, name) {
					return true
				}
			}
		}
	}
	return false
}
