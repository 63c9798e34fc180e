package check

import (
	"fmt"

	"baton/internal/h1"
	"net"
	"net/netip"
	"regexp"
	"strconv"
	"strings"
)

// ParseRule reads one "tcp-check" (kind KindTCP) or "http-check" (kind
// KindHTTP) line, args being the words after the keyword: connect, send,
// send-lf, send-binary, send-binary-lf (tcp-check), expect, comment,
// set-var(NAME[,COND...]) EXPR, set-var-fmt(NAME[,COND...]) FMT,
// unset-var(NAME). http-check's disable-on-404 and send-state are
// proxy flags, not rules: the caller handles them.
func ParseRule(kind Kind, args []string) (*Rule, error) {
	if len(args) == 0 {
		return nil, fmt.Errorf("missing action")
	}
	a, rest := args[0], args[1:]
	switch {
	case a == "connect":
		c, comment, err := parseConnect(kind, rest)
		if err != nil {
			return nil, err
		}
		return &Rule{Action: ActConnect, Connect: c, Comment: comment}, nil
	case a == "send" && kind == KindHTTP:
		req, comment, err := parseHTTPSend(rest)
		if err != nil {
			return nil, err
		}
		return &Rule{Action: ActSend, Send: &Send{Kind: SendHTTP, HTTP: req}, Comment: comment}, nil
	case kind != KindHTTP && (a == "send" || a == "send-lf" || a == "send-binary" || a == "send-binary-lf"):
		return parseSend(a, rest)
	case a == "expect":
		e, err := ParseExpect(rest, kind)
		if err != nil {
			return nil, err
		}
		r := &Rule{Action: ActExpect, Expect: e}
		r.Comment, e.comment = e.comment, ""
		return r, nil
	case a == "comment":
		if len(rest) != 1 {
			return nil, fmt.Errorf("comment expects one string")
		}
		return &Rule{Action: ActComment, Comment: rest[0]}, nil
	case strings.HasPrefix(a, "set-var(") || strings.HasPrefix(a, "set-var-fmt("):
		return parseSetVar(a, rest)
	case strings.HasPrefix(a, "unset-var("):
		name, conds, err := varCall(a, "unset-var")
		if err != nil {
			return nil, err
		}
		if len(conds) > 0 || len(rest) > 0 {
			return nil, fmt.Errorf("unset-var expects only a variable name")
		}
		return &Rule{Action: ActUnsetVar, Var: name}, nil
	}
	if kind == KindHTTP {
		return nil, fmt.Errorf("unknown action %q (supported: connect, send, expect, comment, set-var, set-var-fmt, unset-var, disable-on-404, send-state)", a)
	}
	return nil, fmt.Errorf("unknown action %q (supported: connect, send, send-lf, send-binary, send-binary-lf, expect, comment, set-var, set-var-fmt, unset-var)", a)
}

// varCall reads "set-var(NAME,COND...)" into the name and conditions.
func varCall(word, fn string) (string, []string, error) {
	inner, ok := strings.CutPrefix(word, fn+"(")
	if !ok || !strings.HasSuffix(inner, ")") {
		return "", nil, fmt.Errorf("%s: expected %s(NAME)", word, fn)
	}
	parts := strings.Split(strings.TrimSuffix(inner, ")"), ",")
	name := strings.TrimSpace(parts[0])
	if err := CheckVarName(name); err != nil {
		return "", nil, err
	}
	var conds []string
	for _, c := range parts[1:] {
		switch c = strings.TrimSpace(c); c {
		case "ifexists", "ifnotexists", "ifempty", "ifnotempty", "ifset", "ifnotset", "ifgt", "iflt":
			conds = append(conds, c)
		default:
			return "", nil, fmt.Errorf("%s: unknown condition %q (ifexists, ifnotexists, ifempty, ifnotempty, ifset, ifnotset, ifgt, iflt)", fn, c)
		}
	}
	if len(conds) > 4 {
		return "", nil, fmt.Errorf("%s: at most 4 conditions", fn)
	}
	return name, conds, nil
}

