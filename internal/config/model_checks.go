package config

import (
	"net/netip"
	"time"

	"baton/internal/check"
	"baton/internal/sockaddr"
)

// ProxyChecks is a backend's health-check configuration (embedded in
// Proxy).
type ProxyChecks struct {
	// CheckOption is the check option in force: "" (a plain connect),
	// "httpchk", "tcp-check", "redis-check", "ssl-hello-chk", "smtpchk",
	// "pgsql-check", "mysql-check", "ldap-check" or "external-check".
	CheckOption string
	// CheckRules is the finished ruleset of every check option but
	// external-check; nil for a plain connect.
	CheckRules *check.Ruleset
	// CheckDisable404 is "http-check disable-on-404": a 404 answer puts
	// an up server in NOLB instead of failing the check.
	CheckDisable404 bool
	// CheckSendState is "http-check send-state": requests carry
	// X-Haproxy-Server-State.
	CheckSendState bool
	// ExternalCommand and ExternalPath are "external-check command" and
	// "external-check path" ("" means PATH is empty, as in HAProxy).
	ExternalCommand, ExternalPath string
}

// CheckGlobals are the global settings of health checks (embedded in
// Global).
type CheckGlobals struct {
	// SpreadChecks adds up to this percentage of random noise to every
	// check interval (0..50); 0 means none.
	SpreadChecks int
	// MaxSpreadChecks bounds the delay over which the first checks are
	// spread; 0 means the smallest check interval.
	MaxSpreadChecks time.Duration
	// ExternalCheck is the global "external-check": external checks may
	// run. InsecureForkWanted is "insecure-fork-wanted", without which
	// they are refused (HAProxy lets them fail at run time).
	ExternalCheck      bool
	InsecureForkWanted bool
}

// ServerChecks are a server's check settings (embedded in Server).
type ServerChecks struct {
	// CheckPort and CheckAddr redirect checks ("port", "addr"); 0 and an
	// invalid address mean the server's own. CheckAddrPort is a port
	// written with "addr", used when "port" is not.
	CheckPort     int
	CheckAddr     netip.Addr
	CheckAddrPort int
	// FastInter and DownInter replace Inter while the server is changing
	// state and while it is fully down; 0 means Inter.
	FastInter, DownInter time.Duration
	// CheckSendProxy sends a PROXY header (the server's send-proxy
	// version, else 1) on checks even with port or addr set.
	CheckSendProxy bool
	// CheckViaSocks4 sends the checks' default connects through the
	// server's Socks4 proxy too ("check-via-socks4"); false: checks go
	// straight to the server.
	CheckViaSocks4 bool
	// Agent enables the agent check ("agent-check"); AgentPort is
	// required with it. AgentAddr (unset: CheckAddr, then the server's),
	// AgentInter (0: Inter) and AgentSend ("agent-send") tune it.
	Agent      bool
	AgentPort  int
	AgentAddr  netip.Addr
	AgentInter time.Duration
	AgentSend  string
	// OnMarkedDown is "shutdown-sessions" or ""; OnMarkedUp is
	// "shutdown-backup-sessions" or "".
	OnMarkedDown, OnMarkedUp string
	// Observe is "layer4", "layer7" or "" (off); ErrorLimit consecutive
	// errors (0 means 10) trigger OnError: "fastinter", "fail-check"
	// (when ""), "sudden-death" or "mark-down".
	Observe    string
	ErrorLimit int
	OnError    string
}

// ServerTraffic are a server's connection settings (embedded in Server).
type ServerTraffic struct {
	// MinConn makes MaxConn dynamic: between MinConn and MaxConn as the
	// backend's load approaches fullconn; 0 (or MaxConn) means MaxConn is
	// static. A MinConn above MaxConn raised MaxConn to it.
	MinConn int
	// MaxQueue is accepted; Baton queues requests per backend, never per
	// server, so the limit is never reached (see doc/configuration.md).
	MaxQueue int
	// ID is the server's numeric id ("id"); 0 means assigned in order.
	ID int
	// SendProxy is the PROXY protocol version sent on connections to the
	// server (1: send-proxy, 2: send-proxy-v2 and its -ssl forms); 0
	// means none. ProxyV2Options are the TLVs version 2 adds
	// (proxy-v2-options, send-proxy-v2-ssl, send-proxy-v2-ssl-cn).
	SendProxy      int
	ProxyV2Options PPv2Options
	// TFO asks for TCP Fast Open on connections to the server.
	TFO bool
	// Socks4 is the SOCKS4 proxy connections to the server go through
	// ("socks4 <addr>:<port>"); the zero value means a direct connection.
	Socks4 netip.AddrPort
	// Source is the server's "source"; nil means the backend's.
	Source *SourceAddr
}

