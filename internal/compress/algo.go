package compress

import "baton/internal/h1"

// Algo is a compression algorithm of "compression algo".
type Algo uint8

// The algorithms; None is the zero value: no compression.
const (
	None Algo = iota
	Identity
	Deflate
	RawDeflate
	Gzip
)

var algoNames = [...]string{None: "", Identity: "identity", Deflate: "deflate", RawDeflate: "raw-deflate", Gzip: "gzip"}

// String is the algorithm's configuration name.
func (a Algo) String() string { return algoNames[a] }

// Token is the content-coding that names the algorithm in Accept-Encoding
// and Content-Encoding: raw-deflate answers "deflate", as in HAProxy.
func (a Algo) Token() string {
	if a == RawDeflate {
		return "deflate"
	}
	return algoNames[a]
}

// ParseAlgo returns the algorithm a "compression algo" argument names.
func ParseAlgo(s string) (Algo, bool) {
	for a, n := range algoNames {
		if n != "" && n == s {
			return Algo(a), true
		}
	}
	return None, false
}

// Choose picks the algorithm for a request from its headers. algos are in
// priority order: the last configured first (HAProxy prepends each one to
// its list), which is also the one "*" selects. It returns None when the
// response must not be compressed.
func Choose(algos []Algo, headers []h1.Header) Algo {
	if len(algos) == 0 || oldMozilla(headers) {
		return None
	}
	best, bestQ := None, 0
	for i := range headers {
		h := &headers[i]
		if !equalFold(h.Name, "accept-encoding") {
			continue
		}
		v := h.Value
		for len(v) > 0 {
			var elem []byte
			elem, v = nextElem(v)
			if len(elem) == 0 {
				continue
			}
			tok, q := codingQ(elem)
			if q <= bestQ {
				continue
			}
			for _, a := range algos {
				if elem[0] == '*' || equalFold(tok, a.Token()) {
					best, bestQ = a, q
					break
				}
			}
		}
	}
	if best != None {
		return best
	}
	for _, a := range algos {
		if a == Identity {
			return Identity
		}
	}
	return None
}

// codingQ splits one Accept-Encoding element into its coding token and its
// q-value in thousandths (1000 when absent), reading parameters the way
// HAProxy 2.6 does: the first parameter spelled "q=" (lower case) counts.
func codingQ(elem []byte) (tok []byte, q int) {
	n := 0
	for n < len(elem) && isToken(elem[n]) {
		n++
	}
	tok = elem[:n]
	p := elem[n:]
	for {
		p = skipLWS(p)
		if len(p) == 0 || p[0] != ';' {
			return tok, 1000
		}
		p = skipLWS(p[1:])
		if len(p) == 0 {
			return tok, 1000
		}
		if len(p) >= 2 && p[0] == 'q' && p[1] == '=' {
			return tok, parseQ(p[2:])
		}
		for len(p) > 0 && p[0] != ';' {
			p = p[1:]
		}
	}
}

// parseQ reads a qvalue ("0", "0.5", "1.000") in thousandths as HAProxy's
// http_parse_qvalue does: what does not start with a digit counts as 1,
// digits stop at the first unexpected byte, and the result is at most
// 1000.
func parseQ(p []byte) int {
	if len(p) == 0 || !isDigit(p[0]) {
		return 1000
	}
	q := int(p[0]-'0') * 1000
	if len(p) > 1 && p[1] == '.' {
		mul := 100
		for _, c := range p[2:] {
			if !isDigit(c) || mul == 0 {
				break
			}
			q += int(c-'0') * mul
			mul /= 10
		}
	}
	if q > 1000 {
		q = 1000
	}
	return q
}

// oldMozilla reports a User-Agent HAProxy refuses to compress for:
// "Mozilla/4" unless it is MSIE 6 with XP SP2 ("SV1") or MSIE 7 and
// later, which handle compressed responses correctly.
func oldMozilla(headers []h1.Header) bool {
	for i := range headers {
		if !equalFold(headers[i].Name, "user-agent") {
			continue
		}
		v := headers[i].Value
		if len(v) < 9 || string(v[:9]) != "Mozilla/4" {
			return false
		}
		return len(v) < 31 || string(v[25:30]) != "MSIE " || v[30] < '6' ||
			(v[30] == '6' && (len(v) < 54 || string(v[51:54]) != "SV1"))
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func isLWS(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func skipLWS(p []byte) []byte {
	for len(p) > 0 && isLWS(p[0]) {
		p = p[1:]
	}
	return p
}

func trimLWS(p []byte) []byte {
	p = skipLWS(p)
	for len(p) > 0 && isLWS(p[len(p)-1]) {
		p = p[:len(p)-1]
	}
	return p
}

// nextElem splits the first element off a comma-separated list, without
// its surrounding whitespace.
func nextElem(v []byte) (elem, rest []byte) {
	if c := indexByte(v, ','); c >= 0 {
		return trimLWS(v[:c]), v[c+1:]
	}
	return trimLWS(v), nil
}

func indexByte(p []byte, c byte) int {
	for i, b := range p {
		if b == c {
			return i
		}
	}
	return -1
}

// isToken is RFC 9110's tchar.
func isToken(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', isDigit(c):
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// equalFold compares b with the lower-case s, case aside.
func equalFold(b []byte, s string) bool {
	if len(b) != len(s) {
		return false
	}
	for i := range b {
		if lower(b[i]) != s[i] {
			return false
		}
	}
	return true
}

// hasPrefixFold reports whether b starts with s, case aside.
func hasPrefixFold(b []byte, s string) bool {
	if len(b) < len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if lower(b[i]) != lower(s[i]) {
			return false
		}
	}
	return true
}
