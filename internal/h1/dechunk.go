package h1

// Dechunker extracts the data of a chunked body that ChunkedScanner
// already validated, so it only needs to find sizes, data and the end:
// it skips extensions, CRLFs and trailers without checking them. The
// zero value is at the start of a body; bytes may be split anywhere.
type Dechunker struct {
	state uint8
	size  uint64
}

const (
	dcSize    = iota // hex digits of a size
	dcLine           // rest of the size line (extensions) up to LF
	dcData           // size bytes of data
	dcDataEnd        // the CRLF after data, up to LF
	dcTrailer        // trailer lines up to an empty one
	dcTrailerLine
	dcDone
)

// Next returns the data at the start of p (possibly empty) and the rest
// of p after it: the first call returns the first chunk's data, or as
// much of it as p holds.
func (d *Dechunker) Next(p []byte) (data, rest []byte) {
	for len(p) > 0 {
		switch d.state {
		case dcData:
			n := uint64(len(p))
			if n > d.size {
				n = d.size
			}
			d.size -= n
			if d.size == 0 {
				d.state = dcDataEnd
			}
			return p[:n], p[n:]
		case dcSize:
			c := p[0]
			switch {
			case c >= '0' && c <= '9':
				d.size = d.size<<4 | uint64(c-'0')
			case c >= 'a' && c <= 'f':
				d.size = d.size<<4 | uint64(c-'a'+10)
			case c >= 'A' && c <= 'F':
				d.size = d.size<<4 | uint64(c-'A'+10)
			case c == '\n':
				d.endSizeLine()
			default:
				d.state = dcLine
			}
		case dcLine:
			if p[0] == '\n' {
				d.endSizeLine()
			}
		case dcDataEnd:
			if p[0] == '\n' {
				d.state, d.size = dcSize, 0
			}
		case dcTrailer:
			switch p[0] {
			case '\n':
				d.state = dcDone
			case '\r':
			default:
				d.state = dcTrailerLine
			}
		case dcTrailerLine:
			if p[0] == '\n' {
				d.state = dcTrailer
			}
		case dcDone:
			return nil, nil
		}
		p = p[1:]
	}
	return nil, nil
}

func (d *Dechunker) endSizeLine() {
	if d.size == 0 {
		d.state = dcTrailer
	} else {
		d.state = dcData
	}
}
