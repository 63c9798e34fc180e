package expr

import (
	"bytes"
	"net/netip"
	"strconv"

	"baton/internal/h1"
	"baton/internal/pattern"
)

// HTTP fetches: the request line and headers, the body, the response.

func init() {
	for _, f := range []*Fetch{
		{Name: "method", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if r := c.request(out); r != nil {
				out.SetStr(r.Method)
				return true
			}
			m, _, _, ok := c.requestLine()
			if ok {
				out.SetStr(m)
			}
			return ok
		}},
		{Name: "path", Out: Str, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			p := reqPath(r)
			if p == nil {
				return false
			}
			out.SetStr(p)
			return true
		}},
		{Name: "pathq", Out: Str, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			p := pathQuery(r.Target)
			if p == nil {
				return false
			}
			out.SetStr(p)
			return true
		}},
		{Name: "query", Out: Str, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			for i, b := range r.Target {
				if b == '?' {
					out.SetStr(r.Target[i+1:])
					return true
				}
			}
			return false
		}},
		{Name: "url", Out: Str, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			out.SetStr(r.Target)
			return true
		}},
		{Name: "base", Out: Str, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			return c.base(out, false)
		}},
		{Name: "baseq", Out: Str, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			return c.base(out, true)
		}},
		{Name: "base32", Out: Int, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			// HAProxy hashes the Host value, then a path beginning with
			// a slash, bytes as C chars (signed).
			r := c.request(out)
			if r == nil {
				return false
			}
			var h uint32
			if host, ok := r.Header("host"); ok {
				h = sdbmChars(h, host)
			}
			if p := reqPath(r); len(p) > 0 && p[0] == '/' {
				h = sdbmChars(h, p)
			}
			out.SetInt(int64(fullHash(h)))
			return true
		}},
		{Name: "url_param", Args: []ArgType{ArgStr, ArgStr}, Out: Str, Use: UseReqHead, Eval: fetchURLParam},
		{Name: "urlp", Args: []ArgType{ArgStr, ArgStr}, Out: Str, Use: UseReqHead, Eval: fetchURLParam},
		{Name: "urlp_val", Args: []ArgType{ArgStr, ArgStr}, Out: Int, Use: UseReqHead, Eval: func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
			return fetchURLParam(c, a, it, out) && c.Cast(out, Int)
		}},
		{Name: "url_ip", Out: IPv4, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			a, _, ok := c.urlIPv4(out)
			if !ok {
				return false
			}
			out.SetIP(a)
			return true
		}},
		{Name: "url_port", Out: Int, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			_, port, ok := c.urlIPv4(out)
			if !ok {
				return false
			}
			out.SetInt(port)
			return true
		}},
		{Name: "req.ver", Out: Str, Use: UseReqHead, Eval: fetchReqVer},
		{Name: "req_ver", Out: Str, Use: UseReqHead, Eval: fetchReqVer},
		{Name: "capture.req.method", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			m, _, _, ok := c.requestLine()
			if ok {
				out.SetStr(m)
			}
			return ok
		}},
		{Name: "capture.req.uri", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			_, t, _, ok := c.requestLine()
			p := pathQuery(t)
			if !ok || p == nil {
				return false
			}
			out.SetStr(p)
			return true
		}},
		{Name: "capture.req.ver", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			_, _, v, ok := c.requestLine()
			if ok {
				out.SetStr(v)
			}
			return ok
		}},
		{Name: "capture.res.ver", Out: Str, Use: UseResLine, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if c.Resp == nil {
				return false
			}
			out.SetStr(httpVersion(c.Resp.Minor, true))
			return true
		}},
		{Name: "http_first_req", Out: Bool, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			out.SetBool(c.FirstRequest)
			return true
		}},

		// Request headers.
		{Name: "req.hdr", Args: []ArgType{ArgStr, ArgInt}, Out: Str, Use: UseReqHead, Eval: reqHeaders(true)},
		{Name: "req.fhdr", Args: []ArgType{ArgStr, ArgInt}, MinArgs: 1, Out: Str, Use: UseReqHead, Eval: reqHeaders(false)},
		{Name: "req.hdr_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqHead, Eval: reqHeaderCount(true)},
		{Name: "hdr_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqHead, Eval: reqHeaderCount(true)},
		{Name: "req.fhdr_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqHead, Eval: reqHeaderCount(false)},
		{Name: "req.hdr_ip", Args: []ArgType{ArgStr, ArgInt}, Out: Addr, Use: UseReqHead, Eval: headerIP(false)},
		{Name: "hdr_ip", Args: []ArgType{ArgStr, ArgInt}, Out: Addr, Use: UseReqHead, Eval: headerIP(false)},
		{Name: "req.hdr_val", Args: []ArgType{ArgStr, ArgInt}, Out: Int, Use: UseReqHead, Eval: headerVal(false)},
		{Name: "hdr_val", Args: []ArgType{ArgStr, ArgInt}, Out: Int, Use: UseReqHead, Eval: headerVal(false)},
		{Name: "req.hdrs", Out: Bin, Use: UseReqHead, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			out.SetStr(c.appendHeaderBlock(r.Headers))
			return true
		}},
		{Name: "req.hdr_names", Args: []ArgType{ArgStr}, Out: Str, Use: UseReqHead, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			out.SetStr(c.appendHeaderNames(r.Headers, a[0]))
			return true
		}},
		{Name: "req.cook", Args: []ArgType{ArgStr}, Out: Str, Use: UseReqHead, Eval: reqCookie},
		{Name: "cook", Args: []ArgType{ArgStr}, Out: Str, Use: UseReqHead, Eval: reqCookie},
		{Name: "req.cook_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqHead, Eval: reqCookieCount},
		{Name: "cook_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqHead, Eval: reqCookieCount},
		{Name: "req.cook_val", Args: []ArgType{ArgStr}, Out: Int, Use: UseReqHead, Eval: func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
			return reqCookie(c, a, it, out) && c.Cast(out, Int)
		}},

		// Request body.
		{Name: "req.body", Out: Bin, Use: UseReqBody, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if c.request(out) == nil {
				return false
			}
			out.SetBin(c.ReqBody)
			out.MayChange = !c.ReqBodyFinal
			return true
		}},
		{Name: "req.body_len", Out: Int, Use: UseReqBody, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if c.request(out) == nil {
				return false
			}
			out.SetInt(int64(len(c.ReqBody)))
			out.MayChange = !c.ReqBodyFinal
			return true
		}},
		{Name: "req.body_size", Out: Int, Use: UseReqBody, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			r := c.request(out)
			if r == nil {
				return false
			}
			if r.Body == h1.BodyLength {
				out.SetInt(r.ContentLength)
			} else {
				out.SetInt(int64(len(c.ReqBody)))
			}
			return true
		}},
		{Name: "req.body_param", Args: []ArgType{ArgStr}, Out: Bin, Use: UseReqBody, Eval: func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
			if c.request(out) == nil {
				return false
			}
			ok := findParam(c.ReqBody, '&', a[0], it, out)
			out.MayChange = !c.ReqBodyFinal
			return ok
		}},

		// Response.
		{Name: "status", Out: Int, Use: UseResLine, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			switch {
			case c.Status != 0:
				out.SetInt(int64(c.Status))
			case c.Resp != nil:
				out.SetInt(int64(c.Resp.Status))
			default:
				return false
			}
			return true
		}},
		{Name: "res.hdr", Args: []ArgType{ArgStr, ArgInt}, Out: Str, Use: UseRes, Eval: resHeaders(true)},
		{Name: "shdr", Args: []ArgType{ArgStr, ArgInt}, Out: Str, Use: UseRes, Eval: resHeaders(true)},
		{Name: "res.fhdr", Args: []ArgType{ArgStr, ArgInt}, Out: Str, Use: UseRes, Eval: resHeaders(false)},
		{Name: "res.hdr_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseRes, Eval: resHeaderCount(true)},
		{Name: "shdr_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseRes, Eval: resHeaderCount(true)},
		{Name: "res.fhdr_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseRes, Eval: resHeaderCount(false)},
		{Name: "res.hdr_ip", Args: []ArgType{ArgStr, ArgInt}, Out: Addr, Use: UseRes, Eval: headerIP(true)},
		{Name: "res.hdr_val", Args: []ArgType{ArgStr, ArgInt}, Out: Int, Use: UseRes, Eval: headerVal(true)},
		{Name: "res.hdrs", Out: Str, Use: UseRes, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if c.Resp == nil {
				return false
			}
			out.SetStr(c.appendHeaderBlock(c.Resp.Headers))
			return true
		}},
		{Name: "res.hdr_names", Args: []ArgType{ArgStr}, Out: Str, Use: UseRes, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			if c.Resp == nil {
				return false
			}
			out.SetStr(c.appendHeaderNames(c.Resp.Headers, a[0]))
			return true
		}},
		{Name: "res.cook", Args: []ArgType{ArgStr}, Out: Str, Use: UseRes, Eval: resCookie},
		{Name: "scook", Args: []ArgType{ArgStr}, Out: Str, Use: UseRes, Eval: resCookie},
		{Name: "res.cook_cnt", Args: []ArgType{ArgStr}, Out: Int, Use: UseRes, Eval: resCookieCount},
		{Name: "res.ver", Out: Str, Use: UseRes, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if c.Resp == nil {
				return false
			}
			out.SetStr(httpVersion(c.Resp.Minor, false))
			return true
		}},

		// hdr reads the response in response rules, else the request.
		{Name: "hdr", Args: []ArgType{ArgStr, ArgInt}, Out: Str, Use: UseReqHead | UseRes, eitherDir: true, Eval: func(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
			if c.Response {
				return resHeaders(true)(c, a, it, out)
			}
			return reqHeaders(true)(c, a, it, out)
		}},
	} {
		RegisterFetch(f)
	}
	registerACLFamily("path", "path")
	registerACLFamily("url", "url")
	registerACLFamily("base", "base")
	registerACLFamily("hdr", "req.hdr")
	registerACLFamily("req.hdr", "req.hdr")
	registerACLFamily("req.fhdr", "req.fhdr")
	registerACLFamily("cook", "req.cook")
	registerACLFamily("req.cook", "req.cook")
	registerACLFamily("urlp", "urlp")
	registerACLFamily("url_param", "url_param")
	registerACLFamily("shdr", "res.hdr")
	registerACLFamily("res.hdr", "res.hdr")
	registerACLFamily("scook", "res.cook")
	registerACLFamily("res.cook", "res.cook")
	RegisterACL("url_ip", "url_ip", pattern.IP)
	RegisterACL("req_ver", "req.ver", pattern.Str)
}