func parseSetVar(word string, rest []string) (*Rule, error) {
	fn := "set-var"
	if strings.HasPrefix(word, "set-var-fmt(") {
		fn = "set-var-fmt"
	}
	name, conds, err := varCall(word, fn)
	if err != nil {
		return nil, err
	}
	if len(rest) != 1 {
		return nil, fmt.Errorf("%s(%s) expects one %s", fn, name, map[string]string{"set-var": "sample expression", "set-var-fmt": "log-format string"}[fn])
	}
	r := &Rule{Action: ActSetVar, Var: name, VarConds: conds}
	if fn == "set-var" {
		r.VarExpr, err = ParseExpr(rest[0])
	} else {
		r.VarFmt, err = ParseFormat(rest[0])
	}
	if err != nil {
		return nil, fmt.Errorf("%s(%s): %v", fn, name, err)
	}
	return r, nil
}

func parseConnect(kind Kind, args []string) (*Connect, string, error) {
	c := &Connect{}
	comment := ""
	for i := 0; i < len(args); i++ {
		w := args[i]
		value := func() (string, error) {
			if i+1 >= len(args) || args[i+1] == "" {
				return "", fmt.Errorf("connect: %q expects a value", w)
			}
			i++
			return args[i], nil
		}
		switch w {
		case "default":
			c.Default = true
		case "send-proxy":
			c.SendProxy = true
		case "via-socks4":
			c.ViaSocks4 = true
		case "linger":
			c.Linger = true
		case "ssl":
			c.SSL = true
		case "comment", "sni", "alpn", "proto", "port", "addr":
			v, err := value()
			if err != nil {
				return nil, "", err
			}
			switch w {
			case "comment":
				comment = v
			case "sni":
				c.SNI = v
			case "alpn":
				c.ALPN = strings.Split(v, ",")
				for _, p := range c.ALPN {
					if p == "" || len(p) > 255 {
						return nil, "", fmt.Errorf("connect: invalid alpn list %q", v)
					}
				}
			case "proto":
				if err := checkProto(kind, v); err != nil {
					return nil, "", err
				}
				c.Proto = v
			case "port":
				n, err := strconv.Atoi(v)
				if err == nil {
					if n < 1 || n > 65535 {
						return nil, "", fmt.Errorf("connect: port expects a valid TCP port (1..65535) or a sample expression, got %q", v)
					}
					c.Port = n
					c.PortExpr = nil
					continue
				}
				e, err := ParseExpr(v)
				if err != nil {
					return nil, "", fmt.Errorf("connect: port expression: %v", err)
				}
				c.Port, c.PortExpr = 0, e
			case "addr":
				ap, err := parseCheckAddr(v)
				if err != nil {
					return nil, "", fmt.Errorf("connect: addr: %v", err)
				}
				c.Addr = ap
			}
		default:
			return nil, "", fmt.Errorf("connect: expects 'comment', 'port', 'addr', 'send-proxy', 'ssl', 'sni', 'alpn', 'proto', 'via-socks4', 'linger' or 'default' but got %q", w)
		}
	}
	return c, comment, nil
}

func checkProto(kind Kind, p string) error {
	switch p {
	case "h1":
		if kind == KindHTTP {
			return nil
		}
	case "none":
		if kind != KindHTTP {
			return nil
		}
	case "h2", "fcgi":
		return fmt.Errorf("connect: proto %q is not supported: Baton's checks speak HTTP/1.1", p)
	default:
		return fmt.Errorf("connect: proto: unknown multiplexer %q", p)
	}
	return fmt.Errorf("connect: proto %q does not suit this check", p)
}

// parseCheckAddr reads an address for "addr": an IP with an optional
// port, or a host name resolved now.
func parseCheckAddr(s string) (netip.AddrPort, error) {
	host, port := s, ""
	if h, p, err := net.SplitHostPort(s); err == nil {
		host, port = h, p
	}
	host = strings.Trim(host, "[]")
	a, err := netip.ParseAddr(host)
	if err != nil {
		addrs, lerr := LookupHost(host)
		if lerr != nil || len(addrs) == 0 {
			return netip.AddrPort{}, fmt.Errorf("cannot resolve %q", host)
		}
		if a, err = netip.ParseAddr(addrs[0]); err != nil {
			return netip.AddrPort{}, fmt.Errorf("cannot resolve %q", host)
		}
	}
	var p uint64
	if port != "" {
		if p, err = strconv.ParseUint(port, 10, 16); err != nil {
			return netip.AddrPort{}, fmt.Errorf("invalid port in %q", s)
		}
	}
	return netip.AddrPortFrom(a.Unmap(), uint16(p)), nil
}

