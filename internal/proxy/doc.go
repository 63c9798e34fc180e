// Package proxy is Baton's data path: one Engine per worker generation
// serves every frontend of a configuration on listeners handed to it.
//
// # Model
//
// New compiles each frontend's rules and builds one backend.Backend per
// backend (a listen section with servers and no default_backend is its own
// backend). Serve runs an accept loop per listener; a connection slot
// (global and frontend maxconn) is taken before Accept, so excess clients
// wait in the kernel's accept queue instead of being refused.
//
// Each client connection is one goroutine holding a clientConn: the
// parsed request and response structs, a rules input and verdict, and
// the I/O vectors are reused for every request, so a keep-alive request
// allocates nothing in steady state. Buffers (16 KiB, tune.bufsize) come
// from a pool and are returned when the connection goes idle. A
// connection that just answered first reads for its client's next
// request directly into the buffer it holds, for Options.HotWait (5 ms):
// a busy keep-alive client's request arrives within that, and a read that
// finds nothing plus one that gets it cost less than parking and waking.
// This hot read is an idle wait like any other (kicks, deadlines). An idle
// (or fresh) connection with nothing to read parks (park.go): it is armed
// in one process-wide epoll set (EPOLLONESHOT) and its goroutine exits,
// so an idle connection costs no stack. Readability, its idle deadline
// (one timer shared by all parked connections scans them), a
// kick (soft stop, hand-over) or a hard stop starts one goroutine again,
// which re-enters the wait it left; the socket's read deadline still
// decides how the wait ends. Only the connection's goroutine reads the
// socket; the poller never does, and the registration is deleted before
// the descriptor is closed or handed over.
//
// HTTP exchange: the head is read under one deadline (timeout
// http-request) and parsed in place by h1; the frontend's http-request
// rules may answer directly; otherwise the backend is chosen, its own
// http-request rules run (and may answer), hop-by-hop fields are
// stripped and the framing and connection fields re-added, a server is
// acquired (timeout queue), a pooled idle connection reused or a new one
// dialled (timeout connect), and head plus buffered body go out in one
// writev. Failures are retried (retry.go) with HAProxy's rules: retries,
// retry-on, option redispatch and its interval, the turn-around pause
// before a retry on the same server. A request whose bytes reached a
// server is retried when retry-on asks for it (empty, junk or late
// response, a listed status) and its whole body was in the buffer, or
// when a reused pooled connection failed before any response byte and
// the request is idempotent and wholly buffered. The response head is read under timeout
// server (checking every second whether the client went away), 1xx are
// relayed, the backend's then the frontend's http-response rules
// applied, and the body streamed. A server
// failing mid-body leaves the client with a visibly truncated response.
// The server connection goes back to its pool when both sides allow it.
// On plain TCP sockets the exchange's reads and writes are raw system
// calls inside the sockets' RawConn (internal/sockio, wrapped in
// rawio.go): the goroutine keeps its P through them, and the hot read
// waits for readiness before reading.
//
// A mode tcp frontend's connection routed to a mode http backend, or
// switched by "tcp-request content switch-mode http", is served as HTTP
// from then on (upgrade.go): serveTCP chose on the raw bytes, which stay
// in the buffer for serveHTTP.
//
// A 101 answer to an Upgrade request, and every TCP-mode connection,
// becomes a pipe: two io.Copy directions (splice(2) between TCP sockets on
// Linux) run in rounds bounded by read deadlines, so one shared idle clock
// can enforce timeout client/server (or tunnel, and client-fin/server-fin
// once a side half-closed).
//
// Connection states (fresh, idle, active, tunnel) are tracked per
// connection. A fresh connection has not sent its first request; an idle
// one has completed at least one exchange. SoftStop closes idle
// connections spread over a window (one answered a moment ago gets a
// short grace to send its next request), makes responses in progress
// carry "Connection: close", and leaves tunnels to finish. A fresh
// connection is never closed by a soft stop: its client could not know a
// close was coming, so its request is served (with "Connection: close")
// within timeout http-request. Done fires when no connection remains.
//
// Hand-over (HandOff/Adopt, the worker's Migrator): HandOff drains like
// SoftStop, then wakes every fresh or idle connection with a deadline in
// the past, which consumes nothing. Its goroutine peeks: with no byte
// pending it passes its socket to send and, on success, closes only its
// own descriptor (the next process holds a duplicate, so no FIN is sent
// and nothing is logged); with a request started, or when send fails, it
// stays and is served or drained. Adopt serves a received connection as
// freshly accepted (never blocking on maxconn); its first wait is a
// keep-alive wait.
//
// TLS (tls.go, tlsrelay.go, inspect.go): a connection accepted on an
// "ssl" bind waits for its first bytes like any other (so a hand-over can
// still move it as a plain socket), then its goroutine runs the handshake
// under timeout client counted from the accept, and cc.c becomes the
// *tls.Conn; the socket stays in cc.tcp/cc.raw for peeking and parking.
// The TLS facts (tlsconf.Facts) are computed once and given to the rules
// of every request (ssl_fc, ...); log lines show the frontend as "name~".
// Go's TLS may hold whole records the socket no longer shows, so an idle
// TLS connection reads once with a past deadline before it parks. Heads
// and first body bytes go out as one record. Servers with "ssl" are
// dialled with TLS (handshake under timeout connect), their sessions
// resumed from a cache per server and name; a pooled TLS connection is
// reused only for the same SNI. At a hand-over, an idle TLS connection
// cannot move: it is relayed to the next generation (see tlsrelay.go).
// In mode tcp, tcp-request content rules read the client's first bytes
// (inspect), parsing a ClientHello for the req.ssl_* fetches, and send
// them to the chosen server before piping.
//
// HTTP/2 (h2.go, internal/h2): a connection whose TLS handshake chose
// "h2", or any on a "proto h2" bind, runs the h2 frame loop instead of
// the HTTP/1.1 one, in the tunnel state (never closed as idle, never
// handed over). Each stream is served by a clientConn of its own over
// the stream's HTTP/1.1 view, so it takes the exchange path above
// unchanged. Soft stop and hand-over start the two-phase GOAWAY.
//
// Health checks (internal/health) of backends with checked servers start
// with the first Serve and stop on Close or Done; each up/down transition
// is an event line in the access log. Resolvers (internal/resolve) run
// alongside them: they change servers' addresses through the backends'
// atomics, never through the data path, and start from the state the
// previous generation published (Options.ResolverState). The rules'
// do-resolve actions ask the same Runtime (rules.Input.Resolver): only
// the request's goroutine waits for the answer. Command answers
// the runtime API lines the master CLI forwards ("@1 show resolvers").
//
// # Operations
//
// Counting (stats.go): with Options.Counters, each frontend, backend and
// server has a slot of the shared counters segment (internal/counters),
// found by name when the engine is built; a connection picks its shard
// once and adds into it with atomics, so a request allocates nothing more.
// The engine is the runtime API's Target (runtime.go): it answers the
// commands a worker receives from the master's sessions, with the views
// of internal/stats and the server state of servers.go, which publishes
// each server's runtime state to the segment and, at start, carries the
// previous generation's by name (the file-wins rules are documented in
// doc/management.md). dynamic.go adds and removes servers at run time,
// capture.go keeps the last invalid request and response per proxy for
// show errors, limit.go is the resizable maxconn limiter (set maxconn),
// service.go answers monitor-uri, the stats page (statspage.go, through
// internal/statspage) and use-service prometheus-exporter (through
// internal/promexport) before the proxy's rules.
package proxy
