package tlsconf

import (
	"crypto/tls"
	"fmt"
	"strings"
)

// cipherAttr is one property of an OpenSSL cipher that its cipher-string
// aliases select on ("kECDHE", "aRSA", "AESGCM", "SHA256", "HIGH", ...).
type cipherAttr = string

// opensslCipher is one TLS 1.2-and-earlier cipher as OpenSSL names it.
// goID is Go's suite with the same wire ID, 0 when Go does not implement
// it (DHE, DSS, CAMELLIA, ARIA, CCM, ...).
type opensslCipher struct {
	name  string
	goID  uint16
	attrs []cipherAttr
}

// ciphers is OpenSSL 3's TLS 1.2 cipher table as far as configurations
// name it: every suite Go implements, and the ones Go lacks that common
// lists (Mozilla's, Debian's) mention, so that they can be named in a
// warning instead of being reported as unknown.
var ciphers = func() []opensslCipher {
	type row struct {
		name string
		id   uint16
		kx   string // key exchange
		au   string // authentication
		enc  string // encryption family and bits, space separated
		mac  string
		str  string // HIGH, MEDIUM, LOW
	}
	rows := []row{
		{"ECDHE-ECDSA-AES128-GCM-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, "kECDHE", "aECDSA", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"ECDHE-RSA-AES128-GCM-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, "kECDHE", "aRSA", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"ECDHE-ECDSA-AES256-GCM-SHA384", tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384, "kECDHE", "aECDSA", "AESGCM AES256 AES", "AEAD SHA384", "HIGH"},
		{"ECDHE-RSA-AES256-GCM-SHA384", tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384, "kECDHE", "aRSA", "AESGCM AES256 AES", "AEAD SHA384", "HIGH"},
		{"ECDHE-ECDSA-CHACHA20-POLY1305", tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256, "kECDHE", "aECDSA", "CHACHA20", "AEAD SHA256", "HIGH"},
		{"ECDHE-RSA-CHACHA20-POLY1305", tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256, "kECDHE", "aRSA", "CHACHA20", "AEAD SHA256", "HIGH"},
		{"ECDHE-ECDSA-AES128-SHA256", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256, "kECDHE", "aECDSA", "AES128 AES", "SHA256", "HIGH"},
		{"ECDHE-RSA-AES128-SHA256", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256, "kECDHE", "aRSA", "AES128 AES", "SHA256", "HIGH"},
		{"ECDHE-ECDSA-AES256-SHA384", 0, "kECDHE", "aECDSA", "AES256 AES", "SHA384", "HIGH"},
		{"ECDHE-RSA-AES256-SHA384", 0, "kECDHE", "aRSA", "AES256 AES", "SHA384", "HIGH"},
		{"ECDHE-ECDSA-AES128-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA, "kECDHE", "aECDSA", "AES128 AES", "SHA1", "HIGH"},
		{"ECDHE-RSA-AES128-SHA", tls.TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA, "kECDHE", "aRSA", "AES128 AES", "SHA1", "HIGH"},
		{"ECDHE-ECDSA-AES256-SHA", tls.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA, "kECDHE", "aECDSA", "AES256 AES", "SHA1", "HIGH"},
		{"ECDHE-RSA-AES256-SHA", tls.TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA, "kECDHE", "aRSA", "AES256 AES", "SHA1", "HIGH"},
		{"ECDHE-ECDSA-AES128-CCM", 0, "kECDHE", "aECDSA", "AESCCM AES128 AES", "AEAD", "HIGH"},
		{"ECDHE-ECDSA-AES256-CCM", 0, "kECDHE", "aECDSA", "AESCCM AES256 AES", "AEAD", "HIGH"},
		{"ECDHE-RSA-DES-CBC3-SHA", tls.TLS_ECDHE_RSA_WITH_3DES_EDE_CBC_SHA, "kECDHE", "aRSA", "3DES", "SHA1", "MEDIUM"},
		{"ECDHE-ECDSA-DES-CBC3-SHA", 0, "kECDHE", "aECDSA", "3DES", "SHA1", "MEDIUM"},
		{"ECDHE-RSA-RC4-SHA", tls.TLS_ECDHE_RSA_WITH_RC4_128_SHA, "kECDHE", "aRSA", "RC4", "SHA1", "LOW"},
		{"ECDHE-ECDSA-RC4-SHA", tls.TLS_ECDHE_ECDSA_WITH_RC4_128_SHA, "kECDHE", "aECDSA", "RC4", "SHA1", "LOW"},
		{"ECDHE-ECDSA-CAMELLIA128-SHA256", 0, "kECDHE", "aECDSA", "CAMELLIA128 CAMELLIA", "SHA256", "HIGH"},
		{"ECDHE-RSA-CAMELLIA128-SHA256", 0, "kECDHE", "aRSA", "CAMELLIA128 CAMELLIA", "SHA256", "HIGH"},
		{"ECDHE-ECDSA-ARIA128-GCM-SHA256", 0, "kECDHE", "aECDSA", "ARIAGCM ARIA128 ARIA", "AEAD SHA256", "HIGH"},
		{"ECDHE-ARIA128-GCM-SHA256", 0, "kECDHE", "aRSA", "ARIAGCM ARIA128 ARIA", "AEAD SHA256", "HIGH"},
		{"AECDH-AES128-SHA", 0, "kECDHE", "aNULL", "AES128 AES", "SHA1", "HIGH"},
		{"AECDH-AES256-SHA", 0, "kECDHE", "aNULL", "AES256 AES", "SHA1", "HIGH"},
		{"AES128-GCM-SHA256", tls.TLS_RSA_WITH_AES_128_GCM_SHA256, "kRSA", "aRSA", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"AES256-GCM-SHA384", tls.TLS_RSA_WITH_AES_256_GCM_SHA384, "kRSA", "aRSA", "AESGCM AES256 AES", "AEAD SHA384", "HIGH"},
		{"AES128-SHA256", tls.TLS_RSA_WITH_AES_128_CBC_SHA256, "kRSA", "aRSA", "AES128 AES", "SHA256", "HIGH"},
		{"AES256-SHA256", 0, "kRSA", "aRSA", "AES256 AES", "SHA256", "HIGH"},
		{"AES128-SHA", tls.TLS_RSA_WITH_AES_128_CBC_SHA, "kRSA", "aRSA", "AES128 AES", "SHA1", "HIGH"},
		{"AES256-SHA", tls.TLS_RSA_WITH_AES_256_CBC_SHA, "kRSA", "aRSA", "AES256 AES", "SHA1", "HIGH"},
		{"AES128-CCM", 0, "kRSA", "aRSA", "AESCCM AES128 AES", "AEAD", "HIGH"},
		{"AES256-CCM", 0, "kRSA", "aRSA", "AESCCM AES256 AES", "AEAD", "HIGH"},
		{"CAMELLIA128-SHA", 0, "kRSA", "aRSA", "CAMELLIA128 CAMELLIA", "SHA1", "HIGH"},
		{"CAMELLIA256-SHA", 0, "kRSA", "aRSA", "CAMELLIA256 CAMELLIA", "SHA1", "HIGH"},
		{"ARIA128-GCM-SHA256", 0, "kRSA", "aRSA", "ARIAGCM ARIA128 ARIA", "AEAD SHA256", "HIGH"},
		{"SEED-SHA", 0, "kRSA", "aRSA", "SEED", "SHA1", "MEDIUM"},
		{"IDEA-CBC-SHA", 0, "kRSA", "aRSA", "IDEA", "SHA1", "MEDIUM"},
		{"DES-CBC3-SHA", tls.TLS_RSA_WITH_3DES_EDE_CBC_SHA, "kRSA", "aRSA", "3DES", "SHA1", "MEDIUM"},
		{"RC4-SHA", tls.TLS_RSA_WITH_RC4_128_SHA, "kRSA", "aRSA", "RC4", "SHA1", "LOW"},
		{"RC4-MD5", 0, "kRSA", "aRSA", "RC4", "MD5", "LOW"},
		{"DES-CBC-SHA", 0, "kRSA", "aRSA", "DES", "SHA1", "LOW"},
		{"NULL-SHA256", 0, "kRSA", "aRSA", "eNULL", "SHA256", ""},
		{"NULL-SHA", 0, "kRSA", "aRSA", "eNULL", "SHA1", ""},
		{"NULL-MD5", 0, "kRSA", "aRSA", "eNULL", "MD5", ""},
		{"DHE-RSA-AES128-GCM-SHA256", 0, "kDHE", "aRSA", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"DHE-RSA-AES256-GCM-SHA384", 0, "kDHE", "aRSA", "AESGCM AES256 AES", "AEAD SHA384", "HIGH"},
		{"DHE-DSS-AES128-GCM-SHA256", 0, "kDHE", "aDSS", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"DHE-DSS-AES256-GCM-SHA384", 0, "kDHE", "aDSS", "AESGCM AES256 AES", "AEAD SHA384", "HIGH"},
		{"DHE-RSA-CHACHA20-POLY1305", 0, "kDHE", "aRSA", "CHACHA20", "AEAD SHA256", "HIGH"},
		{"DHE-RSA-AES128-CCM", 0, "kDHE", "aRSA", "AESCCM AES128 AES", "AEAD", "HIGH"},
		{"DHE-RSA-AES256-CCM", 0, "kDHE", "aRSA", "AESCCM AES256 AES", "AEAD", "HIGH"},
		{"DHE-RSA-AES128-SHA256", 0, "kDHE", "aRSA", "AES128 AES", "SHA256", "HIGH"},
		{"DHE-RSA-AES256-SHA256", 0, "kDHE", "aRSA", "AES256 AES", "SHA256", "HIGH"},
		{"DHE-DSS-AES128-SHA256", 0, "kDHE", "aDSS", "AES128 AES", "SHA256", "HIGH"},
		{"DHE-DSS-AES256-SHA256", 0, "kDHE", "aDSS", "AES256 AES", "SHA256", "HIGH"},
		{"DHE-RSA-AES128-SHA", 0, "kDHE", "aRSA", "AES128 AES", "SHA1", "HIGH"},
		{"DHE-RSA-AES256-SHA", 0, "kDHE", "aRSA", "AES256 AES", "SHA1", "HIGH"},
		{"DHE-DSS-AES128-SHA", 0, "kDHE", "aDSS", "AES128 AES", "SHA1", "HIGH"},
		{"DHE-DSS-AES256-SHA", 0, "kDHE", "aDSS", "AES256 AES", "SHA1", "HIGH"},
		{"DHE-RSA-CAMELLIA128-SHA", 0, "kDHE", "aRSA", "CAMELLIA128 CAMELLIA", "SHA1", "HIGH"},
		{"DHE-RSA-CAMELLIA256-SHA", 0, "kDHE", "aRSA", "CAMELLIA256 CAMELLIA", "SHA1", "HIGH"},
		{"DHE-DSS-CAMELLIA128-SHA", 0, "kDHE", "aDSS", "CAMELLIA128 CAMELLIA", "SHA1", "HIGH"},
		{"DHE-DSS-CAMELLIA256-SHA", 0, "kDHE", "aDSS", "CAMELLIA256 CAMELLIA", "SHA1", "HIGH"},
		{"DHE-RSA-SEED-SHA", 0, "kDHE", "aRSA", "SEED", "SHA1", "MEDIUM"},
		{"EDH-RSA-DES-CBC3-SHA", 0, "kDHE", "aRSA", "3DES", "SHA1", "MEDIUM"},
		{"EDH-DSS-DES-CBC3-SHA", 0, "kDHE", "aDSS", "3DES", "SHA1", "MEDIUM"},
		{"ADH-AES128-GCM-SHA256", 0, "kDHE", "aNULL", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"ADH-AES128-SHA", 0, "kDHE", "aNULL", "AES128 AES", "SHA1", "HIGH"},
		{"ADH-AES256-SHA", 0, "kDHE", "aNULL", "AES256 AES", "SHA1", "HIGH"},
		{"PSK-AES128-GCM-SHA256", 0, "kPSK", "aPSK", "AESGCM AES128 AES", "AEAD SHA256", "HIGH"},
		{"PSK-AES256-GCM-SHA384", 0, "kPSK", "aPSK", "AESGCM AES256 AES", "AEAD SHA384", "HIGH"},
		{"ECDHE-PSK-CHACHA20-POLY1305", 0, "kECDHEPSK", "aPSK", "CHACHA20", "AEAD SHA256", "HIGH"},
		{"SRP-AES-128-CBC-SHA", 0, "kSRP", "aSRP", "AES128 AES", "SHA1", "HIGH"},
	}
	out := make([]opensslCipher, len(rows))
	for i, r := range rows {
		a := []cipherAttr{r.kx, r.au}
		a = append(a, strings.Fields(r.enc)...)
		a = append(a, strings.Fields(r.mac)...)
		if r.str != "" {
			a = append(a, r.str)
		}
		out[i] = opensslCipher{name: r.name, goID: r.id, attrs: a}
	}
	return out
}()

// cipherAliases maps OpenSSL's alias words to the attribute they select
// (several words may name one attribute); "ALL" and "DEFAULT" are handled
// apart.
var cipherAliases = map[string]cipherAttr{
	"kRSA": "kRSA", "RSA": "kRSA", "aRSA": "aRSA",
	"kEDH": "kDHE", "kDHE": "kDHE", "EDH": "kDHE", "DHE": "kDHE", "DH": "kDHE",
	"kEECDH": "kECDHE", "kECDHE": "kECDHE", "EECDH": "kECDHE", "ECDHE": "kECDHE", "ECDH": "kECDHE",
	"aECDSA": "aECDSA", "ECDSA": "aECDSA", "aDSS": "aDSS", "DSS": "aDSS",
	"aNULL": "aNULL", "eNULL": "eNULL", "NULL": "eNULL",
	"kPSK": "kPSK", "PSK": "aPSK", "aPSK": "aPSK", "kECDHEPSK": "kECDHEPSK", "SRP": "aSRP", "kSRP": "kSRP", "aSRP": "aSRP",
	"AES": "AES", "AES128": "AES128", "AES256": "AES256", "AESGCM": "AESGCM", "AESCCM": "AESCCM",
	"CHACHA20": "CHACHA20", "CAMELLIA": "CAMELLIA", "CAMELLIA128": "CAMELLIA128", "CAMELLIA256": "CAMELLIA256",
	"ARIA": "ARIA", "ARIA128": "ARIA128", "ARIAGCM": "ARIAGCM", "3DES": "3DES", "DES": "DES", "RC4": "RC4",
	"SEED": "SEED", "IDEA": "IDEA", "MD5": "MD5", "SHA1": "SHA1", "SHA": "SHA1", "SHA256": "SHA256", "SHA384": "SHA384",
	"HIGH": "HIGH", "MEDIUM": "MEDIUM", "LOW": "LOW", "AEAD": "AEAD",
	// Fixed-key ECDH, export and exotic key exchanges no OpenSSL 3 table
	// holds: valid words that select nothing.
	"kECDH": "-", "aECDH": "-", "EXPORT": "-", "EXP": "-", "KRB5": "-", "kKRB5": "-", "aKRB5": "-",
	"ADH": "ADH", "AECDH": "AECDH", "aGOST": "-", "kGOST": "-", "GOST94": "-", "GOST89MAC": "-",
	"SSLv3": "SSLv3", "TLSv1": "SSLv3", "TLSv1.0": "SSLv3", "TLSv1.2": "TLSv1.2", "SUITEB128": "SUITEB",
	"SUITEB128ONLY": "SUITEB", "SUITEB192": "SUITEB", "COMPLEMENTOFDEFAULT": "COMPLEMENTOFDEFAULT",
	"COMPLEMENTOFALL": "eNULL",
}

// matches reports whether c has attribute a. A few attributes are derived
// rather than listed.
func (c *opensslCipher) matches(a cipherAttr) bool {
	switch a {
	case "-":
		return false
	case "ADH":
		return c.has("kDHE") && c.has("aNULL")
	case "AECDH":
		return c.has("kECDHE") && c.has("aNULL")
	case "TLSv1.2":
		return c.has("SHA256") || c.has("SHA384") || c.has("AEAD")
	case "SSLv3":
		return !(c.has("SHA256") || c.has("SHA384") || c.has("AEAD"))
	case "SUITEB":
		return c.has("aECDSA") && c.has("AESGCM")
	case "COMPLEMENTOFDEFAULT":
		return c.has("aNULL") || c.has("eNULL")
	}
	return c.has(a)
}

func (c *opensslCipher) has(a cipherAttr) bool {
	for _, x := range c.attrs {
		if x == a {
			return true
		}
	}
	return false
}

// CipherList is the outcome of an OpenSSL cipher string: the Go suites it
// selects, in the string's order, and what could not be honoured.
type CipherList struct {
	Suites []uint16
	// Warnings name the parts Go cannot honour: suites Go does not
	// implement (DHE, CAMELLIA, ...), unknown names, sort directives.
	Warnings []string
}

// ParseCiphers evaluates an OpenSSL cipher string ("man 1 ciphers") for
// TLS 1.2 and earlier: elements separated by ':' (also ',' or blanks),
// each an exact cipher name or aliases joined by '+' (all must hold),
// prefixed with '!' (remove for good), '-' (remove) or '+' (move to the
// end). An element naming a suite Go lacks is a warning naming it, and
// the rest of the list applies; a list that leaves no suite Go implements
// is an error.
func ParseCiphers(s string) (*CipherList, error) {
	var order []int // indexes into ciphers, the current list
	banned := map[int]bool{}
	out := &CipherList{}
	var lacking, unknown []string // for one warning each
	for _, el := range splitList(s) {
		op := byte(0)
		if strings.ContainsRune("!-+", rune(el[0])) && len(el) > 1 {
			op, el = el[0], el[1:]
		}
		if strings.HasPrefix(el, "@") {
			if !strings.HasPrefix(el, "@STRENGTH") && !strings.HasPrefix(el, "@SECLEVEL=") {
				unknown = append(unknown, el)
			}
			// Go orders the suites itself: the directive changes nothing.
			continue
		}
		sel, known := selectCiphers(el)
		if !known {
			unknown = append(unknown, el)
			continue
		}
		switch op {
		case '!':
			for _, i := range sel {
				banned[i] = true
			}
			order = remove(order, sel)
		case '-':
			order = remove(order, sel)
		case '+':
			var moved []int
			for _, i := range order {
				if contains(sel, i) {
					moved = append(moved, i)
				}
			}
			order = append(remove(order, moved), moved...)
		default:
			goSel, missing := false, false
			for _, i := range sel {
				if banned[i] {
					continue
				}
				if ciphers[i].goID != 0 {
					goSel = true
				} else {
					missing = true
				}
				if !contains(order, i) {
					order = append(order, i)
				}
			}
			if !goSel && missing {
				lacking = append(lacking, el)
			}
		}
	}
	if len(lacking) > 0 {
		out.Warnings = append(out.Warnings, "not implemented by Go's TLS, ignored: "+strings.Join(lacking, ", "))
	}
	if len(unknown) > 0 {
		out.Warnings = append(out.Warnings, "unknown to Baton, ignored: "+strings.Join(unknown, ", "))
	}
	for _, i := range order {
		if id := ciphers[i].goID; id != 0 {
			out.Suites = append(out.Suites, id)
		}
	}
	if len(out.Suites) == 0 {
		return out, fmt.Errorf("cipher list %q leaves no cipher suite that Go's TLS implements", s)
	}
	return out, nil
}

// selectCiphers returns the table indexes an element selects: an exact
// name, ALL, DEFAULT, or aliases joined by '+'. known is false for a
// word OpenSSL would not recognise either.
func selectCiphers(el string) (sel []int, known bool) {
	for i := range ciphers {
		if ciphers[i].name == el {
			return []int{i}, true
		}
	}
	words := strings.Split(el, "+")
	for i := range ciphers {
		c := &ciphers[i]
		ok := true
		for _, w := range words {
			switch w {
			case "ALL":
				ok = ok && !c.has("eNULL")
			case "DEFAULT":
				ok = ok && !c.has("eNULL") && !c.has("aNULL") && (c.has("HIGH") || c.has("MEDIUM"))
			default:
				a, found := cipherAliases[w]
				if !found {
					return nil, false
				}
				ok = ok && c.matches(a)
			}
		}
		if ok {
			sel = append(sel, i)
		}
	}
	return sel, true
}

// splitList splits an OpenSSL list on ':', ',' and blanks.
func splitList(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ':' || r == ',' || r == ' ' || r == '\t' })
}

