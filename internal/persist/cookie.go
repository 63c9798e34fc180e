package persist

import (
	"encoding/binary"

	"baton/internal/backend"
	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
)

// Cookie is a backend's compiled cookie persistence. Read-only after
// New; safe for concurrent use.
type Cookie struct {
	cfg  *config.Cookie
	name string
	key  []byte
	// attrs is what follows NAME=VALUE in an inserted cookie.
	attrs []byte
}

// New compiles p's cookie line; nil when it has none.
func New(p *config.Proxy) *Cookie {
	c := p.Cookie
	if c == nil {
		return nil
	}
	k := &Cookie{cfg: c, name: c.Name, key: []byte(p.DynamicCookieKey)}
	a := []byte("; path=/")
	for _, d := range c.Domains {
		a = append(a, "; domain="+d...)
	}
	if c.HTTPOnly {
		a = append(a, "; HttpOnly"...)
	}
	if c.Secure {
		a = append(a, "; Secure"...)
	}
	for _, at := range c.Attrs {
		a = append(a, "; "+at...)
	}
	k.attrs = a
	return k
}

// ServerValue appends s's cookie value to dst: its "cookie" option, or
// its dynamic value. A server without one gets nothing appended.
func (k *Cookie) ServerValue(dst []byte, s *backend.Server) []byte {
	if !k.cfg.Dynamic {
		return append(dst, s.Config.Cookie...)
	}
	if s.Config.Cookie != "" {
		return append(dst, s.Config.Cookie...)
	}
	ep := s.Endpoint()
	if ep == nil || !ep.AddrPort.IsValid() || len(k.key) == 0 {
		return dst
	}
	var buf [256 + 16 + 4]byte
	b := append(buf[:0], k.key...)
	if a := ep.AddrPort.Addr().Unmap(); a.Is4() {
		ip := a.As4()
		b = append(b, ip[:]...)
	} else {
		ip := a.As16()
		b = append(b, ip[:]...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(ep.AddrPort.Port()))
	h := expr.XXH64(b, 0)
	const digits = "0123456789abcdef"
	for i := 60; i >= 0; i -= 4 {
		dst = append(dst, digits[h>>uint(i)&15])
	}
	return dst
}

// Server returns the server of b whose value is v, or nil; scratch is
// room for dynamic values.
func (k *Cookie) Server(b *backend.Backend, v []byte, scratch []byte) *backend.Server {
	if len(v) == 0 {
		return nil
	}
	for _, s := range b.Servers {
		sv := k.ServerValue(scratch[:0], s)
		if len(sv) > 0 && string(sv) == string(v) {
			return s
		}
	}
	return nil
}

// Request finds the persistence cookie in req's Cookie headers and
// returns the value naming a server; it edits the headers as the mode
// asks (insert indirect: removed; prefix: the server part stripped),
// building new values at the end of scratch, which it returns grown. In
// insert mode the value's dates (see Dates) are split off and checked
// against maxidle and maxlife at now (Unix seconds): a cookie past either
// is not found, and Dates says why.
func (k *Cookie) Request(req *h1.Request, scratch []byte, now int64) (val []byte, d Dates, found bool, out []byte) {
	val, found, out = k.request(req, scratch)
	if !found || k.cfg.Mode != "insert" {
		return val, d, found, out
	}
	val, d = k.splitDates(val, now)
	if d.Expired || d.Old {
		// Ignored: the client starts afresh, dates included.
		found, d.Last, d.First = false, 0, 0
	}
	return val, d, found, out
}

func (k *Cookie) request(req *h1.Request, scratch []byte) (val []byte, found bool, out []byte) {
	for i := range req.Headers {
		h := &req.Headers[i]
		if !expr.EqualFold(h.Name, "cookie") {
			continue
		}
		// Every occurrence counts (the last names the server); in insert
		// indirect mode each is removed.
		for tries := 0; tries < 64; tries++ {
			start, end, vs, ve, ok := findPair(h.Value, k.name)
			if !ok {
				break
			}
			v := h.Value[vs:ve]
			if k.cfg.Mode == "prefix" {
				j := 0
				for j < len(v) && v[j] != '~' {
					j++
				}
				if j < len(v) {
					// NAME=SRV~rest becomes NAME=rest.
					val, found = v[:j], true
					n := len(scratch)
					scratch = append(scratch, h.Value[:vs]...)
					scratch = append(scratch, v[j+1:]...)
					scratch = append(scratch, h.Value[ve:]...)
					h.Value = scratch[n:len(scratch):len(scratch)]
				}
				break
			}
			val, found = v, true
			if k.cfg.Mode != "insert" || !k.cfg.Indirect {
				break
			}
			n := len(scratch)
			scratch = append(scratch, h.Value[:start]...)
			for len(scratch) > n && (scratch[len(scratch)-1] == ' ' || scratch[len(scratch)-1] == ';' || scratch[len(scratch)-1] == '\t') {
				scratch = scratch[:len(scratch)-1]
			}
			rest := h.Value[end:]
			for len(rest) > 0 && (rest[0] == ';' || rest[0] == ' ' || rest[0] == '\t') {
				rest = rest[1:]
			}
			if len(scratch) > n && len(rest) > 0 {
				scratch = append(scratch, "; "...)
			}
			scratch = append(scratch, rest...)
			h.Value = scratch[n:len(scratch):len(scratch)]
		}
	}
	if k.cfg.Mode == "insert" && k.cfg.Indirect {
		// Cookie headers left empty go.
		hs := req.Headers[:0]
		for _, h := range req.Headers {
			if expr.EqualFold(h.Name, "cookie") && len(expr.TrimBlanks(h.Value)) == 0 {
				continue
			}
			hs = append(hs, h)
		}
		for i := len(hs); i < len(req.Headers); i++ {
			req.Headers[i] = h1.Header{}
		}
		req.Headers = hs
	}
	return val, found, scratch
}

// findPair finds "name=value" among the ';'-separated pairs of a cookie
// header value: the pair's bounds and the value's.
func findPair(v []byte, name string) (start, end, vs, ve int, ok bool) {
	i := 0
	for i < len(v) {
		for i < len(v) && (v[i] == ' ' || v[i] == '\t' || v[i] == ';') {
			i++
		}
		start = i
		for i < len(v) && v[i] != ';' {
			i++
		}
		pair := v[start:i]
		if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
			end = i
			vs = start + len(name) + 1
			ve = i
			for ve > vs && (v[ve-1] == ' ' || v[ve-1] == '\t') {
				ve--
			}
			return start, end, vs, ve, true
		}
	}
	return 0, 0, 0, 0, false
}

