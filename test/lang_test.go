package e2e_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"baton/test/harness"
)

// langBase is a valid configuration HAProxy would start: its global lines,
// the frontend's bind address and more frontend lines are filled in.
const langBase = `global
%s
defaults
    mode http
    timeout connect 5s
    timeout client 5s
    timeout server 5s
frontend fe
    bind %s
%s
    http-request return status 200 content-type text/plain string ok
`

// TestCheckAgreesWithHAProxy: baton -c and haproxy -c accept and refuse
// the same files for the language and process keywords.
func TestCheckAgreesWithHAProxy(t *testing.T) {
	t.Setenv("BATON_LANG_A", "aval")
	cases := []struct {
		name, global, front string
		valid               bool
	}{
		{"default value", `    .if streq("${BATON_LANG_UNSET-x}",x)` + "\n    .endif", "", true},
		{"dollar digit", `    .notice "$1"`, "", false},
		{"unknown pseudo-variable", `    .notice "${.FOO}"`, "", false},
		{"word expansion", `    .if streq("${BATON_LANG_A[*]}",aval)` + "\n    .endif", "", true},
		{"false branch hides garbage", "    .if 0\n    no-such-keyword at all\n    .endif", "", true},
		{"false branch still lexed", "    .if 0\n    .notice \"unterminated\n    .endif", "", false},
		{"lone endif", "    .endif", "", false},
		{"unterminated if", "    .if 1", "", false},
		{"else after else", "    .if 1\n    .else\n    .else\n    .endif", "", false},
		{"bad condition", "    .if garbage", "", false},
		{"elif skipped after true", "    .if 1\n    .elif garbage\n    .endif", "", true},
		{"alert", `    .alert "stop"`, "", false},
		{"warning", `    .warning "careful"`, "", true},
		{"zero-warning with a warning", "    zero-warning\n    .warning \"careful\"", "", false},
		{"no zero-warning", "    no zero-warning", "", false},
		{"message with two words", `    .notice "a" b`, "", false},
		{"conditions in a proxy", "", "    .if defined(BATON_LANG_A) && version_atleast(2.4)\n    .notice \"in fe\"\n    .endif", true},
		{"user and group", "    user nobody\n    group nogroup\n    chroot /nonexistent", "", true},
		{"uid and gid", "    uid 65534\n    gid 65534", "", true},
		{"unknown user", "    user baton-no-such-user", "", false},
		{"unknown group", "    group baton-no-such-group", "", false},
		{"chroot without a directory", "    chroot", "", false},
		{"strict-limits", "    strict-limits\n    no strict-limits", "", true},
		{"strict-limits argument", "    strict-limits x", "", false},
		{"master-worker", "    master-worker\n    master-worker no-exit-on-failure", "", true},
		{"master-worker argument", "    master-worker foo", "", false},
		{"nbthread", "    nbthread 2", "", true},
		{"nbthread 0", "    nbthread 0", "", false},
		{"cpu-map", "    cpu-map 1/all 0-1\n    cpu-map auto:1/1-2 0 1", "", true},
		{"cpu-map garbage", "    cpu-map x 0", "", false},
		{"insecure-fork-wanted", "    insecure-fork-wanted", "", true},
		{"insecure-fork-wanted argument", "    insecure-fork-wanted x", "", false},
		{"unix-bind", "    unix-bind prefix /tmp mode 600 user nobody group nogroup", "", true},
		{"unix-bind garbage", "    unix-bind foo bar", "", false},
		{"default-path", "    default-path config\n    default-path origin /tmp\n    default-path parent\n    default-path current", "", true},
		{"default-path without origin", "    default-path origin", "", false},
		{"default-path garbage", "    default-path foo", "", false},
		{"stats timeout", "    stats timeout 1h", "", true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			cfg := fmt.Sprintf(langBase, c.global, "127.0.0.1:1", c.front)
			bout, bcode := harness.Check(t, cfg)
			hout, hcode := harness.CheckHAProxy(t, cfg)
			if (bcode == 0) != c.valid || (hcode == 0) != c.valid {
				t.Errorf("want valid=%v; baton -c exit %d:\n%s\nhaproxy -c exit %d:\n%s", c.valid, bcode, bout, hcode, hout)
			}
		})
	}
}

