package proxy

import (
	"encoding/json"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"baton/internal/tlsconf"
)

// TLS relay. An idle keep-alive TLS connection cannot move to the next
// generation as a plain one does: Go's TLS state (keys, sequence numbers,
// buffered records) lives in this process. At a hand-over the connection
// therefore stays here as a relay: this generation keeps deciphering,
// and passes the plain bytes both ways over a unix socket pair whose far
// end goes to the next generation (through the same hand-over channel as
// a socket, with the client's address and TLS facts). The next generation
// serves that end as a connection it adopted (AdoptRelay): its rules see
// ssl_fc, the SNI, the client certificate; its log shows the client.
//
// A relayed connection still waiting for its client's next request when
// the next generation is itself reloaded moves on (passRelay): its near
// end is handed to the newest generation like a socket, so the answer
// always comes from the configuration serving when the client speaks.
//
// The relay is bounded: the next generation answers every request on a
// relayed connection with "Connection: close", so the client's next
// request is answered by the new configuration, after which the client
// reconnects, resuming its TLS session (the ticket keys are the master's,
// shared by every generation), straight to the new generation. An idle
// client that sends nothing is closed by the next generation at its
// timeout http-keep-alive, counted from when it went idle here. This
// generation ends the relay when the next one closes its end: it sends
// close_notify and FIN, gives the client lingerTime to close its side,
// and is done; hard-stop-after still bounds it all.
//
// While idle, the relay holds no buffer: each direction waits for its
// source to be readable (RawConn) before taking one from the pool.

// RelaySend passes the far end of a relay to the next generation with the
// connection's description (RelayMeta as JSON); nil means it was adopted.
type RelaySend = func(bind string, peer *net.UnixConn, meta []byte) error

// RelayMeta describes a relayed connection to the next generation.
type RelayMeta struct {
	// Client is the client's address and port.
	Client string `json:"client"`
	// TLS are its TLS facts.
	TLS *tlsconf.Facts `json:"tls"`
	// IdleSince is when it went idle here (Unix nanoseconds): its
	// keep-alive wait goes on from there.
	IdleSince int64 `json:"idle_since,omitempty"`
}

// relaySender holds the engine's RelaySend (see SetRelay).
type relaySender struct{ f atomic.Pointer[RelaySend] }

// SetRelay sets how TLS connections are relayed at a hand-over; without
// it they stay and drain like connections that cannot move.
func (e *Engine) SetRelay(send RelaySend) { e.relay.f.Store(&send) }

// relayOver starts relaying cc to the next generation. On success cc.relay
// is set and the connection's goroutine runs the relay (serve).
func (cc *clientConn) relayOver() bool {
	send := cc.e.relay.f.Load()
	if send == nil {
		return false
	}
	fds, err := syscall.Socketpair(syscall.AF_UNIX, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC|syscall.SOCK_NONBLOCK, 0)
	if err != nil {
		return false
	}
	mine, err := fileConn(fds[0], "relay")
	if err != nil {
		syscall.Close(fds[1])
		return false
	}
	theirs, err := fileConn(fds[1], "relay-peer")
	if err != nil {
		mine.Close()
		return false
	}
	meta, _ := json.Marshal(RelayMeta{Client: cc.src.String(), TLS: cc.facts, IdleSince: cc.idleSince.UnixNano()})
	err = (*send)(cc.bind, theirs, meta)
	theirs.Close() // the next generation holds its own descriptor now
	if err != nil {
		mine.Close()
		return false
	}
	cc.mu.Lock()
	cc.relay = mine
	if cc.closed {
		mine.Close()
	}
	cc.mu.Unlock()
	return true
}

// passRelay hands a relayed connection this generation adopted, still
// waiting for its client's next request, on to the next generation: the
// relay's near end moves (a reload came before the client spoke again),
// and the generation that deciphers keeps relaying to whoever holds it.
func (cc *clientConn) passRelay() bool {
	send := cc.e.relay.f.Load()
	uc, ok := cc.c.(*net.UnixConn)
	if send == nil || !ok || cc.w > cc.r {
		return false
	}
	meta, _ := json.Marshal(RelayMeta{Client: cc.src.String(), TLS: cc.facts, IdleSince: cc.start.Add(-cc.idleFor).UnixNano()})
	cc.unpoll() // the next process shares the open socket
	if err := (*send)(cc.bind, uc, meta); err != nil {
		return false
	}
	cc.mu.Lock()
	cc.handedOver = true
	cc.mu.Unlock()
	return true
}

