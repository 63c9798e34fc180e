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
