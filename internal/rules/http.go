package rules

import (
	"net/netip"
	"time"
	"unsafe"

	"baton/internal/expr"
	"baton/internal/h1"
	"baton/internal/pattern"
)

// Backend returns the backend the use_backend rules choose: the first
// rule whose condition holds, else the default_backend, else "" (a listen
// proxy then serves itself). A dynamic name comes back in dyn (aliasing
// the Input's scratch buffer) with name set to ""; a dynamic name that
// is empty means the default backend, as HAProxy falls back when the
// name resolves to nothing.
func (s *Set) Backend(in *Input) (name string, dyn []byte) {
	for i := range s.useBackends {
		u := &s.useBackends[i]
		if !u.cond.holds(in) {
			continue
		}
		if u.dynamic == nil {
			return u.backend, nil
		}
		if b := u.dynamic.AppendScratch(&in.Ctx); len(b) > 0 {
			return "", b
		}
		return s.defaultBackend, nil
	}
	return s.defaultBackend, nil
}

// DefaultBackend is the default_backend ("" when none).
func (s *Set) DefaultBackend() string { return s.defaultBackend }

// UseServer walks the use-server rules: for each whose condition holds,
// pick is called with the server's name and whether a force-persist rule
// allows a down server; the walk stops when pick returns true. A dynamic
// name that picks nothing ends the walk, as in HAProxy.
func (s *Set) UseServer(in *Input, pick func(name []byte, force bool) bool) bool {
	if len(s.useServers) == 0 {
		return false
	}
	force := false
	for _, c := range s.forcePersist {
		if c.holds(in) {
			force = true
			break
		}
	}
	for i := range s.useServers {
		u := &s.useServers[i]
		if !u.cond.holds(in) {
			continue
		}
		if u.dynamic != nil {
			return pick(u.dynamic.AppendScratch(&in.Ctx), force)
		}
		if pick(unsafe.Slice(unsafe.StringData(u.server), len(u.server)), force) {
			return true
		}
	}
	return false
}

// CaptureRequest fills the "capture request header" slots from the
// request: the last occurrence of each header.
func (s *Set) CaptureRequest(in *Input) {
	if in.Captures == nil || in.Req == nil {
		return
	}
	for _, hc := range s.reqCaps {
		if v, ok := lastHeader(in.Req.Headers, hc.name); ok {
			in.Captures.Store(false, hc.slot, v)
		}
	}
}

// CaptureResponse fills the "capture response header" slots.
func (s *Set) CaptureResponse(in *Input, resp *h1.Response) {
	if in.Captures == nil {
		return
	}
	for _, hc := range s.resCaps {
		if v, ok := lastHeader(resp.Headers, hc.name); ok {
			in.Captures.Store(true, hc.slot, v)
		}
	}
}

func lastHeader(hs []h1.Header, name string) ([]byte, bool) {
	for i := len(hs) - 1; i >= 0; i-- {
		if expr.EqualFold(hs[i].Name, name) {
			return hs[i].Value, true
		}
	}
	return nil, false
}

// Request runs the http-request rules on in.Req until one decides (deny,
// tarpit, return, auth, redirect, reject, silent-drop) or allow stops
// them. v should come from Verdict.Reset.
func (s *Set) Request(in *Input, v *Verdict) {
	in.Response = false
	s.runHTTP(s.request, in, in.Req, nil, v)
}

// Redirect runs the proxy-level redirect rules, which come after the
// http-request rules and the statistics page: the first whose condition
// holds answers.
func (s *Set) Redirect(in *Input, v *Verdict) {
	if len(s.redirects) == 0 {
		return
	}
	in.Response = false
	s.runHTTP(s.redirects, in, in.Req, nil, v)
}

// Response runs the http-response rules on resp. A deny, return or
// redirect replaces the response with the Verdict's answer.
func (s *Set) Response(in *Input, resp *h1.Response, v *Verdict) {
	in.Response, in.Resp = true, resp
	s.runHTTP(s.response, in, nil, resp, v)
	in.Response = false
}

// AfterResponse runs the http-after-response rules on a response about
// to be sent, the proxy's own answers included.
func (s *Set) AfterResponse(in *Input, resp *h1.Response) {
	in.Response, in.Resp = true, resp
	var v Verdict
	s.runHTTP(s.after, in, nil, resp, &v)
	in.Response = false
}

// headerEditor is what h1.Request and h1.Response share for rules.
type headerEditor interface {
	SetHeader(name string, value []byte)
	AddHeader(name string, value []byte)
	DelHeader(name string)
}