// TestShellDefaultExtension: ${NAME:-DEFAULT}, the shell's form, is a
// Baton extension (HAProxy 2.6 refuses it): the default replaces an unset
// and an empty value.
func TestShellDefaultExtension(t *testing.T) {
	t.Setenv("BATON_LANG_EMPTY", "")
	cfg := fmt.Sprintf(langBase, `    .if !streq("${BATON_LANG_UNSET:-x}",x) || !streq("${BATON_LANG_EMPTY:-y}",y) || !streq("${BATON_LANG_EMPTY-z}","")
    .alert "wrong expansion"
    .endif`, "127.0.0.1:1", "")
	if out, code := harness.Check(t, cfg); code != 0 {
		t.Errorf("baton -c: exit %d\n%s", code, out)
	}
	if out, code := harness.CheckHAProxy(t, cfg); code == 0 {
		t.Errorf("haproxy -c accepted ${NAME:-DEFAULT}; the extension's note is wrong:\n%s", out)
	}
}

// TestEnvAndConditionsServe: the environment chooses the bind address and,
// through .if, the answer; both proxies serve the same thing and print the
// same .notice.
func TestEnvAndConditionsServe(t *testing.T) {
	cfg := fmt.Sprintf(langBase, `.if defined(BATON_LANG_BIND)
    .notice "binding ${BATON_LANG_BIND}"
.endif`, `"${BATON_LANG_BIND}"`, `.if streq("${BATON_LANG_FLAVOUR-plain}",fancy) && !defined(BATON_LANG_UNSET)
    http-request return status 200 content-type text/plain string "fancy line ${.LINE} of ${.SECTION}"
.elif streq("${BATON_LANG_FLAVOUR-plain}",plain)
    http-request return status 200 content-type text/plain string "plain"
.else
    .alert "unknown flavour"
.endif`)
	for _, impl := range []string{"baton", "haproxy"} {
		t.Run(impl, func(t *testing.T) {
			front := harness.FreeAddr(t)
			t.Setenv("BATON_LANG_BIND", front)
			t.Setenv("BATON_LANG_FLAVOUR", "fancy")
			var stderr *harness.Output
			if impl == "baton" {
				stderr = harness.Start(t, cfg, []string{front}).Stderr
			} else {
				stderr = harness.StartHAProxy(t, cfg, []string{front}).Stderr
			}
			c := harness.Dial(t, front)
			c.Send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
			if r := c.Read("GET"); r.Status != 200 || string(r.Body) != "fancy line 13 of fe" {
				t.Errorf("answer %d %q, want 200 \"fancy line 13 of fe\"", r.Status, r.Body)
			}
			if !stderr.Contains("binding " + front) {
				t.Errorf("no notice in the output:\n%s", stderr)
			}
		})
	}
}

// TestCCAgreesWithHAProxy: baton -cc and haproxy -cc exit alike (0 true,
// 1 false, 2 error) for the same expressions and environment, the
// expression being lexed like a configuration line.
func TestCCAgreesWithHAProxy(t *testing.T) {
	hap := harness.HAProxyPath()
	if hap == "" {
		t.Skip("haproxy not on PATH")
	}
	env := append(os.Environ(), "BATON_CC_A=aval", "BATON_CC_EMPTY=")
	code := func(t *testing.T, bin, expr string) int {
		t.Helper()
		cmd := exec.Command(bin, "-cc", expr)
		cmd.Env = env
		err := cmd.Run()
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	for _, expr := range []string{
		`defined(BATON_CC_A)`, `defined(BATON_CC_EMPTY)`, `defined(BATON_CC_NONE)`,
		`streq("${BATON_CC_A}",aval)`, `strneq("${BATON_CC_A}",aval)`, `"${BATON_CC_EMPTY}"`,
		`version_atleast(2.4) && version_before(3.0)`, `version_atleast(2.7)`,
		`1 || (0 && 1)`, `!1`, `streq('a b','a b')`, `garbage`, `(1`, `1 # x`, "",
		`feature(EPOLL) && feature(THREAD)`, `feature(NO_SUCH_FEATURE)`, `feature(OPENSSL)`,
	} {
		t.Run(expr, func(t *testing.T) {
			t.Parallel()
			if b, h := code(t, harness.Binary(t), expr), code(t, hap, expr); b != h {
				t.Errorf("-cc %q: baton exits %d, haproxy %d", expr, b, h)
			}
		})
	}
	// What differs on purpose: Baton has no Lua.
	for _, f := range []string{"LUA"} {
		if b := code(t, harness.Binary(t), "feature("+f+")"); b != 1 {
			t.Errorf("baton -cc feature(%s) exits %d, want 1", f, b)
		}
	}
	out, err := exec.Command(harness.Binary(t), "-vv").Output()
	if err != nil || !strings.Contains(string(out), "Feature list : +") || !strings.Contains(string(out), "2.6.12") {
		t.Errorf("baton -vv: %v\n%s", err, out)
	}
}
