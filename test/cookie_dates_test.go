package e2e_test

import (
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// cookieDate writes a Unix time as HAProxy dates its cookies: the time
// divided by 4, in 5 characters of the base64 alphabet, most significant
// first. The test writes its own to present old and future cookies.
func cookieDate(sec int64) string {
	const abc = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	q := sec >> 2
	var b [5]byte
	for i := range b {
		b[i] = abc[(q>>uint(24-6*i))&0x3f]
	}
	return string(b[:])
}

// TestCookieMaxIdleMaxLife: insert cookies carry their dates; a cookie
// idle longer than maxidle, or older than maxlife, is ignored (the request
// is load balanced: "balance first" sends it to s1), a fresh one is kept
// and its last date refreshed, under Baton and HAProxy.
func TestCookieMaxIdleMaxLife(t *testing.T) {
	now := time.Now().Unix()
	// dated checks "SRV=c1|LAST|FIRST; path=/" with LAST about now, and
	// FIRST about first (0: about now too).
	dated := func(e *env, sc, srv string, first int64) {
		e.t.Helper()
		v, ok := strings.CutSuffix(sc, "; path=/")
		parts := strings.Split(v, "|")
		if !ok || len(parts) != 3 || parts[0] != "SRV="+srv {
			e.t.Fatalf("Set-Cookie %q, want SRV=%s|LAST|FIRST; path=/", sc, srv)
		}
		t := time.Now().Unix()
		if first == 0 {
			first = t
		}
		okDate := func(got string, want int64) bool {
			for d := int64(-8); d <= 8; d += 4 {
				if got == cookieDate(want+d) {
					return true
				}
			}
			return false
		}
		if !okDate(parts[1], t) || !okDate(parts[2], first) {
			e.t.Fatalf("Set-Cookie %q: dates not about %s and %s", sc, cookieDate(t), cookieDate(first))
		}
	}
	run(t, []scenario{{
		name: "maxidle-maxlife",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    balance first
    cookie SRV insert indirect maxidle 30m maxlife 8h
    server s1 ${S1} cookie c1
    server s2 ${S2} cookie c2
`,
		check: func(e *env) {
			r := harness.Get(e.t, e.fe(), "/")
			dated(e, r.Get("Set-Cookie"), "c1", 0)
			for _, c := range []struct {
				describe, cookie, backend string
				refreshed                 bool
				first                     int64
			}{
				{"fresh", "SRV=c2|" + cookieDate(now+60) + "|" + cookieDate(now-600), "s2", false, 0},
				{"idle 10 minutes: refreshed", "SRV=c2|" + cookieDate(now-600) + "|" + cookieDate(now-3600), "s2", true, now - 3600},
				{"idle 1 hour: ignored", "SRV=c2|" + cookieDate(now-3600) + "|" + cookieDate(now-3600), "s1", true, 0},
				{"9 hours old: ignored", "SRV=c2|" + cookieDate(now-60) + "|" + cookieDate(now-9*3600), "s1", true, 0},
				{"no dates: kept and dated", "SRV=c2", "s2", true, 0},
			} {
				r := e.do(req{path: "/", headers: []string{"Cookie: " + c.cookie}, status: 200, backend: c.backend, describe: c.describe})
				sc := r.Get("Set-Cookie")
				if !c.refreshed {
					if sc != "" {
						e.t.Fatalf("%s: Set-Cookie %q, want none", c.describe, sc)
					}
					continue
				}
				dated(e, sc, strings.Replace(c.backend, "s", "c", 1), c.first)
			}
		},
	}})
}
