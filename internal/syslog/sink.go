package syslog

import (
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

const (
	// queueLen bounds the lines a sink holds for its writer; beyond it,
	// lines are dropped rather than blocking the caller.
	queueLen = 1024
	// lineCap is a line buffer's initial capacity: a typical httplog
	// line with its header fits.
	lineCap = 512
	// writeTimeout bounds one socket write; a receiver that takes longer
	// loses the line (counted as dropped).
	writeTimeout = time.Second
	// closeTimeout bounds how long Close waits for the queued lines of a
	// stuck destination.
	closeTimeout = time.Second
)

// droppedTotal counts the lines every sink of the process dropped.
var droppedTotal atomic.Uint64

// DroppedLogs returns how many log lines this process dropped: queued
// while a sink's queue was full, or lost because the destination refused
// them. It is the runtime API's DroppedLogs.
func DroppedLogs() uint64 { return droppedTotal.Load() }

// line is one formatted line, or a control marker for the writer.
type line struct {
	b []byte
	// flushed is closed by the writer when it reaches a Flush marker.
	flushed chan struct{}
	stop    bool
}

// Options configure the sinks of a process.
type Options struct {
	// Stdout and Stderr receive the lines of fd@1 and fd@2 targets; nil
	// means os.Stdout and os.Stderr.
	Stdout, Stderr io.Writer
	// Report receives the sinks' own diagnostics (lines dropped, a
	// destination that refuses lines), one message per call, from the
	// writer goroutines; nil discards them.
	Report func(msg string)
}

// Sink is one destination with its queue and writer goroutine. It is safe
// for concurrent use.
type Sink struct {
	addr   Address
	write  func([]byte) error
	close  func() error
	report func(string)

	queue   chan *line // lines for the writer, in order
	free    chan *line // line buffers ready for reuse
	created atomic.Int32
	// dropped counts this sink's lost lines; droppedTotal mirrors it.
	dropped atomic.Uint64
	closed  atomic.Bool
	// closeBy is, once Close has begun, the Unix time in nanoseconds by
	// which the writer must give up on a slow destination.
	closeBy atomic.Int64

	closeOnce sync.Once
	quit      chan struct{} // closed when Close gives up on a stuck writer
	done      chan struct{} // closed when the writer has returned
}

// Open prepares the destination a and starts its writer. Sockets are not
// connected: a receiver that is absent now, or restarts later, only costs
// the lines sent while it is away.
func Open(a Address, opt Options) (*Sink, error) {
	s := &Sink{
		addr:   a,
		report: opt.Report,
		queue:  make(chan *line, queueLen),
		free:   make(chan *line, queueLen),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
		close:  func() error { return nil },
	}
	if s.report == nil {
		s.report = func(string) {}
	}
	switch a.Network {
	case FD:
		w := opt.Stdout
		if a.FD == 2 {
			w = opt.Stderr
		}
		if w == nil {
			w = os.Stdout
			if a.FD == 2 {
				w = os.Stderr
			}
		}
		s.write = func(b []byte) error { _, err := w.Write(b); return err }
	case UDP:
		network := "udp4"
		if a.UDP.Addr().Is6() {
			network = "udp6"
		}
		c, err := net.ListenUDP(network, nil)
		if err != nil {
			return nil, fmt.Errorf("log %s: %w", a, err)
		}
		dst := a.UDP
		s.write = func(b []byte) error {
			c.SetWriteDeadline(s.deadline())
			_, err := c.WriteToUDPAddrPort(b, dst)
			return err
		}
		s.close = c.Close
	case Unixgram:
		c, err := unixgramSocket()
		if err != nil {
			return nil, fmt.Errorf("log %s: %w", a, err)
		}
		dst := &net.UnixAddr{Name: a.Path, Net: "unixgram"}
		s.write = func(b []byte) error {
			c.SetWriteDeadline(s.deadline())
			_, err := c.WriteToUnix(b, dst)
			return err
		}
		s.close = c.Close
	default:
		return nil, fmt.Errorf("log: unknown destination %v", a)
	}
	go s.run()
	return s, nil
}

// unixgramSocket returns an unbound, unconnected unix datagram socket
// managed by the runtime's poller (so writes honour deadlines).
func unixgramSocket() (*net.UnixConn, error) {
	fd, err := syscall.Socket(syscall.AF_UNIX, syscall.SOCK_DGRAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "unixgram")
	defer f.Close()
	pc, err := net.FilePacketConn(f)
	if err != nil {
		return nil, err
	}
	return pc.(*net.UnixConn), nil
}

// deadline is the write deadline of the next socket write.
func (s *Sink) deadline() time.Time {
	d := time.Now().Add(writeTimeout)
	if by := s.closeBy.Load(); by != 0 && by < d.UnixNano() {
		return time.Unix(0, by)
	}
	return d
}

// Addr returns the sink's destination.
func (s *Sink) Addr() Address { return s.addr }

// Dropped returns how many lines this sink dropped.
func (s *Sink) Dropped() uint64 { return s.dropped.Load() }

func (s *Sink) drop() {
	s.dropped.Add(1)
	droppedTotal.Add(1)
}

// get returns a free line buffer, or nil (counting a drop) when every
// buffer is queued or the sink is closed.
func (s *Sink) get() *line {
	if s.closed.Load() {
		s.drop()
		return nil
	}
	select {
	case ln := <-s.free:
		return ln
	default:
	}
	for {
		n := s.created.Load()
		if n >= queueLen {
			s.drop()
			return nil
		}
		if s.created.CompareAndSwap(n, n+1) {
			return &line{b: make([]byte, 0, lineCap)}
		}
	}
}

// send queues ln without blocking; Flush markers may fill the queue, in
// which case the line is dropped.
func (s *Sink) send(ln *line) {
	select {
	case s.queue <- ln:
	default:
		s.drop()
		s.free <- ln
	}
}

// Write queues one complete line (which should end with a newline). It
// never blocks; it copies b.
func (s *Sink) Write(b []byte) {
	ln := s.get()
	if ln == nil {
		return
	}
	ln.b = append(ln.b[:0], b...)
	s.send(ln)
}

// Flush waits until every line queued before the call has been written
// (or dropped).
func (s *Sink) Flush() {
	if s.closed.Load() {
		<-s.done
		return
	}
	m := &line{flushed: make(chan struct{})}
	select {
	case s.queue <- m:
		select {
		case <-m.flushed:
		case <-s.done:
		}
	case <-s.done:
	}
}

// Close writes the queued lines, stops the writer and closes the socket.
// Lines sent after Close are dropped. It waits at most a few seconds for
// a stuck destination.
func (s *Sink) Close() error {
	s.closeOnce.Do(func() {
		s.closeBy.Store(time.Now().Add(closeTimeout).UnixNano())
		s.closed.Store(true)
		t := time.NewTimer(closeTimeout)
		defer t.Stop()
		select {
		case s.queue <- &line{stop: true}:
			select {
			case <-s.done:
			case <-t.C:
			}
		case <-t.C:
		}
		close(s.quit)
		s.close()
	})
	return nil
}

// run is the writer goroutine: one write per line, in order.
func (s *Sink) run() {
	defer close(s.done)
	var reported uint64
	failing := false
	for {
		var ln *line
		select {
		case ln = <-s.queue:
		case <-s.quit:
			return
		}
		switch {
		case ln.stop:
			s.reportDrops(&reported)
			return
		case ln.flushed != nil:
			close(ln.flushed)
			continue
		}
		if err := s.write(ln.b); err != nil {
			s.drop()
			if !failing {
				failing = true
				s.report(fmt.Sprintf("log %s: %s; lines are lost until it accepts them again", s.addr, describe(err)))
			}
		} else {
			failing = false
		}
		if cap(ln.b) > 64<<10 {
			ln.b = make([]byte, 0, lineCap) // do not pin a huge line's buffer
		}
		s.free <- ln // never blocks: free has room for every buffer
		if len(s.queue) == 0 {
			s.reportDrops(&reported)
		}
	}
}

// reportDrops reports how many lines were dropped since the last report.
func (s *Sink) reportDrops(reported *uint64) {
	d := s.dropped.Load()
	if d == *reported {
		return
	}
	s.report(fmt.Sprintf("log %s: %d lines dropped (the receiver is slow, stuck or absent)", s.addr, d-*reported))
	*reported = d
}

// describe names a write error without the Go socket prefix.
func describe(err error) string {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return "write timed out"
	}
	return err.Error()
}
