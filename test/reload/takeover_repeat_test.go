package reload_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/internal/reloadtest"
	"baton/test/harness"
)

// TestRepeatedTakeovers (issue 8): every 2 s a new Baton starts with -x on
// the stats socket, with the backend flipped in its file, and takes the
// listeners over, under the reload-test traffic mix. The old process stops
// accepting before the new one starts and hands its idle keep-alive
// connections over, so no request fails, no new connection reaches the
// old configuration and no keep-alive client sees its connection closed
// under it. Each old process exits 0; one process is left at the end.
func TestRepeatedTakeovers(t *testing.T) {
	const takeovers = 4
	front := harness.FreeAddr(t)
	stats := filepath.Join(t.TempDir(), "stats.sock")
	procs := []*harness.Baton{harness.Start(t, takeoverConfig(front, "127.0.0.1:1", stats, 0), []string{front})}
	waitStats(t, stats)

	takeover := func(ctx context.Context, n int, label byte, addrs [2]string) (string, error) {
		cfg := takeoverConfig(front, addrs[label-'a'], stats, n)
		if n == 0 { // the setup: a reload of the first process onto a
			procs[0].WriteConfig(cfg)
			out, code := procs[0].Reload()
			if code != 0 {
				return out, fmt.Errorf("exit %d", code)
			}
			return out, nil
		}
		next := harness.Start(t, cfg, nil, "-x", stats)
		procs = append(procs, next)
		for !next.Stderr.Contains("master: started: worker") {
			if next.Exited() || ctx.Err() != nil {
				return next.Stderr.String(), fmt.Errorf("takeover %d did not start", n)
			}
			time.Sleep(5 * time.Millisecond) // polling the log for the event
		}
		return "", nil
	}
	sum, err := reloadtest.RunScenario(reloadtest.Scenario{
		Target: front, Reload: takeover, Interval: 2 * time.Second, Reloads: takeovers,
		Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d requests, %d failed, %d stale, %d races, %d pinned, switch median %v max %v",
		sum.Requests, sum.Failed, sum.Stale, sum.Races, sum.Pinned, sum.SwitchMedian, sum.SwitchMax)
	if !sum.Pass {
		t.Errorf("reload-test verdicts:\n%s", sum.Report)
	}
	for i, p := range procs[:len(procs)-1] {
		if code := p.Wait(20 * time.Second); code != 0 {
			t.Errorf("process %d exit code %d:\n%s", i, code, p.Stderr)
		}
		if !p.Stderr.Contains("handing connections over and draining") {
			t.Errorf("process %d did not hand its connections over:\n%s", i, p.Stderr)
		}
	}
	last := procs[len(procs)-1]
	if last.Exited() {
		t.Fatalf("the last process exited:\n%s", last.Stderr)
	}
	var show string
	harness.Eventually(t, 10*time.Second, "one serving worker in the last process", func() bool {
		show = last.CLI("show proc")
		return strings.Count(show, " serving ") == 1 && len(workerChildren(t, last.Cmd.Process.Pid, show)) == 1
	})
}
