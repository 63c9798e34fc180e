package config

import (
	"net/netip"
	"strconv"
	"time"

	"baton/internal/expr"
	"baton/internal/h2"
	"baton/internal/syslog"
	"baton/internal/tlsconf"
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
	// Stopped lists the disabled proxies ("disabled"), in file order:
	// checked, never started (disabled.go).
	Stopped []*Proxy
	// Warnings are non-fatal findings (e.g. "daemon" ignored, no timeout
	// client), each already prefixed with file:line.
	Warnings []string
	// Notices are the ".notice" messages and Diagnostics the ".diag" ones
	// (shown in diagnostic mode, -dD), each prefixed with file:line.
	Notices     []string
	Diagnostics []string
	// Files are the files the configuration named (maps, ACL pattern
	// files, response bodies, error pages), as read while parsing it, in
	// the order first read (see FilesReader).
	Files []Source
	// Expr holds what the configuration's sample expressions share: the
	// variable names and the loaded maps and pattern files.
	Expr *expr.Env
	// Resolvers are the "resolvers" sections, in file order.
	Resolvers []*Resolvers
	// Peers are the "peers" sections (peers.go).
	Peers []*Peers
	// Caches are the "cache" sections, in file order (cache.go).
	Caches []*CacheSection
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
	// Description describes the instance: the text "stats show-desc"
	// shows when it names none; "" shows nothing.
	Description string
	// MaxConn caps concurrent client connections per process; 0 means
	// no limit beyond the frontends' own.
	MaxConn int
	// Node is "node": the instance's name in "show info" and on the
	// statistics page; "" means the host name.
	Node string
	// MaxHeaders is "tune.http.maxhdr": the most header fields of a
	// request or a response; 0 means 101.
	MaxHeaders int
	// HardStopAfter bounds a soft stop; 0 means wait for every connection.
	HardStopAfter time.Duration
	// Logs are the "log" targets, in file order.
	Logs []LogTarget
	// LogTag is "log-tag": the tag of every syslog header; "" means the
	// program name.
	LogTag string
	// LogSendHostname is the host name that "log-send-hostname" puts in
	// syslog headers (the system's when the line names none); "" when
	// the keyword is absent.
	LogSendHostname string

	StatsSockets []StatsSocket
	// StatsTimeout is the idle timeout of stats socket sessions; 0 means 10s.
	StatsTimeout time.Duration
	// NbThread is accepted for compatibility; 0 means unset.
	NbThread int
	PidFile  string
	// Daemon is accepted; Baton stays in the foreground and warns.
	Daemon bool
	// ExperimentalDirectives is "expose-experimental-directives": it
	// allows http-request normalize-uri, as in HAProxy.
	ExperimentalDirectives bool
	// ServerStateFile is the global server state file and
	// ServerStateBase the directory of relative ones; "" means none.
	ServerStateFile, ServerStateBase string
	// TLS is crt-base, ca-base, ssl-default-*, ssl-server-verify and the
	// tune.ssl.* settings that map onto Go's TLS.
	TLS tlsconf.Global
	// H2 is the tune.h2.* settings of HTTP/2 connections (the zero
	// value of each field is HAProxy's default).
	H2 h2.Limits
	// Process is the workers' identity, root directory and limits.
	Process Process
	// ZeroWarning makes any warning an error ("zero-warning").
	ZeroWarning bool
	Pos         Pos
	CheckGlobals
}

// LogTarget is one "log" line (see syslog.Target), as a global target or
// as one of a proxy's targets.
type LogTarget struct {
	syslog.Target
	// Global marks a proxy's copy of a global target ("log global");
	// Index is then its place in Global.Logs. Copies of one line share
	// its sampling.
	Global bool
	Index  int
	// Pos is the "log" line (for a proxy's copy of a global target, the
	// global section's line).
	Pos Pos
}

// StatsSocket is a "stats socket" line.
type StatsSocket struct {
	// Path is the socket file's absolute path, or another address in its
	// canonical form (package sockaddr: "unix@relative.sock",
	// "127.0.0.1:9999", "abns@x", "fd@3").
	Path string
	// Owner holds the "user"/"uid" and "group"/"gid" owning the socket
	// file (its Mode and Prefix are unused: see Mode).
	Owner           UnixSocketOptions
	Mode            uint32 // 0 means 0600
	Level           string // "user", "operator", "admin"; "" means admin
	ExposeListeners bool   // "expose-fd listeners"
	// UID and GID own the UNIX socket ("user"/"uid", "group"/"gid");
	// -1 means the master's.
	UID, GID int
	Pos      Pos
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

var balanceNames = [...]string{"roundrobin", "static-rr", "leastconn", "first", "source", "uri", "random", "url_param", "hdr", "rdp-cookie"}

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
	Tarpit        Timeout // unset means Connect (http-request tarpit)
	// Check bounds a health check once connected; unset means "inter"
	// bounds the whole check (see package check).
	Check Timeout
}

