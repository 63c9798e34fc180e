package compress

import (
	"errors"
	"io"
	"sync"

	"baton/internal/deflate"
	"baton/internal/h1"
)

// chunkHead is the room kept before each output chunk for its size line
// (up to 8 hex digits and CRLF).
const chunkHead = 10

// ErrBody reports a server body that ended early or broke its framing.
var ErrBody = errors.New("compress: malformed or truncated server body")

// Stream compresses one response body at a time; reuse it (one per client
// connection) so its buffers and the pooled compressor are reused. It is
// not safe for concurrent use.
type Stream struct {
	algo Algo
	// enc is the pooled compressor (nil for identity).
	enc *deflate.Writer
	// Server framing: chunked bodies are checked by scan and decoded by
	// dec; remaining counts a Content-Length body's bytes still due.
	chunked   bool
	scan      h1.ChunkedScanner
	dec       h1.Dechunker
	remaining int64
	// out is the next chunk: chunkHead bytes of room, then the encoder's
	// output.
	out []byte
}

// pools hold the compressors by format (each Writer writes its format's
// header on Reset).
var pools = [...]sync.Pool{
	deflate.Raw:  {New: func() any { return deflate.NewWriter(deflate.Raw) }},
	deflate.Zlib: {New: func() any { return deflate.NewWriter(deflate.Zlib) }},
	deflate.Gzip: {New: func() any { return deflate.NewWriter(deflate.Gzip) }},
}

// formats is the DEFLATE framing of each algorithm that compresses.
var formats = [...]deflate.Format{Deflate: deflate.Zlib, RawDeflate: deflate.Raw, Gzip: deflate.Gzip}

// Begin prepares s for a response compressed with a whose server body is
// chunked or, if not, contentLength bytes long.
func (s *Stream) Begin(a Algo, chunked bool, contentLength int64) {
	s.release()
	s.algo, s.chunked, s.remaining = a, chunked, contentLength
	s.scan.Reset()
	s.dec = h1.Dechunker{}
	if cap(s.out) == 0 {
		s.out = make([]byte, chunkHead, 16<<10)
	}
	s.out = s.out[:chunkHead]
	switch a {
	case Gzip, Deflate, RawDeflate:
		s.enc = pools[formats[a]].Get().(*deflate.Writer)
		s.enc.Reset(s)
	}
}

// Write is the compressor's output: it collects into the next chunk.
func (s *Stream) Write(p []byte) (int, error) {
	s.out = append(s.out, p...)
	return len(p), nil
}

// Feed takes bytes of the server's body as read (framing included) and
// compresses the payload they carry. used counts the bytes of p that
// belong to the body; done is set once the body is complete (the rest of
// p then belongs to no one: a confused server).
func (s *Stream) Feed(p []byte) (used int, done bool, err error) {
	if s.chunked {
		used, done, err = s.scan.Scan(p)
		if err != nil {
			return used, false, err
		}
		body := p[:used]
		for len(body) > 0 {
			var data []byte
			data, body = s.dec.Next(body)
			if err := s.payload(data); err != nil {
				return used, done, err
			}
		}
		return used, done, nil
	}
	used = len(p)
	if int64(used) > s.remaining {
		used = int(s.remaining)
	}
	s.remaining -= int64(used)
	return used, s.remaining == 0, s.payload(p[:used])
}

func (s *Stream) payload(data []byte) error {
	if len(data) == 0 {
		return nil
	}
	if s.enc == nil { // identity
		s.out = append(s.out, data...)
		return nil
	}
	_, err := s.enc.Write(data)
	return err
}

// Flush returns what the input so far compresses to, as one chunk ready
// to send (nil when there is nothing to send). It is valid until the
// next call on s.
func (s *Stream) Flush() ([]byte, error) {
	if s.enc != nil {
		if err := s.enc.Flush(); err != nil {
			return nil, err
		}
	}
	return s.chunk(false), nil
}

// Finish ends the compressed stream and returns the last chunks, the
// final zero-size chunk included. The compressor goes back to its pool.
func (s *Stream) Finish() ([]byte, error) {
	if s.enc != nil {
		if err := s.enc.Close(); err != nil {
			return nil, err
		}
	}
	s.release()
	return s.chunk(true), nil
}

// Abort ends the stream without output (the exchange failed).
func (s *Stream) Abort() { s.release() }

func (s *Stream) release() {
	if s.enc != nil {
		s.enc.Reset(io.Discard) // drops its reference to s
		pools[formats[s.algo]].Put(s.enc)
	}
	s.enc = nil
}

// chunk frames the collected output as one chunk (and the last chunk
// when last), and resets the collection for the next one.
func (s *Stream) chunk(last bool) []byte {
	n := len(s.out) - chunkHead
	start := chunkHead
	if n > 0 {
		start = chunkHead - 2
		s.out[chunkHead-2], s.out[chunkHead-1] = '\r', '\n'
		for v := n; ; v >>= 4 {
			start--
			s.out[start] = "0123456789abcdef"[v&15]
			if v < 16 {
				break
			}
		}
		s.out = append(s.out, '\r', '\n')
	}
	if last {
		s.out = append(s.out, "0\r\n\r\n"...)
	}
	b := s.out[start:]
	s.out = s.out[:chunkHead]
	if len(b) == 0 {
		return nil
	}
	return b
}

// ReadSize bounds the next read from the server to max bytes and, for a
// Content-Length body, to what is still due, so no byte of a next
// response is read into this one.
func (s *Stream) ReadSize(max int) int {
	if !s.chunked && s.remaining < int64(max) {
		return int(s.remaining)
	}
	return max
}
