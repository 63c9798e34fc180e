package h1

import "bytes"

const (
	defaultMaxHeaders   = 101
	defaultMaxHeadBytes = 16384
	// maxCLDigits bounds Content-Length so the value never overflows
	// int64 (15 digits is almost a petabyte).
	maxCLDigits = 15
)

func (l *Limits) values() (maxHeaders, maxHead int) {
	maxHeaders, maxHead = defaultMaxHeaders, defaultMaxHeadBytes
	if l != nil {
		if l.MaxHeaders > 0 {
			maxHeaders = l.MaxHeaders
		}
		if l.MaxHeadBytes > 0 {
			maxHead = l.MaxHeadBytes
		}
	}
	return
}

// ParseRequest parses the request head at the start of buf. buf may hold
// more bytes after the head (a body, a pipelined request); r.HeadLen says
// where the head ends. It returns ErrIncomplete when the head is not
// whole yet, and an *Error for anything it rejects. Errors in the bytes
// already present are reported even before the head is complete.
// lim may be nil for the defaults.
func ParseRequest(buf []byte, r *Request, lim *Limits) error {
	maxHeaders, maxHead := lim.values()
	hs := r.Headers[:0]
	clearTail(r.Headers, 0)
	*r = Request{Headers: hs}

	// RFC 9112 section 2.2: ignore empty lines before the request line.
	pos := 0
	for pos+1 < len(buf) && buf[pos] == '\r' && buf[pos+1] == '\n' {
		pos += 2
	}
	if pos < len(buf) && buf[pos] == '\n' {
		return errBareLF
	}
	lf := bytes.IndexByte(buf[pos:], '\n')
	if lf < 0 {
		if perr := checkPartialRequestLine(buf[pos:]); perr != nil {
			return perr
		}
		if len(buf) >= maxHead {
			return errURITooLong
		}
		return ErrIncomplete
	}
	end := pos + lf + 1
	if end > maxHead {
		return errURITooLong
	}
	if lf == 0 || buf[pos+lf-1] != '\r' {
		return errBareLF
	}
	if perr := parseRequestLine(buf[pos:pos+lf-1], r); perr != nil {
		return perr
	}

	var perr *Error
	r.Headers, r.HeadLen, perr = parseHeaders(buf, end, maxHead, maxHeaders, r.Headers)
	if perr == errIncomplete {
		return ErrIncomplete
	}
	if perr != nil {
		return perr
	}
	if perr = r.interpret(); perr != nil {
		return perr
	}
	return nil
}

// checkPartialRequestLine rejects an incomplete request line early when
// its method already holds a byte no method can (e.g. a TLS handshake).
func checkPartialRequestLine(b []byte) *Error {
	for _, c := range b {
		if c == ' ' {
			return nil
		}
		if !tokenChar[c] {
			if c == '\r' {
				return nil
			}
			return errMethod
		}
	}
	return nil
}

func parseRequestLine(line []byte, r *Request) *Error {
	i := 0
	for i < len(line) && tokenChar[line[i]] {
		i++
	}
	if i == 0 || i == len(line) || line[i] != ' ' {
		if i < len(line) && line[i] != ' ' {
			return errMethod
		}
		return errRequestLine
	}
	r.Method = line[:i]
	rest := line[i+1:]
	j := 0
	for j < len(rest) && targetChar[rest[j]] {
		j++
	}
	if j == len(rest) {
		return errRequestLine // no version: HTTP/0.9 or truncated
	}
	if rest[j] != ' ' {
		if rest[j] == '\r' {
			return errBareCR
		}
		return errTarget
	}
	if j == 0 {
		return errRequestLine // double SP
	}
	r.Target = rest[:j]
	minor, err := parseVersion(rest[j+1:])
	if err != nil {
		return err
	}
	r.Minor = minor
	return checkTargetForm(r.Method, r.Target)
}

// parseVersion accepts exactly "HTTP/1.0" and "HTTP/1.1". A well-formed
// "HTTP/d.d" with another major >= 1 or minor is 505; anything else
// (lower case, several digits, trailing SP, HTTP/0.9) is 400.
func parseVersion(v []byte) (int, *Error) {
	if len(v) != 8 || string(v[:5]) != "HTTP/" || v[6] != '.' ||
		v[5] < '0' || v[5] > '9' || v[7] < '0' || v[7] > '9' {
		return 0, errVersion
	}
	if v[5] == '0' {
		return 0, errVersion
	}
	if v[5] != '1' || v[7] > '1' {
		return 0, errVersionUnsupp
	}
	return int(v[7] - '0'), nil
}