// LookupHost resolves names for "addr"; a variable so tests never touch
// the network.
var LookupHost = net.LookupHost

func parseSend(a string, args []string) (*Rule, error) {
	if len(args) == 0 || args[0] == "" {
		return nil, fmt.Errorf("%s expects a string", a)
	}
	s := &Send{}
	r := &Rule{Action: ActSend, Send: s}
	data := args[0]
	for i := 1; i < len(args); i++ {
		if args[i] != "comment" || i+1 >= len(args) {
			return nil, fmt.Errorf("%s: expects 'comment' but got %q", a, args[i])
		}
		r.Comment = args[i+1]
		i++
	}
	var err error
	switch a {
	case "send":
		s.Kind, s.Data = SendString, []byte(data)
	case "send-binary":
		s.Kind = SendBinary
		s.Data, err = ParseHex(data)
	case "send-lf":
		s.Kind = SendStringLF
		s.Fmt, err = ParseFormat(data)
	case "send-binary-lf":
		s.Kind = SendBinaryLF
		s.Fmt, err = ParseFormat(data)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", a, err)
	}
	return r, nil
}

func parseHTTPSend(args []string) (*HTTPRequest, string, error) {
	req := &HTTPRequest{}
	comment := ""
	hasHost := false
	for i := 0; i < len(args); i++ {
		w := args[i]
		need := 1
		if w == "hdr" {
			need = 2
		}
		if i+need >= len(args) || args[i+1] == "" {
			if w == "hdr" {
				return nil, "", fmt.Errorf("send: hdr expects a name and a value")
			}
			if isSendWord(w) {
				return nil, "", fmt.Errorf("send: %q expects a string", w)
			}
		}
		var err error
		switch w {
		case "meth":
			req.Method = args[i+1]
			if !h1.IsToken(req.Method) {
				return nil, "", fmt.Errorf("send: invalid method %q", req.Method)
			}
		case "uri":
			req.URI, req.URIFmt = args[i+1], nil
		case "uri-lf":
			req.URI = ""
			if req.URIFmt, err = ParseFormat(args[i+1]); err != nil {
				return nil, "", fmt.Errorf("send: uri-lf: %v", err)
			}
		case "ver":
			req.Version = args[i+1]
		case "hdr":
			name, val := args[i+1], args[i+2]
			if !h1.IsToken(name) {
				return nil, "", fmt.Errorf("send: invalid header name %q", name)
			}
			switch strings.ToLower(name) {
			case "host":
				if hasHost {
					return nil, "", fmt.Errorf("send: 'host' header already defined")
				}
				hasHost = true
			case "content-length", "transfer-encoding":
				// Dropped, as HAProxy does: the body sets the length.
				i += 2
				continue
			}
			f, err := ParseFormat(val)
			if err != nil {
				return nil, "", fmt.Errorf("send: hdr %s: %v", name, err)
			}
			req.Headers = append(req.Headers, HTTPHeader{Name: name, Value: f})
		case "body":
			req.Body, req.BodyFmt = args[i+1], nil
		case "body-lf":
			req.Body = ""
			if req.BodyFmt, err = ParseFormat(args[i+1]); err != nil {
				return nil, "", fmt.Errorf("send: body-lf: %v", err)
			}
		case "comment":
			comment = args[i+1]
		default:
			return nil, "", fmt.Errorf("send: expects 'comment', 'meth', 'uri', 'uri-lf', 'ver', 'hdr', 'body' or 'body-lf' but got %q", w)
		}
		i += need
	}
	return req, comment, nil
}

