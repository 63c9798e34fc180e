package config

import (
	"regexp"
	"time"

	"baton/internal/expr"
	"baton/internal/pattern"
)

// ACL is one "acl" line, or an anonymous "{ ... }" ACL: a compiled
// criterion and the patterns its value is matched against.
type ACL struct {
	Name string // "" for an anonymous { ... } ACL
	// Fetch is the criterion as written: "hdr_beg(host)", "path,lower".
	Fetch string
	// Expr is the compiled criterion.
	Expr *expr.Expr
	// Method is how the value is matched: from "-m", the ACL keyword
	// (path_beg is beg) or the criterion's output type.
	Method pattern.Method
	// Matchers hold the patterns: one per "-f" file and one for the values
	// written on the line, in that order.
	Matchers []*pattern.Matcher
	// IgnoreCase is set when "-i" applies to the inline values.
	IgnoreCase bool
	// Values are the patterns written on the line (integer operators
	// already applied: "gt 5" is "6:").
	Values []string
	Pos    Pos
}

// SampleRules are a proxy's rule sets beyond http-request and
// http-response, and the settings that go with them.
type SampleRules struct {
	// AfterResponseRules are http-after-response rules: they run on every
	// response the proxy sends, its own included.
	AfterResponseRules []Rule
	// TCP rule sets: tcp-request connection, session and content, and
	// tcp-response content.
	TCPConnectionRules []Rule
	TCPSessionRules    []Rule
	TCPContentRules    []Rule
	TCPResponseRules   []Rule
	// InspectDelay is "tcp-request inspect-delay": how long content rules
	// may wait for data; 0 means they decide on what is there.
	InspectDelay time.Duration
	// ResponseInspectDelay is "tcp-response inspect-delay".
	ResponseInspectDelay time.Duration
	// RedirectRules are the proxy-level "redirect" rules (redirect.go):
	// they run after the http-request rules and the statistics page.
	RedirectRules []Rule
	// UseServers are "use-server" rules, in order.
	UseServers []UseServer
	// ForcePersist conditions let a use-server rule pick a server that is
	// down; IgnorePersist conditions make a request ignore its
	// persistence cookie.
	ForcePersist  []*Condition
	IgnorePersist []*Condition
	// Captures are the request and response capture slots: "capture
	// request header", "declare capture", "http-request capture ... len".
	Captures []Capture
	// UniqueIDFormat builds the unique-id fetch and %ID; nil means none.
	UniqueIDFormat *expr.Format
	// UniqueIDHeader adds the unique id to requests under that name.
	UniqueIDHeader string
}

// Capture is one capture slot of a frontend.
type Capture struct {
	// Response is set for a response slot.
	Response bool
	// Header is the captured header for "capture request/response
	// header"; "" for a slot filled by rules.
	Header string
	// Len is the most bytes kept.
	Len int
	Pos Pos
}

// CaptureSlots returns the lengths of the request and response slots, in
// order.
func (s *SampleRules) CaptureSlots() (req, res []int) {
	for _, c := range s.Captures {
		if c.Response {
			res = append(res, c.Len)
		} else {
			req = append(req, c.Len)
		}
	}
	return req, res
}

// UseServer is "use-server NAME if|unless COND".
type UseServer struct {
	Server string
	// Dynamic is set for a name built per request.
	Dynamic *expr.Format
	Cond    *Condition
	Pos     Pos
}

