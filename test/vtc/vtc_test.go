package vtc_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"baton/test/harness"
)

// TestVTC runs every scenario of this directory under varnishtest, once
// with baton and once with haproxy as HAPROXY_PROGRAM.
func TestVTC(t *testing.T) {
	vt, err := exec.LookPath("varnishtest")
	if err != nil {
		t.Skip("varnishtest not on PATH (Debian's varnish package; .ci/run installs it)")
	}
	files, err := filepath.Glob("*.vtc")
	if err != nil || len(files) == 0 {
		t.Fatalf("no scenarios: %v", err)
	}
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			bin := harness.HAProxyPath()
			if impl == "baton" {
				bin = harness.Binary(t)
			} else if bin == "" {
				t.Skip("haproxy not on PATH")
			}
			for _, f := range files {
				t.Run(strings.TrimSuffix(f, ".vtc"), func(t *testing.T) {
					t.Parallel()
					cmd := exec.Command(vt, "-q", "-t", "60", f)
					cmd.Env = append(os.Environ(), "HAPROXY_PROGRAM="+bin)
					if out, err := cmd.CombinedOutput(); err != nil {
						t.Fatalf("HAPROXY_PROGRAM=%s varnishtest %s: %v\n%s", bin, f, err, out)
					}
				})
			}
		})
	}
}
