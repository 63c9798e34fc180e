package tlsconf

import (
	"crypto/tls"
	"slices"
	"strings"
	"testing"
)

const debianCiphers = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384"

func TestParseCiphers(t *testing.T) {
	cases := []struct {
		name, list string
		want       []uint16
		warn       []string // substrings, each in some warning
		err        string
	}{
		{
			name: "debian default: DHE named in warnings, the rest applies",
			list: debianCiphers,
			want: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
				tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
				tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256},
			warn: []string{"not implemented by Go's TLS, ignored: DHE-RSA-AES128-GCM-SHA256, DHE-RSA-AES256-GCM-SHA384"},
		},
		{name: "only DHE: nothing usable", list: "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384", err: "leaves no cipher suite"},
		{name: "removals only", list: "!aNULL:!MD5", err: "leaves no cipher suite"},
		{name: "alias with +", list: "ECDHE+AESGCM", want: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}},
		{name: "bang removes for good", list: "ECDHE-RSA-AES128-GCM-SHA256:!aRSA:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256",
			want: []uint16{tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256}},
		{name: "minus removes until added again", list: "ECDHE-RSA-AES128-GCM-SHA256:-aRSA:ECDHE-RSA-AES256-GCM-SHA384",
			want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}},
		{name: "plus moves to the end", list: "AES128-SHA:ECDHE-RSA-AES128-SHA:+kRSA",
			want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, tls.TLS_RSA_WITH_AES_128_CBC_SHA}},
		{name: "unknown name warns", list: "ECDHE-RSA-AES128-GCM-SHA257:ECDHE-RSA-AES128-GCM-SHA256",
			want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}, warn: []string{`unknown to Baton, ignored: ECDHE-RSA-AES128-GCM-SHA257`}},
		{name: "alias Go lacks", list: "CAMELLIA:ECDHE-RSA-AES128-GCM-SHA256", want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256},
			warn: []string{`not implemented by Go's TLS, ignored: CAMELLIA`}},
		{name: "strength directive accepted", list: "ECDHE-RSA-AES128-GCM-SHA256:@STRENGTH", want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256}},
		{name: "commas and spaces separate too", list: "ECDHE-RSA-AES128-GCM-SHA256, ECDHE-RSA-AES256-GCM-SHA384",
			want: []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cl, err := ParseCiphers(c.list)
			if checkErr(t, err, c.err) {
				return
			}
			if !slices.Equal(cl.Suites, c.want) {
				t.Errorf("suites = %v, want %v", names(cl.Suites), names(c.want))
			}
			for _, w := range c.warn {
				if !slices.ContainsFunc(cl.Warnings, func(s string) bool { return strings.Contains(s, w) }) {
					t.Errorf("warnings %q lack %q", cl.Warnings, w)
				}
			}
			if c.warn == nil && len(cl.Warnings) > 0 {
				t.Errorf("unexpected warnings %q", cl.Warnings)
			}
		})
	}
}

// TestParseCiphersHiveclass is the long OpenSSL-syntax list of one of the
// published configurations (aliases, negations, DSS, CAMELLIA).
func TestParseCiphersHiveclass(t *testing.T) {
	list := "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-AES256-GCM-SHA384:DHE-RSA-AES128-GCM-SHA256:DHE-DSS-AES128-GCM-SHA256:kEDH+AESGCM:ECDHE-RSA-AES128-SHA256:ECDHE-ECDSA-AES128-SHA256:ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES256-SHA384:ECDHE-ECDSA-AES256-SHA384:ECDHE-RSA-AES256-SHA:ECDHE-ECDSA-AES256-SHA:DHE-RSA-AES128-SHA256:DHE-RSA-AES128-SHA:DHE-DSS-AES128-SHA256:DHE-RSA-AES256-SHA256:DHE-DSS-AES256-SHA:DHE-RSA-AES256-SHA:AES128-GCM-SHA256:AES256-GCM-SHA384:AES128-SHA256:AES256-SHA256:AES128-SHA:AES256-SHA:AES:CAMELLIA:DES-CBC3-SHA:!aNULL:!eNULL:!EXPORT:!DES:!RC4:!MD5:!PSK:!aECDH:!EDH-DSS-DES-CBC3-SHA:!EDH-RSA-DES-CBC3-SHA:!KRB5-DES-CBC3-SHA"
	cl, err := ParseCiphers(list)
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []uint16{tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, tls.TLS_RSA_WITH_AES_256_CBC_SHA} {
		if !slices.Contains(cl.Suites, id) {
			t.Errorf("%s missing from %v", tls.CipherSuiteName(id), names(cl.Suites))
		}
	}
	for _, id := range cl.Suites {
		if strings.Contains(tls.CipherSuiteName(id), "RC4") {
			t.Errorf("!RC4 left %s", tls.CipherSuiteName(id))
		}
	}
	joined := strings.Join(cl.Warnings, "\n")
	for _, w := range []string{"DHE-DSS-AES128-GCM-SHA256", "kEDH+AESGCM", "CAMELLIA", "unknown to Baton, ignored: KRB5-DES-CBC3-SHA"} {
		if !strings.Contains(joined, w) {
			t.Errorf("warnings lack %s:\n%s", w, joined)
		}
	}
}

func names(ids []uint16) []string {
	var out []string
	for _, id := range ids {
		out = append(out, tls.CipherSuiteName(id))
	}
	return out
}

func TestCheckCiphersuites(t *testing.T) {
	w, err := CheckCiphersuites("TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256")
	if err != nil || len(w) != 0 {
		t.Errorf("all three: %q %v", w, err)
	}
	w, err = CheckCiphersuites("TLS_AES_256_GCM_SHA384")
	if err != nil || len(w) != 1 || !strings.Contains(w[0], "cannot exclude") {
		t.Errorf("one: %q %v", w, err)
	}
	if _, err = CheckCiphersuites("TLS_AES_128_CCM_SHA256"); err == nil {
		t.Error("CCM only: want an error")
	}
	w, _ = CheckCiphersuites("TLS_AES_128_GCM_SHA256:TLS_FOO")
	if !strings.Contains(strings.Join(w, "|"), `unknown TLS 1.3 suite "TLS_FOO"`) {
		t.Errorf("unknown: %q", w)
	}
}

func TestOpenSSLName(t *testing.T) {
	if n := OpenSSLName(tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256); n != "ECDHE-RSA-AES128-GCM-SHA256" {
		t.Error(n)
	}
	if n := OpenSSLName(tls.TLS_AES_128_GCM_SHA256); n != "TLS_AES_128_GCM_SHA256" {
		t.Error(n)
	}
}

// checkErr fails the test unless err matches want ("" means no error)
// and reports whether an error was expected (the case ends there).
func checkErr(t *testing.T, err error, want string) bool {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatal(err)
		}
		return false
	}
	if err == nil || !strings.Contains(err.Error(), want) {
		t.Fatalf("err = %v, want %q", err, want)
	}
	return true
}
