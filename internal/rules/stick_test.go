package rules

import (
	"net/netip"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/h1"
	"baton/internal/sticktable"
)

// stickInput gives in the sticky counters of a connection of cfg.
func stickInput(cfg *config.Config, in *Input) *sticktable.Tracker {
	var ts []*sticktable.Table
	for _, sp := range cfg.Tables() {
		ts = append(ts, sticktable.NewLocal(sp))
	}
	k := &sticktable.Tracker{}
	k.BeginConnection(sticktable.NewTables(ts...), true)
	in.Stick = k
	return k
}

const rateLimit = ` stick-table type ip size 1k expire 30s store http_req_rate(10s),gpc0,gpt0
 http-request track-sc0 src
 http-request sc-inc-gpc0(0) if { path /mark }
 http-request sc-set-gpt0(0) 7 if { path /tag }
 http-request deny deny_status 429 if { sc_http_req_rate(0) gt 3 }
 default_backend web`

// TestStickRateLimit runs the rate-limit pattern through the rules: the
// fourth request of a client within the period is refused, the
// general purpose counter and tag are set, and a second client has its
// own entry.
func TestStickRateLimit(t *testing.T) {
	s, cfg := frontend(t, rateLimit)
	in := newInput(cfg, s, nil, "10.0.0.1")
	k := stickInput(cfg, in)
	now := time.Unix(1_700_000_000, 0)
	send := func(path string) Kind {
		in.BeginRequest()
		in.Now = now
		in.Req = parseReq(t, "GET "+path)
		var v Verdict
		s.Request(in, &v)
		k.EndRequest(sticktable.Outcome{Err: v.Kind == Respond}, now.UnixMilli())
		return v.Kind
	}
	for i, want := range []Kind{Continue, Continue, Continue, Respond, Respond} {
		if got := send("/mark"); got != want {
			t.Errorf("request %d: %v, want %v", i+1, got, want)
		}
	}
	send("/tag")
	tb := k.Tables.Get("fe")
	r := tb.Get(sticktable.Key{10, 0, 0, 1}, now.UnixMilli(), sticktable.Lookup)
	if v, _ := tb.Read(r, sticktable.DGPC0, 0, now.UnixMilli()); v != 5 {
		t.Errorf("gpc0 %d, want 5", v)
	}
	if v, _ := tb.Read(r, sticktable.DGPT0, 0, now.UnixMilli()); v != 7 {
		t.Errorf("gpt0 %d, want 7", v)
	}
	if n := tb.Trackers(r); n != 0 {
		t.Errorf("%d trackers left after the requests ended", n)
	}
	in.Src = netipFrom("10.0.0.2")
	if got := send("/"); got != Continue {
		t.Errorf("another client: %v, want Continue", got)
	}
	// Ten seconds later the window has moved past the burst.
	in.Src = netipFrom("10.0.0.1")
	now = now.Add(20 * time.Second)
	if got := send("/"); got != Continue {
		t.Errorf("after the period: %v, want Continue", got)
	}
}

// TestStickAllocs proves that tracking, counting and reading a sticky
// counter allocates nothing per request.
func TestStickAllocs(t *testing.T) {
	s, cfg := frontend(t, rateLimit)
	in := newInput(cfg, s, nil, "10.0.0.1")
	k := stickInput(cfg, in)
	buf := []byte("GET /mark HTTP/1.1\r\nHost: h\r\n\r\n")
	var req h1.Request
	var lim h1.Limits
	var v Verdict
	now := time.Unix(1_700_000_000, 0)
	run := func() {
		if err := h1.ParseRequest(buf, &req, &lim); err != nil {
			t.Fatal(err)
		}
		in.BeginRequest()
		in.Now = now
		k.BeginRequest(now.UnixMilli())
		in.Req = &req
		v = v.Reset()
		s.Request(in, &v)
		k.EndRequest(sticktable.Outcome{}, now.UnixMilli())
		now = now.Add(time.Second)
	}
	run()
	if n := testing.AllocsPerRun(300, run); n != 0 {
		t.Errorf("a tracked request allocates %.1f times", n)
	}
}

func netipFrom(a string) netip.AddrPort { return netip.AddrPortFrom(netip.MustParseAddr(a), 40000) }
