package config

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"baton/internal/expr"
	"baton/internal/pattern"
)

// ruleSet describes one family of rules: where they run and the actions
// they accept.
type ruleSet struct {
	// kw is the keyword as written before the action ("http-request",
	// "tcp-request content").
	kw      string
	where   expr.Where
	actions map[string]actionFunc
	list    func(px *Proxy) *[]Rule
}

// ruleCtx is what an action parser needs about the line.
type ruleCtx struct {
	p     *parser
	st    *proxyState
	set   *ruleSet
	pos   Pos
	what  string // "http-request deny", for messages
	paren string // the argument in parentheses after the action: set-var(txn.x)
	// literal: the action's formats are plain strings (the proxy-level
	// redirect keyword).
	literal bool
}

// actionFunc parses an action's arguments (without the condition) into
// r; it returns an error message, or "".
type actionFunc func(rc *ruleCtx, r *Rule, args []string) string

// ruleSets are built before the keyword table's init function reads
// them (package variables are initialised first).
var ruleSets = buildRuleSets()

func buildRuleSets() map[string]*ruleSet {
	// Actions shared by several sets.
	varActions := map[string]actionFunc{"set-var": actSetVar, "set-var-fmt": actSetVarFmt, "unset-var": actUnsetVar}
	connActions := map[string]actionFunc{
		"accept": actNoArg, "reject": actNoArg, "silent-drop": actNoArg,
		"set-src": actExpr, "set-src-port": actExpr, "set-dst": actExpr, "set-dst-port": actExpr,
		"set-mark": actMark, "set-tos": actTOS,
	}
	headers := map[string]actionFunc{
		"set-header": actHeaderValue, "add-header": actHeaderValue, "del-header": actDelHeader,
		"replace-header": actReplaceHeader, "replace-value": actReplaceHeader,
	}
	merge := func(ms ...map[string]actionFunc) map[string]actionFunc {
		out := map[string]actionFunc{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	return map[string]*ruleSet{
		"http-request": {kw: "http-request", where: expr.HTTPRequest, list: func(px *Proxy) *[]Rule { return &px.RequestRules },
			actions: merge(stickActions("http-request"), cacheActions("http-request"), varActions, headers, patternActions, map[string]actionFunc{
				"allow": actNoArg, "reject": actNoArg, "silent-drop": actNoArg,
				"deny": actReply, "tarpit": actReply, "return": actReply, "auth": actAuth,
				"redirect": actRedirect, "early-hint": actHeaderValue,
				"set-path": actFormat, "set-pathq": actFormat, "set-query": actFormat, "set-uri": actFormat, "set-method": actFormat,
				"replace-path": actReplaceURI, "replace-pathq": actReplaceURI, "replace-uri": actReplaceURI,
				"normalize-uri": actNormalizeURI, "set-log-level": actLogLevel, "capture": actCapture,
				"set-src": actExpr, "set-src-port": actExpr, "set-dst": actExpr, "set-dst-port": actExpr,
				"set-timeout": actSetTimeout, "set-nice": actNice, "set-mark": actMark, "set-tos": actTOS,
				"wait-for-body": actWaitForBody, "strict-mode": actStrictMode, "disable-l7-retry": actNoArg,
				"do-resolve": actDoResolve,
			})},
		"http-response": {kw: "http-response", where: expr.HTTPResponse, list: func(px *Proxy) *[]Rule { return &px.ResponseRules },
			actions: merge(stickActions("http-response"), cacheActions("http-response"), varActions, headers, patternActions, map[string]actionFunc{
				"allow": actNoArg, "silent-drop": actNoArg, "deny": actReply, "return": actReply,
				"redirect": actRedirect, "set-status": actSetStatus, "set-log-level": actLogLevel,
				"capture": actCapture, "set-nice": actNice, "set-mark": actMark, "set-tos": actTOS,
				"strict-mode": actStrictMode,
			})},
		"http-after-response": {kw: "http-after-response", where: expr.HTTPAfter, list: func(px *Proxy) *[]Rule { return &px.AfterResponseRules },
			actions: merge(stickActions("http-after-response"), varActions, headers, map[string]actionFunc{
				"allow": actNoArg, "set-status": actSetStatus, "capture": actCapture, "strict-mode": actStrictMode,
			})},
		"tcp-request connection": {kw: "tcp-request connection", where: expr.TCPConnection, list: func(px *Proxy) *[]Rule { return &px.TCPConnectionRules },
			actions: merge(stickActions("tcp-request connection"), varActions, connActions, map[string]actionFunc{"expect-proxy": actExpectProxy})},
		"tcp-request session": {kw: "tcp-request session", where: expr.TCPSession, list: func(px *Proxy) *[]Rule { return &px.TCPSessionRules },
			actions: merge(stickActions("tcp-request session"), varActions, connActions)},
		"tcp-request content": {kw: "tcp-request content", where: expr.TCPContent, list: func(px *Proxy) *[]Rule { return &px.TCPContentRules },
			actions: merge(stickActions("tcp-request content"), varActions, connActions, map[string]actionFunc{
				"capture": actCapture, "set-log-level": actLogLevel, "set-nice": actNice,
				"do-resolve":  actDoResolve,
				"switch-mode": actSwitchMode,
			})},
		"tcp-response content": {kw: "tcp-response content", where: expr.TCPResponse, list: func(px *Proxy) *[]Rule { return &px.TCPResponseRules },
			actions: merge(stickActions("tcp-response content"), varActions, map[string]actionFunc{
				"accept": actNoArg, "reject": actNoArg, "close": actNoArg, "silent-drop": actNoArg,
				"set-log-level": actLogLevel, "set-mark": actMark, "set-tos": actTOS, "set-nice": actNice,
			})},
	}
}

// ruleActionKeywords lists "SET ACTION" keywords for the keyword table.
func ruleActionKeywords() []string {
	var out []string
	for _, rs := range ruleSets {
		for a := range rs.actions {
			out = append(out, rs.kw+" "+a)
		}
	}
	sort.Strings(out)
	return out
}

// parseRule reads one rule of any set. The keyword table calls it with
// the set's keyword in l.Words and args after the action.
func parseRule(p *parser, st *proxyState, l line, _ []string, _ bool) {
	w := l.Words
	n := 1
	if w[0] == "tcp-request" || w[0] == "tcp-response" {
		n = 2
	}
	set := ruleSets[strings.Join(w[:n], " ")]
	if len(w) <= n {
		p.errorf(l.Pos, "%s: missing action", set.kw)
		return
	}
	actWord := w[n]
	action, paren, hasParen := strings.Cut(actWord, "(")
	if hasParen {
		if !strings.HasSuffix(paren, ")") {
			p.errorf(l.Pos, "%s %s: missing ')'", set.kw, actWord)
			return
		}
		paren = paren[:len(paren)-1]
	}
	parse, ok := set.actions[action]
	if !ok {
		if msg := scriptingMessage(w); msg != "" {
			p.errorf(l.Pos, "%s", msg)
			return
		}
		p.errorf(l.Pos, "%q is a HAProxy keyword that Baton does not support", set.kw+" "+action)
		return
	}
	rc := &ruleCtx{p: p, st: st, set: set, pos: l.Pos, what: set.kw + " " + action, paren: paren}
	if hasParen != parenAction(action) {
		if hasParen {
			p.errorf(l.Pos, "%s: unexpected argument %q", rc.what, actWord)
		} else {
			if strings.HasPrefix(action, "sc-") {
				p.errorf(l.Pos, "%s: missing sticky counter, e.g. %s(0)", rc.what, action)
			} else if _, ok := patternActions[action]; ok {
				p.errorf(l.Pos, "%s: missing the file name, e.g. %s(hosts.map)", rc.what, action)
			} else {
				p.errorf(l.Pos, "%s: missing variable name, e.g. %s(txn.name)", rc.what, action)
			}
		}
		return
	}
	act, condWords := splitCond(w[n+1:])
	r := Rule{Action: action, Pos: l.Pos}
	if msg := parse(rc, &r, act); msg != "" {
		p.errorf(l.Pos, "%s: %s", rc.what, msg)
		return
	}
	if len(condWords) > 0 {
		c, msg := p.parseCond(st, l, condWords, st.site(set.where))
		if msg != "" {
			p.errorf(l.Pos, "%s: %s", rc.what, msg)
			return
		}
		r.Cond = c
	}
	if strings.HasPrefix(set.kw, "tcp-request") && len(st.p.RequestRules) > 0 {
		p.warnf(l.Pos, "a 'tcp-request' rule placed after an 'http-request' rule will still be processed before")
	}
	if set.kw == "http-request" && len(st.p.RedirectRules) > 0 {
		p.warnf(l.Pos, "a 'http-request' rule placed after a 'redirect' rule will still be processed before")
	}
	list := set.list(st.p)
	*list = append(*list, r)
}

// site is w as seen from this proxy: a backend's (or listen's) request
// rules see the backend, a frontend's do not (HAProxy's SMP_VAL_BE_*).
func (st *proxyState) site(w expr.Where) expr.Where {
	if st.p.Kind == KindBackend || st.p.Kind == KindListen {
		return w.InBackend()
	}
	return w
}

// format compiles a log-format argument and checks it can be evaluated
// where the rule runs.
func (rc *ruleCtx) format(s string) (*expr.Format, string) {
	if rc.literal {
		s = literalFormat(s)
	}
	compile := expr.CompileFormat
	if strings.HasPrefix(rc.set.kw, "http-") && !strings.HasSuffix(rc.what, " set-var-fmt") {
		// What goes into the message: samples cannot inject a line.
		// (HAProxy's set-var-fmt stores the value as it is.)
		compile = expr.CompileHTTPFormat
	}
	f, err := compile(s, rc.p.cfg.Expr)
	if err == nil {
		err = f.CheckWhere(rc.st.site(rc.set.where))
	}
	if err != nil {
		return nil, err.Error()
	}
	return f, ""
}

// expr compiles a sample expression argument likewise.
func (rc *ruleCtx) expr(s string) (*expr.Expr, string) {
	e, err := expr.Compile(s, rc.p.cfg.Expr)
	if err == nil {
		err = e.CheckWhere(rc.st.site(rc.set.where))
	}
	if err != nil {
		return nil, fmt.Sprintf("failed to parse sample expression <%s>: %v", s, err)
	}
	return e, ""
}

func actNoArg(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) > 0 {
		return fmt.Sprintf("unexpected argument %q", args[0])
	}
	return ""
}

func actExpr(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects one sample expression"
	}
	var msg string
	r.Expr, msg = rc.expr(args[0])
	return msg
}

