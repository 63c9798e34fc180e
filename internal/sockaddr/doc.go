// Package sockaddr reads socket addresses in HAProxy's notation, for
// "bind", "stats socket" and the master CLI (-S), and gives each a
// canonical name: the name the configuration, the master's listeners and
// the workers' frontends all key a listening socket by.
//
//	[HOST]:PORT        TCP; no host or "*" is every address (":80"),
//	                   IPv6 in brackets or before the last colon (":::80")
//	ipv4@ADDR          TCP over IPv4 only  -> "ipv4@127.0.0.1:80"
//	ipv6@ADDR          TCP over IPv6 only  -> "ipv6@[::1]:80"
//	/PATH, unix@PATH   a UNIX stream socket file (uxst@ too) -> "unix@/run/x.sock"
//	abns@NAME          a socket in Linux's abstract namespace -> "abns@NAME"
//	fd@N               the already bound socket on inherited descriptor N
//
// For bind, a line may list several addresses separated by commas, and a
// TCP port may be a range LOW-HIGH: each address and port becomes its own
// listener, as in HAProxy. Datagram and QUIC forms (udp@, quic4@, uxdg@,
// ...) and sockpair@ are errors naming the form: Baton's frontends speak
// TCP and HTTP/1.1 over stream sockets.
package sockaddr
