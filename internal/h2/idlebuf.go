package h2

import (
	"bufio"
	"sync"
	"time"
)

// Idle connections hold no buffers. A connection's 16 KiB read and
// write buffers come from pools and go back once no handler has run for
// releaseDelay: the reading goroutine's wait for the next frame carries
// a deadline that short (armLocked), and when it passes with the
// connection still idle, the buffers are released and the wait resumes
// with the real idle deadline, reading straight into the framer's own
// bytes (the 9 of a frame header). The first bytes that arrive take the
// buffers again. A fresh connection starts without them: its preface is
// read straight into Serve's array.

// bufSize is the size of a connection's read and write buffers.
const bufSize = 16384

// releaseDelay is how long a connection must be idle before its
// buffers go back: long enough that a busy client's next request (sent
// within a round trip) finds them still there, so that a connection
// under load never pays for the release.
const releaseDelay = 10 * time.Millisecond

var (
	readBufs  = sync.Pool{New: func() any { return new([bufSize]byte) }}
	writeBufs = sync.Pool{New: func() any { return bufio.NewWriterSize(nil, bufSize) }}
)

// connReader is the framer's reader: the socket, buffered in a pooled
// buffer while the connection is busy. Only Serve's goroutine reads.
type connReader struct {
	sc   *Conn
	buf  *[bufSize]byte // nil when released
	r, w int            // buf[r:w] is unread
	// direct: the buffers are released (parked) and the next read goes
	// straight into its caller's bytes.
	direct bool
}

func (cr *connReader) Read(p []byte) (int, error) {
	for {
		if cr.r < cr.w {
			n := copy(p, cr.buf[cr.r:cr.w])
			cr.r += n
			return n, nil
		}
		if len(p) == 0 {
			return 0, nil
		}
		if cr.direct {
			n, err := cr.sc.read(p, false)
			if n > 0 {
				cr.direct = false
				cr.sc.unpark()
			}
			return n, err
		}
		if cr.buf == nil {
			cr.buf = readBufs.Get().(*[bufSize]byte)
		}
		n, err := cr.sc.read(cr.buf[:], true)
		cr.r, cr.w = 0, n
		if n > 0 {
			continue // an error comes back with the next read
		}
		if err != nil && cr.sc.parkIdle(err) {
			cr.release()
			cr.direct = true
			continue
		}
		return 0, err
	}
}

// read reads the socket into p. On a plain socket (sockio) whose last
// read came back short, a buffered read (mayWait) waits for the poller
// first and reads once, instead of a read that fails with EAGAIN and
// then a wait. That wait is bounded although a FIN that came with the
// last bytes does not end it: while buffered, the connection's read
// deadline is releaseDelay once no handler runs (armLocked, and
// handlerDone for the last one), and when it passes the connection
// parks and reads directly, trying the read first, which sees the FIN.
func (sc *Conn) read(p []byte, mayWait bool) (int, error) {
	switch {
	case sc.sio.RawConn() == nil:
		return sc.c.Read(p)
	case mayWait && sc.sio.Drained():
		return sc.sio.ReadWaiting(p)
	}
	return sc.sio.Read(p)
}

// release gives the read buffer back (it holds no unread bytes).
func (cr *connReader) release() {
	if cr.buf != nil && cr.r == cr.w {
		readBufs.Put(cr.buf)
		cr.buf = nil
		cr.r, cr.w = 0, 0
	}
}

// connWriter is the framer's writer: the write buffer, taken from the
// pool by the first frame written after a release. Used under wmu.
type connWriter struct{ sc *Conn }

func (cw connWriter) Write(p []byte) (int, error) {
	return cw.sc.writeBuf().Write(p)
}

// writeBuf returns the write buffer, taking one if released (under wmu).
func (sc *Conn) writeBuf() *bufio.Writer {
	if sc.bw == nil {
		sc.bw = writeBufs.Get().(*bufio.Writer)
		if sc.sio.RawConn() != nil {
			sc.bw.Reset(&sc.sio)
		} else {
			sc.bw.Reset(sc.c)
		}
	}
	return sc.bw
}

// releaseWriteLocked gives the write buffer back if it holds nothing
// (under wmu).
func (sc *Conn) releaseWriteLocked() {
	if sc.bw != nil && sc.bw.Buffered() == 0 && !sc.flushOwed {
		sc.bw.Reset(nil)
		writeBufs.Put(sc.bw)
		sc.bw = nil
	}
}

// parkIdle is called by the reading goroutine when a read failed with
// err: for the short deadline of a connection that stayed idle, it
// moves the connection to its real idle deadline, releases the write
// buffer and returns true (the caller releases the read buffer and
// reads on). Anything else is a real error (false).
func (sc *Conn) parkIdle(err error) bool {
	if !isTimeout(err) {
		return false
	}
	sc.wmu.Lock()
	failed := sc.werr != nil // its read deadline was moved to now: it ends
	sc.wmu.Unlock()
	if failed {
		return false
	}
	sc.mu.Lock()
	if !sc.releasing || sc.running > 0 || sc.dead || sc.goaway2 ||
		!sc.idleDL.IsZero() && !time.Now().Before(sc.idleDL) {
		sc.mu.Unlock()
		return false
	}
	sc.parked, sc.releasing = true, false
	sc.setReadDLLocked(sc.idleDL)
	sc.mu.Unlock()
	sc.wmu.Lock()
	sc.releaseWriteLocked()
	sc.wmu.Unlock()
	return true
}

// unpark notes that a parked connection received bytes again.
func (sc *Conn) unpark() {
	sc.mu.Lock()
	sc.parked = false
	sc.mu.Unlock()
}
