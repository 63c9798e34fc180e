package rules

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"
	"time"

	"baton/internal/config"
	"baton/internal/expr"
	"baton/internal/h1"
	"baton/internal/pattern"
	"baton/internal/sticktable"
)

// Input is what rules read and change for one client connection: the
// sample context, the effects rules leave for the proxy to apply, and
// the hooks through which rules wait for data. Reuse one per connection.
type Input struct {
	expr.Ctx
	// Hooks lets wait-for-body read more of the request; nil means it
	// acts on what is buffered.
	Hooks Hooks
	// Resolver resolves do-resolve's names; nil leaves their variables
	// unset.
	Resolver Resolver
	// Effects accumulate while rules run; the proxy reads them.
	Effects Effects

	fold       []byte
	contentPos int // the tcp-request content rule to resume at
	// contentSet is the set contentPos is in: a frontend's rules and
	// then its backend's run on one input, each from its first rule.
	contentSet *Set
	respPos    int // the tcp-response content rule to resume at
}

// Hooks are what the proxy does for rules that wait.
type Hooks interface {
	// WaitForBody reads more of the request body, for at most wait or
	// until atLeast bytes (0: all of it) are buffered, and updates
	// ReqBody and ReqBodyFinal.
	WaitForBody(in *Input, wait time.Duration, atLeast int64)
}

// Resolver resolves a do-resolve action's name through a resolvers
// section (resolve.Runtime): the address of the preferred family (IPv4
// when ipv4 is set, else IPv6) first, false when there is none. With
// wait, it may wait for the resolution (the calling goroutine, only,
// waits); without, only an answer already at hand counts.
type Resolver interface {
	Resolve(section string, name []byte, ipv4, wait bool) (netip.Addr, bool)
}

// Effects are what rules ask of the proxy besides an answer. They are
// cleared with the request (BeginRequest), except Mark and TOS, which
// the proxy applies to the socket at once and then clears.
type Effects struct {
	// LogLevel is set-log-level's level ("" when unset); "silent" means
	// the request is not logged.
	LogLevel string
	// Mark and TOS are set-mark and set-tos values for the client
	// socket; MarkSet and TOSSet say they were given.
	Mark, TOS       uint32
	MarkSet, TOSSet bool
	// ServerTimeout and TunnelTimeout replace the backend's timeouts for
	// this stream (set-timeout); 0 means unchanged.
	ServerTimeout, TunnelTimeout time.Duration
	// EarlyHints are the early-hint fields: the proxy sends them in 103
	// responses before answering or forwarding the request, one response
	// per group of fields; a field with an empty name ends a group.
	EarlyHints []h1.Header
	// ExpectProxy is set by tcp-request connection expect-proxy: the
	// connection must start with a PROXY header.
	ExpectProxy bool
	// CacheUse and CacheStore name the caches of cache-use and
	// cache-store ("" when none ran); CacheHead is the response head as
	// cache-store saw it, which is what the cache keeps.
	CacheUse, CacheStore string
	CacheHead            []byte
	// SwitchHTTP is set by tcp-request content switch-mode http: the
	// connection becomes HTTP, with SwitchProto's multiplexer ("h1",
	// "h2"; "" as an HTTP frontend chooses).
	SwitchHTTP  bool
	SwitchProto string
}

// BeginRequest prepares in for a request: the sample context's and the
// rules' per-request state is cleared.
func (in *Input) BeginRequest() {
	in.Ctx.BeginRequest()
	in.Effects = Effects{EarlyHints: in.Effects.EarlyHints[:0], CacheHead: in.Effects.CacheHead[:0]}
	in.contentPos, in.respPos = 0, 0
}

// BeginConnection prepares in for a new client connection.
func (in *Input) BeginConnection() {
	in.Ctx.BeginConnection()
	in.Effects = Effects{EarlyHints: in.Effects.EarlyHints[:0]}
	in.contentPos, in.respPos = 0, 0
}

// Kind is what a rule set decided.
type Kind uint8