func isSendWord(w string) bool {
	switch w {
	case "meth", "uri", "uri-lf", "ver", "body", "body-lf", "comment":
		return true
	}
	return false
}

// ParseHTTPChkOption reads "option httpchk [[METHOD] URI [VERSION]]" (args
// after "httpchk") into the request rule it implies. The old trick of
// hiding headers and a body after the version with "\r\n" still works;
// warning then says it is deprecated, as HAProxy does.
func ParseHTTPChkOption(args []string) (r *Rule, warning string, err error) {
	if len(args) > 3 {
		return nil, "", fmt.Errorf("option httpchk: cannot handle unexpected argument %q", args[3])
	}
	req := &HTTPRequest{FromOption: true}
	switch len(args) {
	case 1:
		req.URI = args[0]
	case 2:
		req.Method, req.URI = args[0], args[1]
	case 3:
		req.Method, req.URI, req.Version = args[0], args[1], args[2]
	}
	if req.Method != "" && !h1.IsToken(req.Method) {
		return nil, "", fmt.Errorf("option httpchk: invalid method %q", req.Method)
	}
	if v := req.Version; v != "" {
		head, body, hasBody := strings.Cut(v, "\r\n\r\n")
		ver, hdrs, hasHdrs := strings.Cut(head, "\r\n")
		if hasHdrs || hasBody {
			warning = "option httpchk: hiding headers or body at the end of the version string is deprecated; use 'http-check send' instead"
			req.Version = ver
			if hasHdrs {
				for _, line := range strings.Split(hdrs, "\r\n") {
					name, val, ok := strings.Cut(line, ":")
					if !ok || !h1.IsToken(name) {
						return nil, "", fmt.Errorf("option httpchk: unable to parse the header %q hidden in the version string", line)
					}
					f, err := ParseFormat(strings.TrimSpace(val))
					if err != nil {
						return nil, "", fmt.Errorf("option httpchk: header %s: %v", name, err)
					}
					req.Headers = append(req.Headers, HTTPHeader{Name: name, Value: f})
				}
			}
			if hasBody {
				req.Body = body
			}
		}
	}
	return &Rule{Action: ActSend, Send: &Send{Kind: SendHTTP, HTTP: req}}, warning, nil
}