func actFormat(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects one log-format argument"
	}
	var msg string
	r.Value, msg = rc.format(args[0])
	return msg
}

// validHeaderName accepts what HAProxy does: any non-empty name without
// blanks or control characters.
func validHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] == 0x7f {
			return false
		}
	}
	return true
}

func actHeaderValue(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 2 {
		return "expects a header name and a value"
	}
	if !validHeaderName(args[0]) {
		return fmt.Sprintf("invalid header name %q", args[0])
	}
	r.Name = args[0]
	var msg string
	r.Value, msg = rc.format(args[1])
	return msg
}

func actDelHeader(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 && len(args) != 3 {
		return "expects a header name, optionally followed by -m METHOD"
	}
	if !validHeaderName(args[0]) {
		return fmt.Sprintf("invalid header name %q", args[0])
	}
	r.Name, r.NameMethod = args[0], pattern.Str
	if len(args) == 3 {
		if args[1] != "-m" {
			return fmt.Sprintf("unexpected argument %q (expected -m)", args[1])
		}
		m, _ := pattern.ParseMethod(args[2])
		switch m {
		case pattern.Str, pattern.Beg, pattern.End, pattern.Sub:
		case pattern.Reg:
			re, err := pattern.CompileRegexp(args[0], false)
			if err != nil {
				return err.Error()
			}
			r.NameRegex = re
		default:
			return fmt.Sprintf("unsupported matching method %q (str, beg, end, sub, reg)", args[2])
		}
		r.NameMethod = m
	}
	return ""
}

