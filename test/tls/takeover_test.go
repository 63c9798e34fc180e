package tls_test

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// TestResumptionAcrossTakeover: a client that got a session ticket from
// one Baton resumes its session with the Baton that took the sockets over
// with -x, because the new master asks the old one for its ticket keys
// (_gettickets) before its first worker starts. Baton only: HAProxy makes
// new keys in a process started with -x unless tls-ticket-keys is set.
func TestResumptionAcrossTakeover(t *testing.T) {
	stats := filepath.Join(t.TempDir(), "stats.sock")
	e := start(t, "baton", strings.Replace(base, "global\n", "global\n    stats socket "+stats+" level admin expose-fd listeners\n", 1)+`
frontend fe
    bind ${FE} ssl crt ${DIR}/www.pem
    default_backend be

backend be
    server s1 ${S1}
`, nil)
	harness.Eventually(t, 10*time.Second, "the stats socket answers", func() bool {
		c, err := net.Dial("unix", stats)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
	dir := t.TempDir()
	req := "GET / HTTP/1.0\r\n\r\n"
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		if out := sClientIn(t, e.addrs["FE"], req, v, "-ign_eof", "-servername", "www.example.com", "-sess_out", filepath.Join(dir, "sess"+v)); !strings.Contains(out, "New, TLS") {
			t.Fatalf("%s first: %s", v, out)
		}
	}
	next := harness.Start(t, e.cfg, []string{e.addrs["FE"]}, "-x", stats)
	if code := e.baton.Wait(20 * time.Second); code != 0 {
		t.Fatalf("the previous process exited %d:\n%s", code, e.baton.Stderr)
	}
	if !strings.Contains(next.Stderr.String(), "TLS ticket key(s) taken over") {
		t.Errorf("the new master did not say it took the ticket keys over:\n%s", next.Stderr)
	}
	for _, v := range []string{"-tls1_2", "-tls1_3"} {
		if out := sClientIn(t, e.addrs["FE"], req, v, "-ign_eof", "-servername", "www.example.com", "-sess_in", filepath.Join(dir, "sess"+v)); !strings.Contains(out, "Reused, TLS") || !strings.Contains(out, "backend s1") {
			t.Errorf("%s after the takeover: not resumed:\n%s", v, out)
		}
	}
	_ = os.Remove(stats)
}
