package config

import (
	"strings"
	"testing"
	"time"
)

func TestOpsKeywords(t *testing.T) {
	cfg, err := Parse("t.cfg", []byte(`
defaults
    mode http
    stats enable
    stats uri /st
    stats auth a:b
    monitor-uri /mon
    load-server-state-from-file global
frontend f
    bind :80
    stats realm My\ Realm
    stats refresh 10
    stats admin if { src 127.0.0.1 }
    monitor fail if { path /x }
    http-request use-service prometheus-exporter if { path /metrics }
    default_backend b
backend b
    stats hide-version
    stats show-node n1
    stats show-desc the main node
    stats scope .
    stats http-request auth realm R unless { src 10.0.0.0/8 }
    load-server-state-from-file local
    server-state-file-name b.state
    server s 127.0.0.1:1
frontend g
    bind :81
    default_backend b
`))
	if err != nil {
		t.Fatal(err)
	}
	f, b, g := cfg.Proxies[0], cfg.Proxies[1], cfg.Proxies[2]
	// A proxy with stats keywords of its own starts a fresh page (the
	// defaults' uri and auth do not apply), as HAProxy does; one without
	// keeps the defaults' page.
	fs := f.Stats
	if fs == nil || fs.URI != "" || fs.Realm != "My Realm" || fs.Refresh != 10*time.Second || fs.Admin == nil || len(fs.Auth) != 0 {
		t.Errorf("frontend page %+v", fs)
	}
	if gs := g.Stats; gs == nil || gs.URI != "/st" || len(gs.Auth) != 1 || gs.Auth[0] != (StatsUser{User: "a", Password: "b"}) {
		t.Errorf("inherited page %+v", gs)
	}
	if f.MonitorURI != "/mon" || len(f.MonitorFail) != 1 {
		t.Errorf("monitor %q %v", f.MonitorURI, f.MonitorFail)
	}
	if len(f.RequestRules) != 1 || f.RequestRules[0].Action != "use-service" || f.RequestRules[0].Name != "prometheus-exporter" {
		t.Errorf("use-service %+v", f.RequestRules)
	}
	bs := b.Stats
	if bs == nil || bs.URI != "" || !bs.HideVersion || !bs.ShowNode || bs.Node != "n1" || bs.Desc != "the main node" ||
		len(bs.Scope) != 1 || len(bs.Rules) != 1 || bs.Rules[0].Action != "auth" || bs.Rules[0].Realm != "R" || bs.Rules[0].Cond == nil {
		t.Errorf("backend page %+v", bs)
	}
	if fs.HideVersion {
		t.Error("the backend's hide-version reached the frontend: pages must be copies")
	}
	if (&StatsPage{}).StatsURI() != "/haproxy?stats" || (&StatsPage{}).StatsRealm() != "HAProxy Statistics" {
		t.Error("page defaults")
	}
}

func TestServerStateKeywords(t *testing.T) {
	cfg, err := Parse("t.cfg", []byte(`global
    server-state-file /var/state
    server-state-base /var/lib/st
defaults
    load-server-state-from-file global
backend a
    server s 127.0.0.1:1
backend b
    load-server-state-from-file local
    server-state-file-name b.state
    server s 127.0.0.1:1
backend c
    load-server-state-from-file local
    server s 127.0.0.1:1
`))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{"/var/state", "/var/lib/st/b.state", "/var/lib/st/c"} {
		if got := cfg.ServerStatePath(cfg.Proxies[i]); got != want {
			t.Errorf("%s: state path %q, want %q", cfg.Proxies[i].Name, got, want)
		}
	}
}

// TestOpsKeywordErrors: what HAProxy refuses, Baton refuses with the line.
func TestOpsKeywordErrors(t *testing.T) {
	for _, c := range []struct{ name, cfg, want string }{
		{"auth with rules", "listen l\n    bind :80\n    stats auth a:b\n    stats http-request deny\n", "t.cfg:6: listen \"l\": stats auth/realm and stats http-request cannot be used together"},
		{"realm with rules", "backend b\n    stats realm R\n    stats http-request allow\n", "t.cfg:5: backend \"b\": stats auth/realm"},
		{"rules in a frontend", "frontend f\n    bind :80\n    stats http-request allow\n", "t.cfg:5: \"stats http-request\" is not allowed in a frontend section"},
		{"admin without condition", "listen l\n    bind :80\n    stats admin\n", "t.cfg:5: stats admin: expects if or unless and a condition"},
		{"bad auth", "listen l\n    bind :80\n    stats auth nocolon\n", "t.cfg:5: stats auth: expects user:password"},
	} {
		_, err := Parse("t.cfg", []byte("defaults\n    mode http\n"+c.cfg))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: %v, want %q", c.name, err, c.want)
		}
	}
}
