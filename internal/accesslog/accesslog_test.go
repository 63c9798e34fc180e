package accesslog

import (
	"net/netip"
	"strings"
	"testing"
	"time"

	lf "baton/internal/logformat"
)

const msec = time.Millisecond

func state(s string) (st [4]byte) {
	copy(st[:], s)
	return st
}

// manualHTTP is the httplog example of HAProxy's manual (section 8.2.3),
// without the header captures Baton does not have: TR 10, Tw 0, Tc 30,
// Tr 69, Ta 109.
func manualHTTP() *Entry {
	return &Entry{
		HTTP:     true,
		Client:   netip.MustParseAddrPort("10.0.1.2:33317"),
		Accept:   time.Date(2009, time.February, 6, 12, 14, 14, 655_000_000, time.UTC),
		TRequest: 10 * msec, TQueue: 10 * msec, TConnect: 40 * msec, TData: 109 * msec, TClose: 109 * msec,
		Frontend: "http-in", Backend: "static", Server: "srv1",
		Status: 200, BytesOut: 2750, State: state("----"),
		ActConn: 1, FeConn: 1, BeConn: 1, SrvConn: 1,
		Request: []byte("GET /index.html HTTP/1.1"),
	}
}

func line(f *Format, e *Entry) string {
	return string(f.Append(nil, e, &Env{PID: 4242, Hostname: "vm"}, 0))
}

