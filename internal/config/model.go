package config

import (
	"strconv"
	"time"
)

// Pos is where a directive was read: the file and 1-based line.
type Pos struct {
	File string
	Line int
}

func (p Pos) String() string { return p.File + ":" + strconv.Itoa(p.Line) }

// Config is a whole validated configuration: the global section and every
// proxy, with defaults already applied to each proxy.
type Config struct {
	Global Global
	// Proxies lists frontends, listens and backends in file order.
	Proxies []*Proxy
	// Warnings are non-fatal findings (e.g. "daemon" ignored, no timeout
	// client), each already prefixed with file:line.
	Warnings []string
}

// Frontend returns the proxies that accept connections (frontend, listen).
func (c *Config) Frontends() []*Proxy {
	var out []*Proxy
	for _, p := range c.Proxies {
		if p.Kind == KindFrontend || p.Kind == KindListen {
			out = append(out, p)
		}
	}
	return out
}

// Backend returns the proxy named name that can serve as a backend
// (backend or listen), or nil.
func (c *Config) Backend(name string) *Proxy {
	for _, p := range c.Proxies {
		if p.Name == name && (p.Kind == KindBackend || p.Kind == KindListen) {
			return p
		}
	}
	return nil
}

// Global holds the global section.
type Global struct {
	// MaxConn caps concurrent client connections per process; 0 means
	// no limit beyond the frontends' own.
	MaxConn int
	// HardStopAfter bounds a soft stop; 0 means wait for every connection.
	HardStopAfter time.Duration
	// Logs are the "log" targets; only stdout and stderr are supported.
	Logs         []LogTarget
	StatsSockets []StatsSocket
	// StatsTimeout is the idle timeout of stats socket sessions; 0 means 10s.
	StatsTimeout time.Duration
	// NbThread is accepted for compatibility; 0 means unset.
	NbThread int
	PidFile  string
	// Daemon is accepted; Baton stays in the foreground and warns.
	Daemon bool
	Pos    Pos
	CheckGlobals
}

// LogTarget is one "log" line: the target (stdout or stderr), the format
// ("raw" by default) and the facility as written.
type LogTarget struct {
	Target   string // "stdout" or "stderr"
	Format   string // "" means raw
	Facility string
	// MaxLevel and MinLevel are the optional level bounds as written;
	// "" means every level.
	MaxLevel string
	MinLevel string
	Pos      Pos
}

// StatsSocket is a "stats socket" line.
type StatsSocket struct {
	Path            string
	Mode            uint32 // 0 means 0600
	Level           string // "user", "operator", "admin"; "" means admin
	ExposeListeners bool   // "expose-fd listeners"
	Pos             Pos
}

// Kind is the kind of section a proxy came from.
type Kind int

const (
	KindFrontend Kind = iota + 1
	KindBackend
	KindListen
)

func (k Kind) String() string {
	switch k {
	case KindFrontend:
		return "frontend"
	case KindBackend:
		return "backend"
	case KindListen:
		return "listen"
	}
	return "unknown"
}

// Mode is the proxy mode.
type Mode int

const (
	ModeTCP Mode = iota // HAProxy's default when no mode is given
	ModeHTTP
)

func (m Mode) String() string {
	if m == ModeHTTP {
		return "http"
	}
	return "tcp"
}

// KeepAliveMode is the HTTP connection mode of a proxy.
type KeepAliveMode int

const (
	// KeepAlive keeps both the client and the server connection open
	// ("option http-keep-alive", HAProxy's default).
	KeepAlive KeepAliveMode = iota
	// ServerClose keeps the client side alive and closes the server
	// connection after each response ("option http-server-close").
	ServerClose
	// Close closes both sides after each exchange ("option httpclose").
	Close
)

func (k KeepAliveMode) String() string {
	switch k {
	case ServerClose:
		return "http-server-close"
	case Close:
		return "httpclose"
	}
	return "http-keep-alive"
}

// Balance is a load-balancing algorithm.
type Balance int

const (
	RoundRobin Balance = iota // HAProxy's default
	StaticRR
	LeastConn
	First
	// SourceHash is "balance source"; named so it does not clash with
	// the Source type.
	SourceHash
	URI
	Random
)

var balanceNames = [...]string{"roundrobin", "static-rr", "leastconn", "first", "source", "uri", "random"}

func (b Balance) String() string { return balanceNames[b] }

// Timeout is one effective timeout and where its value came from.
type Timeout struct {
	// Value is the duration; 0 with Set false means not configured
	// (no timeout), as in HAProxy.
	Value time.Duration
	Set   bool
	// From says where the value came from, for the explain mode: the
	// proxy's own line "file:line", the defaults section's line
	// "defaults at file:line" or "defaults NAME at file:line", or a
	// fallback "timeout client (<where client came from>)". It is also
	// set, with Set false, when the timeout was explicitly set to 0.
	From string
}

