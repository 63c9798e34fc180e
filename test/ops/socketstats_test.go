package ops_test

import (
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

const socketStatsConfig = `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend pub
    bind ${FE1} name clear
    bind ${FE2}
    bind ${FE3} name spare
    option socket-stats
    http-request deny if { path_beg /deny }
    default_backend be

frontend plain
    bind ${FE4} name x
    default_backend be

backend be
    server s1 ${S1}
`

// TestSocketStatsAgainstHAProxy: with option socket-stats a frontend's
// "show stat" has a row per listener after its FRONTEND row (type 3,
// svname the bind's name or sock-N, sid its position), counting the
// sessions, bytes and denials of that listener alone; a frontend without
// the option has none. Baton's rows and HAProxy 2.6's are compared
// column by column.
func TestSocketStatsAgainstHAProxy(t *testing.T) {
	ps := startPair(t, socketStatsConfig, map[string]string{"S1": origin(t, "s1")}, "FE1", "FE2", "FE3", "FE4")
	for _, p := range ps {
		get(t, p.addrs["FE1"], "/", 3)
		get(t, p.addrs["FE2"], "/deny", 2)
		get(t, p.addrs["FE4"], "/", 1)
		// The counters are written when each exchange ends, just after
		// its answer: wait until the last one shows.
		harness.Eventually(t, 10*time.Second, p.name+": the denials counted", func() bool {
			_, rows, _ := csvRows(t, p.cmd(t, "show stat"))
			return len(rows["pub/sock-2"]) > 10 && rows["pub/sock-2"][10] == "2"
		})
	}
	outs := both(t, ps, "show stat")
	var ref string
	for _, p := range ps {
		ref = outs[p.name] // HAProxy's when it runs
	}
	rh, rrows, rorder := csvRows(t, ref)
	bh, brows, border := csvRows(t, outs["baton"])
	want := "pub/FRONTEND pub/clear pub/sock-2 pub/spare plain/FRONTEND s1 be/BACKEND"
	got := strings.Join(border, " ")
	if got != strings.Replace(want, " s1 ", " be/s1 ", 1) {
		t.Errorf("baton rows %s, want %s", got, want)
	}
	if len(ps) > 1 && got != strings.Join(rorder, " ") {
		t.Errorf("rows: baton %s, haproxy %s", got, strings.Join(rorder, " "))
	}
	for _, k := range []string{"pub/clear", "pub/sock-2", "pub/spare"} {
		b, r := brows[k], rrows[k]
		for i, name := range rh {
			switch name {
			case "bin", "bout": // the request bytes differ (HAProxy counts its own way)
				if (col(t, bh, b, name) == "") != (r[i] == "") {
					t.Errorf("%s %s: baton %q, haproxy %q", k, name, col(t, bh, b, name), r[i])
				}
				continue
			case "addr", // each proxy its own ports
				"smax": // the harness's probe may overlap the first request, or not
				continue
			}
			if got := col(t, bh, b, name); got != r[i] {
				t.Errorf("%s %s: baton %q, haproxy %q", k, name, got, r[i])
			}
		}
	}
	b := ps[0]
	for k, fe := range map[string]string{"pub/clear": "FE1", "pub/sock-2": "FE2", "pub/spare": "FE3"} {
		if got := col(t, bh, brows[k], "addr"); got != b.addrs[fe] {
			t.Errorf("%s addr %q, want %q", k, got, b.addrs[fe])
		}
	}
	// The first listener's sessions: the 3 requests and the harness's
	// probe of the port; the third listener only its probe.
	if got := col(t, bh, brows["pub/clear"], "stot"); got != "4" {
		t.Errorf("pub/clear stot %s, want 4", got)
	}
	if got := col(t, bh, brows["pub/spare"], "stot"); got != "1" {
		t.Errorf("pub/spare stot %s, want 1", got)
	}

	// "show stat <iid> 8 <sid>" selects one listener; typed output
	// tags a listener's fields as HAProxy does.
	sel := both(t, ps, "show stat 2 8 2")
	for _, p := range ps {
		_, rows, order := csvRows(t, sel[p.name])
		if strings.Join(order, " ") != "pub/sock-2" || rows["pub/sock-2"] == nil {
			t.Errorf("%s: show stat 2 8 2 rows %v", p.name, order)
		}
	}
	typed := both(t, ps, "show stat typed")
	lines := func(s string) []string {
		var out []string
		for _, l := range strings.Split(s, "\n") {
			if strings.HasPrefix(l, "L.2.1.") && !strings.Contains(l, ".bin.") && !strings.Contains(l, ".bout.") && !strings.Contains(l, ".addr.") && !strings.Contains(l, ".smax.") {
				out = append(out, l)
			}
		}
		return out
	}
	bl := lines(typed["baton"])
	if len(bl) < 20 {
		t.Errorf("baton's typed listener lines: %q", bl)
	}
	if len(ps) > 1 {
		if hl := lines(typed["haproxy"]); strings.Join(bl, "\n") != strings.Join(hl, "\n") {
			t.Errorf("typed listener lines:\nbaton   %q\nhaproxy %q", bl, hl)
		}
	}
}