var (
	ver10, ver11         = []byte("1.0"), []byte("1.1")
	httpVer10, httpVer11 = []byte("HTTP/1.0"), []byte("HTTP/1.1")
	ver20, httpVer20     = []byte("2.0"), []byte("HTTP/2.0")
)

// requestLine returns the request's method, target and version: from the
// parsed request, else from ReqLine, the copy a log line reads once the
// request head's buffer may hold the body.
func (c *Ctx) requestLine() (method, target, version []byte, ok bool) {
	if c.Req != nil {
		if c.HTTP2 {
			return c.Req.Method, c.Req.Target, httpVer20, true
		}
		return c.Req.Method, c.Req.Target, httpVersion(c.Req.Minor, true), true
	}
	l := c.ReqLine
	i := bytes.IndexByte(l, ' ')
	j := bytes.LastIndexByte(l, ' ')
	if i < 0 || j <= i {
		return nil, nil, nil, false
	}
	return l[:i], l[i+1 : j], l[j+1:], true
}

func httpVersion(minor int, full bool) []byte {
	switch {
	case full && minor == 0:
		return httpVer10
	case full:
		return httpVer11
	case minor == 0:
		return ver10
	}
	return ver11
}

// AppendRequestLine appends "METHOD TARGET HTTP/1.x" as a log line shows
// the request. A request that came on an HTTP/2 stream (http2) shows as
// HAProxy shows it, "METHOD SCHEME://AUTHORITY/PATH HTTP/2.0": its
// target in absolute form, the scheme from the connection (tls) and the
// authority from the Host field the stream's :authority became.
func AppendRequestLine(dst []byte, r *h1.Request, http2, tls bool) []byte {
	dst = append(dst, r.Method...)
	dst = append(dst, ' ')
	if !http2 {
		dst = append(dst, r.Target...)
		dst = append(dst, ' ')
		return append(dst, httpVersion(r.Minor, true)...)
	}
	if host, ok := r.Header("host"); ok && len(r.Target) > 0 && r.Target[0] == '/' {
		if tls {
			dst = append(dst, "https://"...)
		} else {
			dst = append(dst, "http://"...)
		}
		dst = append(dst, host...)
	}
	dst = append(dst, r.Target...)
	dst = append(dst, ' ')
	return append(dst, httpVer20...)
}

