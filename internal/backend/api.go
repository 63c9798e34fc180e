package backend

// This file fixes the package's entry points; the other files implement them.
//
// A Backend is built once per worker generation from a config.Proxy and is
// shared by every connection of that generation. Server runtime state
// (weight, admin state, health, live connections) is held in atomics so the
// hot path takes no lock; queueing for maxconn takes one.
//
//	type State int32  // Ready, Drain, Maint
//
//	type Server struct {
//	    Name, Addr string
//	    Backup     bool
//	    MaxConn    int
//	    ...
//	}
//	func (s *Server) Weight() int
//	func (s *Server) SetWeight(w int)
//	func (s *Server) State() State
//	func (s *Server) SetState(st State)
//	func (s *Server) Healthy() bool          // health-check result; true without checks
//	func (s *Server) SetHealthy(up bool)
//	func (s *Server) Conns() int             // requests/connections currently using it
//	func (s *Server) GetIdle() net.Conn      // most recently pooled idle connection, or nil
//	func (s *Server) PutIdle(c net.Conn) bool // false: not pooled (full, draining), caller closes
//
//	type Backend struct {
//	    Name    string
//	    Servers []*Server
//	    ...
//	}
//	func New(p *config.Proxy) *Backend
//
//	// Key carries what hashing algorithms need: the client address for
//	// "balance source", the path for "balance uri".
//	type Key struct { Src netip.Addr; URI []byte }
//
//	// Acquire picks a usable server (Ready, healthy, weight > 0, not
//	// exclude) honouring the algorithm and weights; backup servers only
//	// when no active server is usable. When every usable server is at its
//	// maxconn it waits in the backend's FIFO queue until one is released
//	// or deadline passes (zero deadline: no wait limit).
//	// Errors: ErrNoServer (503 "no server available"), ErrQueueTimeout.
//	func (b *Backend) Acquire(key Key, exclude *Server, deadline time.Time) (*Server, error)
//	func (b *Backend) Release(s *Server)  // the request/connection is done with s
//	func (b *Backend) Close()             // closes pooled idle connections
