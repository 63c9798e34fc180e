package backend

import "testing"

func TestBodyParam(t *testing.T) {
	tests := []struct {
		body, name string
		want       string
		found      bool
	}{
		{"user=u1", "user", "u1", true},
		{"a=1&user=u1&b=2", "user", "u1", true},
		{"a=1&user=u1", "user", "u1", true},
		{"username=x&user=y", "user", "y", true},
		{"a=user=x", "user", "", false},
		{"user=", "user", "", true},
		{"user=%41", "user", "%41", true},
		{"user=(x)", "user", "", false}, // a separator first: not form data for HAProxy
		{"user=\x00\x01", "user", "", false},
		{"user=ab cd&x", "user", "ab cd", true}, // HAProxy looks at the first character only
		{"nothing here", "user", "", false},
		{"", "user", "", false},
	}
	for _, tt := range tests {
		got := bodyParam([]byte(tt.body), tt.name)
		if string(got) != tt.want || (got != nil) != tt.found {
			t.Errorf("bodyParam(%q, %q) = %q (nil %v), want %q (found %v)", tt.body, tt.name, got, got == nil, tt.want, tt.found)
		}
	}
}
