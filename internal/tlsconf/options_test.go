package tlsconf

import (
	"crypto/tls"
	"strings"
	"testing"
)

func TestVersions(t *testing.T) {
	cases := []struct {
		name     string
		words    []string // option words, values after
		min, max uint16
		warn     string
		err      string
	}{
		{name: "default is HAProxy's TLSv1.2 minimum", min: tls.VersionTLS12, max: tls.VersionTLS13},
		{name: "min 1.0", words: []string{"ssl-min-ver", "TLSv1.0"}, min: tls.VersionTLS10, max: tls.VersionTLS13},
		{name: "max 1.2", words: []string{"ssl-max-ver", "TLSv1.2"}, min: tls.VersionTLS12, max: tls.VersionTLS12},
		{name: "no-tlsv13", words: []string{"no-tlsv13"}, min: tls.VersionTLS12, max: tls.VersionTLS12},
		{name: "force-tlsv13", words: []string{"force-tlsv13"}, min: tls.VersionTLS13, max: tls.VersionTLS13},
		{name: "force-tlsv12 beats no-tlsv12", words: []string{"no-tlsv12", "force-tlsv12"}, min: tls.VersionTLS12, max: tls.VersionTLS12},
		{name: "sslv3 dropped", words: []string{"ssl-min-ver", "SSLv3"}, min: tls.VersionTLS10, max: tls.VersionTLS13, warn: "does not implement SSLv3"},
		{name: "hole", words: []string{"ssl-min-ver", "TLSv1.0", "no-tlsv11"}, min: tls.VersionTLS10, max: tls.VersionTLS13, warn: "not contiguous"},
		{name: "nothing left", words: []string{"ssl-max-ver", "TLSv1.1"}, err: "every SSL/TLS version is disabled"},
		{name: "sslv3 only", words: []string{"force-sslv3"}, err: "only SSLv3"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var o Options
			var warns []string
			warn := func(s string) { warns = append(warns, s) }
			for i := 0; i < len(c.words); i++ {
				w, v := c.words[i], ""
				if TakesValue(w) {
					i++
					v = c.words[i]
				}
				if err := o.Apply(w, v, CtxBind, warn); err != nil {
					t.Fatal(err)
				}
			}
			min, max, err := o.Versions(warn)
			if checkErr(t, err, c.err) {
				return
			}
			if min != c.min || max != c.max {
				t.Errorf("range %s..%s, want %s..%s", tls.VersionName(min), tls.VersionName(max), tls.VersionName(c.min), tls.VersionName(c.max))
			}
			if got := strings.Join(warns, "|"); (c.warn == "") != (got == "") || !strings.Contains(got, c.warn) {
				t.Errorf("warnings %q, want %q", got, c.warn)
			}
		})
	}
}

func TestOptionsApply(t *testing.T) {
	var o Options
	nowarn := func(s string) { t.Errorf("warning %q", s) }
	if err := o.Apply("curves", "X25519:P-256", CtxBind, nowarn); err != nil || len(o.CurveIDs) != 2 {
		t.Fatalf("curves: %v %v", err, o.CurveIDs)
	}
	if err := o.Apply("ecdhe", "secp384r1", CtxBind, nowarn); err != nil || len(o.CurveIDs) != 2 {
		t.Errorf("ecdhe after curves must not win: %v %v", err, o.CurveIDs)
	}
	var w []string
	if err := o.Apply("curves", "X448:P-384", CtxBind, func(s string) { w = append(w, s) }); err != nil || len(w) != 1 || !strings.Contains(w[0], "X448") {
		t.Errorf("X448: %v %q", err, w)
	}
	if err := o.Apply("curves", "X448", CtxBind, func(string) {}); err == nil {
		t.Error("X448 alone: want an error")
	}
	if err := o.Apply("curves", "P-999", CtxBind, nowarn); err == nil {
		t.Error("unknown curve: want an error")
	}
	if err := o.Apply("verify", "sometimes", CtxBind, nowarn); err == nil {
		t.Error("verify sometimes: want an error")
	}
	if err := o.Apply("strict-sni", "", CtxServer, nowarn); err == nil {
		t.Error("strict-sni is not a server option here")
	}
	if err := o.Apply("alpn", "h2,,http/1.1", CtxBind, nowarn); err == nil {
		t.Error("empty protocol: want an error")
	}
	if !IsOption("no-tlsv10", CtxDefaultBind) || IsOption("crt", CtxServer) || !TakesValue("ssl-min-ver") {
		t.Error("option table")
	}
}

func TestMerge(t *testing.T) {
	var def, own Options
	def.Apply("ssl-min-ver", "TLSv1.2", CtxDefaultBind, nil)
	def.Apply("no-tls-tickets", "", CtxDefaultBind, nil)
	def.Apply("ciphers", "ECDHE-RSA-AES128-GCM-SHA256", CtxBind, nil)
	own.Apply("no-tlsv13", "", CtxBind, nil)
	m := own.Merge(def)
	if m.MinVer != 0 || m.NoVer == 0 {
		t.Errorf("version options go as a group: %+v", m)
	}
	if !m.NoTickets || len(m.CipherSuites) != 1 {
		t.Errorf("defaults not inherited: %+v", m)
	}
}
