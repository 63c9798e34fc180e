package expr

import (
	"fmt"
	"sort"
	"strings"

	"baton/internal/pattern"
)

// Use says what a fetch reads, so a configuration can be told, line by
// line, that a fetch is used where its data never exists.
type Use uint16

const (
	// UseAlways: the connection, the proxies, constants, variables,
	// captures: available in every rule set.
	UseAlways Use = 0
	// UseReqHead: the request line and headers (http-request rules, and
	// tcp-request content rules and use_backend once a request is read).
	UseReqHead Use = 1 << iota
	// UseReqBody: the buffered request body.
	UseReqBody
	// UseRes: the response head (http-response, http-after-response).
	UseRes
	// UseReqPayload: the raw bytes a client sent (tcp-request content).
	UseReqPayload
	// UseResPayload: the raw bytes a server sent (tcp-response content).
	UseResPayload
	// UseBackend: the backend chosen (be_name): in a backend's rules and
	// on the response side, not in a frontend's request rules.
	UseBackend
	// UseServer: the server chosen (srv_name): on the response side.
	UseServer
	// UseResLine: the response's status and version (status,
	// capture.res.ver), which the log line still has; response header
	// values (UseRes) it does not, as in HAProxy.
	UseResLine
)

// Where describes a place rules are written, with what it can read.
type Where struct {
	// Name is how messages call it: "frontend http-response header rule".
	Name string
	// Has is the data available there.
	Has Use
}

// Rule sites.
var (
	TCPConnection = Where{"tcp-request connection rule", UseAlways}
	TCPSession    = Where{"tcp-request session rule", UseAlways}
	TCPContent    = Where{"tcp-request content rule", UseReqPayload | UseReqHead | UseReqBody}
	TCPResponse   = Where{"tcp-response content rule", UseResPayload | UseBackend | UseServer}
	HTTPRequest   = Where{"http-request header rule", UseReqHead | UseReqBody | UseReqPayload}
	HTTPResponse  = Where{"http-response header rule", UseRes | UseResLine | UseBackend | UseServer}
	HTTPAfter     = Where{"http-after-response header rule", UseRes | UseResLine | UseBackend | UseServer}
	BackendSwitch = Where{"use_backend rule", UseReqHead | UseReqBody | UseReqPayload}
	ServerSwitch  = Where{"use-server rule", UseReqHead | UseReqBody | UseReqPayload | UseBackend}
	// ServerConnect: a server's "sni" expression, evaluated when a
	// connection to the chosen server is opened or reused (HAProxy's
	// "server source selection" checkpoint): the request, the backend and
	// the server are known, the response is not.
	ServerConnect = Where{"server sni expression", UseReqHead | UseReqBody | UseReqPayload | UseBackend | UseServer}
	// LogFormat: a log line is written once the exchange is over: the
	// request and response header values are gone (HAProxy's "logs"
	// checkpoint); the request line, the status, variables and captures
	// remain.
	LogFormat      = Where{"logs", UseResLine | UseBackend | UseServer}
	UniqueIDFormat = Where{"unique-id-format", UseReqHead | UseReqBody}
)

// InBackend is w written in a proxy with a backend (backend, listen),
// where the request side sees the backend too.
func (w Where) InBackend() Where {
	w.Has |= UseBackend
	return w
}

// ArgType is the type of a fetch or converter argument.
type ArgType uint8

const (
	ArgStr      ArgType = iota + 1
	ArgInt              // a decimal integer
	ArgBackend          // a backend name, checked once the configuration is read
	ArgFrontend         // a frontend name, likewise
	ArgMsk4             // an IPv4 netmask: dotted or a bit count
	ArgMsk6             // an IPv6 netmask: an address or a bit count
	ArgVar              // a variable name ("txn.foo")
	ArgIntOrVar         // an integer, or a variable holding one
	ArgTime             // a time (ms by default, with a unit)
)

var argTypeNames = [...]string{"", "string", "integer", "backend", "frontend", "IPv4 mask", "IPv6 mask", "variable", "integer or variable", "time"}

func (t ArgType) String() string { return argTypeNames[t] }

// Fetch describes a sample fetch.
type Fetch struct {
	Name    string
	Args    []ArgType
	MinArgs int
	Out     Type
	Use     Use
	// eitherDir: the fetch reads the request or the response, whichever
	// the rule set sees (hdr); it is usable where either one is.
	eitherDir bool
	// Eval fetches one value into out; it returns false when there is
	// none. With it.Iterate set (an ACL), a fetch with several values
	// (headers, cookies) sets it.More and is called again for the next.
	Eval func(c *Ctx, a []Arg, it *Iter, out *Sample) bool
	// Check validates and prepares the arguments when the expression is
	// compiled; nil accepts them as parsed.
	Check func(a []Arg, env *Env) error
}