// Proxy is a frontend, backend or listen section with its defaults applied.
type Proxy struct {
	Name string
	// Description is printed beside the proxy's name on the stats page;
	// "" prints nothing.
	Description string
	// Disabled is set by "disabled" (or the defaults section's) and
	// cleared by "enabled": the proxy is in Config.Stopped, not started.
	// False: the proxy runs.
	Disabled bool

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
	RequestRules   []Rule // http-request
	ResponseRules  []Rule // http-response
	// SampleRules are the other rule sets and what goes with them
	// (rules_model.go).
	SampleRules
	// StickTable is the proxy's "stick-table" (sticktable.go); nil when
	// it declares none.
	StickTable *StickTable
	// StickRules are the stick match, on, store-request and
	// store-response rules, in order.
	StickRules []StickRule
	// BalanceOpts are the options of Balance's hashing forms and of
	// random; HashType is how a hash picks a server (balance.go).
	BalanceOpts BalanceOpts
	HashType    HashType
	// Cookie is the cookie persistence (cookie.go); nil for none.
	// DynamicCookieKey is the secret of dynamic cookies.
	Cookie           *Cookie
	DynamicCookieKey string
	// Persist ("option persist") sends a request to the server its
	// cookie names even when that server is down (not in maintenance).
	Persist bool

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
	LogGlobal bool
	// Logs are the proxy's log targets: inherited from its defaults
	// section, the global ones "log global" copies, its own "log" lines;
	// "no log" empties the list. None means the proxy logs nothing.
	Logs []LogTarget
	// LogTag is "log-tag" for this proxy's lines; "" means the global one.
	LogTag string
	// LogFormat is "log-format" (it replaces option httplog/tcplog, and
	// they replace it, whichever comes last); "" means none. HTTPLogCLF
	// is "option httplog clf". LogFormatSD is "log-format-sd" (rfc5424
	// structured data) and ErrorLogFormat "error-log-format" (lines of
	// connections that failed before a request). LogFormatPos,
	// LogFormatSDPos and ErrorLogFormatPos are where each was set.
	LogFormat, LogFormatSD, ErrorLogFormat          string
	LogFormatPos, LogFormatSDPos, ErrorLogFormatPos Pos
	HTTPLogCLF                                      bool
	// LogASAP logs a request once the response head is sent (a TCP
	// connection once the server connection is up) instead of at the end
	// ("option logasap").
	LogASAP bool
	// DontLogNormal skips the lines of requests without error, timeout,
	// retry, redispatch or 5xx status ("option dontlog-normal").
	DontLogNormal bool
	// LogSeparateErrors sends those lines at level err instead of info
	// ("option log-separate-errors").
	LogSeparateErrors bool
	// LogHealthChecks logs every change of a server's check result
	// ("option log-health-checks").
	LogHealthChecks bool

	Redispatch bool
	// SendNameHeader is "http-send-name-header": the request header that
	// carries the chosen server's name; "" means none.
	SendNameHeader string
	// ID is the proxy's "id" (its iid in the statistics); 0 means a
	// number given in file order, as HAProxy does. IDPos is its line.
	ID    int
	IDPos Pos
	// Backlog is the proxy-level "backlog": the listen queue of binds
	// without their own; 0 leaves the system's default.
	Backlog int
	// AllBackups balances over every usable backup server when no active
	// one is usable ("option allbackups"); false uses the first usable
	// backup only.
	AllBackups bool
	// RedispatchInterval says which retries go to another server when
	// Redispatch is set ("option redispatch <interval>"): P > 0 every
	// P-th retry, N < 0 the N-th retry before the last; 0 means HAProxy's
	// default, the last retry (-1).
	RedispatchInterval int
	// RetryOn is the set of failures that are retried ("retry-on"); 0
	// means RetryConnFailure, HAProxy's default, and RetryNever "retry-on
	// none" (see RetryOn.Effective).
	RetryOn RetryOn
	HTTPChk *HTTPCheck // nil without "option httpchk"
	// Retries is the number of connection retries; HAProxy's default is 3.
	Retries int
	Balance Balance
	// MaxConn caps the frontend's concurrent connections; 0 means the
	// global maxconn.
	MaxConn int
	// RateLimitSessions is "rate-limit sessions": the most new sessions
	// per second the frontend accepts, measured over a sliding second as
	// HAProxy does; the others wait in the kernel's accept queue. 0 means
	// no limit.
	RateLimitSessions int

	Servers []*Server
	ProxyChecks
	ConnOptions
	// Compression is "compression algo|type|offload"; nil means none.
	Compression *Compression
	// Filters are the "filter" lines in declaration order.
	Filters []Filter

	// ErrorPages replace the responses Baton generates, by the status it
	// would send (errorfile, errorloc, http-error, errorfiles); nil means
	// Baton's own for every status.
	ErrorPages map[int]*ErrorPage

	// Stats is the statistics page ("stats enable", "stats uri", ...);
	// nil when the proxy has none (see ops.go).
	Stats *StatsPage
	// MonitorURI answers monitoring requests ("monitor-uri"); "" means
	// none. MonitorFail are the "monitor fail" conditions: one that
	// holds makes the answer 503.
	MonitorURI  string
	MonitorFail []*Condition
	// LoadServerState says which server state file the servers start
	// from ("load-server-state-from-file"; none by default), and
	// ServerStateFileName names the local one ("" means the proxy's
	// name).
	LoadServerState     LoadState
	ServerStateFileName string
}