func fetchReqVer(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
	r := c.request(out)
	if r == nil {
		return false
	}
	if c.HTTP2 && r == c.Req {
		out.SetStr(ver20)
		return true
	}
	out.SetStr(httpVersion(r.Minor, false))
	return true
}

// request returns the request head: the parsed one, or one parsed from
// the TCP payload (HTTP fetches in a tcp-mode content rule); nil when
// there is none yet, with out.MayChange set when more data may make one.
func (c *Ctx) request(out *Sample) *h1.Request {
	if c.Req != nil {
		return c.Req
	}
	if len(c.Payload) == 0 {
		out.MayChange = !c.PayloadFinal
		return nil
	}
	if c.payReqLen != len(c.Payload) {
		c.payReqLen = len(c.Payload)
		c.payReqOK = h1.ParseRequest(c.Payload, &c.payReq, &c.payLimits) == nil
		if !c.payReqOK {
			c.payReq.Headers = c.payReq.Headers[:0]
		}
	}
	if !c.payReqOK {
		out.MayChange = !c.PayloadFinal
		return nil
	}
	return &c.payReq
}

// pathQuery returns the target from its path on: origin-form as is,
// absolute-form without scheme and authority ("/" when the path is
// empty is not added: HAProxy returns what follows the authority); nil
// for "*", which has no path (HAProxy's http_get_path).
func pathQuery(t []byte) []byte {
	if len(t) == 0 || t[0] == '*' {
		return nil
	}
	if t[0] == '/' {
		return t
	}
	i := schemeEnd(t)
	if i < 0 {
		return nil
	}
	for i < len(t) && t[i] != '/' && t[i] != '?' {
		i++
	}
	return t[i:]
}