const (
	// Continue: nothing final; processing goes on.
	Continue Kind = iota
	// Accept: tcp content rules accepted (or http allow).
	Accept
	// Respond: send the Verdict's answer.
	Respond
	// Reject: close the connection without answering.
	Reject
	// SilentDrop: drop the connection without the client noticing.
	SilentDrop
	// Wait: tcp content rules need more data.
	Wait
)

// Verdict is what a rule set decided, and the answer to send.
type Verdict struct {
	Kind   Kind
	Status int
	// Reason replaces the status's reason phrase (set-status ... reason).
	Reason []byte
	// ContentType and Body are the answer's payload.
	ContentType, Body []byte
	// Headers are extra response fields (hdr arguments, Location,
	// Set-Cookie, WWW-Authenticate); values live in the Input's scratch
	// buffer or the compiled rule.
	Headers []h1.Header
	// Page is a whole response: an errorfile (errorfile, errorfiles).
	Page *config.ErrorPage
	// Errorfile asks for the proxy's page for Status, with Headers.
	Errorfile bool
	// Close closes the connection after the answer. No action asks for
	// it today: HAProxy 2.6 keeps the connection open after deny and
	// tarpit too.
	Close bool
	// Denied marks a deny or a tarpit (counted as denied requests).
	Denied bool
	// Tarpit delays the answer by timeout tarpit.
	Tarpit bool
	// Redirect marks a redirect (for the log and cache-control).
	Redirect bool
	// Service is set by use-service: the proxy answers with that service
	// (prometheus-exporter).
	Service string
	// NoL7Retry is set by disable-l7-retry: the request may be retried
	// only on connection failures.
	NoL7Retry bool
}

// Reset returns a zero Verdict that keeps Headers' array.
func (v Verdict) Reset() Verdict { return Verdict{Headers: v.Headers[:0]} }

// Set is a proxy's compiled rules. It is read-only after Compile and safe
// for concurrent use.
type Set struct {
	useBackends    []useBackend
	defaultBackend string
	request        []rule
	redirects      []rule // the proxy-level redirect rules
	response       []rule
	after          []rule
	tcpConnection  []rule
	tcpSession     []rule
	tcpContent     []rule
	tcpResponse    []rule
	useServers     []useServer
	forcePersist   []*cond
	reqCaps        []headerCapture
	resCaps        []headerCapture

	// UniqueIDFormat and UniqueIDHeader are the proxy's unique-id-format
	// and unique-id-header.
	UniqueIDFormat *expr.Format
	UniqueIDHeader string
	// InspectDelay and ResponseInspectDelay bound tcp content inspection.
	InspectDelay, ResponseInspectDelay time.Duration
	// ReqCaptures and ResCaptures are the capture slot lengths a
	// frontend's connections need (expr.NewCaptures).
	ReqCaptures, ResCaptures []int
	// ops are the monitor and stats page conditions (ops.go).
	ops opsConds
	// stick are the stick match and store rules (stickpersist.go).
	stick stickRules
}

type useBackend struct {
	backend string
	dynamic *expr.Format
	cond    *cond
}

type useServer struct {
	server  string
	dynamic *expr.Format
	cond    *cond
}

type headerCapture struct {
	name string
	slot int
}

// HasTCPContent reports whether tcp-request content rules exist: the
// proxy then inspects the client's first bytes before going on.
func (s *Set) HasTCPContent() bool { return len(s.tcpContent) > 0 }

// HasTCPResponse reports whether tcp-response content rules exist.
func (s *Set) HasTCPResponse() bool { return len(s.tcpResponse) > 0 }

// HasTCPConnection reports whether tcp-request connection or session
// rules exist.
func (s *Set) HasTCPConnection() bool { return len(s.tcpConnection)+len(s.tcpSession) > 0 }

// HasRequestRules, HasResponseRules and HasAfterResponse report whether
// the proxy has rules of that set.
func (s *Set) HasRequestRules() bool  { return len(s.request) > 0 }
func (s *Set) HasResponseRules() bool { return len(s.response) > 0 }
func (s *Set) HasAfterResponse() bool { return len(s.after) > 0 }

// HasUseServer reports whether use-server rules exist.
func (s *Set) HasUseServer() bool { return len(s.useServers) > 0 }

