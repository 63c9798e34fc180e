package harness

import (
	"bufio"
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Origin is a raw TCP server for misbehaving backends (garbage answers,
// silence, echo): each accepted connection is handed to Handle in its own
// goroutine and closed when Handle returns.
type Origin struct {
	Addr string
	ln   net.Listener

	accepted atomic.Int64
	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	wg       sync.WaitGroup
}

// StartOrigin listens on a kernel-picked loopback port and serves every
// connection with handle until cleanup.
func StartOrigin(t testing.TB, handle func(net.Conn)) *Origin {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	o := &Origin{Addr: ln.Addr().String(), ln: ln, conns: map[net.Conn]struct{}{}}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			o.accepted.Add(1)
			o.mu.Lock()
			o.conns[c] = struct{}{}
			o.mu.Unlock()
			o.wg.Add(1)
			go func() {
				defer o.wg.Done()
				defer func() {
					c.Close()
					o.mu.Lock()
					delete(o.conns, c)
					o.mu.Unlock()
				}()
				handle(c)
			}()
		}
	}()
	t.Cleanup(o.Close)
	return o
}

// Accepted returns how many connections the origin has accepted.
func (o *Origin) Accepted() int64 { return o.accepted.Load() }

// Close stops listening, closes open connections and waits for handlers.
func (o *Origin) Close() {
	o.ln.Close()
	o.mu.Lock()
	for c := range o.conns {
		c.Close()
	}
	o.mu.Unlock()
	o.wg.Wait()
}

// Echo copies everything back, then half-closes when the peer does, so a
// proxy's half-close handling is observable.
func Echo(c net.Conn) {
	io.Copy(c, c)
	if tc, ok := c.(*net.TCPConn); ok {
		tc.CloseWrite()
	}
}

// Silent reads and discards until the peer closes, never answering.
func Silent(c net.Conn) { io.Copy(io.Discard, c) }

// Answer returns a handler that waits for the first bytes of a request,
// writes reply and closes.
func Answer(reply string) func(net.Conn) {
	return func(c net.Conn) {
		buf := make([]byte, 4096)
		if _, err := c.Read(buf); err != nil {
			return
		}
		io.WriteString(c, reply)
	}
}

// ClosedAddr returns a loopback address nothing listens on (connections
// are refused).
func ClosedAddr(t testing.TB) string { return FreeAddr(t) }

// Relay returns a handler that forwards each connection to target, both
// ways, so an Origin in front of a sample server counts the connections a
// proxy opens to it.
func Relay(target string) func(net.Conn) {
	return func(c net.Conn) {
		s, err := net.Dial("tcp", target)
		if err != nil {
			return
		}
		defer s.Close()
		done := make(chan struct{})
		go func() {
			io.Copy(c, s)
			c.(*net.TCPConn).CloseWrite()
			close(done)
		}()
		io.Copy(s, c)
		s.(*net.TCPConn).CloseWrite()
		<-done
	}
}

// WebSocketEcho answers one upgrade request with a complete WebSocket
// handshake (Sec-WebSocket-Accept computed from the key, which HAProxy
// checks), then echoes every byte raw until the peer closes.
func WebSocketEcho(c net.Conn) {
	br := bufio.NewReader(c)
	key := ""
	for {
		line, err := br.ReadString('\n')
		if err != nil {
			return
		}
		l := strings.TrimRight(line, "\r\n")
		if l == "" {
			break
		}
		if name, value, ok := strings.Cut(l, ":"); ok && strings.EqualFold(name, "Sec-WebSocket-Key") {
			key = strings.TrimSpace(value)
		}
	}
	sum := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	fmt.Fprintf(c, "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: %s\r\nX-Backend: ws\r\n\r\n",
		base64.StdEncoding.EncodeToString(sum[:]))
	io.Copy(c, br)
}
