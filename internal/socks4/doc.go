// Package socks4 is the client side of a SOCKS4 CONNECT, the tunnel a
// server's "socks4 <addr>:<port>" option puts in front of every
// connection to it (and "check-via-socks4" in front of its checks).
//
// The connection goes to the SOCKS4 proxy; the client writes the 9+7
// byte request (version 4, command 1 CONNECT, the destination's port and
// IPv4 address, and the user id "HAProxy" with its NUL, as HAProxy 2.6
// sends it), then reads the proxy's 8-byte reply. The second reply byte
// must be 90 (0x5A, "request granted"); 91 to 93 or anything else is a
// refusal, and a proxy that closes or sends fewer than 8 bytes fails the
// connection too. The destination must be an IPv4 address: SOCKS4 has no
// other (HAProxy has no SOCKS4a host names either).
//
// After a granted reply the connection is the server's: whatever goes on
// it next (a PROXY protocol header, a TLS handshake, the request) is what
// it would be on a direct connection, in that order, as in HAProxy.
package socks4
