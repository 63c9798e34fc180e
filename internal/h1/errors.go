package h1

import (
	"errors"
	"strconv"
)

// Error is a parse error. Status is what to answer a client with (400,
// 414, 431, 501 or 505); response parse errors carry 502, the status the
// proxy answers its client with when a server's response is unusable.
type Error struct {
	Status int
	Reason string
}

func (e *Error) Error() string {
	return "h1: " + strconv.Itoa(e.Status) + " " + StatusText(e.Status) + ": " + e.Reason
}

// ErrIncomplete means the buffer does not yet hold a whole head (or a
// whole chunked body, for the scanner's callers): read more and retry.
var ErrIncomplete = errors.New("h1: incomplete message head")

// Errors are preallocated so that rejecting junk costs no allocation.
func newErr(status int, reason string) *Error { return &Error{Status: status, Reason: reason} }

var (
	errBareLF          = newErr(400, "line ends with bare LF")
	errBareCR          = newErr(400, "bare CR")
	errMethod          = newErr(400, "invalid method")
	errRequestLine     = newErr(400, "malformed request line")
	errTarget          = newErr(400, "invalid request target")
	errTargetForm      = newErr(400, "request target form not allowed for method")
	errVersion         = newErr(400, "malformed HTTP version")
	errVersionUnsupp   = newErr(505, "unsupported HTTP version")
	errURITooLong      = newErr(414, "request line too long")
	errHeadTooLarge    = newErr(431, "header block too large")
	errTooManyHeaders  = newErr(431, "too many header fields")
	errHeaderName      = newErr(400, "invalid header field name")
	errHeaderValue     = newErr(400, "invalid header field value")
	errObsFold         = newErr(400, "obsolete line folding or leading whitespace")
	errContentLength   = newErr(400, "invalid Content-Length")
	errDupCL           = newErr(400, "several Content-Length values")
	errTEMalformed     = newErr(400, "malformed Transfer-Encoding")
	errTEUnsupported   = newErr(501, "unsupported transfer coding")
	errTEDup           = newErr(400, "several Transfer-Encoding fields")
	errTEHTTP10        = newErr(400, "Transfer-Encoding in an HTTP/1.0 request")
	errBodyHTTP10      = newErr(413, "body in an HTTP/1.0 GET, HEAD or DELETE request")
	errHostMissing     = newErr(400, "missing Host")
	errHostDup         = newErr(400, "several Host fields")
	errHostInvalid     = newErr(400, "invalid Host")
	errHostMismatch    = newErr(400, "Host does not match the request target's authority")
	errChunkSize       = newErr(400, "invalid chunk size")
	errChunkExt        = newErr(400, "invalid chunk extension")
	errChunkCRLF       = newErr(400, "chunk not terminated by CRLF")
	errChunkTrailer    = newErr(400, "invalid trailer field")
	errChunkExtTooLong = newErr(400, "chunk extensions too long")
	errTrailerTooLarge = newErr(400, "trailer section too large")
)

// Response errors all map to 502: the proxy never relays a response it
// cannot frame unambiguously.
var (
	errRespStatusLine = newErr(502, "malformed status line")
	errRespVersion    = newErr(502, "unsupported HTTP version in response")
	errRespStatus     = newErr(502, "invalid status code")
	errRespReason     = newErr(502, "invalid reason phrase")
)

// asResponseErr turns a shared request-side error into the 502 the proxy
// answers when a server sends it, keeping the reason.
func asResponseErr(e *Error) *Error {
	if e == nil || e.Status == 502 {
		return e
	}
	r, ok := respErrs[e]
	if !ok {
		return newErr(502, e.Reason)
	}
	return r
}

var respErrs = func() map[*Error]*Error {
	m := make(map[*Error]*Error)
	for _, e := range []*Error{errBareLF, errBareCR, errHeadTooLarge, errTooManyHeaders,
		errHeaderName, errHeaderValue, errObsFold, errContentLength, errDupCL,
		errTEMalformed, errTEUnsupported, errTEDup, errTEHTTP10} {
		m[e] = newErr(502, e.Reason)
	}
	return m
}()