func contains(l []int, x int) bool {
	for _, y := range l {
		if y == x {
			return true
		}
	}
	return false
}

func remove(l, drop []int) []int {
	out := l[:0:0]
	for _, x := range l {
		if !contains(drop, x) {
			out = append(out, x)
		}
	}
	return out
}

// tls13Suites are OpenSSL's TLS 1.3 suite names; Go implements the
// first three and always offers all three (its TLS 1.3 suites cannot be
// configured).
var tls13Suites = []struct {
	name string
	id   uint16
}{
	{"TLS_AES_128_GCM_SHA256", tls.TLS_AES_128_GCM_SHA256},
	{"TLS_AES_256_GCM_SHA384", tls.TLS_AES_256_GCM_SHA384},
	{"TLS_CHACHA20_POLY1305_SHA256", tls.TLS_CHACHA20_POLY1305_SHA256},
	{"TLS_AES_128_CCM_SHA256", 0},
	{"TLS_AES_128_CCM_8_SHA256", 0},
}

// CheckCiphersuites checks an OpenSSL TLS 1.3 "ciphersuites" list. Go's
// TLS 1.3 always offers its three suites, so a list naming fewer is
// honoured only in part: a warning says so. Names Go lacks are warnings;
// a list without any suite Go implements is an error.
func CheckCiphersuites(s string) (warnings []string, err error) {
	seen := map[uint16]bool{}
	for _, el := range splitList(s) {
		found := false
		for _, t := range tls13Suites {
			if t.name != el {
				continue
			}
			found = true
			if t.id == 0 {
				warnings = append(warnings, fmt.Sprintf("TLS 1.3 suite %s is not implemented by Go's TLS; ignored", el))
			} else {
				seen[t.id] = true
			}
		}
		if !found {
			warnings = append(warnings, fmt.Sprintf("unknown TLS 1.3 suite %q ignored", el))
		}
	}
	if len(seen) == 0 {
		return warnings, fmt.Errorf("ciphersuites %q: no TLS 1.3 suite that Go's TLS implements", s)
	}
	if len(seen) < 3 {
		warnings = append(warnings, "Go's TLS 1.3 always offers TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384 and TLS_CHACHA20_POLY1305_SHA256; the list cannot exclude any of them")
	}
	return warnings, nil
}

// OpenSSLName returns OpenSSL's name of the suite Go negotiated (what
// HAProxy's ssl_fc_cipher returns), or Go's name when OpenSSL has none.
func OpenSSLName(id uint16) string {
	if n, ok := opensslNames[id]; ok {
		return n
	}
	return tls.CipherSuiteName(id)
}

var opensslNames = func() map[uint16]string {
	m := map[uint16]string{}
	for _, c := range ciphers {
		if c.goID != 0 {
			m[c.goID] = c.name
		}
	}
	for _, t := range tls13Suites {
		if t.id != 0 {
			m[t.id] = t.name
		}
	}
	return m
}()
