package h2

import (
	"errors"
	"strings"

	"golang.org/x/net/http2/hpack"
)

// chunkDecoder removes HTTP/1.1 chunked framing from a response body
// that the proxy already validated (h1.ChunkedScanner), keeping the
// trailer fields. It accepts the bytes split anywhere.
type chunkDecoder struct {
	state    int
	size     int64 // bytes left in the current chunk
	line     []byte
	trailers []hpack.HeaderField
}

const (
	chunkSize    = iota // reading a size line
	chunkData           // inside a chunk's data
	chunkDataEnd        // the CRLF after a chunk's data
	chunkTrailer        // trailer lines until the empty one
)

var errChunk = errors.New("h2: malformed chunked response body")

// maxChunkLine bounds a size or trailer line.
const maxChunkLine = 16384

// next consumes from p: it returns the data bytes found first (a slice of
// p), the unconsumed rest, and fin once the body's end was read.
func (d *chunkDecoder) next(p []byte) (data, rest []byte, fin bool, err error) {
	for len(p) > 0 {
		switch d.state {
		case chunkData:
			n := int64(len(p))
			if n > d.size {
				n = d.size
			}
			d.size -= n
			if d.size == 0 {
				d.state = chunkDataEnd
			}
			return p[:n], p[n:], false, nil
		default:
			i := 0
			for i < len(p) && p[i] != '\n' {
				i++
			}
			if len(d.line)+i > maxChunkLine {
				return nil, nil, false, errChunk
			}
			d.line = append(d.line, p[:i]...)
			if i == len(p) {
				return nil, nil, false, nil
			}
			p = p[i+1:]
			line := strings.TrimSuffix(string(d.line), "\r")
			d.line = d.line[:0]
			switch d.state {
			case chunkDataEnd:
				if line != "" {
					return nil, nil, false, errChunk
				}
				d.state = chunkSize
			case chunkSize:
				if j := strings.IndexByte(line, ';'); j >= 0 {
					line = line[:j]
				}
				line = strings.TrimRight(line, " \t")
				if line == "" || len(line) > 15 {
					return nil, nil, false, errChunk
				}
				var n int64
				for k := 0; k < len(line); k++ {
					v := unhex(line[k])
					if v < 0 {
						return nil, nil, false, errChunk
					}
					n = n<<4 | int64(v)
				}
				if n == 0 {
					d.state = chunkTrailer
				} else {
					d.size, d.state = n, chunkData
				}
			case chunkTrailer:
				if line == "" {
					return nil, p, true, nil
				}
				name, value, ok := strings.Cut(line, ":")
				if !ok {
					return nil, nil, false, errChunk
				}
				name = strings.ToLower(name)
				if !hopByHop[name] && name != "content-length" && name != "host" {
					d.trailers = append(d.trailers, hpack.HeaderField{Name: name, Value: strings.Trim(value, " \t")})
				}
			}
		}
	}
	return nil, nil, false, nil
}

func unhex(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
