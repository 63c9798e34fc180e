package auth

import (
	"strings"
	"testing"
)

// Vectors from glibc's crypt(3) (Python's crypt module on Debian 12).
var cryptVectors = []struct{ password, hash string }{
	{"test", "$6$saltsalt$JcVDtuB6d1BHhCd5RPBh8g8xX/1CbY8EU2PN0MTaj2/Mypw4P./C6dN4j0HALhzBDTocyW1Jm.gYaTPjFGCV40"},
	{"Hello world!", "$6$saltsalt$pn.eNCAqRIao3pxsOGdjVa9wVR7Rb/3WnbxOluoQKVZPzLuyetx3yF6VIZDfQnn/arrFVfrq3BqRb9gLqhI5z0"},
	{"", "$6$saltsalt$qkTgsCrWMTAS9gBGcf9W60sFfH.hU0oTCAOJjhbz5tSp/sU3/xXZK4OFwCtq8lIIdpJ6CatVdOTSHKp97TPkt/"},
	{"test", "$6$rounds=1000$abc$HIrB3HxYtjluvXN52jI4i5PmbRYjGOQyiH3E9Gaw/1g16mZ9SKDrtrD93kj01C9iGf1Py7T5./4LN6sCyy3yU/"},
	{"test", "$5$saltsalt$q6kNPzk9GPb3dpYKO2TUS45z2kiVxsUVz7eWVJcih.0"},
	{"Hello world!", "$5$saltsalt$7nms7uea33j6nUc5B/QNWbGgEhGAZc61YUN0rQzogB0"},
	{"", "$5$saltsalt$09agN5RZ2meWdEdnEusqsq5G7RwwghB8jCKoWWADxW/"},
	{"test", "$5$rounds=5000$toolongsaltstrin$ejiGtQrc9V16kN0ynauD5Lf0BnCBf8kvuOeTSzpsOFA"},
	{"test", "$1$saltsalt$tTWg0JeO/sYmHvtKmZE8c."},
	{"Hello world!", "$1$saltsalt$le8lFSqqnPaRFOlmAZpvH1"},
	{"", "$1$saltsalt$5Jhcit4zN9UlGiA0txPkO0"},
	{"test", "$1$ab$GR5WgfqnahyU5qOIirFwN0"},
	// bcrypt: mkpasswd -m bcrypt / bcrypt-a -R 5 (Debian 12's whois), and
	// htpasswd -nbB -C 5 (apache2-utils) for $2y$.
	{"hunter2", "$2b$05$.iapFtypf1nGMZQ8eLg5k.X4xZbG0zegkFUXcGYlESvjdxIpSkyiu"},
	{"hunter2", "$2a$05$InaNQmnCmsNLxjUnCYajr.XQxCYVR5/D3CRY8qgkPleCgcjou6QYy"},
	{"pässwörd with spaces", "$2b$05$ThVCF6avn9K5cClhhMlhxu6LxGa813XFxv3pEhQIR9brKOPrcR.n6"},
	{"Hello world!", "$2y$05$UWg1pE9vfiVY2T415BR0JeaPsIoVzLP9bSkMOFF555y.cecWlGcHG"},
}

func TestCheckHash(t *testing.T) {
	for _, tc := range []struct {
		hash string
		ok   bool
	}{
		{"$6$saltsalt$x", true},
		{"$2y$05$UWg1pE9vfiVY2T415BR0JeaPsIoVzLP9bSkMOFF555y.cecWlGcHG", true},
		{"$2y$99$UWg1pE9vfiVY2T415BR0JeaPsIoVzLP9bSkMOFF555y.cecWlGcHG", false}, // cost out of range
		{"$2b$05$short", false},
		{"$y$j9T$salt$hash", false}, // yescrypt: not supported
		{"plain", false},
	} {
		if err := checkHash(tc.hash); (err == nil) != tc.ok {
			t.Errorf("checkHash(%q) = %v, want ok=%v", tc.hash, err, tc.ok)
		}
	}
}

func TestCrypt(t *testing.T) {
	for _, v := range cryptVectors {
		if !Verify(v.hash, v.password) {
			t.Errorf("Verify(%q, %q) = false", v.hash, v.password)
		}
		if Verify(v.hash, v.password+"x") {
			t.Errorf("Verify(%q, %q+x) = true", v.hash, v.password)
		}
	}
}

// FuzzVerify: any hash and password are checked without panicking, and
// a hash never matches a password it was not made from (vectors).
func FuzzVerify(f *testing.F) {
	for _, v := range cryptVectors {
		f.Add(v.hash, v.password)
	}
	f.Add("$6$rounds=1$$", "x")
	f.Add("$5$$$$", "")
	f.Fuzz(func(t *testing.T, hash, password string) {
		if len(hash) > 200 || len(password) > 200 {
			return
		}
		if strings.Contains(hash, "rounds=") || strings.HasPrefix(hash, "$2") {
			return // a large rounds value or bcrypt cost is slow, not wrong
		}
		Verify(hash, password)
	})
}

func TestBearerToken(t *testing.T) {
	for _, tc := range []struct {
		in, token string
		ok        bool
	}{
		{"Bearer abc.def.ghi", "abc.def.ghi", true},
		{"bearer   tok  ", "tok", true},
		{"BEARER  tok", "tok", true},
		{"Bearer\ttok", "", false}, // only a space separates, as in HAProxy
		{"Bearer", "", true},
		{"Basic YTpi", "", false},
		{"Bearerx tok", "", false},
		{"", "", false},
	} {
		got, ok := bearerToken([]byte(tc.in))
		if ok != tc.ok || string(got) != tc.token {
			t.Errorf("bearerToken(%q) = %q, %v; want %q, %v", tc.in, got, ok, tc.token, tc.ok)
		}
	}
}

func FuzzBearerToken(f *testing.F) {
	f.Add("Bearer abc")
	f.Fuzz(func(t *testing.T, in string) {
		if tok, ok := bearerToken([]byte(in)); ok && len(tok) > len(in) {
			t.Fatal("token longer than the header")
		}
	})
}
