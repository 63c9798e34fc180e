package e2e_test

import (
	"os"
	"testing"

	"baton/test/harness"
)

// TestMain raises the default -parallel: the scenarios mostly wait on
// loopback I/O and timers, so running GOMAXPROCS (2 in CI) at a time would
// make the suite several times slower without making it more reliable.
// An explicit -parallel wins.
func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, 6, nil))
}
