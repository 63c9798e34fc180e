package h1

// This file fixes the codec's types and entry points. The parser works in
// place: every []byte in Request and Response aliases the caller's buffer
// and is valid only until that buffer is reused.

// Header is one header field; Name and Value alias the parse buffer (or
// caller-provided bytes after SetHeader/AddHeader). Value has no leading
// or trailing whitespace.
type Header struct {
	Name, Value []byte
}

// BodyKind says how a message body is framed.
type BodyKind uint8

const (
	BodyNone       BodyKind = iota // no body
	BodyLength                     // Content-Length bytes
	BodyChunked                    // chunked transfer coding
	BodyUntilClose                 // responses only: read until EOF
)

// Limits bound what the parser accepts. The zero value means the defaults
// noted on each field.
type Limits struct {
	// MaxHeaders is the maximum number of header fields (HAProxy's
	// tune.http.maxhdr); 0 means 101.
	MaxHeaders int
	// MaxHeadBytes is the maximum size of the head (request line and
	// headers with the final CRLF); 0 means 16384 (tune.bufsize).
	MaxHeadBytes int
}

// Request is a parsed request head. Reuse one per connection; Parse resets it.
type Request struct {
	Method []byte
	Target []byte
	// Minor is the minor HTTP version: 0 for HTTP/1.0, 1 for HTTP/1.1.
	Minor   int
	Headers []Header

	// Framing and connection semantics, derived while parsing.
	Body          BodyKind
	ContentLength int64 // valid when Body == BodyLength
	Host          []byte
	// Close is set when the client asked for the connection to close
	// after this exchange ("Connection: close", or HTTP/1.0 without
	// "Connection: keep-alive").
	Close bool
	// Upgrade is set for "Connection: upgrade" with an Upgrade header.
	Upgrade bool
	// Expect100 is "Expect: 100-continue".
	Expect100 bool
	// HadCLAndTE is set when the request carried both Content-Length and
	// Transfer-Encoding: chunked; the body is framed as chunked, the
	// Content-Length header has been removed and the connection must be
	// closed after the response (RFC 9112 section 6.1).
	HadCLAndTE bool
	// HeadLen is the number of bytes of the head, final CRLF included.
	HeadLen int
}

// Response is a parsed response head.
type Response struct {
	Minor   int
	Status  int
	Reason  []byte
	Headers []Header

	Body          BodyKind
	ContentLength int64
	Close         bool
	// Upgrade is set for a 101 Switching Protocols response.
	Upgrade bool
	HeadLen int
}

// Error is a parse error with the status to answer the client with
// (400, 413, 414, 431, 501 or 505); for responses the proxy answers 502.
//
//	type Error struct { Status int; Reason string }
//
// ErrIncomplete means the buffer does not yet hold a whole head.
//
//	var ErrIncomplete error
//
// Entry points (implemented in parse.go, chunked.go, write.go):
//
//	func ParseRequest(buf []byte, r *Request, lim *Limits) error
//	func ParseResponse(buf []byte, r *Response, head bool, lim *Limits) error
//	    head reports that the request was HEAD (no response body).
//	    1xx, 204 and 304 have no body; 101 sets Upgrade.
//
//	type ChunkedScanner struct{ ... }
//	func (s *ChunkedScanner) Reset()
//	func (s *ChunkedScanner) Scan(p []byte) (n int, done bool, err error)
//	    Scan validates chunked-body bytes and returns how many bytes of p
//	    belong to the body (chunk sizes, data, last chunk and trailers),
//	    to be forwarded verbatim; done is true once the whole body,
//	    trailers and final CRLF included, has been consumed.
//
//	func (r *Request) Path() []byte          // target without query; path of absolute-form
//	func (r *Request) Header(name string) ([]byte, bool)  // first value, case-insensitive, no allocation
//	func (r *Request) SetHeader(name string, value []byte)  // replace all, or append
//	func (r *Request) AddHeader(name string, value []byte)
//	func (r *Request) DelHeader(name string)
//	func (r *Response) Header / SetHeader / AddHeader / DelHeader  // same
//	func StripHopByHop(h []Header) []Header  // drops Connection, Keep-Alive,
//	    Proxy-Connection, TE, Trailer, Transfer-Encoding, Upgrade and any
//	    header named in Connection; in place, no allocation
//	func AppendRequestHead(dst []byte, r *Request) []byte   // request line, headers, CRLF
//	func AppendResponseHead(dst []byte, r *Response) []byte // status line, headers, CRLF
//	func AppendStatusResponse(dst []byte, status int, close bool) []byte
//	    a complete small HAProxy-style error/status response (e.g. 503
//	    with a short HTML body), with "Connection: close" when close.
