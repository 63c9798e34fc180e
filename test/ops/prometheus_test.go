package ops_test

import (
	"bufio"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"baton/test/harness"
)

const promConfig = `global
    stats socket ${SOCK} level admin
` + httpDefaults + `
frontend fe
    bind ${FE}
    http-request use-service prometheus-exporter if { path /metrics }
    monitor-uri /healthz
    monitor fail if { hdr(x-fail) 1 }
    default_backend be

backend be
    server s1 ${S1} check inter 200ms
    server s2 ${S2} weight 2

listen st
    bind ${ST}
    stats enable
    stats uri /stats
`

// scrape is one Prometheus exposition, parsed.
type scrape struct {
	text    string
	types   map[string]string   // family -> type
	helps   map[string]string   // family -> HELP
	labels  map[string][]string // family -> label names of its first sample
	samples map[string]float64  // "name{labels}" -> value
}

var sampleLine = regexp.MustCompile(`^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (\S+)$`)

func parseScrape(t *testing.T, text string) *scrape {
	t.Helper()
	s := &scrape{text: text, types: map[string]string{}, helps: map[string]string{}, labels: map[string][]string{}, samples: map[string]float64{}}
	sc := bufio.NewScanner(strings.NewReader(text))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		l := sc.Text()
		switch {
		case strings.HasPrefix(l, "# HELP "):
			name, help, _ := strings.Cut(strings.TrimPrefix(l, "# HELP "), " ")
			s.helps[name] = help
		case strings.HasPrefix(l, "# TYPE "):
			f := strings.Fields(l)
			s.types[f[2]] = f[3]
		case l == "":
		default:
			m := sampleLine.FindStringSubmatch(l)
			if m == nil {
				t.Fatalf("not an exposition line: %q", l)
			}
			v, err := strconv.ParseFloat(m[3], 64)
			if err != nil {
				t.Fatalf("bad value in %q", l)
			}
			s.samples[m[1]+m[2]] = v
			if _, ok := s.labels[m[1]]; !ok {
				var names []string
				for _, kv := range regexp.MustCompile(`(\w+)="`).FindAllStringSubmatch(m[2], -1) {
					names = append(names, kv[1])
				}
				sort.Strings(names)
				s.labels[m[1]] = names
			}
		}
	}
	return s
}

func fetchMetrics(t *testing.T, addr, query string) *scrape {
	t.Helper()
	path := "/metrics"
	if query != "" {
		path += "?" + query
	}
	r := harness.Get(t, addr, path)
	if r.Status != 200 || !strings.HasPrefix(r.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("GET %s: %d %q", path, r.Status, r.Get("Content-Type"))
	}
	return parseScrape(t, string(r.Body))
}

