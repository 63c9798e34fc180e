package config

import (
	"bytes"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"baton/internal/h1"
)

// Error pages replace the responses Baton generates itself (a 503 when no
// server is available, a 504 timeout, a 403 deny, a 400 or 408 while
// reading a request) with the configuration's: "errorfile CODE FILE" (a
// whole HTTP response), "errorloc"/"errorloc302"/"errorloc303 CODE URL"
// (a redirect), "http-error status CODE ..." (a response built from its
// arguments) and "errorfiles NAME [CODE...]", which imports the
// "errorfile" lines of an "http-errors NAME" section.
//
// A proxy's lines apply in order, after those of its defaults section;
// imports are resolved once every section is read (an http-errors
// section may come later in the files). At run time the backend's page
// for a status wins, then the frontend's, then Baton's own, as in HAProxy.

// ErrorPage is a response Baton sends instead of one it generates.
type ErrorPage struct {
	// Status is the code on the status line: the client sees it and the
	// log records it. An errorfile may carry another code than the one it
	// replaces.
	Status int
	// Head is the status line and the header fields, each ending in
	// CRLF, without the blank line and without Connection.
	Head []byte
	Body []byte
	// Framed is set when the head carries Content-Length: the connection
	// may stay open. Otherwise the body ends with the connection.
	Framed bool
	// Close is set when the page itself asks for "Connection: close".
	Close bool
	// Silent is an empty errorfile: nothing is sent, the connection is
	// closed (HAProxy's way around browsers' pre-connections for 408).
	Silent bool
	// From is where the page was defined, "file:line".
	From string
}

// MustClose reports whether the connection must close after the page.
func (e *ErrorPage) MustClose() bool { return e.Silent || !e.Framed || e.Close }

// Append appends the response to dst, with "connection: close" when close.
func (e *ErrorPage) Append(dst []byte, close bool) []byte {
	if e.Silent {
		return dst
	}
	dst = append(dst, e.Head...)
	if close && e.Framed {
		dst = append(dst, "connection: close\r\n"...)
	}
	dst = append(dst, "\r\n"...)
	return append(dst, e.Body...)
}

// maxErrorFile is HAProxy's buffer size: a longer error file is cut
// there, as HAProxy does (and then rarely still matches its
// Content-Length).
const maxErrorFile = 16384

// errorCodes are the statuses HAProxy lets a configuration replace.
var errorCodes = []int{200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504}

func errorCode(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || !slices.Contains(errorCodes, n) {
		return 0, fmt.Errorf("status code %q not handled (200, 400, 401, 403, 404, 405, 407, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)", s)
	}
	return n, nil
}

// errOp is one error-page line of a proxy or defaults section, applied
// in order once every http-errors section is known.
type errOp struct {
	pos   Pos
	code  int        // 0 with an import of every code
	page  *ErrorPage // set this page; nil with an import or a reset
	from  string     // import from this http-errors section
	codes []int      // with from: the codes to import; nil means all
}

// httpErrors is an "http-errors" section being read or read.
type httpErrors struct {
	name  string
	pos   Pos
	pages map[int]*ErrorPage
}

// startHTTPErrors begins an "http-errors NAME" section.
func (p *parser) startHTTPErrors(l line) {
	if len(l.Words) != 2 {
		p.errorf(l.Pos, "http-errors: expects one name")
		p.skip = true
		return
	}
	name := l.Words[1]
	if prev := p.httpErrors[name]; prev != nil {
		p.errorf(l.Pos, "http-errors %q: already declared at %s", name, prev.pos)
		p.skip = true
		return
	}
	if p.httpErrors == nil {
		p.httpErrors = map[string]*httpErrors{}
	}
	p.curErrors = &httpErrors{name: name, pos: l.Pos, pages: map[int]*ErrorPage{}}
	p.httpErrors[name] = p.curErrors
}

// httpErrorsLine reads a line of an http-errors section: only errorfile.
func (p *parser) httpErrorsLine(l line) {
	w := l.Words
	if w[0] != "errorfile" {
		p.errorf(l.Pos, "unknown keyword %q in http-errors section (only errorfile)", w[0])
		return
	}
	code, page, ok := p.errorFileLine(l, w[1:])
	if ok {
		p.curErrors.pages[code] = page
	}
}

// errorFileLine reads "errorfile CODE FILE".
func (p *parser) errorFileLine(l line, args []string) (int, *ErrorPage, bool) {
	if len(args) != 2 {
		p.errorf(l.Pos, "errorfile: expects a status code and a file")
		return 0, nil, false
	}
	code, err := errorCode(args[0])
	if err != nil {
		p.errorf(l.Pos, "errorfile: %v", err)
		return 0, nil, false
	}
	page, err := p.loadErrorFile(l.Pos, args[1])
	if err != nil {
		p.errorf(l.Pos, "errorfile: %v", err)
		return 0, nil, false
	}
	if code == 200 {
		p.advisef(l.Pos, "errorfile 200: the page of monitor-uri, which Baton does not support; it has no effect")
	}
	return code, page, true
}