var (
	setCookie    = []byte("Set-Cookie")
	cacheControl = []byte("Cache-control")
	private      = []byte("private")
)

// Response applies the mode to resp, the answer of srv to a request of
// method post (POST) whose persistence cookie named had (nil: none, or
// another server) with dates d, at now (Unix seconds). It returns scratch
// grown by the values it built.
func (k *Cookie) Response(resp *h1.Response, srv *backend.Server, had *backend.Server, d Dates, now int64, post, cacheableReq bool, scratch []byte) []byte {
	n := len(scratch)
	scratch = k.ServerValue(scratch, srv)
	sv := scratch[n:len(scratch):len(scratch)]
	if len(sv) == 0 {
		return scratch[:n]
	}
	serverSet := false
	for i := range resp.Headers {
		h := &resp.Headers[i]
		if !expr.EqualFold(h.Name, "set-cookie") {
			continue
		}
		vs, ve, ok := k.setCookieValue(h.Value)
		if !ok {
			continue
		}
		serverSet = true
		switch k.cfg.Mode {
		case "rewrite":
			m := len(scratch)
			scratch = append(scratch, h.Value[:vs]...)
			scratch = append(scratch, sv...)
			scratch = append(scratch, h.Value[ve:]...)
			h.Value = scratch[m:len(scratch):len(scratch)]
		case "prefix":
			m := len(scratch)
			scratch = append(scratch, h.Value[:vs]...)
			scratch = append(scratch, sv...)
			scratch = append(scratch, '~')
			scratch = append(scratch, h.Value[vs:]...)
			h.Value = scratch[m:len(scratch):len(scratch)]
		}
	}
	if k.cfg.Mode != "insert" {
		return scratch
	}
	if serverSet && !k.cfg.Preserve {
		// The server's own cookie of that name goes: Baton's replaces it.
		hs := resp.Headers[:0]
		for _, h := range resp.Headers {
			if expr.EqualFold(h.Name, "set-cookie") {
				if _, _, ok := k.setCookieValue(h.Value); ok {
					continue
				}
			}
			hs = append(hs, h)
		}
		for i := len(hs); i < len(resp.Headers); i++ {
			resp.Headers[i] = h1.Header{}
		}
		resp.Headers = hs
		serverSet = false
	}
	if serverSet || k.cfg.PostOnly && !post || had == srv && !k.refresh(d, now) {
		return scratch
	}
	m := len(scratch)
	scratch = append(scratch, k.name...)
	scratch = append(scratch, '=')
	scratch = append(scratch, sv...)
	scratch = k.appendDates(scratch, d, now)
	scratch = append(scratch, k.attrs...)
	resp.Headers = append(resp.Headers, h1.Header{Name: setCookie, Value: scratch[m:len(scratch):len(scratch)]})
	if k.cfg.NoCache && cacheableReq && Cacheable(resp) {
		resp.Headers = append(resp.Headers, h1.Header{Name: cacheControl, Value: private})
	}
	return scratch
}

