package expr

import (
	"net/netip"
	"sync/atomic"
	"time"

	"baton/internal/h1"
	"baton/internal/proxyproto"
	"baton/internal/tlsconf"
)

// Ctx is what fetches read and converters write into: one per client
// connection, reused for each of its requests. The proxy fills the
// exported fields as the connection progresses; rules change some of
// them (set-src, set-dst, set-var, captures). A Ctx is owned by the
// connection's goroutine and is not safe for concurrent use.
type Ctx struct {
	// Src and Dst are the client's and the frontend's addresses (after
	// set-src/set-dst; the PROXY protocol replaces them too).
	Src, Dst netip.AddrPort
	// Frontend, Backend and Server name the proxies of the stream: the
	// backend once one is chosen, the server once one is picked ("" until
	// then).
	Frontend, Backend, Server string
	// Proxies answers fetches about the configuration's proxies (nbsrv,
	// be_conn, ...); nil answers nothing.
	Proxies Proxies

	// Req is the parsed request head, nil before one (TCP mode,
	// tcp-request connection rules) and while a log line is written.
	Req *h1.Request
	// ReqLine is "METHOD TARGET HTTP/1.x" as copied for the log line:
	// what capture.req.* and method read when Req is nil.
	ReqLine []byte
	// ReqBody is the part of the request body already buffered;
	// ReqBodyFinal says it is all of it (or all there will be).
	ReqBody      []byte
	ReqBodyFinal bool
	// FirstRequest is set for a connection's first request.
	FirstRequest bool
	// Resp is the parsed response head, nil before one.
	Resp *h1.Response
	// Response is set while response rules run: the direction-dependent
	// fetches (hdr) then read the response.
	Response bool
	// Status is the status the client gets (a rule may set it).
	Status int
	// CacheHit names the cache the response came from ("" when it did
	// not): res.cache_hit and res.cache_name.
	CacheHit string

	// Payload is what the client sent so far, for TCP content inspection
	// (req.payload, req.len, ...); PayloadFinal says no more will come in
	// time (the inspect delay is over, the buffer is full or the client
	// has shut its side).
	Payload      []byte
	PayloadFinal bool
	// ResPayload and ResPayloadFinal are the same for tcp-response.
	ResPayload      []byte
	ResPayloadFinal bool

	// Stick is the connection's stick-table state (a
	// *sticktable.Tracker: tracked entries, the generation's tables),
	// set by the proxy once per connection; nil means no tables.
	Stick any
	// HTTP2 says the request came on an HTTP/2 stream: req.ver is "2.0"
	// and the log's request line says HTTP/2.0, as in HAProxy, though the
	// head is parsed (and forwarded) as HTTP/1.1.
	HTTP2 bool
	// TLS is the client connection's TLS facts (ssl_fc*, ssl_c_*), set
	// by the proxy after the handshake; nil on a plain connection.
	TLS *tlsconf.Facts
	// PP is the PROXY protocol header the client sent (fc_rcvd_proxy,
	// fc_pp_*: fetch_pp.go), set by the proxy once it is read; nil
	// without one.
	PP *proxyproto.Header
	// hello is the ClientHello parsed from the first helloLen bytes of
	// Payload (req.ssl_*, fetch_tls.go), helloErr why there is none.
	hello    *tlsconf.Hello
	helloErr error
	helloLen int
	// Vars are the variables (see Vars); nil means none can be set.
	Vars *Vars
	// Captures are the request and response capture slots of the
	// frontend; nil means none.
	Captures *Captures
	// UniqueIDFormat builds the unique-id fetch's value the first time a
	// request needs it ("unique-id-format"); nil means none is built.
	UniqueIDFormat *Format
	uniqueID       []byte
	uniqueIDDone   bool

	// RequestIDs is the process's request counter; the request's number
	// (%rt) is taken from it when first needed (RequestID), unless the
	// proxy set one (SetRequestID: the log line's).
	RequestIDs *atomic.Uint64
	requestID  uint64
	requestSet bool

	// Now is the time the request began (date, log variables); the zero
	// time means time.Now.
	Now time.Time

	// payReq is a request parsed from Payload for HTTP fetches in a
	// tcp-mode content rule; payReqLen is the payload length it was
	// parsed from.
	payReq    h1.Request
	payReqLen int
	payReqOK  bool
	payLimits h1.Limits

	// frames hold the Iter and Sample of evaluations in progress (an
	// expression can evaluate another: unique-id builds its format), so
	// that evaluation does not move callers' locals to the heap; depth is
	// the number in use.
	frames [8]frame
	depth  int

	// buf is scratch space for values built while evaluating: converter
	// output, casts, formats. It is only appended to during a request, so
	// earlier values stay intact, and it is emptied by BeginRequest.
	buf []byte
	// out holds what AppendScratch builds: apart from buf, which the
	// fetches and converters of a format append to while it is built.
	out []byte
	// fold is scratch space for case-folded map and ACL lookups.
	fold []byte
}

// Proxies gives fetches what they need of the running proxies. Names are
// those of the configuration; "" means the stream's own proxy.
type Proxies interface {
	// Backend returns the counters of a backend, false when it does not
	// exist.
	Backend(name string) (BackendStats, bool)
	// FrontendConns returns a frontend's current connections.
	FrontendConns(name string) (int64, bool)
	// ServerState returns whether a server of a backend is up (in service
	// and passing its checks) and its current connections; ok is false
	// when it does not exist.
	ServerState(backend, server string) (up bool, conns int64, ok bool)
}