// Timeouts are a proxy's timeouts after defaults and fallbacks.
type Timeouts struct {
	Connect       Timeout
	Client        Timeout
	Server        Timeout
	HTTPRequest   Timeout // falls back to Client
	HTTPKeepAlive Timeout // falls back to HTTPRequest, then Client
	Queue         Timeout // falls back to Connect
	Tunnel        Timeout // unset means the client and server timeouts apply
	ClientFin     Timeout // falls back to Client
	ServerFin     Timeout // falls back to Server
	// Check bounds a health check once connected; unset means "inter"
	// bounds the whole check (see package check).
	Check Timeout
}

// Proxy is a frontend, backend or listen section with its defaults applied.
type Proxy struct {
	Name string
	Kind Kind
	Pos  Pos
	Mode Mode
	// ModeFrom says where Mode came from ("file:line", "defaults at
	// file:line"); "" means HAProxy's default (tcp).
	ModeFrom string
	// Defaults names the defaults section this proxy inherited from:
	// "" when none, "defaults at file:line" or "defaults NAME at file:line".
	Defaults string

	Binds          []Bind
	DefaultBackend string
	DefaultPos     Pos
	UseBackends    []UseBackend
	ACLs           []ACL
	RequestRules   []HTTPRule // http-request
	ResponseRules  []HTTPRule // http-response

	Timeouts  Timeouts
	KeepAlive KeepAliveMode
	// KeepAliveFrom says where KeepAlive came from, like ModeFrom; ""
	// means HAProxy's default (http-keep-alive).
	KeepAliveFrom string
	// ForwardFor adds X-Forwarded-For ("option forwardfor").
	ForwardFor  bool
	HTTPLog     bool
	TCPLog      bool
	DontLogNull bool
	// LogGlobal is set by "log global": log lines go to the global targets.
	LogGlobal  bool
	Redispatch bool
	HTTPChk    *HTTPCheck // nil without "option httpchk"
	// Retries is the number of connection retries; HAProxy's default is 3.
	Retries int
	Balance Balance
	// MaxConn caps the frontend's concurrent connections; 0 means the
	// global maxconn.
	MaxConn int
	Servers []*Server
	ProxyChecks
	ConnOptions
}

// Bind is one listening address, normalised to "host:port" where an
// empty host means every address ("*:80" and ":80" give ":80").
type Bind struct {
	Addr string
	Pos  Pos
	BindOptions
}

// UseBackend is "use_backend NAME if|unless COND".
type UseBackend struct {
	Backend string
	Cond    *Condition
	Pos     Pos
}

// ACL is a named or anonymous ACL: a fetch, its flags and the values it
// is matched against.
type ACL struct {
	Name string // "" for an anonymous { ... } ACL
	// Fetch is the sample fetch and match as written, e.g. "path_beg",
	// "hdr", "hdr_beg", "src", "method", "path_reg".
	Fetch string
	// FetchArg is the argument in parentheses, e.g. "host" for hdr(host).
	FetchArg string
	// IgnoreCase is "-i".
	IgnoreCase bool
	Values     []string
	Pos        Pos
}

// Condition is an "if"/"unless" condition: an OR of AND-ed terms.
type Condition struct {
	Unless bool
	// Or lists alternatives; each is a list of terms that must all match.
	Or  [][]Term
	Pos Pos
}

// Term is one ACL reference in a condition, possibly negated with "!":
// a named ACL or an anonymous "{ ... }" one.
type Term struct {
	Negate bool
	Name   string // the ACL name, "" for anonymous
	// ACLs are the ACL definitions this term refers to: a named ACL may
	// be declared on several lines, which OR together.
	ACLs []*ACL
}

// HTTPRule is one http-request or http-response rule.
type HTTPRule struct {
	// Action is "deny", "return", "set-header", "add-header",
	// "del-header" or "redirect".
	Action string
	// Name and Value are the header name and value for header actions;
	// Value (and RedirectTo) is a log-format string checked by package
	// logformat and evaluated by package rules.
	Name  string
	Value string
	// Status is the status for deny (default 403), return (default 200)
	// and redirect (default 302).
	Status int
	// ContentType and Body are the return payload ("content-type",
	// "string" arguments); empty means none.
	ContentType string
	Body        string
	// RedirectKind is "location", "prefix" or "scheme" and RedirectTo its
	// argument, for redirect.
	RedirectKind string
	RedirectTo   string
	Cond         *Condition // nil means always
	Pos          Pos
}

// HTTPCheck is "option httpchk [METHOD] [URI]".
type HTTPCheck struct {
	Method  string // default "OPTIONS"
	URI     string // default "/"
	Version string // "" means HTTP/1.0, as in HAProxy
	Pos     Pos
}

// Server is one "server" line.
type Server struct {
	Name string
	// Addr is "host:port" as resolved at parse time.
	Addr     string
	Weight   int // default 1, range 0-256
	MaxConn  int // 0 means no limit
	Backup   bool
	Disabled bool
	Check    bool
	Inter    time.Duration // default 2s
	Rise     int           // default 2
	Fall     int           // default 3
	Pos      Pos
	ServerChecks
	ServerTraffic
}
