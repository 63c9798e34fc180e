package e2e_test

import (
	"bufio"
	"fmt"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// errorPageFiles are written to the test's directory: Debian's style (an
// HTTP/1.0 page closing the connection) and framed pages (Content-Length,
// keep-alive).
var errorPageFiles = map[string]string{
	"503.http":   "HTTP/1.0 503 Service Unavailable\r\nCache-Control: no-cache\r\nConnection: close\r\nContent-Type: text/html\r\n\r\n<html><body><h1>503 from the file</h1></body></html>\n",
	"fe503.http": "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nX-From: fe\r\n\r\nfe503\n",
	"be503.http": "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\nContent-Length: 6\r\nX-From: be\r\n\r\nbe503\n",
	"403.http":   "HTTP/1.1 403 Forbidden\r\nContent-Length: 7\r\nX-From: file\r\n\r\ndenied\n",
	"502.http":   "HTTP/1.1 502 Bad Gateway\r\nContent-Length: 8\r\n\r\nbad gw!\n",
	"504.http":   "HTTP/1.1 504 Gateway Timeout\r\nContent-Length: 8\r\n\r\nslow gw\n",
	"400.http":   "HTTP/1.1 400 Bad Request\r\nContent-Length: 9\r\n\r\nbad req!\n",
	"empty.http": "",
}

func errorPagesConfig(dir string, fronts map[string]string, garbage, silent string) string {
	return fmt.Sprintf(`http-errors site
    errorfile 503 %[1]s/be503.http
    errorfile 403 %[1]s/403.http
defaults base
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 300ms
    timeout http-request 300ms
frontend framed
    bind %[3]s
    errorfile 503 %[1]s/fe503.http
    default_backend nobody
frontend backend-wins
    bind %[4]s
    errorfile 503 %[1]s/fe503.http
    default_backend withpage
frontend loc
    bind %[5]s
    errorloc 503 /maint
    errorloc303 403 http://other.example/x
    http-request deny if { path /deny }
    default_backend nobody
frontend httperror
    bind %[6]s
    http-error status 503 content-type text/plain string "down" hdr X-Err yes
    default_backend nobody
frontend imported
    bind %[7]s
    errorfiles site
    http-request deny if { path /deny }
    default_backend nobody
frontend upstream
    bind %[8]s
    errorfile 502 %[1]s/502.http
    errorfile 504 %[1]s/504.http
    errorfile 408 %[1]s/empty.http
    errorfile 400 %[1]s/400.http
    use_backend silent if { path /silent }
    default_backend garbage
backend nobody
backend withpage
    errorfile 503 %[1]s/be503.http
backend garbage
    server g %[9]s
backend silent
    server s %[10]s
defaults debian from base
    errorfile 503 %[1]s/503.http
frontend debian
    bind %[2]s
    default_backend debian-nobody
backend debian-nobody
`, dir, fronts["debian"], fronts["framed"], fronts["backend-wins"], fronts["loc"], fronts["httperror"], fronts["imported"], fronts["upstream"], garbage, silent)
}

// TestErrorPages: errorfile, errorloc, errorloc303, http-error and
// http-errors/errorfiles replace the 503, 403, 502, 504 and 408 responses
// the proxy generates, with the backend's page first, under Baton and
// HAProxy alike.
func TestErrorPages(t *testing.T) {
	garbage := harness.StartOrigin(t, func(c net.Conn) {
		bufio.NewReader(c).ReadString('\n')
		c.Write([]byte("this is not HTTP\r\n\r\n"))
	})
	silent := harness.StartOrigin(t, func(c net.Conn) {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		c.Read(make([]byte, 4096)) // read the request, never answer
		time.Sleep(2 * time.Second)
	})
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			dir := t.TempDir()
			for name, body := range errorPageFiles {
				if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			fronts := map[string]string{}
			var addrs []string
			for _, n := range []string{"debian", "framed", "backend-wins", "loc", "httperror", "imported", "upstream"} {
				fronts[n] = harness.FreeAddr(t)
				addrs = append(addrs, fronts[n])
			}
			cfg := errorPagesConfig(dir, fronts, garbage.Addr, silent.Addr)
			if impl == "baton" {
				harness.Start(t, cfg, addrs)
			} else {
				harness.StartHAProxy(t, cfg, addrs)
			}
			get := func(front, path string) (*harness.Conn, *harness.Response) {
				c := harness.Dial(t, fronts[front])
				c.Send("GET " + path + " HTTP/1.1\r\nHost: x\r\n\r\n")
				return c, c.Read("GET")
			}
			check := func(what string, r *harness.Response, status int, body string, hdrs ...string) {
				t.Helper()
				if r.Status != status || string(r.Body) != body {
					t.Errorf("%s: %d %q, want %d %q", what, r.Status, r.Body, status, body)
				}
				for i := 0; i+1 < len(hdrs); i += 2 {
					if got := r.Get(hdrs[i]); got != hdrs[i+1] {
						t.Errorf("%s: %s %q, want %q", what, hdrs[i], got, hdrs[i+1])
					}
				}
			}
			closes := func(what string, c *harness.Conn, want bool) {
				t.Helper()
				if closed, _ := c.Closed(time.Second); closed != want {
					t.Errorf("%s: connection closed %v, want %v", what, closed, want)
				}
			}

			c, r := get("debian", "/")
			check("Debian errorfile", r, 503, strings.SplitN(errorPageFiles["503.http"], "\r\n\r\n", 2)[1], "Cache-Control", "no-cache")
			closes("Debian errorfile (no Content-Length)", c, true)

			c, r = get("framed", "/")
			check("framed errorfile", r, 503, "fe503\n", "X-From", "fe")
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			check("framed errorfile, same connection", c.Read("GET"), 503, "fe503\n")

			_, r = get("backend-wins", "/")
			check("backend's page first", r, 503, "be503\n", "X-From", "be")

			_, r = get("loc", "/")
			check("errorloc", r, 302, "", "Location", "/maint", "Cache-Control", "no-cache")
			_, r = get("loc", "/deny")
			check("errorloc303 for a deny", r, 303, "", "Location", "http://other.example/x")

			_, r = get("httperror", "/")
			check("http-error", r, 503, "down", "X-Err", "yes", "Content-Type", "text/plain")

			_, r = get("imported", "/")
			check("errorfiles 503", r, 503, "be503\n", "X-From", "be")
			_, r = get("imported", "/deny")
			check("errorfiles 403 for a deny", r, 403, "denied\n", "X-From", "file")

			_, r = get("upstream", "/")
			check("502 from a garbage server", r, 502, "bad gw!\n")
			_, r = get("upstream", "/silent")
			check("504 from a silent server", r, 504, "slow gw\n")

			c = harness.Dial(t, fronts["upstream"])
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n") // never finished
			if closed, got := c.Closed(3 * time.Second); !closed || got != "" {
				t.Errorf("408 with an empty errorfile: closed %v, received %q; want closed, nothing", closed, got)
			}
			if impl == "baton" {
				// HAProxy 2.6 answers request-parsing errors with its own
				// page; Baton uses the configured one for every response
				// it generates.
				c = harness.Dial(t, fronts["upstream"])
				c.Send("BAD\r\n\r\n")
				check("400 for a broken request", c.Read("GET"), 400, "bad req!\n")
			}
		})
	}
}

