package socks4

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"time"
)

const (
	version    = 4
	cmdConnect = 1
	granted    = 90
	replyLen   = 8
	// userID is what HAProxy 2.6 sends as the user id.
	userID = "HAProxy\x00"
)

// RequestLen is the size of a CONNECT request.
const RequestLen = 8 + len(userID)

// ErrNotIPv4 is returned for a destination SOCKS4 cannot name.
var ErrNotIPv4 = errors.New("socks4: the destination is not an IPv4 address")

// RejectedError is a reply other than "request granted".
type RejectedError struct{ Code byte }

func (e *RejectedError) Error() string {
	return fmt.Sprintf("socks4: the proxy refused the connection (reply code %d)", e.Code)
}

// IOError is a handshake that failed writing the request or reading
// the reply (the proxy closed, reset, or ran out of time). It unwraps to
// the I/O error, so timeouts stay recognisable.
type IOError struct {
	// Reading: the reply could not be read; false: the request could
	// not be written.
	Reading bool
	Err     error
}

func (e *IOError) Error() string {
	if e.Reading {
		return "socks4: reading the reply: " + e.Err.Error()
	}
	return "socks4: writing the request: " + e.Err.Error()
}

func (e *IOError) Unwrap() error { return e.Err }

// AppendRequest appends the CONNECT request for dst to b.
func AppendRequest(b []byte, dst netip.AddrPort) ([]byte, error) {
	a := dst.Addr().Unmap()
	if !a.Is4() {
		return b, ErrNotIPv4
	}
	ip := a.As4()
	b = append(b, version, cmdConnect, byte(dst.Port()>>8), byte(dst.Port()))
	b = append(b, ip[:]...)
	return append(b, userID...), nil
}

// CheckReply reads the proxy's 8-byte reply.
func CheckReply(r []byte) error {
	if len(r) < replyLen {
		return io.ErrUnexpectedEOF
	}
	if r[1] != granted {
		return &RejectedError{Code: r[1]}
	}
	return nil
}

// Handshake asks the proxy at the other end of c to connect to dst and
// reads its answer, all before deadline (zero: none). On success c
// carries the tunnel, with nothing of the server's data consumed.
func Handshake(c net.Conn, dst netip.AddrPort, deadline time.Time) error {
	var buf [RequestLen]byte
	req, err := AppendRequest(buf[:0], dst)
	if err != nil {
		return err
	}
	c.SetDeadline(deadline)
	defer c.SetDeadline(time.Time{})
	if _, err := c.Write(req); err != nil {
		return &IOError{Err: err}
	}
	reply := buf[:replyLen]
	if _, err := io.ReadFull(c, reply); err != nil {
		if err == io.EOF {
			err = io.ErrUnexpectedEOF
		}
		return &IOError{Reading: true, Err: err}
	}
	return CheckReply(reply)
}
