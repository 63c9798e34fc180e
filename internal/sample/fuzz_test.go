package sample

import (
	"bufio"
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzReadRequest checks that the request parser never panics, that the
// head it keeps is exactly the bytes it consumed, and that a body it
// accepts can be read without panicking.
func FuzzReadRequest(f *testing.F) {
	f.Add("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
	f.Add("\r\nPOST /echo HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
	f.Add("POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3;x\r\nabc\r\n0\r\nT: 1\r\n\r\n")
	f.Add("GET http://h/p?q HTTP/1.0\nConnection: keep-alive\n\n")
	f.Add("POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n")
	f.Fuzz(func(t *testing.T, in string) {
		br := bufio.NewReaderSize(strings.NewReader(in), 4096)
		req, err := readRequest(br)
		if err != nil {
			return
		}
		if !strings.Contains(in, string(req.raw)) {
			t.Fatalf("raw head %q not in input", req.raw)
		}
		if !bytes.HasSuffix(req.raw, []byte("\n")) {
			t.Fatalf("raw head %q does not end a line", req.raw)
		}
		io.Copy(io.Discard, newBodyReader(br, req.bodyLen))
	})
}
