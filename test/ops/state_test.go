package ops_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// stateConfig has one backend per rule of "State across reloads"
// (doc/management.md); ${W2}, ${A3}, ${S4} and ${ORDER} vary between
// reloads.
const stateConfig = `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend fe
    bind ${FE}
    use_backend b3 if { path_beg /b3 }
    default_backend b1
${ORDER}
backend b2
    server s2 ${O1} weight ${W2}

backend b3
    server s3 ${A3}

backend b4
    server s5 ${DEAD} check inter 1s fall 1
    server s6 ${O1} check inter 200ms
${S4}
`

const b1Section = `
backend b1
    server s1 ${O1}
`

// serverState returns "show servers state" fields of one server:
// op state, admin state, uweight, iweight, addr:port, check state, and
// the last check's status.
func serverState(t *testing.T, p *proc, be, srv string) string {
	t.Helper()
	for _, l := range strings.Split(p.cmd(t, "show servers state "+be), "\n") {
		if f := strings.Fields(l); len(f) > 18 && f[3] == srv {
			return strings.Join([]string{f[5], f[6], f[7], f[8], f[4] + ":" + f[18], f[13], f[10]}, " ")
		}
	}
	return ""
}

// TestStateAcrossReload: runtime state follows each server into the next
// generation by name, with the configuration winning where it changed
// the same attribute, and counters follow names when the file is
// reordered.
func TestStateAcrossReload(t *testing.T) {
	o1, o2 := origin(t, "o1"), origin(t, "o2")
	vars := map[string]string{"O1": o1, "O2": o2, "DEAD": harness.FreeAddr(t), "W2": "1", "A3": o1,
		"S4": "backend b5\n    server s4 " + o1 + "\n", "ORDER": b1Section}
	p := startBaton(t, stateConfig, vars, "FE")
	reload := func(changes map[string]string) {
		t.Helper()
		for k, v := range changes {
			vars[k] = v
		}
		vars["SOCK"], vars["FE"] = p.sock, p.addrs["FE"]
		p.baton.WriteConfig(fill(stateConfig, vars))
		if out, code := p.baton.Reload(); code != 0 {
			t.Fatalf("reload: %s", out)
		}
	}
	get(t, p.addrs["FE"], "/", 5)
	harness.Eventually(t, 10*time.Second, "s5 found down, s6 up", func() bool {
		return strings.HasPrefix(serverState(t, p, "b4", "s5"), "0 ") && strings.HasSuffix(serverState(t, p, "b4", "s6"), " 6")
	})
	for _, c := range []string{"set server b1/s1 state drain", "set server b2/s2 weight 7", "set server b3/s3 addr " +
		strings.Split(o2, ":")[0] + " port " + strings.Split(o2, ":")[1], "set server b5/s4 state maint", "disable health b4/s6"} {
		if out := p.cmd(t, c); out != "\n" && !strings.HasPrefix(out, "IP changed") && !strings.HasPrefix(out, "no need") {
			t.Fatalf("%s: %q", c, out)
		}
	}
	stotBefore := func() string {
		h, rows, _ := csvRows(t, p.cmd(t, "show stat"))
		return col(t, h, rows["b1/s1"], "stot")
	}()

	// The same file, with b1 moved after the others: everything stays.
	reload(map[string]string{"ORDER": "", "S4": "backend b5\n    server s4 " + o1 + "\n" + b1Section})
	// Read at once after the reload: a state not carried over would show
	// the check "INI" (1) until the new generation's first check.
	port := func(a string) string { return strings.Split(a, ":")[1] }
	for _, c := range []struct{ be, srv, want string }{
		{"b1", "s1", "2 8 1 1 127.0.0.1:" + port(o1) + " 0 1"},           // drained stays drained
		{"b2", "s2", "2 0 7 1 127.0.0.1:" + port(o1) + " 0 1"},           // a runtime weight stays
		{"b3", "s3", "2 0 1 1 127.0.0.1:" + port(o2) + " 0 1"},           // a runtime address stays
		{"b5", "s4", "0 1 1 1 127.0.0.1:" + port(o1) + " 0 1"},           // maintenance stays
		{"b4", "s5", "0 0 1 1 127.0.0.1:" + port(vars["DEAD"]) + " 6 8"}, // down (L4CON) until its checks pass
		{"b4", "s6", "2 0 1 1 127.0.0.1:" + port(o1) + " 2 6"},           // checks stay disabled (last L4OK)
	} {
		if got := serverState(t, p, c.be, c.srv); got != c.want {
			t.Errorf("after a reload of the same file: %s/%s %q, want %q", c.be, c.srv, got, c.want)
		}
	}
	if r := harness.Get(t, p.addrs["FE"], "/b3"); r.Get("X-Backend") != "o2" {
		t.Errorf("b3 goes to %q after the reload, want the runtime address (o2)", r.Get("X-Backend"))
	}
	h, rows, _ := csvRows(t, p.cmd(t, "show stat"))
	if got := col(t, h, rows["b1/s1"], "stot"); got < stotBefore || got == "0" {
		t.Errorf("b1/s1 stot %s after the reordering reload, was %s", got, stotBefore)
	}

	// The file changes s2's weight and s3's address: the file wins.
	// s4 leaves the file: its state goes; when it comes back it starts
	// from the file.
	reload(map[string]string{"W2": "3", "A3": o1, "S4": b1Section})
	reload(map[string]string{"A3": o2})
	if got := serverState(t, p, "b2", "s2"); !strings.HasPrefix(got, "2 0 3 3 ") {
		t.Errorf("s2 after the file changed its weight: %q, want weight 3", got)
	}
	if got := serverState(t, p, "b3", "s3"); !strings.Contains(got, ":"+port(o2)+" 0") {
		t.Errorf("s3 after the file changed its address: %q", got)
	}
	reload(map[string]string{"S4": "backend b5\n    server s4 " + o1 + "\n" + b1Section})
	if got := serverState(t, p, "b5", "s4"); !strings.HasPrefix(got, "2 0 ") {
		t.Errorf("s4 back in the file: %q, want it ready (its state was dropped)", got)
	}
}

// TestServerStateFile: "show servers state" saved to a file and loaded
// with load-server-state-from-file at start, on Baton and HAProxy.
func TestServerStateFile(t *testing.T) {
	o1 := origin(t, "o1")
	state := filepath.Join(t.TempDir(), "state")
	cfg := `global
    stats socket ${SOCK} level admin
    server-state-file ` + state + `
` + httpDefaults + `    load-server-state-from-file global

frontend fe
    bind ${FE}
    default_backend be

backend be
    server s1 ${O1}
    server s2 ${O1} weight 2
    server s3 ${O1}
`
	first := startBaton(t, cfg, map[string]string{"O1": o1}, "FE")
	for _, c := range []string{"set server be/s1 state drain", "set server be/s2 weight 5", "set server be/s3 state maint"} {
		first.cmd(t, c)
	}
	if err := os.WriteFile(state, []byte(first.cmd(t, "show servers state")), 0o644); err != nil {
		t.Fatal(err)
	}
	// Fresh processes (a Baton master of its own, as after a restart)
	// read the file.
	for _, p := range startPair(t, cfg, map[string]string{"O1": o1}, "FE") {
		for srv, want := range map[string]string{"s1": "2 8 1 1", "s2": "2 0 5 2", "s3": "0 1 1 1"} {
			if got := serverState(t, p, "be", srv); !strings.HasPrefix(got, want+" ") {
				t.Errorf("%s after loading the state file: %s %q, want %q", p.name, srv, got, want)
			}
		}
	}
}