func (s *Set) runHTTP(rules []rule, in *Input, req *h1.Request, resp *h1.Response, v *Verdict) {
	var hdrs headerEditor
	var hs *[]h1.Header
	if req != nil {
		hdrs, hs = req, &req.Headers
	} else if resp != nil {
		hdrs, hs = resp, &resp.Headers
	}
	for i := range rules {
		r := &rules[i]
		if !r.cond.holds(in) {
			continue
		}
		switch r.act {
		case actAllow:
			return
		case actReject:
			v.Kind = Reject
			return
		case actSilentDrop:
			v.Kind = SilentDrop
			return
		case actReply:
			r.reply.fill(in, v)
			return
		case actRedirect:
			if r.redirect(in, v) {
				return
			}
		case actService:
			v.Kind, v.Service = Respond, r.name
			return
		case actDisableL7Retry:
			v.NoL7Retry = true
		case actEarlyHint:
			if req != nil {
				in.Effects.EarlyHints = append(in.Effects.EarlyHints, h1.Header{
					Name: unsafe.Slice(unsafe.StringData(r.name), len(r.name)), Value: r.value.AppendScratch(&in.Ctx)})
				// As in HAProxy, a 103 ends with the last of consecutive
				// early-hint rules, or before one with a condition.
				if i+1 == len(rules) || rules[i+1].act != actEarlyHint || rules[i+1].cond != nil {
					in.Effects.EarlyHints = append(in.Effects.EarlyHints, h1.Header{})
				}
			}
		case actSetHeader, actAddHeader:
			if hdrs == nil {
				continue
			}
			val := r.value.AppendScratch(&in.Ctx)
			if r.act == actSetHeader {
				hdrs.SetHeader(r.name, val)
				if req != nil && r.isHost {
					req.Host = val
				}
			} else {
				hdrs.AddHeader(r.name, val)
			}
		case actDelHeader:
			if hs != nil {
				*hs = deleteHeaders(*hs, r)
				if req != nil && r.isHost && r.nameM == pattern.Str {
					req.Host = nil
				}
			}
		case actReplaceHeader, actReplaceValue:
			if hs != nil {
				r.replaceHeader(in, *hs)
			}
		case actSetPath, actSetPathQ, actSetQuery, actSetURI, actSetMethod,
			actReplacePath, actReplacePathQ, actReplaceURI, actNormalizeURI:
			if req != nil {
				if !r.rewriteURI(in, req) {
					// A failed strict normalization answers 400.
					v.Kind, v.Status, v.Errorfile = Respond, 400, true
					return
				}
			}
		case actSetStatus:
			if resp != nil {
				resp.Status, resp.Reason = r.status, r.reason
				in.Status = r.status
			}
		case actWaitForBody:
			if in.Hooks != nil && req != nil && !in.ReqBodyFinal {
				in.Hooks.WaitForBody(in, time.Duration(r.cfg.Int)*time.Millisecond, r.cfg.Int2)
			}
		case actDoResolve:
			r.doResolve(in, true)
		case actSetMap, actDelPattern, actAddACL:
			r.changePatterns(in)
		case actCacheUse:
			in.Effects.CacheUse = r.cfg.Name
		case actCacheStore:
			if resp != nil {
				in.Effects.CacheStore = r.cfg.Name
				in.Effects.CacheHead = h1.AppendResponseHead(in.Effects.CacheHead[:0], resp)
			}
		default:
			r.common(in)
		}
	}
}

// doResolve runs do-resolve as HAProxy does: the expression as a string
// is the host name, and the variable is set only when an address is
// found. Without wait, only an answer at hand counts (see Resolver).
func (r *rule) doResolve(in *Input, wait bool) {
	c := &in.Ctx
	var s expr.Sample
	if in.Resolver == nil || !r.e.Eval(c, &s) || !c.Cast(&s, expr.Str) {
		return
	}
	if a, ok := in.Resolver.Resolve(r.cfg.DoResolve.Resolvers, s.Bytes, r.cfg.DoResolve.IPv4, wait); ok {
		s = expr.Sample{}
		s.SetIP(a)
		c.SetVar(r.cfg.Var, &s)
	}
}

// changePatterns runs set-map, del-map, add-acl and del-acl on the
// rule's file: the change is seen by the next lookup of every map
// converter and ACL that loads it, and by the runtime API. A change the
// file's users cannot compile (a value that is not a number for an
// integer map) changes nothing, as in HAProxy.
func (r *rule) changePatterns(in *Input) {
	ref := r.cfg.Patterns
	if ref == nil {
		return // no acl or map loads the file (config warned)
	}
	key := r.cfg.Key.AppendScratch(&in.Ctx)
	switch r.act {
	case actSetMap:
		ref.PutBytes(key, r.value.AppendScratch(&in.Ctx))
	case actAddACL:
		ref.AddNewBytes(key)
	default:
		ref.DelBytes(key)
	}
}