// loadErrorFile reads and checks a whole HTTP response file.
func (p *parser) loadErrorFile(pos Pos, path string) (*ErrorPage, error) {
	name, data, err := p.readFile(pos, path)
	if err != nil {
		return nil, err
	}
	if len(data) > maxErrorFile {
		p.warnf(pos, "errorfile %s is larger than %d bytes (tune.bufsize): truncated", name, maxErrorFile)
		data = data[:maxErrorFile]
	}
	page, err := parseErrorPage(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	page.From = pos.String()
	return page, nil
}

// parseErrorPage checks an errorfile's contents as HAProxy does: a valid
// HTTP/1.x response head (bare LF line ends are accepted and written as
// CRLF), no chunked body, and a body exactly as long as Content-Length
// says. An empty file is a silent page.
func parseErrorPage(data []byte) (*ErrorPage, error) {
	if len(data) == 0 {
		return &ErrorPage{Silent: true}, nil
	}
	head, body, ok := bytes.Cut(data, []byte("\r\n\r\n"))
	if !ok {
		head, body, ok = bytes.Cut(data, []byte("\n\n"))
	}
	if !ok {
		return nil, fmt.Errorf("not an HTTP response: no empty line ends the head")
	}
	var norm []byte
	for _, ln := range strings.Split(string(head), "\n") {
		norm = append(append(norm, strings.TrimSuffix(ln, "\r")...), "\r\n"...)
	}
	var r h1.Response
	if err := h1.ParseResponse(append(norm, "\r\n"...), &r, false, nil); err != nil {
		return nil, fmt.Errorf("not a valid HTTP response: %v", err)
	}
	switch r.Body {
	case h1.BodyChunked:
		return nil, fmt.Errorf("chunked payloads are not supported; use Content-Length")
	case h1.BodyLength:
		if int64(len(body)) != r.ContentLength {
			return nil, fmt.Errorf("the payload is %d bytes but Content-Length says %d", len(body), r.ContentLength)
		}
	}
	e := &ErrorPage{Status: r.Status, Body: body, Framed: r.Body == h1.BodyLength, Close: r.Close && r.Minor == 1}
	e.Head = fmt.Appendf(nil, "HTTP/1.%d %03d %s\r\n", r.Minor, r.Status, r.Reason)
	for _, h := range r.Headers {
		if n := strings.ToLower(string(h.Name)); n == "connection" || n == "keep-alive" {
			continue
		}
		e.Head = fmt.Appendf(e.Head, "%s: %s\r\n", h.Name, h.Value)
	}
	return e, nil
}

// redirectPage is the page of "errorloc[302|303] CODE URL".
func redirectPage(status int, url string, pos Pos) *ErrorPage {
	head := fmt.Appendf(nil, "HTTP/1.1 %d %s\r\ncache-control: no-cache\r\ncontent-length: 0\r\nlocation: %s\r\n", status, h1.StatusText(status), url)
	return &ErrorPage{Status: status, Head: head, Framed: true, From: pos.String()}
}

func parseErrorFile(p *parser, st *proxyState, l line, args []string, _ bool) {
	code, page, ok := p.errorFileLine(l, args)
	if ok {
		st.errOps = append(st.errOps, errOp{pos: l.Pos, code: code, page: page})
	}
}

func parseErrorLoc(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0]
	if len(args) != 2 {
		p.errorf(l.Pos, "%s: expects a status code and a URL", kw)
		return
	}
	code, err := errorCode(args[0])
	if err != nil {
		p.errorf(l.Pos, "%s: %v", kw, err)
		return
	}
	status := 302
	if kw == "errorloc303" {
		status = 303
	}
	st.errOps = append(st.errOps, errOp{pos: l.Pos, code: code, page: redirectPage(status, args[1], l.Pos)})
}

func parseErrorFiles(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) == 0 {
		p.errorf(l.Pos, "errorfiles: expects the name of an http-errors section")
		return
	}
	op := errOp{pos: l.Pos, from: args[0]}
	for _, a := range args[1:] {
		code, err := errorCode(a)
		if err != nil {
			p.errorf(l.Pos, "errorfiles: %v", err)
			return
		}
		op.codes = append(op.codes, code)
	}
	st.errOps = append(st.errOps, op)
}

