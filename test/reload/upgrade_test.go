package reload_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"baton/test/harness"
)

// buildVersion builds cmd/baton with main.version set.
func buildVersion(t *testing.T, out, version string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, "-ldflags", "-X main.version="+version, "./cmd/baton")
	cmd.Dir = harness.RepoRoot()
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", version, err, b)
	}
}

// TestBinaryUpgrade: the binary on disk is replaced by a newer version and
// "baton upgrade" re-executes it in place under continuous traffic: no
// request fails, the master keeps its PID, and the master and its only
// worker then run the new version.
func TestBinaryUpgrade(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "baton")
	buildVersion(t, bin, "1.0.0-old")
	buildVersion(t, filepath.Join(dir, "baton-new"), "2.0.0-new")
	t.Setenv("BATON_BIN", bin) // harness.Start runs it

	a := backend(t, "a")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, stormConfig(front, a, 1), []string{front})
	master := bt.Cmd.Process.Pid
	if show := bt.CLI("show proc"); !strings.Contains(show, "1.0.0-old") {
		t.Fatalf("show proc before the upgrade:\n%s", show)
	}

	var traffic stormTraffic
	stop := make(chan struct{})
	traffic.run(front, 8, stop)
	harness.Eventually(t, 5*time.Second, "traffic flows", func() bool { return traffic.requests.Load() > 200 })

	if err := os.Rename(filepath.Join(dir, "baton-new"), bin); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(bin, "upgrade", "-S", bt.Socket).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "Success=1") || !strings.Contains(string(out), "from version 1.0.0-old to 2.0.0-new") {
		t.Fatalf("baton upgrade: %v\n%s\nstderr:\n%s", err, out, bt.Stderr)
	}
	base := traffic.requests.Load()
	harness.Eventually(t, 5*time.Second, "traffic after the upgrade", func() bool { return traffic.requests.Load() > base+200 })
	close(stop)
	traffic.wg.Wait()
	if f := traffic.failures.Load(); f > 0 {
		t.Errorf("%d of %d requests failed across the upgrade, e.g.:\n%s", f, traffic.requests.Load(), strings.Join(traffic.failMsgs, "\n"))
	}

	var show string
	harness.Eventually(t, 10*time.Second, "old workers drained", func() bool {
		show = bt.CLI("show proc")
		return len(workerChildren(t, master, show)) == 1 && !strings.Contains(show, "draining")
	})
	lines := strings.Split(show, "\n")
	if len(lines) < 4 || !strings.HasPrefix(lines[1], strconv.Itoa(master)+" ") || !strings.HasSuffix(strings.TrimSpace(lines[1]), "2.0.0-new") {
		t.Errorf("master line: want pid %d and version 2.0.0-new:\n%s", master, show)
	}
	gens, _, _ := strings.Cut(show, "# spare\n") // the master and its generations
	if !strings.Contains(show, "[upgrades: 1]") || strings.Count(gens, "2.0.0-new") != 2 || strings.Contains(show, "1.0.0-old") {
		t.Errorf("show proc after the upgrade:\n%s", show)
	}
	if v, err := exec.Command(bin, "-v").Output(); err != nil || !strings.Contains(string(v), "2.0.0-new") {
		t.Errorf("baton -v: %q %v", v, err)
	}
	if got, err := freshGet(front); err != nil || got != "1" {
		t.Errorf("after the upgrade: %q %v", got, err)
	}
	t.Logf("show proc after the upgrade:\n%s", show)
	if bt.Exited() {
		t.Fatalf("master exited:\n%s", bt.Stderr)
	}
	bt.Signal(syscall.SIGTERM)
	if code := bt.Wait(15 * time.Second); code != 0 {
		t.Fatalf("exit code %d after SIGTERM\n%s", code, bt.Stderr)
	}
}
