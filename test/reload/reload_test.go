// Package reload_test proves the reload promises against the built binary,
// real sample backends and loopback traffic.
package reload_test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"baton/internal/sample"
	"baton/test/harness"
)

func config(front, backend string) string {
	return fmt.Sprintf(`global
    hard-stop-after 20s
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind %s
    default_backend be
backend be
    server s1 %s
`, front, backend)
}

func backend(t *testing.T, label string) string {
	t.Helper()
	s, err := sample.Start("127.0.0.1:0", label)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s.Addr
}

func get(c *http.Client, url string) (string, error) {
	resp, err := c.Get(url)
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
	return resp.Header.Get("X-Backend"), nil
}

// TestReloadUnderTraffic: reloads under continuous traffic (new
// connections and keep-alive) fail no request, and after each reload new
// connections are answered by the new configuration.
func TestReloadUnderTraffic(t *testing.T) {
	a, b := backend(t, "a"), backend(t, "b")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, config(front, a), []string{front})
	url := "http://" + front + "/"

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var requests, failures atomic.Int64
	var failMu sync.Mutex
	var failMsgs []string
	for i := range 4 {
		keepAlive := i%2 == 0
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := &http.Client{Timeout: 10 * time.Second,
				Transport: &http.Transport{DisableKeepAlives: !keepAlive, MaxIdleConnsPerHost: 4}}
			defer c.CloseIdleConnections()
			for {
				select {
				case <-stop:
					return
				default:
				}
				requests.Add(1)
				if _, err := get(c, url); err != nil {
					failures.Add(1)
					failMu.Lock()
					failMsgs = append(failMsgs, fmt.Sprintf("keepalive=%v: %v", keepAlive, err))
					failMu.Unlock()
				}
			}
		}()
	}
	for i, to := range []string{b, a, b} {
		bt.WriteConfig(config(front, to))
		out, code := bt.Reload()
		if code != 0 || !strings.HasPrefix(out, "Success=1") {
			t.Fatalf("reload %d: exit %d\n%s", i, code, out)
		}
		label := map[string]string{a: "a", b: "b"}[to]
		fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 10 * time.Second}
		if got, err := get(fresh, url); err != nil || got != label {
			t.Fatalf("after reload %d a new connection got backend %q (%v), want %q", i, got, err, label)
		}
	}
	close(stop)
	wg.Wait()
	if n := failures.Load(); n > 0 {
		t.Errorf("%d of %d requests failed during reloads:\n%s", n, requests.Load(), strings.Join(failMsgs[:min(len(failMsgs), 10)], "\n"))
	}
	if requests.Load() < 20 {
		t.Errorf("only %d requests made", requests.Load())
	}
}

// TestBrokenConfigKeepsService: `baton reload` prints the file:line error
// and exits 1, and the running configuration keeps serving.
func TestBrokenConfigKeepsService(t *testing.T) {
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, config(front, a), []string{front})
	bt.WriteConfig(config(front, a) + "    bogus-keyword yes\n")
	out, code := bt.Reload()
	if code != 1 || !strings.HasPrefix(out, "Success=0") || !strings.Contains(out, bt.Config+":13:") {
		t.Fatalf("broken reload: exit %d\n%s", code, out)
	}
	if got, err := get(http.DefaultClient, "http://"+front+"/"); err != nil || got != "a" {
		t.Fatalf("after a failed reload: %q %v", got, err)
	}
	if show := bt.CLI("show proc"); !strings.Contains(show, "[failed: 1]") {
		t.Errorf("show proc:\n%s", show)
	}
}

// slowResult is the backend label of a slow request's answer, or why it
// failed.
type slowResult struct {
	label string
	err   error
}

// slowInFlight sends a request the backend holds for ms milliseconds and
// returns once the serving worker counts it, with the channel its result
// arrives on.
func slowInFlight(t *testing.T, bt *harness.Baton, front string, ms int) <-chan slowResult {
	t.Helper()
	slow := make(chan slowResult, 1)
	go func() {
		l, err := get(&http.Client{Timeout: 20 * time.Second}, fmt.Sprintf("http://%s/slow?ms=%d", front, ms))
		slow <- slowResult{l, err}
	}()
	harness.Eventually(t, 10*time.Second, "slow request in flight", func() bool {
		return strings.Contains(bt.CLI("show proc"), "serving   1 ")
	})
	return slow
}

// TestOldWorkerFinishesInFlight: a request in flight during a reload
// completes on the old generation, which then exits.
func TestOldWorkerFinishesInFlight(t *testing.T) {
	a, b := backend(t, "a"), backend(t, "b")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, config(front, a), []string{front})
	slow := slowInFlight(t, bt, front, 1500)
	bt.WriteConfig(config(front, b))
	if out, code := bt.Reload(); code != 0 {
		t.Fatalf("reload: %s", out)
	}
	if show := bt.CLI("show proc"); !strings.Contains(show, "draining") {
		t.Errorf("old generation not draining:\n%s", show)
	}
	r := <-slow
	if r.err != nil || r.label != "a" {
		t.Fatalf("in-flight request: %q %v", r.label, r.err)
	}
	harness.Eventually(t, 10*time.Second, "old worker exits", func() bool {
		return !strings.Contains(bt.CLI("show proc"), "draining")
	})
}

// TestSIGTERMDrains: SIGTERM lets an in-flight slow request finish, then
// the master exits 0.
func TestSIGTERMDrains(t *testing.T) {
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, config(front, a), []string{front})
	slow := slowInFlight(t, bt, front, 1000)
	bt.Signal(syscall.SIGTERM)
	r := <-slow
	if r.err != nil || r.label != "a" {
		t.Fatalf("in-flight request during SIGTERM: %q %v", r.label, r.err)
	}
	if code := bt.Wait(15 * time.Second); code != 0 {
		t.Fatalf("exit code %d\n%s", code, bt.Stderr)
	}
}
