package e2e_test

import (
	"encoding/base64"
	"testing"
)

// TestUserlistAuth: a userlist with SHA-512-crypt, MD5-crypt, bcrypt and
// plain passwords and groups, http_auth and http_auth_group in ACLs, and
// http-request auth asking for credentials, under Baton and HAProxy.
func TestUserlistAuth(t *testing.T) {
	// The hashes reach the proxies through the environment: the
	// scenario's placeholders use '$'.
	t.Setenv("ALICE_HASH", "$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40")
	t.Setenv("CAROL_HASH", "$1$saltsalt$tTWg0JeO/sYmHvtKmZE8c.")
	t.Setenv("ERIN_HASH", "$2y$05$UWg1pE9vfiVY2T415BR0JeaPsIoVzLP9bSkMOFF555y.cecWlGcHG") // htpasswd -nbB -C 5
	basic := func(u string) string { return "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte(u)) }
	run(t, []scenario{{
		name: "groups-and-hashes",
		cfg: base + `
userlist users
    group admin users alice
    group ro
    user alice password "${ALICE_HASH}"
    user bob insecure-password secret groups ro
    user carol password "${CAROL_HASH}" groups ro,admin
    user erin password "${ERIN_HASH}" groups ro
frontend fe
    bind ${FE}
    acl AUTH http_auth(users)
    acl ADMIN http_auth_group(users) admin
    http-request auth realm Private unless AUTH
    http-request return status 200 content-type text/plain string "admin" if ADMIN
    http-request return status 200 content-type text/plain lf-string "user %[http_auth_user] %[http_auth_type] %[http_auth_group(users)]"
`,
		requests: []req{
			{path: "/", status: 401, hdrs: []string{`WWW-Authenticate: Basic realm="Private"`}},
			{path: "/", headers: []string{basic("alice:test")}, status: 200, bodyIs: ptr("admin")},
			{path: "/", headers: []string{basic("alice:bad")}, status: 401},
			{path: "/", headers: []string{basic("bob:secret")}, status: 200, bodyIs: ptr("user bob Basic bob")},
			{path: "/", headers: []string{basic("carol:test")}, status: 200, bodyIs: ptr("admin")},
			{path: "/", headers: []string{basic("carol:x")}, status: 401},
			{path: "/", headers: []string{basic("erin:Hello world!")}, status: 200, bodyIs: ptr("user erin Basic erin")},
			{path: "/", headers: []string{basic("erin:hello world!")}, status: 401},
			{path: "/", headers: []string{basic("dave:test")}, status: 401},
			{path: "/", headers: []string{"Authorization: Basic !!!"}, status: 401},
		},
	}})
}

// TestAuthBearer: http_auth_bearer returns a Bearer token, unchecked,
// from Authorization or from the header it names, under Baton and HAProxy.
func TestAuthBearer(t *testing.T) {
	run(t, []scenario{{
		name: "bearer",
		cfg: base + `
frontend fe
    bind ${FE}
    http-request return status 200 content-type text/plain lf-string "[%[http_auth_bearer(x-token)]]" if { req.hdr(x-token) -m found }
    http-request return status 200 content-type text/plain lf-string "[%[http_auth_bearer]]"
`,
		requests: []req{
			{headers: []string{"Authorization: Bearer abc.def.ghi"}, status: 200, bodyIs: ptr("[abc.def.ghi]")},
			{headers: []string{"Authorization: bearer   spaced"}, status: 200, bodyIs: ptr("[spaced]")},
			{headers: []string{"Authorization: Bearer"}, status: 200, bodyIs: ptr("[]")},
			{headers: []string{"Authorization: Bearer\ttab"}, status: 200, bodyIs: ptr("[]")},
			{headers: []string{"Authorization: Basic YTpi"}, status: 200, bodyIs: ptr("[]")},
			{status: 200, bodyIs: ptr("[]")},
			{headers: []string{"X-Token: Bearer from-x", "Authorization: Bearer from-auth"}, status: 200, bodyIs: ptr("[from-x]")},
		},
	}})
}