// PPv2Options is a set of proxy-v2-options.
type PPv2Options uint16

// The proxy-v2-options, in HAProxy's names.
const (
	PPv2SSL       PPv2Options = 1 << iota // ssl: the SSL TLV
	PPv2CertCN                            // cert-cn
	PPv2SSLCipher                         // ssl-cipher
	PPv2CertSig                           // cert-sig
	PPv2CertKey                           // cert-key
	PPv2Authority                         // authority
	PPv2CRC32C                            // crc32c
	PPv2UniqueID                          // unique-id
)

// PPv2OptionNames are the proxy-v2-options words, by bit.
var PPv2OptionNames = []string{"ssl", "cert-cn", "ssl-cipher", "cert-sig", "cert-key", "authority", "crc32c", "unique-id"}

// SourceAddr is a "source" setting: the local address connections leave
// from, and optionally the client's address presented instead
// (transparent proxying).
type SourceAddr struct {
	// Addr is the local address; Port 0 lets the system choose.
	Addr netip.Addr
	Port int
	// UseSrc is "" (plain), "client" (the client's address and port),
	// "clientip" (its address) or "addr" (UseSrcAddr).
	UseSrc     string
	UseSrcAddr netip.AddrPort
	// Interface binds to a network interface.
	Interface string
	Pos       Pos
}

// ConnOptions are a proxy's connection options (embedded in Proxy).
type ConnOptions struct {
	// CliTCPKA and SrvTCPKA enable TCP keep-alive probes on client and
	// server connections ("option clitcpka", "srvtcpka", "tcpka"); the
	// Idle, Intvl and Cnt settings override the system's (0: system).
	CliTCPKA, SrvTCPKA          bool
	CliTCPKAIdle, CliTCPKAIntvl time.Duration
	CliTCPKACnt                 int
	SrvTCPKAIdle, SrvTCPKAIntvl time.Duration
	SrvTCPKACnt                 int
	AbortOnClose                bool // option abortonclose
	HTTPBufferRequest           bool // option http-buffer-request
	HTTPIgnoreProbes            bool // option http-ignore-probes
	NoLinger                    bool // option nolinger
	IndependentStreams          bool // option independent-streams
	HTTPPretendKeepAlive        bool // option http-pretend-keepalive
	// PreferLastServer (option prefer-last-server) sends a client's next
	// request to the server whose connection it still holds (a private
	// one: http-reuse never, send-proxy) instead of balancing it.
	PreferLastServer bool
	HTTPNoDelay      bool // option http-no-delay
	// SocketStats (option socket-stats) adds a statistics row per
	// listener (bind address) of the frontend; false: the frontend's row
	// alone.
	SocketStats      bool
	ForwardForExcept netip.Prefix
	ForwardForHeader string // "" means X-Forwarded-For
	ForwardForIfNone bool
	OriginalTo       bool // option originalto
	OriginalToExcept netip.Prefix
	OriginalToHeader string // "" means X-Original-To
	// HTTPReuse is "never", "safe", "aggressive", "always" or "" (Baton's
	// default: see doc/configuration.md).
	HTTPReuse string
	// FullConn is "fullconn": the backend load at which dynamic server
	// limits (minconn) reach maxconn; 0 means computed as HAProxy does.
	FullConn int
	// Source is the backend's "source"; nil means the system's choice.
	Source *SourceAddr
}

// BindOptions are a bind line's options (embedded in Bind).
type BindOptions struct {
	// Name and ID name the listener in logs and statistics; "" and 0 mean
	// its position on the frontend (1, 2, ...), as HAProxy names them.
	Name string
	ID   int
	// AcceptProxy requires a PROXY header (v1 or v2) on every connection.
	AcceptProxy bool
	// Socket options of the listening socket: TCP_DEFER_ACCEPT, TCP
	// Fast Open, IP_TRANSPARENT, IPV6_V6ONLY (V6Only true; V4V6 false,
	// unset both: the system's default), SO_BINDTODEVICE, the listen
	// backlog (0: the frontend's maxconn, else the system's).
	DeferAccept, TFO, Transparent bool
	V4V6, V6Only                  bool
	Interface                     string
	Backlog                       int
	// MaxConn caps this listener's concurrent connections; 0 means the
	// frontend's limit only.
	MaxConn int
}

// UnixPath returns the socket address of a server at a UNIX socket
// ("unix@PATH", "/PATH" or "abns@NAME" as written; an abstract one
// starts with '@'), "" for any other address.
func (s *Server) UnixPath() string {
	if network, addr := sockaddr.DialArgs(s.Addr); network == "unix" {
		return addr
	}
	return ""
}
