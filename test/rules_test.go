package e2e_test

import (
	"strings"
	"testing"

	"baton/test/harness"
)

func TestHTTPRules(t *testing.T) {
	run(t, []scenario{
		{
			name: "http-request-deny",
			cfg: base + `
frontend fe
    bind ${FE}
    http-request deny if { path_beg /admin }
    http-request deny deny_status 429 if { path /busy }
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{path: "/admin/x", status: 403, backend: "-"},
				{path: "/busy", status: 429, backend: "-"},
				{path: "/", status: 200, backend: "s1"},
			},
			check: func(e *env) {
				if n := e.servers["S1"].Requests(); n != 1 {
					e.t.Errorf("server saw %d requests, want 1 (denied ones must not reach it)", n)
				}
			},
		},
		{
			name: "http-request-return",
			cfg: base + `
frontend fe
    bind ${FE}
    http-request return status 200 content-type text/plain string "pong" if { path /ping }
    http-request return status 404 if { path /gone }
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{path: "/ping", status: 200, backend: "-", hdrs: []string{"Content-Type: text/plain", "Content-Length: 4"}, bodyIs: ptr("pong")},
				{path: "/gone", status: 404, backend: "-"},
				{path: "/", status: 200, backend: "s1"},
			},
		},
		{
			name: "http-request-redirect",
			cfg: base + `
frontend fe
    bind ${FE}
    http-request redirect location /new code 301 if { path /old }
    http-request redirect prefix http://other.example code 302 if { path_beg /moved }
    http-request redirect scheme https code 308 if { path_beg /secure }
    http-request redirect location /elsewhere if { path /default-code }
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{path: "/old", status: 301, backend: "-", hdrs: []string{"Location: /new"}},
				{path: "/moved/a?b=1", status: 302, backend: "-", hdrs: []string{"Location: http://other.example/moved/a?b=1"}},
				{path: "/secure/x", status: 308, backend: "-", hdrs: []string{"Location: https://test.local/secure/x"}},
				{path: "/default-code", status: 302, backend: "-", hdrs: []string{"Location: /elsewhere"}},
				{path: "/", status: 200, backend: "s1"},
			},
		},
		{
			name: "http-request-headers",
			cfg: base + `
frontend fe
    bind ${FE}
    http-request set-header X-Set new
    http-request add-header X-Add one
    http-request add-header X-Add two
    http-request del-header X-Secret
    http-request set-header X-Only-Api yes if { path_beg /api }
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{
					path:    "/headers",
					headers: []string{"X-Set: old", "X-Secret: s3cr3t", "X-Keep: kept"},
					status:  200, backend: "s1",
					seen: []string{"X-Set: new", "X-Add: one", "X-Add: two", "!X-Secret", "X-Keep: kept", "!X-Only-Api"},
				},
			},
			check: func(e *env) {
				r := e.do(req{path: "/headers", headers: []string{"X-Set: a", "X-Set: b"}, status: 200})
				if got := parseHead(string(r.Body)); countHeader(got, "X-Set") != 1 {
					e.t.Errorf("set-header left %d X-Set fields, want 1:\n%s", countHeader(got, "X-Set"), r.Body)
				}
			},
		},
		{
			name: "http-response-headers",
			cfg: base + `
frontend fe
    bind ${FE}
    http-response set-header X-Backend-Seen yes
    http-response add-header X-Added a
    http-response del-header X-Request-Target
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{path: "/p", status: 200, backend: "s1", hdrs: []string{"X-Backend-Seen: yes", "X-Added: a", "!X-Request-Target", "X-Request-Path: /p"}},
			},
		},
		{
			name: "option-forwardfor",
			cfg: base + `
frontend fe
    bind ${FE}
    option forwardfor
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{path: "/headers", status: 200, backend: "s1", seen: []string{"X-Forwarded-For: 127.0.0.1"}},
			},
		},
		{
			name: "option-forwardfor-in-backend",
			cfg: base + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    option forwardfor
    server s ${S1}
`,
			requests: []req{
				{path: "/headers", status: 200, backend: "s1", seen: []string{"X-Forwarded-For: 127.0.0.1"}},
			},
		},
		{
			name: "no-forwardfor-by-default",
			cfg: base + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    server s ${S1}
`,
			requests: []req{
				{path: "/headers", status: 200, backend: "s1", seen: []string{"!X-Forwarded-For", "Host: test.local"}},
			},
		},
	})
}

func countHeader(hs []harness.Header, name string) int {
	n := 0
	for _, h := range hs {
		if strings.EqualFold(h.Name, name) {
			n++
		}
	}
	return n
}

// TestBackendHTTPRules: a backend's http-request rules run after the
// frontend's, once it is chosen; its http-response rules before the
// frontend's.
func TestBackendHTTPRules(t *testing.T) {
	run(t, []scenario{
		{
			name: "http-response-rules-in-backend",
			cfg: base + `
frontend fe
    bind ${FE}
    http-response set-header X-Fe fe
    default_backend app

backend app
    http-response set-header X-From-Backend b
    http-response del-header X-Request-Target
    server s ${S1}
`,
			requests: []req{
				{path: "/p", status: 200, backend: "s1", hdrs: []string{"X-Fe: fe", "X-From-Backend: b", "!X-Request-Target"}},
			},
		},
		{
			name: "http-request-rules-in-backend",
			cfg: base + `
frontend fe
    bind ${FE}
    default_backend app

backend app
    http-request deny if { path_beg /admin }
    http-request set-header X-Be-Set yes
    http-request redirect location /new code 301 if { path /old }
    server s ${S1}
`,
			requests: []req{
				{path: "/admin", status: 403, backend: "-"},
				{path: "/old", status: 301, backend: "-", hdrs: []string{"Location: /new"}},
				{path: "/headers", status: 200, backend: "s1", seen: []string{"X-Be-Set: yes"}},
			},
		},
	})
}
