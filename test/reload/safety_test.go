package reload_test

import (
	"net"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// noListenerConfig is a file caught half-written: its global and defaults
// sections only.
func noListenerConfig() string {
	full := config("127.0.0.1:1", "127.0.0.1:2")
	return full[:strings.Index(full, "frontend ")]
}

// TestNoListenerReloadRefused: a reload with a configuration that would
// accept nothing fails with the reason (Success=0, exit 1), and the
// serving generation and its listening socket stay as they were.
func TestNoListenerReloadRefused(t *testing.T) {
	a := backend(t, "a")
	front := harness.FreeAddr(t)
	bt := harness.Start(t, config(front, a), []string{front})
	bt.WriteConfig(noListenerConfig())
	out, code := bt.Reload()
	if code != 1 || !strings.HasPrefix(out, "Success=0") || !strings.Contains(out, "no listener") || !strings.Contains(out, bt.Config) {
		t.Fatalf("reload with no listener: exit %d\n%s", code, out)
	}
	if got, err := get(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, "http://"+front+"/"); err != nil || got != "a" {
		t.Fatalf("after the refused reload a new connection got %q (%v)", got, err)
	}
	show := bt.CLI("show proc")
	if !strings.Contains(show, "[failed: 1]") || strings.Count(show, " serving ") != 1 || strings.Contains(show, "draining") {
		t.Errorf("show proc after the refused reload:\n%s", show)
	}
	if bt.Stderr.Contains("closing listeners") {
		t.Errorf("a listener was closed:\n%s", bt.Stderr)
	}
}

// TestNoListenerStartRefused: `baton -f` does not start with it.
func TestNoListenerStartRefused(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/baton.cfg"
	writeAtomically(t, path, noListenerConfig())
	cmd := exec.Command(harness.Binary(t), "-f", path, "-S", dir+"/master.sock")
	done := make(chan struct{})
	var out []byte
	var err error
	go func() { out, err = cmd.CombinedOutput(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		t.Fatal("baton -f with no listener is still running after 20s")
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() == 0 || !strings.Contains(string(out), "no listener") {
		t.Fatalf("baton -f with no listener: %v\n%s", err, out)
	}
}

// TestDroppedBindClosedAfterHandOver: a bind removed from the file on
// purpose is closed once the new generation serves; the other stays.
func TestDroppedBindClosedAfterHandOver(t *testing.T) {
	a, b := backend(t, "a"), backend(t, "b")
	front, extra := harness.FreeAddr(t), harness.FreeAddr(t)
	two := strings.Replace(config(front, a), "    bind "+front+"\n", "    bind "+front+"\n    bind "+extra+"\n", 1)
	bt := harness.Start(t, two, []string{front, extra})
	bt.WriteConfig(config(front, b))
	if out, code := bt.Reload(); code != 0 {
		t.Fatalf("reload: exit %d\n%s", code, out)
	}
	if c, err := net.DialTimeout("tcp", extra, time.Second); err == nil {
		c.Close()
		t.Errorf("the dropped bind %s still accepts", extra)
	}
	if got, err := get(&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}, "http://"+front+"/"); err != nil || got != "b" {
		t.Fatalf("the kept bind answered %q (%v), want b", got, err)
	}
	if !bt.Stderr.Contains("closing listeners no longer configured: [" + extra + "]") {
		t.Errorf("no log line for the dropped bind:\n%s", bt.Stderr)
	}
}
