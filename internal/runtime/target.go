package runtime

import (
	"errors"
	"time"

	"baton/internal/serverstate"
	"baton/internal/stats"
)

// Target is what the commands act on: the serving generation's data path.
type Target interface {
	// Version is Baton's version.
	Version() string
	// Info is "show info"; Rows are the objects of "show stat", in
	// configuration order (frontend, servers, backend of each proxy).
	Info(now time.Time) stats.Info
	Rows(now time.Time) []stats.Row
	// BackendNames are the backends (and listens with servers), in
	// configuration order.
	BackendNames() []string
	// ServerStates are the "show servers state" lines of backend ("" for
	// every backend); ServerConns the "show servers conn" ones.
	ServerStates(backend string, now time.Time) ([]serverstate.Line, error)
	ServerConns(backend string) ([]ServerConn, error)
	// Sessions are the client connections, for "show sess".
	Sessions(now time.Time) []SessionLine
	// Errors are the captured invalid requests and responses, the last
	// of each direction per proxy, and how many were seen in all.
	Errors() (total int, captures []Capture)
	// Server finds a server by backend and server name or "#id"; the
	// errors are ErrNoBackend and ErrNoServer.
	Server(backend, server string) (ServerControl, error)
	// SetFrontendMaxConn and SetGlobalMaxConn change a frontend's and the
	// process's maxconn; ErrNoFrontend, ErrRange.
	SetFrontendMaxConn(frontend string, n int) error
	SetGlobalMaxConn(n int) error
	// AddServer adds a server at run time (options as on a "server"
	// line); DelServer removes one, which must be in maintenance and
	// unused.
	AddServer(backend, server string, args []string) error
	DelServer(backend, server string) error
	// ClearCounters resets the maxima, or with all every counter.
	ClearCounters(all bool)
}

// ServerControl changes one server of the serving generation.
type ServerControl interface {
	// Weights are the current and the configured weight.
	Weights() (cur, initial int)
	// StaticWeights: the backend's algorithm only takes 0 or the
	// configured weight (static-rr), as in HAProxy.
	StaticWeights() bool
	SetWeight(w int)
	// SetAdmin sets stats.AdminReady, AdminDrain or AdminMaint.
	SetAdmin(admin int)
	// SetHealth forces the health: "up", "stopping" or "down".
	SetHealth(h string)
	// SetChecks starts or stops the health checks.
	SetChecks(on bool)
	// Addr is "ip:port"; SetAddr changes it (port 0 keeps the port).
	Addr() string
	SetAddr(ip string, port int) error
	// SetMaxConn changes the server's maxconn (0: none).
	SetMaxConn(n int)
	// Shutdown closes the connections using the server; it returns how
	// many.
	Shutdown() int
}

// Errors a Target returns, answered in HAProxy's words.
var (
	ErrNoBackend    = errors.New("No such backend.")
	ErrNoServer     = errors.New("No such server.")
	ErrNoFrontend   = errors.New("No such frontend.")
	ErrRange        = errors.New("Value out of range.")
	ErrServerExists = errors.New("Already exists a server with the same name in backend.")
	ErrStaticLB     = errors.New("Backend must use a dynamic load balancing to support dynamic servers.")
	ErrNotInMaint   = errors.New("Only servers in maintenance mode can be deleted.")
	ErrServerInUse  = errors.New("Server still has connections attached to it, cannot remove it.")
)

// ServerConn is one line of "show servers conn".
type ServerConn struct {
	Backend, Server   string
	BackendID, SID    int
	Addr              string
	Port              int
	Used, UsedMax     int
	NeedEst, IdleLim  int
	IdleCur, SafeIdle int
	// PurgeDelayMS is the server's pool-purge-delay in milliseconds
	// (HAProxy's default is 5000).
	PurgeDelayMS int
}

// SessionLine is one client connection for "show sess".
type SessionLine struct {
	ID        uintptr
	Proto     string // "tcpv4" or "tcpv6"
	Src       string
	Frontend  string
	Backend   string // "" for none
	Server    string // "" for none
	Age       time.Duration
	FD        int // client socket, -1 unknown
	ServerFD  int // -1 for none
	Expire    time.Duration
	HasExpire bool
}

// Capture is one invalid request or response.
type Capture struct {
	When time.Time
	// Response: a server's response (else a client's request).
	Response bool
	// Proxy is the frontend (request) or backend (response); Other the
	// backend or frontend on the other side ("" for none); Server the
	// server ("" for none).
	Proxy, Other, Server  string
	ProxyID, OtherID, SID int
	Event                 int
	Src                   string
	Buf                   []byte
	Pos                   int // the byte the h1 codec rejected
	State                 string
}

// Resolvers is implemented by targets with DNS resolvers ("show
// resolvers"); a target without answers as HAProxy with none.
type Resolvers interface {
	// ShowResolvers is "show resolvers [id]": the counters of every
	// resolvers section, or of the one named id.
	ShowResolvers(id string) string
}
