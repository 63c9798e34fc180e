package hardening_test

import (
	"io"
	"testing"
	"time"

	"baton/test/harness"
)

// FuzzProxy sends arbitrary bytes to baton (then half-closes) and checks
// the one property every input must keep: whatever reaches the backend is
// a well-formed request (CRLF only, no NUL, no folding, one Host, never
// Content-Length with Transfer-Encoding), and baton answers or closes
// within its timeouts. Seeds are the table's request cases.
func FuzzProxy(f *testing.F) {
	for _, c := range cases {
		if c.raw != "" {
			f.Add([]byte(c.raw))
		}
	}
	f.Add([]byte("GET / HTTP/1.1\r\nHost: h\r\n\r\nGET /2 HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte(chunk + "3;ext=1\r\nabc\r\n0\r\nTrailer: x\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"))
	f.Add([]byte(post + "Content-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: h\r\n\r\n"))

	// One proxy for every input (F methods cannot be called inside Fuzz).
	e := startFuzzEnv(f)
	f.Fuzz(func(t *testing.T, in []byte) {
		e.rec.reset(script{})
		conn := harness.Dial(t, e.fe)
		conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
		conn.Conn.Write(in)
		conn.CloseWrite()
		conn.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := io.ReadAll(conn.R); err != nil {
			t.Fatalf("baton neither answered nor closed within 5s: %v", err)
		}
		_, reqs := e.rec.snapshot()
		for _, r := range reqs {
			if err := wellFormed(r); err != nil {
				t.Errorf("forwarded a malformed request: %v\nsent %q\nforwarded %q", err, in, r)
			}
		}
	})
}

// startFuzzEnv starts baton with short timeouts, owned by the fuzz target.
func startFuzzEnv(f *testing.F) *env {
	f.Helper()
	harness.Binary(f)
	rec := startRecorder(f)
	fe := harness.FreeAddr(f)
	cfg := "defaults\n    mode http\n    timeout connect 2s\n    timeout client 2s\n    timeout server 2s\n    timeout http-request 1s\n" +
		"frontend fe\n    bind " + fe + "\n    default_backend app\nbackend app\n    server rec " + rec.Addr + "\n"
	b := harness.Start(f, cfg, []string{fe})
	return &env{fe: fe, rec: rec, out: b.Stdout, baton: b}
}
