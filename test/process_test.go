package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// servingWorker returns the PID of the serving worker from "show proc".
func servingWorker(t *testing.T, bt *harness.Baton) int {
	t.Helper()
	pid := 0
	harness.Eventually(t, 10*time.Second, "a serving worker in show proc", func() bool {
		for _, l := range strings.Split(bt.CLI("show proc"), "\n") {
			f := strings.Fields(l)
			if len(f) > 3 && f[1] == "worker" && f[3] == "serving" {
				pid, _ = strconv.Atoi(f[0])
			}
		}
		return pid > 0
	})
	return pid
}

// openFilesLimit returns the soft and hard "Max open files" of pid.
func openFilesLimit(t *testing.T, pid int) [2]uint64 {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "Max open files") {
			var lim [2]uint64
			fmt.Sscan(strings.TrimPrefix(l, "Max open files"), &lim[0], &lim[1])
			return lim
		}
	}
	t.Fatalf("no open files limit in /proc/%d/limits", pid)
	return [2]uint64{}
}

// processConfig is an HTTP frontend on front answering 200 "ok" by
// itself, with the global lines given.
func processConfig(front, global string) string {
	return fmt.Sprintf(langBase, global, front, "")
}

// TestUlimitN: with "ulimit-n N" the serving process may open N files
// (its soft limit is at least N, the hard one unchanged), under Baton (the
// worker) and HAProxy alike.
func TestUlimitN(t *testing.T) {
	self := openFilesLimit(t, os.Getpid())
	if self[1] < 3000 {
		t.Skipf("hard open-files limit %d below the 3000 the test needs", self[1])
	}
	check := func(t *testing.T, pid int) {
		if got := openFilesLimit(t, pid); got[0] < 3000 || got[1] != self[1] {
			t.Errorf("open-files limit %v, want a soft limit of at least 3000 and the hard limit %d", got, self[1])
		}
	}
	t.Run("baton", func(t *testing.T) {
		front := harness.FreeAddr(t)
		bt := harness.Start(t, processConfig(front, "    ulimit-n 3000"), []string{front})
		check(t, servingWorker(t, bt))
	})
	t.Run("haproxy", func(t *testing.T) {
		front := harness.FreeAddr(t)
		h := harness.StartHAProxy(t, processConfig(front, "    ulimit-n 3000"), []string{front})
		check(t, h.Cmd.Process.Pid)
	})
}

// runToExit runs bin on cfg in the foreground for at most a few seconds
// and returns its output and exit code (-1 when it was still running).
func runToExit(t *testing.T, bin, cfg string, args ...string) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "p.cfg")
	if err := os.WriteFile(path, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append(args, "-f", path)...)
	out := &harness.Output{}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if ee, ok := err.(*exec.ExitError); ok {
			return out.String(), ee.ExitCode()
		}
		return out.String(), 0
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		return out.String(), -1
	}
}

// TestStrictLimits: an open-files limit the kernel refuses (above
// fs.nr_open) stops the start under strict-limits, HAProxy 2.6's default;
// with "no strict-limits" it is a warning and the proxy serves.
func TestStrictLimits(t *testing.T) {
	huge := "    ulimit-n 99999999"
	for _, impl := range []struct {
		name, bin string
		args      []string
		alert     string
	}{
		{"baton", "", nil, "cannot raise the open-files limit to 99999999"},
		{"haproxy", harness.HAProxyPath(), []string{"-db"}, "Cannot raise FD limit to 99999999"},
	} {
		t.Run(impl.name, func(t *testing.T) {
			bin := impl.bin
			if impl.name == "baton" {
				bin = harness.Binary(t)
			} else if bin == "" {
				t.Skip("haproxy not on PATH")
			}
			front := harness.FreeAddr(t)
			out, code := runToExit(t, bin, processConfig(front, huge), impl.args...)
			if code != 1 || !strings.Contains(out, impl.alert) {
				t.Fatalf("strict: exit %d, want 1 and %q:\n%s", code, impl.alert, out)
			}
			var h *harness.HAProxy
			var bt *harness.Baton
			cfg := processConfig(front, huge+"\n    no strict-limits")
			if impl.name == "baton" {
				bt = harness.Start(t, cfg, []string{front})
			} else {
				h = harness.StartHAProxy(t, cfg, []string{front})
			}
			c := harness.Dial(t, front)
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if r := c.Read("GET"); r.Status != 200 {
				t.Fatalf("no strict-limits: status %d", r.Status)
			}
			warned := func() bool {
				if bt != nil {
					return bt.Stderr.Contains("warning: cannot raise the open-files limit")
				}
				return h.Stderr.Contains("Cannot raise FD limit")
			}
			harness.Eventually(t, 5*time.Second, "a warning about the limit", warned)
		})
	}
}
