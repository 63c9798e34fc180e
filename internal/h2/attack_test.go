package h2

import (
	"strings"
	"sync/atomic"
	"testing"

	"golang.org/x/net/http2"
	"golang.org/x/net/http2/hpack"
)

// Known HTTP/2 floods: each must end with a bounded cost, a GOAWAY with
// the right code and one log line.

// TestRapidReset (CVE-2023-44487): HEADERS then RST_STREAM, again and
// again, while the requests behind them are still running. The streams
// are closed at once, so the concurrency limit alone never trips; the
// running requests are bounded at twice that limit.
func TestRapidReset(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	var started atomic.Int32
	s := newServer(t, Settings{Limits: Limits{MaxConcurrentStreams: 10}}, handlerFunc(func(st *Stream) {
		started.Add(1)
		<-release // a slow server
	}))
	go func() {
		for id := uint32(1); id < 2000; id += 2 {
			s.get(id, "/")
			if s.fr.WriteRSTStream(id, http2.ErrCodeCancel) != nil {
				return
			}
		}
	}()
	s.expectGoAway(http2.ErrCodeEnhanceYourCalm)
	if n := started.Load(); n > 20 {
		t.Errorf("%d requests started; the bound is 20", n)
	}
	waitFor(t, "the log line", func() bool { return strings.Contains(s.log.String(), "rapid reset") })
}

// TestContinuationFlood: a header block that never ends (no
// END_HEADERS), CONTINUATION after CONTINUATION. The connection closes
// once the block passes the header list limit, before decoding the rest.
func TestContinuationFlood(t *testing.T) {
	var ran atomic.Int32
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) { ran.Add(1) }))
	first := s.block(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "h")
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first})
	var sent atomic.Int32
	go func() {
		frag := s.block("x-flood", strings.Repeat("a", 1000))
		for i := 0; i < 10000; i++ {
			if s.fr.WriteContinuation(1, false, frag) != nil {
				return
			}
			sent.Add(1)
		}
	}()
	s.expectGoAway(http2.ErrCodeProtocol)
	if n := sent.Load(); n >= 10000 {
		t.Errorf("the server read all %d CONTINUATION frames", n)
	}
	if ran.Load() != 0 {
		t.Error("the request ran")
	}
	waitFor(t, "the log line", func() bool { return strings.Contains(s.log.String(), "GOAWAY PROTOCOL_ERROR") })
}

// TestControlFloods: SETTINGS, PING, WINDOW_UPDATE, PRIORITY and empty
// DATA frames beyond the budget end the connection with
// ENHANCE_YOUR_CALM; answers are written as the frames come, so nothing
// piles up in between.
func TestControlFloods(t *testing.T) {
	floods := map[string]func(s *server, i int) error{
		"SETTINGS": func(s *server, i int) error { return s.fr.WriteSettings() },
		"PING":     func(s *server, i int) error { return s.fr.WritePing(false, [8]byte{byte(i)}) },
		"WINDOW_UPDATE": func(s *server, i int) error {
			return s.fr.WriteWindowUpdate(0, 1)
		},
		"PRIORITY": func(s *server, i int) error {
			return s.fr.WritePriority(uint32(2*i+1), http2.PriorityParam{StreamDep: 0, Weight: 1})
		},
		"empty DATA": func(s *server, i int) error { return s.fr.WriteData(1, false, nil) },
	}
	for name, send := range floods {
		t.Run(name, func(t *testing.T) {
			s := newServer(t, Settings{ControlBudget: 200}, okHandler)
			if name == "empty DATA" {
				s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
					BlockFragment: s.block(":method", "POST", ":scheme", "http", ":path", "/", ":authority", "h")})
			}
			go func() {
				for i := 0; i < 5000; i++ {
					if send(s, i) != nil {
						return
					}
				}
			}()
			s.expectGoAway(http2.ErrCodeEnhanceYourCalm)
			waitFor(t, "the log line", func() bool { return strings.Contains(s.log.String(), name+" flood") })
		})
	}
}

// TestHPACKBomb: a 4000-byte field entered in the dynamic table, then
// referenced with one byte each: a small block that decodes to far more
// than the header list limit. Decoding stops at the limit and the
// connection ends with ENHANCE_YOUR_CALM; no request runs.
func TestHPACKBomb(t *testing.T) {
	var ran atomic.Int32
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) { ran.Add(1) }))
	s.hbuf.Reset()
	for _, hf := range []hpack.HeaderField{{Name: ":method", Value: "GET"}, {Name: ":scheme", Value: "http"}, {Name: ":path", Value: "/"}, {Name: ":authority", Value: "h"}} {
		s.enc.WriteField(hf)
	}
	big := hpack.HeaderField{Name: "x-bomb", Value: strings.Repeat("b", 4000)}
	for i := 0; i < 1000; i++ {
		s.enc.WriteField(big) // the first is a literal; the rest one byte each
	}
	block := s.hbuf.Bytes()
	if len(block) > 6000 {
		t.Fatalf("the bomb is %d bytes", len(block))
	}
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: block, EndStream: true, EndHeaders: true})
	s.expectGoAway(http2.ErrCodeEnhanceYourCalm)
	if ran.Load() != 0 {
		t.Error("the request ran")
	}
	waitFor(t, "the log line", func() bool { return strings.Contains(s.log.String(), "HPACK bomb") })
}

// TestProtocolErrorsGoAway: connection errors close with the code RFC
// 9113 names, and say why in the log.
func TestProtocolErrorsGoAway(t *testing.T) {
	for _, c := range []struct {
		name string
		send func(s *server)
		code http2.ErrCode
	}{
		{"even stream", func(s *server) { s.get(2, "/") }, http2.ErrCodeProtocol},
		{"DATA on idle stream", func(s *server) { s.fr.WriteData(5, true, []byte("x")) }, http2.ErrCodeProtocol},
		{"window overflow", func(s *server) { s.fr.WriteWindowUpdate(0, 1<<31-1) }, http2.ErrCodeFlowControl},
		{"bad SETTINGS value", func(s *server) {
			s.fr.WriteSettings(http2.Setting{ID: http2.SettingInitialWindowSize, Val: 1 << 31})
		}, http2.ErrCodeFlowControl},
		{"PUSH_PROMISE", func(s *server) {
			s.fr.WritePushPromise(http2.PushPromiseParam{StreamID: 1, PromiseID: 2, BlockFragment: s.block(":method", "GET"), EndHeaders: true})
		}, http2.ErrCodeProtocol},
		{"bad header block", func(s *server) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: []byte{0xff, 0xff, 0xff, 0xff}, EndStream: true, EndHeaders: true})
		}, http2.ErrCodeCompression},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, Settings{}, okHandler)
			c.send(s)
			s.expectGoAway(c.code)
			waitFor(t, "the log line", func() bool { return strings.Contains(s.log.String(), "GOAWAY "+c.code.String()) })
		})
	}
}