func checkTargetForm(method, t []byte) *Error {
	connect := string(method) == "CONNECT"
	if connect {
		// authority-form: host ":" port, nothing else.
		c := bytes.LastIndexByte(t, ':')
		if c <= 0 || c == len(t)-1 || !validTargetHost(t[:c]) {
			return errTargetForm
		}
		for _, d := range t[c+1:] {
			if d < '0' || d > '9' {
				return errTargetForm
			}
		}
		return nil
	}
	if t[0] == '/' {
		return nil
	}
	if len(t) == 1 && t[0] == '*' {
		if string(method) != "OPTIONS" {
			return errTargetForm
		}
		return nil
	}
	i := schemeEnd(t)
	if i < 0 {
		return errTarget
	}
	if !validTargetHost(authority(t[i:])) {
		return errTarget
	}
	return nil
}

// targetAuthority returns the authority carried by the target, or nil.
func targetAuthority(method, t []byte) []byte {
	if string(method) == "CONNECT" {
		return t
	}
	if i := schemeEnd(t); i >= 0 {
		return authority(t[i:])
	}
	return nil
}

// authority returns the authority at the start of t (t follows "://").
func authority(t []byte) []byte {
	j := 0
	for j < len(t) && t[j] != '/' && t[j] != '?' {
		j++
	}
	return t[:j]
}

// validTargetHost is validHost without percent-encoding: a server that
// decodes "%80" in the target's authority would see another host than the
// one Baton routed and compared with Host (found by FuzzParseRequest
// against net/http), so such targets are refused.
func validTargetHost(h []byte) bool {
	return validHost(h) && bytes.IndexByte(h, '%') < 0
}

func validHost(h []byte) bool {
	if len(h) == 0 {
		return false
	}
	for _, c := range h {
		if !hostChar[c] {
			return false
		}
	}
	return true
}

// parseHeaders parses header lines from buf[pos:] up to and including the
// empty line, appending to hs. It returns the head length.
func parseHeaders(buf []byte, pos, maxHead, maxHeaders int, hs []Header) ([]Header, int, *Error) {
	for {
		if pos >= len(buf) {
			if len(buf) >= maxHead {
				return hs, 0, errHeadTooLarge
			}
			return hs, 0, errIncomplete
		}
		c := buf[pos]
		if c == '\r' {
			if pos+1 >= len(buf) {
				if len(buf) >= maxHead {
					return hs, 0, errHeadTooLarge
				}
				return hs, 0, errIncomplete
			}
			if buf[pos+1] != '\n' {
				return hs, 0, errBareCR
			}
			if pos+2 > maxHead {
				return hs, 0, errHeadTooLarge
			}
			return hs, pos + 2, nil
		}
		if c == '\n' {
			return hs, 0, errBareLF
		}
		if c == ' ' || c == '\t' {
			return hs, 0, errObsFold
		}
		// Name: token characters up to ':'.
		i := pos
		for i < len(buf) && tokenChar[buf[i]] {
			i++
		}
		if i == len(buf) {
			if len(buf) >= maxHead {
				return hs, 0, errHeadTooLarge
			}
			return hs, 0, errIncomplete
		}
		if buf[i] != ':' || i == pos {
			return hs, 0, errHeaderName
		}
		name := buf[pos:i]
		// Value: field characters up to CR, which must precede LF. One
		// pass both validates and finds the line end.
		j := i + 1
		for j < len(buf) && valueChar[buf[j]] {
			j++
		}
		if j+1 >= len(buf) {
			if j < len(buf) && buf[j] != '\r' {
				if buf[j] == '\n' {
					return hs, 0, errBareLF
				}
				return hs, 0, errHeaderValue
			}
			if len(buf) >= maxHead {
				return hs, 0, errHeadTooLarge
			}
			return hs, 0, errIncomplete
		}
		switch {
		case buf[j] == '\n':
			return hs, 0, errBareLF
		case buf[j] != '\r':
			return hs, 0, errHeaderValue
		case buf[j+1] != '\n':
			return hs, 0, errBareCR
		}
		lineEnd := j + 1 // index of '\n'
		if lineEnd+1 > maxHead {
			return hs, 0, errHeadTooLarge
		}
		if len(hs)+1 >= maxHeaders { // the start line counts, as in HAProxy
			return hs, 0, errTooManyHeaders
		}
		hs = append(hs, Header{Name: name, Value: trimOWS(buf[i+1 : j])})
		pos = lineEnd + 1
	}
}

// errIncomplete is ErrIncomplete as an *Error-typed sentinel for internal
// returns; callers convert it back.
var errIncomplete = &Error{Status: 0, Reason: "incomplete"}

