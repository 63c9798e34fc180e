// Package sample runs labelled HTTP/1.1 backends for `baton demo`, the
// reload tester and the end-to-end tests.
//
// A Server speaks HTTP/1.1 over raw TCP rather than through net/http, so
// that it can return the request head byte for byte (/headers), switch a
// connection to a raw echo tunnel (/upgrade) and close a connection on
// demand (/close). Connections are kept alive (HTTP/1.1 default, or
// "Connection: keep-alive" on HTTP/1.0) and pipelined requests are answered
// in order.
//
// Every response carries X-Backend: <label>, X-Request-Path (the path of the
// request target, without the query) and X-Request-Target (the target as
// received). Paths:
//
//	/slow?ms=N       wait N ms, then answer like any other path
//	/size?bytes=N    N bytes of body ('a'..'z' repeated)
//	/echo            the request body, streamed back as it arrives
//	                 (Content-Length in, Content-Length out; chunked in,
//	                 chunked out)
//	/headers         the request head exactly as received
//	/status?code=N   status N (200..599), default body
//	/close           answer with "Connection: close", then close
//	/upgrade         with "Upgrade:" in the request: 101 Switching Protocols,
//	                 Upgrade: websocket, then every byte is echoed raw until
//	                 the client closes; without it: the default answer
//	anything else    200, "backend <label>\n"
//
// HEAD requests get the headers of the matching GET without a body.
// "Expect: 100-continue" is answered with an interim 100 before the body is
// read. Malformed requests get 400 and the connection is closed.
package sample
