package promexport

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"baton/internal/counters"
	"baton/internal/stats"
)

// objects mirror the testdata capture's configuration: a frontend, a
// backend with a checked and an unchecked server, a listen without
// servers.
func objects() (stats.Info, []stats.Row) {
	now := time.Now()
	t := &counters.Totals{}
	t[counters.Requests], t[counters.Resp5xx], t[counters.QTime], t[counters.TTimeMax] = 3, 3, 2, 1500
	fe := stats.Frontend{Name: "fe", IID: 2, Mode: "http", MaxConn: 100, Status: "OPEN", T: t}
	s1 := stats.Server{Backend: "be", Name: "s1", IID: 3, SID: 1, Mode: "http", Checked: true, Health: 4, Rise: 2, Fall: 3,
		CheckStatus: "L4OK", CheckDesc: "Layer4 check passed", Weight: 1, UWeight: 1, Addr: "127.0.0.1:1", T: t}
	s2 := stats.Server{Backend: "be", Name: "s2", IID: 3, SID: 2, Mode: "http", Admin: stats.AdminMaint, Weight: 2, UWeight: 2, Addr: "127.0.0.1:2", T: t}
	be := stats.Backend{Name: "be", IID: 3, Mode: "http", Algo: "roundrobin", Up: true, T: t}
	st := stats.Frontend{Name: "st", IID: 4, Mode: "http", MaxConn: 100, Status: "OPEN"}
	stb := stats.Backend{Name: "st", IID: 4, Mode: "http", Algo: "roundrobin"}
	info := stats.Info{"Nbthread": stats.Num(2), "Nbproc": stats.Num(1), "Build info": stats.Str("1.0"), "CumReq": stats.Num(7)}
	return info, []stats.Row{fe.Row(), s1.Row(now), s2.Row(now), be.Row(now), st.Row(), stb.Row(now)}
}

func scrape(scope Scope) string {
	info, rows := objects()
	var b bytes.Buffer
	Write(&b, info, rows, Service{ReloadsOK: 2, ReloadsFailed: 1, LastResult: 1, LastReloadOK: time.Unix(100, 0), ServingGeneration: 3, Migrated: 9}, scope)
	return b.String()
}

var familyLine = regexp.MustCompile(`^# TYPE (\S+) (\S+)$`)

// families returns the "name type" lines of a scrape.
func families(text string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if m := familyLine.FindStringSubmatch(sc.Text()); m != nil {
			out = append(out, m[1]+" "+m[2])
		}
	}
	return out
}

// TestFamiliesMatchHAProxy: every family HAProxy 2.6 exposed for the
// same objects is exposed, with its type and HELP text.
func TestFamiliesMatchHAProxy(t *testing.T) {
	ref, err := os.ReadFile("testdata/haproxy-metrics.txt")
	if err != nil {
		t.Fatal(err)
	}
	got := scrape(AllScopes)
	have := map[string]bool{}
	for _, f := range families(got) {
		have[f] = true
	}
	want := families(string(ref))
	missing := 0
	for _, f := range want {
		if !have[f] {
			missing++
			t.Errorf("family %s missing", f)
		}
	}
	for _, l := range strings.Split(string(ref), "\n") {
		if strings.HasPrefix(l, "# HELP ") && !strings.Contains(got, l+"\n") {
			t.Errorf("HELP differs: %s", l)
		}
	}
	t.Logf("%d of HAProxy's %d families", len(want)-missing, len(want))
}

func TestSamples(t *testing.T) {
	got := scrape(AllScopes)
	for _, want := range []string{
		`haproxy_frontend_http_requests_total{proxy="fe"} 3` + "\n",
		`haproxy_frontend_http_responses_total{proxy="fe",code="5xx"} 3` + "\n",
		`haproxy_server_status{proxy="be",server="s2",state="MAINT"} 1` + "\n",
		`haproxy_server_status{proxy="be",server="s1",state="UP"} 1` + "\n",
		`haproxy_server_check_status{proxy="be",server="s1",state="L4OK"} 1` + "\n",
		`haproxy_backend_agg_server_status{proxy="be",state="MAINT"} 1` + "\n",
		`haproxy_backend_max_total_time_seconds{proxy="be"} 1.500000` + "\n",
		`haproxy_server_queue_time_average_seconds{proxy="be",server="s1"} 0.002000` + "\n",
		`haproxy_server_limit_sessions{proxy="be",server="s1"} NaN` + "\n",
		`haproxy_process_build_info{version="1.0"} 1` + "\n",
		`haproxy_process_requests_total 7` + "\n",
		`baton_reloads_total{result="failure"} 1` + "\n",
		`baton_serving_generation 3` + "\n",
		`baton_connections_migrated_total 9` + "\n",
		`baton_last_reload_success_timestamp_seconds 100.000` + "\n",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("scrape lacks %q", want)
		}
	}
	if strings.Contains(got, `haproxy_server_check_status{proxy="be",server="s2"`) {
		t.Error("check_status for a server without checks")
	}
	if strings.Contains(got, `haproxy_backend_agg_server_status{proxy="st"`) {
		t.Error("agg families for a backend without servers")
	}
}

func TestScope(t *testing.T) {
	for q, want := range map[string][]string{
		"scope=frontend":              {"haproxy_frontend_"},
		"scope=backend&scope=server":  {"haproxy_backend_", "haproxy_server_"},
		"scope=global":                {"haproxy_process_", "baton_"},
		"":                            {"haproxy_process_", "haproxy_frontend_", "haproxy_backend_", "haproxy_server_", "baton_"},
		"scope=":                      nil,
		"scope=server&no-maint":       {"haproxy_server_"},
		"scope=frontend&scope=global": {"haproxy_frontend_", "haproxy_process_", "baton_"},
	} {
		got := scrape(ParseScope(q))
		prefixes := map[string]bool{}
		for _, f := range families(got) {
			for _, p := range []string{"haproxy_process_", "haproxy_frontend_", "haproxy_backend_", "haproxy_server_", "baton_"} {
				if strings.HasPrefix(f, p) {
					prefixes[p] = true
				}
			}
		}
		var have []string
		for p := range prefixes {
			have = append(have, p)
		}
		sort.Strings(have)
		w := append([]string(nil), want...)
		sort.Strings(w)
		if strings.Join(have, ",") != strings.Join(w, ",") {
			t.Errorf("?%s: families %v, want %v", q, have, w)
		}
		if q == "scope=server&no-maint" && strings.Contains(got, `server="s2"`) {
			t.Error("no-maint kept a server in maintenance")
		}
	}
}

// TestPromtool lints the output with Prometheus's own tool: no parse
// error, and no lint finding but the one HAProxy's names carry.
func TestPromtool(t *testing.T) {
	bin, err := exec.LookPath("promtool")
	if err != nil {
		t.Skip("promtool not installed (Debian package prometheus; .ci/run installs it)")
	}
	cmd := exec.Command(bin, "check", "metrics")
	cmd.Stdin = strings.NewReader(scrape(AllScopes))
	out, err := cmd.CombinedOutput()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if code == 1 {
		t.Fatalf("promtool could not parse the output:\n%s", out)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		if l != "" && l != `haproxy_process_failed_resolutions counter metrics should have "_total" suffix` {
			t.Errorf("promtool: %s", l)
		}
	}
}