// ParseExpect reads the words after "expect" for a tcp-check (any kind
// but KindHTTP) or http-check rule.
func ParseExpect(args []string, kind Kind) (*Expect, error) {
	http := kind == KindHTTP
	e := &Expect{MinRecv: -1}
	if len(args) == 0 {
		return nil, fmt.Errorf("expect: expects at least a matching pattern")
	}
	var match, pattern string
	bang := false // the previous word was a lone "!"
	for i := 0; i < len(args); i++ {
		w := args[i]
		inPattern := bang
		bang = false
		if strings.HasPrefix(w, "!") {
			inPattern = true
			for strings.HasPrefix(w, "!") {
				e.Negate = !e.Negate
				w = w[1:]
			}
			if w == "" {
				bang = true
				continue
			}
		}
		value := func() (string, error) {
			if i+1 >= len(args) || args[i+1] == "" {
				return "", fmt.Errorf("expect: %q expects an argument", w)
			}
			i++
			return args[i], nil
		}
		notNegatable := func() error {
			if inPattern {
				return fmt.Errorf("expect: [!] not supported with %q", w)
			}
			return nil
		}
		switch w {
		case "min-recv":
			if err := notNegatable(); err != nil {
				return nil, err
			}
			v, err := value()
			if err != nil {
				return nil, err
			}
			n, err := strconv.Atoi(v)
			if err != nil || n < -1 {
				return nil, fmt.Errorf("expect: min-recv expects -1 or a number from 0, got %q", v)
			}
			e.MinRecv = n
		case "comment", "on-success", "on-error", "status-code", "ok-status", "error-status", "tout-status":
			if err := notNegatable(); err != nil {
				return nil, err
			}
			v, err := value()
			if err != nil {
				return nil, err
			}
			if err := e.setOption(w, v); err != nil {
				return nil, err
			}
		case "string", "rstring", "binary", "rbinary", "string-lf", "binary-lf", "status", "rstatus", "hdr", "fhdr":
			if match != "" {
				return nil, fmt.Errorf("expect: only one pattern expected (got %q after %q)", w, match)
			}
			match = w
			if !validMatch(w, http) {
				return nil, badMatch(w, http)
			}
			if w == "hdr" || w == "fhdr" {
				h, n, err := parseHeaderMatch(args[i+1:], w)
				if err != nil {
					return nil, err
				}
				e.Header = h
				i += n
				continue
			}
			v, err := value()
			if err != nil {
				return nil, err
			}
			pattern = v
		case "custom":
			return nil, fmt.Errorf("expect: 'custom' is reserved to the protocol checks")
		default:
			return nil, badMatch(w, http)
		}
	}
	if match == "" {
		return nil, fmt.Errorf("expect: pattern not found")
	}
	var err error
	switch match {
	case "string":
		if http {
			e.Kind, e.Data = ExpHTTPBody, []byte(pattern)
		} else {
			e.Kind, e.Data = ExpString, []byte(pattern)
		}
	case "rstring":
		e.Kind = ExpRegex
		if http {
			e.Kind = ExpHTTPBodyRe
		}
		e.Regex, err = compileRegex(pattern)
	case "binary":
		e.Kind = ExpBinary
		e.Data, err = ParseHex(pattern)
	case "rbinary":
		e.Kind = ExpBinaryRegex
		e.Regex, err = compileRegex(pattern)
	case "string-lf":
		e.Kind = ExpStringLF
		if http {
			e.Kind = ExpHTTPBodyLF
		}
		e.Fmt, err = ParseFormat(pattern)
	case "binary-lf":
		e.Kind = ExpBinaryLF
		e.Fmt, err = ParseFormat(pattern)
	case "status":
		e.Kind = ExpHTTPStatus
		e.Codes, err = parseCodes(pattern)
	case "rstatus":
		e.Kind = ExpHTTPStatusRe
		e.Regex, err = compileRegex(pattern)
	case "hdr", "fhdr":
		e.Kind = ExpHTTPHeader
	}
	if err != nil {
		return nil, fmt.Errorf("expect %s: %v", match, err)
	}
	return e, nil
}

func validMatch(w string, http bool) bool {
	switch w {
	case "binary", "rbinary", "binary-lf":
		return !http
	case "status", "rstatus", "hdr", "fhdr":
		return http
	}
	return true
}

func badMatch(w string, http bool) error {
	if http {
		return fmt.Errorf("expect: only supports min-recv, [!]string, [!]rstring, [!]string-lf, [!]status, [!]rstatus, [!]hdr, [!]fhdr, comment, ok-status, error-status, tout-status, on-success, on-error, status-code; got %q", w)
	}
	return fmt.Errorf("expect: only supports min-recv, [!]string, [!]rstring, [!]string-lf, [!]binary, [!]rbinary, [!]binary-lf, comment, ok-status, error-status, tout-status, on-success, on-error, status-code; got %q", w)
}

func (e *Expect) setOption(w, v string) error {
	var ok bool
	var err error
	switch w {
	case "comment":
		e.comment = v
		return nil
	case "on-success":
		e.OnSuccess, err = ParseFormat(v)
	case "on-error":
		e.OnError, err = ParseFormat(v)
	case "status-code":
		e.StatusCode, err = ParseExpr(v)
	case "ok-status":
		if e.OK, ok = parseStatus(v, StatusL7OK, StatusL7OKC, StatusL6OK, StatusL4OK); !ok {
			return fmt.Errorf("expect: ok-status only supports L4OK, L6OK, L7OK or L7OKC (got %q)", v)
		}
	case "error-status":
		if e.Err, ok = parseStatus(v, StatusL7Rsp, StatusL7Sts, StatusL7OKC, StatusL6Rsp, StatusL4Con); !ok {
			return fmt.Errorf("expect: error-status only supports L4CON, L6RSP, L7RSP, L7STS or L7OKC (got %q)", v)
		}
	case "tout-status":
		if e.Tout, ok = parseStatus(v, StatusL7Tout, StatusL6Tout, StatusL4Tout); !ok {
			return fmt.Errorf("expect: tout-status only supports L4TOUT, L6TOUT or L7TOUT (got %q)", v)
		}
	}
	if err != nil {
		return fmt.Errorf("expect: %s: %v", w, err)
	}
	return nil
}

