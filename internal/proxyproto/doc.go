// Package proxyproto reads and writes the PROXY protocol header (versions 1
// and 2), the line or block a load balancer puts in front of a TCP stream
// to pass on the client's address.
//
// # Reading
//
// Parse looks at the first bytes of a connection, which the caller peeks
// (MSG_PEEK) so that nothing past the header is consumed: it returns the
// header and its length once it is complete, ErrIncomplete while more
// bytes could still make a valid header, or an *Error carrying HAProxy's
// reason ("Received something which does not look like a PROXY protocol
// header", "Received an invalid PROXY protocol header", ...). The caller
// then reads exactly the header's length, so the application data after it
// stays in the socket, untouched.
//
// The rules are HAProxy 2.6's: a version 1 line is at most 107 bytes,
// "PROXY TCP4|TCP6 SRC DST SPORT DPORT\r\n" or "PROXY UNKNOWN ...\r\n"; a
// version 2 block has the 12-byte signature, version 2, command LOCAL or
// PROXY, and a length that covers the addresses and the TLVs, which must
// tile the rest exactly. A CRC32C TLV is verified, an authority longer
// than 255 bytes or a unique ID longer than 128 bytes is refused. The
// addresses of a PROXY command replace the connection's only for TCP over
// IPv4 or IPv6; LOCAL, UNKNOWN and other families keep the real ones
// (Header.Local). Unlike HAProxy, a version 1 port above 65535 is refused
// rather than truncated.
//
// # Writing
//
// AppendV1 and AppendV2 build the header a server receives ("send-proxy",
// "send-proxy-v2"): a client address and the address it reached, or, when
// either is not an IP address (a health check, a UNIX socket), the LOCAL
// form ("PROXY UNKNOWN" in version 1). Mixed families are sent as IPv6,
// the IPv4 address mapped. Version 2 may carry TLVs and a CRC32C.
package proxyproto
