package reload_test

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

func takeoverConfig(front, backend, stats string, n int) string {
	return strings.Replace(stormConfig(front, backend, n), "global\n",
		fmt.Sprintf("global\n    stats socket %s mode 600 level admin expose-fd listeners\n", stats), 1)
}

// TestStandaloneTakeover: "baton -x STATS" takes the listening sockets
// over from a running Baton, serves them and soft-stops it, under
// continuous traffic: no request fails (no refused or reset connection),
// the old process exits 0, and the new one answers on the same port and
// on the stats socket.
func TestStandaloneTakeover(t *testing.T) {
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	stats := filepath.Join(t.TempDir(), "stats.sock")
	old := harness.Start(t, takeoverConfig(front, a, stats, 1), []string{front})
	waitStats(t, stats)
	if out, err := cliCommand(stats, "show info"); err != nil || !strings.Contains(out, "Name: Baton") {
		t.Fatalf("show info on the stats socket: %q %v", out, err)
	}

	var traffic stormTraffic
	stop := make(chan struct{})
	traffic.run(front, 8, stop)
	harness.Eventually(t, 5*time.Second, "traffic flows", func() bool { return traffic.requests.Load() > 200 })

	started := time.Now()
	next := harness.Start(t, takeoverConfig(front, a, stats, 2), []string{front}, "-x", stats)
	if code := old.Wait(20 * time.Second); code != 0 {
		t.Fatalf("old process exit code %d\n%s", code, old.Stderr)
	}
	t.Logf("old process gone %v after the new one started", time.Since(started).Round(time.Millisecond))
	// A little more traffic on the new process alone.
	base := traffic.requests.Load()
	harness.Eventually(t, 5*time.Second, "traffic after the takeover", func() bool { return traffic.requests.Load() > base+200 })
	close(stop)
	traffic.wg.Wait()

	if f := traffic.failures.Load(); f > 0 {
		t.Errorf("%d of %d requests failed across the takeover, e.g.:\n%s", f, traffic.requests.Load(), strings.Join(traffic.failMsgs, "\n"))
	}
	if got, err := freshGet(front); err != nil || got != "2" {
		t.Errorf("after the takeover a new connection got configuration %q (%v), want 2", got, err)
	}
	if !next.Stderr.Contains("took 1 listener(s) over from " + stats) {
		t.Errorf("no takeover logged:\n%s", next.Stderr)
	}
	if !old.Stderr.Contains("_handover: the new process serves; handing connections over and draining") {
		t.Errorf("old process did not log the hand-over:\n%s", old.Stderr)
	}
	if !next.Stderr.Contains("stopped accepting before this one started") {
		t.Errorf("new process did not log the hand-over:\n%s", next.Stderr)
	}
	if out, err := cliCommand(stats, "show info"); err != nil || !strings.Contains(out, "Name: Baton") {
		t.Errorf("stats socket after the takeover: %q %v", out, err)
	}
	if show := next.CLI("show proc"); strings.Count(show, " serving ") != 1 {
		t.Errorf("show proc:\n%s", show)
	}
	if next.Exited() {
		t.Fatalf("new process exited:\n%s", next.Stderr)
	}
}

// TestTakeoverNeedsExposeFD: without "expose-fd listeners" the running
// process refuses, and the new one fails to start without disturbing it.
func TestTakeoverNeedsExposeFD(t *testing.T) {
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	stats := filepath.Join(t.TempDir(), "stats.sock")
	cfg := strings.Replace(takeoverConfig(front, a, stats, 1), " expose-fd listeners", "", 1)
	old := harness.Start(t, cfg, []string{front})
	waitStats(t, stats)
	next := harness.Start(t, cfg, nil, "-x", stats)
	if code := next.Wait(10 * time.Second); code != 1 {
		t.Fatalf("exit code %d, want 1\n%s", code, next.Stderr)
	}
	if !next.Stderr.Contains("Permission denied") {
		t.Errorf("no reason given:\n%s", next.Stderr)
	}
	if got, err := freshGet(front); err != nil || got != "1" || old.Exited() {
		t.Errorf("old process after a refused takeover: %q %v", got, err)
	}
}

// waitStats waits until the stats socket answers (the master opens it once
// its first worker serves).
func waitStats(t *testing.T, path string) {
	t.Helper()
	harness.Eventually(t, 10*time.Second, "stats socket "+path+" answers", func() bool {
		out, err := cliCommand(path, "help")
		return err == nil && strings.Contains(out, "The following commands are valid at this level")
	})
}