// setCookieValue returns the bounds of the value of a Set-Cookie field
// that sets the persistence cookie (its first pair is NAME=...).
func (k *Cookie) setCookieValue(v []byte) (vs, ve int, ok bool) {
	i := 0
	for i < len(v) && (v[i] == ' ' || v[i] == '\t') {
		i++
	}
	if len(v)-i <= len(k.name) || string(v[i:i+len(k.name)]) != k.name || v[i+len(k.name)] != '=' {
		return 0, 0, false
	}
	vs = i + len(k.name) + 1
	ve = vs
	for ve < len(v) && v[ve] != ';' {
		ve++
	}
	return vs, ve, true
}

// Cacheable reports whether a shared cache could store resp, as HAProxy
// judges it to mark it private: a cacheable status, no Pragma: no-cache
// nor Cache-Control private, no-cache or no-store, and freshness (max-age,
// s-maxage, public, Expires) or a validator (ETag, Last-Modified).
func Cacheable(resp *h1.Response) bool {
	switch resp.Status {
	case 200, 203, 204, 206, 300, 301, 404, 405, 410, 414, 501:
	default:
		return false
	}
	fresh, validator := false, false
	for _, h := range resp.Headers {
		switch {
		case expr.EqualFold(h.Name, "pragma"):
			if expr.EqualFold(expr.TrimBlanks(h.Value), "no-cache") {
				return false
			}
		case expr.EqualFold(h.Name, "cache-control"):
			v := h.Value
			for len(v) > 0 {
				j := 0
				for j < len(v) && v[j] != ',' {
					j++
				}
				d := expr.TrimBlanks(v[:j])
				switch {
				case expr.EqualFold(d, "private"), expr.EqualFold(d, "no-cache"), expr.EqualFold(d, "no-store"),
					expr.EqualFold(d, "max-age=0"), expr.EqualFold(d, "s-maxage=0"):
					return false
				case expr.EqualFold(d, "public"), hasPrefixFold(d, "max-age="), hasPrefixFold(d, "s-maxage="):
					fresh = true
				}
				if j == len(v) {
					break
				}
				v = v[j+1:]
			}
		case expr.EqualFold(h.Name, "expires"):
			fresh = true
		case expr.EqualFold(h.Name, "etag"), expr.EqualFold(h.Name, "last-modified"):
			validator = true
		}
	}
	return fresh || validator
}

func hasPrefixFold(b []byte, p string) bool { return len(b) >= len(p) && expr.EqualFold(b[:len(p)], p) }