// Conv describes a converter.
type Conv struct {
	Name    string
	Args    []ArgType
	MinArgs int
	In, Out Type
	// Eval transforms s (already cast to In) in place; false means the
	// conversion failed and the expression has no value.
	Eval  func(c *Ctx, a []Arg, s *Sample) bool
	Check func(a []Arg, env *Env) error
	// OwnsMayChange: the converter itself says whether its result may
	// change (it decodes a whole message and knows whether one is
	// complete): Eval starts with s.MayChange false and what it leaves
	// there replaces the fetch's. Other converters keep the fetch's.
	OwnsMayChange bool
}

// Iter is an ACL's walk through a fetch's values.
type Iter struct {
	// Iterate is set by ACLs: fetches return every value, not one.
	Iterate bool
	// More is set by a fetch that has another value after this one.
	More bool
	// Pos and Sub are the fetch's position in its values.
	Pos, Sub int
}

var (
	fetches = map[string]*Fetch{}
	convs   = map[string]*Conv{}
	aclKWs  = map[string]ACLKeyword{}
)

// RegisterFetch adds a fetch; packages with fetches of their own (TLS,
// PROXY protocol, stick tables) call it from an init function in a file
// of this package or of theirs. A name registered twice panics.
func RegisterFetch(f *Fetch) {
	if _, dup := fetches[f.Name]; dup {
		panic("expr: fetch " + f.Name + " registered twice")
	}
	fetches[f.Name] = f
}

// RegisterConv adds a converter.
func RegisterConv(c *Conv) {
	if _, dup := convs[c.Name]; dup {
		panic("expr: converter " + c.Name + " registered twice")
	}
	convs[c.Name] = c
}

// ACLKeyword is an ACL-only name for a fetch with a match method, such as
// hdr_beg (req.hdr with the beg method). Fetch may be "" for keywords
// that are only an ACL (none today).
type ACLKeyword struct {
	Fetch  string
	Method pattern.Method
	// Fold makes the comparison case-insensitive by default (method).
	Fold bool
	// First: in an ACL the fetch returns only the first value instead of
	// iterating (none today).
}

// RegisterACL adds an ACL keyword.
func RegisterACL(name, fetch string, m pattern.Method) {
	if _, dup := aclKWs[name]; dup {
		panic("expr: ACL keyword " + name + " registered twice")
	}
	aclKWs[name] = ACLKeyword{Fetch: fetch, Method: m}
}

// registerACLFamily registers NAME (exact) and NAME_beg, _dir, _dom,
// _end, _len, _reg, _sub for fetch.
func registerACLFamily(name, fetch string) {
	if name != fetch {
		RegisterACL(name, fetch, pattern.Str)
	}
	for _, m := range []pattern.Method{pattern.Beg, pattern.Dir, pattern.Dom, pattern.End, pattern.Len, pattern.Reg, pattern.Sub} {
		RegisterACL(name+"_"+m.String(), fetch, m)
	}
}

// LookupACL returns the ACL keyword name, if any.
func LookupACL(name string) (ACLKeyword, bool) {
	k, ok := aclKWs[name]
	return k, ok
}

// LookupFetch returns the fetch name, if any.
func LookupFetch(name string) (*Fetch, bool) {
	f, ok := fetches[name]
	return f, ok
}

// FetchNames lists the registered fetches and ACL keywords, sorted, for
// suggestions.
func FetchNames() []string {
	var out []string
	for n := range fetches {
		out = append(out, n)
	}
	for n := range aclKWs {
		if _, ok := fetches[n]; !ok {
			out = append(out, n)
		}
	}
	sort.Strings(out)
	return out
}

// unsupportedFetches are HAProxy fetches Baton does not provide, so the
// error can say so rather than "unknown".
var unsupportedFetches = wordSet(`sc_http_req_rate sc0_http_req_rate sc1_http_req_rate sc2_http_req_rate
	sc_get_gpc0 sc0_get_gpc0 sc1_get_gpc0 sc2_get_gpc0 sc0_inc_gpc0 sc1_inc_gpc0 sc2_inc_gpc0
	src_http_req_rate src_conn_cur src_conn_rate src_get_gpc0 src_inc_gpc0 table_cnt table_avl
	http_auth_bearer
	req.ssl_ver req_ssl_ver fc_pp_authority fc_pp_unique_id
	res.cache_hit res.cache_name res.comp res.comp_algo`)

func wordSet(s string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Fields(s) {
		m[w] = true
	}
	return m
}

func unknownFetch(name string) error {
	if unsupportedFetches[name] {
		return fmt.Errorf("fetch %q is not supported by Baton (HAProxy has it)", name)
	}
	return fmt.Errorf("unknown fetch method %q", name)
}
