package h1

import (
	"strings"
	"testing"
)

type chunkResult struct {
	n    int
	done bool
	err  bool
}

// scanWhole feeds in as one piece.
func scanWhole(in []byte) chunkResult {
	var s ChunkedScanner
	n, done, err := s.Scan(in)
	return chunkResult{n, done, err != nil}
}

// scanSplit feeds in[:k] then in[k:], stopping at done or error.
func scanSplit(in []byte, k int) chunkResult {
	var s ChunkedScanner
	n, done, err := s.Scan(in[:k])
	if err != nil || done {
		return chunkResult{n, done, err != nil}
	}
	if n != k {
		return chunkResult{-1, false, true} // must consume all it is given
	}
	m, done, err := s.Scan(in[k:])
	return chunkResult{n + m, done, err != nil}
}

// scanBytes feeds one byte at a time.
func scanBytes(in []byte) chunkResult {
	var s ChunkedScanner
	total := 0
	for i := range in {
		n, done, err := s.Scan(in[i : i+1])
		total += n
		if err != nil || done {
			return chunkResult{total, done, err != nil}
		}
	}
	return chunkResult{total, false, false}
}

func TestChunkedScanner(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want chunkResult // for the whole input (with "NEXT" appended when done)
	}{
		{"simple", "5\r\nhello\r\n0\r\n\r\n", chunkResult{n: 15, done: true}},
		{"two chunks upper hex", "A\r\n0123456789\r\n1\r\nx\r\n0\r\n\r\n", chunkResult{n: 26, done: true}},
		{"leading zeros", "0005\r\nhello\r\n000\r\n\r\n", chunkResult{n: 20, done: true}},
		{"extensions", "5;a=b;c;d=\"q\\\"x\" ; e = f\r\nhello\r\n0;z\r\n\r\n", chunkResult{n: 40, done: true}},
		{"trailers", "1\r\nx\r\n0\r\nX-T: v\r\nY:\r\n\r\n", chunkResult{n: 23, done: true}},
		{"binary data", "3\r\n\r\n\x00\r\n0\r\n\r\n", chunkResult{n: 13, done: true}},
		{"incomplete", "5\r\nhel", chunkResult{n: 6}},
		{"incomplete trailer", "0\r\nX: y\r\n", chunkResult{n: 9}},
		{"size Z", "Z\r\n", chunkResult{err: true}},
		{"size 0x1", "0x1\r\nx\r\n0\r\n\r\n", chunkResult{n: 1, err: true}},
		{"size empty", "\r\nx\r\n", chunkResult{err: true}},
		{"size sign", "+1\r\nx\r\n", chunkResult{err: true}},
		{"size 17 digits", "00000000000000001\r\nx\r\n0\r\n\r\n", chunkResult{n: 16, err: true}},
		{"size over 2^62", "4000000000000001\r\n", chunkResult{n: 15, err: true}},
		{"size bare LF", "1\nx\r\n0\r\n\r\n", chunkResult{n: 1, err: true}},
		{"size LF after CR missing", "1\rx\r\n", chunkResult{n: 2, err: true}},
		{"size trailing space", "1 \r\nx\r\n0\r\n\r\n", chunkResult{n: 2, err: true}},
		{"ext bare CR", "1;a\rb\r\nx\r\n0\r\n\r\n", chunkResult{n: 4, err: true}},
		{"ext bare LF in quote", "1;a=\"\n\"\r\nx\r\n0\r\n\r\n", chunkResult{n: 5, err: true}},
		{"ext empty name", "1;\r\nx\r\n", chunkResult{n: 2, err: true}},
		{"ext bad value", "1;a=(\r\nx\r\n", chunkResult{n: 4, err: true}},
		{"data missing CRLF", "1\r\nxy\r\n0\r\n\r\n", chunkResult{n: 4, err: true}},
		{"data bare LF", "1\r\nx\n0\r\n\r\n", chunkResult{n: 4, err: true}},
		{"last bare LF", "0\r\n\n", chunkResult{n: 3, err: true}},
		{"trailer obs-fold", "0\r\nX: a\r\n b\r\n\r\n", chunkResult{n: 9, err: true}},
		{"trailer empty name", "0\r\n: a\r\n\r\n", chunkResult{n: 3, err: true}},
		{"trailer space before colon", "0\r\nX : a\r\n\r\n", chunkResult{n: 4, err: true}},
		{"trailer NUL", "0\r\nX: a\x00\r\n\r\n", chunkResult{n: 7, err: true}},
		{"trailer bare LF", "0\r\nX: a\n\r\n", chunkResult{n: 7, err: true}},
		{"final bare CR", "0\r\n\rX", chunkResult{n: 4, err: true}},
		{"long extension", "1;a=" + strings.Repeat("b", 5000) + "\r\nx\r\n0\r\n\r\n", chunkResult{n: 2 + 4096, err: true}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			if tc.want.done {
				in = append(in, "NEXT"...)
			}
			got := scanWhole(in)
			if got != tc.want {
				t.Fatalf("whole: got %+v, want %+v", got, tc.want)
			}
			if b := scanBytes(in); b != got {
				t.Fatalf("byte by byte: got %+v, want %+v", b, got)
			}
			for k := 0; k <= len(in); k++ {
				if s := scanSplit(in, k); s != got {
					t.Fatalf("split at %d: got %+v, want %+v", k, s, got)
				}
			}
		})
	}
}

