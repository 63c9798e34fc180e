package proxy

import (
	"bufio"
	"bytes"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"baton/internal/config"
)

func TestTCPEchoHalfClose(t *testing.T) {
	// The server reads until the client's FIN, then answers and closes:
	// only works if the half-close is passed on.
	addr, _ := scripted(t, func(c net.Conn) {
		b, _ := io.ReadAll(c)
		c.Write(bytes.ToUpper(b))
	})
	p := listenProxy("tcp", addr)
	p.Mode = config.ModeTCP
	p.TCPLog, p.LogGlobal = true, true
	h := start(t, cfgOf(p))
	c := h.dial()
	c.send("hello over tcp")
	c.c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c.br)
	if err != nil || string(got) != "HELLO OVER TCP" {
		t.Fatalf("got %q %v", got, err)
	}
	waitFor(t, "connection gone", func() bool { return h.e.Conns() == 0 })
}

func TestTCPIdleTimeout(t *testing.T) {
	addr, _ := scripted(t, func(c net.Conn) { io.Copy(io.Discard, c) })
	p := listenProxy("tcp", addr)
	p.Mode = config.ModeTCP
	p.Timeouts.Client = to(100 * time.Millisecond)
	h := start(t, cfgOf(p))
	start := time.Now() // before the dial: the proxy's clock cannot start earlier
	c := h.dial()
	c.expectClosed()
	if el := time.Since(start); el < 100*time.Millisecond {
		t.Fatalf("closed after %v, before the idle timeout", el)
	}
}

func TestTCPStreamingKeepsAliveUnderTimeout(t *testing.T) {
	// A long one-way download must not be cut by the idle timeout while
	// bytes flow: 1.5 s of data against a 500 ms timeout, a line every
	// 10 ms (a loaded machine may stretch a gap, not to 500 ms).
	const n = 150
	addr, _ := scripted(t, func(c net.Conn) {
		for i := 0; i < n; i++ {
			if _, err := io.WriteString(c, strings.Repeat("x", 100)+"\n"); err != nil {
				return
			}
			time.Sleep(10 * time.Millisecond) // the data's pace, not synchronisation
		}
	})
	p := listenProxy("tcp", addr)
	p.Mode = config.ModeTCP
	p.Timeouts.Client = to(500 * time.Millisecond)
	p.Timeouts.Server = to(500 * time.Millisecond)
	h := start(t, cfgOf(p))
	c := h.dial()
	br := bufio.NewReader(c.br)
	lines := 0
	for {
		if _, err := br.ReadString('\n'); err != nil {
			break
		}
		lines++
	}
	if lines != n {
		t.Fatalf("got %d lines of %d", lines, n)
	}
}
