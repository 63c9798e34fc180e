package syslog

import (
	"testing"
	"time"
)

// The expected lines were captured from HAProxy 2.6.12's own datagrams
// (log lines of the same shape; see doc/configuration.md, "Logging").
func TestAppendHeaderMatchesHAProxy(t *testing.T) {
	utc := time.Date(2026, time.November, 30, 23, 51, 43, 586064_000, time.UTC)
	ny, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Skip("no time zone data:", err)
	}
	east := time.Date(2026, time.November, 30, 18, 57, 47, 209028_000, ny)
	early := time.Date(2026, time.March, 5, 7, 8, 9, 0, time.UTC)
	msg := "127.0.0.1:34036 [30/Nov/2026:23:51:43.577] fe be/s1 0/0/1/6/7 404 500 - - ---- 1/1/0/0/0 0/0 \"GET /foo?x=1 HTTP/1.1\""
	cases := []struct {
		name string
		f    Format
		fac  Facility
		lvl  Level
		now  time.Time
		h    Header
		want string
	}{
		{"default is local", Default, 16, Info, utc, Header{Tag: "haproxy", PID: "20660"},
			"<134>Nov 30 23:51:43 haproxy[20660]: "},
		{"default with hostname is rfc3164", Default, 16, Info, utc, Header{Hostname: "myhost", Tag: "fetag", PID: "21346"},
			"<134>Nov 30 23:51:43 myhost fetag[21346]: "},
		{"local ignores the hostname", Local, 17, Info, utc, Header{Hostname: "vm", Tag: "haproxy", PID: "30224"},
			"<142>Nov 30 23:51:43 haproxy[30224]: "},
		{"rfc3164 without hostname says localhost", RFC3164, 17, Info, utc, Header{Tag: "haproxy", PID: "20660"},
			"<142>Nov 30 23:51:43 localhost haproxy[20660]: "},
		{"rfc3164 pads the day with a blank", RFC3164, 0, Emerg, early, Header{Hostname: "h", Tag: "t", PID: "1"},
			"<0>Mar  5 07:08:09 h t[1]: "},
		{"rfc5424", RFC5424, 18, Info, utc, Header{Tag: "haproxy", PID: "20660"},
			"<150>1 2026-11-30T23:51:43.586064+00:00 - haproxy 20660 - - "},
		{"rfc5424 with hostname, offset and structured data", RFC5424, 18, Info, east,
			Header{Hostname: "vm", Tag: "fetag", PID: "30224", SD: []byte(`[exampleSDID@1234 fe="fe"]  `)},
			`<150>1 2026-11-30T18:57:47.209028-05:00 vm fetag 30224 - [exampleSDID@1234 fe="fe"] `},
		{"short", Short, 19, Info, utc, Header{Tag: "haproxy", PID: "1"}, "<6>"},
		{"priority", Priority, 20, Info, utc, Header{Tag: "haproxy", PID: "1"}, "<166>"},
		{"timed", Timed, 21, Warning, utc, Header{Tag: "haproxy", PID: "1"}, "<4>2026-11-30T23:51:43.586064+00:00 "},
		{"iso", ISO, 22, Info, east, Header{Tag: "haproxy", PID: "1"}, "2026-11-30T18:57:47.209028-05:00 "},
		{"raw", Raw, 23, Info, utc, Header{Tag: "haproxy", PID: "1"}, ""},
		{"no tag", Local, 16, Info, utc, Header{PID: "1"}, "<134>Nov 30 23:51:43 "},
	}
	for _, c := range cases {
		got := string(AppendHeader(nil, c.f, c.fac, c.lvl, c.now, &c.h))
		if got != c.want {
			t.Errorf("%s:\n got %q\nwant %q", c.name, got, c.want)
		}
		if full := got + msg; full[:len(c.want)] != c.want {
			t.Errorf("%s: prefix changed", c.name)
		}
	}
}

func TestAppendHeaderNoAlloc(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts are meaningless under -race")
	}
	h := &Header{Hostname: "vm", Tag: "haproxy", PID: "4242", SD: []byte("[a b=\"c\"]")}
	now := time.Now()
	buf := make([]byte, 0, 256)
	for _, f := range []Format{Local, RFC3164, RFC5424, Timed, ISO} {
		if n := testing.AllocsPerRun(200, func() { buf = AppendHeader(buf[:0], f, 16, Info, now, h) }); n != 0 {
			t.Errorf("%v: %v allocations", f, n)
		}
	}
}
