package expr

import (
	"strings"
	"testing"
)

// TestFormats checks log-format strings: literals, samples and the log
// variables, with their flags.
func TestFormats(t *testing.T) {
	tests := []struct{ format, want string }{
		{"plain text", "plain text"},
		{"%[path]", "/p/a.php"},
		{"<%[req.hdr(host),lower]>", "<example.com:8080>"},
		{"%[urlp(x)]-%[urlp(y)]", "1-two"},
		{"%ci:%cp", "192.0.2.7:51000"},
		{"%fi:%fp %f %b %s", "127.0.0.1:8080 fe app s1"},
		{"%HM %HU %HV", "POST http://Example.com:8080/p/a.php?x=1&y=two&x=3 HTTP/1.1"},
		{"%HP|%HPO|%HQ", "http://Example.com:8080/p/a.php|/p/a.php|?x=1&y=two&x=3"},
		{"%{+Q}HM", `"POST"`},
		{"%{+X}ci", "C0000207"},
		{"%%", "%"},
		{"%[nope_missing,lower]x", "x"},
	}
	env := testEnv()
	c := testCtx(t)
	for _, tt := range tests {
		f, err := CompileFormat(tt.format, env)
		if err != nil {
			if tt.format == "%[nope_missing,lower]x" {
				continue // an unknown fetch is a configuration error
			}
			t.Errorf("CompileFormat(%q): %v", tt.format, err)
			continue
		}
		if got := string(f.Append(nil, c)); got != tt.want {
			t.Errorf("%s = %q, want %q", tt.format, got, tt.want)
		}
	}
}

// TestAppendScratchKeepsEarlierSamples is a regression test: the samples
// of a format are built in the scratch buffer while the format's value
// grows, so the value must live elsewhere (once the buffer had grown,
// later samples overwrote the beginning of the value).
func TestAppendScratchKeepsEarlierSamples(t *testing.T) {
	env := testEnv()
	c := testCtx(t)
	f, err := CompileFormat("%[method]|%[base]|%[req.hdr_names]|%[str(abc),upper]|%[path,lower]|%[req.hdr(host),lower,concat(-)]", env)
	if err != nil {
		t.Fatal(err)
	}
	want := string(f.Append(nil, c))
	for i := 0; i < 3; i++ {
		c.buf = append(c.buf, strings.Repeat("x", 4096)...) // grown by earlier requests
		req := c.Req
		c.BeginRequest()
		c.Req = req
		prev := f.AppendScratch(c) // a value from an earlier rule
		got := f.AppendScratch(c)
		if string(got) != want || string(prev) != want {
			t.Fatalf("round %d: %q then %q, want %q", i, prev, got, want)
		}
	}
}

// TestHTTPFormatEncodesControls: in HTTP actions' formats a sample cannot
// carry a CR or LF (or another control character but tab) into the
// message: HAProxy percent-encodes them, and so does Baton.
func TestHTTPFormatEncodesControls(t *testing.T) {
	env := testEnv()
	c := testCtx(t)
	in := "str(a%0d%0aX-Injected: 1%09tab%7f%00end),url_dec"
	for _, tc := range []struct {
		compile func(string, *Env) (*Format, error)
		want    string
	}{
		{CompileHTTPFormat, "<a%0D%0AX-Injected: 1\ttab%7F%00end>"},
		{CompileFormat, "<a\r\nX-Injected: 1\ttab\x7f\x00end>"},
	} {
		f, err := tc.compile("<%["+in+"]>", env)
		if err != nil {
			t.Fatal(err)
		}
		if got := string(f.Append(nil, c)); got != tc.want {
			t.Errorf("%q, want %q", got, tc.want)
		}
	}
}
