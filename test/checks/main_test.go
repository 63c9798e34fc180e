// Package checks_test runs health checks, server options and the PROXY
// protocol end to end, against the built binary and HAProxy 2.6 on the
// same configuration, with real servers from Debian (redis-server and a
// sentinel, mariadb, postgresql, slapd, opensmtpd) started once for the
// whole package in temporary directories.
package checks_test

import (
	"os"
	"strings"
	"testing"

	"baton/test/harness"
)

func TestMain(m *testing.M) {
	// Debian installs slapd, smtpd and mariadbd in /usr/sbin, which an
	// unprivileged PATH may lack: the tests would skip although CI
	// installed them.
	path := os.Getenv("PATH")
	for _, d := range []string{"/usr/local/sbin", "/usr/sbin", "/sbin"} {
		if !strings.Contains(":"+path+":", ":"+d+":") {
			path += ":" + d
		}
	}
	os.Setenv("PATH", path)
	os.Exit(harness.Main(m, 4, stopServers))
}
