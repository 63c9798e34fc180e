package h1

import "unsafe"

// Character classes, as lookup tables indexed by byte.
var (
	// tokenChar: RFC 9110 tchar.
	tokenChar [256]bool
	// valueChar: field-vchar, SP and HTAB (RFC 9110 section 5.5); obs-text
	// (0x80-0xFF) is allowed as the RFC permits recipients to.
	valueChar [256]bool
	// targetChar: bytes allowed in a request target: visible ASCII except
	// '#' (a fragment is never sent; CVE-2023-45539).
	targetChar [256]bool
	// hostChar: reg-name, IP-literal and port characters (RFC 3986) minus
	// ',' (HAProxy b743b566: "Host: a,b" is ambiguous) and minus '@'
	// (userinfo is not part of Host).
	hostChar [256]bool
)

func init() {
	for c := '0'; c <= '9'; c++ {
		tokenChar[c] = true
		hostChar[c] = true
	}
	for c := 'a'; c <= 'z'; c++ {
		tokenChar[c], tokenChar[c-32] = true, true
		hostChar[c], hostChar[c-32] = true, true
	}
	for _, c := range "!#$%&'*+-.^_`|~" {
		tokenChar[c] = true
	}
	for _, c := range "-._~%!$&'()*+;=:[]" {
		hostChar[c] = true
	}
	for c := 0x21; c <= 0x7e; c++ {
		valueChar[c] = true
		targetChar[c] = true
	}
	targetChar['#'] = false
	valueChar[' '], valueChar['\t'] = true, true
	for c := 0x80; c <= 0xff; c++ {
		valueChar[c] = true
	}
}

