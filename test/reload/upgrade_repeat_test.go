package reload_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"baton/internal/reloadtest"
	"baton/test/harness"
)

// TestRepeatedUpgrades (issue 8): 10 binary upgrades, one a second, each
// with the backend flipped in the file and a new binary renamed over the
// old one, under the reload-test traffic mix, whose slow uploads and
// downloads keep old generations draining across the next upgrade (among
// them generations that an earlier upgrade adopted). Every upgrade answers
// Success=1; no request fails, no new connection reaches the old
// configuration, no keep-alive request races a close; the master keeps its
// PID throughout.
func TestRepeatedUpgrades(t *testing.T) {
	const upgrades = 10
	dir := t.TempDir()
	bin := filepath.Join(dir, "baton")
	versions := [2]string{filepath.Join(dir, "baton-v1"), filepath.Join(dir, "baton-v2")}
	buildVersion(t, versions[0], "1.0.0-one")
	buildVersion(t, versions[1], "2.0.0-two")
	install := func(v int) {
		t.Helper()
		data, err := os.ReadFile(versions[v])
		if err != nil {
			t.Fatal(err)
		}
		// Replaced on disk the safe way: a new file renamed over it.
		if err := os.WriteFile(bin+".new", data, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(bin+".new", bin); err != nil {
			t.Fatal(err)
		}
	}
	install(0)
	t.Setenv("BATON_BIN", bin)

	// Requests for /hold go to a server of the test's own that holds each
	// one 2 s: one is in flight at every upgrade, so the generation it
	// replaces (adopted by the previous upgrade) still drains at the next.
	hold := newHoldServer(t, 2*time.Second)
	front := harness.FreeAddr(t)
	cfg := func(backend string, n int) string {
		return strings.Replace(stormConfig(front, backend, n), "    default_backend be\n",
			"    use_backend hold if { path_beg /hold }\n    default_backend be\n", 1) +
			"backend hold\n    server h1 " + hold.addr + "\n"
	}
	bt := harness.Start(t, cfg("127.0.0.1:1", 0), []string{front})
	master := bt.Cmd.Process.Pid

	var results []string
	upgrade := func(ctx context.Context, n int, label byte, addrs [2]string) (string, error) {
		writeAtomically(t, bt.Config, cfg(addrs[label-'a'], n))
		if n == 0 { // the setup: a plain reload onto backend a
			out, err := exec.CommandContext(ctx, bin, "reload", "-S", bt.Socket).CombinedOutput()
			return string(out), err
		}
		hold.send(t, front)
		install(n % 2)
		out, err := exec.CommandContext(ctx, bin, "upgrade", "-S", bt.Socket).CombinedOutput()
		results = append(results, string(out))
		if err == nil && !strings.HasPrefix(string(out), "Success=1") {
			err = fmt.Errorf("upgrade %d did not succeed", n)
		}
		return string(out), err
	}
	sum, err := reloadtest.RunScenario(reloadtest.Scenario{
		Target: front, Reload: upgrade, Interval: time.Second, Reloads: upgrades,
		Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatalf("%v\nstderr:\n%s", err, bt.Stderr)
	}
	t.Logf("%d requests, %d failed, %d stale, %d races, %d pinned, switch median %v max %v",
		sum.Requests, sum.Failed, sum.Stale, sum.Races, sum.Pinned, sum.SwitchMedian, sum.SwitchMax)
	ok := 0
	for i, out := range results {
		if strings.HasPrefix(out, "Success=1") {
			ok++
		} else {
			t.Errorf("upgrade %d:\n%s", i+1, out)
		}
	}
	if ok != upgrades {
		t.Errorf("%d of %d upgrades answered Success=1", ok, upgrades)
	}
	if !sum.Pass {
		t.Errorf("reload-test verdicts:\n%s", sum.Report)
	}
	if errs := hold.wait(); len(errs) > 0 {
		t.Errorf("%d held requests failed: %v", len(errs), errs)
	}
	if bt.Exited() || bt.Cmd.Process.Pid != master {
		t.Fatalf("master gone or replaced:\n%s", bt.Stderr)
	}
	show := bt.CLI("show proc")
	if !strings.HasPrefix(strings.Split(show, "\n")[1], fmt.Sprint(master)+" ") || !strings.Contains(show, fmt.Sprintf("[upgrades: %d]", upgrades)) {
		t.Errorf("show proc after %d upgrades:\n%s", upgrades, show)
	}
}

// holdServer answers every request after holding it for a while; send
// returns once the request reached it.
type holdServer struct {
	addr    string
	arrived chan struct{}
	wg      sync.WaitGroup
	mu      sync.Mutex
	errs    []error
}

func newHoldServer(t *testing.T, d time.Duration) *holdServer {
	h := &holdServer{arrived: make(chan struct{}, 16)}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h.addr = ln.Addr().String()
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.arrived <- struct{}{}
		time.Sleep(d) // the hold itself: what the test measures against
		w.Header().Set("X-Backend", "hold")
		io.WriteString(w, "held\n")
	})}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return h
}

// send starts a GET /hold through front and returns once the server holds
// it; its outcome is judged by wait.
func (h *holdServer) send(t *testing.T, front string) {
	h.wg.Add(1)
	go func() {
		defer h.wg.Done()
		c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 30 * time.Second}
		if got, err := get(c, "http://"+front+"/hold"); err != nil || got != "hold" {
			h.mu.Lock()
			h.errs = append(h.errs, fmt.Errorf("held request: %q %v", got, err))
			h.mu.Unlock()
		}
	}()
	select {
	case <-h.arrived:
	case <-time.After(10 * time.Second):
		t.Fatal("held request did not reach the hold server")
	}
}

// wait returns once every held request ended, with their failures.
func (h *holdServer) wait() []error {
	h.wg.Wait()
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.errs
}
