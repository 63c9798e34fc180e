// Package persist is cookie persistence: the "cookie" line of a backend
// and its servers' "cookie" values, which keep a client on the server
// that first answered it, as HAProxy does.
//
// # Model
//
// A Cookie is compiled once per configuration load from the backend's
// line. On a request, Request finds the persistence cookie among the
// Cookie headers and returns the value naming a server (in prefix mode,
// the part before '~'); it also edits the headers the server will see:
// in insert mode with indirect the cookie is removed, in prefix mode the
// server part is stripped. The proxy then sends the request to the
// server whose value it is, when that server can take it. On the
// response, Response applies the mode: insert adds a Set-Cookie naming
// the server that answered (unless the client already had it: the
// the cookie chose it; unless the request was not a POST, with postonly; unless the
// server set the cookie itself, with preserve), rewrite replaces the
// value of the server's own cookie, prefix prefixes it.
//
// A server's value is its "cookie" option, or with "dynamic" a hash of
// the backend's dynamic-cookie-key, the server's current address and
// port (XXH64 over the key, the address bytes and the port as 4
// big-endian bytes, as 16 hex digits: HAProxy's value, so a client keeps
// its server when the proxy in front of it changes from one to the
// other).
//
// # Allocation
//
// Values are built in the caller's scratch buffer (the rules' per-request
// scratch), which lives until the next request: nothing allocates per
// request.
package persist