// equalFold reports whether b equals s ignoring ASCII case; s must be
// lower case (callers pass literals).
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := 0; i < len(b); i++ {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// equalFoldBoth compares two byte strings ignoring ASCII case.
func equalFoldBoth(a []byte, b string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := 0; i < len(a); i++ {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 32
	}
	return c
}

// nameBytes returns name as bytes without copying. The result aliases
// the string's memory, which is read-only: Header.Name is never written
// through by this package, and callers must not write through it either.
func nameBytes(name string) []byte {
	return unsafe.Slice(unsafe.StringData(name), len(name))
}

func headerGet(h []Header, name string) ([]byte, bool) {
	for i := range h {
		if equalFoldBoth(h[i].Name, name) {
			return h[i].Value, true
		}
	}
	return nil, false
}

func headerSet(h []Header, name string, value []byte) []Header {
	found := false
	out := h[:0]
	for i := range h {
		if equalFoldBoth(h[i].Name, name) {
			if found {
				continue
			}
			found = true
			h[i].Value = value
		}
		out = append(out, h[i])
	}
	if !found {
		out = append(out, Header{Name: nameBytes(name), Value: value})
	}
	return out
}

func headerDel(h []Header, name string) []Header {
	out := h[:0]
	for i := range h {
		if !equalFoldBoth(h[i].Name, name) {
			out = append(out, h[i])
		}
	}
	clearTail(h, len(out))
	return out
}

// clearTail drops references held by the now-unused tail so a reused
// slice does not pin old buffers.
func clearTail(h []Header, n int) {
	for i := n; i < len(h); i++ {
		h[i] = Header{}
	}
}

// Header returns the first value of the named field (case-insensitive).
func (r *Request) Header(name string) ([]byte, bool) { return headerGet(r.Headers, name) }

// SetHeader replaces the first field named name (dropping any others) or
// appends one. The stored Name aliases name's memory (no copy).
func (r *Request) SetHeader(name string, value []byte) {
	r.Headers = headerSet(r.Headers, name, value)
}

// AddHeader appends a field. The stored Name aliases name's memory.
func (r *Request) AddHeader(name string, value []byte) {
	r.Headers = append(r.Headers, Header{Name: nameBytes(name), Value: value})
}

// DelHeader removes every field named name.
func (r *Request) DelHeader(name string) { r.Headers = headerDel(r.Headers, name) }

// Header returns the first value of the named field (case-insensitive).
func (r *Response) Header(name string) ([]byte, bool) { return headerGet(r.Headers, name) }

// SetHeader replaces the first field named name (dropping any others) or
// appends one.
func (r *Response) SetHeader(name string, value []byte) {
	r.Headers = headerSet(r.Headers, name, value)
}

// AddHeader appends a field.
func (r *Response) AddHeader(name string, value []byte) {
	r.Headers = append(r.Headers, Header{Name: nameBytes(name), Value: value})
}

// DelHeader removes every field named name.
func (r *Response) DelHeader(name string) { r.Headers = headerDel(r.Headers, name) }

var slash = []byte("/")

// Path returns the target's path without the query: for origin-form the
// target up to '?'; for absolute-form the path after the authority ("/"
// when empty); "*" for the asterisk form; nil for CONNECT's
// authority-form, which has no path.
func (r *Request) Path() []byte {
	t := r.Target
	if len(t) == 0 {
		return nil
	}
	switch {
	case t[0] == '/':
	case len(t) == 1 && t[0] == '*':
		return t
	default:
		i := schemeEnd(t)
		if i < 0 {
			return nil // authority-form
		}
		t = t[i:]
		j := 0
		for j < len(t) && t[j] != '/' && t[j] != '?' {
			j++
		}
		t = t[j:]
		if len(t) == 0 || t[0] == '?' {
			return slash
		}
	}
	for i := 0; i < len(t); i++ {
		if t[i] == '?' {
			return t[:i]
		}
	}
	return t
}

// schemeEnd returns the index just after "http://" or "https://" (any
// case) at the start of t, or -1.
func schemeEnd(t []byte) int {
	if len(t) >= 7 && equalFoldBoth(t[:7], "http://") {
		return 7
	}
	if len(t) >= 8 && equalFoldBoth(t[:8], "https://") {
		return 8
	}
	return -1
}

// StripHopByHop removes the hop-by-hop fields (RFC 9110 section 7.6.1):
// Connection, Keep-Alive, Proxy-Connection, TE, Trailer,
// Transfer-Encoding, Upgrade, and every field named by a Connection
// token. It works in place and returns the shortened slice.
//
// The proxy learns framing and upgrades from the parsed Body and Upgrade
// fields, not from these headers: it re-adds "Transfer-Encoding: chunked"
// when it forwards a chunked body, and "Connection: upgrade" plus the
// Upgrade field when it forwards an upgrade. Fields the proxy adds itself
// (X-Forwarded-For and the like) must be added after stripping, so that a
// client's "Connection: X-Forwarded-For" cannot remove them
// (CVE-2024-45410).
func StripHopByHop(h []Header) []Header {
	// Pass 1 marks dropped fields with a nil Name while the Connection
	// fields (whose tokens name the others) are still intact.
	for i := range h {
		n := h[i].Name
		if isConnection(n) {
			continue
		}
		if isFixedHopByHop(n) || namedByConnection(h, n) {
			h[i].Name = nil
		}
	}
	out := h[:0]
	for i := range h {
		if h[i].Name == nil || isConnection(h[i].Name) {
			continue
		}
		out = append(out, h[i])
	}
	clearTail(h, len(out))
	return out
}

func isConnection(n []byte) bool { return len(n) == 10 && equalFold(n, "connection") }

func isFixedHopByHop(n []byte) bool {
	switch len(n) {
	case 2:
		return equalFold(n, "te")
	case 7:
		return equalFold(n, "trailer") || equalFold(n, "upgrade")
	case 10:
		return equalFold(n, "keep-alive")
	case 16:
		return equalFold(n, "proxy-connection")
	case 17:
		return equalFold(n, "transfer-encoding")
	}
	return false
}

func namedByConnection(h []Header, name []byte) bool {
	for i := range h {
		if !isConnection(h[i].Name) {
			continue
		}
		found := false
		eachToken(h[i].Value, func(tok []byte) bool {
			if equalFoldBytes(tok, name) {
				found = true
				return false
			}
			return true
		})
		if found {
			return true
		}
	}
	return false
}

func equalFoldBytes(a, b []byte) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if lower(a[i]) != lower(b[i]) {
			return false
		}
	}
	return true
}

// eachToken calls f for each element of a comma-separated list, with
// surrounding whitespace trimmed; empty elements are skipped. f returns
// false to stop.
func eachToken(v []byte, f func([]byte) bool) {
	for len(v) > 0 {
		i := 0
		for i < len(v) && v[i] != ',' {
			i++
		}
		tok := trimOWS(v[:i])
		if len(tok) > 0 && !f(tok) {
			return
		}
		if i == len(v) {
			return
		}
		v = v[i+1:]
	}
}

func trimOWS(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	return b
}