// Bind is one listening socket. Addr is its canonical name (package
// sockaddr): "host:port" where an empty host means every address ("*:80"
// and ":80" give ":80"), or "ipv4@...", "ipv6@...", "unix@PATH",
// "abns@NAME", "fd@N".
type Bind struct {
	Addr string
	Pos  Pos
	// TLS is the bind's TLS side ("ssl" and its options); nil means
	// plain TCP.
	TLS *tlsconf.BindSpec
	// Proto is "h2" for "proto h2" (HTTP/2 with prior knowledge, or
	// whatever ALPN chose on an ssl bind) or "h1"; "" lets ALPN decide.
	Proto string
	// Unix is the socket file's owner and mode for a UNIX socket (bind
	// options over the unix-bind defaults); nil for other sockets.
	Unix *UnixSocketOptions
	BindOptions
}

// UseBackend is "use_backend NAME if|unless COND".
type UseBackend struct {
	Backend string
	// Dynamic is set for a name built per request ("%[...]"): Backend is
	// then the format as written.
	Dynamic *expr.Format
	Cond    *Condition
	Pos     Pos
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
	// DstFromRules is set for an address of 0.0.0.0 or port 0: the
	// connection goes to the request's destination (its address, its port
	// or both), which set-dst and set-dst-port may change.
	DstFromRules bool
	Pos          Pos
	// Proto is "proto": "h2" speaks HTTP/2 to the server whatever ALPN
	// says (clear text with prior knowledge, or over ssl), "h1" HTTP/1.1;
	// "" is HTTP/1.1 unless an ssl server picks "h2" from its alpn list.
	Proto string
	// TLS holds the server's TLS options ("ssl", "check-ssl", "verify",
	// ...); nil when the line has none. TLS.SSL says traffic is TLS.
	TLS *tlsconf.ServerSpec
	// SNI is the compiled "sni" expression (TLS.SNI as written),
	// evaluated on the request at each connection to the server; nil
	// sends no SNI.
	SNI *expr.Expr

	// Host is the host name the address was written with; "" for an IP
	// address. A name starting with '_' is an SRV label (SRV is set):
	// targets, ports and weights come from its records at run time.
	Host string
	SRV  bool
	// Port is the port as written; 0 for an SRV label, whose records
	// give the port.
	Port int
	// Template is the server-template line's prefix for a server it
	// made; "" for a "server" line.
	Template string
	// InitAddr lists the "init-addr" methods in order (last, libc, none
	// or an IP address); nil means HAProxy's default, last,libc.
	InitAddr []string
	// Resolvers names the resolvers section that resolves Host at run
	// time; "" means Host was resolved once, when the file was read.
	Resolvers string
	// ResolvePrefer is "ipv4" or "ipv6"; "" means ipv6, HAProxy's
	// default.
	ResolvePrefer string
	// AllowDupIP lets this server take an address another server of the
	// backend resolving the same name already has ("resolve-opts
	// allow-dup-ip"); false prevents it, HAProxy's default.
	AllowDupIP bool
	// IgnoreWeight keeps the configured weight when an SRV record
	// carries one ("resolve-opts ignore-weight").
	IgnoreWeight bool
	// Cookie is the value of the backend's persistence cookie that
	// names this server ("cookie VALUE"); "" for none.
	Cookie string
	// ResolveNets are preferred networks ("resolve-net"); nil means none.
	ResolveNets []netip.Prefix
	// SlowStart is how long the server's weight and maxconn take to grow
	// back to full after it comes back ("slowstart"); 0 means at once.
	SlowStart time.Duration
	ServerChecks
	ServerTraffic
	ServerPool
}
