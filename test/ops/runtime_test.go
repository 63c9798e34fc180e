package ops_test

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

const runtimeConfig = `global
    maxconn 5000
    stats socket ${SOCK} level admin
    stats timeout 5s
` + httpDefaults + `
frontend fe
    bind ${FE}
    maxconn 1000
    use_backend bad if { path_beg /bad }
    default_backend be

backend be
    balance roundrobin
    server s1 ${S1} check inter 200ms
    server s2 ${S2} weight 2 maxconn 20

listen st
    bind ${ST}
    balance leastconn

backend bad
    server g1 ${G1}
`

// both runs line on every proxy and returns the answers by proxy name.
func both(t *testing.T, ps []*proc, line string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, p := range ps {
		out[p.name] = p.cmd(t, line)
	}
	return out
}

// same fails unless every proxy answered line the same, byte for byte.
func same(t *testing.T, ps []*proc, line string) string {
	t.Helper()
	out := both(t, ps, line)
	if len(ps) > 1 && out["baton"] != out["haproxy"] {
		t.Errorf("%s:\nbaton:   %q\nhaproxy: %q", line, out["baton"], out["haproxy"])
	}
	return out["baton"]
}

// TestRuntimeAPIAgainstHAProxy runs each runtime API command on Baton and
// on HAProxy 2.6 with the same configuration and compares the answers:
// byte for byte where the meaning is the same, column by column for the
// tables.
func TestRuntimeAPIAgainstHAProxy(t *testing.T) {
	garbage := harness.StartOrigin(t, harness.Answer("HTTP/1.1 200 OK\r\nX: y\r\nBad Header\r\nContent-Length: 0\r\n\r\n"))
	shared := map[string]string{"S1": origin(t, "s1"), "S2": origin(t, "s2"), "G1": garbage.Addr}
	ps := startPair(t, runtimeConfig, shared, "FE", "ST")
	for _, p := range ps {
		get(t, p.addrs["FE"], "/", 6)
		harness.Eventually(t, 10*time.Second, p.name+": s1 checked", func() bool {
			return strings.Contains(p.cmd(t, "show stat"), ",L4OK,")
		})
	}

	t.Run("show stat", func(t *testing.T) {
		outs := both(t, ps, "show stat")
		ref := outs[ps[len(ps)-1].name]
		rh, rrows, rorder := csvRows(t, ref)
		bh, brows, border := csvRows(t, outs["baton"])
		if strings.Join(bh, ",") != strings.Join(rh, ",") {
			t.Errorf("header:\nbaton   %v\nhaproxy %v", bh, rh)
		}
		if strings.Join(border, " ") != strings.Join(rorder, " ") {
			t.Errorf("rows %v, haproxy %v", border, rorder)
		}
		// Columns with the same meaning in both; counters that both count
		// the same way for these requests.
		for _, c := range []string{"pxname", "svname", "qcur", "scur", "slim", "dreq", "dresp", "ereq", "econ", "eresp",
			"wretr", "wredis", "status", "weight", "act", "bck", "chkfail", "chkdown", "downtime", "qlimit", "pid", "iid",
			"sid", "throttle", "tracked", "type", "rate_lim", "check_status", "check_code", "hrsp_1xx", "hrsp_2xx",
			"hrsp_3xx", "hrsp_4xx", "hrsp_5xx", "hrsp_other", "hanafail", "req_tot", "cli_abrt", "srv_abrt", "comp_in",
			"comp_out", "comp_byp", "comp_rsp", "last_chk", "last_agt", "check_desc", "check_rise", "check_fall",
			"check_health", "addr", "cookie", "mode", "algo", "intercepted", "dcon", "dses", "wrew", "cache_lookups",
			"cache_hits", "src_ilim", "eint", "uweight", "ssl_sess"} {
			for k, r := range rrows {
				if b := brows[k]; b != nil && col(t, bh, b, c) != col(t, rh, r, c) {
					t.Errorf("%s %s: baton %q, haproxy %q", k, c, col(t, bh, b, c), col(t, rh, r, c))
				}
			}
		}
		// The frontend's requests: 6 answered by the server, and the
		// harness's connection waiting for the port, closed without a
		// byte (an invalid request for HAProxy as for Baton).
		if fe := brows["fe/FRONTEND"]; col(t, bh, fe, "req_tot") != "7" || col(t, bh, fe, "hrsp_2xx") != "6" || col(t, bh, fe, "ereq") != "1" {
			t.Errorf("frontend row %v", fe)
		}
	})

	t.Run("show stat typed and json", func(t *testing.T) {
		outs := both(t, ps, "show stat typed")
		keys := func(s string) map[string]string {
			m := map[string]string{}
			for _, l := range strings.Split(s, "\n") {
				parts := strings.SplitN(l, ":", 4)
				if len(parts) == 4 {
					m[parts[0]] = parts[1] + ":" + parts[2] // field -> tags and type
				}
			}
			return m
		}
		b, h := keys(outs["baton"]), keys(outs[ps[len(ps)-1].name])
		for k, tags := range h {
			pos := strings.Split(k, ".")
			if len(pos) > 3 && len(pos[3]) < 3 && b[k] != tags { // static columns 0..99
				if _, ok := b[k]; !ok && (strings.Contains(k, "agent") || strings.Contains(k, ".check_")) {
					continue
				}
				t.Errorf("typed %s: baton %q, haproxy %q", k, b[k], tags)
			}
		}
		for _, p := range ps {
			var objs [][]map[string]any
			if err := json.Unmarshal([]byte(p.cmd(t, "show stat json")), &objs); err != nil || len(objs) != 8 {
				t.Errorf("%s show stat json: %d objects (want fe, s1, s2, be, st, st, g1, bad), %v", p.name, len(objs), err)
			}
		}
	})

	t.Run("show stat filter", func(t *testing.T) {
		for _, line := range []string{"show stat 3 4 -1", "show stat -1 1 -1", "show stat 3 -1 2"} {
			outs := both(t, ps, line)
			_, _, bo := csvRows(t, outs["baton"])
			_, _, ho := csvRows(t, outs[ps[len(ps)-1].name])
			if strings.Join(bo, " ") != strings.Join(ho, " ") {
				t.Errorf("%s: baton %v, haproxy %v", line, bo, ho)
			}
		}
	})

	t.Run("show info", func(t *testing.T) {
		outs := both(t, ps, "show info")
		names := func(s string) (order []string, vals map[string]string) {
			vals = map[string]string{}
			for _, l := range strings.Split(s, "\n") {
				if k, v, ok := strings.Cut(l, ": "); ok {
					order = append(order, k)
					vals[k] = v
				}
			}
			return order, vals
		}
		bo, bv := names(outs["baton"])
		ho, hv := names(outs[ps[len(ps)-1].name])
		// Every line of Baton's is HAProxy's, in HAProxy's order.
		hi := 0
		for _, n := range bo {
			for hi < len(ho) && ho[hi] != n {
				hi++
			}
			if hi == len(ho) {
				t.Errorf("show info line %q is not HAProxy's or out of its order", n)
				break
			}
		}
		// Ulimit-n and Maxsock differ in meaning (HAProxy sets its own
		// descriptor limit from maxconn; Baton reports the one it runs
		// with), and so does CumReq (HAProxy counts CLI sessions too).
		for _, n := range []string{"Nbproc", "Process_num", "Maxconn", "Hard_maxconn", "Stopping", "Tainted"} {
			if len(ps) > 1 && bv[n] != hv[n] {
				t.Errorf("show info %s: baton %q, haproxy %q", n, bv[n], hv[n])
			}
		}
		if len(bo) < len(ho)-3 {
			t.Errorf("show info: %d lines, HAProxy %d", len(bo), len(ho))
		}
		typed := ps[0].cmd(t, "show info typed")
		if !strings.Contains(typed, "\n15.Maxconn.1:CLP:u32:5000\n") || !strings.Contains(typed, "\n19.CumReq.1:MCP:u32:8\n") {
			t.Errorf("show info typed:\n%s", typed)
		}
		var info []map[string]any
		if err := json.Unmarshal([]byte(ps[0].cmd(t, "show info json")), &info); err != nil || len(info) < 60 {
			t.Errorf("show info json: %d fields, %v", len(info), err)
		}
	})

	t.Run("show servers state", func(t *testing.T) {
		outs := both(t, ps, "show servers state")
		lines := func(s string) []string { return strings.Split(strings.TrimRight(s, "\n"), "\n") }
		b, h := lines(outs["baton"]), lines(outs[ps[len(ps)-1].name])
		if len(b) != len(h) || b[0] != h[0] || b[1] != h[1] {
			t.Fatalf("servers state:\n%s\nhaproxy:\n%s", outs["baton"], outs[ps[len(ps)-1].name])
		}
		for i := 2; i < len(b); i++ {
			bf, hf := strings.Fields(b[i]), strings.Fields(h[i])
			// A check in progress at the instant of the command (state
			// bit 0x1) has no result yet (0): compare the rest.
			for _, f := range [][]string{bf, hf} {
				if n, err := strconv.Atoi(f[13]); err == nil && n&1 != 0 {
					bf[11], hf[11] = "-", "-"
				}
			}
			for _, f := range [][]string{bf, hf} {
				if n, err := strconv.Atoi(f[13]); err == nil {
					f[13] = strconv.Itoa(n &^ 1)
				}
			}
			for _, c := range []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24} {
				if bf[c] != hf[c] {
					t.Errorf("servers state line %d field %d: baton %q, haproxy %q\n%s\n%s", i, c+1, bf[c], hf[c], b[i], h[i])
				}
			}
		}
		same(t, ps, "show servers state nope")
	})

	t.Run("show servers conn and backend", func(t *testing.T) {
		outs := both(t, ps, "show servers conn be")
		fields := func(s string) [][]string {
			var out [][]string
			for _, l := range strings.Split(strings.TrimSpace(s), "\n")[1:] {
				f := strings.Fields(l)
				out = append(out, f[:6]) // bkname/svname bkid/svid addr port - purge_delay
			}
			return out
		}
		if b, h := fields(outs["baton"]), fields(outs[ps[len(ps)-1].name]); len(ps) > 1 && strings.Join(flat(b), " ") != strings.Join(flat(h), " ") {
			t.Errorf("servers conn: %v, haproxy %v", b, h)
		}
		if !strings.HasPrefix(outs["baton"], "# bkname/svname bkid/svid addr port - purge_delay used_cur used_max need_est unsafe_nb safe_nb idle_lim idle_cur idle_per_thr[") {
			t.Errorf("servers conn header: %q", outs["baton"])
		}
		same(t, ps, "show backend")
	})

	t.Run("weights", func(t *testing.T) {
		for _, line := range []string{
			"get weight be/s1",
			"get weight be/nope",
			"get weight nope/s1",
			"get weight be",
			"set weight be/s1 3",
			"get weight be/s1",
			"set server be/s2 weight 50%",
			"get weight be/s2",
			"set weight be/s1 300",
			"set weight be/s1",
			"set weight be/s1 1; set server be/s2 weight 100%",
		} {
			same(t, ps, line)
		}
	})

	t.Run("set server", func(t *testing.T) {
		state := func(line string) map[string]string {
			out := both(t, ps, line+"; show servers state be")
			m := map[string]string{}
			for k, v := range out {
				for _, l := range strings.Split(v, "\n") {
					if f := strings.Fields(l); len(f) > 13 && f[3] == "s1" {
						// op state, admin state, check state but a check in progress (0x1)
						chk, _ := strconv.Atoi(f[13])
						m[k] = f[5] + " " + f[6] + " " + strconv.Itoa(chk&^1)
					}
				}
			}
			return m
		}
		for _, c := range []struct{ line, want string }{
			{"set server be/s1 state drain", "2 8 6"},
			{"set server be/s1 state maint", "0 1 14"}, // stopped, checks paused
			{"set server be/s1 state ready", "2 0 6"},
			{"disable server be/s1", "0 1 14"},
			{"enable server be/s1", "2 0 6"},
			{"disable health be/s1", "2 0 2"},
			{"enable health be/s1", "2 0 6"},
			{"set server be/s1 health down", "0 0 6"},
			{"set server be/s1 health stopping", "3 0 6"},
			{"set server be/s1 health up", "2 0 6"},
		} {
			got := state(c.line)
			for name, v := range got {
				if v != c.want {
					t.Errorf("%s: %s s1 op/admin/check %q, want %q", c.line, name, v, c.want)
				}
			}
		}
		for _, line := range []string{
			"set server be/s1 state foo",
			"set server be/s1 health foo",
			"set server be/s1",
			"set server be/s1 addr 127.0.0.2 port 9",
			"set server be/s1 addr 127.0.0.2",
			"set server be/s1 addr bad",
			"set server be/s1 addr 127.0.0.1 port " + strings.Split(shared["S1"], ":")[1],
			"set maxconn server be/s2 50",
			"set maxconn server be/s2",
			"set maxconn frontend fe 700",
			"set maxconn frontend nope 7",
			"set maxconn global 4000",
			"set maxconn global 99999999",
		} {
			same(t, ps, line)
		}
		for _, p := range ps {
			_, rows, _ := csvRows(t, p.cmd(t, "show stat"))
			h, _, _ := csvRows(t, p.cmd(t, "show stat"))
			if s := col(t, h, rows["be/s2"], "slim"); s != "50" {
				t.Errorf("%s: s2 slim %q after set maxconn server", p.name, s)
			}
			if s := col(t, h, rows["fe/FRONTEND"], "slim"); s != "700" {
				t.Errorf("%s: fe slim %q after set maxconn frontend", p.name, s)
			}
			if info := p.cmd(t, "show info"); !strings.Contains(info, "\nMaxconn: 4000\n") {
				t.Errorf("%s: Maxconn after set maxconn global", p.name)
			}
		}
	})

	t.Run("add and del server", func(t *testing.T) {
		same(t, ps, "add server be/s3 "+shared["S1"])
		same(t, ps, "add server be/s3 "+shared["S1"])
		for _, p := range ps {
			if st := p.cmd(t, "show stat"); !strings.Contains(st, "\nbe,s3,") || !strings.Contains(st, ",MAINT,") {
				t.Errorf("%s: s3 not in maintenance after add server:\n%s", p.name, st)
			}
		}
		for _, line := range []string{
			"del server be/s1",
			"del server be/s3",
			"del server be/s3",
			"add server st/d1 " + shared["S2"],
			"enable server st/d1",
		} {
			same(t, ps, line)
		}
		for _, p := range ps {
			r := harness.Get(t, p.addrs["ST"], "/")
			if r.Get("X-Backend") != "s2" {
				t.Errorf("%s: the added server does not serve: %d %q", p.name, r.Status, r.Get("X-Backend"))
			}
		}
	})

	t.Run("errors", func(t *testing.T) {
		bad := "GET / HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n"
		for _, p := range ps {
			if got := rawRequest(t, p.addrs["FE"], bad); !strings.HasPrefix(got, "HTTP/1.1 400") {
				t.Errorf("%s: bad request answered %q", p.name, got)
			}
		}
		outs := both(t, ps, "show errors fe request")
		for name, out := range outs {
			for _, want := range []string{"] frontend fe (#2): invalid request\n", "  backend <NONE> (#-1), server <NONE> (#-1), event #",
				"  len 42, wraps at 16336, error at position 28\n",
				"  00000  GET / HTTP/1.1\\r\\n\n  00016  Host: x\\r\\n\n  00025  Bad Header: y\\r\\n\n  00040  \\r\\n\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s show errors lacks %q:\n%s", name, want, out)
				}
			}
		}
		same(t, ps, "show errors nope")
		for _, p := range ps {
			if r := harness.Get(t, p.addrs["FE"], "/bad"); r.Status != 502 {
				t.Errorf("%s: invalid response answered %d", p.name, r.Status)
			}
		}
		for name, out := range both(t, ps, "show errors bad response") {
			for _, want := range []string{"] backend bad (#5): invalid response\n", "  frontend fe (#2), server g1 (#1), event #",
				"  len 56, wraps at 16336, error at position 26\n",
				"  00000  HTTP/1.1 200 OK\\r\\n\n  00017  X: y\\r\\n\n  00023  Bad Header\\r\\n\n  00035  Content-Length: 0\\r\\n\n  00054  \\r\\n\n"} {
				if !strings.Contains(out, want) {
					t.Errorf("%s show errors lacks %q:\n%s", name, want, out)
				}
			}
			if strings.Contains(out, "invalid request") {
				t.Errorf("%s: the response filter kept a request", name)
			}
		}
		if out := ps[0].cmd(t, "show errors fe response"); strings.Contains(out, "invalid") {
			t.Errorf("response filter: %s", out)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		line := regexp.MustCompile(`(?m)^0x[0-9a-f]+: proto=tcpv4 src=127\.0\.0\.1:\d+ fe=fe be=\S+ srv=\S+ ts=\d+ epoch=\S+ age=\d+[smhd] calls=\d+ rate=\d+ cpu=\d+ lat=\d+ rq\[f=[0-9a-f]+h,i=\d+,an=[0-9a-f]+h,rx=[^,]*,wx=[^,]*,ax=[^\]]*\] rp\[f=[0-9a-f]+h,i=\d+,an=[0-9a-f]+h,rx=[^,]*,wx=[^,]*,ax=[^\]]*\] scf=\[\d+,[0-9a-f]+h,fd=-?\d+\] scb=\[\d+,[0-9a-f]+h,fd=-?\d+\] exp=\S* rc=\d+ c_exp=\S*$`)
		for _, p := range ps {
			// A request in progress is a session (an idle keep-alive
			// connection is none, in HAProxy as in Baton).
			c := harness.Dial(t, p.addrs["FE"])
			c.Send(harness.Request("GET", "/slow?ms=1500", "Host: x") + "\r\n")
			harness.Eventually(t, 5*time.Second, p.name+": a client session in show sess", func() bool {
				return line.MatchString(p.cmd(t, "show sess"))
			})
			c.Read("GET")
		}
	})

	t.Run("shutdown sessions", func(t *testing.T) {
		for _, p := range ps {
			c := harness.Dial(t, p.addrs["ST"])
			c.Send(harness.Request("GET", "/slow?ms=5000", "Host: x") + "\r\n")
			harness.Eventually(t, 5*time.Second, p.name+": the slow request reaches d1", func() bool {
				return strings.Contains(p.cmd(t, "show servers conn st"), "st/d1 ") &&
					strings.Fields(strings.Split(p.cmd(t, "show servers conn st"), "\n")[1])[6] == "1"
			})
			if out := p.cmd(t, "shutdown sessions server st/d1"); out != "\n" {
				t.Errorf("%s: shutdown sessions: %q", p.name, out)
			}
			// The exchange is aborted at once: the client, still waiting,
			// gets a 502 (or, with HAProxy when the abort wins the race
			// with the server connection, a close), not the response.
			start := time.Now()
			r, err := c.TryRead("GET")
			if (err == nil && r.Status != 502) || time.Since(start) > 3*time.Second {
				t.Errorf("%s: after shutdown sessions: %v %v after %v", p.name, r, err, time.Since(start))
			}
		}
	})

	t.Run("clear counters", func(t *testing.T) {
		for _, p := range ps {
			p.cmd(t, "clear counters all")
			h, rows, _ := csvRows(t, p.cmd(t, "show stat"))
			if v := col(t, h, rows["fe/FRONTEND"], "req_tot"); v != "0" {
				t.Errorf("%s: req_tot %q after clear counters all", p.name, v)
			}
		}
	})

	t.Run("levels and session", func(t *testing.T) {
		for _, line := range []string{
			"user; set weight be/s1 2; show cli level; clear counters; show sess; show errors",
			"operator; show cli level; clear counters all; user; operator",
			"set timeout cli 5; set timeout cli x; set timeout foo 1",
		} {
			same(t, ps, line)
		}
		// An empty line in prompt mode lists the commands (HAProxy has
		// more of them than Baton: only the start is compared).
		prompt := both(t, ps, "prompt\nshow backend\nget weight be/s2\n\nquit\nshow backend\n")
		for name, out := range prompt {
			const want = "\n> # name\nbe\nst\nbad\n\n> 2 (initial 2)\n\n> Unknown command. Please enter one of the following commands only:\n"
			if !strings.HasPrefix(out, want) || !strings.HasSuffix(out, "  quit                                    : disconnect\n\n> ") {
				t.Errorf("%s prompt session: %q", name, out)
			}
		}
		same(t, ps, "show backend;get weight be/s2")
		for name, out := range both(t, ps, "user; show stat") {
			if !strings.Contains(out, shared["S1"]) || !strings.Contains(out, "roundrobin") {
				t.Errorf("%s: show stat at user level hides addresses or algorithms (HAProxy 2.6 shows them)", name)
			}
		}
		for name, out := range both(t, ps, "help") {
			if !strings.HasPrefix(out, "The following commands are valid at this level:\n") {
				t.Errorf("%s help: %.80q", name, out)
			}
		}
		if out := ps[0].cmd(t, "show stattt"); !strings.HasPrefix(out, "Unknown command, but maybe one of the following ones is a better match:\n") {
			t.Errorf("unknown command: %q", out)
		}
	})
}

