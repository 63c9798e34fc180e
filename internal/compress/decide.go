package compress

import "baton/internal/h1"

// Allowed reports whether a response, as the server sent it, may be
// compressed (see the package comment for HAProxy 2.6's conditions).
// types are "compression type"'s prefixes; none means any Content-Type,
// or none at all.
func Allowed(types []string, reqMinor int, isHead bool, resp *h1.Response) bool {
	if reqMinor < 1 || resp.Minor < 1 || isHead {
		return false
	}
	if resp.Status < 200 || resp.Status > 203 {
		return false
	}
	switch resp.Body {
	case h1.BodyChunked:
	case h1.BodyLength:
		if resp.ContentLength <= 0 {
			return false
		}
	default:
		return false
	}
	var ctype []byte
	haveType, etags := false, 0
	for i := range resp.Headers {
		h := &resp.Headers[i]
		switch {
		case equalFold(h.Name, "content-encoding"):
			return false
		case equalFold(h.Name, "cache-control"):
			if hasWord(h.Value, "no-transform") {
				return false
			}
		case equalFold(h.Name, "etag"):
			etags++
			if etags > 1 || !validETag(h.Value) {
				return false
			}
		case equalFold(h.Name, "content-type"):
			if !haveType {
				ctype, haveType = h.Value, true
			}
		}
	}
	if !haveType {
		return len(types) == 0
	}
	if hasPrefixFold(ctype, "multipart") {
		return false
	}
	if len(types) == 0 {
		return true
	}
	for _, t := range types {
		if hasPrefixFold(ctype, t) {
			return true
		}
	}
	return false
}

// hasWord reports whether the comma-separated list v holds word, case
// aside.
func hasWord(v []byte, word string) bool {
	for len(v) > 0 {
		var elem []byte
		elem, v = nextElem(v)
		if equalFold(elem, word) {
			return true
		}
	}
	return false
}

// validETag accepts a strong ("...") or weak (W/"...") entity tag.
func validETag(v []byte) bool {
	if len(v) >= 2 && v[0] == 'W' && v[1] == '/' {
		v = v[2:]
	}
	return len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"'
}

var (
	valVary = []byte("Accept-Encoding")
	valGzip = []byte("gzip")
	valDefl = []byte("deflate")
)

// EditHead rewrites the head of a response that will be compressed with
// a: no Content-Length (the caller frames the body as chunked), a strong
// ETag made weak, "Vary: Accept-Encoding" and, but for identity,
// Content-Encoding. weak is scratch space for the weak ETag's value; the
// returned slice (to keep for next time) holds it, so the header stays
// valid until the next call.
func EditHead(resp *h1.Response, a Algo, weak []byte) []byte {
	resp.DelHeader("Content-Length")
	for i := range resp.Headers {
		h := &resp.Headers[i]
		if equalFold(h.Name, "etag") {
			if len(h.Value) > 0 && h.Value[0] == '"' {
				weak = append(append(weak[:0], 'W', '/'), h.Value...)
				h.Value = weak
			}
			break
		}
	}
	resp.AddHeader("Vary", valVary)
	switch a {
	case Gzip:
		resp.AddHeader("Content-Encoding", valGzip)
	case Deflate, RawDeflate:
		resp.AddHeader("Content-Encoding", valDefl)
	}
	return weak
}
