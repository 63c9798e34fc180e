// Package h1 is Baton's HTTP/1.1 codec: a strict, allocation-free parser
// for request and response heads, a validating scanner for chunked
// bodies, and writers for heads and canned status responses.
//
// Model. The proxy reads bytes into a pooled buffer and calls
// ParseRequest (or ParseResponse) on it; ErrIncomplete means "read more
// and call again with the longer buffer". On success every []byte in the
// Request aliases the buffer, and HeadLen says where the body (or the
// next pipelined request) starts. Bodies are never decoded: the proxy
// forwards them verbatim, counting ContentLength bytes or feeding a
// ChunkedScanner that says where a chunked body ends.
//
// Strictness. Anything that could let two parsers disagree about where a
// message ends is rejected with an *Error carrying the status to answer
// (RFC 9112; the cases are listed in /work/shared/research/
// reliability-and-bad-input.md section 2):
//
//   - request line: exactly "METHOD SP TARGET SP HTTP/1.x CRLF"; a target
//     is origin-form, absolute-form (http or https, its authority equal
//     to the Host field), authority-form for CONNECT only, or "*" for
//     OPTIONS only; no '#', CTL, SP, DEL or 8-bit bytes. Well-formed
//     HTTP/d.d other than 1.0 and 1.1 is 505; anything else 400.
//   - lines end in CRLF; a bare LF or bare CR is 400, never forwarded.
//     Empty lines before the request line are skipped (RFC 9112 2.2).
//   - field names are tokens directly followed by ':'; values hold no
//     CTL except HTAB; obs-fold and leading whitespace are 400.
//   - Limits.MaxHeaders lines or more (start line included: 100
//     fields by default, as in HAProxy) or a head longer than
//     Limits.MaxHeadBytes is 431 (414 when the request line alone is).
//   - Content-Length is 1 to 15 digits, present at most once, no lists.
//   - Transfer-Encoding must be exactly one "chunked" field (unknown
//     codings 501, malformed lists 400), never in HTTP/1.0.
//     Content-Length with chunked is accepted in HTTP/1.1 requests but
//     the Content-Length field is removed and Close is set (RFC 9112
//     6.1); in a response it is an error.
//   - HTTP/1.1 requests need exactly one valid Host (no space, '@', ',').
//   - an HTTP/1.0 GET, HEAD or DELETE with a non-empty body is 413: an
//     HTTP/1.0 server may ignore that body and read it as a request.
//
// Interim responses (1xx other than 101) have BodyNone: the proxy relays
// them and parses the next response head from the same connection. A 101
// sets Upgrade; the connection is a tunnel from there on.
//
// Response errors carry Status 502: the proxy never relays a response it
// cannot frame. A response without Content-Length or chunked framing
// (and that is not HEAD, 1xx, 204 or 304) is BodyUntilClose with Close.
//
// Hop-by-hop fields are dropped with StripHopByHop; framing and upgrade
// are then known from Body and Upgrade, and the proxy writes its own
// Transfer-Encoding / Connection fields when forwarding.
package h1
