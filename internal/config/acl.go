package config

import (
	"fmt"
	"strconv"
	"strings"

	"baton/internal/expr"
	"baton/internal/pattern"
)

func parseACLLine(p *parser, st *proxyState, l line, args []string, _ bool) {
	if len(args) < 2 {
		p.errorf(l.Pos, "acl: expects a name and a criterion (acl NAME CRITERION [FLAGS] [VALUE...])")
		return
	}
	name := args[0]
	for _, c := range name {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.' || c == ':') {
			p.errorf(l.Pos, "acl %q: invalid character %q in name", name, c)
			return
		}
	}
	a, msg := p.parseACL(args[1:], l.Pos, "acl "+name)
	if msg != "" {
		p.errorf(l.Pos, "acl %q: %s", name, msg)
		return
	}
	a.Name = name
	st.acls[name] = append(st.acls[name], a)
	st.p.ACLs = append(st.p.ACLs, *a)
}

// parseACL reads "CRITERION [FLAGS] [VALUE...]" into an ACL without a
// name. The flags are -i (ignore case for what follows), -f FILE (load
// patterns), -M (the files are maps: their first column), -m METHOD, -n
// (no DNS in IP patterns), -u ID (unique id of the values) and "--".
// what names the ACL in warnings.
func (p *parser) parseACL(w []string, pos Pos, what string) (*ACL, string) {
	if len(w) == 0 {
		return nil, "missing criterion"
	}
	env := p.cfg.Expr
	a := &ACL{Pos: pos, Fetch: w[0]}
	w0 := w[0] // the criterion's keyword names inline values in listings
	e, method, err := expr.CompileACL(w[0], env)
	if err != nil {
		msg := err.Error()
		if strings.HasPrefix(msg, "unknown fetch method") {
			if s := suggest(w[0][:strings.IndexAny(w[0]+"(,", "(,")], expr.FetchNames()); s != "" {
				msg += fmt.Sprintf(" (did you mean %q?)", s)
			}
		}
		return nil, msg
	}
	a.Expr = e
	type file struct {
		name string
		fold bool
	}
	var files []file
	fold, noDNS, isMap, explicitEnd := false, false, false, false
	uid := -1
	methodSet := false
	w = w[1:]
flags:
	for len(w) > 0 && strings.HasPrefix(w[0], "-") && len(w[0]) > 1 {
		flag := w[0]
		w = w[1:]
		switch flag {
		case "-i":
			fold = true
		case "-n":
			noDNS = true
		case "-M":
			isMap = true
		case "--":
			explicitEnd = true
			break flags
		case "-f", "-m", "-u":
			if len(w) == 0 {
				return nil, fmt.Sprintf("flag %s expects an argument", flag)
			}
			arg := w[0]
			w = w[1:]
			switch flag {
			case "-f":
				files = append(files, file{arg, fold})
			case "-u":
				n, err := strconv.Atoi(arg)
				if err != nil || n < 0 {
					return nil, fmt.Sprintf("-u: invalid unique id %q", arg)
				}
				uid = n
			case "-m":
				if len(files) > 0 {
					return nil, "'-m' must only be specified before patterns and files"
				}
				m, ok := pattern.ParseMethod(arg)
				if !ok {
					return nil, fmt.Sprintf("unknown matching method %q (found, bool, int, ip, bin, len, str, sub, reg, beg, end, dir, dom)", arg)
				}
				method, methodSet = m, true
			}
		default:
			if n := len(flag); n > 1 && flag[1] >= '0' && flag[1] <= '9' {
				w = append([]string{flag}, w...) // a negative number, not a flag
				break flags
			}
			return nil, fmt.Sprintf("unknown flag %q (-i, -f, -m, -n, -M, -u, --)", flag)
		}
	}
	if !methodSet && method == pattern.MethodNone {
		switch e.Out {
		case expr.Bool:
			method = pattern.Bool
		case expr.Int:
			method = pattern.Int
		case expr.IPv4, expr.IPv6, expr.Addr:
			method = pattern.IP
		case expr.Str:
			method = pattern.Str
		default:
			return nil, fmt.Sprintf("matching method must be specified first (using '-m') when using a sample fetch of this type ('%s')", e.FetchName())
		}
	}
	a.Method, a.IgnoreCase = method, fold
	values := w
	if method == pattern.Int || method == pattern.Len {
		v, err := pattern.IntOperators(values)
		if err != nil {
			return nil, err.Error()
		}
		values = v
	}
	if !method.TakesPatterns() {
		values = nil // -m found and bool take no pattern
	}
	a.Values = values
	opt := pattern.Options{Method: method, NoDNS: noDNS}
	for _, f := range files {
		name, data, err := p.readFile(pos, f.name)
		if err != nil {
			return nil, fmt.Sprintf("failed to open pattern file <%s>: %v", f.name, err)
		}
		kind := "acl"
		if isMap {
			kind = "map"
		}
		ref, err := env.Maps.FileAt(name, fmt.Sprintf("%s at file '%s' line %d", kind, pos.File, pos.Line), data, isMap, -1)
		if err != nil {
			return nil, err.Error()
		}
		o := opt
		o.Fold = f.fold
		m, err := ref.Matcher(o)
		if err != nil {
			return nil, err.Error()
		}
		a.Matchers = append(a.Matchers, m)
	}
	{ // as in HAProxy, the ACL's own values are a Ref even when empty: "add acl" can fill it
		ref, err := env.Maps.Inline(fmt.Sprintf("acl '%s' file '%s' line %d", w0[:strings.IndexAny(w0+"(,", "(,")], pos.File, pos.Line), values, uid)
		if err != nil {
			return nil, err.Error()
		}
		o := opt
		o.Fold = fold
		m, err := ref.Matcher(o)
		if err != nil {
			return nil, err.Error()
		}
		a.Matchers = append(a.Matchers, m)
	}
	if method.TakesPatterns() && len(values) == 0 && len(files) == 0 && !explicitEnd {
		p.warnf(pos, "%s %s: no pattern to match against were provided, so this ACL will never match (add '--' if intended, or use '-m found' to test for existence)", what, a.Fetch)
	}
	return a, ""
}