// Rule is one http-request, http-response, http-after-response,
// tcp-request or tcp-response rule. Which fields are set depends on
// Action; each field says which actions use it.
type Rule struct {
	// Action is the action's keyword without its parenthesised argument:
	// "set-header", "set-var", "deny", ...
	Action string
	Cond   *Condition // nil means always
	Pos    Pos

	// Name is the header name (header actions, early-hint), the
	// normalizer (normalize-uri), the timeout (set-timeout: "server" or
	// "tunnel"), the level (set-log-level), switch-mode's proto ("h1",
	// "h2"; "" chooses as an HTTP frontend does).
	Name string
	// NameMethod is how del-header matches names ("-m"); str when unset.
	NameMethod pattern.Method
	// NameRegex is del-header's "-m reg" pattern.
	NameRegex *regexp.Regexp
	// Value is a log-format argument: header values, set-path/-query/
	// -uri/-method, set-var-fmt, replace-* replacements, capture-less
	// formats.
	Value *expr.Format
	// Key is the key format of set-map, del-map, add-acl and del-acl;
	// Name is then their file (resolved) and Value set-map's value.
	Key *expr.Format
	// Patterns is the map or ACL file those actions change; nil when no
	// acl or map loads the file (the rule then does nothing, as in
	// HAProxy 2.6).
	Patterns *pattern.Ref
	// Regex is the match of replace-header, -value, -path, -pathq, -uri.
	Regex *regexp.Regexp
	// Expr is a sample argument: set-var, set-src, set-dst, set-dst-port,
	// set-src-port, capture, set-timeout with an expression,
	// set-priority-*.
	Expr *expr.Expr
	// Var and VarConds are set-var's, set-var-fmt's and unset-var's.
	Var      expr.VarRef
	VarConds []expr.SetVarCond
	// Reply is what deny, tarpit, return and auth send.
	Reply *Reply
	// Redirect is redirect's target and options.
	Redirect *Redirect
	// Int is the number an action takes: set-mark, set-tos, set-nice,
	// set-timeout (ms), capture's slot, wait-for-body's time (ms),
	// normalize-uri's option (1 for "full" or "strict").
	Int int64
	// Int2 is wait-for-body's at-least size.
	Int2 int64
	// CaptureLen is "capture ... len N": a new slot of that length.
	CaptureLen int
	// Stick is the counter, index and table of track-sc, sc-inc-gpc and
	// sc-set-gpt (sticktable.go).
	Stick *StickAction
	// DoResolve is do-resolve's resolvers section and family; its
	// variable is Var, its expression Expr.
	DoResolve *DoResolve
}

// DoResolve is what a do-resolve action resolves with.
type DoResolve struct {
	// Resolvers names the resolvers section (checked to exist once every
	// section is read).
	Resolvers string
	// IPv4 prefers IPv4 addresses ("ipv4"); false prefers IPv6, the
	// default and "ipv6".
	IPv4 bool
}

// Reply is an answer built by a rule.
type Reply struct {
	Status      int
	ContentType string
	// Body is a fixed body (string, file); BodyFormat one built per
	// request (lf-string, lf-file).
	Body       []byte
	BodyFormat *expr.Format
	// Headers are the "hdr NAME FMT" arguments.
	Headers []ReplyHeader
	// Page is a whole HTTP response: from "errorfile FILE", or from the
	// http-errors section ErrorFiles names ("errorfiles NAME", resolved
	// once every section is read).
	Page       *ErrorPage
	ErrorFiles string
	// Errorfile is set for the default error page of Status ("deny"
	// without a payload, "default-errorfiles").
	Errorfile bool
	// Realm is auth's realm.
	Realm string
}

// ReplyHeader is one "hdr" argument.
type ReplyHeader struct {
	Name  string
	Value *expr.Format
}

// Redirect is a redirect rule's target and options.
type Redirect struct {
	// Kind is "location", "prefix" or "scheme".
	Kind   string
	Target *expr.Format
	// Code is 301, 302 (the default), 303, 307 or 308.
	Code        int
	DropQuery   bool
	AppendSlash bool
	IgnoreEmpty bool
	// SetCookie and ClearCookie are "NAME[=value]" and "NAME[=]".
	SetCookie, ClearCookie string
}

// SwitchesToHTTP says whether p has a "tcp-request content switch-mode
// http" rule: its connections may become HTTP in the frontend itself.
func (p *Proxy) SwitchesToHTTP() bool {
	for _, r := range p.TCPContentRules {
		if r.Action == "switch-mode" {
			return true
		}
	}
	return false
}
