package cfgcond

import (
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

var testEnv = map[string]string{"A": "aval", "EMPTY": ""}

func testCtx() *Context {
	return &Context{
		LookupEnv: func(n string) (string, bool) { v, ok := testEnv[n]; return v, ok },
		Features:  []string{"EPOLL", "THREAD"},
	}
}

// condCases are conditions with their value, or "error". The values are
// HAProxy 2.6.12's answers (TestAgainstHAProxy asks haproxy -cc the same).
var condCases = []struct {
	cond string
	want string // "true", "false" or "error"
}{
	{"", "false"},
	{"   ", "false"},
	{"1", "true"},
	{"0", "false"},
	{"2", "true"},
	{"-1", "true"},
	{"+1", "true"},
	{"01", "true"},
	{"00", "false"},
	{"0x1", "true"},
	{"0x0", "false"},
	{"99999999999999999999", "true"},
	{"1a", "error"},
	{"08", "error"},
	{"a", "error"},
	{"aval", "error"},
	{"yes", "error"},
	{"true", "error"},
	{"-", "error"},
	{"defined(A)", "true"},
	{"defined(EMPTY)", "true"},
	{"defined(UNSET)", "false"},
	{"defined( A)", "false"},
	{"defined", "false"},
	{"defined()", "false"},
	{"defined (A)", "error"},
	{"defined(A,B)", "error"},
	{"!defined(A)", "false"},
	{"defined(A) && 1", "true"},
	{"defined(A)&&0", "false"},
	{"defined(A)||defined(B)", "true"},
	{"1 || 0 && 0", "true"},
	{"0 || 1 && 0", "false"},
	{"0||0||1", "true"},
	{"1 && 1 && 0", "false"},
	{"1&&1", "true"},
	{"!0", "true"},
	{"! 0", "true"},
	{"!!1", "true"},
	{"!(0)", "true"},
	{"(0)", "false"},
	{"( 1 )", "true"},
	{" 1||0", "true"},
	{"(1 || 0) && 0", "false"},
	{"1 1", "error"},
	{"1 &&", "error"},
	{"1 ||", "error"},
	{"&& 1", "error"},
	{"1 & 1", "error"},
	{"(1", "error"},
	{"1)", "error"},
	{"()", "error"},
	{"!", "error"},
	{"0 && garbage", "error"},
	{"1 || garbage", "error"},
	{"0 && unknown(1)", "error"},
	{"1 || streq(a)", "error"},
	{"0 && (1", "error"},
	{"1 # comment", "error"},
	{"streq(a,a)", "true"},
	{"streq(a, a)", "false"},
	{"streq(a,b)", "false"},
	{"strneq(a,b)", "true"},
	{"streq(a b,a b)", "true"},
	{"streq(,)", "true"},
	{"strneq(,)", "false"},
	{"streq( , )", "true"},
	{"streq", "error"},
	{"strneq", "error"},
	{"streq(a)", "error"},
	{"streq(a,b,c)", "error"},
	{`streq("a"b,ab)`, "true"},
	{`streq('a',a)`, "true"},
	{`streq("a,b","a,b")`, "true"},
	{`streq("a)","a)")`, "true"},
	{`streq('a,b','a,b')`, "true"},
	{`streq(a\\,a)`, "false"},
	{`streq(a\\,a\)`, "true"},
	{`streq(a\),a))`, "error"},
	{`streq("a,a)`, "error"},
	{"feature(EPOLL)", "true"},
	{"feature(THREAD) && feature(EPOLL)", "true"},
	{"feature(QUIC)", "false"},
	{"feature(epoll)", "false"},
	{"feature(EPOLL )", "false"},
	{"feature", "true"},
	{"feature(A,B)", "error"},
	{"version_atleast(2.6)", "true"},
	{"version_atleast(2.6.12)", "true"},
	{"version_atleast(2.6.13)", "false"},
	{"version_atleast(2.6.11.9)", "true"},
	{"version_atleast(2.6.12.1)", "false"},
	{"version_atleast(2.6-dev1)", "true"},
	{"version_atleast(2.6-dev)", "true"},
	{"version_atleast(2.6-rc1)", "true"},
	{"version_atleast(2.6-pre1)", "true"},
	{"version_atleast(2.6.12-0)", "true"},
	{"version_atleast(2.6.12-1)", "false"},
	{"version_atleast(2.6.13-dev1)", "false"},
	{"version_atleast(2)", "true"},
	{"version_atleast(3)", "false"},
	{"version_atleast(abc)", "true"},
	{"version_atleast(2.x)", "true"},
	{"version_atleast()", "true"},
	{"version_atleast", "true"},
	{"version_atleast(2,6)", "error"},
	{"version_before(2.7)", "true"},
	{"version_before(2.6.12)", "false"},
	{"version_before(2.6.12-dev1)", "false"},
	{"version_before(abc)", "false"},
	{"version_before()", "false"},
	{"version_before", "false"},
	{"unknown(1)", "error"},
}

func TestEval(t *testing.T) {
	for _, c := range condCases {
		got, err := Eval(c.cond, testCtx())
		res := "false"
		switch {
		case err != nil:
			res = "error"
			var e *Error
			if !errors.As(err, &e) || e.Col < 1 || e.Col > len(c.cond)+1 {
				t.Errorf("%q: error %v is not an *Error with a column inside the text", c.cond, err)
			}
		case got:
			res = "true"
		}
		if res != c.want {
			t.Errorf("Eval(%q) = %s (err %v), want %s", c.cond, res, err, c.want)
		}
	}
}

func TestErrorColumns(t *testing.T) {
	for _, c := range []struct {
		cond string
		col  int
	}{
		{"1 1", 3},
		{"0 && garbage", 6},
		{"(1", 1},
		{"1 &&", 5},
		{"1)", 2},
	} {
		_, err := Eval(c.cond, testCtx())
		var e *Error
		if !errors.As(err, &e) || e.Col != c.col {
			t.Errorf("Eval(%q): error %v, want column %d", c.cond, err, c.col)
		}
	}
}

func TestCompareVersions(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{
		{"2.6.12", "2.6.12", 0},
		{"2.6", "2.6.0.0", 0},
		{"2.6.12", "2.6.9", 1},
		{"2.10", "2.9", 1},
		{"2.6-dev1", "2.6-pre1", -1},
		{"2.6-pre1", "2.6-rc1", -1},
		{"2.6-rc2", "2.6", -1},
		{"2.6-dev10", "2.6-dev9", 1},
		{"2.6.12-3", "2.6.12", 1},
		{"2.6.12-1+deb12u4", "2.6.12", 0},
		{"2.6-dev2-5", "2.6-dev2", 1},
		{"garbage", "0", 0},
		{"1.2.3.4.5", "0", 0},
		{"2.6-", "0", 0},
	} {
		if got := CompareVersions(c.a, c.b); got != c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
		if got := CompareVersions(c.b, c.a); got != -c.want {
			t.Errorf("CompareVersions(%q, %q) = %d, want %d", c.b, c.a, got, -c.want)
		}
	}
}

// TestAgainstHAProxy asks haproxy -cc every condition of the table that
// does not depend on the feature list (Baton's differs from HAProxy's on
// purpose) and checks that it agrees.
func TestAgainstHAProxy(t *testing.T) {
	bin, err := exec.LookPath("haproxy")
	if err != nil {
		t.Skip("haproxy not on PATH")
	}
	out, _ := exec.Command(bin, "-v").Output()
	if !strings.Contains(string(out), "version 2.6.12") {
		t.Skipf("the table holds HAProxy 2.6.12's answers; found %q", strings.SplitN(string(out), "\n", 2)[0])
	}
	for _, c := range condCases {
		if strings.Contains(c.cond, "feature") || strings.Contains(c.cond, "#") {
			continue // Baton's features differ; -cc does not strip comments
		}
		if strings.TrimSpace(c.cond) == "" {
			continue // -cc refuses an empty condition; ".if" alone is false
		}
		// The table holds conditions as the line lexer leaves them; -cc
		// lexes its argument like a line, so escape what it would eat.
		lexed := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `'`, `\'`, `$`, `\$`).Replace(c.cond)
		cmd := exec.Command(bin, "-cc", lexed)
		cmd.Env = append(os.Environ(), "A=aval", "EMPTY=")
		err := cmd.Run()
		got := "true"
		if ee, ok := err.(*exec.ExitError); ok {
			got = map[int]string{1: "false", 2: "error"}[ee.ExitCode()]
		} else if err != nil {
			t.Fatal(err)
		}
		if got != c.want {
			t.Errorf("haproxy -cc %q: %s, the table says %s", c.cond, got, c.want)
		}
	}
}
