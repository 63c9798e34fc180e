package e2e_test

import (
	"flag"
	"os"
	"testing"
)

// TestMain raises the default -parallel: the scenarios mostly wait on
// loopback I/O and timers, so running GOMAXPROCS (2 in CI) at a time would
// make the suite several times slower without making it more reliable.
// An explicit -parallel wins.
func TestMain(m *testing.M) {
	flag.Parse()
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == "test.parallel" })
	if !set {
		flag.Set("test.parallel", "6")
	}
	os.Exit(m.Run())
}
