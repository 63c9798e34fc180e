package config

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func exampleFiles(t testing.TB) []string {
	files, err := filepath.Glob("../../examples/*.cfg")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	return files
}

func TestExamplesLoad(t *testing.T) {
	for _, f := range exampleFiles(t) {
		c, err := Load(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		if len(c.Proxies) == 0 {
			t.Errorf("%s: no proxies", f)
		}
		if len(c.Warnings) > 0 {
			t.Errorf("%s: unexpected warnings %q", f, c.Warnings)
		}
	}
}

func TestExamplesHAProxyCheck(t *testing.T) {
	hp, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH")
	}
	for _, f := range exampleFiles(t) {
		out, err := exec.Command(hp, "-c", "-f", f).CombinedOutput()
		if err != nil {
			t.Errorf("haproxy -c -f %s: %v\n%s", f, err, out)
		}
	}
}

func TestLoadDirectoryInLexicalOrder(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("20-be.cfg", "backend b\n  server s 127.0.0.1:1\n")
	write("10-fe.cfg", "defaults\n  mode http\n  timeout client 1s\n  timeout connect 1s\n  timeout server 1s\nfrontend f\n  bind :1\n  default_backend b\n")
	write("ignored.txt", "garbage\n")
	c, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Proxies) != 2 || c.Proxies[0].Name != "f" || c.Proxies[1].Name != "b" {
		t.Fatalf("proxies in wrong order: %v", c.Proxies)
	}
	if c.Proxies[1].Mode != ModeHTTP {
		t.Errorf("defaults of the first file do not reach the second")
	}
	write("30-bad.cfg", "backend c\n  server s 127.0.0.1:x\n")
	_, err = Load(dir)
	el, ok := err.(ErrorList)
	if !ok || len(el) != 1 || el[0].Pos.File != filepath.Join(dir, "30-bad.cfg") || el[0].Pos.Line != 2 {
		t.Fatalf("want one error at 30-bad.cfg:2, got %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing.cfg")); err == nil {
		t.Error("missing file accepted")
	}
}
