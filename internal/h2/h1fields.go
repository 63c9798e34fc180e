package h2

import (
	"strings"

	"baton/internal/h1"

	"golang.org/x/net/http2/hpack"
)

// hopByHop are the HTTP/1.1 fields HTTP/2 forbids (RFC 9113 8.2.2).
var hopByHop = map[string]bool{"connection": true, "keep-alive": true, "proxy-connection": true, "transfer-encoding": true, "upgrade": true, "te": true}

// knownNames maps the usual spellings (canonical and lower case) of
// common response field names to their lower-case form, so that a
// response head from a server converts without allocating its names.
var knownNames = func() map[string]string {
	m := map[string]string{}
	for _, canon := range []string{
		"Accept-Ranges", "Age", "Alt-Svc", "Cache-Control", "Connection",
		"Content-Disposition", "Content-Encoding", "Content-Language",
		"Content-Length", "Content-Location", "Content-Range",
		"Content-Security-Policy", "Content-Type", "Date", "ETag", "Expires",
		"Keep-Alive", "Last-Modified", "Link", "Location", "Pragma",
		"Retry-After", "Server", "Set-Cookie", "Strict-Transport-Security",
		"Trailer", "Transfer-Encoding", "Upgrade", "Vary", "Via",
		"WWW-Authenticate", "X-Content-Type-Options", "X-Frame-Options",
	} {
		lower := strings.ToLower(canon)
		m[canon], m[lower] = lower, lower
	}
	m["Etag"] = "etag"
	return m
}()

// lowerName returns the lower-case form of a field name, allocated only
// for a name outside knownNames.
func lowerName(b []byte) string {
	if s, ok := knownNames[string(b)]; ok {
		return s
	}
	return strings.ToLower(string(b))
}

// valueCacheSize is the number of field values a connection remembers
// (a power of two).
const valueCacheSize = 8

// internValue returns b as a string, reusing the string of an equal
// value this connection sent recently (a server's Server, Date,
// Content-Type and Content-Length are mostly the same response after
// response). The strings must be fresh ones: the HPACK encoder keeps
// them in its dynamic table. Used under wmu.
func (sc *Conn) internValue(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	i := (len(b)*31 + int(b[0])*7 + int(b[len(b)-1])) & (valueCacheSize - 1)
	if v := sc.values[i]; v == string(b) {
		return v
	}
	v := string(b)
	sc.values[i] = v
	return v
}

// encodeH1Fields encodes an HTTP/1.1 head's fields as HTTP/2 ones:
// names in lower case, the connection-specific ones dropped. Used under
// wmu, into hbuf.
func (sc *Conn) encodeH1Fields(hs []h1.Header) {
	for _, h := range hs {
		name := lowerName(h.Name)
		if hopByHop[name] {
			continue
		}
		sc.henc.WriteField(hpack.HeaderField{Name: name, Value: sc.internValue(h.Value)})
	}
}
