package e2e_test

import (
	"net"
	"testing"

	"baton/test/harness"
)

// status503 answers every request with 503 and closes.
var status503 = harness.Answer("HTTP/1.1 503 Service Unavailable\r\nContent-Length: 4\r\nConnection: close\r\n\r\nbusy")

// retry-on with HAProxy 2.6's meanings, the same configuration under
// both proxies. Round robin starts on the first server, the failing one.
func TestRetryOn(t *testing.T) {
	run(t, []scenario{
		{
			name: "retry-on-503-redispatches",
			cfg: oneServer("    retries 2\n    option redispatch\n    retry-on 503\n",
				"    server o1 ${O1}\n    server s2 ${S2}\n"),
			origins:  map[string]func(net.Conn){"O1": status503},
			requests: []req{{status: 200, backend: "s2", repeat: 4}},
		},
		{
			name: "default-retry-on-relays-503",
			cfg: oneServer("    retries 2\n    option redispatch\n",
				"    server o1 ${O1}\n    server s2 ${S2}\n"),
			origins: map[string]func(net.Conn){"O1": status503},
			check: func(e *env) {
				got := map[int]int{}
				for range 4 {
					got[harness.Get(e.t, e.fe(), "/").Status]++
				}
				if got[503] != 2 || got[200] != 2 {
					e.t.Errorf("statuses %v, want two 503 relayed and two 200", got)
				}
			},
		},
		{
			name: "empty-response-retries-a-post",
			cfg: oneServer("    retries 2\n    option redispatch\n    retry-on empty-response\n",
				"    server o1 ${O1}\n    server s2 ${S2}\n"),
			origins:  map[string]func(net.Conn){"O1": harness.Answer("")},
			requests: []req{{method: "POST", path: "/echo", body: "hello", status: 200, backend: "s2", bodyIs: ptr("hello"), repeat: 2}},
		},
		{
			name: "disable-l7-retry-keeps-the-post",
			cfg: oneServer("    retries 2\n    option redispatch\n    retry-on all-retryable-errors\n    acl post method POST\n    http-request disable-l7-retry if post\n",
				"    server o1 ${O1}\n    server s2 ${S2}\n"),
			origins: map[string]func(net.Conn){"O1": harness.Answer("")},
			requests: []req{
				{method: "POST", path: "/echo", body: "hello", status: 502, backend: "-"},
				{method: "GET", status: 200, backend: "s2"},
			},
		},
		{
			name: "response-timeout",
			cfg: oneServer("    timeout server 500ms\n    retries 2\n    option redispatch\n    retry-on response-timeout\n",
				"    server o1 ${O1}\n    server s2 ${S2}\n"),
			origins:  map[string]func(net.Conn){"O1": harness.Silent},
			requests: []req{{status: 200, backend: "s2"}},
		},
		{
			name: "junk-response",
			cfg: oneServer("    retries 2\n    option redispatch\n    retry-on junk-response\n",
				"    server o1 ${O1}\n    server s2 ${S2}\n"),
			origins:  map[string]func(net.Conn){"O1": harness.Answer("garbage\r\n\r\n")},
			requests: []req{{status: 200, backend: "s2"}},
		},
		{
			name: "redispatch-every-retry",
			cfg: oneServer("    balance leastconn\n    retries 2\n    option redispatch 1\n    timeout connect 300ms\n",
				"    server d1 ${DEAD1}\n    server d2 ${DEAD2}\n    server s3 ${S3}\n"),
			// Whatever dead server leastconn starts on, the retries go
			// elsewhere until the live one answers.
			requests: []req{{status: 200, backend: "s3", repeat: 3}},
			haproxyDiffers: "HAProxy 2.6's leastconn breaks ties between idle servers in its own tree order, so with two dead " +
				"servers and no checks its redispatches can go d1, d2, d1 and end in 503 (3 full runs in about 8 here); " +
				"the scenario pins Baton's order",
		},
	})
}