// connInfo is what the Connection, Upgrade and framing fields say.
type connInfo struct {
	close, keepAlive, upgradeTok bool
	upgradeHdr                   bool
	clCount, teCount             int
	cl                           int64
	chunked                      bool
	teErr                        *Error
	clErr                        *Error
}

// scanFields reads the fields every message shares.
func (ci *connInfo) scan(h Header) {
	n := h.Name
	switch len(n) {
	case 7:
		if equalFold(n, "upgrade") && len(h.Value) > 0 {
			ci.upgradeHdr = true
		}
	case 10:
		if equalFold(n, "connection") {
			eachToken(h.Value, func(t []byte) bool {
				switch {
				case equalFold(t, "close"):
					ci.close = true
				case equalFold(t, "keep-alive"):
					ci.keepAlive = true
				case equalFold(t, "upgrade"):
					ci.upgradeTok = true
				}
				return true
			})
		}
	case 14:
		if equalFold(n, "content-length") {
			ci.clCount++
			if ci.clCount > 1 {
				ci.clErr = errDupCL
				return
			}
			v, err := parseContentLength(h.Value)
			if err != nil && ci.clErr == nil {
				ci.clErr = err
			}
			ci.cl = v
		}
	case 17:
		if equalFold(n, "transfer-encoding") {
			ci.teCount++
			if ci.teCount > 1 {
				ci.teErr = errTEDup
				return
			}
			ci.chunked, ci.teErr = parseTransferEncoding(h.Value)
		}
	}
}

// parseContentLength accepts 1 to 15 digits and nothing else: no sign,
// no list (even of equal values), no spaces inside.
func parseContentLength(v []byte) (int64, *Error) {
	if len(v) == 0 {
		return 0, errContentLength
	}
	if len(v) > maxCLDigits {
		for _, c := range v {
			if c == ',' {
				return 0, errDupCL
			}
		}
		return 0, errContentLength
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			if c == ',' {
				return 0, errDupCL
			}
			return 0, errContentLength
		}
		n = n*10 + int64(c-'0')
	}
	return n, nil
}

// parseTransferEncoding accepts exactly one "chunked" (any case). A list
// whose elements are all tokens but include another coding is 501; an
// empty element, a non-token, or chunked twice is 400.
func parseTransferEncoding(v []byte) (bool, *Error) {
	if equalFold(v, "chunked") {
		return true, nil
	}
	if len(v) == 0 {
		return false, errTEMalformed
	}
	chunked, other := 0, false
	for len(v) > 0 {
		i := bytes.IndexByte(v, ',')
		var el []byte
		if i < 0 {
			el, v = trimOWS(v), nil
		} else {
			el, v = trimOWS(v[:i]), v[i+1:]
			if len(v) == 0 {
				return false, errTEMalformed // trailing comma
			}
		}
		if len(el) == 0 {
			return false, errTEMalformed
		}
		for _, c := range el {
			if !tokenChar[c] {
				return false, errTEMalformed
			}
		}
		if equalFold(el, "chunked") {
			chunked++
		} else {
			other = true
		}
	}
	if chunked > 1 {
		return false, errTEMalformed
	}
	if other {
		return false, errTEUnsupported
	}
	return false, errTEMalformed
}

// interpret derives Host, framing and connection semantics.
func (r *Request) interpret() *Error {
	var ci connInfo
	hosts := 0
	var expect []byte
	for _, h := range r.Headers {
		switch len(h.Name) {
		case 4:
			if equalFold(h.Name, "host") {
				hosts++
				r.Host = h.Value
			}
		case 6:
			if equalFold(h.Name, "expect") {
				expect = h.Value
			}
		}
		ci.scan(h)
	}
	if hosts > 1 {
		return errHostDup
	}
	if hosts == 0 {
		if r.Minor == 1 {
			return errHostMissing
		}
		r.Host = targetAuthority(r.Method, r.Target)
	} else if !validHost(r.Host) {
		return errHostInvalid
	}
	// A target that carries an authority (absolute-form, CONNECT's
	// authority-form) must agree with Host, so that routing on either
	// gives the same answer (HAProxy h1_host_normalization.vtc).
	if hosts == 1 && r.Target[0] != '/' {
		if string(r.Method) == "CONNECT" {
			if !equalFoldBytes(r.Target, r.Host) {
				return errHostMismatch
			}
		} else if i := schemeEnd(r.Target); i >= 0 && !equalFoldBytes(authority(r.Target[i:]), r.Host) {
			return errHostMismatch
		}
	}
	if ci.teErr != nil {
		return ci.teErr
	}
	if ci.clErr != nil {
		return ci.clErr
	}
	switch {
	case ci.teCount > 0:
		if r.Minor == 0 {
			return errTEHTTP10
		}
		r.Body = BodyChunked
		if ci.clCount > 0 {
			r.HadCLAndTE = true
			r.Headers = headerDel(r.Headers, "content-length")
		}
	case ci.clCount > 0:
		// An HTTP/1.0 server may well ignore the body of these methods
		// and read it as the next request: refuse it, as HAProxy does
		// (research item 16).
		if ci.cl > 0 && r.Minor == 0 && bodylessIn10(r.Method) {
			return errBodyHTTP10
		}
		r.Body = BodyLength
		r.ContentLength = ci.cl
	}
	r.Close = ci.close || (r.Minor == 0 && !ci.keepAlive) || r.HadCLAndTE
	if r.Minor == 1 {
		r.Upgrade = ci.upgradeTok && ci.upgradeHdr
		r.Expect100 = equalFold(expect, "100-continue")
	}
	return nil
}

