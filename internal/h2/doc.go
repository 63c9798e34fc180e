// Package h2 is Baton's HTTP/2 server side (RFC 9113): the connection's
// frame loop, the stream state machine, flow control, the graceful
// two-phase GOAWAY and the limits that bound what a client can make a
// connection cost. Frames are read and written with
// golang.org/x/net/http2's Framer (a request's HEADERS frame is read
// after the framer's checks into storage the connection keeps, since the
// framer would make one per request) and header blocks decoded and
// encoded with its hpack package; everything above the framing is ours.
//
// Model. One goroutine (Serve's, the proxy connection's) reads every
// frame and owns the protocol state; it never blocks on a stream. Each
// stream's request runs in a goroutine of its own (Handler.ServeStream),
// which reads the request body from the stream's buffer and writes the
// response. Conn.mu guards the stream table, the windows and each
// stream's buffer and flags, with one condition variable for every wait
// (a window opening, body bytes arriving, a reset, a deadline timer);
// Conn.wmu serialises frame writes and the HPACK encoder, whose state
// must follow the order in which header blocks leave. A write holds wmu
// only for one frame (or one header block), bounded by WriteTimeout.
// Frames are buffered: a stream that ends its response owes a flush,
// yields once so that the other streams ready to answer add theirs, and
// then flushes them all in one write (one write per small response was
// most of its cost).
//
// Sockets. A plain TCP connection is read and written with raw system
// calls (internal/sockio), as the proxy's HTTP/1.1 sockets are: the
// goroutine keeps its P through them, and a buffered read that follows a
// short one waits for the poller before reading (idlebuf.go says why
// that wait ends even when a FIN came with the last bytes). A TLS or
// adopted connection goes through net.Conn.
//
// Idle connections. The 16 KiB read and write buffers come from pools
// and go back once no handler has run for 10 ms (idlebuf.go); the
// reading goroutine then waits for the next frame reading straight into
// the framer's 9-byte header, and the first bytes that arrive take the
// buffers again. The goroutine itself stays (about 4 KB of stack).
//
// Proxying. Stream.H1Conn presents a stream as an HTTP/1.1 connection
// carrying one exchange: the request is written out as HTTP/1.1 (with
// Host from :authority, cookies joined, a body without content-length
// sent chunked) and the response read back from HTTP/1.1 into HEADERS
// and DATA frames. So the proxy's HTTP/1.1 path serves HTTP/2 streams
// unchanged: rules, logs, counters, retries and timeouts.
//
// Streams. A HEADERS frame on a new odd ID above every earlier one opens
// a stream (idle -> open, or half-closed (remote) with END_STREAM); DATA
// frames fill its buffer within its receive window; END_STREAM or
// trailers half-close it; the response's END_STREAM (or a RST_STREAM
// either way) closes it. Closed IDs are remembered in a small ring so
// that frames for them get STREAM_CLOSED, while a lower ID never used
// is a PROTOCOL_ERROR. The request is validated as RFC 9113 8.2 and 8.3
// ask before any byte is forwarded: pseudo-header fields, no
// connection-specific fields, te only "trailers", no CR, LF, NUL or
// surrounding whitespace in values (the framer checks names and
// characters), content-length against the DATA received.
//
// Flow control. Each stream advertises Limits.InitialWindowSize and the
// connection 1 MiB; windows are given back as the handler reads (in
// batches of half a window), so a connection buffers at most 1 MiB of
// request body whatever the client does. Sending waits for both of the
// client's windows; a window that stays shut for WriteTimeout resets
// the stream (zero-window stall) rather than holding a request forever.
//
// Limits. More than MaxConcurrentStreams open streams gets
// REFUSED_STREAM. Handlers still running count separately: twice the
// stream limit of them (streams reset while their requests run: rapid
// reset, CVE-2023-44487) closes the connection with ENHANCE_YOUR_CALM.
// A header block whose decoded size passes MaxHeaderListSize is
// ENHANCE_YOUR_CALM (an HPACK bomb's cost stops at the limit); CONTINUATION
// frames past it are a PROTOCOL_ERROR before they are decoded (the
// framer's CVE-2023-45288 guard). Control frames (SETTINGS, PING,
// WINDOW_UPDATE, PRIORITY, RST_STREAM, empty DATA) beyond
// Settings.ControlBudget per second are ENHANCE_YOUR_CALM; replies to
// them are written synchronously, so none is ever queued. Every such
// close sends GOAWAY with the code and reports one line through Logf.
//
// Client side (client.go, clientstream.go). ClientConn is an HTTP/2
// connection to a server ("server ... proto h2", or ALPN h2): one
// goroutine reads its frames; streams wait on its condition variable.
// ClientStream is the mirror of H1Conn: the proxy writes an HTTP/1.1
// request into it (sent as HEADERS, DATA and trailers, hop-by-hop fields
// dropped, te only "trailers") and reads the response back as HTTP/1.1
// (chunked when the server gave no content-length, so trailers survive).
// Reserve counts streams against the server's
// SETTINGS_MAX_CONCURRENT_STREAMS; windows are given back as the proxy
// reads; GOAWAY and REFUSED_STREAM fail the streams the server never
// processed with ErrRefused, which the proxy may retry elsewhere.
//
// Shutdown. Conn.Shutdown sends GOAWAY(2^31-1, NO_ERROR) and a PING;
// the PING's answer (or a second, if none comes) sends the final GOAWAY
// with the highest stream ID opened. Streams up to it are served; the
// connection closes once the last one ends. The caller bounds the whole
// (hard-stop-after) by closing the socket.
package h2
