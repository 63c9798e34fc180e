package e2e_test

import (
	"net"
	"testing"
	"time"

	"baton/test/harness"
)

// TestHealthChecks: active checks take a dead server, or one failing its
// HTTP check, out of the rotation; backups serve when no active is up.
func TestHealthChecks(t *testing.T) {
	run(t, []scenario{
		{
			name: "check-marks-dead-server-down",
			cfg: oneServer("", "    server s1 ${DEAD1} check inter 100ms fall 1 rise 1\n"+
				"    server s2 ${S2} check inter 100ms fall 1 rise 1\n"),
			check: func(e *env) {
				e.settles("/", "s2", 4)
				wantCounts(e.t, "dead server down", e.labels(6, "/"), map[string]int{"s2": 6})
			},
		},
		{
			name: "backup-when-actives-down",
			cfg: oneServer("", "    server s1 ${DEAD1} check inter 100ms fall 1 rise 1\n"+
				"    server s2 ${DEAD2} check inter 100ms fall 1 rise 1\n"+
				"    server b1 ${S3} backup\n"),
			check: func(e *env) {
				e.settles("/", "s3", 4)
				wantCounts(e.t, "actives down", e.labels(6, "/"), map[string]int{"s3": 6})
			},
		},
		{
			name: "option-httpchk",
			cfg: oneServer("    option httpchk GET /health\n",
				"    server bad ${O1} check inter 100ms fall 1 rise 1\n"+
					"    server s2 ${S2} check inter 100ms fall 1 rise 1\n"),
			origins: map[string]func(net.Conn){
				"O1": harness.Answer("HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\nX-Backend: bad\r\nConnection: close\r\n\r\n"),
			},
			check: func(e *env) {
				e.settles("/", "s2", 4)
				wantCounts(e.t, "server failing its HTTP check", e.labels(6, "/"), map[string]int{"s2": 6})
				harness.Eventually(e.t, 5*time.Second, "checks sent to the good server", func() bool {
					return e.servers["S2"].Requests() > 10
				})
			},
		},
	})
}
