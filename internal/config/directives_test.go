package config

import (
	"strings"
	"testing"
)

// TestConditionalBlocks runs .if/.elif/.else/.endif and the message
// directives. The expectations are HAProxy 2.6's (haproxy -c on the same
// text): which lines are read, what is an error, what is reported.
func TestConditionalBlocks(t *testing.T) {
	env := map[string]string{"A": "1", "B": "", "C": "1", "WITH_SSL": "yes"}
	opt := Options{LookupEnv: func(n string) (string, bool) { v, ok := env[n]; return v, ok }}
	tests := []struct {
		name string
		src  string
		// errs are substrings of the errors, in order ("" = none);
		// notices and warns the messages reported (without position).
		errs    []string
		notices []string
		warns   []string
		diags   []string
	}{
		{name: "true and false branches",
			src:     ".if 1\n.notice \"yes\"\n.else\n.notice \"no\"\n.endif\n.if 0\n.notice \"no\"\n.else\n.notice \"else\"\n.endif\n",
			notices: []string{"yes", "else"}},
		{name: "a false branch is not parsed",
			src:     "global\n.if 0\n  bogus keyword\n  frontend x\n  maxconn abc\n.endif\n.notice \"after\"\n",
			notices: []string{"after"}},
		{name: "a false branch is still lexed",
			src:  "global\n.if 0\n  .notice \"x\n  .notice \"$1\"\n.endif\n",
			errs: []string{"f.cfg:3: unmatched quote", "f.cfg:4: invalid variable name"}},
		{name: "nested .if in a false branch is not evaluated",
			src:     ".if 0\n.if garbage(\n.endif\n.else\n.notice \"else\"\n.endif\n",
			notices: []string{"else"}},
		{name: ".elif evaluated after a false .if",
			src:  ".if 0\n.elif garbage\n.endif\n",
			errs: []string{"f.cfg:2: .elif: unparsable condition"}},
		{name: ".elif skipped after a true .if",
			src: ".if 1\n.elif garbage\n.endif\n"},
		{name: ".elif chain",
			src:     ".if 0\n.notice \"a\"\n.elif 0\n.notice \"b\"\n.elif 1\n.notice \"c\"\n.elif 1\n.notice \"d\"\n.else\n.notice \"e\"\n.endif\n",
			notices: []string{"c"}},
		{name: "two .else",
			src:  ".if 1\n.else\n.else\n.endif\n",
			errs: []string{"f.cfg:3: .else after .else"}},
		{name: ".elif after .else",
			src:  ".if 0\n.else\n.elif 1\n.notice \"x\"\n.endif\n",
			errs: []string{"f.cfg:3: .elif after .else"}},
		{name: "unterminated",
			src:  "global\n.if 1\n",
			errs: []string{"f.cfg:2: .if block not closed"}},
		{name: "lone directives",
			src:  ".endif\n.else\n.elif 1\n",
			errs: []string{"f.cfg:1: .endif without a matching .if", "f.cfg:2: .else without", "f.cfg:3: .elif without"}},
		{name: "arguments after .endif and .else",
			src:  ".if 1\n.else junk\n.endif junk\n",
			errs: []string{`f.cfg:2: .else: unexpected argument "junk"`, `f.cfg:3: .endif: unexpected argument "junk"`}},
		{name: "comment after the condition",
			src:     ".if 1 # a comment\n.notice \"x\"\n.endif # done\n",
			notices: []string{"x"}},
		{name: "messages",
			src:   "global\n  .warning \"w\"\n  .alert \"a\"\n  .diag \"d\"\n  .notice \"n\"\n",
			errs:  []string{"f.cfg:3: a"},
			warns: []string{"w"}, diags: []string{"d"}, notices: []string{"n"}},
		{name: "message with two words",
			src:  "global\n  .warning \"w\" x\n",
			errs: []string{`f.cfg:2: .warning: unexpected argument "x"; quote the message`}},
		{name: "message outside any section and inside a proxy",
			src:     ".notice \"outside\"\nbackend b\n  .if 1\n  .notice \"in ${.SECTION}\"\n  .endif\n  timeout connect 1s\n  timeout server 1s\n",
			notices: []string{"outside", "in b"}},
		{name: "HAProxy manual's example",
			src: ".if \"${A}\"\n  .if \"${B}\"\n    .notice \"A=1, B=1\"\n  .elif \"${C}\"\n    .notice \"A=1, B=0, C=1\"\n" +
				"  .elif \"${D}\"\n    .warning \"A=1, B=0, C=0, D=1\"\n  .else\n    .alert \"A=1, B=0, C=0, D=0\"\n  .endif\n.else\n  .notice \"A=0\"\n.endif\n",
			notices: []string{"A=1, B=0, C=1"}},
		{name: "environment in conditions",
			src:     ".if streq(\"$WITH_SSL\",yes) && defined(A) && !defined(NOPE)\n.notice \"ssl\"\n.endif\n.if strneq(\"${WITH_SSL}\",yes)\n.notice \"plain\"\n.endif\n",
			notices: []string{"ssl"}},
		{name: "a false branch hides a section",
			src:     ".if version_before(2.0)\nfrontend old\n  bind :1\n.endif\n.notice \"ok\"\n",
			notices: []string{"ok"}},
		{name: "blocks do not span files",
			src:  ".if 1\n",
			errs: []string{"f.cfg:1: .if block not closed"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := ParseSourcesWith([]Source{{Name: "f.cfg", Data: []byte(tt.src)}}, opt)
			var errs []string
			if err != nil {
				for _, e := range err.(ErrorList) {
					errs = append(errs, e.Error())
				}
			}
			if len(errs) != len(tt.errs) {
				t.Fatalf("errors %q, want %q", errs, tt.errs)
			}
			for i := range errs {
				if !strings.Contains(errs[i], tt.errs[i]) {
					t.Errorf("error %q, want it to contain %q", errs[i], tt.errs[i])
				}
			}
			if err != nil {
				return
			}
			check := func(what string, got, want []string) {
				t.Helper()
				var msgs []string
				for _, g := range got {
					msgs = append(msgs, g[strings.Index(g, ": ")+2:])
				}
				if strings.Join(msgs, "|") != strings.Join(want, "|") {
					t.Errorf("%s %q, want %q", what, got, want)
				}
			}
			check("notices", c.Notices, tt.notices)
			check("diagnostics", c.Diagnostics, tt.diags)
			var warns []string
			for _, w := range c.Warnings {
				if !strings.Contains(w, "has no") && !strings.Contains(w, "missing timeout") {
					warns = append(warns, w)
				}
			}
			check("warnings", warns, tt.warns)
		})
	}
}

