package persist

import (
	"strings"
	"testing"

	"baton/internal/h1"
)

// TestDateCodec: encodeDate and decodeDate are inverse on 4-second
// steps, and an HAProxy-issued date decodes (s30tob64 of 1764547200/4).
func TestDateCodec(t *testing.T) {
	for _, sec := range []int64{4, 1764547200, 1<<32 - 4} {
		enc := encodeDate(nil, sec>>2)
		got, ok := decodeDate(enc)
		if !ok || got != sec&^3&(1<<32-1) {
			t.Errorf("%d: encoded %q, decoded %d %v", sec, enc, got, ok)
		}
	}
	if _, ok := decodeDate([]byte("AB*DE")); ok {
		t.Error("decoded a date with '*'")
	}
	if _, ok := decodeDate([]byte("ABC")); ok {
		t.Error("decoded a short date")
	}
}

func TestCookieDates(t *testing.T) {
	const now = 1764547200
	date := func(sec int64) string { return string(encodeDate(nil, sec>>2)) }
	for _, tc := range []struct {
		name, line, cookie string
		found              bool
		expired, old       bool
		setCookie          string // "" means no Set-Cookie
	}{
		{name: "no dates, maxidle: accepted and dated", line: "cookie SRV insert maxidle 30m",
			cookie: "SRV=c1", found: true, setCookie: "SRV=c1|" + date(now+3) + "; path=/"},
		{name: "fresh last date: kept as is", line: "cookie SRV insert maxidle 30m",
			cookie: "SRV=c1|" + date(now+4), found: true},
		{name: "last date passed: refreshed", line: "cookie SRV insert maxidle 30m",
			cookie: "SRV=c1|" + date(now-600), found: true, setCookie: "SRV=c1|" + date(now+3) + "; path=/"},
		{name: "idle too long: ignored", line: "cookie SRV insert maxidle 30m",
			cookie: "SRV=c1|" + date(now-3600), expired: true, setCookie: "SRV=c1|" + date(now+3) + "; path=/"},
		{name: "last date far in the future: ignored", line: "cookie SRV insert maxidle 30m",
			cookie: "SRV=c1|" + date(now+2*86400), expired: true, setCookie: "SRV=c1|" + date(now+3) + "; path=/"},
		{name: "maxlife: first date kept", line: "cookie SRV insert maxlife 8h",
			cookie: "SRV=c1|" + date(now-600) + "|" + date(now-7200), found: true,
			setCookie: "SRV=c1|" + date(now+3) + "|" + date(now-7200) + "; path=/"},
		{name: "maxlife: too old", line: "cookie SRV insert maxidle 1h maxlife 8h",
			cookie: "SRV=c1|" + date(now-60) + "|" + date(now-9*3600), old: true,
			setCookie: "SRV=c1|" + date(now+3) + "|" + date(now+3) + "; path=/"},
		{name: "dates no longer wanted: removed", line: "cookie SRV insert",
			cookie: "SRV=c1|" + date(now-60) + "|" + date(now-60), found: true, setCookie: "SRV=c1; path=/"},
		{name: "no dates, none wanted", line: "cookie SRV insert", cookie: "SRV=c1", found: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			k, b := compile(t, tc.line)
			r := request(t, "Cookie: "+tc.cookie)
			val, d, found, _ := k.Request(r, nil, now)
			if found != tc.found || d.Expired != tc.expired || d.Old != tc.old {
				t.Fatalf("found %v (value %q) dates %+v; want found %v expired %v old %v", found, val, d, tc.found, tc.expired, tc.old)
			}
			had := b.Servers[0]
			if !found {
				had = nil
			}
			var resp h1.Response
			if err := h1.ParseResponse([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"), &resp, false, &h1.Limits{}); err != nil {
				t.Fatal(err)
			}
			k.Response(&resp, b.Servers[0], had, d, now, false, true, nil)
			got := ""
			for _, h := range resp.Headers {
				if strings.EqualFold(string(h.Name), "set-cookie") {
					got = string(h.Value)
				}
			}
			if got != tc.setCookie {
				t.Errorf("Set-Cookie %q, want %q", got, tc.setCookie)
			}
		})
	}
}
