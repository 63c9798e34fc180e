package check

import (
	"bytes"
	"strconv"
	"strings"

	"baton/internal/h1"
)

// buildRequest writes an HTTP check request as HAProxy's HTTP/1 output
// does: the request line, the "hdr" headers (lower-cased names; empty
// values skipped), X-Haproxy-Server-State with send-state, Content-Length
// when there is a body, then Connection: the configured value, or "close"
// for HTTP/1.1 and later.
func (r *run) buildRequest(req *HTTPRequest) []byte {
	method := req.Method
	if method == "" {
		method = "OPTIONS"
	}
	uri := req.URI
	if req.URIFmt != nil {
		uri = string(req.URIFmt.Append(nil, &r.env))
	}
	if uri == "" {
		uri = "/"
	}
	ver := req.Version
	if ver == "" {
		ver = "HTTP/1.0"
	}
	b := make([]byte, 0, 256)
	b = append(b, method...)
	b = append(b, ' ')
	b = append(b, uri...)
	b = append(b, ' ')
	b = append(b, ver...)
	b = append(b, "\r\n"...)
	var conn []byte
	for _, h := range req.Headers {
		v := h.Value.Append(nil, &r.env)
		if len(v) == 0 {
			continue
		}
		if strings.EqualFold(h.Name, "connection") {
			conn = v
			continue
		}
		b = appendHeader(b, h.Name, v)
	}
	if r.t.StateHeader != nil {
		b = appendHeader(b, "x-haproxy-server-state", []byte(r.t.StateHeader()))
	}
	body := []byte(req.Body)
	if req.BodyFmt != nil {
		body = req.BodyFmt.Append(nil, &r.env)
	}
	if len(body) > 0 {
		b = appendHeader(b, "content-length", strconv.AppendInt(nil, int64(len(body)), 10))
	}
	switch {
	case conn != nil:
		b = appendHeader(b, "connection", conn)
	case version11(ver):
		b = appendHeader(b, "connection", []byte("close"))
	}
	b = append(b, "\r\n"...)
	return append(b, body...)
}

func appendHeader(b []byte, name string, v []byte) []byte {
	b = append(b, strings.ToLower(name)...)
	b = append(b, ": "...)
	b = append(b, v...)
	return append(b, "\r\n"...)
}

// version11 reports whether an HTTP version string is 1.1 or later.
func version11(v string) bool {
	if len(v) == 8 && strings.HasPrefix(v, "HTTP/") {
		return v[5] > '1' || v[5] == '1' && v[7] >= '1'
	}
	return len(v) == 6 && strings.HasPrefix(v, "HTTP/") && v[5] == '2'
}

// httpResp is the parsed answer of an HTTP check.
type httpResp struct {
	resp    h1.Response
	headLen int
	body    []byte
	// complete: the whole message was received.
	complete bool
	// invalid: the bytes are not an HTTP response.
	invalid bool
}

// parseHTTP parses the bytes read so far; nil means the head is not
// complete yet.
func (r *run) parseHTTP() *httpResp {
	h := &httpResp{}
	var lim h1.Limits
	err := h1.ParseResponse(r.in, &h.resp, false, &lim)
	if err == h1.ErrIncomplete {
		if r.eof {
			h.invalid = true
			return h
		}
		return nil
	}
	if err != nil {
		h.invalid = true
		return h
	}
	h.headLen = h.resp.HeadLen
	rest := r.in[h.headLen:]
	switch h.resp.Body {
	case h1.BodyNone:
		h.complete = true
	case h1.BodyLength:
		if int64(len(rest)) >= h.resp.ContentLength {
			rest, h.complete = rest[:h.resp.ContentLength], true
		}
		h.body = rest
	case h1.BodyChunked:
		h.body, h.complete = dechunk(rest)
	default:
		h.body = rest
	}
	return h
}

// dechunk decodes the complete chunks at the start of b; done is set once
// the last chunk was seen.
func dechunk(b []byte) (out []byte, done bool) {
	for {
		i := bytes.Index(b, []byte("\r\n"))
		if i < 0 {
			return out, false
		}
		sz := b[:i]
		if j := bytes.IndexByte(sz, ';'); j >= 0 {
			sz = sz[:j]
		}
		n, err := strconv.ParseInt(strings.TrimSpace(string(sz)), 16, 64)
		if err != nil || n < 0 {
			return out, true
		}
		b = b[i+2:]
		if n == 0 {
			return out, true
		}
		if int64(len(b)) < n+2 {
			return append(out, b[:min(int64(len(b)), n)]...), false
		}
		out = append(out, b[:n]...)
		b = b[n+2:]
	}
}