// TestZeroWarning: HAProxy's warnings become errors; Baton's own (advice,
// no-op keywords) do not.
func TestZeroWarning(t *testing.T) {
	c, err := Parse("t.cfg", []byte("global\n  zero-warning\n  daemon\n  cpu-map 1 0\ndefaults\n  mode http\n  timeout client 1s\n  timeout http-keep-alive 2s\nfrontend f\n  bind :1\n"))
	if err != nil {
		t.Fatalf("Baton's own warnings refused under zero-warning: %v", err)
	}
	if len(c.Warnings) < 3 {
		t.Errorf("warnings %q: want daemon, cpu-map and keep-alive advice", c.Warnings)
	}
	_, err = Parse("t.cfg", []byte("global\n  zero-warning\n  .warning \"w\"\nfrontend f\n  bind :1\n  timeout client 1s\n"))
	if err == nil || !strings.Contains(err.Error(), "t.cfg:3: warning made fatal by zero-warning: w") {
		t.Errorf("a .warning under zero-warning: %v", err)
	}
	_, err = Parse("t.cfg", []byte("global\n  zero-warning\nfrontend f\n  bind :1\n"))
	if err == nil || !strings.Contains(err.Error(), "missing timeout client") {
		t.Errorf("HAProxy's missing-timeout warning under zero-warning: %v", err)
	}
}