// reqPath is the request's path: none for "*".
func reqPath(r *h1.Request) []byte {
	if len(r.Target) == 1 && r.Target[0] == '*' {
		return nil
	}
	return r.Path()
}

// schemeEnd returns the index after "scheme://", or -1.
func schemeEnd(t []byte) int {
	for i := 0; i+2 < len(t); i++ {
		c := t[i]
		if c == ':' {
			if t[i+1] == '/' && t[i+2] == '/' && i > 0 {
				return i + 3
			}
			return -1
		}
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
			return -1
		}
	}
	return -1
}

// urlAuthority returns the host and port of an absolute-form target
// (port 80 when none is given).
func (c *Ctx) urlAuthority(out *Sample) ([]byte, int64, bool) {
	r := c.request(out)
	if r == nil {
		return nil, 0, false
	}
	t := r.Target
	i := schemeEnd(t)
	if i < 0 {
		return nil, 0, false
	}
	j := i
	for j < len(t) && t[j] != '/' && t[j] != '?' {
		j++
	}
	auth := t[i:j]
	for k := len(auth) - 1; k >= 0; k-- {
		if auth[k] == '@' {
			auth = auth[k+1:]
			break
		}
	}
	host, port := auth, int64(80)
	for k := len(auth) - 1; k >= 0; k-- {
		if auth[k] == ']' {
			break
		}
		if auth[k] == ':' {
			p, err := strconv.ParseInt(bstr(auth[k+1:]), 10, 32)
			if err != nil {
				return nil, 0, false
			}
			host, port = auth[:k], p
			break
		}
	}
	if len(host) > 1 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, port, true
}

