package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestLexLine(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		err  string
	}{
		{"", nil, ""},
		{"   # only a comment", nil, ""},
		{"bind :80", []string{"bind", ":80"}, ""},
		{"\tserver  s1\t127.0.0.1:80  ", []string{"server", "s1", "127.0.0.1:80"}, ""},
		{"mode http # trailing", []string{"mode", "http"}, ""},
		{"a#b", []string{"a"}, ""},
		{`x a\ b`, []string{"x", "a b"}, ""},
		{`x \#not-comment`, []string{"x", "#not-comment"}, ""},
		{`x "a b # c"`, []string{"x", "a b # c"}, ""},
		{`x 'a \n $HOME'`, []string{"x", `a \n $HOME`}, ""},
		{`x "a\tb"`, []string{"x", "a\tb"}, ""},
		{`x "host ${BATON_TEST_HOST}" "$BATON_TEST_HOST/x"`, []string{"x", "host example.org", "example.org/x"}, ""},
		{`x $BATON_TEST_HOST`, []string{"x", "$BATON_TEST_HOST"}, ""},
		{`x "a\$b"`, []string{"x", "a$b"}, ""},
		{`x "a"'b'c`, []string{"x", "abc"}, ""},
		{`x "" y`, []string{"x", "", "y"}, ""},
		{`acl img path_reg \.jpg$`, []string{"acl", "img", "path_reg", `\.jpg$`}, ""},
		{`x \\ \" \'`, []string{"x", `\`, `"`, `'`}, ""},
		{`x \x41\x42`, []string{"x", "AB"}, ""},
		{`x \x4`, nil, `invalid \x escape`},
		{`x \xZZ`, nil, `invalid \x escape`},
		{`x "open`, nil, "unmatched quote starting at column 3"},
		{`x 'open`, nil, "unmatched quote"},
		{`x \`, nil, "backslash at end of line"},
		{`x y ""`, []string{"x", "y"}, ""},
		{`x "" ""`, []string{"x"}, ""},
		// HAProxy 2.6's variable forms (checked with haproxy -c and .notice).
		{`x "${B-dflt}" "${A-dflt}" "${EMPTY-def}" y`, []string{"x", "dflt", "aval", "", "y"}, ""},
		{`x "${B-a b}" "${B-$A}" "${B-a}b}" "${B-\}}"`, []string{"x", "a b", "$A", "ab}", `\}`}, ""},
		// The shell's form, a Baton extension: also replaces an empty value.
		{`x "${B:-dflt}" "${EMPTY:-def}" "${A:-def}" "${B:-}" end`, []string{"x", "dflt", "def", "aval", "", "end"}, ""},
		{`x "$A" $A '$A' x"$A"y "${A}${A}" "$A_x" "$A-x"`, []string{"x", "aval", "$A", "$A", "xavaly", "avalaval", "", "aval-x"}, ""},
		{`x "${UNSET}" "${_X}" y`, []string{"x", "", "", "y"}, ""},
		{`x "${M[*]}" end`, []string{"x", "m1", "m2", "end"}, ""},
		{`x "a${M[*]}b"`, []string{"x", "am1", "m2b"}, ""},
		{`x "${L[*]}"x`, []string{"x", "", "l1", "l2", "x"}, ""},
		{`x y"${L[*]}" z`, []string{"x", "y", "l1", "l2", "", "z"}, ""},
		{`x "${M[*]-d}" "${U[*]-d e}" "${U-d[*]}"`, []string{"x", "m1", "m2", "d", "e", "d[*]"}, ""},
		{`x "x${EMPTY[*]}y" "$M[*]"`, []string{"x", "xy", "m1  m2[*]"}, ""},
		{`x "${.FILE}" "${.LINE}" "$.LINE" "${.SECTION}" "${.LINE-x}"`, []string{"x", "f.cfg", "7", "7", "backend b", "7"}, ""},
		{`x "${.FOO}"`, nil, `unknown pseudo-variable ".FOO"`},
		{`x "$"`, nil, "invalid variable name after '$' at column 4"},
		{`x "a$"`, nil, "invalid variable name"},
		{`x "$1"`, nil, "invalid variable name"},
		{`x "${}"`, nil, "invalid variable name"},
		{`x "${A }"`, nil, "unmatched brace"},
		{`x "${A"`, nil, "unmatched brace"},
		{`x "${M[x]}"`, nil, "invalid word expansion"},
		{`x "${M[*]x}"`, nil, "unmatched brace"},
		{`x "${B-abc`, nil, "unmatched brace"},
	}
	env := map[string]string{"A": "aval", "EMPTY": "", "M": "m1  m2", "L": " l1 l2 "}
	for _, tt := range tests {
		vars := &lexVars{file: "f.cfg", line: 7, section: "backend b", lookup: func(n string) (string, bool) {
			if n == "BATON_TEST_HOST" {
				return "example.org", true
			}
			v, ok := env[n]
			return v, ok
		}}
		got, msg := lexLine(tt.in, vars)
		if tt.err != "" {
			if !strings.Contains(msg, tt.err) {
				t.Errorf("lexLine(%q) error %q, want %q", tt.in, msg, tt.err)
			}
			continue
		}
		if msg != "" || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("lexLine(%q) = %q, %q; want %q", tt.in, got, msg, tt.want)
		}
	}
}

func TestLexPositions(t *testing.T) {
	_, err := Parse("f.cfg", []byte("global\r\n\n  # c\n  maxconn 10\nx \"bad\n  maxconn \"${.LINE}\"\n"))
	if err == nil || err.Error() != "f.cfg:5: unmatched quote starting at column 3" {
		t.Fatalf("err = %v", err)
	}
	c, err := Parse("f.cfg", []byte("global\r\n\n  # c\n  maxconn \"${.LINE}\"\n"))
	if err != nil || c.Global.MaxConn != 4 {
		t.Fatalf("maxconn \"${.LINE}\" on line 4: %v, %v", c, err)
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want string
		err  bool
	}{
		{"100", "100ms", false}, {"5s", "5s", false}, {"250ms", "250ms", false}, {"3m", "3m0s", false},
		{"2h", "2h0m0s", false}, {"1d", "24h0m0s", false}, {"500us", "500µs", false}, {"0", "0s", false},
		{"", "", true}, {"s", "", true}, {"5x", "", true}, {"-1s", "", true}, {"1.5s", "", true},
		{"30d", "", true}, {"99999999999999999999", "", true},
	}
	for _, tt := range tests {
		d, err := parseTime(tt.in)
		if (err != nil) != tt.err || !tt.err && d.String() != tt.want {
			t.Errorf("parseTime(%q) = %v, %v; want %s err=%v", tt.in, d, err, tt.want, tt.err)
		}
	}
}
