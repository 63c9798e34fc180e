package h2

import (
	"testing"
	"time"

	"baton/internal/h1"

	"golang.org/x/net/http2/hpack"
)

// TestIdleReleasesBuffers: a connection whose streams are done gives its
// write buffer back and parks; the next request takes buffers again and
// is served.
func TestIdleReleasesBuffers(t *testing.T) {
	s := newServer(t, Settings{IdleTimeout: time.Minute}, okHandler)
	parked := func() bool {
		sc := s.conn
		sc.mu.Lock()
		p := sc.parked
		sc.mu.Unlock()
		sc.wmu.Lock()
		released := sc.bw == nil
		sc.wmu.Unlock()
		return p && released
	}
	for i, id := range []uint32{1, 3} {
		s.get(id, "/")
		if status, body, _ := s.response(id); status != "200" || body != "ok" {
			t.Fatalf("request %d: %s %q", i, status, body)
		}
		waitFor(t, "the idle connection to release its buffers", parked)
	}
}

// TestH1FieldsNoAlloc: converting a server's usual response head to
// HTTP/2 fields allocates nothing once its values were seen.
func TestH1FieldsNoAlloc(t *testing.T) {
	sc := NewConn(nil, Settings{}, okHandler)
	var hs []h1.Header
	for _, kv := range [][2]string{{"Server", "nginx"}, {"Date", "Tue, 01 Dec 2026 09:00:00 GMT"},
		{"Content-Type", "text/plain"}, {"Content-Length", "6"}, {"Connection", "keep-alive"}} {
		hs = append(hs, h1.Header{Name: []byte(kv[0]), Value: []byte(kv[1])})
	}
	sc.encodeH1Fields(hs)
	if n := testing.AllocsPerRun(100, func() {
		sc.hbuf.Reset()
		sc.encodeH1Fields(hs)
	}); n != 0 {
		t.Errorf("%v allocations per head", n)
	}
	// And the block says what the head said, without Connection.
	var got []string
	d := hpack.NewDecoder(4096, func(f hpack.HeaderField) { got = append(got, f.Name+": "+f.Value) })
	sc2 := NewConn(nil, Settings{}, okHandler)
	sc2.encodeH1Fields(hs)
	d.Write(sc2.hbuf.Bytes())
	want := []string{"server: nginx", "date: Tue, 01 Dec 2026 09:00:00 GMT", "content-type: text/plain", "content-length: 6"}
	if len(got) != len(want) {
		t.Fatalf("fields %q, want %q", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("field %d: %q, want %q", i, got[i], want[i])
		}
	}
}