// ParseResponse parses the response head at the start of buf. head
// reports that the request was HEAD. Every error is an *Error with
// Status 502. The status line must be "HTTP/1.x SP 3DIGIT SP reason";
// a missing SP and reason ("HTTP/1.1 200\r\n") is accepted because it is
// unambiguous and some servers send it. lim may be nil.
func ParseResponse(buf []byte, r *Response, head bool, lim *Limits) error {
	maxHeaders, maxHead := lim.values()
	hs := r.Headers[:0]
	clearTail(r.Headers, 0)
	*r = Response{Headers: hs}

	lf := bytes.IndexByte(buf, '\n')
	if lf < 0 {
		if len(buf) >= 5 && string(buf[:5]) != "HTTP/" {
			return errRespStatusLine
		}
		if len(buf) >= maxHead {
			return asResponseErr(errHeadTooLarge)
		}
		return ErrIncomplete
	}
	end := lf + 1
	if end > maxHead {
		return asResponseErr(errHeadTooLarge)
	}
	if lf == 0 || buf[lf-1] != '\r' {
		return asResponseErr(errBareLF)
	}
	if perr := parseStatusLine(buf[:lf-1], r); perr != nil {
		return perr
	}
	var perr *Error
	r.Headers, r.HeadLen, perr = parseHeaders(buf, end, maxHead, maxHeaders, r.Headers)
	if perr == errIncomplete {
		return ErrIncomplete
	}
	if perr != nil {
		return asResponseErr(perr)
	}
	var ci connInfo
	for _, h := range r.Headers {
		ci.scan(h)
	}
	if ci.teErr != nil {
		return asResponseErr(ci.teErr)
	}
	if ci.clErr != nil {
		return asResponseErr(ci.clErr)
	}
	if ci.teCount > 0 && ci.clCount > 0 {
		return errRespCLTE
	}
	if ci.teCount > 0 && r.Minor == 0 {
		return errRespTE10
	}
	r.Close = ci.close || (r.Minor == 0 && !ci.keepAlive)
	switch {
	case r.Status == 101:
		r.Upgrade = true
		r.Body = BodyNone
	case head || r.Status < 200 || r.Status == 204 || r.Status == 304:
		r.Body = BodyNone
	case ci.teCount > 0:
		r.Body = BodyChunked
	case ci.clCount > 0:
		r.Body = BodyLength
		r.ContentLength = ci.cl
	default:
		r.Body = BodyUntilClose
		r.Close = true
	}
	return nil
}

var (
	errRespCLTE = newErr(502, "response has both Content-Length and Transfer-Encoding")
	errRespTE10 = newErr(502, "Transfer-Encoding in an HTTP/1.0 response")
)

func parseStatusLine(line []byte, r *Response) *Error {
	if len(line) < 12 || line[8] != ' ' {
		return errRespStatusLine
	}
	if string(line[:7]) != "HTTP/1." || (line[7] != '0' && line[7] != '1') {
		return errRespVersion
	}
	r.Minor = int(line[7] - '0')
	s := 0
	for _, c := range line[9:12] {
		if c < '0' || c > '9' {
			return errRespStatus
		}
		s = s*10 + int(c-'0')
	}
	if s < 100 || s > 599 {
		return errRespStatus
	}
	r.Status = s
	if len(line) == 12 {
		return nil
	}
	if line[12] != ' ' {
		return errRespStatusLine
	}
	reason := line[13:]
	for _, c := range reason {
		if !valueChar[c] {
			return errRespReason
		}
	}
	r.Reason = reason
	return nil
}

// bodylessIn10 reports the methods whose body an HTTP/1.0 server is
// likely to ignore.
func bodylessIn10(m []byte) bool {
	return string(m) == "GET" || string(m) == "HEAD" || string(m) == "DELETE"
}
