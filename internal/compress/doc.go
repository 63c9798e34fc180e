// Package compress is HTTP response compression with HAProxy 2.6's
// meaning: "compression algo|type|offload" and "filter compression".
//
// # Model
//
// Compression is decided twice per exchange, as in HAProxy.
//
// On the request, once the frontend's and the backend's http-request
// rules have run, Choose picks the algorithm from the client's
// Accept-Encoding: every listed coding is weighed by its q-value, the
// highest non-zero q wins, a tie goes to the coding listed first, and a
// coding is matched against the configured algorithms in priority order
// (the last configured first, which is also what "*" picks). When nothing
// matches, "identity", if configured, applies without regard to the
// header. Old "Mozilla/4" user agents (other than MSIE 6 SP2 and MSIE 7+)
// get nothing. "compression offload" then removes Accept-Encoding from
// the request, so the server sends the body uncompressed.
//
// On the response, as read from the server and before any http-response
// rule, Allowed says whether the chosen algorithm applies: both messages
// HTTP/1.1, not a HEAD request, status 200 to 203 (so never a 206
// partial response), a body of known length that is not empty (chunked,
// or Content-Length above zero), no Content-Encoding already, no
// "no-transform" in Cache-Control, at most one ETag and a well-formed
// one, a Content-Type that is not multipart, and, when "compression type"
// lists types, a Content-Type starting with one of them (case aside).
//
// Once the response rules ran, EditHead rewrites the head: Content-Length
// goes (the body is sent chunked to HTTP/1.1 clients; an HTTP/2 stream
// frames it itself), a strong ETag becomes weak, "Vary: Accept-Encoding"
// is added, and Content-Encoding names the coding (none for identity).
//
// # Streaming
//
// A Stream turns a server body (Content-Length or chunked, decoded here)
// into the compressed body in chunked framing. It never holds a whole
// response: its caller feeds it what each read from the server brought
// and asks for a Flush whenever the server has nothing more at once
// (internal/proxy's compress.go), so a slowly streamed response reaches
// the client as it comes. The compressors (package deflate: fixed
// Huffman codes and one greedy match search, the cost per byte of
// HAProxy's libslz; every level is that one, as HAProxy's default
// tune.comp.maxlevel 1 asks) are pooled by format and the Stream's
// buffers are reused, so a compressed response allocates nothing once
// warm (BenchmarkStream64K).
package compress