// TestDebianDefaultConfig: Debian's own /etc/haproxy/haproxy.cfg, with a
// frontend added (and its stats socket moved to a temporary directory),
// runs with every line of it (syslog to /dev/log, chroot, user, group,
// TLS defaults, errorfile lines): the worker is
// haproxy:haproxy in /var/lib/haproxy and answers 503 and 403 with
// Debian's files, as HAProxy does with the same file.
func TestDebianDefaultConfig(t *testing.T) {
	raw, err := os.ReadFile("/etc/haproxy/haproxy.cfg")
	if err != nil {
		t.Skipf("Debian's haproxy package is not installed: %v", err)
	}
	if os.Getuid() != 0 {
		t.Skip("Debian's configuration drops privileges: needs root")
	}
	page503, err1 := os.ReadFile("/etc/haproxy/errors/503.http")
	page403, err2 := os.ReadFile("/etc/haproxy/errors/403.http")
	if err1 != nil || err2 != nil || !strings.Contains(string(raw), "chroot /var/lib/haproxy") {
		t.Skip("not Debian's stock configuration")
	}
	body := func(page []byte) string { return strings.SplitN(string(page), "\r\n\r\n", 2)[1] }
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			front := harness.FreeAddr(t)
			stats := filepath.Join(t.TempDir(), "admin.sock")
			cfg := strings.Replace(string(raw), "/run/haproxy/admin.sock", stats, 1) + fmt.Sprintf(`
frontend web
	bind %s
	http-request deny if { path /forbidden }
	default_backend app
backend app
`, front)
			var pid int
			if impl == "baton" {
				// Every line of it, TLS defaults, syslog, chroot, user,
				// group and error files included.
				if out, code := harness.Check(t, cfg); code != 0 {
					t.Fatalf("baton -c rejects Debian's configuration:\n%s", out)
				}
				bt := harness.Start(t, cfg, []string{front})
				pid = servingWorker(t, bt)
			} else {
				pid = harness.StartHAProxy(t, cfg, []string{front}).Cmd.Process.Pid
			}
			c := harness.Dial(t, front)
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if r := c.Read("GET"); r.Status != 503 || string(r.Body) != body(page503) {
				t.Errorf("no server: %d %q, want Debian's 503 page", r.Status, r.Body)
			}
			c = harness.Dial(t, front)
			c.Send("GET /forbidden HTTP/1.1\r\nHost: x\r\n\r\n")
			if r := c.Read("GET"); r.Status != 403 || string(r.Body) != body(page403) {
				t.Errorf("deny: %d %q, want Debian's 403 page", r.Status, r.Body)
			}
			uid, gid := lookupIDs(t, "haproxy")
			id := procIdentity(t, pid)
			if id["Uid"] != uid || id["Gid"] != gid || id["root"] != "/var/lib/haproxy" {
				t.Errorf("serving process %d: %v; want uid %s gid %s root /var/lib/haproxy", pid, id, uid, gid)
			}
		})
	}
}

