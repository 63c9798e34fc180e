package config

import (
	"baton/internal/logformat"
	"fmt"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// fetches are the supported ACL fetches; true marks those that take a
// header name in parentheses.
var fetches = map[string]bool{
	"path": false, "path_beg": false, "path_end": false, "path_reg": false,
	"method": false, "src": false,
	"hdr": true, "hdr_beg": true, "hdr_end": true,
	"fc_pp_authority": false, "fc_pp_unique_id": false, "fc_rcvd_proxy": false,
}

// TLS fetches (package rules evaluates them): boolean ones take no value,
// integer ones take numbers or ranges "LO:HI", the others strings.
var (
	boolFetches = wordSet("ssl_fc ssl_c_used ssl_fc_has_sni ssl_fc_is_resumed ssl_fc_has_crt")
	intFetches  = wordSet("ssl_c_verify req_ssl_hello_type req.ssl_hello_type")
	strFetches  = wordSet(`ssl_fc_sni ssl_fc_sni_end ssl_fc_sni_reg ssl_fc_protocol ssl_fc_cipher ssl_fc_alpn
		ssl_c_s_dn ssl_c_i_dn req_ssl_sni req.ssl_sni`)
	// tcpFetches work in mode tcp: the client address, the PROXY
	// header, the TLS connection and the raw ClientHello.
	tcpFetches = func() map[string]bool {
		m := wordSet("src fc_pp_authority fc_pp_unique_id fc_rcvd_proxy")
		for _, set := range []map[string]bool{boolFetches, intFetches, strFetches} {
			for k := range set {
				m[k] = true
			}
		}
		return m
	}()
)

func init() {
	for _, set := range []map[string]bool{boolFetches, intFetches, strFetches} {
		for k := range set {
			fetches[k] = false
		}
	}
}

// haproxyPredefinedACLs are HAProxy's built-in ACL names, which Baton
// does not provide.
var haproxyPredefinedACLs = wordSet(`FALSE HTTP HTTP_1.0 HTTP_1.1 HTTP_2.0 HTTP_3.0 HTTP_CONTENT HTTP_URL_ABS
	HTTP_URL_SLASH HTTP_URL_STAR LOCALHOST METH_CONNECT METH_DELETE METH_GET METH_HEAD METH_OPTIONS
	METH_POST METH_PUT METH_TRACE RDP_COOKIE REQ_CONTENT TRUE WAIT_END`)

// builtinACLs are the predefined ACLs Baton provides (package rules
// evaluates them) when the proxy declares none of that name.
var builtinACLs = wordSet(`TRUE FALSE METH_CONNECT METH_DELETE METH_GET METH_HEAD METH_OPTIONS METH_POST METH_PUT METH_TRACE`)

func parseACLLine(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) < 2 {
		p.errorf(l.Pos, "acl: expects a name, a fetch and values (acl NAME FETCH [-i] VALUE...)")
		return
	}
	name := args[0]
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			p.errorf(l.Pos, "acl %q: invalid character %q in name", name, c)
			return
		}
	}
	a, msg := parseACL(args[1:], l.Pos)
	if msg != "" {
		p.errorf(l.Pos, "acl %q: %s", name, msg)
		return
	}
	a.Name = name
	st.acls[name] = append(st.acls[name], a)
	st.p.ACLs = append(st.p.ACLs, *a)
}

