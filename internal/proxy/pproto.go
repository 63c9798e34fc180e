package proxy

import (
	"bytes"
	"encoding/binary"
	"errors"
	"io"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"baton/internal/config"
	"baton/internal/proxyproto"
	"baton/internal/sockopt"
)

// bindRT is a listener at run time: its options, its name in logs and
// its maxconn slots.
type bindRT struct {
	b    *config.Bind
	name string   // the bind's name, else its position (1, 2, ...)
	slot *limiter // bind maxconn (0: no limit)
	// pos is the bind's position in its frontend (from 1), which names
	// its counters slot; ctr are the listener's counters with option
	// socket-stats, else blocks that count nothing.
	pos int
	ctr objCounters
}

// frontendConn are a frontend's accept-time socket options.
type frontendConn struct {
	keepAlive *sockopt.KeepAlive // clitcpka; nil: off
	noLinger  bool
}

func newFrontendConn(p *config.Proxy) frontendConn {
	var fc frontendConn
	if p.CliTCPKA {
		fc.keepAlive = &sockopt.KeepAlive{Idle: p.CliTCPKAIdle, Interval: p.CliTCPKAIntvl, Count: p.CliTCPKACnt}
	}
	fc.noLinger = p.NoLinger
	return fc
}

// acceptSetup applies the client socket options of the frontend to a new
// connection.
func (cc *clientConn) acceptSetup() {
	fc := &cc.fe.conn
	if fc.keepAlive != nil {
		sockopt.SetKeepAlive(cc.c, *fc.keepAlive)
	}
	if fc.noLinger {
		sockopt.NoLinger(cc.c)
	}
}

// readProxy reads the PROXY header a connection must start with, under
// timeout client, without consuming a byte past it. On success the
// header's addresses become the client's. On failure the event is logged
// as HAProxy logs it and false says to close: nothing was forwarded.
func (cc *clientConn) readProxy() bool {
	dl := deadline(cc.start, cc.fe.p.Timeouts.Client)
	h, raw, err := cc.peekProxy(dl)
	if err != nil {
		var pe *proxyproto.Error
		if !errors.As(err, &pe) {
			pe = proxyproto.Errorf(proxyproto.CodeConnError)
		}
		cc.logConnError(pe)
		return false
	}
	cc.applyProxy(h, raw)
	return true
}

// peekProxy peeks at the socket until the bytes there are a whole
// header, or cannot start one, then consumes exactly the header.
func (cc *clientConn) peekProxy(dl time.Time) (*proxyproto.Header, []byte, error) {
	if cc.raw == nil {
		return nil, nil, proxyproto.Errorf(proxyproto.CodeConnError)
	}
	cc.c.SetReadDeadline(dl)
	defer cc.c.SetReadDeadline(time.Time{})
	buf := make([]byte, 256)
	var (
		h     *proxyproto.Header
		hlen  int
		perr  error
		n     int
		last  = -1
		sysEr error
	)
	err := cc.raw.Read(func(fd uintptr) bool {
		for {
			m, _, e := syscall.Recvfrom(int(fd), buf, syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
			if e == syscall.EAGAIN || e == syscall.EINTR {
				return false
			}
			if e != nil {
				sysEr = e
				return true
			}
			n = m
			if m == 0 {
				return true // EOF
			}
			h, hlen, perr = proxyproto.Parse(buf[:m])
			if perr != proxyproto.ErrIncomplete {
				return true
			}
			if m == len(buf) && len(buf) < proxyproto.MaxV2 {
				buf = make([]byte, min(2*len(buf), proxyproto.MaxV2))
				continue // more may already be there
			}
			if m == last && peerClosed(int(fd)) {
				n = 0 // woken with nothing new: the client closed mid-header
				return true
			}
			last = m
			return false // wait for the next bytes
		}
	})
	switch {
	case err != nil && isTimeout(err):
		return nil, nil, proxyproto.Errorf(proxyproto.CodeTimeout)
	case err != nil || sysEr != nil:
		return nil, nil, proxyproto.Errorf(proxyproto.CodeConnError)
	case n == 0:
		if last > 0 {
			return nil, nil, proxyproto.Errorf(proxyproto.CodeTruncated)
		}
		return nil, nil, proxyproto.Errorf(proxyproto.CodeClosed)
	case perr == proxyproto.ErrIncomplete:
		return nil, nil, proxyproto.Errorf(proxyproto.CodeTruncated)
	case perr != nil:
		return nil, nil, perr
	}
	raw := make([]byte, hlen)
	if _, err := io.ReadFull(cc.c, raw); err != nil {
		return nil, nil, proxyproto.Errorf(proxyproto.CodeConnError)
	}
	h, _, _ = proxyproto.Parse(raw) // the same bytes: TLVs now alias raw
	return h, raw, nil
}

// peerClosed reports whether the client half-closed its side (the socket
// is in CLOSE_WAIT): a peek cannot tell, since the unread bytes stay.
func peerClosed(fd int) bool {
	var ti syscall.TCPInfo
	l := uint32(unsafe.Sizeof(ti))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), syscall.IPPROTO_TCP, syscall.TCP_INFO, uintptr(unsafe.Pointer(&ti)), uintptr(unsafe.Pointer(&l)), 0)
	return e == 0 && (ti.State == 8 /* CLOSE_WAIT */ || ti.State == 7 /* CLOSE */)
}

