package tlsconf

import (
	"crypto/tls"
	"errors"
	"net"
	"strings"
	"testing"
	"time"
)

// captureConn records what a TLS client writes and fails its reads, so
// the client stops after sending its hello.
type captureConn struct {
	net.Conn
	out []byte
}

func (c *captureConn) Write(b []byte) (int, error) { c.out = append(c.out, b...); return len(b), nil }
func (c *captureConn) Read([]byte) (int, error)    { return 0, errors.New("capture only") }
func (c *captureConn) Close() error                { return nil }
func (c *captureConn) SetDeadline(time.Time) error { return nil }
func (c *captureConn) SetWriteDeadline(time.Time) error {
	return nil
}
func (c *captureConn) SetReadDeadline(time.Time) error { return nil }

// clientHello returns the bytes Go's TLS client sends first.
func clientHello(t testing.TB, cfg *tls.Config) []byte {
	c := &captureConn{}
	tls.Client(c, cfg).Handshake()
	if len(c.out) == 0 {
		t.Fatal("no client hello captured")
	}
	return c.out
}

func TestParseHelloGoClient(t *testing.T) {
	b := clientHello(t, &tls.Config{ServerName: "www.Example.org", NextProtos: []string{"h2", "http/1.1"}})
	h, err := ParseHello(b)
	if err != nil {
		t.Fatal(err)
	}
	if h.Type != 1 || string(h.SNI) != "www.Example.org" || len(h.ALPN) != 2 || string(h.ALPN[1]) != "http/1.1" || h.Len != len(b) {
		t.Errorf("hello = %+v", h)
	}
	if h.RecordVersion != 0x0301 {
		t.Errorf("record version %#x", h.RecordVersion)
	}
	// Every proper prefix is incomplete, never an error.
	for i := 0; i < len(b); i++ {
		if _, err := ParseHello(b[:i]); err != ErrIncomplete {
			t.Fatalf("prefix %d: %v, want ErrIncomplete", i, err)
		}
	}
	// Without SNI.
	h, err = ParseHello(clientHello(t, &tls.Config{InsecureSkipVerify: true}))
	if err != nil || h.SNI != nil {
		t.Errorf("no SNI: %+v %v", h, err)
	}
	// Split over two records.
	split := splitRecord(b, 100)
	h, err = ParseHello(split)
	if err != nil || string(h.SNI) != "www.Example.org" || h.Len != len(split) {
		t.Errorf("split: %+v %v", h, err)
	}
	for i := 0; i < len(split); i++ {
		if _, err := ParseHello(split[:i]); err != ErrIncomplete {
			t.Fatalf("split prefix %d: %v", i, err)
		}
	}
	// Bytes after the hello (early application data) are not its business.
	if h, err := ParseHello(append(append([]byte(nil), b...), 23, 3, 3, 0, 1, 'x')); err != nil || h.Len != len(b) {
		t.Errorf("trailing record: %+v %v", h, err)
	}
}

// splitRecord re-frames the handshake message of the single record b as
// two records, the first carrying n bytes.
func splitRecord(b []byte, n int) []byte {
	msg := b[5:]
	rec := func(p []byte) []byte { return append([]byte{22, 3, 1, byte(len(p) >> 8), byte(len(p))}, p...) }
	return append(rec(msg[:n]), rec(msg[n:])...)
}

// buildHello makes a ClientHello record with the given extensions block
// (raw bytes after the compression methods; nil for none).
func buildHello(exts []byte) []byte {
	body := []byte{3, 3}
	body = append(body, make([]byte, 32)...)
	body = append(body, 0)             // session id
	body = append(body, 0, 2, 0x13, 1) // one suite
	body = append(body, 1, 0)          // null compression
	if exts != nil {
		body = append(body, byte(len(exts)>>8), byte(len(exts)))
		body = append(body, exts...)
	}
	msg := append([]byte{1, byte(len(body) >> 16), byte(len(body) >> 8), byte(len(body))}, body...)
	return append([]byte{22, 3, 1, byte(len(msg) >> 8), byte(len(msg))}, msg...)
}

func sniExt(names ...string) []byte {
	var list []byte
	for _, n := range names {
		list = append(list, 0, byte(len(n)>>8), byte(len(n)))
		list = append(list, n...)
	}
	data := append([]byte{byte(len(list) >> 8), byte(len(list))}, list...)
	return append([]byte{0, 0, byte(len(data) >> 8), byte(len(data))}, data...)
}

