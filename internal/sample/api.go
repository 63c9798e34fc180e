package sample

// This file fixes the package's entry points; the other files implement them.
//
// sample runs labelled HTTP backends for the demo, the reload tester and
// the end-to-end tests.
//
//	// Server answers every request with 200 and a body naming its label
//	// ("backend <label>\n"), and the headers X-Backend: <label> and
//	// X-Request-Path. Special paths: /slow?ms=N delays the response,
//	// /size?bytes=N sends N bytes, /echo echoes the request body, /headers
//	// returns the received request head verbatim.
//	type Server struct { Addr string; Label string; ... }
//	func Start(addr, label string) (*Server, error)  // addr "127.0.0.1:0" picks a port
//	func (s *Server) Close() error
//	func (s *Server) Requests() int64
