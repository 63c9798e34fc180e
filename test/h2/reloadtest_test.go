package h2_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"baton/internal/reloadtest"
	"baton/test/harness"
)

// h2ReloadConfig is a clear-text HTTP/2 frontend routed to backend.
func h2ReloadConfig(front, backend string) string {
	return fmt.Sprintf(`global
    hard-stop-after 30s
defaults
    mode http
    timeout connect 5s
    timeout client 30s
    timeout server 30s
frontend fe
    bind %s proto h2
    default_backend be
backend be
    server s1 %s
`, front, backend)
}

// TestReloadTestH2 runs `baton reload-test`'s HTTP/2 mode (issue 16)
// against Baton: streams on shared connections, slow uploads and
// downloads, a connection per stream for the new-connection clients,
// while Baton reloads and flips the backend. No stream fails or is
// refused, no connection opened after a switch reaches the old
// configuration, and the old generations' connections get the two-phase
// GOAWAY (the report's counts).
func TestReloadTestH2(t *testing.T) {
	front := harness.FreeAddr(t)
	bt := harness.Start(t, h2ReloadConfig(front, "127.0.0.1:9"), []string{front})
	reload := func(ctx context.Context, n int, label byte, addrs [2]string) (string, error) {
		if err := os.WriteFile(bt.Config, []byte(h2ReloadConfig(front, addrs[label-'a'])), 0o644); err != nil {
			return "", err
		}
		out, err := exec.CommandContext(ctx, harness.Binary(t), "reload", "-S", bt.Socket).CombinedOutput()
		return string(out), err
	}
	sum, err := reloadtest.RunScenario(reloadtest.Scenario{
		Target: front, Reload: reload, H2: true, Interval: 500 * time.Millisecond, Reloads: 6,
		Settle: 300 * time.Millisecond, Timeout: 10 * time.Second,
		Clients: reloadtest.Mix{New: 2, Busy: 2, Idle: 4, Upload: 2, Download: 2},
	})
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, bt.Stderr)
	}
	t.Logf("%d streams, %d failed, %d refused, %d stale, %d pinned, switch median %v",
		sum.Requests, sum.Failed, sum.ByOutcome["refused_stream"], sum.Stale, sum.Pinned, sum.SwitchMedian)
	if !sum.Pass || sum.ByOutcome["refused_stream"] != 0 || sum.Requests < 100 {
		t.Errorf("reload-test verdicts:\n%s", sum.Report)
	}
	if sum.GoAwayConns == 0 || sum.TwoPhaseConns != sum.GoAwayConns {
		t.Errorf("%d connections got a GOAWAY, %d of them two-phase: want every one\n%s", sum.GoAwayConns, sum.TwoPhaseConns, sum.Report)
	}
}
