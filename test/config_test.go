package e2e_test

import (
	"fmt"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"baton/test/harness"
)

// validCfg is small and valid for both baton and haproxy.
const validCfg = `global
    maxconn 100

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 20s

frontend fe
    bind 127.0.0.1:18080
    timeout http-request 3s
    default_backend app

backend app
    server s1 127.0.0.1:19000
`

// wantErr is one error the check must report: at line, naming every
// string in has.
type wantErr struct {
	line int
	has  []string
}

func TestConfigErrors(t *testing.T) {
	head := "defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n\n" // 6 lines
	cases := []struct {
		name string
		cfg  string
		want []wantErr
		// haproxyAccepts: HAProxy takes the config, Baton rejects it on
		// purpose (a keyword outside the supported subset).
		haproxyAccepts bool
		// haproxyLine is the line HAProxy's own message names; 0 where
		// it names none (unknown backends are reported by proxy name).
		haproxyLine int
	}{
		{
			name:        "unknown-keyword-suggests",
			cfg:         head + "backend app\n    balanse roundrobin\n    server s1 127.0.0.1:9000\n",
			want:        []wantErr{{8, []string{`balanse`, `balance`}}},
			haproxyLine: 8,
		},
		{
			name: "default_backend-missing-target",
			cfg:  head + "frontend fe\n    bind 127.0.0.1:18080\n    default_backend nope\n",
			want: []wantErr{{9, []string{"default_backend", "nope"}}},
		},
		{
			name: "use_backend-missing-target",
			cfg:  head + "frontend fe\n    bind 127.0.0.1:18080\n    use_backend ghost if { path /x }\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n",
			want: []wantErr{{9, []string{"ghost"}}},
		},
		{
			name:        "bad-weight",
			cfg:         head + "backend app\n    server s1 127.0.0.1:9000 weight 300\n",
			want:        []wantErr{{8, []string{"weight", "300"}}},
			haproxyLine: 8,
		},
		{
			name:        "bad-time",
			cfg:         head + "backend app\n    timeout server 10x\n    server s1 127.0.0.1:9000\n",
			want:        []wantErr{{8, []string{"timeout server", "10x"}}},
			haproxyLine: 8,
		},
		{
			name:        "server-in-frontend",
			cfg:         head + "frontend fe\n    bind 127.0.0.1:18080\n    server s1 127.0.0.1:9000\n",
			want:        []wantErr{{9, []string{"server", "frontend"}}},
			haproxyLine: 9,
		},
		{
			name: "undefined-acl",
			cfg:  head + "frontend fe\n    bind 127.0.0.1:18080\n    use_backend app if is_api\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n",
			want: []wantErr{{9, []string{"is_api"}}},
		},
		{
			name: "unsupported-haproxy-keyword",
			cfg: head + "backend app\n    max-keep-alive-queue 10\n    server s1 127.0.0.1:9000\n" +
				"frontend fe\n    bind 127.0.0.1:18080\n    default_backend app\n",
			want:           []wantErr{{8, []string{"max-keep-alive-queue", "not support"}}},
			haproxyAccepts: true,
		},
		{
			name: "several-errors-in-one-run",
			cfg: head + "frontend fe\n    bind 127.0.0.1:18080\n    default_backend nope\n" +
				"backend app\n    balanse roundrobin\n    server s1 127.0.0.1:9000 weight 999\n    timeout server 5q\n",
			want: []wantErr{
				{9, []string{"nope"}},
				{11, []string{"balanse"}},
				{12, []string{"weight"}},
				{13, []string{"5q"}},
			},
			haproxyLine: 11,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			t.Run("baton", func(t *testing.T) {
				out, code := harness.Check(t, tc.cfg)
				if code == 0 {
					t.Fatalf("baton -c accepted a broken config:\n%s", out)
				}
				for _, w := range tc.want {
					// Errors are "FILE:LINE: message", one per line.
					re := regexp.MustCompile(fmt.Sprintf(`(?m)^\S*check\.cfg:%d: .*$`, w.line))
					lines := re.FindAllString(out, -1)
					found := false
					for _, l := range lines {
						ok := true
						for _, s := range w.has {
							ok = ok && strings.Contains(l, s)
						}
						found = found || ok
					}
					if !found {
						t.Errorf("no error at check.cfg:%d naming %q in:\n%s", w.line, w.has, out)
					}
				}
			})
			t.Run("haproxy", func(t *testing.T) {
				out, code := harness.CheckHAProxy(t, tc.cfg)
				if tc.haproxyAccepts {
					if code != 0 {
						t.Errorf("haproxy -c rejected a config expected valid for HAProxy:\n%s", out)
					}
					return
				}
				if code == 0 {
					t.Errorf("haproxy -c accepted it; the scenario assumes both reject it:\n%s", out)
				}
				if tc.haproxyLine != 0 && !strings.Contains(out, fmt.Sprintf("check.cfg:%d]", tc.haproxyLine)) {
					t.Errorf("haproxy does not point at line %d:\n%s", tc.haproxyLine, out)
				}
			})
		})
	}
}