// TestPrometheusAgainstHAProxy scrapes Baton and HAProxy 2.6 on the same
// configuration: Baton exposes at least 95% of HAProxy's families (it
// aims at all), with HAProxy's types, HELP texts and label names, honours
// ?scope=, and its output passes promtool.
func TestPrometheusAgainstHAProxy(t *testing.T) {
	shared := map[string]string{"S1": origin(t, "s1"), "S2": origin(t, "s2")}
	ps := startPair(t, promConfig, shared, "FE", "ST")
	scrapes := map[string]*scrape{}
	for _, p := range ps {
		get(t, p.addrs["FE"], "/", 5)
		harness.Eventually(t, 10*time.Second, p.name+": s1 checked", func() bool {
			return strings.Contains(p.cmd(t, "show stat"), ",L4OK,")
		})
		// HAProxy counts a response when its transaction ends, which may
		// be after the client has read it: wait for the five.
		harness.Eventually(t, 10*time.Second, p.name+": five responses counted", func() bool {
			h, rows, _ := csvRows(t, p.cmd(t, "show stat"))
			return col(t, h, rows["fe/FRONTEND"], "hrsp_2xx") == "5"
		})
		scrapes[p.name] = fetchMetrics(t, p.addrs["FE"], "")
	}
	b := scrapes["baton"]
	if err := os.WriteFile(filepath.Join(t.ArtifactDir(), "baton-metrics.txt"), []byte(b.text), 0o644); err != nil {
		t.Fatal(err)
	}
	if h := scrapes["haproxy"]; h != nil {
		have := 0
		for name, typ := range h.types {
			switch {
			case b.types[name] == "":
				t.Logf("family %s (HAProxy's) missing", name)
				continue
			case b.types[name] != typ:
				t.Errorf("%s: type %s, HAProxy %s", name, b.types[name], typ)
			case b.helps[name] != h.helps[name]:
				t.Errorf("%s: HELP %q, HAProxy %q", name, b.helps[name], h.helps[name])
			case strings.Join(b.labels[name], ",") != strings.Join(h.labels[name], ","):
				t.Errorf("%s: labels %v, HAProxy %v", name, b.labels[name], h.labels[name])
			}
			have++
		}
		ratio := float64(have) / float64(len(h.types))
		t.Logf("Baton exposes %d of HAProxy's %d families (%.1f%%), and %d families in all", have, len(h.types), 100*ratio, len(b.types))
		if ratio < 0.95 {
			t.Errorf("only %.1f%% of HAProxy's families", 100*ratio)
		}
		// Values with the same meaning: the requests and their classes.
		for _, k := range []string{`haproxy_frontend_http_responses_total{proxy="fe",code="2xx"}`,
			`haproxy_server_status{proxy="be",server="s1",state="UP"}`, `haproxy_backend_active_servers{proxy="be"}`,
			`haproxy_server_weight{proxy="be",server="s2"}`, `haproxy_server_check_status{proxy="be",server="s1",state="L4OK"}`} {
			if b.samples[k] != h.samples[k] {
				t.Errorf("%s: baton %v, haproxy %v", k, b.samples[k], h.samples[k])
			}
		}
	}
	for q, want := range map[string]string{"scope=frontend": "haproxy_frontend_", "scope=server": "haproxy_server_"} {
		for name := range fetchMetrics(t, ps[0].addrs["FE"], q).types {
			if !strings.HasPrefix(name, want) {
				t.Errorf("?%s returned %s", q, name)
			}
		}
	}
	if bin, err := exec.LookPath("promtool"); err != nil {
		t.Log("promtool not installed: the exposition was parsed by the test alone")
	} else {
		cmd := exec.Command(bin, "check", "metrics")
		cmd.Stdin = strings.NewReader(b.text)
		out, _ := cmd.CombinedOutput()
		for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			// HAProxy's own name, kept for its dashboards.
			if l != "" && l != `haproxy_process_failed_resolutions counter metrics should have "_total" suffix` {
				t.Errorf("promtool: %s", l)
			}
		}
	}
	// monitor-uri and monitor fail, on both: the same status and body.
	bodies := map[string]string{}
	for _, p := range ps {
		r := harness.Get(t, p.addrs["FE"], "/healthz")
		if r.Status != 200 || !strings.Contains(string(r.Body), "Service ready.") {
			t.Errorf("%s monitor-uri: %d %q", p.name, r.Status, r.Body)
		}
		got := rawRequest(t, p.addrs["FE"], "GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fail: 1\r\nConnection: close\r\n\r\n")
		if !strings.HasPrefix(got, "HTTP/1.1 503") {
			t.Errorf("%s monitor fail: %q", p.name, got)
		}
		bodies[p.name] = string(r.Body) + "|" + got[strings.Index(got, "\r\n\r\n"):]
	}
	if h, ok := bodies["haproxy"]; ok && h != bodies["baton"] {
		t.Errorf("monitor bodies:\nbaton   %q\nhaproxy %q", bodies["baton"], h)
	}
}