func actReplaceHeader(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 3 {
		return "expects a header name, a regular expression and a replacement"
	}
	if !validHeaderName(args[0]) {
		return fmt.Sprintf("invalid header name %q", args[0])
	}
	r.Name = args[0]
	return rc.replaceArgs(r, args[1:])
}

func actReplaceURI(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 2 {
		return "expects a regular expression and a replacement"
	}
	return rc.replaceArgs(r, args)
}

func (rc *ruleCtx) replaceArgs(r *Rule, args []string) string {
	re, err := pattern.CompileRegexp(args[0], false)
	if err != nil {
		return err.Error()
	}
	r.Regex = re
	var msg string
	r.Value, msg = rc.format(args[1])
	return msg
}

func actNormalizeURI(rc *ruleCtx, r *Rule, args []string) string {
	if !rc.p.cfg.Global.ExperimentalDirectives {
		return "'normalize-uri' action is experimental, must be allowed via a global 'expose-experimental-directives'"
	}
	if len(args) == 0 {
		return "expects a normalizer"
	}
	r.Name = args[0]
	opt := ""
	switch args[0] {
	case "fragment-encode", "fragment-strip", "path-merge-slashes", "path-strip-dot", "query-sort-by-name":
	case "path-strip-dotdot":
		opt = "full"
	case "percent-decode-unreserved", "percent-to-uppercase":
		opt = "strict"
	default:
		return fmt.Sprintf("unknown normalizer %q", args[0])
	}
	switch {
	case len(args) == 1:
	case len(args) == 2 && opt != "" && args[1] == opt:
		r.Int = 1
	default:
		return fmt.Sprintf("unexpected argument %q", args[1])
	}
	return ""
}

