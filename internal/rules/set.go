package rules

import (
	"fmt"
	"net/netip"
	"strings"

	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/proxyproto"
	"baton/internal/tlsconf"
)

// Input is what ACL fetches and log-format values read. Reuse one per
// connection: it owns the scratch buffers rule-built header values live in.
type Input struct {
	Req *h1.Request
	Src netip.Addr
	// PP is the PROXY protocol header the client sent (accept-proxy or
	// expect-proxy), nil without one: the fc_pp_* and fc_rcvd_proxy
	// fetches read it.
	PP *proxyproto.Header
	// TLS is the client connection's TLS facts (ssl_fc*, ssl_c_*); nil
	// on a plain connection.
	TLS *tlsconf.Facts
	// Hello is the ClientHello read from a passthrough connection
	// (req.ssl_*), nil when none was parsed; HelloPending says the bytes
	// so far are its valid beginning and more may come.
	Hello        *tlsconf.Hello
	HelloPending bool

	reqScratch  []byte
	respScratch []byte
}

// Verdict is what http-request rules decided.
type Verdict struct {
	// Respond is set by deny, return and redirect: the proxy sends Status
	// with Location/ContentType/Body, then (deny) closes.
	Respond bool
	Status  int
	// Location is the redirect target; it lives in a buffer Reset keeps.
	Location []byte
	// ContentType and Body are the return/deny payload; they alias the
	// compiled rule and must not be written to.
	ContentType, Body []byte
	// Close is set by deny: the connection is closed after the answer.
	Close bool
	// Service is set by use-service: the proxy answers with that service
	// (prometheus-exporter).
	Service string
	// NoL7Retry is set by disable-l7-retry: the request may be retried
	// only on connection failures.
	NoL7Retry bool
}

// Reset returns a zero Verdict that keeps Location's buffer, so redirects
// do not allocate once it has grown.
func (v Verdict) Reset() Verdict { return Verdict{Location: v.Location[:0]} }

// cond is a compiled condition: an OR of AND-ed terms.
type cond struct {
	unless bool
	or     [][]term
}

type term struct {
	negate bool
	acl    *acl
}

func (c *cond) holds(in *Input) bool {
	if c == nil {
		return true
	}
	ok := false
	for _, and := range c.or {
		all := true
		for _, t := range and {
			if t.acl.match(in) == t.negate {
				all = false
				break
			}
		}
		if all {
			ok = true
			break
		}
	}
	return ok != c.unless
}

func (a *acl) match(in *Input) bool {
	for _, m := range a.lines {
		if m.match(in) {
			return true
		}
	}
	return false
}

type useBackend struct {
	backend string
	cond    *cond
}

type action uint8

const (
	actSetHeader action = iota + 1
	actAddHeader
	actDelHeader
	actDeny
	actReturn
	actRedirect
	actService
	actDisableL7Retry
)

type redirectKind uint8

const (
	redirLocation redirectKind = iota + 1
	redirPrefix
	redirScheme
)

type rule struct {
	action action
	cond   *cond
	name   string  // header actions
	isHost bool    // name is "host": keep h1.Request.Host in sync
	value  *format // set-header/add-header value; redirect target
	status int
	ctype  []byte
	body   []byte
	redir  redirectKind
}

// Set is a proxy's compiled rules. It is read-only after Compile and safe
// for concurrent use.
type Set struct {
	useBackends    []useBackend
	defaultBackend string
	request        []rule
	response       []rule
	content        []contentRule // tcp-request content
	// ops are the monitor and stats page conditions (ops.go).
	ops opsConds
}

// compiler caches compiled named ACLs so every reference shares one.
type compiler struct {
	p     *config.Proxy
	named map[string]*acl
}

// Compile compiles p's ACLs, use_backend, http-request and http-response
// rules. Errors name the offending line as "file:line: ...".
func Compile(p *config.Proxy) (*Set, error) {
	c, err := newCompiler(p)
	if err != nil {
		return nil, err
	}
	s := &Set{defaultBackend: p.DefaultBackend}
	if err := c.compileContent(s); err != nil {
		return nil, err
	}
	for _, ub := range p.UseBackends {
		cd, err := c.cond(ub.Cond)
		if err != nil {
			return nil, err
		}
		s.useBackends = append(s.useBackends, useBackend{backend: ub.Backend, cond: cd})
	}
	for i := range p.RequestRules {
		r, err := c.rule(&p.RequestRules[i], false)
		if err != nil {
			return nil, err
		}
		s.request = append(s.request, r)
	}
	for i := range p.ResponseRules {
		r, err := c.rule(&p.ResponseRules[i], true)
		if err != nil {
			return nil, err
		}
		s.response = append(s.response, r)
	}
	if err := c.compileOps(p, &s.ops); err != nil {
		return nil, err
	}
	return s, nil
}

