package harness

import (
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// SocketCommand writes input (one or more lines) to a runtime API socket
// (a UNIX path, or "host:port" for TCP) and returns everything the
// process answers until it closes the connection.
func SocketCommand(t testing.TB, addr, input string) string {
	t.Helper()
	out, err := TrySocketCommand(addr, input)
	if err != nil {
		t.Fatalf("runtime API %s: %v", addr, err)
	}
	return out
}

// TrySocketCommand is SocketCommand returning the error.
func TrySocketCommand(addr, input string) (string, error) {
	network := "unix"
	if !strings.HasPrefix(addr, "/") {
		network = "tcp"
	}
	c, err := net.DialTimeout(network, addr, 5*time.Second)
	if err != nil {
		return "", err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(20 * time.Second))
	if !strings.HasSuffix(input, "\n") {
		input += "\n"
	}
	if _, err := io.WriteString(c, input); err != nil {
		return "", err
	}
	b, err := io.ReadAll(c)
	return string(b), err
}
