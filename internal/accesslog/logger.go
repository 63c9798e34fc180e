package accesslog

import (
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
)

// maxLines bounds the lines queued for the writer; beyond it, lines are
// dropped rather than blocking the data path.
const maxLines = 1024

// lineSize is a line buffer's initial capacity: a typical httplog line
// with its prefix fits.
const lineSize = 512

// line is one formatted line, or a control marker for the writer.
type line struct {
	b []byte
	// flushed is closed by the writer when it reaches a Flush marker.
	flushed chan struct{}
	stop    bool
}

// Logger writes log lines for one worker generation. It is safe for
// concurrent use. The zero value is not usable; call New.
type Logger struct {
	w      io.Writer
	prefix []byte

	queue   chan *line // lines for the writer, in order
	free    chan *line // formatted-line buffers ready for reuse
	created atomic.Int32
	dropped atomic.Uint64
	closed  atomic.Bool

	closeOnce sync.Once
	done      chan struct{}
}

// New returns a Logger writing to w, prefixing every line with
// "baton[pid] gen=generation ". It starts the writer goroutine; Close
// stops it.
func New(w io.Writer, generation, pid int) *Logger {
	l := &Logger{
		w:     w,
		queue: make(chan *line, maxLines),
		free:  make(chan *line, maxLines),
		done:  make(chan struct{}),
	}
	l.prefix = append(l.prefix, "baton["...)
	l.prefix = strconv.AppendInt(l.prefix, int64(pid), 10)
	l.prefix = append(l.prefix, "] gen="...)
	l.prefix = strconv.AppendInt(l.prefix, int64(generation), 10)
	l.prefix = append(l.prefix, ' ')
	go l.run()
	return l
}

// HTTP logs one httplog line. It does not block or allocate (once warm);
// the line is dropped when the writer is too far behind.
func (l *Logger) HTTP(e *Entry) { l.entry(e, appendHTTP) }

// TCP logs one tcplog line, like HTTP.
func (l *Logger) TCP(e *Entry) { l.entry(e, appendTCP) }

// entry queues the line that layout writes for e after the prefix.
func (l *Logger) entry(e *Entry, layout func([]byte, *Entry) []byte) {
	ln := l.get()
	if ln == nil {
		return
	}
	ln.b = append(ln.b[:0], l.prefix...)
	ln.b = layout(ln.b, e)
	ln.b = append(ln.b, '\n')
	l.send(ln)
}

// Event logs a worker event line (free text after the prefix). It never
// blocks; it is dropped like access lines when the writer is behind.
func (l *Logger) Event(format string, args ...any) {
	ln := l.get()
	if ln == nil {
		return
	}
	ln.b = append(ln.b[:0], l.prefix...)
	ln.b = fmt.Appendf(ln.b, format, args...)
	if ln.b[len(ln.b)-1] != '\n' {
		ln.b = append(ln.b, '\n')
	}
	l.send(ln)
}

// send queues ln without blocking; Flush markers may fill the queue, in
// which case the line is dropped.
func (l *Logger) send(ln *line) {
	select {
	case l.queue <- ln:
	default:
		l.dropped.Add(1)
		l.free <- ln
	}
}

// Dropped returns how many lines were dropped because the writer was
// behind or the Logger was closed.
func (l *Logger) Dropped() uint64 { return l.dropped.Load() }

// get returns a free buffer, or nil (counting a drop) when all maxLines
// buffers are queued or the Logger is closed.
func (l *Logger) get() *line {
	if l.closed.Load() {
		l.dropped.Add(1)
		return nil
	}
	select {
	case ln := <-l.free:
		return ln
	default:
	}
	for {
		n := l.created.Load()
		if n >= maxLines {
			l.dropped.Add(1)
			return nil
		}
		if l.created.CompareAndSwap(n, n+1) {
			return &line{b: make([]byte, 0, lineSize)}
		}
	}
}

// Flush waits until every line logged before the call has been written.
func (l *Logger) Flush() {
	if l.closed.Load() {
		<-l.done
		return
	}
	m := &line{flushed: make(chan struct{})}
	select {
	case l.queue <- m:
		<-m.flushed
	case <-l.done:
	}
}

// Close writes the queued lines and stops the writer. Lines logged after
// Close are dropped. It does not close the underlying writer.
func (l *Logger) Close() error {
	l.closeOnce.Do(func() {
		l.closed.Store(true)
		l.queue <- &line{stop: true}
	})
	<-l.done
	return nil
}

// run is the writer goroutine: one Write per line, in order.
func (l *Logger) run() {
	defer close(l.done)
	var reported uint64
	var report []byte
	for ln := range l.queue {
		switch {
		case ln.stop:
			l.reportDrops(&reported, &report)
			return
		case ln.flushed != nil:
			close(ln.flushed)
			continue
		}
		l.w.Write(ln.b) // a failing log target cannot be reported anywhere better
		if cap(ln.b) > 64<<10 {
			ln.b = make([]byte, 0, lineSize) // do not pin a huge line's buffer
		}
		l.free <- ln // never blocks: free has room for every buffer
		if len(l.queue) == 0 {
			l.reportDrops(&reported, &report)
		}
	}
}

// reportDrops logs how many lines were dropped since the last report.
func (l *Logger) reportDrops(reported *uint64, buf *[]byte) {
	d := l.dropped.Load()
	if d == *reported {
		return
	}
	*buf = append((*buf)[:0], l.prefix...)
	*buf = fmt.Appendf(*buf, "accesslog: %d lines dropped: the log writer is too slow\n", d-*reported)
	l.w.Write(*buf)
	*reported = d
}
