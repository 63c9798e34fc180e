package tlsconf

import (
	"strings"
	"testing"
	"time"

	"baton/internal/tlsconf/tlstest"
)

func FuzzLoadCert(f *testing.F) {
	ca := tlstest.NewCA("Fuzz Root")
	c := ca.Issue(tlstest.Options{}, "fuzz.example")
	f.Add(c.Bundle(), []byte(nil))
	f.Add(c.CertPEM, c.KeyPEM)
	f.Add(append(c.Bundle(), ca.PEM...), []byte(nil))
	f.Add([]byte("-----BEGIN CERTIFICATE-----\n\n-----END CERTIFICATE-----\n"), []byte("x"))
	f.Fuzz(func(t *testing.T, pem, key []byte) {
		a := &Assets{Files: map[string][]byte{"c.pem": pem}}
		if key != nil {
			a.Files["c.pem.key"] = key
		}
		cert, _, err := LoadCert(a, "c.pem", time.Now())
		if err != nil {
			if !strings.Contains(err.Error(), "c.pem") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		if cert.Leaf == nil || cert.TLS.PrivateKey == nil || len(cert.TLS.Certificate) == 0 {
			t.Fatal("incomplete certificate accepted")
		}
		if !publicKeyMatches(cert.Leaf.PublicKey, cert.TLS.PrivateKey) {
			t.Fatal("mismatched key accepted")
		}
	})
}

func FuzzParseCrtList(f *testing.F) {
	f.Add([]byte("cert1.pem !*\n# comment\ncert2.pem [alpn h2,http/1.1]\ncertW.pem *.domain.tld !secure.domain.tld\ncertS.pem [curves X25519:P-256 ciphers ECDHE-ECDSA-AES256-GCM-SHA384] secure.domain.tld\n"))
	f.Add([]byte("a.pem [verify required ca-file ca.pem ssl-min-ver TLSv1.3]\n"))
	f.Add([]byte("a.pem [alpn\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		lines, err := ParseCrtList("list", data, func(w string) {
			if !strings.HasPrefix(w, "list:") {
				t.Fatalf("warning without position: %q", w)
			}
		})
		if err != nil {
			if !strings.HasPrefix(err.Error(), "list:") {
				t.Fatalf("error without position: %v", err)
			}
			return
		}
		for _, l := range lines {
			if l.Path == "" || strings.ContainsAny(l.Path, " \t[]") || l.Line < 1 {
				t.Fatalf("bad line %+v", l)
			}
			for _, flt := range l.Filters {
				if checkFilter(flt) != "" {
					t.Fatalf("bad filter %q accepted", flt)
				}
			}
		}
	})
}

func TestParseCrtList(t *testing.T) {
	lines, err := ParseCrtList("l", []byte("cert1.pem !*\n\n  # c\ncert2.pem [alpn h2,http/1.1 ssl-min-ver TLSv1.3]\ncertW.pem *.domain.tld !secure.domain.tld\n"), func(string) {})
	if err != nil {
		t.Fatal(err)
	}
	if len(lines) != 3 || lines[0].Filters[0] != "!*" || lines[1].Opts == nil || lines[1].Opts.MinVer != 5 || len(lines[1].Opts.ALPN) != 2 || lines[2].Line != 5 || len(lines[2].Filters) != 2 {
		t.Errorf("%+v", lines)
	}
	for _, bad := range []struct{ in, err string }{
		{"a.pem [alpn h2\n", "l:1: missing ']'"},
		{"a.pem [crt-list x]\n", `l:1: "crt-list" is not a crt-list option`},
		{"\na.pem [verify]\n", "l:2: verify expects a value"},
		{"a.pem bad/name\n", `l:1: SNI filter "bad/name"`},
		{"a.pem x.com [alpn h2]\n", "options must come right after"},
	} {
		if _, err := ParseCrtList("l", []byte(bad.in), func(string) {}); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%q: err = %v, want %q", bad.in, err, bad.err)
		}
	}
}
