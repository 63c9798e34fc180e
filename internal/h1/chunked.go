package h1

import "bytes"

// Bounds on the parts of a chunked body that are not data, so a peer
// cannot make the scanner consume unbounded metadata.
const (
	maxChunkSizeDigits = 16      // hex digits in a chunk size
	maxChunkSize       = 1 << 62 // larger sizes are rejected
	maxChunkExtBytes   = 4096    // chunk-ext bytes on one chunk line
	maxTrailerBytes    = 16384   // whole trailer section
)

type chunkState uint8

const (
	csSize         chunkState = iota // first hex digit of a chunk size
	csSizeMore                       // more hex digits, or what follows
	csSizeBWS                        // whitespace after the size: only ';' may follow
	csExtNameStart                   // after ';'
	csExtName                        // in an extension name
	csExtAfterName                   // whitespace after a name
	csExtValStart                    // after '='
	csExtValTok                      // in a token value
	csExtQuoted                      // in a quoted-string value
	csExtQuotedEsc                   // after '\' in a quoted string
	csExtAfterVal                    // whitespace after a value
	csSizeLF                         // CR seen at the end of the size line
	csData                           // chunk data
	csDataCR                         // CRLF after data
	csDataLF
	csTrailerStart // start of a trailer line, or the final CRLF
	csTrailerName
	csTrailerValue
	csTrailerLF
	csFinalLF
	csDone
	csError
)

// ChunkedScanner validates a chunked body (RFC 9112 section 7.1)
// incrementally: the input may be split anywhere, one byte at a time
// included. It never copies or decodes; the caller forwards the bytes
// Scan accepts verbatim. The zero value is ready for a new body.
type ChunkedScanner struct {
	state   chunkState
	digits  uint8
	size    uint64 // current chunk size while reading it; then data left
	extLen  int
	trailer int
	err     *Error
}

// Reset prepares the scanner for a new body.
func (s *ChunkedScanner) Reset() { *s = ChunkedScanner{} }

// Scan consumes bytes of p that belong to the chunked body and returns
// how many. done is true once the last chunk, trailers and final CRLF
// are consumed; the rest of p (n onwards) then belongs to the next
// message. On error, n counts the valid bytes before the bad one and
// the scanner stays failed until Reset. Errors are *Error with status
// 400 (the proxy answers 502 for a server's body).
func (s *ChunkedScanner) Scan(p []byte) (n int, done bool, err error) {
	if s.state == csDone {
		return 0, true, nil
	}
	if s.state == csError {
		return 0, false, s.err
	}
	i := 0
	for i < len(p) {
		if s.state == csData {
			k := uint64(len(p) - i)
			if k > s.size {
				k = s.size
			}
			i += int(k)
			s.size -= k
			if s.size == 0 {
				s.state = csDataCR
			}
			continue
		}
		c := p[i]
		if e := s.step(c); e != nil {
			s.state, s.err = csError, e
			return i, false, e
		}
		i++
		if s.state == csDone {
			return i, true, nil
		}
		if s.state == csTrailerValue {
			// Bulk-validate the rest of a trailer value.
			seg := p[i:]
			if j := bytes.IndexByte(seg, '\r'); j >= 0 {
				seg = seg[:j]
			}
			for k, b := range seg {
				if !valueChar[b] {
					s.state, s.err = csError, errChunkTrailer
					return i + k, false, errChunkTrailer
				}
			}
			s.trailer += len(seg)
			if s.trailer > maxTrailerBytes {
				s.state, s.err = csError, errTrailerTooLarge
				return i, false, errTrailerTooLarge
			}
			i += len(seg)
		}
	}
	return i, false, nil
}

func isBWS(c byte) bool { return c == ' ' || c == '\t' }

func unhex(c byte) (uint64, bool) {
	switch {
	case c >= '0' && c <= '9':
		return uint64(c - '0'), true
	case c >= 'a' && c <= 'f':
		return uint64(c-'a') + 10, true
	case c >= 'A' && c <= 'F':
		return uint64(c-'A') + 10, true
	}
	return 0, false
}

