package h2

import (
	"bytes"
	"io"
	"testing"

	"baton/internal/h2/h2test"
)

// smallResponse is what the proxy writes into a stream's HTTP/1.1 view
// for a small answer: head and body in one write.
const smallResponse = "HTTP/1.1 200 OK\r\nServer: nginx\r\nDate: Tue, 01 Dec 2026 09:00:00 GMT\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nConnection: keep-alive\r\n\r\nhello\n"

// h1Small serves each stream as the proxy does, through its HTTP/1.1
// view: the request head is read to its end, one write answers.
var h1Small = handlerFunc(func(s *Stream) {
	c := s.H1Conn(nil, nil)
	var buf [512]byte
	n := 0
	for !bytes.Contains(buf[:n], []byte("\r\n\r\n")) {
		m, err := c.Read(buf[n:])
		if err != nil {
			return
		}
		n += m
	}
	io.WriteString(c, smallResponse)
	c.Read(buf[:]) // io.EOF once the response ended
	c.Close()
})

// BenchmarkStreamsH1 runs b.N small GET streams, batches of 10 at once
// as h2load -m10 does, through a loopback connection; allocations count
// both ends, the client's being none (pre-encoded HEADERS, raw frames).
func BenchmarkStreamsH1(b *testing.B) {
	cc, sconn := loopbackPair(b)
	defer cc.Close()
	conn := NewConn(sconn, Settings{}, h1Small)
	done := make(chan struct{})
	go func() {
		conn.Serve()
		sconn.Close()
		close(done)
	}()
	defer func() { cc.Close(); <-done }()
	k, err := h2test.New(cc, "127.0.0.1:8080", "/")
	if err != nil {
		b.Fatal(err)
	}
	const batch = 10
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; sent += batch {
		if err := k.Batch(min(batch, b.N-sent)); err != nil {
			b.Fatal(err)
		}
	}
}