func TestConfigCheckValid(t *testing.T) {
	t.Parallel()
	out, code := harness.Check(t, validCfg)
	if code != 0 || !strings.Contains(strings.ToLower(out), "valid") {
		t.Errorf("baton -c on a valid config: exit %d\n%s", code, out)
	}
	if harness.HAProxyPath() != "" {
		if out, code := harness.CheckHAProxy(t, validCfg); code != 0 {
			t.Errorf("haproxy -c rejected the valid config: %s", out)
		}
	}
}

func TestConfigExplain(t *testing.T) {
	t.Parallel()
	out, code := harness.Check(t, validCfg, "--explain")
	if code != 0 {
		t.Fatalf("baton -c --explain: exit %d\n%s", code, out)
	}
	// Each effective timeout with its value and where it came from:
	// a direct setting, the defaults section, or a fallback.
	for _, want := range []*regexp.Regexp{
		regexp.MustCompile(`(?m)timeout client\s+10s.*check\.cfg:7`),
		regexp.MustCompile(`(?m)timeout http-request\s+3s.*check\.cfg:12`),
		regexp.MustCompile(`(?m)timeout http-keep-alive\s+3s.*timeout http-request.*check\.cfg:12`),
		regexp.MustCompile(`(?m)timeout server\s+20s.*defaults.*check\.cfg:8`),
		regexp.MustCompile(`(?m)timeout connect\s+2s.*check\.cfg:6`),
		regexp.MustCompile(`(?m)timeout queue\s+2s.*timeout connect`),
	} {
		if !want.MatchString(out) {
			t.Errorf("explain output lacks %s:\n%s", want, out)
		}
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	out, err := exec.Command(harness.Binary(t), "-v").CombinedOutput()
	if err != nil {
		t.Fatalf("baton -v: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`(?i)baton version \S+`).Match(out) {
		t.Errorf("baton -v printed %q, want \"baton version X\"", out)
	}
}

// TestConfigNoListener: a configuration with no error that would accept
// nothing (no bind line, no stats socket) is HAProxy's exit 2 with its
// words; a stats socket alone counts as a listener, as in HAProxy (Debian's
// stock file has only that).
func TestConfigNoListener(t *testing.T) {
	head := "global\n    log stdout local0\ndefaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s\n"
	cases := []struct {
		name string
		cfg  string
		code int
	}{
		{"global-and-defaults-only", head, 2},
		{"backend-only", head + "backend app\n    server s1 127.0.0.1:9000\n", 2},
		{"frontend-without-bind", head + "frontend fe\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n", 2},
		{"stats-socket-only", "global\n    stats socket " + "@SOCK@" + " level admin\n" + head[len("global\n"):], 0},
		{"one-bind", head + "frontend fe\n    bind 127.0.0.1:18080\n    default_backend app\nbackend app\n    server s1 127.0.0.1:9000\n", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			cfg := strings.ReplaceAll(tc.cfg, "@SOCK@", t.TempDir()+"/stats.sock")
			for _, proxy := range []string{"baton", "haproxy"} {
				t.Run(proxy, func(t *testing.T) {
					var out string
					var code int
					if proxy == "baton" {
						out, code = harness.Check(t, cfg)
					} else {
						out, code = harness.CheckHAProxy(t, cfg)
					}
					if code != tc.code {
						t.Fatalf("%s -c: exit %d, want %d\n%s", proxy, code, tc.code, out)
					}
					want := "Configuration file is valid"
					if tc.code == 2 {
						want = "Configuration file has no error but will not start (no listener) => exit(2)."
					}
					if !strings.Contains(out, want) {
						t.Errorf("%s -c output lacks %q:\n%s", proxy, want, out)
					}
				})
			}
		})
	}
}
