package deflate

import (
	"encoding/binary"
	"errors"
	"hash"
	"hash/adler32"
	"hash/crc32"
	"io"
)

// Format is the framing around the DEFLATE data.
type Format uint8

const (
	// Raw is bare DEFLATE data (RFC 1951).
	Raw Format = iota
	// Zlib is the zlib format (RFC 1950): HTTP's "deflate" coding.
	Zlib
	// Gzip is the gzip format (RFC 1952): HTTP's "gzip" coding.
	Gzip
)

const (
	winSize = maxDist + 64<<10 // history kept, then input not yet encoded
	outSize = 80 << 10         // a 64 KiB response's output fits whole
	// maxBase bounds the table's positions so they stay in an int32.
	maxBase = 1<<31 - 1 - winSize
)

// ErrClosed reports a Write or Flush after Close.
var ErrClosed = errors.New("deflate: write to a closed Writer")

// Writer compresses one stream at a time into its destination. It is not
// safe for concurrent use.
type Writer struct {
	format Format
	dst    io.Writer
	err    error
	closed bool

	// win[:pend] has been encoded (its last maxDist bytes are the
	// history matches reach into); win[pend:] has not.
	win  []byte
	pend int
	// table maps a 4-byte hash to the position (plus base) where it was
	// last seen; base moves past every position of a previous stream or
	// of bytes slid out of win, so their entries are out of reach.
	table hashTable
	base  int
	// unsynced: blocks were sent since the last flush marker.
	unsynced bool
	bw       bitWriter

	size  uint32 // input bytes, modulo 2^32 (gzip's ISIZE)
	crc   uint32
	adler hash.Hash32
}

// NewWriter returns a Writer of format f, to be Reset onto a destination.
func NewWriter(f Format) *Writer {
	w := &Writer{format: f, win: make([]byte, 0, winSize)}
	w.bw.out = make([]byte, 0, outSize)
	if f == Zlib {
		w.adler = adler32.New()
	}
	w.Reset(io.Discard)
	return w
}

// Reset starts a new stream into dst, dropping whatever the Writer held.
func (w *Writer) Reset(dst io.Writer) {
	w.dst, w.err, w.closed = dst, nil, false
	w.base += len(w.win) + maxDist + 1
	if w.base > maxBase {
		w.table = hashTable{}
		w.base = maxDist + 1
	}
	w.win, w.pend = w.win[:0], 0
	w.unsynced = false
	w.bw.out, w.bw.acc, w.bw.n = w.bw.out[:0], 0, 0
	w.size, w.crc = 0, 0
	switch w.format {
	case Zlib:
		w.adler.Reset()
		// CMF: DEFLATE with a 32 KiB window; FLG: fastest level, and
		// a check making CMF*256+FLG a multiple of 31.
		w.bw.out = append(w.bw.out, 0x78, 0x01)
	case Gzip:
		// Magic, DEFLATE, no flags, no time, XFL 4 (fastest), OS unknown.
		w.bw.out = append(w.bw.out, 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255)
	}
}

// Write takes p to compress. Its output reaches the destination on Flush
// and Close, or sooner when the Writer's buffers fill.
func (w *Writer) Write(p []byte) (int, error) {
	if w.closed {
		return 0, ErrClosed
	}
	if w.err != nil {
		return 0, w.err
	}
	total := len(p)
	w.size += uint32(total)
	switch w.format {
	case Zlib:
		w.adler.Write(p)
	case Gzip:
		w.crc = crc32.Update(w.crc, crc32.IEEETable, p)
	}
	for len(p) > 0 {
		if len(w.win) == cap(w.win) {
			w.encode(false)
			w.slide()
		}
		n := copy(w.win[len(w.win):cap(w.win)], p)
		w.win = w.win[:len(w.win)+n]
		p = p[n:]
	}
	return total, w.err
}

// slide drops all but the last maxDist encoded bytes from win.
func (w *Writer) slide() {
	keep := min(maxDist, w.pend)
	drop := w.pend - keep
	copy(w.win, w.win[drop:])
	w.win = w.win[:len(w.win)-drop]
	w.pend = keep
	w.base += drop
	if w.base > maxBase {
		w.table = hashTable{}
		w.base = maxDist + 1
	}
}

// encode sends the pending input as blocks, the last one final if asked.
func (w *Writer) encode(final bool) {
	for w.pend < len(w.win) {
		end := min(len(w.win), w.pend+blockSize)
		w.room(blockRoom(end - w.pend))
		// Matches reach maxDist back at most, so src starts there.
		from := max(0, w.pend-maxDist)
		block(&w.bw, &w.table, w.base+from, w.win[from:end], w.pend-from, final && end == len(w.win))
		w.pend = end
		w.unsynced = true
	}
}

// tailRoom is the most output of a flush marker or an empty final block,
// with the alignment and a trailer.
const tailRoom = 32

// room makes room for n more bytes of output.
func (w *Writer) room(n int) {
	if cap(w.bw.out)-len(w.bw.out) < n {
		w.writeOut()
	}
}

// writeOut sends the whole bytes of output so far to the destination.
func (w *Writer) writeOut() {
	if len(w.bw.out) == 0 || w.err != nil {
		w.bw.out = w.bw.out[:0]
		return
	}
	_, w.err = w.dst.Write(w.bw.out)
	w.bw.out = w.bw.out[:0]
}

// Flush sends everything written so far in a form the reader can
// decompress whole: the blocks, then an empty stored block that ends on a
// byte boundary. With nothing written since the last Flush, it sends
// nothing more.
func (w *Writer) Flush() error {
	if w.closed {
		return ErrClosed
	}
	if w.pend < len(w.win) || w.unsynced {
		w.encode(false)
		w.room(tailRoom)
		w.bw.stored(nil, false)
		w.unsynced = false
	}
	w.writeOut()
	return w.err
}

// Close ends the stream: the final block, the framing's trailer, all
// sent to the destination. The Writer takes no more input until Reset.
func (w *Writer) Close() error {
	if w.closed {
		return w.err
	}
	w.closed = true
	if w.pend < len(w.win) {
		w.encode(true)
	} else {
		w.room(tailRoom)
		w.bw.put(1|1<<1, 3) // an empty final block
		w.bw.put(eobCode, 7)
	}
	w.room(tailRoom)
	w.bw.align()
	switch w.format {
	case Zlib:
		w.bw.out = binary.BigEndian.AppendUint32(w.bw.out, w.adler.Sum32())
	case Gzip:
		w.bw.out = binary.LittleEndian.AppendUint32(w.bw.out, w.crc)
		w.bw.out = binary.LittleEndian.AppendUint32(w.bw.out, w.size)
	}
	w.writeOut()
	return w.err
}
