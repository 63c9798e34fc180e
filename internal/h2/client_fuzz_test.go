package h2

import (
	"bytes"
	"io"
	"testing"
	"time"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// FuzzClientConn feeds a server's bytes to a client connection while a
// request with a body is written on a stream and its response read: any
// input ends the exchange (an HTTP/1.1 response or an error) without a
// panic or a hang.
func FuzzClientConn(f *testing.F) {
	resp := func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer, kv ...string) {
		hb.Reset()
		for i := 0; i+1 < len(kv); i += 2 {
			enc.WriteField(hpack.HeaderField{Name: kv[i], Value: kv[i+1]})
		}
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true})
	}
	f.Add(seedFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteSettings(http2.Setting{ID: http2.SettingMaxConcurrentStreams, Val: 1})
		fr.WriteWindowUpdate(0, 1000)
		resp(fr, enc, hb, ":status", "200", "content-type", "text/plain")
		fr.WriteData(1, false, []byte("hello"))
		hb.Reset()
		enc.WriteField(hpack.HeaderField{Name: "grpc-status", Value: "0"})
		fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: hb.Bytes(), EndHeaders: true, EndStream: true})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 0})
		resp(fr, enc, hb, ":status", "100")
		resp(fr, enc, hb, ":status", "204")
		fr.WriteRSTStream(1, http2.ErrCodeRefusedStream)
		fr.WriteGoAway(0, http2.ErrCodeNo, nil)
		fr.WritePing(false, [8]byte{1})
	}))
	f.Add(seedFrames(func(fr *http2.Framer, enc *hpack.Encoder, hb *bytes.Buffer) {
		fr.WriteSettings()
		resp(fr, enc, hb, ":status", "200", "content-length", "3")
		fr.WriteData(1, true, []byte("abcdef"))
		fr.WriteData(3, true, []byte("x"))
	}))
	f.Fuzz(func(t *testing.T, data []byte) {
		cc, err := NewClientConn(&fuzzConn{r: bytes.NewReader(data)}, ClientSettings{WriteTimeout: time.Second}, false)
		if err != nil {
			return
		}
		defer cc.Close()
		if !cc.Reserve() {
			return
		}
		st := cc.NewStream()
		defer st.Close()
		st.SetDeadline(time.Now().Add(2 * time.Second))
		if _, err := st.Write([]byte("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\nX-T: 1\r\n\r\n")); err != nil {
			return
		}
		io.ReadAll(st)
	})
}