func flat(rows [][]string) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r...)
	}
	return out
}

// TestRuntimeAPIOnTCPAndMasterCLI: a stats socket on a TCP address
// (ipv4@) at operator level, and the master CLI's @1 and @!PID.
func TestRuntimeAPIOnTCPAndMasterCLI(t *testing.T) {
	cfg := `global
    stats socket ${SOCK} level admin
    stats socket ipv4@${TCP} level operator
` + httpDefaults + `
frontend fe
    bind ${FE}
    default_backend be

backend be
    server s1 ${S1}
`
	ps := startPair(t, cfg, map[string]string{"S1": origin(t, "s1")}, "FE", "TCP")
	for _, p := range ps {
		if out := harness.SocketCommand(t, p.addrs["TCP"], "show cli level; show backend; set weight be/s1 2"); out != "operator\n\n# name\nbe\n\nPermission denied\n\n" {
			t.Errorf("%s TCP stats socket: %q", p.name, out)
		}
		if p.name == "haproxy" {
			continue
		}
		if out := p.baton.CLI("@1 show backend"); out != "# name\nbe\n" {
			t.Errorf("master CLI @1: %q", out)
		}
		pid := strings.TrimPrefix(strings.Fields(strings.Split(p.baton.CLI("@1 show info"), "\n")[5])[1], "")
		if out := p.baton.CLI("@!" + pid + " get weight be/s1"); out != "1 (initial 1)\n" {
			t.Errorf("master CLI @!%s: %q", pid, out)
		}
	}
}
