package harness

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
)

// HAProxyPath returns the haproxy executable on PATH, or "" when there is
// none: the side-by-side tests then run against baton only.
func HAProxyPath() string {
	p, err := exec.LookPath("haproxy")
	if err != nil {
		return ""
	}
	return p
}

// HAProxy is a running "haproxy -f FILE -db" process, the reference that
// the same configuration text is compared against.
type HAProxy struct {
	t testing.TB
	process
	Config string
	Stdout *Output
	Stderr *Output
}

// StartHAProxy writes cfg into a temporary file, runs haproxy in the
// foreground on it and waits until every address in waitAddrs accepts. The
// test is skipped when haproxy is not installed. The process is stopped at
// cleanup.
func StartHAProxy(t testing.TB, cfg string, waitAddrs []string) *HAProxy {
	t.Helper()
	bin := HAProxyPath()
	if bin == "" {
		t.Skip("haproxy not on PATH")
	}
	dir := t.TempDir()
	h := &HAProxy{
		t:      t,
		Config: filepath.Join(dir, "haproxy.cfg"),
		Stdout: &Output{},
		Stderr: &Output{},
	}
	if err := os.WriteFile(h.Config, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	h.Cmd = exec.Command(bin, "-f", h.Config, "-db")
	h.Cmd.Stdout = h.Stdout
	h.Cmd.Stderr = h.Stderr
	h.start(t, syscall.SIGTERM)
	for _, a := range waitAddrs {
		waitListening(t, a, h.exited, func() string { return h.Stderr.String() + h.Stdout.String() })
	}
	return h
}

// CheckHAProxy runs "haproxy -c -f FILE" on cfg and returns the combined
// output and exit code; the test is skipped without haproxy.
func CheckHAProxy(t testing.TB, cfg string) (string, int) {
	t.Helper()
	bin := HAProxyPath()
	if bin == "" {
		t.Skip("haproxy not on PATH")
	}
	return runCheck(t, cfg, bin, "-c")
}
