// Package checks_test runs health checks, server options and the PROXY
// protocol end to end, against the built binary and HAProxy 2.6 on the
// same configuration, with real servers from Debian (redis-server and a
// sentinel, mariadb, postgresql, slapd, opensmtpd) started once for the
// whole package in temporary directories.
package checks_test

import (
	"os"
	"testing"

	"baton/test/harness"
)

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, 4, stopServers))
}
