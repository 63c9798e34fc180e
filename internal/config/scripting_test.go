package config

import (
	"strings"
	"testing"
)

func TestScriptingRefused(t *testing.T) {
	for _, tt := range []struct{ src, want string }{
		{"global\n  lua-load /x.lua\n", `"lua-load" is a HAProxy keyword that Baton does not support: Baton does not embed a scripting engine (Lua)`},
		{"global\n  lua-prepend-path /x/?.lua\n", `"lua-prepend-path" is a HAProxy keyword`},
		{"global\n  lua-load-per-thread /x.lua\n", `Lua`},
		{"global\n  tune.lua.maxmem 10\n", `"tune.lua.maxmem" is a HAProxy keyword that Baton does not support: Baton does not embed a scripting engine (Lua)`},
		{"frontend f\n  http-request lua.auth\n", `"http-request lua.auth" is a HAProxy keyword that Baton does not support: Baton does not embed`},
		{"frontend f\n  http-request use-service lua.acme if TRUE\n", `"http-request use-service" is a HAProxy keyword that Baton does not support with the Lua service lua.acme`},
		{"frontend f\n  tcp-request content use-service lua.x\n", `"tcp-request content" is a HAProxy keyword that Baton does not support with a Lua action`},
		{"frontend f\n  filter spoe engine e config /x.cfg\n", `"filter spoe" is a HAProxy keyword that Baton does not support: Baton does not embed a scripting engine and does not speak SPOP`},
		{"frontend f\n  http-request send-spoe-group e g\n", `"http-request send-spoe-group" is a HAProxy keyword that Baton does not support: Baton does not embed`},
		{"backend b\n  option spop-check\n", `"option spop-check" is a HAProxy keyword that Baton does not support: Baton does not embed`},
	} {
		_, err := Parse("t.cfg", []byte(tt.src))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%q: error %v, want %q", tt.src, err, tt.want)
		}
	}
}
