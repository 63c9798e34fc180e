package backend

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"

	"baton/internal/config"
	"baton/internal/expr"
)

// The hashing algorithms (source, uri, url_param, hdr, rdp-cookie): the
// request gives a key, the backend's hash-type function hashes it, and
// the hash picks a server: modulo the total weight (map-based), or on a
// ring of points (consistent), where a server that comes or goes takes
// or gives only its own share of the keys. A request without the key
// (no such parameter or header) is balanced round robin, as in HAProxy.

// keyHash returns the hash of key under the backend's algorithm; false
// when the algorithm does not hash or the request has no key.
func (b *Backend) keyHash(key *Key) (uint32, bool) {
	var v []byte
	switch b.Balance {
	case config.SourceHash:
		if !key.Src.IsValid() {
			return 0, false
		}
		a := key.Src.Unmap()
		if a.Is4() {
			ip := a.As4()
			v = ip[:]
		} else {
			ip := a.As16()
			v = ip[:]
		}
		return b.hash(v), true
	case config.URI:
		v = uriPart(key.URI, &b.Opts)
	case config.URLParam:
		v = queryParam(key.URI, b.Opts.Param)
		if len(v) == 0 && b.Opts.CheckPost && key.Body != nil {
			v = bodyParam(key.Body, b.Opts.Param)
		}
	case config.Hdr:
		if key.Req != nil {
			v, _ = key.Req.Header(b.Opts.Header)
			if b.Opts.UseDomainOnly {
				v = domainLabel(v)
			}
		}
	case config.RDPCookie:
		v = rdpCookie(key.Payload, b.Opts.RDPCookie)
	default:
		return 0, false
	}
	if len(v) == 0 {
		return 0, false
	}
	return b.hash(v), true
}

func (b *Backend) hash(v []byte) uint32 {
	h := expr.Hash32(b.HashType.Func, v)
	if b.HashType.Avalanche {
		h = expr.Avalanche(h)
	}
	return h
}

// uriPart is the part of the target uri hashes: the path (and query with
// whole), up to depth directories and len characters.
func uriPart(u []byte, o *config.BalanceOpts) []byte {
	if !o.URIWhole {
		if i := bytes.IndexByte(u, '?'); i >= 0 {
			u = u[:i]
		}
	}
	if o.URIDepth > 0 {
		slashes := 0
		for i, c := range u {
			if c == '/' {
				if slashes == o.URIDepth {
					u = u[:i]
					break
				}
				slashes++
			}
		}
	}
	if o.URILen > 0 && len(u) > o.URILen {
		u = u[:o.URILen]
	}
	return u
}

// bodyParam returns the first value of parameter name in a form body
// ("a=1&b=2"), as HAProxy's check_post reads it: the value runs to the
// next '&'; one that starts with a character outside the token set is
// taken for binary data and gives nothing (HAProxy looks at that first
// character only).
func bodyParam(body []byte, name string) []byte {
	for len(body) > len(name) {
		if body[len(name)] == '=' && string(body[:len(name)]) == name {
			v := body[len(name)+1:]
			if i := bytes.IndexByte(v, '&'); i >= 0 {
				v = v[:i]
			}
			if len(v) > 0 && !isToken(v[0]) {
				return nil
			}
			return v
		}
		i := bytes.IndexByte(body, '&')
		if i < 0 {
			return nil
		}
		body = body[i+1:]
	}
	return nil
}

// isToken reports an RFC 9110 token character.
func isToken(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return c < 0x80 && strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0
}

// queryParam returns the first value of parameter name in the target's
// query string.
func queryParam(u []byte, name string) []byte {
	i := bytes.IndexByte(u, '?')
	if i < 0 {
		return nil
	}
	q := u[i+1:]
	for len(q) > 0 {
		j := bytes.IndexByte(q, '&')
		pair := q
		if j >= 0 {
			pair = q[:j]
		}
		if len(pair) > len(name) && pair[len(name)] == '=' && string(pair[:len(name)]) == name {
			return pair[len(name)+1:]
		}
		if j < 0 {
			break
		}
		q = q[j+1:]
	}
	return nil
}

// domainLabel is the second-level label of a host name ("1wt" in
// "haproxy.1wt.eu:80"), the whole name when it has one label.
func domainLabel(v []byte) []byte {
	if i := bytes.LastIndexByte(v, ':'); i >= 0 && bytes.IndexByte(v, ']') < i {
		v = v[:i]
	}
	last := bytes.LastIndexByte(v, '.')
	if last < 0 {
		return v
	}
	v = v[:last]
	if i := bytes.LastIndexByte(v, '.'); i >= 0 {
		v = v[i+1:]
	}
	return v
}

// rdpCookie reads "Cookie: NAME=VALUE\r\n" from an RDP connection
// request.
func rdpCookie(p []byte, name string) []byte {
	i := bytes.Index(p, []byte("Cookie: "+name+"="))
	if i < 0 {
		return nil
	}
	v := p[i+len("Cookie: ")+len(name)+1:]
	if j := bytes.Index(v, []byte("\r\n")); j >= 0 {
		return v[:j]
	}
	return nil
}

// ringPointsPerWeight is how many points a unit of weight puts on the
// consistent-hash ring.
const ringPointsPerWeight = 64

type ringPoint struct {
	h uint32
	s *Server
}

// ring is the consistent-hash ring of a member set, built on first use
// from the servers' configured weights.
type ring struct {
	once   sync.Once
	points []ringPoint
}

func (m *members) ringPoints() []ringPoint {
	m.ring.once.Do(func() {
		var pts []ringPoint
		for _, s := range m.active {
			w := s.Config.Weight
			for i := 0; i < w*ringPointsPerWeight; i++ {
				key := strconv.AppendInt([]byte(s.Name+"#"), int64(i), 10)
				pts = append(pts, ringPoint{expr.Avalanche(expr.Hash32("sdbm", key)), s})
			}
		}
		sort.Slice(pts, func(i, j int) bool { return pts[i].h < pts[j].h })
		m.ring.points = pts
	})
	return m.ring.points
}

// pickByHash picks a server for hash h: consistent or map-based.
func (m *members) pickByHash(h uint32, skip *Server) (*Server, pickResult) {
	if !m.b.HashType.Consistent {
		return m.pickHash(uint64(h), skip)
	}
	pts := m.ringPoints()
	if len(pts) == 0 {
		return nil, pickNone
	}
	// The hash functions leave short keys in a narrow range: mixed, they
	// spread over the whole ring.
	h = expr.Avalanche(h)
	i := sort.Search(len(pts), func(i int) bool { return pts[i].h >= h })
	full := false
	for k := 0; k < len(pts); k++ {
		s := pts[(i+k)%len(pts)].s
		if s == skip || !s.Usable() || s.lbWeight() == 0 {
			continue
		}
		if s.tryTake() {
			return s, picked
		}
		full = true
	}
	if full {
		return nil, pickFull
	}
	return nil, pickNone
}
