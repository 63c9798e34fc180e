package h2

import (
	"bytes"
	"encoding/binary"
	"io"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
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

	// The request block: literal fields never indexed, so that the same
	// bytes decode the same for every stream.
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, kv := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":path", "/"}, {":authority", "127.0.0.1:8080"}, {"user-agent", "h2load nghttp2/1.52.0"}} {
		enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1], Sensitive: true})
	}
	var pre bytes.Buffer
	pre.WriteString(ClientPreface)
	fr := http2.NewFramer(&pre, nil)
	fr.WriteSettings()
	fr.WriteWindowUpdate(0, 1<<30)
	if _, err := cc.Write(pre.Bytes()); err != nil {
		b.Fatal(err)
	}
	frame := make([]byte, 9+hb.Len())
	frame[0], frame[1], frame[2] = byte(hb.Len()>>16), byte(hb.Len()>>8), byte(hb.Len())
	frame[3] = byte(http2.FrameHeaders)
	frame[4] = byte(http2.FlagHeadersEndHeaders | http2.FlagHeadersEndStream)
	copy(frame[9:], hb.Bytes())

	const batch = 10
	out := make([]byte, 0, batch*len(frame))
	rbuf := make([]byte, 64<<10)
	r, w := 0, 0
	next := uint32(1)
	settingsAcked := false
	b.ReportAllocs()
	b.ResetTimer()
	for sent := 0; sent < b.N; {
		n := min(batch, b.N-sent)
		out = out[:0]
		if !settingsAcked {
			out = append(out, 0, 0, 0, byte(http2.FrameSettings), byte(http2.FlagSettingsAck), 0, 0, 0, 0)
			settingsAcked = true
		}
		for i := 0; i < n; i++ {
			binary.BigEndian.PutUint32(frame[5:9], next)
			next += 2
			out = append(out, frame...)
		}
		if _, err := cc.Write(out); err != nil {
			b.Fatal(err)
		}
		sent += n
		// Read until n streams have ended.
		for ended := 0; ended < n; {
			if w-r < 9 || w-r < 9+int(uint32(rbuf[r])<<16|uint32(rbuf[r+1])<<8|uint32(rbuf[r+2])) {
				if r > 0 {
					w = copy(rbuf, rbuf[r:w])
					r = 0
				}
				m, err := cc.Read(rbuf[w:])
				if err != nil {
					b.Fatal(err)
				}
				w += m
				continue
			}
			length := int(uint32(rbuf[r])<<16 | uint32(rbuf[r+1])<<8 | uint32(rbuf[r+2]))
			typ, flags := http2.FrameType(rbuf[r+3]), http2.Flags(rbuf[r+4])
			switch {
			case typ == http2.FrameRSTStream || typ == http2.FrameGoAway:
				b.Fatalf("frame %v from the server", typ)
			case (typ == http2.FrameData || typ == http2.FrameHeaders) && flags.Has(http2.FlagDataEndStream):
				ended++
			}
			r += 9 + length
		}
	}
}
