package proxy

// This file fixes the package's entry points; the other files implement them.
//
// An Engine is one worker generation's data path: it serves every frontend
// of a configuration on listeners handed to it, and can stop accepting and
// drain without touching the shared listening sockets.
//
//	type Options struct {
//	    Log        io.Writer // access and event logs; nil means os.Stdout
//	    Generation int       // worker generation, for log lines
//	    PID        int
//	}
//	func New(cfg *config.Config, opt Options) (*Engine, error)
//
//	// Serve accepts on ln for the frontend bound to addr (a config
//	// Bind.Addr) until StopAccepting; it then returns nil. Global and
//	// frontend maxconn are enforced by not calling Accept while full, so
//	// excess connections wait in the kernel's accept queue.
//	func (e *Engine) Serve(addr string, ln net.Listener) error
//
//	// StopAccepting makes every Serve return and closes the engine's own
//	// listener descriptors (the sockets live on in the master and the next
//	// generation, so nothing queued is reset). It returns once no accept
//	// loop can accept again.
//	func (e *Engine) StopAccepting()
//
//	// SoftStop starts draining: a keep-alive client connection is closed
//	// only at a request boundary: a response in progress carries
//	// "Connection: close"; an idle one is closed within idleWindow
//	// (spread over it); tunnels continue. Done is closed when no client
//	// connection remains.
//	func (e *Engine) SoftStop(idleWindow time.Duration)
//	func (e *Engine) Done() <-chan struct{}
//
//	// Close closes every connection at once (hard stop).
//	func (e *Engine) Close()
//
//	// Conns returns the number of live client connections.
//	func (e *Engine) Conns() int
