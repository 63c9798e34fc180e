package config

import (
	"reflect"
	"strings"
	"testing"
)

func TestLexLine(t *testing.T) {
	t.Setenv("BATON_TEST_HOST", "example.org")
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
	}
	for _, tt := range tests {
		got, msg := lexLine(tt.in)
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
	lines, errs := lex("f.cfg", []byte("global\r\n\n  # c\n  maxconn 10\nx \"bad\n"))
	if len(lines) != 2 || lines[0].Pos.Line != 1 || lines[1].Pos.Line != 4 || lines[0].Words[0] != "global" {
		t.Fatalf("lines = %+v", lines)
	}
	if len(errs) != 1 || errs[0].Error() != "f.cfg:5: unmatched quote starting at column 3" {
		t.Fatalf("errs = %v", errs)
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