// applyProxy makes a received header's addresses the client's, in the
// rules' input too.
func (cc *clientConn) applyProxy(h *proxyproto.Header, raw []byte) {
	cc.ppRaw = raw
	cc.pp = h
	if cc.session != nil {
		cc.in.PP = h // fc_rcvd_proxy, fc_pp_*
	}
	if h.Local {
		return
	}
	cc.setSrc(h.Source)
	cc.dst = h.Dest
	if cc.session != nil {
		// The input took the socket's addresses with the session, and
		// an adopted connection may serve a request it brought along
		// before any wait takes a new one.
		cc.in.Src, cc.in.Dst = cc.src, cc.dst
	}
}

// logConnError logs a connection refused before any request, unless the
// frontend does not log, or it sent nothing and dontlognull is set.
func (cc *clientConn) logConnError(pe *proxyproto.Error) {
	p := cc.fe.p
	if !cc.fe.log.Traffic() && !cc.fe.log.Connects() {
		return
	}
	if p.DontLogNull && (pe.Code == proxyproto.CodeClosed || pe.Code == proxyproto.CodeTimeout) {
		return
	}
	name := "?"
	if cc.brt != nil {
		name = cc.brt.name
	}
	date := cc.start.Format("02/Jan/2006:15:04:05.000")
	cc.fe.log.Eventf(cc.fe.log.ErrorLevel(), "%s [%s] %s/%s: %s", cc.src, date, p.Name, name, pe.Error())
}

// handedProxy is the marker that carries a connection's PROXY header to
// the next generation in front of its buffered bytes: the header was
// consumed here, and the next generation must know the client's address.
var handedProxy = []byte("\x00BATON-PP\x00")

// handoverBytes returns what a connection hands over: its buffered
// bytes, after its PROXY header behind the marker when it came with one.
func (cc *clientConn) handoverBytes(buffered []byte) []byte {
	if cc.ppRaw == nil {
		return buffered
	}
	b := append([]byte{}, handedProxy...)
	b = binary.BigEndian.AppendUint16(b, uint16(len(cc.ppRaw)))
	b = append(b, cc.ppRaw...)
	return append(b, buffered...)
}

// adoptProxy takes the PROXY header a handed-over connection carries, if
// any, and returns the bytes after it.
func (cc *clientConn) adoptProxy(buffered []byte) []byte {
	rest, ok := bytes.CutPrefix(buffered, handedProxy)
	if !ok || len(rest) < 2 {
		return buffered
	}
	n := int(binary.BigEndian.Uint16(rest))
	if len(rest) < 2+n {
		return buffered
	}
	raw := append([]byte(nil), rest[2:2+n]...)
	if h, hl, err := proxyproto.Parse(raw); err == nil && hl == n {
		cc.applyProxy(h, raw)
	}
	return rest[2+n:]
}

// bindName is a bind's name in logs: its "name", else its position.
func bindName(b *config.Bind, pos int) string {
	if b.Name != "" {
		return b.Name
	}
	if b.ID > 0 {
		return strconv.Itoa(b.ID)
	}
	return strconv.Itoa(pos)
}