func (c *compiler) cond(cd *config.Condition) (*cond, error) {
	if cd == nil {
		return nil, nil
	}
	out := &cond{unless: cd.Unless}
	for _, and := range cd.Or {
		var ts []term
		for _, t := range and {
			a, err := c.term(t, cd.Pos)
			if err != nil {
				return nil, err
			}
			ts = append(ts, term{negate: t.Negate, acl: a})
		}
		out.or = append(out.or, ts)
	}
	return out, nil
}

func (c *compiler) term(t config.Term, pos config.Pos) (*acl, error) {
	if t.Name != "" {
		if a := c.named[t.Name]; a != nil {
			return a, nil
		}
		switch t.Name {
		case "TRUE", "FALSE":
			return &acl{name: t.Name, lines: []*matcher{{fetch: fetchConst, constant: t.Name == "TRUE"}}}, nil
		}
		if def := predefined[t.Name]; def != nil {
			m, err := compileMatcher(def)
			if err != nil {
				return nil, err
			}
			a := &acl{name: t.Name, lines: []*matcher{m}}
			c.named[t.Name] = a
			return a, nil
		}
		// The parser may hand over definitions the proxy's ACL list
		// does not hold (e.g. from a defaults section).
		if len(t.ACLs) == 0 {
			return nil, fmt.Errorf("%s: unknown ACL %q", pos, t.Name)
		}
	}
	if len(t.ACLs) == 0 {
		return nil, fmt.Errorf("%s: empty anonymous ACL", pos)
	}
	a := &acl{name: t.Name}
	for _, def := range t.ACLs {
		m, err := compileMatcher(def)
		if err != nil {
			return nil, err
		}
		a.lines = append(a.lines, m)
	}
	if t.Name != "" {
		c.named[t.Name] = a
	}
	return a, nil
}

func (c *compiler) rule(hr *config.HTTPRule, response bool) (rule, error) {
	side := "http-request"
	if response {
		side = "http-response"
	}
	where := hr.Pos.String()
	cd, err := c.cond(hr.Cond)
	if err != nil {
		return rule{}, err
	}
	r := rule{cond: cd, name: hr.Name, isHost: strings.EqualFold(hr.Name, "host")}
	switch hr.Action {
	case "set-header", "add-header", "del-header":
		if hr.Name == "" {
			return rule{}, fmt.Errorf("%s: %s %s: missing header name", where, side, hr.Action)
		}
		switch hr.Action {
		case "set-header":
			r.action = actSetHeader
		case "add-header":
			r.action = actAddHeader
		default:
			r.action = actDelHeader
			return r, nil
		}
		f, err := compileFormat(hr.Value)
		if err != nil {
			return rule{}, fmt.Errorf("%s: %s %s %s: %v", where, side, hr.Action, hr.Name, err)
		}
		r.value = f
		return r, nil
	}
	if response {
		return rule{}, fmt.Errorf("%s: http-response %s is not supported (supported: set-header, add-header, del-header)", where, hr.Action)
	}
	switch hr.Action {
	case "deny":
		r.action, r.status = actDeny, statusOr(hr.Status, 403)
		r.ctype, r.body = bytesOrNil(hr.ContentType), bytesOrNil(hr.Body)
	case "return":
		r.action, r.status = actReturn, statusOr(hr.Status, 200)
		r.ctype, r.body = bytesOrNil(hr.ContentType), bytesOrNil(hr.Body)
	case "use-service":
		r.action, r.name = actService, hr.Service
	case "redirect":
		r.action, r.status = actRedirect, statusOr(hr.Status, 302)
		switch r.status {
		case 301, 302, 303, 307, 308:
		default:
			return rule{}, fmt.Errorf("%s: http-request redirect: code %d is not one of 301, 302, 303, 307, 308", where, r.status)
		}
		switch hr.RedirectKind {
		case "location":
			r.redir = redirLocation
		case "prefix":
			r.redir = redirPrefix
		case "scheme":
			r.redir = redirScheme
		default:
			return rule{}, fmt.Errorf("%s: http-request redirect: want location, prefix or scheme, got %q", where, hr.RedirectKind)
		}
		if hr.RedirectTo == "" {
			return rule{}, fmt.Errorf("%s: http-request redirect %s: missing target", where, hr.RedirectKind)
		}
		f, err := compileFormat(hr.RedirectTo)
		if err != nil {
			return rule{}, fmt.Errorf("%s: http-request redirect %s: %v", where, hr.RedirectKind, err)
		}
		r.value = f
	case "disable-l7-retry":
		r.action = actDisableL7Retry
	default:
		return rule{}, fmt.Errorf("%s: http-request %s is not supported (supported: set-header, add-header, del-header, deny, return, redirect, disable-l7-retry)", where, hr.Action)
	}
	return r, nil
}

func statusOr(s, def int) int {
	if s == 0 {
		return def
	}
	return s
}

