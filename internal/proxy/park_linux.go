package proxy

import (
	"os"
	"sync"
	"syscall"
	"time"
)

// idlePoller is the process's shared epoll set for parked connections:
// idle keep-alive (and fresh) client connections whose goroutine has
// exited. One goroutine waits on the set; the epoll descriptor itself is
// registered with Go's netpoller, so that goroutine sleeps like any
// network read and no thread is blocked in epoll_wait.
//
// Ownership of a parked socket: its descriptor is in two epoll sets,
// Go's (edge-triggered, since the connection was created) and this one
// (EPOLLONESHOT, armed by park). Nobody reads a parked socket: the
// poller only learns that it became readable (or hung up) and starts a
// goroutine again (clientConn.wake), which then owns and reads it
// through the net.Conn as before. The one-shot registration stays in
// the set, disarmed, and is re-armed by the next park; it is deleted
// (unpoll) by the connection's own goroutine before its descriptor is
// closed or handed over, since a descriptor passed to another process
// keeps its open file, and with it the registration, alive.
type idlePoller struct {
	epfd int
	rc   syscall.RawConn // epfd as a pollable file

	mu   sync.Mutex
	byFD []*clientConn // parked (or once parked) connection by descriptor
	// One timer for every parked connection's idle deadline: it fires
	// at the earliest one (next, Unix nanoseconds, 0 when unset) and
	// expire scans byFD. A scan costs a pointer load per descriptor, so
	// scans are at least expireStep apart.
	timer *time.Timer
	next  int64
}

// expireStep bounds the scan rate (and so how late an idle deadline can
// be noticed).
const expireStep = 10 * time.Millisecond

// schedule makes sure the shared timer fires by dl (Unix nanoseconds).
func (p *idlePoller) schedule(dl int64) {
	p.mu.Lock()
	if p.next == 0 || dl < p.next {
		p.next = dl
		p.timer.Reset(time.Duration(dl - time.Now().UnixNano()))
	}
	p.mu.Unlock()
}

// expire wakes every parked connection whose idle deadline passed (its
// goroutine then ends the wait by the socket's deadline) and sets the
// timer for the earliest remaining one. A connection still parking with
// a passed deadline is woken too (its park fails and it waits in its
// goroutine); one parking with a later deadline counts for the next
// scan, since its schedule may have come before this scan reset next.
func (p *idlePoller) expire() {
	now := time.Now().UnixNano()
	var next int64
	p.mu.Lock()
	for _, cc := range p.byFD {
		if cc == nil {
			continue
		}
		if st := cc.parkState.Load(); st != parkParked && st != parkParking {
			continue
		}
		dl := cc.parkDL.Load()
		switch {
		case dl == 0:
		case dl <= now:
			cc.wake()
		case next == 0 || dl < next:
			next = dl
		}
	}
	p.next = next
	if next != 0 {
		next = max(next, now+int64(expireStep))
		p.timer.Reset(time.Duration(next - now))
	}
	p.mu.Unlock()
}

var (
	pollerOnce   sync.Once
	sharedPoller *idlePoller // nil when epoll is unavailable
)

// pollReg is a connection's registration in the shared poller, touched
// only by the goroutine that owns the connection.
type pollReg struct {
	pollFD int // registered descriptor + 1; 0 means none
	pollEv syscall.EpollEvent
}

// idlePollerFor returns the shared poller, starting it on first use; nil
// means connections wait in their goroutine.
func idlePollerFor() *idlePoller {
	pollerOnce.Do(func() {
		epfd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			return
		}
		if err := syscall.SetNonblock(epfd, true); err != nil {
			syscall.Close(epfd)
			return
		}
		f := os.NewFile(uintptr(epfd), "idle-poller")
		rc, err := f.SyscallConn()
		if err != nil {
			f.Close()
			return
		}
		p := &idlePoller{epfd: epfd, rc: rc}
		p.timer = time.AfterFunc(time.Hour, p.expire)
		p.timer.Stop()
		go p.run(f)
		sharedPoller = p
	})
	return sharedPoller
}

// run waits for parked connections to become readable and wakes them.
// f is kept referenced so that the epoll descriptor is never closed.
func (p *idlePoller) run(f *os.File) {
	events := make([]syscall.EpollEvent, 256)
	n := 0
	collect := func(fd uintptr) bool {
		var err error
		n, err = syscall.EpollWait(int(fd), events, 0)
		if err != nil {
			n = 0
			return err != syscall.EINTR && err != syscall.EAGAIN
		}
		return n > 0
	}
	for {
		err := p.rc.Read(collect)
		if err != nil {
			// Only a closed descriptor ends this; it is never closed.
			_ = f
			return
		}
		for i := 0; i < n; i++ {
			fd := int(events[i].Fd)
			p.mu.Lock()
			var cc *clientConn
			if fd < len(p.byFD) {
				cc = p.byFD[fd]
			}
			p.mu.Unlock()
			if cc != nil {
				// A stale event (the connection was woken otherwise, or
				// the descriptor now belongs to another parked
				// connection) only makes a goroutine look and park again.
				cc.wake()
			}
		}
	}
}

// arm registers fd for one readability report to cc. Called by the
// connection's goroutine inside RawConn.Control (the descriptor cannot be
// closed meanwhile).
func (p *idlePoller) arm(cc *clientConn, fd int) error {
	p.mu.Lock()
	if fd >= len(p.byFD) {
		n := 2 * len(p.byFD)
		if n <= fd {
			n = fd + 1024
		}
		grown := make([]*clientConn, n)
		copy(grown, p.byFD)
		p.byFD = grown
	}
	p.byFD[fd] = cc
	p.mu.Unlock()
	cc.pollEv = syscall.EpollEvent{Events: syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT, Fd: int32(fd)}
	op := syscall.EPOLL_CTL_ADD
	if cc.pollFD == fd+1 {
		op = syscall.EPOLL_CTL_MOD
	}
	err := syscall.EpollCtl(p.epfd, op, fd, &cc.pollEv)
	if err == syscall.EEXIST {
		err = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_MOD, fd, &cc.pollEv)
	} else if err == syscall.ENOENT {
		err = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_ADD, fd, &cc.pollEv)
	}
	if err != nil {
		cc.pollFD = 0
		return err
	}
	cc.pollFD = fd + 1
	return nil
}

// unpoll removes cc's registration, if any, before its descriptor is
// handed over: the next process shares the open socket, and with it the
// registration. Called by the connection's own goroutine.
func (cc *clientConn) unpoll() {
	if cc.pollFD == 0 {
		return
	}
	p, fd := sharedPoller, cc.pollFD-1
	// Control fails once the descriptor is closed: the kernel then
	// dropped the registration itself (the socket was not handed over).
	cc.raw.Control(func(uintptr) { syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, fd, nil) })
	cc.forgetPoll()
}

// forgetPoll drops cc from the poller's table before its descriptor is
// closed, which removes the registration itself (no other process holds
// the socket): one epoll_ctl fewer per connection. An event the poller
// already collected for it only wakes whoever owns the number next, who
// looks and parks again.
func (cc *clientConn) forgetPoll() {
	if cc.pollFD == 0 {
		return
	}
	p, fd := sharedPoller, cc.pollFD-1
	cc.pollFD = 0
	p.mu.Lock()
	if fd < len(p.byFD) && p.byFD[fd] == cc {
		p.byFD[fd] = nil
	}
	p.mu.Unlock()
}
