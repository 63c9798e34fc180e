package main

import (
	"bufio"
	"bytes"
	"fmt"
	"net"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// h2Request speaks HTTP/2 on c (ALPN h2 already chosen, or prior
// knowledge): the preface, SETTINGS, one GET on stream 1, and the
// response read to its END_STREAM (SETTINGS acknowledged, PINGs
// answered), leaving the connection idle and open.
func h2Request(c net.Conn) error {
	if _, err := c.Write([]byte(http2.ClientPreface)); err != nil {
		return err
	}
	fr := http2.NewFramer(c, bufio.NewReaderSize(c, 4096))
	fr.ReadMetaHeaders = hpack.NewDecoder(4096, nil)
	if err := fr.WriteSettings(); err != nil {
		return err
	}
	var block bytes.Buffer
	enc := hpack.NewEncoder(&block)
	for _, f := range [][2]string{{":method", "GET"}, {":scheme", "http"}, {":authority", "bench"}, {":path", "/"}} {
		enc.WriteField(hpack.HeaderField{Name: f[0], Value: f[1]})
	}
	if err := fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block.Bytes(), EndStream: true, EndHeaders: true}); err != nil {
		return err
	}
	status := ""
	for {
		f, err := fr.ReadFrame()
		if err != nil {
			return err
		}
		switch f := f.(type) {
		case *http2.SettingsFrame:
			if !f.IsAck() {
				if err := fr.WriteSettingsAck(); err != nil {
					return err
				}
			}
		case *http2.PingFrame:
			if !f.IsAck() {
				fr.WritePing(true, f.Data)
			}
		case *http2.GoAwayFrame:
			return fmt.Errorf("GOAWAY %v", f.ErrCode)
		case *http2.RSTStreamFrame:
			return fmt.Errorf("RST_STREAM %v", f.ErrCode)
		case *http2.MetaHeadersFrame:
			if status == "" {
				status = f.PseudoValue("status")
			}
			if f.StreamEnded() {
				return statusOK(status)
			}
		case *http2.DataFrame:
			if f.StreamEnded() {
				return statusOK(status)
			}
		}
	}
}

func statusOK(status string) error {
	if status != "200" {
		return fmt.Errorf("status %q", status)
	}
	return nil
}
