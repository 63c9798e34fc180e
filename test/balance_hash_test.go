package e2e_test

import (
	"fmt"
	"testing"
)

// TestBalanceHashForms: url_param, hdr(NAME) and uri depth send every
// request with the same key to the same server, and different keys to
// both, under Baton and HAProxy; consistent hashing too.
func TestBalanceHashForms(t *testing.T) {
	sameKeySameServer := func(e *env, key func(i int) req) {
		seen := map[string]bool{}
		for i := 0; i < 12; i++ {
			r := key(i)
			first := e.do(r).Get("X-Backend")
			seen[first] = true
			for j := 0; j < 3; j++ {
				r.backend = first
				r.describe = fmt.Sprintf("key %d again", i)
				e.do(r)
			}
		}
		if !seen["s1"] || !seen["s2"] {
			e.t.Errorf("12 keys reached only %v", seen)
		}
	}
	run(t, []scenario{{
		name: "url_param",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    balance url_param user
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			sameKeySameServer(e, func(i int) req { return req{path: fmt.Sprintf("/p?a=1&user=u%d", i), status: 200} })
		},
	}, {
		name: "url_param-check_post",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    balance url_param user check_post
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			post := func(i int) req {
				return req{method: "POST", path: "/p", body: fmt.Sprintf("a=1&user=u%d", i), status: 200}
			}
			sameKeySameServer(e, post)
			// The body's value hashes like the query's, and the query
			// wins over the body.
			for i := 0; i < 6; i++ {
				srv := e.do(post(i)).Get("X-Backend")
				e.do(req{path: fmt.Sprintf("/p?user=u%d", i), status: 200, backend: srv, describe: "GET with the POST's key"})
				e.do(req{method: "POST", path: fmt.Sprintf("/p?user=u%d", i), body: "user=other", status: 200, backend: srv, describe: "query over body"})
				// A chunked body: its first chunk is read.
				body := fmt.Sprintf("user=u%d", i)
				e.do(req{raw: fmt.Sprintf("POST /p HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n0\r\n\r\n", len(body), body),
					status: 200, backend: srv, describe: "chunked body"})
			}
		},
	}, {
		name: "hdr-consistent",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    balance hdr(x-tenant)
    hash-type consistent djb2 avalanche
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			sameKeySameServer(e, func(i int) req {
				return req{path: "/", headers: []string{fmt.Sprintf("X-Tenant: t%d", i)}, status: 200}
			})
		},
	}, {
		name: "uri-depth",
		cfg: base + `
frontend fe
    bind ${FE}
    default_backend app
backend app
    balance uri depth 2
    server s1 ${S1}
    server s2 ${S2}
`,
		check: func(e *env) {
			sameKeySameServer(e, func(i int) req { return req{path: fmt.Sprintf("/a%d/b/c%d", i, 12-i), status: 200} })
		},
	}})
}
