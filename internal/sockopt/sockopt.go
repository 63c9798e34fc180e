package sockopt

import (
	"net"
	"time"
)

// Dial are the options of an outgoing connection, set before connect.
type Dial struct {
	// Device binds the socket to a network interface ("" none).
	Device string
	// Transparent lets the socket use a source address that is not local
	// (the client's, for source usesrc).
	Transparent bool
	// FastOpen sends the first data with the SYN (TCP_FASTOPEN_CONNECT).
	FastOpen bool
}

// KeepAlive are TCP keep-alive settings; zero fields keep the system's.
type KeepAlive struct {
	Idle, Interval time.Duration
	Count          int
}

// SetKeepAlive enables keep-alive probes on c with k's timers.
func SetKeepAlive(c net.Conn, k KeepAlive) error {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return nil
	}
	return tc.SetKeepAliveConfig(net.KeepAliveConfig{Enable: true, Idle: orNeg(k.Idle), Interval: orNeg(k.Interval), Count: countOrNeg(k.Count)})
}

// orNeg maps "unset" to -1, which KeepAliveConfig reads as "leave the
// system's value".
func orNeg(d time.Duration) time.Duration {
	if d <= 0 {
		return -1
	}
	return d
}

func countOrNeg(n int) int {
	if n <= 0 {
		return -1
	}
	return n
}

// NoLinger makes closing c send a reset (SO_LINGER 0), as HAProxy's
// option nolinger.
func NoLinger(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
}

// Listen are the options of a listening socket.
type Listen struct {
	Device      string
	Transparent bool
	// V6Only is 1 for IPV6_V6ONLY, -1 to clear it, 0 for the system's.
	V6Only      int
	DeferAccept bool
	FastOpen    bool
	// Backlog is the listen backlog; 0 means the system's maximum.
	Backlog int
}
