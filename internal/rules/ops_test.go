package rules

import (
	"testing"

	"baton/internal/config"
	"baton/internal/h1"
)

func TestOpsConditions(t *testing.T) {
	cfg, err := config.Parse("t.cfg", []byte(`
frontend f
    mode http
    bind :80
    monitor-uri /mon
    monitor fail if { path_beg /mon } { src 10.0.0.0/8 }
    http-request use-service prometheus-exporter if { path /metrics }
listen l
    mode http
    bind :81
    stats enable
    stats admin if { src 127.0.0.1 }
    stats http-request deny if { src 192.168.0.0/16 }
    stats http-request auth realm R unless { src 127.0.0.0/8 }
    stats http-request allow
`))
	if err != nil {
		t.Fatal(err)
	}
	f, err := Compile(cfg.Proxies[0])
	if err != nil {
		t.Fatal(err)
	}
	in := func(r *h1.Request, src string) *Input { return newInput(cfg, f, r, src) }
	req := func(method, path string) *h1.Request { return parseReq(t, method+" "+path) }
	if !f.MonitorFails(in(req("GET", "/mon"), "10.1.1.1")) || f.MonitorFails(in(req("GET", "/mon"), "1.1.1.1")) {
		t.Error("monitor fail condition")
	}
	var v Verdict
	f.Request(in(req("GET", "/metrics"), "1.1.1.1"), &v)
	if v.Kind != Respond || v.Service != "prometheus-exporter" {
		t.Errorf("use-service verdict %+v", v)
	}
	v = v.Reset()
	f.Request(in(req("GET", "/other"), "1.1.1.1"), &v)
	if v.Kind != Continue {
		t.Errorf("use-service applied without its condition: %+v", v)
	}
	l, err := Compile(cfg.Proxies[1])
	if err != nil {
		t.Fatal(err)
	}
	if !l.StatsAdmin(in(req("GET", "/"), "127.0.0.1")) || l.StatsAdmin(in(req("GET", "/"), "127.0.0.2")) {
		t.Error("stats admin condition")
	}
	for src, want := range map[string]string{"192.168.1.1": "deny", "8.8.8.8": "auth", "127.0.0.5": "allow"} {
		if got, realm := l.StatsAccess(in(req("GET", "/"), src)); got != want || (got == "auth" && realm != "R") {
			t.Errorf("stats http-request for %s: %q %q, want %q", src, got, realm, want)
		}
	}
	if f.StatsAdmin(in(req("GET", "/"), "127.0.0.1")) {
		t.Error("a proxy without stats admin granted it")
	}
}
