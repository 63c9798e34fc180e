package main

import (
	"os"
	"strings"
	"testing"
	"time"

	"baton/internal/config"
	"baton/internal/tlsconf"
)

// The demo's files load as a reload would load them: the configuration
// parses, and its generated certificate serves localhost over TLS.
func TestDemoFiles(t *testing.T) {
	dir := t.TempDir()
	path, err := writeDemo(dir)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	specs := cfg.TLSSpecs()
	if len(specs.Binds) != 1 || specs.Binds[0].Addr != "127.0.0.1:8443" {
		t.Fatalf("TLS binds %+v", specs.Binds)
	}
	b, warns, err := tlsconf.Load(specs, &tlsconf.OSFiles{}, time.Now())
	if err != nil || len(warns) != 0 {
		t.Fatalf("load: %v %q", err, warns)
	}
	if b.Bind(specs.Binds[0]) == nil {
		t.Fatal("no TLS bind")
	}
	data, _ := os.ReadFile(dir + "/demo.pem")
	if !strings.Contains(string(data), "PRIVATE KEY") {
		t.Error("demo.pem has no key")
	}
}
