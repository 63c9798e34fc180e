package h2test

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"net"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Client drives one HTTP/2 connection (clear text, prior knowledge).
// One goroutine at a time may call Batch.
type Client struct {
	c     net.Conn
	frame []byte // a HEADERS frame; its stream ID is set per stream
	out   []byte
	rbuf  []byte
	r, w  int
	next  uint32
	acked bool
	// Decode, set before the first Batch, decodes the response HEADERS
	// (allocating) so that Status is the last :status seen. Once turned
	// off it stays off: the decoder's table has missed blocks since.
	Decode bool
	Status string
	dec    *hpack.Decoder
}

// New writes the client preface, its SETTINGS and a large connection
// window on c, and returns a client whose streams send GET path with
// authority. The fields are literal and never indexed, so every
// stream's block decodes to the same fields.
func New(c net.Conn, authority, path string) (*Client, error) {
	var hb bytes.Buffer
	enc := hpack.NewEncoder(&hb)
	for _, kv := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":path", path}, {":authority", authority}, {"user-agent", "h2test"}} {
		enc.WriteField(hpack.HeaderField{Name: kv[0], Value: kv[1], Sensitive: true})
	}
	var pre bytes.Buffer
	pre.WriteString(http2.ClientPreface)
	fr := http2.NewFramer(&pre, nil)
	fr.WriteSettings()
	fr.WriteWindowUpdate(0, 1<<30)
	if _, err := c.Write(pre.Bytes()); err != nil {
		return nil, err
	}
	frame := make([]byte, 9+hb.Len())
	frame[0], frame[1], frame[2] = byte(hb.Len()>>16), byte(hb.Len()>>8), byte(hb.Len())
	frame[3] = byte(http2.FrameHeaders)
	frame[4] = byte(http2.FlagHeadersEndHeaders | http2.FlagHeadersEndStream)
	copy(frame[9:], hb.Bytes())
	k := &Client{c: c, frame: frame, rbuf: make([]byte, 64<<10), next: 1}
	k.dec = hpack.NewDecoder(4096, func(f hpack.HeaderField) {
		if f.Name == ":status" {
			k.Status = f.Value
		}
	})
	return k, nil
}

// Batch opens n streams in one write and reads until all n have ended.
// A RST_STREAM or GOAWAY from the server is an error.
func (k *Client) Batch(n int) error {
	k.out = k.out[:0]
	if !k.acked {
		k.out = append(k.out, 0, 0, 0, byte(http2.FrameSettings), byte(http2.FlagSettingsAck), 0, 0, 0, 0)
		k.acked = true
	}
	for range n {
		binary.BigEndian.PutUint32(k.frame[5:9], k.next)
		k.next += 2
		k.out = append(k.out, k.frame...)
	}
	if _, err := k.c.Write(k.out); err != nil {
		return err
	}
	for ended := 0; ended < n; {
		if k.w-k.r < 9 || k.w-k.r < 9+frameLen(k.rbuf[k.r:]) {
			if k.r > 0 {
				k.w = copy(k.rbuf, k.rbuf[k.r:k.w])
				k.r = 0
			}
			m, err := k.c.Read(k.rbuf[k.w:])
			if err != nil {
				return err
			}
			k.w += m
			continue
		}
		length := frameLen(k.rbuf[k.r:])
		typ, flags := http2.FrameType(k.rbuf[k.r+3]), http2.Flags(k.rbuf[k.r+4])
		payload := k.rbuf[k.r+9 : k.r+9+length]
		switch {
		case typ == http2.FrameRSTStream || typ == http2.FrameGoAway:
			return fmt.Errorf("h2test: %v frame from the server", typ)
		case typ == http2.FrameHeaders && k.Decode:
			// Every field the server sends must go through the
			// decoder, or its dynamic table goes out of step.
			if _, err := k.dec.Write(payload); err != nil {
				return err
			}
		}
		if (typ == http2.FrameData || typ == http2.FrameHeaders) && flags.Has(http2.FlagDataEndStream) {
			ended++
		}
		k.r += 9 + length
	}
	return nil
}

func frameLen(b []byte) int { return int(uint32(b[0])<<16 | uint32(b[1])<<8 | uint32(b[2])) }
