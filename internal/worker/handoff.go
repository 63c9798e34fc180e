package worker

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"syscall"
	"time"
)

// Migrator is implemented by engines that can move idle keep-alive client
// connections between generations (proxy.Engine; see
// notes/handoff-contract.md). Engines without it only soft-stop.
type Migrator interface {
	// HandOff calls send for every idle client connection; a nil error
	// means the connection now lives in the next generation.
	HandOff(send func(bind string, c *net.TCPConn, buffered []byte) error)
	// Adopt serves a connection handed over by the previous generation.
	Adopt(bind string, c net.Conn, buffered []byte) error
}

// TransferKind says what a Transfer carries.
type TransferKind string

const (
	// TransferConn carries one client connection (its descriptor in
	// SCM_RIGHTS), the bind it was accepted on and the bytes already read.
	TransferConn TransferKind = "conn"
	// TransferAck answers the TransferConn with the same ID: Err is empty
	// once the receiver adopted the connection.
	TransferAck TransferKind = "ack"
)

// Transfer is one message on a hand-over channel: a SOCK_SEQPACKET unix
// socket, one message per datagram, JSON, with at most one descriptor.
type Transfer struct {
	ID       uint64       `json:"id"`
	Kind     TransferKind `json:"kind"`
	Bind     string       `json:"bind,omitempty"`
	Buffered []byte       `json:"buffered,omitempty"`
	Err      string       `json:"err,omitempty"`
	// Retry marks an ack refusing a connection only because the receiver
	// no longer serves: a newer generation may take it (the master
	// relays it there) and the sender must not be failed yet.
	Retry bool `json:"retry,omitempty"`
	// Relay (conn) marks the far end of a TLS relay rather than the
	// client's socket, and describes the client (see RelayAdopter).
	Relay []byte `json:"relay,omitempty"`
}

// MaxBuffered bounds the bytes a connection may carry along; a connection
// with more stays in its generation (HAProxy's tune.bufsize is 16 KiB).
const MaxBuffered = 64 << 10

// maxTransfer is the largest datagram: MaxBuffered in base64 plus fields.
const maxTransfer = MaxBuffered*4/3 + 4096

// transferWriteTimeout bounds one datagram write: a peer that stopped
// reading must not stall a hand-over.
const transferWriteTimeout = 5 * time.Second

// WriteTransfer sends t, with descriptor fd unless fd < 0. The descriptor
// stays open: the caller closes its copy.
func WriteTransfer(c *net.UnixConn, t *Transfer, fd int) error {
	if len(t.Buffered) > MaxBuffered {
		return fmt.Errorf("hand-over: %d buffered bytes exceed %d", len(t.Buffered), MaxBuffered)
	}
	body, err := json.Marshal(t)
	if err != nil {
		return fmt.Errorf("hand-over: encode: %w", err)
	}
	var oob []byte
	if fd >= 0 {
		oob = syscall.UnixRights(fd)
	}
	c.SetWriteDeadline(time.Now().Add(transferWriteTimeout))
	if _, _, err := c.WriteMsgUnix(body, oob, nil); err != nil {
		return fmt.Errorf("hand-over: send %s: %w", t.Kind, err)
	}
	return nil
}

// ReadTransfer receives one Transfer and the descriptor it carried (-1 if
// none). The descriptor is close-on-exec (Go receives with
// MSG_CMSG_CLOEXEC) and belongs to the caller. A malformed datagram is an
// error that leaves the channel usable; net.ErrClosed or io.EOF end it.
func ReadTransfer(c *net.UnixConn) (*Transfer, int, error) {
	buf := make([]byte, maxTransfer)
	oob := make([]byte, syscall.CmsgSpace(4*4))
	n, oobn, flags, _, err := c.ReadMsgUnix(buf, oob)
	if err != nil {
		return nil, -1, err
	}
	if n == 0 && oobn == 0 {
		// A zero-length read on SOCK_SEQPACKET is the peer's close.
		return nil, -1, errEndOfChannel
	}
	fd := -1
	if oobn > 0 {
		fds, perr := parseRights(oob[:oobn])
		for i, f := range fds {
			if i == 0 {
				fd = f
			} else {
				syscall.Close(f) // one descriptor per message: drop extras
			}
		}
		if perr != nil {
			err = perr
		}
	}
	if err == nil && (flags&syscall.MSG_TRUNC != 0 || flags&syscall.MSG_CTRUNC != 0) {
		err = errors.New("hand-over: truncated message")
	}
	t := new(Transfer)
	if err == nil {
		if jerr := json.Unmarshal(buf[:n], t); jerr != nil {
			err = fmt.Errorf("hand-over: decode: %w", jerr)
		}
	}
	if err == nil && t.Kind != TransferConn && t.Kind != TransferAck {
		err = fmt.Errorf("hand-over: unknown kind %q", t.Kind)
	}
	if err == nil && (t.Kind == TransferConn) != (fd >= 0) {
		err = fmt.Errorf("hand-over: %s message with%s a descriptor", t.Kind, map[bool]string{true: "", false: "out"}[fd >= 0])
	}
	if err != nil {
		if fd >= 0 {
			syscall.Close(fd)
		}
		return t, -1, &malformedError{err}
	}
	return t, fd, nil
}

// errEndOfChannel is the peer's close of a hand-over channel.
var errEndOfChannel = errors.New("hand-over channel closed by peer")

// malformedError marks a bad datagram: the channel itself is fine.
type malformedError struct{ err error }

func (e *malformedError) Error() string { return e.err.Error() }
func (e *malformedError) Unwrap() error { return e.err }

// IsMalformed reports whether err from ReadTransfer concerns only one
// datagram (the channel goes on).
func IsMalformed(err error) bool {
	var m *malformedError
	return errors.As(err, &m)
}

func parseRights(oob []byte) ([]int, error) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("hand-over: control message: %w", err)
	}
	var fds []int
	for _, m := range msgs {
		got, err := syscall.ParseUnixRights(&m)
		if err != nil {
			return fds, fmt.Errorf("hand-over: control message: %w", err)
		}
		fds = append(fds, got...)
	}
	return fds, nil
}

// TransferSocketpair returns the two ends of a new hand-over channel
// (SOCK_SEQPACKET, close-on-exec) as descriptors.
func TransferSocketpair() ([2]int, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_SEQPACKET|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return [2]int{-1, -1}, fmt.Errorf("hand-over socketpair: %w", err)
	}
	return [2]int{fds[0], fds[1]}, nil
}