// common runs the actions every rule set shares: variables, log level,
// captures, addresses, timeouts, socket marks.
func (r *rule) common(in *Input) {
	c := &in.Ctx
	switch r.act {
	case actSetVar:
		var s expr.Sample
		if r.e.Eval(c, &s) {
			c.SetVarIf(r.cfg.Var, &s, r.cfg.VarConds)
		}
	case actSetVarFmt:
		s := expr.Sample{Type: expr.Str, Bytes: r.value.AppendScratch(c)}
		c.SetVarIf(r.cfg.Var, &s, r.cfg.VarConds)
	case actUnsetVar:
		c.UnsetVar(r.cfg.Var)
	case actLogLevel:
		in.Effects.LogLevel = r.cfg.Name
	case actExpectProxy:
		in.Effects.ExpectProxy = true
	case actCapture:
		var s expr.Sample
		if c.Captures != nil && r.e.Eval(c, &s) && c.Cast(&s, expr.Str) {
			c.Captures.Store(in.Response, int(r.cfg.Int), s.Bytes)
		}
	case actSetSrc, actSetDst:
		var s expr.Sample
		if !r.e.Eval(c, &s) || !c.Cast(&s, expr.Addr) {
			return
		}
		ap := &c.Src
		if r.act == actSetDst {
			ap = &c.Dst
		}
		port := ap.Port()
		if !ap.IsValid() {
			port = 0
		}
		*ap = netip.AddrPortFrom(s.IP, port)
	case actSetSrcPort, actSetDstPort:
		var s expr.Sample
		if !r.e.Eval(c, &s) || !c.Cast(&s, expr.Int) {
			return
		}
		ap := &c.Src
		if r.act == actSetDstPort {
			ap = &c.Dst
		}
		addr := ap.Addr()
		if !ap.IsValid() {
			addr = netip.IPv4Unspecified()
		}
		*ap = netip.AddrPortFrom(addr, uint16(s.Int))
	case actSetTimeout:
		d := time.Duration(r.cfg.Int) * time.Millisecond
		if r.e != nil {
			var s expr.Sample
			if !r.e.Eval(c, &s) || !c.Cast(&s, expr.Int) || s.Int <= 0 {
				return
			}
			d = time.Duration(s.Int) * time.Millisecond
		}
		if r.cfg.Name == "tunnel" {
			in.Effects.TunnelTimeout = d
		} else {
			in.Effects.ServerTimeout = d
		}
	case actSetMark:
		in.Effects.Mark, in.Effects.MarkSet = uint32(r.cfg.Int), true
	case actSetTOS:
		in.Effects.TOS, in.Effects.TOSSet = uint32(r.cfg.Int), true
	default:
		if isStick(r.act) {
			r.stick(in)
		}
	}
}

// fill writes the reply into v.
func (rp *reply) fill(in *Input, v *Verdict) {
	v.Kind, v.Status = Respond, rp.status
	// The connection stays open after a deny or a tarpit, as in HAProxy
	// 2.6: a client refused once may send its next request on it.
	v.Denied = rp.kind == "deny" || rp.kind == "tarpit"
	v.Tarpit = rp.kind == "tarpit"
	if rp.page != nil {
		v.Page = rp.page
		return
	}
	v.Errorfile = rp.errorfile
	if rp.authValue != nil {
		v.Headers = append(v.Headers, h1.Header{Name: wwwAuthenticate, Value: rp.authValue})
	}
	if rp.errorfile {
		return
	}
	for _, h := range rp.headers {
		v.Headers = append(v.Headers, h1.Header{Name: unsafe.Slice(unsafe.StringData(h.Name), len(h.Name)), Value: h.Value.AppendScratch(&in.Ctx)})
	}
	if rp.bodyFmt != nil {
		v.Body = rp.bodyFmt.AppendScratch(&in.Ctx)
	} else {
		v.Body = rp.body
	}
	if len(v.Body) > 0 {
		v.ContentType = rp.contentType
	}
}

var (
	wwwAuthenticate = []byte("WWW-Authenticate")
	locationName    = []byte("Location")
	setCookieName   = []byte("Set-Cookie")
	cacheControl    = []byte("Cache-Control")
	noCache         = []byte("no-cache")
)