// Compile compiles p's rules. Errors name the offending line as
// "file:line: ...".
func Compile(p *config.Proxy) (*Set, error) {
	cp := &compiler{lines: map[*config.ACL]*line{}}
	s := &Set{
		defaultBackend: p.DefaultBackend,
		UniqueIDFormat: p.UniqueIDFormat, UniqueIDHeader: p.UniqueIDHeader,
		InspectDelay: p.InspectDelay, ResponseInspectDelay: p.ResponseInspectDelay,
	}
	s.ReqCaptures, s.ResCaptures = p.CaptureSlots()
	nreq, nres := 0, 0
	for _, c := range p.Captures {
		if c.Response {
			if c.Header != "" {
				s.resCaps = append(s.resCaps, headerCapture{c.Header, nres})
			}
			nres++
		} else {
			if c.Header != "" {
				s.reqCaps = append(s.reqCaps, headerCapture{c.Header, nreq})
			}
			nreq++
		}
	}
	for _, ub := range p.UseBackends {
		s.useBackends = append(s.useBackends, useBackend{backend: ub.Backend, dynamic: ub.Dynamic, cond: cp.cond(ub.Cond, expr.BackendSwitch)})
	}
	for _, us := range p.UseServers {
		s.useServers = append(s.useServers, useServer{server: us.Server, dynamic: us.Dynamic, cond: cp.cond(us.Cond, expr.ServerSwitch)})
	}
	for _, c := range p.ForcePersist {
		s.forcePersist = append(s.forcePersist, cp.cond(c, expr.ServerSwitch))
	}
	sets := []struct {
		in    []config.Rule
		out   *[]rule
		where expr.Where
	}{
		{p.RequestRules, &s.request, expr.HTTPRequest},
		{p.RedirectRules, &s.redirects, expr.HTTPRequest},
		{p.ResponseRules, &s.response, expr.HTTPResponse},
		{p.AfterResponseRules, &s.after, expr.HTTPAfter},
		{p.TCPConnectionRules, &s.tcpConnection, expr.TCPConnection},
		{p.TCPSessionRules, &s.tcpSession, expr.TCPSession},
		{p.TCPContentRules, &s.tcpContent, expr.TCPContent},
		{p.TCPResponseRules, &s.tcpResponse, expr.TCPResponse},
	}
	for _, set := range sets {
		for i := range set.in {
			r, err := cp.rule(&set.in[i], set.where)
			if err != nil {
				return nil, err
			}
			*set.out = append(*set.out, r)
		}
	}
	cp.compileOps(p, &s.ops)
	cp.compileStick(p, s)
	return s, nil
}

// act is a compiled action.
type act uint8

const (
	actAllow act = iota + 1
	actAccept
	actReject
	actSilentDrop
	actClose
	actReply // deny, tarpit, return, auth
	actRedirect
	actSetHeader
	actAddHeader
	actDelHeader
	actReplaceHeader
	actReplaceValue
	actEarlyHint
	actSetPath
	actSetPathQ
	actSetQuery
	actSetURI
	actSetMethod
	actReplacePath
	actReplacePathQ
	actReplaceURI
	actNormalizeURI
	actSetVar
	actSetVarFmt
	actUnsetVar
	actLogLevel
	actCapture
	actSetSrc
	actSetSrcPort
	actSetDst
	actSetDstPort
	actSetTimeout
	actSetMark
	actSetTOS
	actNoop // set-nice, strict-mode: nothing to do in Baton (see doc.go)
	actWaitForBody
	actSetStatus
	actService
	actDisableL7Retry
	actExpectProxy
	actCacheUse
	actCacheStore
	actDoResolve
	actSwitchMode
	actSetMap
	actDelPattern // del-map, del-acl
	actAddACL
)