// TestCountersContinueAcrossReload: under steady traffic, with an idle
// keep-alive client to migrate, a reload changes no counter's course: no
// counter of the scrape after it is below its value before, Baton's
// reload and generation metrics move, and the idle connection migrated.
func TestCountersContinueAcrossReload(t *testing.T) {
	shared := map[string]string{"S1": origin(t, "s1"), "S2": origin(t, "s2")}
	p := startBaton(t, promConfig, shared, "FE", "ST")
	var sent, failed atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			default:
			}
			if out := tryGet(p.addrs["FE"]); strings.HasPrefix(out, "HTTP/1.1 200") {
				sent.Add(1)
			} else {
				failed.Add(1)
			}
		}
	}()
	idle := harness.Dial(t, p.addrs["FE"])
	idle.Send(harness.Request("GET", "/", "Host: x") + "\r\n")
	idle.Read("GET")
	harness.Eventually(t, 10*time.Second, "traffic", func() bool { return sent.Load() > 50 })

	before := fetchMetrics(t, p.addrs["FE"], "")
	if out, code := p.baton.Reload(); code != 0 {
		t.Fatalf("reload: %s", out)
	}
	harness.Eventually(t, 10*time.Second, "traffic after the reload", func() bool { return sent.Load() > 150 })
	// The migrated client's next request is answered by generation 2.
	idle.Send(harness.Request("GET", "/", "Host: x") + "\r\n")
	if r := idle.Read("GET"); r.Status != 200 {
		t.Fatalf("the idle client after the reload: %d", r.Status)
	}
	after := fetchMetrics(t, p.addrs["FE"], "")
	close(stop)
	wg.Wait()
	if failed.Load() > 0 {
		t.Errorf("%d of %d requests failed across the reload", failed.Load(), failed.Load()+sent.Load())
	}

	dir := t.ArtifactDir()
	os.WriteFile(filepath.Join(dir, "scrape-before-reload.txt"), []byte(before.text), 0o644)
	os.WriteFile(filepath.Join(dir, "scrape-after-reload.txt"), []byte(after.text), 0o644)
	t.Logf("scrapes in %s", dir)
	checked := 0
	for k, v := range before.samples {
		name, _, _ := strings.Cut(k, "{")
		if before.types[name] != "counter" {
			continue
		}
		checked++
		if a, ok := after.samples[k]; !ok || a < v {
			t.Errorf("counter %s went from %v to %v across the reload", k, v, a)
		}
	}
	for _, c := range []struct {
		k     string
		delta float64
	}{
		{`baton_reloads_total{result="success"}`, 1},
		{`baton_serving_generation`, 1},
	} {
		if after.samples[c.k]-before.samples[c.k] != c.delta {
			t.Errorf("%s: %v -> %v", c.k, before.samples[c.k], after.samples[c.k])
		}
	}
	for _, k := range []string{`haproxy_frontend_http_requests_total{proxy="fe"}`, `haproxy_backend_http_requests_total{proxy="be"}`,
		`haproxy_process_requests_total`} {
		if after.samples[k] <= before.samples[k] {
			t.Errorf("%s did not grow: %v -> %v", k, before.samples[k], after.samples[k])
		}
	}
	if after.samples["baton_connections_migrated_total"] < 1 {
		t.Errorf("no connection migrated: %v", after.samples["baton_connections_migrated_total"])
	}
	if after.samples["baton_last_reload_successful"] != 1 || after.samples["baton_last_reload_success_timestamp_seconds"] == 0 {
		t.Errorf("last reload metrics: %v %v", after.samples["baton_last_reload_successful"], after.samples["baton_last_reload_success_timestamp_seconds"])
	}
	t.Logf("%d counters checked; frontend requests %v -> %v", checked,
		before.samples[`haproxy_frontend_http_requests_total{proxy="fe"}`], after.samples[`haproxy_frontend_http_requests_total{proxy="fe"}`])
}

// tryGet sends one GET on a new connection and returns the answer's
// first bytes ("" on error); for goroutines, which must not fail the test.
func tryGet(addr string) string {
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return ""
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")); err != nil {
		return ""
	}
	b, _ := io.ReadAll(c)
	return string(b)
}