var ruleLogLevels = []string{"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug", "silent"}

func actLogLevel(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects a level"
	}
	for i, l := range ruleLogLevels {
		if l == args[0] {
			r.Name, r.Int = l, int64(i)
			return ""
		}
	}
	return fmt.Sprintf("unknown level %q (%s)", args[0], strings.Join(ruleLogLevels, ", "))
}

// parseUint32 reads a decimal or 0x hexadecimal number.
func parseUint32(s string) (int64, bool) {
	n, err := strconv.ParseUint(s, 0, 32)
	return int64(n), err == nil
}

func actMark(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects a mark"
	}
	n, ok := parseUint32(args[0])
	if !ok {
		return fmt.Sprintf("invalid mark %q (a 32-bit number, decimal or 0x hexadecimal)", args[0])
	}
	r.Int = n
	return ""
}

func actTOS(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects a TOS value"
	}
	n, ok := parseUint32(args[0])
	if !ok || n > 255 {
		return fmt.Sprintf("invalid TOS %q (0..255, decimal or 0x hexadecimal)", args[0])
	}
	r.Int = n
	return ""
}

func actNice(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 {
		return "expects a nice value"
	}
	n, err := strconv.Atoi(args[0])
	if err != nil {
		return fmt.Sprintf("invalid nice %q", args[0])
	}
	r.Int = int64(min(max(n, -1024), 1024))
	rc.p.warnf(rc.pos, "%s has no effect in Baton: Go schedules requests, there is no priority to change", rc.what)
	return ""
}

func actSetTimeout(rc *ruleCtx, r *Rule, args []string) string {
	if k := rc.st.p.Kind; k != KindListen && k != KindBackend {
		return fmt.Sprintf("proxy '%s' has no backend capability", rc.st.p.Name)
	}
	if len(args) != 2 || args[0] != "server" && args[0] != "tunnel" {
		return "expects server or tunnel and a time or an expression"
	}
	r.Name = args[0]
	if d, err := expr.ParseTime(args[1]); err == nil {
		r.Int = d.Milliseconds()
		return ""
	}
	var msg string
	r.Expr, msg = rc.expr(args[1])
	return msg
}

func actWaitForBody(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) < 2 || args[0] != "time" {
		return "expects time TIME [at-least SIZE]"
	}
	d, err := expr.ParseTime(args[1])
	if err != nil {
		return err.Error()
	}
	r.Int = d.Milliseconds()
	args = args[2:]
	if len(args) == 0 {
		return ""
	}
	if len(args) != 2 || args[0] != "at-least" {
		return fmt.Sprintf("unexpected argument %q (expected at-least SIZE)", args[0])
	}
	n, ok := parseSize(args[1])
	if !ok {
		return fmt.Sprintf("invalid size %q", args[1])
	}
	r.Int2 = n
	return ""
}

// parseSize reads a size with an optional k, m or g suffix.
func parseSize(s string) (int64, bool) {
	mult := int64(1)
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1<<10, s[:len(s)-1]
	case strings.HasSuffix(s, "m"):
		mult, s = 1<<20, s[:len(s)-1]
	case strings.HasSuffix(s, "g"):
		mult, s = 1<<30, s[:len(s)-1]
	}
	n, err := strconv.ParseInt(s, 10, 32)
	if err != nil || n < 0 {
		return 0, false
	}
	return n * mult, true
}

