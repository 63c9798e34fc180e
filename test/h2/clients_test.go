package h2_test

import (
	"go/build"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

var proxies = []string{"baton", "haproxy"}

// TestCurl: curl over TLS (ALPN) and with prior knowledge gets HTTP/2
// answers from the backend, under Baton and HAProxy alike.
func TestCurl(t *testing.T) {
	curl := tool(t, "curl")
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			e.start(t, proxy, e.config("a"))
			for _, args := range [][]string{
				{"--http2", "--cacert", e.dir + "/ca.pem", "--resolve", "localhost:" + port(e.tlsAddr) + ":127.0.0.1", "https://localhost:" + port(e.tlsAddr) + "/x"},
				{"--http2-prior-knowledge", "http://" + e.clearAddr + "/x"},
				{"--http2-prior-knowledge", "-d", "posted=1", "http://" + e.clearAddr + "/echo"},
			} {
				out, err := run(t, 15*time.Second, curl, append([]string{"-sS", "-i", "--max-time", "10"}, args...)...)
				if err != nil || !strings.HasPrefix(out, "HTTP/2 200") || !strings.Contains(out, "x-backend: a") {
					t.Errorf("curl %v: %v\n%s", args, err, out)
				}
				if args[1] == "-d" && !strings.Contains(out, "posted=1") {
					t.Errorf("echo lost the body:\n%s", out)
				}
			}
		})
	}
}

func port(addr string) string { return addr[strings.LastIndexByte(addr, ':')+1:] }

var h2loadDone = regexp.MustCompile(`requests: (\d+) total, \d+ started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored`)

// TestH2Load: h2load with many streams on a few connections, over TLS
// and in clear text: every request succeeds.
func TestH2Load(t *testing.T) {
	h2load := tool(t, "h2load")
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			e.start(t, proxy, e.config("a"))
			for _, url := range []string{"https://" + e.tlsAddr + "/", "http://" + e.clearAddr + "/"} {
				out, err := run(t, 60*time.Second, h2load, "-n", "2000", "-c", "4", "-m", "20", url)
				m := h2loadDone.FindStringSubmatch(out)
				if err != nil || m == nil || m[1] != "2000" || m[3] != "2000" || m[4] != "0" || m[5] != "0" {
					t.Errorf("h2load %s: %v\n%s", url, err, lastLines(out, 12))
				}
			}
		})
	}
}

var h2specResult = regexp.MustCompile(`(\d+) tests, (\d+) passed, (\d+) skipped, (\d+) failed`)

// h2specPath finds h2spec on PATH or in GOPATH/bin (where .ci/run's go
// install puts it).
func h2specPath(t *testing.T) string {
	t.Helper()
	p := filepath.Join(build.Default.GOPATH, "bin", "h2spec")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return tool(t, "h2spec")
}

// TestH2Spec runs the h2spec conformance suite over TLS and in clear
// text. Baton must fail none; HAProxy 2.6's figures on the same setup are
// logged beside Baton's (go test -v).
func TestH2Spec(t *testing.T) {
	h2spec := h2specPath(t)
	for _, proxy := range proxies {
		t.Run(proxy, func(t *testing.T) {
			e := newEnv(t, "a")
			e.start(t, proxy, e.config("a"))
			for _, mode := range []struct {
				name string
				args []string
			}{
				{"tls", []string{"-t", "-k", "-h", "127.0.0.1", "-p", port(e.tlsAddr)}},
				{"clear", []string{"-h", "127.0.0.1", "-p", port(e.clearAddr)}},
			} {
				out, _ := run(t, 5*time.Minute, h2spec, append(mode.args, "-o", "15")...)
				m := h2specResult.FindStringSubmatch(out)
				if m == nil {
					t.Errorf("h2spec %s: no result:\n%s", mode.name, lastLines(out, 30))
					continue
				}
				t.Logf("h2spec %s %s: %s", proxy, mode.name, m[0])
				if proxy == "baton" && m[4] != "0" {
					t.Errorf("h2spec %s: %s\n%s", mode.name, m[0], failures(out))
				}
			}
		})
	}
}

// failures keeps h2spec's failure report (the part after "Failures:").
func failures(out string) string {
	if i := strings.Index(out, "Failures:"); i >= 0 {
		return out[i:]
	}
	return lastLines(out, 40)
}
