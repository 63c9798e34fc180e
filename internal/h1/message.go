package h1

// The parser works in place: every []byte in Request and Response
// aliases the caller's buffer and is valid only until that buffer is
// reused.

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
	// MaxHeaders is the maximum number of header lines, the start line
	// included (HAProxy's tune.http.maxhdr counts it): 0 means 101, so
	// at most 100 fields.
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
	ContentLength int64 // valid when Body == BodyLength (may be 0)
	// Host is the Host field's value. When the target carries an
	// authority (absolute-form, CONNECT) the two must agree, case aside,
	// or the request is rejected. An HTTP/1.0 request without Host gets
	// the target's authority, or nil for origin-form.
	Host []byte
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