// urlIPv4 is the address and port of an absolute http:// URI whose host
// is an IPv4 address: HAProxy's url_ip and url_port resolve no names.
func (c *Ctx) urlIPv4(out *Sample) (netip.Addr, int64, bool) {
	host, port, ok := c.urlAuthority(out)
	if !ok {
		return netip.Addr{}, 0, false
	}
	if t := c.request(out).Target; len(t) < 7 || !EqualFold(t[:7], "http://") {
		return netip.Addr{}, 0, false
	}
	a, err := netip.ParseAddr(bstr(host))
	if err != nil || !a.Is4() {
		return netip.Addr{}, 0, false
	}
	return a, port, true
}

// base builds Host and path (and with q the query) into the scratch
// buffer; without a Host header it is the path alone.
func (c *Ctx) base(out *Sample, q bool) bool {
	r := c.request(out)
	if r == nil {
		return false
	}
	var p []byte
	if q {
		p = pathQuery(r.Target)
	} else {
		p = reqPath(r)
	}
	if len(p) > 0 && p[0] != '/' {
		p = nil // HAProxy adds only a path that begins with a slash
	}
	host, ok := r.Header("host")
	if !ok {
		if p == nil {
			return false
		}
		out.SetStr(p)
		return true
	}
	start := len(c.buf)
	c.buf = append(c.buf, host...)
	c.buf = append(c.buf, p...)
	out.SetStr(c.take(start))
	return true
}

// appendHeaderBlock writes "Name: value\r\n" lines and the final CRLF
// into the scratch buffer.
func (c *Ctx) appendHeaderBlock(hs []h1.Header) []byte {
	start := len(c.buf)
	for _, h := range hs {
		c.buf = appendLower(c.buf, h.Name) // HAProxy's names are lower case
		c.buf = append(c.buf, ": "...)
		c.buf = append(c.buf, h.Value...)
		c.buf = append(c.buf, "\r\n"...)
	}
	c.buf = append(c.buf, "\r\n"...)
	return c.take(start)
}

func (c *Ctx) appendHeaderNames(hs []h1.Header, delim Arg) []byte {
	d := byte(',')
	if delim.Given && len(delim.Str) > 0 {
		d = delim.Str[0]
	}
	start := len(c.buf)
	for i, h := range hs {
		if i > 0 {
			c.buf = append(c.buf, d)
		}
		c.buf = appendLower(c.buf, h.Name)
	}
	return c.take(start)
}

func fetchURLParam(c *Ctx, a []Arg, it *Iter, out *Sample) bool {
	r := c.request(out)
	if r == nil {
		return false
	}
	// The parameters start after the first delimiter, '?' unless given
	// (urlp(JSESSIONID,;) reads "/foo;JSESSIONID=1").
	d := byte('?')
	if a[1].Given && len(a[1].Str) > 0 {
		d = a[1].Str[0]
	}
	t := r.Target
	q := -1
	for i, b := range t {
		if b == d {
			q = i
			break
		}
	}
	if q < 0 {
		return false
	}
	return findParam(t[q+1:], d, a[0], it, out)
}

// findParam finds a parameter's value in s as HAProxy does: NAME= at the
// start of s or after a delimiter ('&', ';' or d), the value running to
// the next delimiter; without a name, the value after the first '='. In a
// sample context it is the first match; an ACL walks them all.
func findParam(s []byte, d byte, name Arg, it *Iter, out *Sample) bool {
	i := it.Pos
	vs := -1
	if !name.Given || name.Str == "" {
		if eq := bytes.IndexByte(s[min(i, len(s)):], '='); eq >= 0 {
			vs = i + eq + 1
		}
	} else {
		n := name.Str
		for i < len(s) {
			eq := i + len(n)
			if eq >= len(s) {
				break
			}
			if s[eq] == '=' {
				if string(s[i:eq]) == n {
					vs = eq + 1
					break
				}
				i = eq + 1
			}
			for i < len(s) && !isParamDelim(s[i], d) {
				i++
			}
			i++
		}
	}
	if vs < 0 {
		return false
	}
	ve := vs
	for ve < len(s) && !isParamDelim(s[ve], d) {
		ve++
	}
	out.SetStr(s[vs:ve])
	if it.Iterate && ve < len(s) {
		it.Pos, it.More = ve, true
	}
	return true
}

// isParamDelim reports whether c ends a URL or body parameter.
func isParamDelim(c, d byte) bool { return c == '&' || c == ';' || c == d }
