package e2e_test

import "testing"

func TestRouting(t *testing.T) {
	run(t, []scenario{
		{
			name: "acl-path",
			cfg: base + `
frontend fe
    bind ${FE}
    acl exact path /exact
    acl api path_beg /api/ /v2/
    acl img path_end -i .png .jpg
    acl num path_reg ^/n/[0-9]+$
    use_backend b_exact if exact
    use_backend b_api if api
    use_backend b_img if img
    use_backend b_num if num
    default_backend b_default

backend b_exact
    server s ${S1}
backend b_api
    server s ${S2}
backend b_img
    server s ${S3}
backend b_num
    server s ${S4}
backend b_default
    server s ${S5}
`,
			requests: []req{
				{path: "/exact", status: 200, backend: "s1"},
				{path: "/exact?q=1", status: 200, backend: "s1", describe: "path ignores the query"},
				{path: "/exact/more", status: 200, backend: "s5"},
				{path: "/EXACT", status: 200, backend: "s5", describe: "path is case-sensitive"},
				{path: "/api/users", status: 200, backend: "s2"},
				{path: "/v2/x", status: 200, backend: "s2"},
				{path: "/apix", status: 200, backend: "s5"},
				{path: "/pic.png", status: 200, backend: "s3"},
				{path: "/pic.JPG", status: 200, backend: "s3", describe: "-i makes path_end case-insensitive"},
				{path: "/n/123", status: 200, backend: "s4"},
				{path: "/n/12a", status: 200, backend: "s5"},
				{path: "/", status: 200, backend: "s5"},
			},
		},
		{
			name: "acl-headers",
			cfg: base + `
frontend fe
    bind ${FE}
    acl host_a hdr(host) -i a.example
    acl host_www hdr_beg(host) www.
    acl host_org hdr_end(host) .org
    acl beta hdr(x-beta) yes
    use_backend b_a if host_a
    use_backend b_www if host_www
    use_backend b_org if host_org
    use_backend b_beta if beta
    default_backend b_default

backend b_a
    server s ${S1}
backend b_www
    server s ${S2}
backend b_org
    server s ${S3}
backend b_beta
    server s ${S4}
backend b_default
    server s ${S5}
`,
			requests: []req{
				{headers: []string{"Host: a.example"}, status: 200, backend: "s1"},
				{headers: []string{"Host: A.Example"}, status: 200, backend: "s1", describe: "hdr -i"},
				{headers: []string{"Host: www.b.example"}, status: 200, backend: "s2"},
				{headers: []string{"Host: site.org"}, status: 200, backend: "s3"},
				{headers: []string{"Host: site.ORG"}, status: 200, backend: "s5", describe: "hdr_end is case-sensitive without -i"},
				{headers: []string{"X-Beta: yes"}, status: 200, backend: "s4"},
				{headers: []string{"X-Beta: no"}, status: 200, backend: "s5"},
				{status: 200, backend: "s5"},
			},
		},
		{
			name: "acl-logic",
			cfg: base + `
frontend fe
    bind ${FE}
    acl is_post method POST
    acl is_put method PUT
    acl local src 127.0.0.1
    acl other src 10.0.0.0/8
    acl beta hdr(x-beta) yes
    use_backend b_far if other || { path /never-local } !local
    use_backend b_write if is_post || is_put
    use_backend b_anon if { path_beg /anon } { method GET }
    use_backend b_notbeta if { path_beg /beta } !beta
    use_backend b_unless unless local
    use_backend b_local if local { path /local }
    default_backend b_default

backend b_far
    server s ${S1}
backend b_write
    server s ${S2}
backend b_anon
    server s ${S3}
backend b_notbeta
    server s ${S4}
backend b_unless
    server s ${S5}
backend b_local
    server s ${S6}
backend b_default
    server s ${S7}
`,
			requests: []req{
				{method: "POST", path: "/", body: "x", status: 200, backend: "s2"},
				{method: "PUT", path: "/", body: "x", status: 200, backend: "s2", describe: "|| between conditions"},
				{path: "/anon/x", status: 200, backend: "s3", describe: "anonymous ACLs AND together"},
				{method: "HEAD", path: "/anon/x", status: 200, backend: "s7"},
				{path: "/beta", status: 200, backend: "s4", describe: "! negates"},
				{path: "/beta", headers: []string{"X-Beta: yes"}, status: 200, backend: "s7"},
				{path: "/never-local", status: 200, backend: "s7", describe: "AND binds tighter than ||"},
				{path: "/local", status: 200, backend: "s6", describe: "src matches 127.0.0.1; unless skips"},
				{path: "/", status: 200, backend: "s7"},
			},
		},
		{
			name: "acl-repeated-name-ors",
			cfg: base + `
frontend fe
    bind ${FE}
    acl static path_beg /static
    acl static path_end .css
    use_backend b_static if static
    default_backend b_default

backend b_static
    server s ${S1}
backend b_default
    server s ${S2}
`,
			requests: []req{
				{path: "/static/x", status: 200, backend: "s1"},
				{path: "/a.css", status: 200, backend: "s1"},
				{path: "/a.js", status: 200, backend: "s2"},
			},
		},
		{
			name: "first-matching-use_backend-wins",
			cfg: base + `
frontend fe
    bind ${FE}
    use_backend b_one if { path_beg /a }
    use_backend b_two if { path_beg /a/b }
    default_backend b_two

backend b_one
    server s ${S1}
backend b_two
    server s ${S2}
`,
			requests: []req{
				{path: "/a/b", status: 200, backend: "s1"},
				{path: "/c", status: 200, backend: "s2"},
			},
		},
		{
			name: "no-default_backend-503",
			cfg: base + `
frontend fe
    bind ${FE}
    use_backend b_one if { path_beg /a }

backend b_one
    server s ${S1}
`,
			requests: []req{
				{path: "/a", status: 200, backend: "s1"},
				{path: "/z", status: 503, backend: "-"},
			},
		},
		{
			name: "listen",
			cfg: base + `
listen web
    bind ${FE}
    acl api path_beg /api
    use_backend api if api
    server w1 ${S1}

backend api
    server a1 ${S2}
`,
			requests: []req{
				{path: "/", status: 200, backend: "s1"},
				{path: "/api/x", status: 200, backend: "s2"},
			},
		},
		{
			name: "frontend-two-binds",
			cfg: base + `
frontend fe
    bind ${FE}
    bind ${FE2}
    default_backend app

backend app
    server s ${S1}
`,
			check: func(e *env) {
				for _, a := range []string{e.addrs["FE"], e.addrs["FE2"]} {
					e.addrs["FE"] = a
					e.do(req{status: 200, backend: "s1"})
				}
			},
		},
	})
}