func TestParseHelloStrict(t *testing.T) {
	long := strings.Repeat("a", 60) + "." + strings.Repeat("b", 60) + "." + strings.Repeat("c", 60) + "." + strings.Repeat("d", 60) + ".e"
	cases := []struct {
		name string
		in   []byte
		sni  string
		err  string // "" ok; "incomplete"; else a substring of the HelloError
	}{
		{name: "no extensions", in: buildHello(nil)},
		{name: "sni", in: buildHello(sniExt("example.com")), sni: "example.com"},
		{name: "ssh banner", in: []byte("SSH-2.0-OpenSSH_9.2\r\n"), err: "not handshake"},
		{name: "http request", in: []byte("GET / HTTP/1.1\r\n"), err: "not handshake"},
		{name: "one byte 0x16", in: []byte{22}, err: "incomplete"},
		{name: "sslv2 hello", in: []byte{0x80, 0x2e, 1, 3, 1}, err: "not handshake"},
		{name: "bad major", in: []byte{22, 2, 0, 0, 5}, err: "version"},
		{name: "empty record", in: []byte{22, 3, 1, 0, 0}, err: "record length 0"},
		{name: "oversized record", in: []byte{22, 3, 1, 0x40, 1}, err: "record length"},
		{name: "server hello type", in: []byte{22, 3, 3, 0, 4, 2, 0, 0, 0}},
		{name: "two host names", in: buildHello(sniExt("a.com", "b.com")), err: "two host names"},
		{name: "sni too long", in: buildHello(sniExt(long + strings.Repeat(".x", 10))), err: "exceeds 255"},
		{name: "sni bad byte", in: buildHello(sniExt("a\x00b.com")), err: "not allowed"},
		{name: "sni empty label", in: buildHello(sniExt("a..com")), err: "empty label"},
		{name: "sni trailing dot", in: buildHello(sniExt("a.com.")), err: "empty label"},
		{name: "duplicate extension", in: buildHello(append(sniExt("a.com"), sniExt("a.com")...)), err: "twice"},
		{name: "extension overrun", in: buildHello([]byte{0, 0, 0, 9, 0}), err: "announced"},
		{name: "trailing junk in message", in: func() []byte {
			b := buildHello(nil)
			b = append(b[:len(b):len(b)], 0)
			b[4]++ // record one longer
			return b
		}(), err: "bytes follow"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := ParseHello(c.in)
			switch {
			case c.err == "":
				if err != nil {
					t.Fatal(err)
				}
				if string(h.SNI) != c.sni {
					t.Errorf("sni %q, want %q", h.SNI, c.sni)
				}
			case c.err == "incomplete":
				if err != ErrIncomplete {
					t.Fatalf("err = %v, want incomplete", err)
				}
			default:
				var he *HelloError
				if !errors.As(err, &he) || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want a HelloError with %q", err, c.err)
				}
			}
		})
	}
}

func FuzzParseHello(f *testing.F) {
	f.Add(clientHello(f, &tls.Config{ServerName: "example.com", NextProtos: []string{"http/1.1"}}))
	f.Add(buildHello(sniExt("a.example")))
	f.Add(buildHello(nil))
	f.Add([]byte("SSH-2.0-x\r\n"))
	f.Add([]byte{22, 3, 1, 0, 4, 1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		h, err := ParseHello(b)
		if err != nil {
			var he *HelloError
			if err != ErrIncomplete && !errors.As(err, &he) {
				t.Fatalf("unexpected error type %T", err)
			}
			if h != nil {
				t.Fatal("hello with an error")
			}
			return
		}
		if h.Len > len(b) || h.Len < 9 {
			t.Fatalf("Len %d of %d bytes", h.Len, len(b))
		}
		if len(h.SNI) > 255 || checkHostName(h.SNI) != "" && h.SNI != nil {
			t.Fatalf("bad SNI %q accepted", h.SNI)
		}
		// A complete hello stays complete with more bytes after it.
		if _, err := ParseHello(append(append([]byte(nil), b[:h.Len]...), 0x17)); err != nil {
			t.Fatalf("hello followed by a byte: %v", err)
		}
	})
}