// lookupIDs returns a user's uid and its group's gid as /proc shows them
// (the four ids of a Uid or Gid line).
func lookupIDs(t *testing.T, name string) (uid, gid string) {
	t.Helper()
	u, err1 := user.Lookup(name)
	g, err2 := user.LookupGroup(name)
	if err1 != nil || err2 != nil {
		t.Skipf("no %s user and group", name)
	}
	four := func(s string) string { return strings.TrimSpace(strings.Repeat(s+" ", 4)) }
	return four(u.Uid), four(g.Gid)
}

// procIdentity reads a process's Uid and Gid lines and its root directory.
func procIdentity(t *testing.T, pid int) map[string]string {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	id := map[string]string{}
	for _, l := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok && (k == "Uid" || k == "Gid") {
			id[k] = strings.Join(strings.Fields(v), " ")
		}
	}
	id["root"], _ = os.Readlink(fmt.Sprintf("/proc/%d/root", pid))
	return id
}

// TestDefaultPath: "default-path origin DIR" makes relative file names
// start from DIR, wherever the proxy was started.
func TestDefaultPath(t *testing.T) {
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			dir := t.TempDir()
			os.Mkdir(filepath.Join(dir, "pages"), 0o755)
			if err := os.WriteFile(filepath.Join(dir, "pages", "503.http"), []byte(errorPageFiles["fe503.http"]), 0o644); err != nil {
				t.Fatal(err)
			}
			front := harness.FreeAddr(t)
			cfg := fmt.Sprintf(langBase, "    default-path origin "+dir, front, "    errorfile 503 pages/503.http\n    http-request deny deny_status 503")
			if impl == "baton" {
				harness.Start(t, cfg, []string{front})
			} else {
				harness.StartHAProxy(t, cfg, []string{front})
			}
			c := harness.Dial(t, front)
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if r := c.Read("GET"); r.Status != 503 || string(r.Body) != "fe503\n" {
				t.Errorf("%d %q, want the page from %s/pages/503.http", r.Status, r.Body, dir)
			}
		})
	}
}