func bytesOrNil(s string) []byte {
	if s == "" {
		return nil
	}
	return []byte(s)
}

// Backend returns the first use_backend whose condition matches, else
// the default_backend, else "" (a listen proxy then serves itself).
func (s *Set) Backend(in *Input) string {
	for i := range s.useBackends {
		if s.useBackends[i].cond.holds(in) {
			return s.useBackends[i].backend
		}
	}
	return s.defaultBackend
}

// Request applies http-request rules in order to in.Req (header actions
// edit it in place) and stops at the first deny, return or redirect,
// which it records in v. v should come from Verdict.Reset.
func (s *Set) Request(in *Input, v *Verdict) {
	in.reqScratch = in.reqScratch[:0]
	for i := range s.request {
		r := &s.request[i]
		if !r.cond.holds(in) {
			continue
		}
		switch r.action {
		case actSetHeader, actAddHeader, actDelHeader:
			if in.Req != nil {
				in.reqScratch = editHeaders(r, in, in.reqScratch, in.Req)
			}
		case actDeny:
			v.Respond, v.Status, v.Close = true, r.status, true
			v.ContentType, v.Body = r.ctype, r.body
			return
		case actReturn:
			v.Respond, v.Status = true, r.status
			v.ContentType, v.Body = r.ctype, r.body
			return
		case actRedirect:
			v.Respond, v.Status = true, r.status
			v.Location = r.location(v.Location[:0], in)
			return
		case actService:
			v.Respond, v.Service = true, r.name
			return
		case actDisableL7Retry:
			v.NoL7Retry = true
		}
	}
}

// Response applies http-response header rules to resp. Conditions and
// values read the request from in, which must still hold it.
func (s *Set) Response(in *Input, resp *h1.Response) {
	in.respScratch = in.respScratch[:0]
	for i := range s.response {
		r := &s.response[i]
		if !r.cond.holds(in) {
			continue
		}
		in.respScratch = editHeaders(r, in, in.respScratch, resp)
	}
}

// headerEditor is the part of h1.Request and h1.Response rules edit.
type headerEditor interface {
	SetHeader(name string, value []byte)
	AddHeader(name string, value []byte)
	DelHeader(name string)
}

// editHeaders applies a header rule; rule-built values are appended to
// scratch and the grown scratch returned. Earlier values keep pointing at
// bytes that are never overwritten during this call sequence: scratch is
// only appended to until the next Request/Response resets it.
func editHeaders(r *rule, in *Input, scratch []byte, h headerEditor) []byte {
	if r.action == actDelHeader {
		h.DelHeader(r.name)
		if req, ok := h.(*h1.Request); ok && r.isHost {
			req.Host = nil
		}
		return scratch
	}
	var val []byte
	if r.value.isLit {
		val = r.value.literal
	} else {
		start := len(scratch)
		scratch = r.value.appendTo(scratch, in)
		val = scratch[start:len(scratch):len(scratch)]
	}
	if r.action == actSetHeader {
		h.SetHeader(r.name, val)
		if req, ok := h.(*h1.Request); ok && r.isHost {
			req.Host = val
		}
	} else {
		h.AddHeader(r.name, val)
	}
	return scratch
}

// location builds a redirect target into dst.
func (r *rule) location(dst []byte, in *Input) []byte {
	switch r.redir {
	case redirLocation:
		return r.value.appendTo(dst, in)
	case redirPrefix:
		start := len(dst)
		dst = r.value.appendTo(dst, in)
		// HAProxy: a prefix of exactly "/" inserts nothing.
		if len(dst)-start == 1 && dst[start] == '/' {
			dst = dst[:start]
		}
		return appendOriginForm(dst, in)
	default: // redirScheme
		dst = r.value.appendTo(dst, in)
		dst = append(dst, "://"...)
		if in.Req != nil {
			host := in.Req.Host
			if host == nil {
				host, _ = in.Req.Header("host")
			}
			dst = append(dst, host...)
		}
		return appendOriginForm(dst, in)
	}
}

// appendOriginForm appends the request target as path and query:
// absolute-form targets lose their scheme and authority.
func appendOriginForm(dst []byte, in *Input) []byte {
	if in.Req == nil {
		return dst
	}
	t := in.Req.Target
	if len(t) == 0 || t[0] == '/' {
		return append(dst, t...)
	}
	i := 0
	if len(t) >= 7 && equalFoldLower(t[:7], "http://") {
		i = 7
	} else if len(t) >= 8 && equalFoldLower(t[:8], "https://") {
		i = 8
	} else {
		return append(dst, t...) // asterisk or authority form: as is
	}
	for i < len(t) && t[i] != '/' && t[i] != '?' {
		i++
	}
	if i == len(t) || t[i] == '?' {
		dst = append(dst, '/') // "http://a?q": the path is "/"
	}
	return append(dst, t[i:]...)
}
