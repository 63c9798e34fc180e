// Package ops_test runs Baton's operations interfaces end to end: the
// runtime API on the stats socket, the statistics page in a real browser,
// the Prometheus exporter, monitor-uri, and state and counters across
// reloads, each against HAProxy 2.6 on the same configuration where
// HAProxy has the feature.
package ops_test

import (
	"fmt"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/internal/sample"
	"baton/test/harness"
)

// httpDefaults is the defaults section of the tests' configurations.
const httpDefaults = `
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
`

// origin starts a labelled sample backend and returns its address.
func origin(t *testing.T, label string) string {
	t.Helper()
	addr := harness.FreeAddr(t)
	s, err := sample.Start(addr, label)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return addr
}

// proc is one proxy under test: Baton or HAProxy with the same
// configuration text (its own ports and socket).
type proc struct {
	name  string // "baton" or "haproxy"
	sock  string // stats socket path
	addrs map[string]string
	baton *harness.Baton
}

// cmd runs one line on the stats socket.
func (p *proc) cmd(t *testing.T, line string) string {
	t.Helper()
	return harness.SocketCommand(t, p.sock, line)
}

// fill replaces ${NAME} placeholders, also inside replacements.
func fill(cfg string, vars map[string]string) string {
	for range 3 {
		for k, v := range vars {
			cfg = strings.ReplaceAll(cfg, "${"+k+"}", v)
		}
	}
	return cfg
}

// startPair starts Baton and (when installed) HAProxy on cfg. ${SOCK} is
// each one's stats socket, ${FE...} are free ports each binds; other
// placeholders come from shared (origins both use).
func startPair(t *testing.T, cfg string, shared map[string]string, fes ...string) []*proc {
	t.Helper()
	return start(t, []string{"baton", "haproxy"}, cfg, shared, fes...)
}

// startBaton starts Baton alone (what HAProxy does not have).
func startBaton(t *testing.T, cfg string, shared map[string]string, fes ...string) *proc {
	t.Helper()
	return start(t, []string{"baton"}, cfg, shared, fes...)[0]
}

func start(t *testing.T, names []string, cfg string, shared map[string]string, fes ...string) []*proc {
	t.Helper()
	var out []*proc
	for _, name := range names {
		if name == "haproxy" && harness.HAProxyPath() == "" {
			t.Log("haproxy not installed: Baton alone")
			continue
		}
		p := &proc{name: name, sock: filepath.Join(t.TempDir(), "stats.sock"), addrs: map[string]string{}}
		vars := map[string]string{"SOCK": p.sock}
		for k, v := range shared {
			vars[k] = v
		}
		var wait []string
		for _, fe := range fes {
			p.addrs[fe] = harness.FreeAddr(t)
			vars[fe] = p.addrs[fe]
			wait = append(wait, p.addrs[fe])
		}
		text := fill(cfg, vars)
		if name == "baton" {
			p.baton = harness.Start(t, text, wait)
		} else {
			harness.StartHAProxy(t, text, wait)
		}
		waitSocket(t, p.sock)
		out = append(out, p)
	}
	return out
}

func waitSocket(t *testing.T, sock string) {
	t.Helper()
	harness.Eventually(t, 10*time.Second, "stats socket "+sock, func() bool {
		out, err := harness.TrySocketCommand(sock, "show backend")
		return err == nil && strings.HasPrefix(out, "# name")
	})
}

// csvRows parses "show stat" CSV into rows of columns, keyed by
// "pxname/svname".
func csvRows(t *testing.T, out string) (header []string, rows map[string][]string, order []string) {
	t.Helper()
	lines := strings.Split(strings.TrimRight(out, "\n"), "\n")
	if len(lines) == 0 || !strings.HasPrefix(lines[0], "# ") {
		t.Fatalf("not a show stat output: %q", out)
	}
	header = strings.Split(strings.TrimPrefix(lines[0], "# "), ",")
	rows = map[string][]string{}
	for _, l := range lines[1:] {
		if l == "" {
			continue
		}
		cols := strings.Split(l, ",")
		k := cols[0] + "/" + cols[1]
		rows[k] = cols
		order = append(order, k)
	}
	return header, rows, order
}

// col returns a row's column by name.
func col(t *testing.T, header, row []string, name string) string {
	t.Helper()
	for i, h := range header {
		if h == name {
			if i < len(row) {
				return row[i]
			}
			return ""
		}
	}
	t.Fatalf("no column %q", name)
	return ""
}

// get sends n GETs of path to addr, each on its own connection.
func get(t *testing.T, addr, path string, n int) {
	t.Helper()
	for range n {
		r := harness.RoundTrip(t, addr, harness.Request("GET", path, "Connection: close")+"\r\n")
		if r.Status == 0 {
			t.Fatalf("GET %s: no answer", path)
		}
	}
}

// rawRequest sends raw bytes and returns what comes back.
func rawRequest(t *testing.T, addr, raw string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	fmt.Fprint(c, raw)
	buf := make([]byte, 4096)
	n, _ := c.Read(buf)
	return string(buf[:n])
}
