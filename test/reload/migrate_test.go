package reload_test

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"baton/internal/proxy"
	"baton/internal/worker"
	"baton/test/harness"
)

// keepAlive is one raw HTTP/1.1 client connection, reused for every
// request so that "the same connection" is beyond doubt.
type keepAlive struct {
	c net.Conn
	r *bufio.Reader
}

func (k *keepAlive) get(path string) (string, error) {
	k.c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := fmt.Fprintf(k.c, "GET %s HTTP/1.1\r\nHost: test\r\n\r\n", path); err != nil {
		return "", err
	}
	resp, err := http.ReadResponse(k.r, nil)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		return "", err
	}
	if resp.StatusCode != 200 {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	if resp.Close {
		return "", fmt.Errorf("answered with Connection: close")
	}
	return resp.Header.Get("X-Backend"), nil
}

// TestReloadMigratesIdleKeepAlive (promise 3): 100 keep-alive clients idle
// across a reload; the old generation is gone within a second, and each
// client's next request on its same connection is answered by the new
// configuration, with no connection closed.
func TestReloadMigratesIdleKeepAlive(t *testing.T) {
	if _, ok := any((*proxy.Engine)(nil)).(worker.Migrator); !ok {
		t.Skip("proxy.Engine has no HandOff/Adopt yet: nothing migrates")
	}
	a, b := backend(t, "a"), backend(t, "b")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, config(front, a), []string{front})
	clients := make([]*keepAlive, 100)
	for i := range clients {
		c, err := net.DialTimeout("tcp", front, 5*time.Second)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		clients[i] = &keepAlive{c: c, r: bufio.NewReader(c)}
		if got, err := clients[i].get("/"); err != nil || got != "a" {
			t.Fatalf("client %d before the reload: %q %v", i, got, err)
		}
	}
	bt.WriteConfig(config(front, b))
	out, code := bt.Reload()
	if code != 0 {
		t.Fatalf("reload: exit %d\n%s", code, out)
	}
	reloaded := time.Now()
	harness.Eventually(t, 5*time.Second, "old generation exits", func() bool {
		return !strings.Contains(bt.CLI("show proc"), "draining")
	})
	if d := time.Since(reloaded); d > time.Second {
		t.Errorf("old generation took %v to exit, want under 1s", d)
	}
	for i, k := range clients {
		if got, err := k.get("/"); err != nil || got != "b" {
			t.Fatalf("client %d after the reload, same connection: %q %v", i, got, err)
		}
	}
}