// predefinedACLs are HAProxy's built-in ACLs; a proxy's own ACL of the
// same name takes precedence.
var predefinedACLs = map[string][]string{
	"FALSE":          {"always_false"},
	"HTTP":           {"req.proto_http"},
	"HTTP_1.0":       {"req.ver", "1.0"},
	"HTTP_1.1":       {"req.ver", "1.1"},
	"HTTP_2.0":       {"req.ver", "2.0"},
	"HTTP_3.0":       {"req.ver", "3.0"},
	"HTTP_CONTENT":   {"req.hdr_val(content-length)", "gt", "0"},
	"HTTP_URL_ABS":   {"url_reg", "^[^/:]*://"},
	"HTTP_URL_SLASH": {"url_beg", "/"},
	"HTTP_URL_STAR":  {"url", "*"},
	"LOCALHOST":      {"src", "127.0.0.1/8", "::1"},
	"METH_CONNECT":   {"method", "CONNECT"},
	"METH_DELETE":    {"method", "DELETE"},
	"METH_GET":       {"method", "GET", "HEAD"},
	"METH_HEAD":      {"method", "HEAD"},
	"METH_OPTIONS":   {"method", "OPTIONS"},
	"METH_POST":      {"method", "POST"},
	"METH_PUT":       {"method", "PUT"},
	"METH_TRACE":     {"method", "TRACE"},
	"RDP_COOKIE":     {"req.rdp_cookie_cnt", "gt", "0"},
	"REQ_CONTENT":    {"req.len", "gt", "0"},
	"TRUE":           {"always_true"},
	"WAIT_END":       {"wait_end"},
}

// predefinedACL compiles the predefined ACL name, once per configuration.
func (p *parser) predefinedACL(name string, pos Pos) *ACL {
	if a, ok := p.predef[name]; ok {
		return a
	}
	def, ok := predefinedACLs[name]
	if !ok {
		return nil
	}
	a, msg := p.parseACL(def, pos, "predefined ACL "+name)
	if msg != "" {
		panic("config: predefined ACL " + name + ": " + msg)
	}
	a.Name = name
	if p.predef == nil {
		p.predef = map[string]*ACL{}
	}
	p.predef[name] = a
	return a
}
