// Package sockopt sets the socket options Baton's configuration can ask
// for, on Linux: TCP keep-alive and its timers (option clitcpka,
// srvtcpka), SO_LINGER 0 (option nolinger), SO_BINDTODEVICE (bind
// interface, source interface), IP_TRANSPARENT (bind transparent, source
// usesrc), TCP Fast Open (bind tfo, server tfo), TCP_DEFER_ACCEPT (bind
// defer-accept), IPV6_V6ONLY (bind v4v6, v6only) and the listen backlog.
//
// Control functions are net.Dialer / net.ListenConfig Control hooks:
// they run on the raw descriptor before connect or bind, which is when
// IP_TRANSPARENT, SO_BINDTODEVICE and TCP_FASTOPEN_CONNECT must be set.
// The others apply to an open connection or listening socket.
package sockopt