// redirect builds the Location into the scratch buffer; false when
// ignore-empty skipped the rule.
func (r *rule) redirect(in *Input, v *Verdict) bool {
	rd := r.cfg.Redirect
	c := &in.Ctx
	target := rd.Target.AppendScratch(c)
	if rd.IgnoreEmpty && len(target) == 0 {
		return false
	}
	dst := c.Scratch()
	start := len(dst)
	dst = append(dst, target...)
	req := in.Req
	switch rd.Kind {
	case "prefix":
		// A prefix of exactly "/" inserts nothing.
		if len(dst)-start == 1 && dst[start] == '/' {
			dst = dst[:start]
		}
		dst = appendRedirectPath(dst, req, rd.DropQuery, rd.AppendSlash)
	case "scheme":
		dst = append(dst, "://"...)
		if req != nil {
			host := req.Host
			if host == nil {
				host, _ = req.Header("host")
			}
			dst = append(dst, host...)
		}
		dst = appendRedirectPath(dst, req, rd.DropQuery, rd.AppendSlash)
	}
	c.SetScratch(dst)
	loc := dst[start:len(dst):len(dst)]
	v.Kind, v.Status, v.Redirect = Respond, rd.Code, true
	v.Headers = append(v.Headers, h1.Header{Name: locationName, Value: loc})
	if rd.Code == 302 || rd.Code == 303 || rd.Code == 307 {
		v.Headers = append(v.Headers, h1.Header{Name: cacheControl, Value: noCache})
	}
	if r.cookie != nil {
		v.Headers = append(v.Headers, h1.Header{Name: setCookieName, Value: r.cookie})
	}
	return true
}

// appendRedirectPath appends the request's path and query (origin form;
// "/" when there is no path), without the query for drop-query, with a
// '/' added to a path not ending in one for append-slash.
func appendRedirectPath(dst []byte, req *h1.Request, dropQuery, appendSlash bool) []byte {
	if req == nil {
		return append(dst, '/')
	}
	pq := pathAndQuery(req.Target)
	path, query := pq, []byte(nil)
	for i, b := range pq {
		if b == '?' {
			path, query = pq[:i], pq[i:]
			break
		}
	}
	if len(path) == 0 || len(path) == 1 && path[0] == '*' {
		path = slash
	}
	dst = append(dst, path...)
	if appendSlash && path[len(path)-1] != '/' {
		dst = append(dst, '/')
	}
	if !dropQuery {
		dst = append(dst, query...)
	}
	return dst
}

var slash = []byte("/")

// deleteHeaders removes the headers whose name matches r's method.
func deleteHeaders(hs []h1.Header, r *rule) []h1.Header {
	out := hs[:0]
	for _, h := range hs {
		if !r.nameMatches(h.Name) {
			out = append(out, h)
		}
	}
	for i := len(out); i < len(hs); i++ {
		hs[i] = h1.Header{}
	}
	return out
}

func (r *rule) nameMatches(n []byte) bool {
	name := r.name
	switch r.nameM {
	case pattern.Beg:
		return len(n) >= len(name) && expr.EqualFold(n[:len(name)], name)
	case pattern.End:
		return len(n) >= len(name) && expr.EqualFold(n[len(n)-len(name):], name)
	case pattern.Sub:
		for i := 0; i+len(name) <= len(n); i++ {
			if expr.EqualFold(n[i:i+len(name)], name) {
				return true
			}
		}
		return false
	case pattern.Reg:
		return r.nameR.Match(n)
	}
	return expr.EqualFold(n, name)
}

// replaceHeader rewrites every field named r.name (replace-header) or
// every comma-separated element of them (replace-value) that the regular
// expression matches: the value becomes the replacement, with \N the
// groups of the match.
func (r *rule) replaceHeader(in *Input, hs []h1.Header) {
	c := &in.Ctx
	var repl []byte
	for i := range hs {
		h := &hs[i]
		if !expr.EqualFold(h.Name, r.name) {
			continue
		}
		if repl == nil {
			repl = r.value.AppendScratch(c)
		}
		if r.act == actReplaceHeader {
			if m := r.re.FindSubmatchIndex(h.Value); m != nil {
				h.Value = r.expand(in, repl, h.Value, m)
			}
			continue
		}
		// replace-value: rebuild the field element by element; as in
		// HAProxy, an element replaced loses the blanks before it, the
		// others keep theirs.
		dst := c.Scratch()
		start := len(dst)
		v := h.Value
		for k := 0; ; k++ {
			j := 0
			for j < len(v) && v[j] != ',' {
				j++
			}
			raw := v[:j]
			elem := expr.TrimBlanks(raw)
			if k > 0 {
				dst = append(dst, ',')
			}
			if m := r.re.FindSubmatchIndex(elem); m != nil {
				dst = expr.ExpandGroups(dst, repl, elem, m)
			} else {
				dst = append(dst, raw...)
			}
			if j >= len(v) {
				break
			}
			v = v[j+1:]
		}
		c.SetScratch(dst)
		h.Value = dst[start:len(dst):len(dst)]
	}
}

// expand appends repl with groups of m in src to the scratch buffer and
// returns the result.
func (r *rule) expand(in *Input, repl, src []byte, m []int) []byte {
	c := &in.Ctx
	dst := c.Scratch()
	start := len(dst)
	dst = expr.ExpandGroups(dst, repl, src, m)
	c.SetScratch(dst)
	return dst[start:len(dst):len(dst)]
}