// step advances the state machine by one byte outside chunk data.
func (s *ChunkedScanner) step(c byte) *Error {
	switch s.state {
	case csSize:
		d, ok := unhex(c)
		if !ok {
			return errChunkSize
		}
		s.size, s.digits, s.extLen = d, 1, 0
		s.state = csSizeMore
	case csSizeMore:
		if d, ok := unhex(c); ok {
			s.digits++
			s.size = s.size<<4 | d
			if s.digits > maxChunkSizeDigits || s.size > maxChunkSize {
				return errChunkSize
			}
			return nil
		}
		switch {
		case c == '\r':
			s.state = csSizeLF
		case c == ';':
			s.state = csExtNameStart
		case isBWS(c):
			s.state = csSizeBWS
		default:
			return errChunkSize // includes "0x1", "1\n"
		}
	case csSizeLF:
		if c != '\n' {
			return errChunkCRLF
		}
		if s.size == 0 {
			s.state = csTrailerStart
		} else {
			s.state = csData
		}
	case csDataCR:
		if c != '\r' {
			return errChunkCRLF
		}
		s.state = csDataLF
	case csDataLF:
		if c != '\n' {
			return errChunkCRLF
		}
		s.state = csSize
	case csTrailerStart:
		switch {
		case c == '\r':
			s.state = csFinalLF
		case tokenChar[c]:
			s.state = csTrailerName
		default:
			return errChunkTrailer // obs-fold, empty name, bare LF
		}
		return s.countTrailer()
	case csTrailerName:
		switch {
		case tokenChar[c]:
		case c == ':':
			s.state = csTrailerValue
		default:
			return errChunkTrailer
		}
		return s.countTrailer()
	case csTrailerValue:
		if c == '\r' {
			s.state = csTrailerLF
		} else if !valueChar[c] {
			return errChunkTrailer
		}
		return s.countTrailer()
	case csTrailerLF:
		if c != '\n' {
			return errChunkTrailer
		}
		s.state = csTrailerStart
	case csFinalLF:
		if c != '\n' {
			return errChunkCRLF
		}
		s.state = csDone
	default:
		return s.stepExt(c)
	}
	return nil
}

func (s *ChunkedScanner) countTrailer() *Error {
	s.trailer++
	if s.trailer > maxTrailerBytes {
		return errTrailerTooLarge
	}
	return nil
}

// stepExt handles chunk extensions:
//
//	chunk-ext = *( BWS ";" BWS ext-name [ BWS "=" BWS ext-val ] )
//	ext-val   = token / quoted-string
func (s *ChunkedScanner) stepExt(c byte) *Error {
	s.extLen++
	if s.extLen > maxChunkExtBytes {
		return errChunkExtTooLong
	}
	switch s.state {
	case csSizeBWS:
		switch {
		case isBWS(c):
		case c == ';':
			s.state = csExtNameStart
		default:
			return errChunkExt
		}
	case csExtNameStart:
		switch {
		case isBWS(c):
		case tokenChar[c]:
			s.state = csExtName
		default:
			return errChunkExt
		}
	case csExtName:
		switch {
		case tokenChar[c]:
		case isBWS(c):
			s.state = csExtAfterName
		case c == '=':
			s.state = csExtValStart
		case c == ';':
			s.state = csExtNameStart
		case c == '\r':
			s.state = csSizeLF
		default:
			return errChunkExt
		}
	case csExtAfterName:
		switch {
		case isBWS(c):
		case c == '=':
			s.state = csExtValStart
		case c == ';':
			s.state = csExtNameStart
		case c == '\r':
			s.state = csSizeLF
		default:
			return errChunkExt
		}
	case csExtValStart:
		switch {
		case isBWS(c):
		case c == '"':
			s.state = csExtQuoted
		case tokenChar[c]:
			s.state = csExtValTok
		default:
			return errChunkExt
		}
	case csExtValTok:
		switch {
		case tokenChar[c]:
		case isBWS(c):
			s.state = csExtAfterVal
		case c == ';':
			s.state = csExtNameStart
		case c == '\r':
			s.state = csSizeLF
		default:
			return errChunkExt
		}
	case csExtQuoted:
		switch {
		case c == '"':
			s.state = csExtAfterVal
		case c == '\\':
			s.state = csExtQuotedEsc
		case c == '\t' || c == ' ' || (c >= 0x21 && c != 0x7f):
		default:
			return errChunkExt // CTL, bare CR or LF
		}
	case csExtQuotedEsc:
		if c != '\t' && c != ' ' && (c < 0x21 || c == 0x7f) {
			return errChunkExt
		}
		s.state = csExtQuoted
	case csExtAfterVal:
		switch {
		case isBWS(c):
		case c == ';':
			s.state = csExtNameStart
		case c == '\r':
			s.state = csSizeLF
		default:
			return errChunkExt
		}
	default:
		return errChunkExt
	}
	return nil
}
