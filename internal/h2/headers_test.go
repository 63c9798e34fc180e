package h2

import (
	"fmt"
	"strings"
	"testing"

	"golang.org/x/net/http2"
)

// TestRequestFieldsOutliveNextBlock: the connection decodes every header
// block into the same storage, so a stream must own its fields. Stream
// 1's handler reads its fields only after streams 3 (more fields than a
// stream has room for) and 5 (fewer) were decoded over them.
func TestRequestFieldsOutliveNextBlock(t *testing.T) {
	later := make(chan struct{})
	got := make(chan string, 3)
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) {
		if st.ID() == 1 {
			<-later
		}
		var b strings.Builder
		for _, f := range st.Req.Fields {
			fmt.Fprintf(&b, "%s=%s;", f.Name, f.Value)
		}
		got <- fmt.Sprintf("%d %s %s", st.ID(), st.Req.Path, b.String())
		st.Reset(http2.ErrCodeCancel)
	}))
	s.get(1, "/one", "x-a", "1", "x-b", "2")
	var many []string
	want3 := ""
	for i := range 12 {
		many = append(many, fmt.Sprintf("x-%02d", i), strings.Repeat("v", i+1))
		want3 += fmt.Sprintf("x-%02d=%s;", i, strings.Repeat("v", i+1))
	}
	s.get(3, "/three", many...)
	if g := <-got; g != "3 /three "+want3 {
		t.Fatalf("stream 3 saw %q", g)
	}
	s.get(5, "/five", "x-c", "3")
	if g := <-got; g != "5 /five x-c=3;" {
		t.Fatalf("stream 5 saw %q", g)
	}
	close(later)
	if g := <-got; g != "1 /one x-a=1;x-b=2;" {
		t.Fatalf("stream 1 saw %q after two later blocks", g)
	}
}

// TestInvalidFieldThenContinuation: once a field is invalid the block is
// no longer counted against the limit, so a CONTINUATION after it ends
// the connection (PROTOCOL_ERROR) before it is decoded, as the framer's
// own reader does.
func TestInvalidFieldThenContinuation(t *testing.T) {
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) { t.Error("the request ran") }))
	first := s.block(":method", "GET", ":scheme", "http", ":path", "/", ":authority", "h", "x-bad", "a\x00b")
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: first})
	s.fr.WriteContinuation(1, true, s.block("x-more", "1"))
	s.expectGoAway(http2.ErrCodeProtocol)
}

// TestTrailersOutliveNextBlock: trailers are copied out of the block
// storage too.
func TestTrailersOutliveNextBlock(t *testing.T) {
	done := make(chan string, 1)
	s := newServer(t, Settings{}, handlerFunc(func(st *Stream) {
		if st.ID() != 1 {
			st.Reset(http2.ErrCodeCancel)
			return
		}
		buf := make([]byte, 16)
		for {
			if _, err := st.Read(buf); err != nil {
				break
			}
		}
		st.sc.mu.Lock()
		tr := fmt.Sprint(st.trailers)
		st.sc.mu.Unlock()
		done <- tr
	}))
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true,
		BlockFragment: s.block(":method", "POST", ":scheme", "http", ":path", "/", ":authority", "h")})
	s.fr.WriteData(1, false, []byte("body"))
	s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, EndHeaders: true, EndStream: true, BlockFragment: s.block("x-sum", "abc")})
	s.get(3, "/next", "x-other", "zzz")
	s.expectReset(3, http2.ErrCodeCancel)
	if g := <-done; !strings.Contains(g, "x-sum") || !strings.Contains(g, "abc") || strings.Contains(g, "zzz") {
		t.Fatalf("stream 1's trailers after the next block: %s", g)
	}
}

// TestHeadersFrameLayout: HEADERS frames with padding, priority and
// payloads past the connection's inline room are read as the framer
// would read them, and malformed ones end the connection with the code
// RFC 9113 4.2 and 6.2 give.
func TestHeadersFrameLayout(t *testing.T) {
	req := func(s *server, extra ...string) []byte {
		return s.block(append([]string{":method", "GET", ":scheme", "http", ":path", "/", ":authority", "h"}, extra...)...)
	}
	const endHeaders = http2.FlagHeadersEndHeaders | http2.FlagHeadersEndStream
	cases := []struct {
		name string
		send func(s *server) // writes stream 1's HEADERS
		// want is the response's :status, or the GOAWAY's code when
		// goaway is set.
		want   string
		goaway http2.ErrCode
	}{
		{"padded", func(s *server) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: req(s), EndStream: true, EndHeaders: true, PadLength: 7})
		}, "200", 0},
		{"priority and padding", func(s *server) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: req(s), EndStream: true, EndHeaders: true, PadLength: 3,
				Priority: http2.PriorityParam{StreamDep: 0, Exclusive: true, Weight: 200}})
		}, "200", 0},
		{"larger than the inline room", func(s *server) {
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: req(s, "x-big", strings.Repeat("b", 3000)), EndStream: true, EndHeaders: true})
		}, "200", 0},
		{"split over CONTINUATION", func(s *server) {
			b := req(s, "x-big", strings.Repeat("c", 1000))
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:10], EndStream: true, PadLength: 2})
			s.fr.WriteContinuation(1, true, b[10:])
		}, "200", 0},
		{"padding past the end", func(s *server) {
			s.fr.WriteRawFrame(http2.FrameHeaders, endHeaders|http2.FlagHeadersPadded, 1, append([]byte{200}, req(s)...))
		}, "", http2.ErrCodeProtocol},
		{"padded but empty", func(s *server) {
			s.fr.WriteRawFrame(http2.FrameHeaders, endHeaders|http2.FlagHeadersPadded, 1, nil)
		}, "", http2.ErrCodeFrameSize},
		{"priority cut short", func(s *server) {
			s.fr.WriteRawFrame(http2.FrameHeaders, endHeaders|http2.FlagHeadersPriority, 1, []byte{0, 0, 0})
		}, "", http2.ErrCodeFrameSize},
		{"stream 0", func(s *server) {
			s.fr.WriteRawFrame(http2.FrameHeaders, endHeaders, 0, req(s))
		}, "", http2.ErrCodeProtocol},
		{"CONTINUATION of another stream", func(s *server) {
			b := req(s)
			s.fr.WriteHeaders(http2.HeadersFrameParam{StreamID: 1, BlockFragment: b[:3], EndStream: true})
			s.fr.WriteContinuation(3, true, b[3:])
		}, "", http2.ErrCodeProtocol},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := newServer(t, Settings{}, h1Echo(make(chan string, 1)))
			tc.send(s)
			if tc.want == "" {
				s.expectGoAway(tc.goaway)
				return
			}
			if status, body, _ := s.response(1); status != tc.want || body != "hello world" {
				t.Fatalf("answered %q %q, want %s", status, body, tc.want)
			}
		})
	}
}

func TestStatusValue(t *testing.T) {
	for _, c := range []struct {
		code int
		want string
	}{{100, "100"}, {200, "200"}, {404, "404"}, {599, "599"}, {99, "99"}, {600, "600"}, {1000, "1000"}} {
		if got := statusValue(c.code); got != c.want {
			t.Errorf("statusValue(%d) = %q, want %q", c.code, got, c.want)
		}
	}
}
