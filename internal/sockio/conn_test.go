package sockio

import (
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// Wrap wraps a TCP connection only, and the wrapped one reads, writes,
// obeys its deadlines and sees the peer's FIN as net.Conn does.
func TestWrap(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	if Wrap(a) != a {
		t.Fatal("Wrap changed a connection that is not TCP")
	}
	_, c, p := pair(t)
	w, ok := Wrap(c).(*Conn)
	if !ok {
		t.Fatalf("Wrap(%T) = %T, want *Conn", c, Wrap(c))
	}
	if _, err := w.Write([]byte("ping")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 8)
	p.SetReadDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.ReadFull(p, buf[:4]); err != nil || string(buf[:4]) != "ping" {
		t.Fatalf("peer read %q, %v", buf[:4], err)
	}
	w.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := w.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	w.SetReadDeadline(time.Now().Add(10 * time.Second))
	p.Write([]byte("pong"))
	p.CloseWrite()
	got, err := io.ReadAll(w)
	if err != nil || string(got) != "pong" {
		t.Fatalf("read %q, %v; want pong then EOF", got, err)
	}
}
