package rules

import (
	"bytes"
	"sort"

	"baton/internal/expr"
	"baton/internal/h1"
)

// URI rewrites. The new target is built in the scratch buffer; the
// request keeps pointing into it until the next request.

// splitTarget cuts a target into what precedes the path (the scheme and
// authority of an absolute-form target), the path and the query with
// its '?'.
func splitTarget(t []byte) (prefix, path, query []byte) {
	pq := pathAndQuery(t)
	if pq == nil {
		return t, nil, nil // authority form: no path
	}
	prefix = t[:len(t)-len(pq)]
	path = pq
	if i := bytes.IndexByte(pq, '?'); i >= 0 {
		path, query = pq[:i], pq[i:]
	}
	return prefix, path, query
}

// pathAndQuery returns the target from its path on ("*" for the asterisk
// form; nil for the authority form).
func pathAndQuery(t []byte) []byte {
	if len(t) == 0 {
		return nil
	}
	if t[0] == '/' || len(t) == 1 && t[0] == '*' {
		return t
	}
	i := bytes.Index(t, []byte("://"))
	if i <= 0 {
		return nil
	}
	j := i + 3
	for j < len(t) && t[j] != '/' && t[j] != '?' {
		j++
	}
	return t[j:]
}

// rewriteURI applies a URI action; false means a strict normalizer met
// an invalid sequence (the request gets 400).
func (r *rule) rewriteURI(in *Input, req *h1.Request) bool {
	c := &in.Ctx
	if r.act == actSetMethod {
		req.Method = r.value.AppendScratch(c)
		return true
	}
	var val []byte
	if r.value != nil {
		val = r.value.AppendScratch(c)
	}
	prefix, path, query := splitTarget(req.Target)
	dst := c.Scratch()
	start := len(dst)
	ok := true
	switch r.act {
	case actSetURI:
		dst = append(dst, val...)
	case actSetPath:
		dst = append(dst, prefix...)
		dst = append(dst, val...)
		dst = append(dst, query...)
	case actSetPathQ:
		dst = append(dst, prefix...)
		dst = append(dst, val...)
	case actSetQuery:
		dst = append(dst, prefix...)
		dst = append(dst, path...)
		if len(query) > 0 || len(val) > 0 {
			dst = append(dst, '?')
		}
		dst = append(dst, val...)
	case actReplacePath, actReplacePathQ, actReplaceURI:
		subject := path
		switch r.act {
		case actReplacePathQ:
			subject = req.Target[len(prefix):]
		case actReplaceURI:
			subject = req.Target
		}
		m := r.re.FindSubmatchIndex(subject)
		if m == nil {
			return true
		}
		switch r.act {
		case actReplacePath:
			dst = append(dst, prefix...)
			dst = expr.ExpandGroups(dst, val, subject, m)
			dst = append(dst, query...)
		case actReplacePathQ:
			dst = append(dst, prefix...)
			dst = expr.ExpandGroups(dst, val, subject, m)
		default:
			dst = expr.ExpandGroups(dst, val, subject, m)
		}
	case actNormalizeURI:
		dst = append(dst, prefix...)
		dst, ok = normalize(dst, r.cfg.Name, r.cfg.Int == 1, path, query)
		if !ok {
			c.SetScratch(dst[:start])
			return false
		}
	}
	c.SetScratch(dst)
	req.Target = dst[start:len(dst):len(dst)]
	return true
}

// normalize appends path and query normalized by one HAProxy normalizer.
func normalize(dst []byte, name string, opt bool, path, query []byte) ([]byte, bool) {
	switch name {
	case "fragment-strip":
		if i := bytes.IndexByte(path, '#'); i >= 0 {
			return append(dst, path[:i]...), true
		}
		dst = append(dst, path...)
		if i := bytes.IndexByte(query, '#'); i >= 0 {
			query = query[:i]
		}
		return append(dst, query...), true
	case "fragment-encode":
		for _, part := range [2][]byte{path, query} {
			for _, b := range part {
				if b == '#' {
					dst = append(dst, "%23"...)
				} else {
					dst = append(dst, b)
				}
			}
		}
		return dst, true
	case "path-merge-slashes":
		for i, b := range path {
			if b == '/' && i > 0 && path[i-1] == '/' {
				continue
			}
			dst = append(dst, b)
		}
	case "path-strip-dot":
		dst = appendSegments(dst, path, false, false)
	case "path-strip-dotdot":
		dst = appendSegments(dst, path, true, opt)
	case "percent-decode-unreserved", "percent-to-uppercase":
		// Both cover the query string too, as in HAProxy (a sequence
		// cannot straddle the '?').
		var ok bool
		if dst, ok = normalizePercent(dst, name, opt, path); !ok {
			return dst, false
		}
		return normalizePercent(dst, name, opt, query)
	case "query-sort-by-name":
		dst = append(dst, path...)
		if len(query) > 1 {
			params := bytes.Split(query[1:], []byte("&"))
			sort.SliceStable(params, func(a, b int) bool { return bytes.Compare(paramName(params[a]), paramName(params[b])) < 0 })
			dst = append(dst, '?')
			dst = append(dst, bytes.Join(params, []byte("&"))...)
			return dst, true
		}
	}
	return append(dst, query...), true
}

// normalizePercent appends s with its percent sequences upper-cased or,
// for unreserved characters, decoded; strict (opt) refuses a bad one.
func normalizePercent(dst []byte, name string, opt bool, s []byte) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		b := s[i]
		if b != '%' {
			dst = append(dst, b)
			continue
		}
		if i+2 >= len(s) || !expr.IsHex(s[i+1]) || !expr.IsHex(s[i+2]) {
			if opt {
				return dst, false
			}
			dst = append(dst, b)
			continue
		}
		hi, lo := s[i+1], s[i+2]
		if name == "percent-to-uppercase" {
			dst = append(dst, '%', upperHex(hi), upperHex(lo))
		} else if v := expr.Unhex(hi)<<4 | expr.Unhex(lo); isUnreserved(v) {
			dst = append(dst, v)
		} else {
			dst = append(dst, '%', hi, lo)
		}
		i += 2
	}
	return dst, true
}

func paramName(p []byte) []byte {
	if i := bytes.IndexByte(p, '='); i >= 0 {
		return p[:i]
	}
	return p
}

// appendSegments removes "." segments, and with dotdot merges ".."
// segments with the one before (with full, also the leading ones).
func appendSegments(dst, path []byte, dotdot, full bool) []byte {
	if len(path) == 0 || path[0] != '/' {
		return append(dst, path...)
	}
	segs := bytes.Split(path[1:], []byte("/"))
	var out [][]byte
	for i, s := range segs {
		last := i == len(segs)-1
		switch {
		case string(s) == ".":
			if last {
				out = append(out, nil) // keep the trailing slash
			}
			continue
		case dotdot && string(s) == "..":
			if len(out) > 0 && string(out[len(out)-1]) != ".." {
				out = out[:len(out)-1]
			} else if !full {
				out = append(out, s)
			}
			if last {
				out = append(out, nil)
			}
			continue
		}
		out = append(out, s)
	}
	for _, s := range out {
		dst = append(dst, '/')
		dst = append(dst, s...)
	}
	if len(out) == 0 {
		dst = append(dst, '/')
	}
	return dst
}

func isUnreserved(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~'
}

func upperHex(c byte) byte {
	if c >= 'a' && c <= 'f' {
		return c - 'a' + 'A'
	}
	return c
}