// parseACL reads "FETCH [-i] [--] VALUE..." into an ACL without a name.
func parseACL(w []string, pos Pos) (*ACL, string) {
	if len(w) == 0 {
		return nil, "missing fetch"
	}
	a := &ACL{Pos: pos}
	fetch := w[0]
	if i := strings.IndexByte(fetch, '('); i >= 0 {
		if !strings.HasSuffix(fetch, ")") {
			return nil, fmt.Sprintf("fetch %q: missing ')'", fetch)
		}
		a.FetchArg = fetch[i+1 : len(fetch)-1]
		fetch = fetch[:i]
	}
	a.Fetch = fetch
	needArg, ok := fetches[fetch]
	if !ok {
		names := make([]string, 0, len(fetches))
		for f := range fetches {
			names = append(names, f)
		}
		msg := fmt.Sprintf("fetch %q is not supported by Baton", fetch)
		if s := suggest(fetch, names); s != "" {
			msg += fmt.Sprintf(" (did you mean %q?)", s)
		} else {
			msg += " (supported: path, path_beg, path_end, path_reg, hdr(), hdr_beg(), hdr_end(), method, src, fc_pp_authority, fc_pp_unique_id, fc_rcvd_proxy, and the ssl_fc*, ssl_c_*, req.ssl_* fetches of doc/configuration.md)"
		}
		return nil, msg
	}
	if needArg && a.FetchArg == "" {
		return nil, fmt.Sprintf("fetch %q needs a header name, e.g. %s(host)", fetch, fetch)
	}
	if needArg && !isToken(a.FetchArg) {
		return nil, fmt.Sprintf("fetch %q: invalid header name %q", fetch, a.FetchArg)
	}
	if !needArg && strings.Contains(w[0], "(") {
		return nil, fmt.Sprintf("fetch %q takes no argument", fetch)
	}
	w = w[1:]
flags:
	for len(w) > 0 && strings.HasPrefix(w[0], "-") {
		switch w[0] {
		case "-i":
			a.IgnoreCase = true
		case "--":
			w = w[1:]
			break flags
		case "-m", "-f", "-M", "-n", "-u":
			return nil, fmt.Sprintf("flag %q is a HAProxy ACL flag that Baton does not support", w[0])
		default:
			return nil, fmt.Sprintf("unknown flag %q (only -i and -- are supported)", w[0])
		}
		w = w[1:]
	}
	if boolFetches[fetch] || fetch == "fc_rcvd_proxy" {
		// A boolean: the ACL holds when the fetch does.
		if len(w) > 0 {
			return nil, fmt.Sprintf("fetch %q is a boolean: it takes no value", fetch)
		}
		return a, ""
	}
	if len(w) == 0 {
		return nil, fmt.Sprintf("fetch %q needs at least one value", fetch)
	}
	for _, v := range w {
		if intFetches[fetch] {
			if _, _, ok := ParseIntRange(v); !ok {
				return nil, fmt.Sprintf("fetch %q: invalid integer %q (N or LO:HI)", fetch, v)
			}
			continue
		}
		switch fetch {
		case "path_reg", "ssl_fc_sni_reg":
			expr := v
			if a.IgnoreCase {
				expr = "(?i)" + v
			}
			if _, err := regexp.Compile(expr); err != nil {
				return nil, fmt.Sprintf("invalid regex %q: %v", v, err)
			}
		case "src":
			if _, err := netip.ParsePrefix(v); err != nil {
				if _, err := netip.ParseAddr(v); err != nil {
					return nil, fmt.Sprintf("invalid address %q (an IP or CIDR expected)", v)
				}
			}
		case "method":
			if !isToken(v) {
				return nil, fmt.Sprintf("invalid method %q", v)
			}
		}
	}
	a.Values = w
	return a, ""
}

// ParseIntRange reads an integer ACL value: "N", "LO:HI", "LO:" or
// ":HI" (HAProxy's integer match).
func ParseIntRange(v string) (lo, hi int64, ok bool) {
	num := func(s string) (int64, bool) {
		n, err := strconv.ParseInt(s, 10, 64)
		return n, err == nil
	}
	a, b, isRange := strings.Cut(v, ":")
	if !isRange {
		n, ok := num(v)
		return n, n, ok
	}
	lo, hi = -1<<63, 1<<63-1
	if a != "" {
		if lo, ok = num(a); !ok {
			return 0, 0, false
		}
	}
	if b != "" {
		if hi, ok = num(b); !ok {
			return 0, 0, false
		}
	}
	return lo, hi, (a != "" || b != "") && lo <= hi
}

// parseCond reads "if|unless TERMS" where terms are ANDed, "||" or "or"
// separates alternatives, "!" negates and "{ ... }" is an anonymous ACL.
func (p *parser) parseCond(st *proxyState, l line, w []string) (*Condition, string) {
	c := &Condition{Pos: l.Pos}
	switch w[0] {
	case "if":
	case "unless":
		c.Unless = true
	default:
		return nil, fmt.Sprintf("unexpected %q (expected if or unless)", w[0])
	}
	w = w[1:]
	if len(w) == 0 {
		return nil, fmt.Sprintf("%q needs a condition", map[bool]string{false: "if", true: "unless"}[c.Unless])
	}
	var group []Term
	neg := false
	for len(w) > 0 {
		t := w[0]
		w = w[1:]
		if len(t) > 1 && t[0] == '!' {
			neg, t = !neg, t[1:]
		}
		switch {
		case t == "||" || t == "or":
			if len(group) == 0 || neg {
				return nil, fmt.Sprintf("%q without a term before it", t)
			}
			c.Or = append(c.Or, group)
			group = nil
			continue
		case t == "!":
			neg = !neg
			continue
		case t == "{":
			end := -1
			for i, x := range w {
				if x == "}" {
					end = i
					break
				}
			}
			if end < 0 {
				return nil, "anonymous ACL: missing '}'"
			}
			a, msg := parseACL(w[:end], l.Pos)
			if msg != "" {
				return nil, "anonymous ACL: " + msg
			}
			w = w[end+1:]
			st.anonACL = append(st.anonACL, a)
			group = append(group, Term{Negate: neg, ACLs: []*ACL{a}})
			neg = false
			continue
		case t == "}":
			return nil, "unexpected '}'"
		}
		if _, ok := st.acls[t]; !ok && !builtinACLs[t] {
			if haproxyPredefinedACLs[t] {
				return nil, fmt.Sprintf("ACL %q is a HAProxy predefined ACL that Baton does not support; declare it with acl", t)
			}
			return nil, fmt.Sprintf("ACL %q is not declared (declare it with acl before this line)", t)
		}
		group = append(group, Term{Negate: neg, Name: t})
		neg = false
	}
	if len(group) == 0 || neg {
		return nil, "condition ends without a term"
	}
	c.Or = append(c.Or, group)
	// Named terms are resolved when the section ends; remember them.
	for i := range c.Or {
		for j := range c.Or[i] {
			if c.Or[i][j].Name != "" {
				st.terms = append(st.terms, &c.Or[i][j])
			}
		}
	}
	return c, ""
}

