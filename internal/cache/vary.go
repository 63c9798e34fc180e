package cache

import (
	"bytes"
	"time"

	"baton/internal/h1"
)

// ResponseVariant is what a stored response's variant is known by: its
// Content-Encoding, and the request's Referer when it varies on it.
func ResponseVariant(f Freshness, req *h1.Request, resp *h1.Response) Variant {
	v := Variant{Vary: f.Vary}
	if f.Vary&VaryAcceptEncoding != 0 {
		if ce, ok := resp.Header("Content-Encoding"); ok {
			v.Enc = codingHash(ce)
		}
	}
	if f.Vary&VaryReferer != 0 {
		if r, ok := req.Header("Referer"); ok {
			v.Ref = Hash(r)
		}
	}
	return v
}

func codingHash(c []byte) uint64 {
	c = trimOWS(c)
	if len(c) == 0 || eqFold(c, "identity") {
		return 0
	}
	var low [32]byte
	n := copy(low[:], c)
	return Hash(bytes.ToLower(low[:n]))
}

// Matches says whether a stored variant serves req: the request accepts
// the stored coding (identity unless refused), and sends the same
// Referer.
func Matches(v Variant, req *h1.Request) bool {
	if v.Vary&VaryReferer != 0 {
		var ref uint64
		if r, ok := req.Header("Referer"); ok {
			ref = Hash(r)
		}
		if ref != v.Ref {
			return false
		}
	}
	if v.Vary&VaryAcceptEncoding != 0 {
		ae, ok := req.Header("Accept-Encoding")
		return !ok || accepts(ae, v.Enc) // without the field any coding is acceptable

	}
	return true
}

// accepts reads an Accept-Encoding value: does it accept the coding
// whose hash is enc (0: identity)?
func accepts(ae []byte, enc uint64) bool {
	star := -1 // 1 yes, 0 refused, -1 not said
	for len(ae) > 0 {
		var item []byte
		item, ae = nextItem(ae)
		name, params, _ := bytes.Cut(item, []byte(";"))
		name = trimOWS(name)
		ok := 1
		if q, found := bytes.CutPrefix(trimOWS(params), []byte("q=")); found && qZero(q) {
			ok = 0
		}
		switch {
		case len(name) == 0:
		case eqFold(name, "*"):
			star = ok
		case eqFold(name, "identity"):
			if enc == 0 {
				return ok == 1
			}
		default:
			if enc != 0 && codingHash(name) == enc {
				return ok == 1
			}
		}
	}
	if star >= 0 {
		if enc == 0 && star == 0 {
			return false
		}
		return star == 1 || enc == 0
	}
	return enc == 0 // identity is acceptable unless refused
}

func qZero(q []byte) bool {
	q = trimOWS(q)
	for _, c := range q {
		if c != '0' && c != '.' {
			return false
		}
	}
	return len(q) > 0
}

// NotModified says whether a GET or HEAD hit may be answered 304: the
// request's If-None-Match names the stored ETag (weak comparison), or,
// without If-None-Match, its If-Modified-Since is not older than the
// stored Last-Modified (else Date).
func NotModified(req *h1.Request, stored *h1.Response) bool {
	if inm, ok := req.Header("If-None-Match"); ok {
		etag, ok := stored.Header("ETag")
		if !ok {
			return false
		}
		etag = weakless(trimOWS(etag))
		for len(inm) > 0 {
			var item []byte
			item, inm = nextItem(inm)
			item = trimOWS(item)
			if eqFold(item, "*") || len(item) > 0 && bytes.Equal(weakless(item), etag) {
				return true
			}
		}
		return false
	}
	ims, ok := req.Header("If-Modified-Since")
	if !ok {
		return false
	}
	since, ok := ParseHTTPDate(ims)
	if !ok {
		return false
	}
	lm, ok := stored.Header("Last-Modified")
	if !ok {
		if lm, ok = stored.Header("Date"); !ok {
			return false
		}
	}
	t, ok := ParseHTTPDate(lm)
	return ok && !t.After(since)
}

func weakless(tag []byte) []byte {
	if len(tag) > 2 && (tag[0] == 'W' || tag[0] == 'w') && tag[1] == '/' {
		return tag[2:]
	}
	return tag
}

// AgeOf is the Age a hit carries: the response's own Age plus its time
// in the cache.
func AgeOf(e *Entry, now time.Time) int64 {
	return e.Age + max(0, (now.UnixMilli()-e.Stored)/1000)
}