func fileConn(fd int, name string) (*net.UnixConn, error) {
	f := os.NewFile(uintptr(fd), name)
	c, err := net.FileConn(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		c.Close()
		return nil, fmt.Errorf("%s: not a unix socket", name)
	}
	return uc, nil
}

// runRelay copies bytes between the client (deciphered) and the next
// generation until the next generation closes its end, then closes the
// client connection cleanly.
func (cc *clientConn) runRelay() {
	cc.setActive(stateTunnel)
	cc.releaseBufs()
	cc.dropSession()
	peer := cc.relay
	prc, err := peer.SyscallConn()
	if err != nil {
		return
	}
	var dl relayDeadline
	cc.c.SetDeadline(time.Time{})
	cc.wdl.forget()
	up := make(chan struct{})
	go func() {
		relayCopy(peer, cc.c, cc.raw, &dl)
		peer.CloseWrite() // the client finished: the next generation sees EOF
		close(up)
	}()
	relayCopy(cc.c, peer, prc, nil)
	// The next generation closed: close_notify and FIN, then give the
	// client a moment to close its side (it was told Connection: close).
	cc.closeNotify()
	if cc.tcp != nil {
		cc.tcp.CloseWrite()
	}
	dl.set(cc.c, time.Now().Add(lingerTime))
	<-up
}

// relayDeadline is the client side's read deadline during a relay: none
// until the linger at its end. The copy from the client probes Go's TLS
// buffers with a deadline in the past and puts this one back; the mutex
// keeps a probe from undoing the linger's.
type relayDeadline struct {
	mu    sync.Mutex
	until time.Time
}

func (d *relayDeadline) set(c net.Conn, t time.Time) {
	d.mu.Lock()
	d.until = t
	c.SetReadDeadline(t)
	d.mu.Unlock()
}

func (d *relayDeadline) probe(c net.Conn, on bool) {
	d.mu.Lock()
	if on {
		c.SetReadDeadline(pastDeadline)
	} else {
		c.SetReadDeadline(d.until)
	}
	d.mu.Unlock()
}

// relayCopy copies src to dst until src ends or either fails. Between
// bursts it waits for src's socket to be readable holding no buffer. A
// TLS source (dl set) may hold whole records the socket no longer shows:
// after data it reads again without waiting (probe) until nothing is left.
func relayCopy(dst, src net.Conn, rc syscall.RawConn, dl *relayDeadline) {
	var peek [1]byte
	waitFn := func(fd uintptr) bool {
		_, _, err := syscall.Recvfrom(int(fd), peek[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		return err != syscall.EAGAIN && err != syscall.EINTR
	}
	for {
		if err := rc.Read(waitFn); err != nil {
			return // deadline (linger over) or closed
		}
		b := getBuf()
		ok := relayBurst(dst, src, *b, dl)
		putBuf(b)
		if !ok {
			return
		}
	}
}

// relayBurst moves what src has now. It returns false when src ended or
// a side failed.
func relayBurst(dst, src net.Conn, b []byte, dl *relayDeadline) bool {
	for first := true; ; first = false {
		if !first {
			if dl == nil {
				return true
			}
			dl.probe(src, true)
		}
		n, err := src.Read(b)
		if !first {
			dl.probe(src, false)
		}
		if n > 0 {
			if _, werr := dst.Write(b[:n]); werr != nil {
				return false
			}
		}
		if err != nil {
			return isTimeout(err) && !first
		}
	}
}

// AdoptRelay serves c, the near end of a relay the previous generation
// keeps for a TLS connection accepted on bind, as an adopted keep-alive
// connection with the client's address and TLS facts from meta. Every
// answer closes it (see the top of this file).
func (e *Engine) AdoptRelay(bind string, c net.Conn, meta []byte) error {
	var m RelayMeta
	if err := json.Unmarshal(meta, &m); err != nil {
		return fmt.Errorf("adopt relay %s: %v", bind, err)
	}
	if m.TLS == nil {
		return fmt.Errorf("adopt relay %s: no TLS facts", bind)
	}
	fe := e.frontends[bind]
	if fe == nil {
		return fmt.Errorf("adopt relay %s: no frontend binds this address", bind)
	}
	cc := newClientConn(e, fe, bind, c)
	cc.tlsBind = nil // the previous generation deciphers
	cc.facts, cc.relayed, cc.adopted = m.TLS, true, true
	if ap, err := netip.ParseAddrPort(m.Client); err == nil {
		cc.setSrc(ap)
	}
	if m.IdleSince > 0 {
		if t := time.Unix(0, m.IdleSince); t.Before(cc.start) {
			cc.idleFor = cc.start.Sub(t) // the keep-alive wait goes on
		}
	}
	return e.adopt(cc, fe, bind)
}