func TestHTTPLogGolden(t *testing.T) {
	cases := []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"manual example", func(*Entry) {},
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"zero state prints dashes", func(e *Entry) { e.State = [4]byte{} },
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"idle time moves the request date", func(e *Entry) {
			e.Idle, e.TRequest, e.TQueue, e.TConnect, e.TData, e.TClose = 2500*msec, 2510*msec, 2510*msec, 2540*msec, 2609*msec, 2609*msec
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:17.155] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"server timeout", func(e *Entry) {
			e.TData, e.TClose, e.Status, e.BytesOut, e.State = -1, 30_052*msec, 504, 194, state("sH--")
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/-1/30052 504 194 - - sH-- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"client request timeout, nothing received", func(e *Entry) {
			*e = Entry{HTTP: true, Client: e.Client, Accept: e.Accept, Frontend: "http-in",
				TRequest: -1, TQueue: -1, TConnect: -1, TData: -1, TClose: 5000 * msec, Status: 408, BytesOut: 212, State: state("cR--"),
				ActConn: 3, FeConn: 2}
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in http-in/<NOSRV> -1/-1/-1/-1/5000 408 212 - - cR-- 3/2/0/0/0 0/0 "<BADREQ>"`},
		{"connection refused with redispatch", func(e *Entry) {
			e.TConnect, e.TData, e.Status, e.State, e.Retries, e.Redispatched, e.Server = -1, -1, 503, state("SC--"), 3, true, "srv2"
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv2 10/0/-1/-1/109 503 2750 - - SC-- 1/1/1/1/+3 0/0 "GET /index.html HTTP/1.1"`},
		{"denied", func(e *Entry) {
			e.Server, e.TQueue, e.TConnect, e.TData, e.TClose, e.Status, e.BytesOut, e.State = "", -1, -1, -1, 10*msec, 403, 93, state("PR--")
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/<NOSRV> 10/-1/-1/-1/10 403 93 - - PR-- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"client abort, no status", func(e *Entry) {
			e.Status, e.State, e.TData = -1, state("CH--"), -1
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/-1/109 -1 2750 - - CH-- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"queues and counters", func(e *Entry) {
			e.ActConn, e.FeConn, e.BeConn, e.SrvConn, e.SrvQueue, e.BackendQueue = 4096, 1024, 512, 100, 7, 12
			e.TQueue, e.TConnect, e.TData, e.TClose = 1510*msec, 1540*msec, 1609*msec, 1609*msec
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/1500/30/69/1609 200 2750 - - ---- 4096/1024/512/100/0 7/12 "GET /index.html HTTP/1.1"`},
		{"escaped request line", func(e *Entry) {
			e.Request = []byte("GET /a\"b#c\x01\xff HTTP/1.1")
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /a#22b#23c#01#FF HTTP/1.1"`},
		{"ipv6 client", func(e *Entry) { e.Client = netip.MustParseAddrPort("[2001:db8::1]:443") },
			`2001:db8::1:443 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"v4-mapped client", func(e *Entry) { e.Client = netip.MustParseAddrPort("[::ffff:10.0.1.2]:33317") },
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"timers truncate to ms, then subtract", func(e *Entry) {
			e.TRequest, e.TClose = 10*msec+999*time.Microsecond, 109*msec+999*time.Microsecond
		}, `10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/109 200 2750 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
		{"logasap", func(e *Entry) { e.ASAP, e.BytesOut = true, 165 },
			`10.0.1.2:33317 [06/Feb/2009:12:14:14.655] http-in static/srv1 10/0/30/69/+109 200 +165 - - ---- 1/1/1/1/0 0/0 "GET /index.html HTTP/1.1"`},
	}
	for _, c := range cases {
		e := manualHTTP()
		c.edit(e)
		if got := line(HTTPLog, e); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

func TestTCPLogGolden(t *testing.T) {
	base := func() *Entry {
		// HAProxy's manual tcplog example (section 8.2.2), with 2.6's
		// Tw: for a TCP connection the request time is -1, so Tw counts
		// one more millisecond.
		return &Entry{
			Client:   netip.MustParseAddrPort("10.0.1.2:33313"),
			Accept:   time.Date(2009, time.February, 6, 12, 12, 51, 443_000_000, time.UTC),
			Frontend: "fnt", Backend: "bck", Server: "srv1",
			TRequest: -1, TQueue: 0, TConnect: 0, TData: -1, TClose: 5007 * msec, BytesOut: 212, Retries: 3,
			State: state("--NI"),
		}
	}
	cases := []struct {
		name string
		edit func(e *Entry)
		want string
	}{
		{"manual example", func(*Entry) {}, `10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 1/0/5007 212 -- 0/0/0/0/3 0/0`},
		{"connect timeout", func(e *Entry) { e.TConnect, e.BytesOut, e.State = -1, 0, state("sC") },
			`10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 1/-1/5007 0 sC 0/0/0/0/3 0/0`},
		{"no backend", func(e *Entry) { e.Backend, e.Server, e.TQueue, e.TConnect, e.State = "", "", -1, -1, state("SC") },
			`10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt fnt/<NOSRV> -1/-1/5007 212 SC 0/0/0/0/3 0/0`},
		{"zero client", func(e *Entry) { e.Client = netip.AddrPort{} },
			`-:- [06/Feb/2009:12:12:51.443] fnt bck/srv1 1/0/5007 212 -- 0/0/0/0/3 0/0`},
		{"logasap", func(e *Entry) { e.ASAP, e.TClose, e.BytesOut = true, 0, 0 },
			`10.0.1.2:33313 [06/Feb/2009:12:12:51.443] fnt bck/srv1 1/0/+0 +0 -- 0/0/0/0/3 0/0`},
	}
	for _, c := range cases {
		e := base()
		c.edit(e)
		if got := line(TCPLog, e); got != c.want {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.want)
		}
	}
}

// captured builds the request behind HAProxy 2.6.12's lines below (same
// addresses, times, sizes and counters).
func captured() *Entry {
	return &Entry{
		HTTP:   true,
		Client: netip.MustParseAddrPort("127.0.0.1:34942"), Local: netip.MustParseAddrPort("127.0.0.1:28081"),
		ServerSrc: netip.MustParseAddrPort("127.0.0.1:38834"), ServerDst: netip.MustParseAddrPort("127.0.0.1:28082"),
		Accept:   time.Date(2026, time.November, 30, 23, 52, 39, 557_000_000, time.UTC),
		TRequest: 0, TQueue: 0, TConnect: 0, TData: 7 * msec, TClose: 7 * msec,
		Frontend: "fe", Backend: "be", Server: "s1",
		Status: 404, BytesOut: 500, BytesIn: 95, State: state("----"),
		ActConn: 1, FeConn: 1,
		Request: []byte("GET /a/b?x=1&y=%22 HTTP/1.1"),
	}
}

// Every variable of HAProxy 2.6's table, against HAProxy's own output for
// the same request (a log-format naming them all, sent to a UDP socket).
func TestEveryVariableMatchesHAProxy(t *testing.T) {
	const format = "B=%B|CC=%CC|CS=%CS|H=%H|HM=%HM|HP=%HP|HPO=%HPO|HQ=%HQ|HU=%HU|HV=%HV|ID=%ID|ST=%ST|T=%T|Ta=%Ta|Tc=%Tc|Td=%Td|Tl=%Tl|Th=%Th|Ti=%Ti|Tq=%Tq|TR=%TR|Tr=%Tr|Ts=%Ts|Tt=%Tt|Tu=%Tu|Tw=%Tw|U=%U|ac=%ac|b=%b|bc=%bc|bi=%bi|bp=%bp|bq=%bq|ci=%ci|cp=%cp|f=%f|fc=%fc|fi=%fi|fp=%fp|ft=%ft|lc=%lc|hr=%hr|hrl=%hrl|hs=%hs|hsl=%hsl|ms=%ms|pid=%pid|r=%r|rc=%rc|rt=%rt|s=%s|sc=%sc|si=%si|sp=%sp|sq=%sq|t=%t|tr=%tr|trg=%trg|trl=%trl|ts=%ts|tsc=%tsc"
	f, err := Compile(format)
	if err != nil {
		t.Fatal(err)
	}
	env := &Env{PID: 22425, Hostname: "vm"}
	ok := captured()
	want := "B=500|CC=-|CS=-|H=vm|HM=GET|HP=/a/b|HPO=/a/b|HQ=?x=1&y=%22|HU=/a/b?x=1&y=%22|HV=HTTP/1.1|ID=-|ST=404|T=30/Nov/2026:23:52:39 +0000|Ta=7|Tc=0|Td=0|Tl=30/Nov/2026:23:52:39 +0000|Th=0|Ti=0|Tq=0|TR=0|Tr=7|Ts=1796082759|Tt=7|Tu=7|Tw=0|U=95|ac=1|b=be|bc=0|bi=127.0.0.1|bp=38834|bq=0|ci=127.0.0.1|cp=34942|f=fe|fc=1|fi=127.0.0.1|fp=28081|ft=fe|lc=0|hr=|hrl=|hs=|hsl=|ms=557|pid=22425|r=GET /a/b?x=1&y=%22 HTTP/1.1|rc=0|rt=0|s=s1|sc=0|si=127.0.0.1|sp=28082|sq=0|t=30/Nov/2026:23:52:39.557|tr=30/Nov/2026:23:52:39.557|trg=30/Nov/2026:23:52:39 +0000|trl=30/Nov/2026:23:52:39 +0000|ts=--|tsc=----"
	if got := string(f.Append(nil, ok, env, 0)); got != want {
		t.Errorf("request to a server:\n got %s\nwant %s", got, want)
	}
	noSrv := &Entry{
		HTTP: true, Client: netip.MustParseAddrPort("127.0.0.1:34958"), Local: netip.MustParseAddrPort("127.0.0.1:28081"),
		Accept:   time.Date(2026, time.November, 30, 23, 52, 39, 594_000_000, time.UTC),
		TRequest: 0, TQueue: -1, TConnect: -1, TData: -1, TClose: 0,
		Frontend: "fe", Backend: "none", Status: 503, BytesOut: 217, BytesIn: 86, State: state("SC--"),
		ActConn: 1, FeConn: 1, Request: []byte("GET /none HTTP/1.1"), ID: 1, LogCount: 1,
	}
	want = "B=217|CC=-|CS=-|H=vm|HM=GET|HP=/none|HPO=/none|HQ=|HU=/none|HV=HTTP/1.1|ID=-|ST=503|T=30/Nov/2026:23:52:39 +0000|Ta=0|Tc=-1|Td=-1|Tl=30/Nov/2026:23:52:39 +0000|Th=0|Ti=0|Tq=0|TR=0|Tr=-1|Ts=1796082759|Tt=0|Tu=0|Tw=-1|U=86|ac=1|b=none|bc=0|bi=-|bp=-|bq=0|ci=127.0.0.1|cp=34958|f=fe|fc=1|fi=127.0.0.1|fp=28081|ft=fe|lc=1|hr=|hrl=|hs=|hsl=|ms=594|pid=22425|r=GET /none HTTP/1.1|rc=0|rt=1|s=<NOSRV>|sc=0|si=-|sp=-|sq=0|t=30/Nov/2026:23:52:39.594|tr=30/Nov/2026:23:52:39.594|trg=30/Nov/2026:23:52:39 +0000|trl=30/Nov/2026:23:52:39 +0000|ts=SC|tsc=SC--"
	if got := string(f.Append(nil, noSrv, env, 0)); got != want {
		t.Errorf("request without a server:\n got %s\nwant %s", got, want)
	}
	// Flags, again against HAProxy's line for the same request.
	f, err = Compile(`Q:%{+Q}ci|%{+Q}cp|%{+Q}r|%{+Q}b|%{+Q}s|%{+Q}HU|%{+Q}ST|%{+Q}CC|%{+Q}hr|%{+Q}ID|X:%{+X}ci|%{+X}cp|%{+X}Ts|%{+X}pid|%{+X}rt|%{+X}fi|%{+X}B|E:%{+E}r|%{+Q,+E}HU|O:%{+Q}o %ci %b %ST %{-Q}r`)
	if err != nil {
		t.Fatal(err)
	}
	e := captured()
	e.Client = netip.MustParseAddrPort("127.0.0.1:53746")
	e.Accept = time.Unix(0x6B0E0C55, 0)
	e.Request = []byte("GET /p%20q?z=]x HTTP/1.1")
	want = `Q:"127.0.0.1"|53746|"GET /p%20q?z=]x HTTP/1.1"|"be"|"s1"|"/p%20q?z=]x"|404|""||""|X:7F000001|D1F2|6B0E0C55|594C|0000|7F000001|500|E:GET /p%20q?z=\]x HTTP/1.1|"/p%20q?z=\]x"|O: "127.0.0.1" "be" 404 GET /p%20q?z=]x HTTP/1.1`
	if got := string(f.Append(nil, e, &Env{PID: 0x594C}, 0)); got != want {
		t.Errorf("flags:\n got %s\nwant %s", got, want)
	}
	// A TCP connection, against HAProxy's line.
	f, _ = Compile("TCP %ci %B %U %Tt %ts %tsc %ST %b %s %t")
	tcp := &Entry{Client: netip.MustParseAddrPort("127.0.0.1:1"), Accept: time.Date(2026, time.November, 30, 23, 53, 48, 819_000_000, time.UTC),
		TRequest: -1, TQueue: 0, TConnect: 0, TClose: 10 * msec, Frontend: "tcpfmt", Server: "s1", BytesOut: 520, BytesIn: 24}
	if got, want := string(f.Append(nil, tcp, env, 0)), "TCP 127.0.0.1 520 24 10 -- ---- 0 tcpfmt s1 30/Nov/2026:23:53:48.819"; got != want {
		t.Errorf("tcp:\n got %s\nwant %s", got, want)
	}
}

func TestCLF(t *testing.T) {
	got := line(CLF, manualHTTP())
	// HAProxy quotes only strings: numbers and dates stay bare. The
	// separator before the empty header captures stays (HAProxy's line
	// ends with a blank too).
	want := `10.0.1.2 - - [06/Feb/2009:12:14:14 +0000] "GET /index.html HTTP/1.1" 200 2750 "" "" 33317 655 "http-in" "static" "srv1" 10 0 30 69 109 ---- 1 1 1 1 0 0 0 "" "" `
	if got != want {
		t.Errorf("clf:\n got %s\nwant %s", got, want)
	}
}

func TestRequestParts(t *testing.T) {
	cases := []struct {
		req                     string
		hm, hu, hp, hpo, hq, hv string
	}{
		{"GET /a/b?x=1 HTTP/1.1", "GET", "/a/b?x=1", "/a/b", "/a/b", "?x=1", "HTTP/1.1"},
		{"GET http://h:8/p/q?r HTTP/1.1", "GET", "http://h:8/p/q?r", "http://h:8/p/q", "/p/q", "?r", "HTTP/1.1"},
		{"GET http://h HTTP/1.1", "GET", "http://h", "http://h", "", "", "HTTP/1.1"},
		{"GET /", "GET", "/", "/", "/", "", "HTTP/0.9"},
		{"GET", "<BADREQ>", "<BADREQ>", "<BADREQ>", "<BADREQ>", "", "<BADREQ>"},
		{"", "<BADREQ>", "<BADREQ>", "<BADREQ>", "<BADREQ>", "<BADREQ>", "<BADREQ>"},
	}
	f, err := Compile("%HM|%HU|%HP|%HPO|%HQ|%HV")
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cases {
		e := &Entry{HTTP: true, Request: []byte(c.req)}
		want := strings.Join([]string{c.hm, c.hu, c.hp, c.hpo, c.hq, c.hv}, "|")
		if got := line(f, e); got != want {
			t.Errorf("%q: got %s, want %s", c.req, got, want)
		}
	}
}

func TestAppendLimit(t *testing.T) {
	f, _ := Compile("abcdef %ci %{+Q}r %f")
	e := captured()
	e.Frontend = "frontendname"
	full := line(f, e)
	cases := []struct {
		limit int
		want  string
	}{
		{0, full},
		{4, "abcd"},               // literal text is cut
		{10, "abcdef 127"},        // so is a plain string
		{15, "abcdef 127.0.0."},   // ...
		{20, "abcdef 127.0.0.1 "}, // a quoted field is left out whole
		{len(full) - 3, strings.TrimSuffix(full, "ame")}, // the last plain string is cut
	}
	for _, c := range cases {
		if got := string(f.Append(nil, e, &Env{}, c.limit)); got != c.want {
			t.Errorf("limit %d: got %q, want %q", c.limit, got, c.want)
		}
	}
}

func TestConnectLine(t *testing.T) {
	e := &Entry{HTTP: true, Client: netip.MustParseAddrPort("127.0.0.1:60980"), Local: netip.MustParseAddrPort("127.0.0.1:28081"), Frontend: "plain"}
	if got, want := line(Connect, e), "Connect from 127.0.0.1:60980 to 127.0.0.1:28081 (plain/HTTP)"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
	e.HTTP = false
	if got := line(Connect, e); !strings.HasSuffix(got, "(plain/TCP)") {
		t.Errorf("tcp: %s", got)
	}
}

func TestSeparatorsAndCaptures(t *testing.T) {
	cases := map[string]string{
		"%hr %hs %{+Q}r":                 `"GET /a/b?x=1&y=%22 HTTP/1.1"`,
		"a  b":                           "a b",
		"  a":                            "a",
		"a ":                             "a ",
		"%ci %hr %hs %cp":                "127.0.0.1 34942",
		"%{-M}CC|%CC|%{+Q}CC|%{-M,+Q}CC": `|-|""|""`,
		"%{+E}f":                         "fe",
		"%{+X}ms %ms":                    "22D 557",
		"%{+X}lc %{+X}rt":                "0000 0000",
	}
	e := captured()
	for format, want := range cases {
		f, err := Compile(format)
		if err != nil {
			t.Fatal(err)
		}
		if got := line(f, e); got != want {
			t.Errorf("%q: got %q, want %q", format, got, want)
		}
	}
	// Nodes the parser cannot produce are ignored by Append.
	f := &Format{nodes: []lf.Node{{Kind: 0}}}
	if got := line(f, e); got != "" {
		t.Errorf("unknown node wrote %q", got)
	}
}

func TestDates(t *testing.T) {
	east := time.FixedZone("east", 5*3600+1800)
	cases := []struct {
		t    time.Time
		want string
	}{
		{time.Date(2009, 2, 6, 12, 14, 14, 655_000_000, time.UTC), "06/Feb/2009:12:14:14.655"},
		{time.Date(2025, 1, 1, 0, 0, 0, 7_000_000, time.UTC), "01/Jan/2025:00:00:00.007"},
		{time.Date(2025, 7, 4, 3, 5, 9, 40_500_000, time.UTC), "04/Jul/2025:03:05:09.040"},
		// The date's own location is used, as HAProxy logs local time.
		{time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC).In(east), "02/Mar/2025:01:30:00.000"},
		{time.Date(987, 5, 6, 7, 8, 9, 0, time.UTC), "06/May/0987:07:08:09.000"},
	}
	for _, c := range cases {
		if got := string(appendDate(nil, c.t)); got != c.want {
			t.Errorf("appendDate(%v) = %s, want %s", c.t, got, c.want)
		}
		if got, ref := string(appendDate(nil, c.t)), c.t.Format("02/Jan/2006:15:04:05.000"); got != ref {
			t.Errorf("appendDate(%v) = %s, time.Format gives %s", c.t, got, ref)
		}
	}
	e := &Entry{Accept: time.Date(2025, 3, 1, 20, 0, 0, 0, time.UTC).In(east)}
	if got := line(mustCompile("%Tl %T"), e); got != "02/Mar/2025:01:30:00 +0530 01/Mar/2025:20:00:00 +0000" {
		t.Errorf("%%Tl %%T = %s", got)
	}
}

func BenchmarkHTTPLog(b *testing.B) {
	e := manualHTTP()
	env := &Env{PID: 1}
	buf := make([]byte, 0, 512)
	b.ReportAllocs()
	for b.Loop() {
		buf = HTTPLog.Append(buf[:0], e, env, 1023)
	}
}