var actions = map[string]act{
	"allow": actAllow, "accept": actAccept, "reject": actReject, "silent-drop": actSilentDrop, "close": actClose,
	"deny": actReply, "tarpit": actReply, "return": actReply, "auth": actReply, "redirect": actRedirect,
	"set-header": actSetHeader, "add-header": actAddHeader, "del-header": actDelHeader,
	"replace-header": actReplaceHeader, "replace-value": actReplaceValue, "early-hint": actEarlyHint,
	"set-path": actSetPath, "set-pathq": actSetPathQ, "set-query": actSetQuery, "set-uri": actSetURI,
	"set-method": actSetMethod, "replace-path": actReplacePath, "replace-pathq": actReplacePathQ,
	"replace-uri": actReplaceURI, "normalize-uri": actNormalizeURI,
	"set-var": actSetVar, "set-var-fmt": actSetVarFmt, "unset-var": actUnsetVar,
	"set-log-level": actLogLevel, "capture": actCapture,
	"set-src": actSetSrc, "set-src-port": actSetSrcPort, "set-dst": actSetDst, "set-dst-port": actSetDstPort,
	"set-timeout": actSetTimeout, "set-mark": actSetMark, "set-tos": actSetTOS,
	"set-nice": actNoop, "strict-mode": actNoop, "wait-for-body": actWaitForBody, "set-status": actSetStatus,
	"use-service": actService, "disable-l7-retry": actDisableL7Retry,
	"expect-proxy": actExpectProxy, "cache-use": actCacheUse, "cache-store": actCacheStore,
	"do-resolve":  actDoResolve,
	"switch-mode": actSwitchMode,
	"set-map":     actSetMap, "del-map": actDelPattern, "del-acl": actDelPattern, "add-acl": actAddACL,
}

// rule is a compiled rule; the fields used depend on act.
type rule struct {
	act    act
	cfg    *config.Rule
	cond   *cond
	name   string // header name
	isHost bool   // name is "host": keep h1.Request.Host in sync
	nameM  pattern.Method
	nameR  *regexp.Regexp
	value  *expr.Format
	re     *regexp.Regexp
	e      *expr.Expr
	// reply is the compiled answer of deny, tarpit, return and auth.
	reply *reply
	// stage is where a track-sc rule tracks (stick.go).
	stage sticktable.Stage
	// cookie is the redirect's Set-Cookie value.
	cookie []byte
	status int
	reason []byte
}

// reply is a prepared answer.
type reply struct {
	kind        string // deny, tarpit, return, auth
	status      int
	contentType []byte
	body        []byte
	bodyFmt     *expr.Format
	headers     []config.ReplyHeader
	page        *config.ErrorPage
	errorfile   bool
	authValue   []byte // WWW-Authenticate
}

func (cp *compiler) rule(cr *config.Rule, where expr.Where) (rule, error) {
	a, ok := actions[cr.Action]
	if !ok {
		return rule{}, fmt.Errorf("%s: action %q is not implemented", cr.Pos, cr.Action)
	}
	r := rule{act: a, cfg: cr, cond: cp.cond(cr.Cond, where), name: cr.Name, nameM: cr.NameMethod, nameR: cr.NameRegex,
		value: cr.Value, re: cr.Regex, e: cr.Expr, isHost: strings.EqualFold(cr.Name, "host")}
	r.stage = stickStage(where)
	switch a {
	case actReply:
		rp := cr.Reply
		r.reply = &reply{kind: cr.Action, status: rp.Status, contentType: []byte(rp.ContentType), body: rp.Body,
			bodyFmt: rp.BodyFormat, headers: rp.Headers, page: rp.Page, errorfile: rp.Errorfile}
		if cr.Action == "auth" {
			realm := rp.Realm
			if realm == "" {
				realm = "default"
			}
			r.reply.errorfile = true
			r.reply.authValue = []byte(`Basic realm="` + realm + `"`)
		}
	case actRedirect:
		rd := cr.Redirect
		switch {
		case rd.SetCookie != "":
			r.cookie = []byte(rd.SetCookie + "; path=/;")
		case rd.ClearCookie != "":
			r.cookie = []byte(rd.ClearCookie + "; path=/; Max-Age=0;")
		}
	case actSetStatus:
		r.status = int(cr.Int)
		r.reason = []byte(cr.Name)
		if cr.Name == "" {
			r.reason = []byte(h1.StatusText(r.status))
		}
	}
	return r, nil
}