func TestChunkedScannerStates(t *testing.T) {
	var s ChunkedScanner
	if _, _, err := s.Scan([]byte("Z")); err == nil {
		t.Fatal("want error")
	}
	if n, _, err := s.Scan([]byte("0\r\n\r\n")); err == nil || n != 0 {
		t.Fatal("failed scanner must stay failed")
	}
	s.Reset()
	if n, done, err := s.Scan([]byte("0\r\n\r\n")); err != nil || !done || n != 5 {
		t.Fatalf("after Reset: %d %v %v", n, done, err)
	}
	if n, done, err := s.Scan([]byte("more")); err != nil || !done || n != 0 {
		t.Fatalf("after done: %d %v %v", n, done, err)
	}
	// A huge chunk is consumed in bulk without per-byte work.
	s.Reset()
	data := make([]byte, 1<<20)
	n, done, err := s.Scan(append([]byte("100000\r\n"), data...))
	if err != nil || done || n != 8+1<<20 {
		t.Fatalf("big: %d %v %v", n, done, err)
	}
	if n, done, err := s.Scan([]byte("\r\n0\r\n\r\n")); err != nil || !done || n != 7 {
		t.Fatalf("big end: %d %v %v", n, done, err)
	}
}

func TestTrailerLimit(t *testing.T) {
	var s ChunkedScanner
	in := "0\r\n" + strings.Repeat("X-T: "+strings.Repeat("v", 100)+"\r\n", 200) + "\r\n"
	if _, _, err := s.Scan([]byte(in)); err == nil {
		t.Fatal("oversized trailer accepted")
	}
}

// TestDechunkerFirstChunk: the first Next is the first chunk's data,
// as much of it as there is (url_param check_post reads no more).
func TestDechunkerFirstChunk(t *testing.T) {
	tests := []struct{ in, want string }{
		{"5\r\nhello\r\n0\r\n\r\n", "hello"},
		{"5;ext=1\r\nhello\r\n", "hello"},
		{"a\r\nhel", "hel"},
		{"3\r\nhello", "hel"},
		{"0\r\n\r\n", ""},
		{"zz\r\n", ""},
		{"5", ""},
	}
	for _, tt := range tests {
		var d Dechunker
		if got, _ := d.Next([]byte(tt.in)); string(got) != tt.want {
			t.Errorf("first Next(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
