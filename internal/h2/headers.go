package h2

import (
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"baton/internal/h1"

	"golang.org/x/net/http/httpguts"
	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// headerBlock reads a request's header block, a HEADERS frame and its
// CONTINUATION frames, and decodes it as the framer's ReadMetaHeaders
// would (the same checks, limits and error codes), but into storage the
// connection keeps: ReadMetaHeaders makes a frame, a field slice grown
// field by field and closures for every block, about eight allocations
// per request. The fields are valid until the next block; a stream
// copies what it keeps. It belongs to Serve's goroutine.
type headerBlock struct {
	dec    *hpack.Decoder
	fields []hpack.HeaderField
	// remain and trailerRemain are the header list bytes still allowed
	// (the framer's two budgets: the fields, and the names a "trailer"
	// field announces).
	remain, trailerRemain uint32
	sawRegular            bool
	truncated             bool  // the list passed MaxHeaderListSize
	invalid               error // a field no request may carry
}

func (b *headerBlock) init(tableSize, maxList uint32) {
	b.dec = hpack.NewDecoder(tableSize, b.emit)
	b.dec.SetMaxStringLength(int(maxList))
}

func (b *headerBlock) emit(hf hpack.HeaderField) {
	if !httpguts.ValidHeaderFieldValue(hf.Value) {
		b.invalid = fmt.Errorf("invalid value of header field %q", hf.Name) // not the value: it may be secret
	} else if strings.HasPrefix(hf.Name, ":") {
		if b.sawRegular {
			b.invalid = fmt.Errorf("pseudo-header field %q after a regular one", hf.Name)
		}
	} else {
		b.sawRegular = true
		if !validFieldName(hf.Name) {
			b.invalid = fmt.Errorf("invalid header field name %q", hf.Name)
		}
	}
	if b.invalid != nil {
		b.dec.SetEmitEnabled(false)
		return
	}
	budget, size := &b.remain, hf.Size()
	if hf.Name == "trailer" {
		// The framer charges each announced name as an empty field.
		n := uint32(strings.Count(hf.Value, ",") + 1)
		budget, size = &b.trailerRemain, uint32(len(hf.Value))-n+1+n*hpack.HeaderField{}.Size()
	}
	if size > *budget {
		b.dec.SetEmitEnabled(false)
		b.truncated = true
		b.remain, b.trailerRemain = 0, 0
		return
	}
	*budget -= size
	b.fields = append(b.fields, hf)
}

// validFieldName: a token (h1.IsToken, as for methods) without upper case
// (RFC 9113 8.2.1).
func validFieldName(v string) bool {
	for i := 0; i < len(v); i++ {
		if 'A' <= v[i] && v[i] <= 'Z' {
			return false
		}
	}
	return h1.IsToken(v)
}

// headersFrame is a request's HEADERS frame, read by readHeadersFrame
// into storage the connection keeps: the framer's parse makes a frame
// per request. frag is valid until the next frame is read. It belongs
// to Serve's goroutine.
type headersFrame struct {
	http2.FrameHeader
	Priority http2.PriorityParam
	frag     []byte
	room     [512]byte // the payload, when it fits (it does once the client's HPACK table holds its fields)
}

func (f *headersFrame) StreamEnded() bool  { return f.Flags.Has(http2.FlagHeadersEndStream) }
func (f *headersFrame) HeadersEnded() bool { return f.Flags.Has(http2.FlagHeadersEndHeaders) }
func (f *headersFrame) HasPriority() bool  { return f.Flags.Has(http2.FlagHeadersPriority) }

// readHeadersFrame reads into sc.hf the payload of the HEADERS frame
// whose header the framer has just read and checked (its size, and its
// place among CONTINUATION frames), and parses it as the framer would,
// except that padding longer than the payload ends the connection, as
// RFC 9113 6.2 asks (the framer resets the stream, which leaves the
// block undecoded and the HPACK table behind the client's).
func (sc *Conn) readHeadersFrame(fh http2.FrameHeader) error {
	f := &sc.hf
	f.FrameHeader, f.Priority, f.frag = fh, http2.PriorityParam{}, nil
	p := f.room[:]
	if int(fh.Length) > len(p) {
		p = make([]byte, fh.Length)
	}
	p = p[:fh.Length]
	if _, err := io.ReadFull(&sc.rd, p); err != nil {
		return err
	}
	if fh.StreamID == 0 {
		return errConn(http2.ErrCodeProtocol, "HEADERS frame with stream ID 0")
	}
	pad := 0
	if fh.Flags.Has(http2.FlagHeadersPadded) {
		if len(p) < 1 {
			return errConn(http2.ErrCodeFrameSize, "HEADERS frame of stream %d too short for its pad length", fh.StreamID)
		}
		pad, p = int(p[0]), p[1:]
	}
	if f.HasPriority() {
		if len(p) < 5 {
			return errConn(http2.ErrCodeFrameSize, "HEADERS frame of stream %d too short for its priority", fh.StreamID)
		}
		v := binary.BigEndian.Uint32(p)
		f.Priority = http2.PriorityParam{StreamDep: v & 0x7fffffff, Exclusive: v&0x80000000 != 0, Weight: p[4]}
		p = p[5:]
	}
	if pad > len(p) {
		return errConn(http2.ErrCodeProtocol, "HEADERS frame of stream %d padded past its end", fh.StreamID)
	}
	f.frag = p[:len(p)-pad]
	return nil
}

// readHeaderBlock decodes f's header block into sc.hb, reading the
// CONTINUATION frames that follow (the framer has checked their order).
// A block that would cost far more than the list's limit, or that goes
// on after an invalid field, ends the connection before it is decoded
// (CVE-2023-45288); an invalid field resets the stream.
func (sc *Conn) readHeaderBlock(f *headersFrame) error {
	b := &sc.hb
	clear(b.fields) // drop the last block's strings
	b.fields = b.fields[:0]
	b.remain, b.trailerRemain = sc.set.maxHeaderList(), sc.set.maxHeaderList()
	b.sawRegular, b.truncated, b.invalid = false, false, nil
	b.dec.SetEmitEnabled(true)
	frag, ended := f.frag, f.HeadersEnded()
	for {
		if int64(len(frag)) > 2*(int64(b.remain)+int64(b.trailerRemain)) {
			return errConn(http2.ErrCodeProtocol, "header block of stream %d far larger than %d bytes", f.StreamID, sc.set.maxHeaderList())
		}
		if b.invalid != nil {
			return errConn(http2.ErrCodeProtocol, "stream %d: %v, and the block goes on", f.StreamID, b.invalid)
		}
		if _, err := b.dec.Write(frag); err != nil {
			return errConn(http2.ErrCodeCompression, "stream %d: %v", f.StreamID, err)
		}
		if ended {
			break
		}
		next, err := sc.fr.ReadFrame()
		if err != nil {
			return err
		}
		cf := next.(*http2.ContinuationFrame) // the framer's order check
		frag, ended = cf.HeaderBlockFragment(), cf.HeadersEnded()
	}
	if err := b.dec.Close(); err != nil {
		return errConn(http2.ErrCodeCompression, "stream %d: %v", f.StreamID, err)
	}
	if b.invalid != nil {
		return http2.StreamError{StreamID: f.StreamID, Code: http2.ErrCodeProtocol, Cause: b.invalid}
	}
	return nil
}