// expectHTTP evaluates an http-check expect rule.
func (r *run) expectHTTP(rule *Rule) evalRet {
	e := rule.Expect
	h := r.parseHTTP()
	lastRead := r.eof
	if h != nil && h.complete {
		lastRead = true
	}
	if h == nil {
		if lastRead {
			r.set(r.httpErr(e, StatusL7Rsp), r.errorInfo(rule, false, ""))
			return evalStop
		}
		return evalWait
	}
	if h.invalid {
		r.set(StatusL7Rsp, r.errorInfo(rule, false, ""))
		return evalStop
	}
	r.http = h
	r.code = h.resp.Status
	if r.t.Disable404 && r.t.ServerUp && r.code == 404 {
		return evalContinue
	}
	match := false
	st := e.Err
	desc := ""
	switch e.Kind {
	case ExpHTTPStatus:
		for _, c := range e.Codes {
			if r.code >= c[0] && r.code <= c[1] {
				match = true
				break
			}
		}
		st = r.httpErr(e, StatusL7Sts)
		if e.OnError == nil {
			desc = string(h.resp.Reason)
		}
	case ExpHTTPStatusRe:
		match = e.Regex.MatchString(strconv.Itoa(r.code))
		st = r.httpErr(e, StatusL7Sts)
		if e.OnError == nil {
			desc = string(h.resp.Reason)
		}
	case ExpHTTPHeader:
		match = r.matchHeader(e.Header, h)
		st = r.httpErr(e, StatusL7Sts)
		if e.OnError == nil {
			desc = string(h.resp.Reason)
		}
	case ExpHTTPBody, ExpHTTPBodyRe, ExpHTTPBodyLF:
		st = r.httpErr(e, StatusL7Rsp)
		body := h.body
		if len(body) == 0 {
			if !lastRead {
				return evalWait
			}
			if e.OnError == nil {
				desc = "HTTP content check could not find a response body"
			}
			r.set(st, r.errorInfo(rule, false, desc))
			return evalStop
		}
		var pat []byte
		if e.Kind == ExpHTTPBodyLF {
			r.env.Resp = r.in
			if pat = e.Fmt.Append(nil, &r.env); len(pat) == 0 {
				r.set(StatusL7Rsp, "log-format string evaluated to an empty string")
				return evalStop
			}
		}
		if !lastRead && (e.Kind == ExpHTTPBody && len(body) < len(e.Data) ||
			e.Kind == ExpHTTPBodyLF && len(body) < len(pat) ||
			e.MinRecv > 0 && len(body) < e.MinRecv) {
			return evalWait
		}
		switch e.Kind {
		case ExpHTTPBody:
			match = bytes.Contains(body, e.Data)
		case ExpHTTPBodyLF:
			match = bytes.Contains(body, pat)
		default:
			match = e.Regex.Match(body)
		}
		if !match && !lastRead && e.MinRecv == -1 {
			return evalWait
		}
		if e.OnError == nil {
			if e.Negate {
				desc = "HTTP check matched unwanted content"
			} else {
				desc = "HTTP content check did not match"
			}
		}
	}
	if match != e.Negate {
		return evalContinue
	}
	r.set(st, r.errorInfo(rule, match, desc))
	return evalStop
}

func (r *run) httpErr(e *Expect, def Status) Status {
	if e.Err != 0 {
		return e.Err
	}
	return def
}

// matchHeader looks for a header whose name and (each comma-separated,
// or with fhdr the whole) value match.
func (r *run) matchHeader(m *HeaderMatch, h *httpResp) bool {
	name := m.Name
	if m.NameFmt != nil {
		name = string(m.NameFmt.Append(nil, &r.env))
	}
	val := m.Value
	if m.ValueFmt != nil {
		val = string(m.ValueFmt.Append(nil, &r.env))
	}
	for _, hd := range h.resp.Headers {
		if !matchStr(m.NameM, m.NameRe, strings.ToLower(string(hd.Name)), strings.ToLower(name)) {
			continue
		}
		if m.NoValue {
			return true
		}
		values := []string{string(hd.Value)}
		if !m.Full {
			values = strings.Split(string(hd.Value), ",")
		}
		for _, v := range values {
			if matchStr(m.ValueM, m.ValueRe, strings.TrimSpace(v), val) {
				return true
			}
		}
	}
	return false
}

func matchStr(meth string, re interface{ MatchString(string) bool }, s, pat string) bool {
	switch meth {
	case "beg":
		return strings.HasPrefix(s, pat)
	case "end":
		return strings.HasSuffix(s, pat)
	case "sub":
		return strings.Contains(s, pat)
	case "reg":
		return re.MatchString(s)
	}
	return s == pat
}