// parseHTTPError reads "http-error status CODE [content-type T]
// [default-errorfiles | errorfile F | errorfiles NAME | file F | string S
// | lf-file F | lf-string S] [hdr NAME VALUE]...". Log-format payloads and
// header values are taken as plain text and refused when they hold a
// '%' expression.
func parseHTTPError(p *parser, st *proxyState, l line, args []string, _ bool) {
	errf := func(format string, a ...any) { p.errorf(l.Pos, "http-error: "+format, a...) }
	if len(args) < 2 || args[0] != "status" {
		errf("expects status CODE first")
		return
	}
	code, err := errorCode(args[1])
	if err != nil {
		errf("%v", err)
		return
	}
	var ctype, payloadKw string
	var body []byte
	var hdrs [][2]string
	op := errOp{pos: l.Pos, code: code}
	payload := false
	for i := 2; i < len(args); i++ {
		kw := args[i]
		need := 1
		if kw == "hdr" {
			need = 2
		} else if kw == "default-errorfiles" {
			need = 0
		}
		if i+need >= len(args) {
			errf("%s expects %d argument(s)", kw, need)
			return
		}
		switch kw {
		case "content-type":
			ctype = args[i+1]
		case "hdr":
			if strings.Contains(args[i+2], "%") {
				errf("hdr %s: log-format values are not supported here; use plain text", args[i+1])
				return
			}
			hdrs = append(hdrs, [2]string{args[i+1], args[i+2]})
		case "default-errorfiles", "errorfile", "errorfiles", "file", "lf-file", "string", "lf-string":
			if payload {
				errf("only one of default-errorfiles, errorfile, errorfiles, file, lf-file, string, lf-string")
				return
			}
			payload, payloadKw = true, kw
			switch kw {
			case "default-errorfiles":
				op.code, op.page = code, nil // a reset
			case "errorfile":
				if op.page, err = p.loadErrorFile(l.Pos, args[i+1]); err != nil {
					errf("%v", err)
					return
				}
			case "errorfiles":
				// A section without this code leaves the proxy's page.
				op.from, op.codes = args[i+1], []int{code}
			case "file", "lf-file":
				_, data, err := p.readFile(l.Pos, args[i+1])
				if err != nil {
					errf("%s: %v", kw, err)
					return
				}
				body = data
			case "string", "lf-string":
				body = []byte(args[i+1])
			}
			if strings.HasPrefix(kw, "lf-") && bytes.Contains(body, []byte("%")) {
				errf("%s: log-format expressions are not supported here; use string or file", kw)
				return
			}
		default:
			errf("unknown argument %q", kw)
			return
		}
		i += need
	}
	switch payloadKw {
	case "errorfile", "errorfiles":
		if ctype != "" {
			p.warnf(l.Pos, "http-error: content-type %q ignored with %s", ctype, payloadKw)
		}
	case "default-errorfiles":
	default:
		if len(body) > 0 && ctype == "" {
			errf("a content-type is needed with a non-empty payload")
			return
		}
		head := fmt.Appendf(nil, "HTTP/1.1 %d %s\r\n", code, h1.StatusText(code))
		for _, h := range hdrs {
			head = fmt.Appendf(head, "%s: %s\r\n", h[0], h[1])
		}
		head = fmt.Appendf(head, "content-length: %d\r\n", len(body))
		if len(body) > 0 {
			head = fmt.Appendf(head, "content-type: %s\r\n", ctype)
		}
		op.page = &ErrorPage{Status: code, Head: head, Body: body, Framed: true, From: l.Pos.String()}
	}
	st.errOps = append(st.errOps, op)
}

// resolveErrorPages builds each proxy's ErrorPages from its error-page
// lines, now that every http-errors section is known.
func (p *parser) resolveErrorPages() {
	for _, st := range p.proxies {
		pages := map[int]*ErrorPage{}
		for _, op := range st.errOps {
			switch {
			case op.from != "":
				sec := p.httpErrors[op.from]
				if sec == nil {
					p.errorf(op.pos, "errorfiles %s: no http-errors section named %q", op.from, op.from)
					continue
				}
				for code, page := range sec.pages {
					if op.codes == nil || slices.Contains(op.codes, code) {
						pages[code] = page
					}
				}
			case op.page != nil:
				pages[op.code] = op.page
			default:
				delete(pages, op.code)
			}
		}
		if len(pages) > 0 {
			st.p.ErrorPages = pages
		}
		if len(st.errOps) > st.inheritedErrOps && st.p.Mode == ModeTCP {
			p.advisef(st.p.Pos, "%s: error pages need mode http; ignored in mode tcp", st.what())
		}
	}
}

// resolveReplyPages gives the deny, tarpit and return rules that name an
// http-errors section ("errorfiles NAME") that section's page for their
// status; a section without it leaves the default page, as in HAProxy.
func (p *parser) resolveReplyPages() {
	for _, st := range p.proxies {
		for _, rules := range [][]Rule{st.p.RequestRules, st.p.ResponseRules} {
			for _, r := range rules {
				rep := r.Reply
				if rep == nil || rep.ErrorFiles == "" {
					continue
				}
				sec := p.httpErrors[rep.ErrorFiles]
				if sec == nil {
					p.errorf(r.Pos, "%s: errorfiles %s: no http-errors section named %q", r.Action, rep.ErrorFiles, rep.ErrorFiles)
					continue
				}
				if rep.Page = sec.pages[rep.Status]; rep.Page == nil {
					rep.Errorfile = true
				}
			}
		}
	}
}
