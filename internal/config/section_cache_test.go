package config

import (
	"strings"
	"testing"
	"time"
)

func TestParseCache(t *testing.T) {
	const fe = "frontend f\n  mode http\n  bind :80\n  http-request cache-use c\n  http-response cache-store c if { status 200 }\n"
	c := mustParse(t, fe+"cache c\n  total-max-size 4\n  max-object-size 10000\n  max-age 240\n  process-vary on\n  max-secondary-entries 3\n")
	got := c.Cache("c")
	want := CacheSection{Name: "c", TotalMaxSize: 4 << 20, MaxObjectSize: 10000, MaxAge: 240 * time.Second,
		ProcessVary: true, MaxSecondaryEntries: 3}
	if got == nil {
		t.Fatal("no cache c")
	}
	want.Pos = got.Pos
	if *got != want {
		t.Errorf("cache = %+v, want %+v", *got, want)
	}
	rr := c.Proxies[0].RequestRules
	if len(rr) != 1 || rr[0].Action != "cache-use" || rr[0].Name != "c" {
		t.Errorf("request rules = %+v", rr)
	}
	if rs := c.Proxies[0].ResponseRules; len(rs) != 1 || rs[0].Action != "cache-store" || rs[0].Cond == nil {
		t.Errorf("response rules = %+v", rs)
	}
	// The defaults.
	d := mustParse(t, "cache c\n  total-max-size 2\n").Cache("c")
	if d.ObjectLimit() != 2<<20/256 || d.Lifetime() != 60*time.Second || d.Secondary() != 10 || d.ProcessVary {
		t.Errorf("defaults: %d %v %d %v", d.ObjectLimit(), d.Lifetime(), d.Secondary(), d.ProcessVary)
	}

	for _, tt := range []struct{ src, want string }{
		{"cache c\n  max-age 10\n", `t.cfg:1: cache "c": total-max-size is mandatory`},
		{"cache c\n  total-max-size 0\n", `t.cfg:2: cache "c": total-max-size: expects megabytes from 1 to 4095, got "0"`},
		{"cache c\n  total-max-size 4096\n", `t.cfg:2: cache "c": total-max-size: expects megabytes`},
		{"cache c\n  total-max-size 1\n  max-object-size 600000\n", `t.cfg:1: cache "c": max-object-size (600000) must not be greater than half of total-max-size`},
		{"cache c\n  total-max-size 1\n  max-age x\n", `t.cfg:3: cache "c": max-age: expects a positive number of seconds`},
		{"cache c\n  total-max-size 1\n  process-vary yes\n", `t.cfg:3: cache "c": process-vary: expects 'on' or 'off'`},
		{"cache c\n  total-max-size 1\n  max-secondary-entries 0\n", `t.cfg:3: cache "c": max-secondary-entries: expects a strictly positive number`},
		{"cache c\n  total-max-size 1\n  nope 1\n", `t.cfg:3: cache "c": unknown keyword "nope"`},
		{"cache c\n  total-max-size 1\ncache c\n  total-max-size 1\n", `t.cfg:3: cache "c": declared twice`},
		{"cache\n", `t.cfg:1: cache: expects one name`},
		{"frontend f\n  bind :80\n  http-request cache-use\n", `t.cfg:3: http-request cache-use: expects the name of a cache section`},
		{"frontend f\n  bind :80\n  filter cache nope\n", `t.cfg:3: unable to find cache 'nope'`},
		{"frontend f\n  bind :80\n  filter fcgi-app x\n", `t.cfg:3: "filter fcgi-app" is a HAProxy keyword that Baton does not support`},
	} {
		_, err := Parse("t.cfg", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
	}
	// filter cache is accepted with a warning.
	w := mustParse(t, "frontend f\n  bind :80\n  filter cache c\ncache c\n  total-max-size 1\n")
	if !strings.Contains(strings.Join(w.Warnings, "\n"), "t.cfg:3: filter cache: accepted") {
		t.Errorf("warnings = %q", w.Warnings)
	}
}
