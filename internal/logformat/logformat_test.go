package logformat

import (
	"reflect"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    []Segment
		wantErr string
	}{
		{in: "plain", want: []Segment{{Kind: Literal, Lit: "plain"}}},
		{in: "", want: nil},
		{in: "100%% sure", want: []Segment{{Kind: Literal, Lit: "100% sure"}}},
		{in: "ip=%[src] p=%[path]", want: []Segment{
			{Kind: Literal, Lit: "ip="}, {Kind: Src}, {Kind: Literal, Lit: " p="}, {Kind: Path}}},
		{in: "%[method]%[url]", want: []Segment{{Kind: Method}, {Kind: URL}}},
		{in: "%[req.hdr(X-Id)]", want: []Segment{{Kind: ReqHdr, Header: "x-id"}}},
		{in: "%[hdr(Host)]", want: []Segment{{Kind: ReqHdr, Header: "host"}}},
		{in: "%ci", wantErr: `unsupported log-format item "%ci"`},
		{in: "%{+Q}r", wantErr: `unsupported log-format item "%{"`},
		{in: "%[src", wantErr: "unterminated"},
		{in: "%[src,lower]", wantErr: "unsupported sample expression"},
		{in: "%[hdr()]", wantErr: "exactly one header name"},
		{in: "%", wantErr: "unsupported log-format item"},
	}
	for _, tt := range tests {
		got, err := Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("Parse(%q) error = %v", tt.in, err)
			continue
		}
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"a", "%%", "%[src]", "x%[req.hdr(a)]y", "%[", "%c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		segs, err := Parse(s)
		if err != nil {
			return
		}
		for _, sg := range segs {
			if sg.Kind < Literal || sg.Kind > ReqHdr {
				t.Fatalf("Parse(%q): bad kind %d", s, sg.Kind)
			}
		}
	})
}
