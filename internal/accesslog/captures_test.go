package accesslog

import "testing"

// TestCaptureVariables: the capture slots as HAProxy 2.6 writes them
// (the same values test/rules_actions_test.go checks against HAProxy).
func TestCaptureVariables(t *testing.T) {
	e := &Entry{
		CapturedReq: [][]byte{[]byte("a|b"), nil, []byte(`x"y`)},
		CapturedRes: [][]byte{[]byte("s1")},
	}
	for format, want := range map[string]string{
		"%hr":         `{a#7Cb||x#22y}`,
		"%{+Q}hr":     `"{a#7Cb||x#22y}"`,
		"%hrl":        `a#7Cb - x#22y`,
		"%{+Q}hrl":    `"a#7Cb" "" "x#22y"`,
		"%hs|%hsl":    `{s1}|s1`,
		"<%hr %hs>":   `<{a#7Cb||x#22y} {s1}>`,
		"%ci %hr %ci": `- {a#7Cb||x#22y} -`,
	} {
		f, err := Compile(format)
		if err != nil {
			t.Fatalf("%q: %v", format, err)
		}
		if got := line(f, e); got != want {
			t.Errorf("%q: got %q, want %q", format, got, want)
		}
	}
}
