package e2e_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"baton/test/harness"
)

// TestCookiePersistence: the cookie line's modes under Baton and HAProxy
// 2.6: insert (with its attributes; a client whose cookie chose the
// server gets none; with indirect the server never sees it), a dynamic
// value derived from the server's address, and prefix on the request
// side.
func TestCookiePersistence(t *testing.T) {
	run(t, []scenario{{
		name: "insert-indirect",
		cfg: roundRobinApp + `
    cookie SRV insert indirect nocache httponly secure domain .example.com attr "SameSite=Lax"
    server s1 ${S1} cookie c1
    server s2 ${S2} cookie c2
`,
		requests: []req{
			{path: "/", status: 200, backend: "s1", hdrs: []string{"Set-Cookie: SRV=c1; path=/; domain=.example.com; HttpOnly; Secure; SameSite=Lax", "!Cache-Control"}},
			{path: "/headers", headers: []string{"Cookie: a=1; SRV=c2; b=2"}, status: 200, backend: "s2", hdrs: []string{"!Set-Cookie"}, seen: []string{"Cookie: a=1; b=2"}},
			{path: "/headers", headers: []string{"Cookie: SRV=c2"}, status: 200, backend: "s2", hdrs: []string{"!Set-Cookie"}, seen: []string{"!Cookie"}},
			{path: "/headers", headers: []string{"Cookie: SRV=c1; x=y"}, status: 200, backend: "s1", seen: []string{"Cookie: x=y"}, repeat: 3},
			// An unknown value: load balancing, and a cookie for the
			// server chosen.
			{path: "/headers", headers: []string{"Cookie: SRV=zz"}, status: 200, seen: []string{"!Cookie"}, describe: "unknown value"},
		},
	}, {
		name: "insert-dynamic",
		cfg: roundRobinApp + `
    dynamic-cookie-key MYKEY
    cookie DYN insert dynamic
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			for _, want := range []string{"s1", "s2"} {
				r := harness.Get(e.t, e.fe(), "/")
				sc := r.Get("Set-Cookie")
				if r.Get("X-Backend") != want || !strings.HasPrefix(sc, "DYN=") || !strings.HasSuffix(sc, "; path=/") || len(sc) != len("DYN=; path=/")+16 {
					e.t.Fatalf("first request to %s: %s", want, r.Head)
				}
				value := strings.TrimSuffix(sc, "; path=/")
				for i := 0; i < 3; i++ {
					e.do(req{path: "/", headers: []string{"Cookie: " + value}, status: 200, backend: want,
						hdrs: []string{"!Set-Cookie"}, describe: fmt.Sprintf("%s again (%d)", value, i)})
				}
			}
		},
	}, {
		name: "ignore-persist",
		cfg: roundRobinApp + `
    cookie SRV insert indirect
    ignore-persist if { path_beg /static }
    server s1 ${S1} cookie c1
    server s2 ${S2} cookie c2
`,
		check: func(e *env) {
			e.do(req{path: "/", headers: []string{"Cookie: SRV=c2"}, status: 200, backend: "s2", hdrs: []string{"!Set-Cookie"}})
			seen := map[string]bool{}
			for i := 0; i < 4; i++ {
				r := e.do(req{path: "/static/x", headers: []string{"Cookie: SRV=c2"}, status: 200})
				seen[r.Get("X-Backend")] = true
				if r.Has("Set-Cookie") {
					e.t.Errorf("ignored persistence: Set-Cookie %q, want none (as HAProxy)", r.Get("Set-Cookie"))
				}
			}
			if !seen["s1"] || !seen["s2"] {
				e.t.Errorf("ignore-persist requests reached only %v", seen)
			}
		},
	}, {
		// s2 is down (nothing listens; its checks fail): its cookie
		// sends a request to s1, unless option persist, which still
		// sends it to s2 (503: no redispatch).
		name: "option-persist",
		cfg: base + `
frontend fe
    bind ${FE}
    use_backend persist if { path_beg /p }
    default_backend plain
backend plain
    cookie SRV insert indirect
    server s1 ${S1} cookie c1
    server s2 ${DEAD} cookie c2 check inter 100ms fall 1 rise 1
backend persist
    option persist
    cookie SRV insert indirect
    server s1 ${S1} cookie c1
    server s2 ${DEAD} cookie c2 check inter 100ms fall 1 rise 1
`,
		check: func(e *env) {
			harness.Eventually(e.t, 10*time.Second, "s2 down in both backends", func() bool {
				for _, path := range []string{"/", "/p", "/", "/p"} {
					if r := harness.Get(e.t, e.fe(), path); r.Status != 200 {
						return false
					}
				}
				return true
			})
			e.do(req{path: "/", headers: []string{"Cookie: SRV=c2"}, status: 200, backend: "s1", hdrs: []string{"Set-Cookie: SRV=c1; path=/"}})
			e.do(req{path: "/p", headers: []string{"Cookie: SRV=c2"}, status: 503})
		},
	}, {
		name: "prefix",
		cfg: roundRobinApp + `
    cookie JSESSIONID prefix
    server s1 ${S1} cookie c1
    server s2 ${S2} cookie c2
`,
		requests: []req{
			{path: "/headers", headers: []string{"Cookie: JSESSIONID=c2~abc123"}, status: 200, backend: "s2", seen: []string{"Cookie: JSESSIONID=abc123"}, repeat: 3},
			{path: "/headers", headers: []string{"Cookie: JSESSIONID=c1~x; t=1"}, status: 200, backend: "s1", seen: []string{"Cookie: JSESSIONID=x; t=1"}, repeat: 3},
		},
	}})
}