// splitCond splits rule arguments at the first "if" or "unless".
func splitCond(args []string) (action, cond []string) {
	for i, a := range args {
		if a == "if" || a == "unless" {
			return args[:i], args[i:]
		}
	}
	return args, nil
}

// parseHTTPRule reads one http-request or http-response rule.
func parseHTTPRule(p *parser, st *proxyState, l line, args []string, _ bool) {
	kw := l.Words[0] + " " + l.Words[1]
	r := HTTPRule{Action: l.Words[1], Pos: l.Pos}
	act, condWords := splitCond(args)
	errf := func(format string, a ...any) { p.errorf(l.Pos, "%s: %s", kw, fmt.Sprintf(format, a...)) }
	status := func(v string, lo, hi int) (int, bool) {
		n, err := strconv.Atoi(v)
		if err != nil || n < lo || n > hi {
			errf("invalid status %q (%d..%d)", v, lo, hi)
			return 0, false
		}
		return n, true
	}
	switch r.Action {
	case "deny":
		r.Status = 403
		for len(act) > 0 {
			if act[0] != "deny_status" || len(act) < 2 {
				errf("unsupported argument %q (only deny_status N)", act[0])
				return
			}
			var ok bool
			if r.Status, ok = status(act[1], 200, 599); !ok {
				return
			}
			act = act[2:]
		}
	case "return":
		r.Status = 200
		for len(act) > 0 {
			if len(act) < 2 {
				errf("%q expects a value", act[0])
				return
			}
			switch act[0] {
			case "status":
				var ok bool
				if r.Status, ok = status(act[1], 200, 599); !ok {
					return
				}
			case "content-type":
				r.ContentType = act[1]
			case "string":
				r.Body = act[1]
			default:
				errf("unsupported argument %q (status, content-type, string)", act[0])
				return
			}
			act = act[2:]
		}
		if r.Body != "" && r.ContentType == "" {
			errf("string needs a content-type")
			return
		}
	case "set-header", "add-header":
		if len(act) != 2 {
			errf("expects a header name and a value")
			return
		}
		if !isToken(act[0]) {
			errf("invalid header name %q", act[0])
			return
		}
		v, msg := checkFormat(act[1])
		if msg != "" {
			errf("%s", msg)
			return
		}
		r.Name, r.Value = act[0], v
	case "del-header":
		if len(act) != 1 {
			errf("expects one header name")
			return
		}
		if !isToken(act[0]) {
			errf("invalid header name %q", act[0])
			return
		}
		r.Name = act[0]
	case "redirect":
		if len(act) < 2 {
			errf("expects location, prefix or scheme and a value")
			return
		}
		switch act[0] {
		case "location", "prefix", "scheme":
		default:
			errf("unknown redirect type %q (location, prefix or scheme)", act[0])
			return
		}
		v, msg := checkFormat(act[1])
		if msg != "" {
			errf("%s", msg)
			return
		}
		r.RedirectKind, r.RedirectTo, r.Status = act[0], v, 302
		act = act[2:]
		for len(act) > 0 {
			if act[0] != "code" || len(act) < 2 {
				errf("unsupported argument %q (only code N)", act[0])
				return
			}
			n, err := strconv.Atoi(act[1])
			if err != nil || n != 301 && n != 302 && n != 303 && n != 307 && n != 308 {
				errf("invalid code %q (301, 302, 303, 307 or 308)", act[1])
				return
			}
			r.Status = n
			act = act[2:]
		}
	case "disable-l7-retry":
		if len(act) > 0 {
			errf("unexpected argument %q", act[0])
			return
		}
	}
	if len(condWords) > 0 {
		c, msg := p.parseCond(st, l, condWords)
		if msg != "" {
			errf("%s", msg)
			return
		}
		r.Cond = c
	}
	if l.Words[0] == "http-request" {
		st.p.RequestRules = append(st.p.RequestRules, r)
	} else {
		st.p.ResponseRules = append(st.p.ResponseRules, r)
	}
}

// checkFormat validates a HAProxy log-format value; the raw text is kept
// for rules to compile, so "%%" stays as written.
func checkFormat(s string) (string, string) {
	if _, err := logformat.Parse(s); err != nil {
		return "", fmt.Sprintf("value %q: %v", s, err)
	}
	return s, ""
}