// BackendStats are a backend's counters at one instant.
type BackendStats struct {
	// Usable is the number of servers that can take traffic (nbsrv).
	Usable int
	// Conns is the number of connections the backend holds (be_conn).
	Conns int64
	// Queue is the number of requests waiting for a server.
	Queue int64
	// Slots is the free connection and queue slots of the usable servers
	// (connslots); -1 when a server has no maxconn (unlimited).
	Slots int64
}

// BeginRequest prepares c for a new request on the same connection: the
// scratch buffer is emptied, the request-scoped variables and captures
// are cleared and the unique id is forgotten. Values returned earlier
// must no longer be used.
func (c *Ctx) BeginRequest() {
	c.buf, c.out = c.buf[:0], c.out[:0]
	c.requestSet = false
	c.Req, c.Resp, c.Status, c.Response = nil, nil, 0, false
	c.CacheHit = ""
	c.ReqBody, c.ReqBodyFinal, c.ReqLine = nil, false, nil
	c.uniqueID, c.uniqueIDDone = c.uniqueID[:0], false
	c.Now = time.Time{}
	if c.Vars != nil {
		c.Vars.clear(ScopeTxn)
	}
	if c.Captures != nil {
		c.Captures.reset()
	}
}

// BeginConnection prepares c for a new connection: everything
// BeginRequest does, and the session variables are cleared.
func (c *Ctx) BeginConnection() {
	c.BeginRequest()
	c.Payload, c.PayloadFinal = nil, false
	c.payReqLen, c.payReqOK = 0, false
	c.TLS, c.PP, c.hello, c.helloErr, c.helloLen = nil, nil, nil, nil, -1
	c.ResPayload, c.ResPayloadFinal = nil, false
	c.Frontend, c.Backend, c.Server = "", "", ""
	if c.Vars != nil {
		c.Vars.clear(ScopeSess)
	}
}

type frame struct {
	it Iter
	s  Sample
}

// enter returns a free frame (a new one beyond the fixed depth).
func (c *Ctx) enter() *frame {
	if c.depth < len(c.frames) {
		f := &c.frames[c.depth]
		c.depth++
		return f
	}
	return new(frame)
}

// leave releases a frame taken with enter.
func (c *Ctx) leave(f *frame) {
	if c.depth > 0 && f == &c.frames[c.depth-1] {
		c.depth--
	}
}

// now returns the request's time.
func (c *Ctx) now() time.Time {
	if c.Now.IsZero() {
		c.Now = time.Now()
	}
	return c.Now
}

// UnixMilli is the request's time in milliseconds since the epoch
// (stick tables' clock).
func (c *Ctx) UnixMilli() int64 { return c.now().UnixMilli() }

// Scratch returns the scratch buffer for a caller that builds a value
// (an action's header value): append to it, then hand the grown slice
// back with SetScratch. Bytes appended stay valid until BeginRequest.
func (c *Ctx) Scratch() []byte { return c.buf }

// SetScratch stores the grown scratch buffer.
func (c *Ctx) SetScratch(b []byte) { c.buf = b }

// take returns the bytes appended to the scratch buffer since start,
// capped so a later append cannot overwrite them.
func (c *Ctx) take(start int) []byte { return c.buf[start:len(c.buf):len(c.buf)] }

// UniqueID returns the request's unique id, built on first use from
// UniqueIDFormat; nil when there is no format.
func (c *Ctx) UniqueID() ([]byte, bool) {
	if c.uniqueIDDone {
		return c.uniqueID, c.UniqueIDFormat != nil
	}
	c.uniqueIDDone = true
	if c.UniqueIDFormat == nil {
		return nil, false
	}
	c.uniqueID = c.UniqueIDFormat.Append(c.uniqueID[:0], c)
	return c.uniqueID, true
}

// Captures are a frontend's capture slots for one request: "capture
// request header", "declare capture" and "http-request capture" fill
// them, capture.req.hdr and the log line's %hr read them.
type Captures struct {
	Req, Res []Capture
}

// Capture is one slot: at most Len bytes, Set once something was stored.
type Capture struct {
	Len   int
	Set   bool
	Value []byte
}

// NewCaptures returns slots of the given lengths.
func NewCaptures(req, res []int) *Captures {
	c := &Captures{Req: make([]Capture, len(req)), Res: make([]Capture, len(res))}
	for i, n := range req {
		c.Req[i].Len = n
		c.Req[i].Value = make([]byte, 0, n)
	}
	for i, n := range res {
		c.Res[i].Len = n
		c.Res[i].Value = make([]byte, 0, n)
	}
	return c
}

// Store copies v (cut to the slot's length) into slot i of the request
// (res false) or response slots; a missing slot is ignored, as in
// HAProxy.
func (c *Captures) Store(res bool, i int, v []byte) {
	slots := c.Req
	if res {
		slots = c.Res
	}
	if i < 0 || i >= len(slots) {
		return
	}
	s := &slots[i]
	if len(v) > s.Len {
		v = v[:s.Len]
	}
	s.Value = append(s.Value[:0], v...)
	s.Set = true
}

func (c *Captures) reset() {
	for i := range c.Req {
		c.Req[i].Set, c.Req[i].Value = false, c.Req[i].Value[:0]
	}
	for i := range c.Res {
		c.Res[i].Set, c.Res[i].Value = false, c.Res[i].Value[:0]
	}
}

// SetRequestID numbers the request (%rt).
func (c *Ctx) SetRequestID(n uint64) { c.requestID, c.requestSet = n, true }

// RequestID is the request's number (%rt): the one set, else the next of
// RequestIDs (0 without a counter).
func (c *Ctx) RequestID() uint64 {
	if !c.requestSet && c.RequestIDs != nil {
		c.SetRequestID(c.RequestIDs.Add(1) - 1)
	}
	return c.requestID
}