func parseHeaderMatch(args []string, kw string) (*HeaderMatch, int, error) {
	h := &HeaderMatch{Full: kw == "fhdr", NameM: "str", ValueM: "str"}
	n := 0
	take := func() (string, bool) {
		if n >= len(args) || args[n] == "" {
			return "", false
		}
		n++
		return args[n-1], true
	}
	w, _ := take()
	if w != "name" && w != "name-lf" {
		return nil, 0, fmt.Errorf("expect %s: expects the name keyword followed by a pattern", kw)
	}
	nameLF := w == "name-lf"
	meth := func(what string) (string, error) {
		if n < len(args) && args[n] == "-m" {
			n++
			m, ok := take()
			switch m {
			case "str", "beg", "end", "sub", "reg":
				return m, nil
			}
			if !ok {
				return "", fmt.Errorf("expect %s: -m expects a matching method (str, beg, end, sub or reg)", kw)
			}
			return "", fmt.Errorf("expect %s: -m only supports str, beg, end, sub or reg (got %q)", kw, m)
		}
		return "str", nil
	}
	var err error
	if h.NameM, err = meth("name"); err != nil {
		return nil, 0, err
	}
	pat, ok := take()
	if !ok {
		return nil, 0, fmt.Errorf("expect %s: name expects a pattern", kw)
	}
	switch {
	case h.NameM == "reg" && nameLF:
		return nil, 0, fmt.Errorf("expect %s: log-format strings do not work with -m reg", kw)
	case h.NameM == "reg":
		if h.NameRe, err = regexp.Compile("(?i)" + pat); err != nil {
			return nil, 0, fmt.Errorf("expect %s: %v", kw, err)
		}
	case nameLF:
		if h.NameFmt, err = ParseFormat(pat); err != nil {
			return nil, 0, fmt.Errorf("expect %s: %v", kw, err)
		}
	default:
		h.Name = pat
	}
	if n >= len(args) || args[n] != "value" && args[n] != "value-lf" {
		h.NoValue = true
		return h, n, nil
	}
	valueLF := args[n] == "value-lf"
	n++
	if h.ValueM, err = meth("value"); err != nil {
		return nil, 0, err
	}
	pat, ok = take()
	if !ok {
		return nil, 0, fmt.Errorf("expect %s: value expects a pattern", kw)
	}
	switch {
	case h.ValueM == "reg" && valueLF:
		return nil, 0, fmt.Errorf("expect %s: log-format strings do not work with -m reg", kw)
	case h.ValueM == "reg":
		if h.ValueRe, err = compileRegex(pat); err != nil {
			return nil, 0, fmt.Errorf("expect %s: %v", kw, err)
		}
	case valueLF:
		if h.ValueFmt, err = ParseFormat(pat); err != nil {
			return nil, 0, fmt.Errorf("expect %s: %v", kw, err)
		}
	default:
		h.Value = pat
	}
	return h, n, nil
}

// compileRegex compiles a pattern with Go's regexp (RE2 syntax: PCRE's
// back-references and look-arounds are refused).
func compileRegex(p string) (*regexp.Regexp, error) {
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("invalid regular expression %q: %v", p, err)
	}
	return re, nil
}

// parseCodes reads "200,201,300-310".
func parseCodes(s string) ([][2]int, error) {
	var out [][2]int
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(part, "-")
		a, err1 := strconv.Atoi(lo)
		b := a
		var err2 error
		if isRange {
			b, err2 = strconv.Atoi(hi)
		}
		if err1 != nil || err2 != nil || a < 0 || b < 0 {
			return nil, fmt.Errorf("invalid list of status codes %q", s)
		}
		if a > b {
			return nil, fmt.Errorf("invalid range of status codes %q", s)
		}
		out = append(out, [2]int{a, b})
	}
	return out, nil
}