func actStrictMode(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 || args[0] != "on" && args[0] != "off" {
		return "expects on or off"
	}
	r.Name = args[0]
	rc.p.warnf(rc.pos, "%s has no effect in Baton: its header and URI rewrites do not fail, so there is nothing to make strict", rc.what)
	return ""
}

func actSetStatus(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 1 && len(args) != 3 {
		return "expects a status, optionally followed by reason TEXT"
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 100 || n > 999 {
		return fmt.Sprintf("invalid status %q (100..999)", args[0])
	}
	r.Int = int64(n)
	if len(args) == 3 {
		if args[1] != "reason" {
			return fmt.Sprintf("unexpected argument %q (expected reason)", args[1])
		}
		r.Name = args[2]
	}
	return ""
}

func actSetVar(rc *ruleCtx, r *Rule, args []string) string {
	if msg := rc.varName(r, true); msg != "" {
		return msg
	}
	if len(args) != 1 {
		return "expects one sample expression"
	}
	var msg string
	r.Expr, msg = rc.expr(args[0])
	return msg
}

func actSetVarFmt(rc *ruleCtx, r *Rule, args []string) string {
	if msg := rc.varName(r, true); msg != "" {
		return msg
	}
	return actFormat(rc, r, args)
}

func actUnsetVar(rc *ruleCtx, r *Rule, args []string) string {
	if msg := rc.varName(r, false); msg != "" {
		return msg
	}
	return actNoArg(rc, r, args)
}

// actDoResolve reads "do-resolve(VAR,RESOLVERS[,ipv4|ipv6]...) EXPR"; of
// several options the last wins, as in HAProxy.
func actDoResolve(rc *ruleCtx, r *Rule, args []string) string {
	usage := fmt.Sprintf("can't parse 'do-resolve(%s)': expects 'do-resolve(<varname>,<resolvers>[,ipv4|ipv6]) <expr>'", rc.paren)
	parts := strings.Split(rc.paren, ",")
	if len(parts) < 2 || parts[1] == "" {
		return usage
	}
	v, err := rc.p.cfg.Expr.Vars.Declare(parts[0])
	if err != nil {
		return err.Error()
	}
	r.Var = v
	r.DoResolve = &DoResolve{Resolvers: parts[1]}
	for _, o := range parts[2:] {
		switch o {
		case "ipv4", "ipv6":
			r.DoResolve.IPv4 = o == "ipv4"
		default:
			return fmt.Sprintf("unknown option %q (available: ipv4, ipv6); %s", o, usage)
		}
	}
	if len(args) != 1 {
		return usage
	}
	var msg string
	r.Expr, msg = rc.expr(args[0])
	return msg
}

// varName reads "name[,cond...]" from the action's parentheses.
func (rc *ruleCtx) varName(r *Rule, conds bool) string {
	parts := strings.Split(rc.paren, ",")
	v, err := rc.p.cfg.Expr.Vars.Declare(parts[0])
	if err != nil {
		return err.Error()
	}
	r.Var = v
	if len(parts) > 1 {
		if !conds {
			return fmt.Sprintf("unexpected %q after the variable name", strings.Join(parts[1:], ","))
		}
		c, err := expr.ParseSetVarConds(parts[1:])
		if err != nil {
			return err.Error()
		}
		r.VarConds = c
	}
	return ""
}

func actCapture(rc *ruleCtx, r *Rule, args []string) string {
	if len(args) != 3 || args[1] != "len" && args[1] != "id" {
		return "expects a sample expression, then len LENGTH or id ID"
	}
	var msg string
	if r.Expr, msg = rc.expr(args[0]); msg != "" {
		return msg
	}
	n, err := strconv.Atoi(args[2])
	if err != nil || n < 0 {
		return fmt.Sprintf("invalid %s %q", args[1], args[2])
	}
	response := rc.set.where == expr.HTTPResponse || rc.set.where == expr.HTTPAfter
	if args[1] == "id" {
		r.Int = int64(n)
		return ""
	}
	if response {
		return "len is not allowed here: use id with a slot from \"declare capture response\""
	}
	if k := rc.st.p.Kind; k != KindFrontend && k != KindListen {
		return "len needs a proxy with frontend capability (declare the slot in the frontend and use id)"
	}
	r.CaptureLen = n
	r.Int = int64(rc.st.addCapture(Capture{Len: n, Pos: rc.pos}))
	return ""
}

// addCapture adds a slot and returns its index among the slots of its
// direction.
func (st *proxyState) addCapture(c Capture) int {
	n := 0
	for _, x := range st.p.Captures {
		if x.Response == c.Response {
			n++
		}
	}
	st.p.Captures = append(st.p.Captures, c)
	return n
}

func actAuth(rc *ruleCtx, r *Rule, args []string) string {
	r.Reply = &Reply{Status: 401}
	if len(args) == 0 {
		return ""
	}
	if len(args) != 2 || args[0] != "realm" {
		return "expects nothing or realm REALM"
	}
	r.Reply.Realm = args[1]
	return ""
}

// errorStatuses are the statuses HAProxy has error pages for.
var errorStatuses = map[int]bool{200: true, 400: true, 403: true, 404: true, 405: true, 408: true, 410: true, 413: true, 425: true, 429: true, 500: true, 501: true, 502: true, 503: true, 504: true}

// actReply reads deny, tarpit and return: a status, a content type, at
// most one payload (default-errorfiles, errorfile, file, lf-file,
// string, lf-string) and "hdr NAME FMT" headers, in any order.
func actReply(rc *ruleCtx, r *Rule, args []string) string {
	rep := &Reply{}
	switch {
	case r.Action == "deny" && rc.set.where == expr.HTTPResponse:
		rep.Status = 502 // http-response deny rejects the server's response
	case r.Action == "deny":
		rep.Status = 403
	case r.Action == "tarpit":
		rep.Status = 500
	default:
		rep.Status = 200
	}
	r.Reply = rep
	payload, statusOnly := "", true
	for len(args) > 0 {
		opt := args[0]
		if len(args) < 2 && opt != "default-errorfiles" {
			return fmt.Sprintf("%q expects a value", opt)
		}
		switch opt {
		case "status", "deny_status":
			if opt == "deny_status" && r.Action == "return" {
				return "unknown argument \"deny_status\" (use status)"
			}
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 200 || n > 599 {
				return fmt.Sprintf("invalid status %q (200..599)", args[1])
			}
			rep.Status = n
			args = args[2:]
			continue
		case "content-type":
			rep.ContentType = args[1]
		case "hdr":
			if len(args) < 3 {
				return "hdr expects a name and a value"
			}
			if !validHeaderName(args[1]) {
				return fmt.Sprintf("invalid header name %q", args[1])
			}
			f, msg := rc.format(args[2])
			if msg != "" {
				return msg
			}
			rep.Headers = append(rep.Headers, ReplyHeader{Name: args[1], Value: f})
			args = args[3:]
			statusOnly = false
			continue
		case "default-errorfiles", "errorfile", "errorfiles", "file", "lf-file", "string", "lf-string":
			if payload != "" {
				return fmt.Sprintf("%q and %q cannot be combined", payload, opt)
			}
			payload = opt
			if msg := rc.payload(rep, opt, args); msg != "" {
				return msg
			}
			if opt == "default-errorfiles" {
				args = args[1:]
				statusOnly = false
				continue
			}
		default:
			return fmt.Sprintf("unknown argument %q (status, content-type, default-errorfiles, errorfile, file, lf-file, string, lf-string, hdr)", opt)
		}
		args = args[2:]
		statusOnly = false
	}
	switch {
	case statusOnly && r.Action != "return", payload == "default-errorfiles":
		// deny/tarpit [deny_status N] mean the default error page.
		rep.Errorfile = true
		if !errorStatuses[rep.Status] && payload == "default-errorfiles" {
			return fmt.Sprintf("status %d has no error page (200, 400, 403, 404, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)", rep.Status)
		}
	case payload == "errorfile" || payload == "errorfiles":
		if !errorStatuses[rep.Status] {
			return fmt.Sprintf("status %d has no error page (200, 400, 403, 404, 405, 408, 410, 413, 425, 429, 500, 501, 502, 503, 504)", rep.Status)
		}
	case payload == "string" || payload == "lf-string" || (payload == "file" || payload == "lf-file") && len(rep.Body) > 0 || rep.BodyFormat != nil:
		if rep.ContentType == "" {
			return fmt.Sprintf("%s needs a content-type", payload)
		}
	}
	return ""
}

// payload reads one payload argument into rep.
func (rc *ruleCtx) payload(rep *Reply, opt string, args []string) string {
	switch opt {
	case "default-errorfiles":
		return ""
	case "errorfiles":
		rep.ErrorFiles = args[1]
	case "string":
		rep.Body = []byte(args[1])
	case "lf-string":
		f, msg := rc.format(args[1])
		if msg != "" {
			return msg
		}
		if lit, ok := f.Literal(); ok {
			rep.Body = lit
		} else {
			rep.BodyFormat = f
		}
	case "errorfile":
		page, err := rc.p.loadErrorFile(rc.pos, args[1])
		if err != nil {
			return fmt.Sprintf("errorfile %v", err)
		}
		rep.Page = page
	default: // file, lf-file
		_, data, err := rc.p.readFile(rc.pos, args[1])
		if err != nil {
			return fmt.Sprintf("%s %s: %v", opt, args[1], err)
		}
		switch opt {
		case "file":
			rep.Body = data
		default:
			f, msg := rc.format(string(data))
			if msg != "" {
				return fmt.Sprintf("lf-file %s: %s", args[1], msg)
			}
			rep.BodyFormat = f
		}
	}
	return ""
}

// actRedirect reads "location|prefix|scheme TARGET" with code and the
// options in any order.
func actRedirect(rc *ruleCtx, r *Rule, args []string) string {
	rd := &Redirect{Code: 302}
	r.Redirect = rd
	for len(args) > 0 {
		opt := args[0]
		switch opt {
		case "drop-query":
			rd.DropQuery = true
			args = args[1:]
			continue
		case "append-slash":
			rd.AppendSlash = true
			args = args[1:]
			continue
		case "ignore-empty":
			rd.IgnoreEmpty = true
			args = args[1:]
			continue
		}
		if len(args) < 2 {
			return fmt.Sprintf("%q expects a value", opt)
		}
		switch opt {
		case "location", "prefix", "scheme":
			if rd.Kind != "" {
				return fmt.Sprintf("only one of location, prefix and scheme (got %s and %s)", rd.Kind, opt)
			}
			f, msg := rc.format(args[1])
			if msg != "" {
				return msg
			}
			rd.Kind, rd.Target = opt, f
		case "code":
			n, err := strconv.Atoi(args[1])
			if err != nil || n != 301 && n != 302 && n != 303 && n != 307 && n != 308 {
				return fmt.Sprintf("invalid code %q (301, 302, 303, 307 or 308)", args[1])
			}
			rd.Code = n
		case "set-cookie":
			rd.SetCookie = args[1]
		case "clear-cookie":
			rd.ClearCookie = args[1]
		default:
			return fmt.Sprintf("unknown argument %q (location, prefix, scheme, code, drop-query, append-slash, ignore-empty, set-cookie, clear-cookie)", opt)
		}
		args = args[2:]
	}
	if rd.Kind == "" {
		return "expects location, prefix or scheme and a value"
	}
	return ""
}

// actSwitchMode parses "switch-mode http [proto h1|h2]": the connection
// becomes HTTP (internal/proxy/upgrade.go), with the multiplexer given
// (Rule.Name) or chosen as for an HTTP frontend. Only a proxy that
// accepts connections can upgrade them, as in HAProxy.
func actSwitchMode(rc *ruleCtx, r *Rule, args []string) string {
	if rc.st.p.Kind == KindBackend {
		return fmt.Sprintf("not allowed because %s has no frontend capability", rc.st.what())
	}
	if len(args) == 0 || args[0] != "http" {
		return "expects 'http' (the only mode a connection can switch to)"
	}
	switch {
	case len(args) == 1:
	case len(args) == 3 && args[1] == "proto" && (args[2] == "h1" || args[2] == "h2"):
		r.Name = args[2]
	case args[1] == "proto" && len(args) == 3:
		return fmt.Sprintf("unknown proto %q: h1 or h2", args[2])
	default:
		return fmt.Sprintf("unexpected argument %q (expects 'proto h1' or 'proto h2')", strings.Join(args[1:], " "))
	}
	return ""
}
