// Package vtc holds Baton's VTest scenarios (*.vtc) and the test that runs
// each of them with varnishtest (Debian's varnish package) against baton
// and against haproxy, the way HAProxy's own regression tests run: the
// binary under test is $HAPROXY_PROGRAM, started as "PROGRAM -d -f CFG"
// with its listening sockets bound by VTest and passed as "fd@${name}".
//
// The scenarios are written from the behaviour HAProxy's manual describes;
// one that does not hold for both binaries is a bug in one of them.
// Run one by hand with:
//
//	go build -o /tmp/baton ./cmd/baton
//	HAPROXY_PROGRAM=/tmp/baton varnishtest test/vtc/env.vtc
package vtc
