package tlsconf

import (
	"fmt"
	"strings"
)

// CrtListLine is one line of a crt-list file: a certificate, the TLS
// options that apply to it alone, and the SNI filters it is served for.
type CrtListLine struct {
	Line int
	// Path is the certificate as written on the line.
	Path string
	// Opts are the options in brackets; nil when there are none.
	Opts *Options
	// Filters are the SNI filters: names (wildcards allowed) and
	// negations ("!name", "!*"). None means the certificate's own names.
	Filters []string
}

// ParseCrtList parses a crt-list file's contents: one certificate per
// line, "PATH [[OPTION ...]] [[!]SNI ...]"; blank lines and lines starting
// with '#' are skipped. Errors and warnings carry the file and line.
func ParseCrtList(name string, data []byte, warn func(string)) ([]CrtListLine, error) {
	var out []CrtListLine
	for i, raw := range strings.Split(string(data), "\n") {
		ln := i + 1
		l := strings.TrimSpace(strings.TrimSuffix(raw, "\r"))
		if l == "" || l[0] == '#' {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, ln)
		f := strings.Fields(l)
		e := CrtListLine{Line: ln, Path: f[0]}
		if strings.ContainsAny(e.Path, "[]") {
			return nil, fmt.Errorf("%s: certificate path %q: '[' and ']' are not allowed in it", where, e.Path)
		}
		rest := f[1:]
		if len(rest) > 0 && strings.HasPrefix(rest[0], "[") {
			// Options run from '[' to the word ending with ']'.
			joined := strings.Join(rest, " ")
			end := strings.IndexByte(joined, ']')
			if end < 0 {
				return nil, fmt.Errorf("%s: missing ']' after the options", where)
			}
			opts := strings.Fields(joined[1:end])
			rest = strings.Fields(joined[end+1:])
			o := &Options{}
			for j := 0; j < len(opts); j++ {
				w := opts[j]
				if !IsOption(w, CtxCrtList) {
					return nil, fmt.Errorf("%s: %q is not a crt-list option Baton supports (supported: %s)", where, w, strings.Join(OptionNames(CtxCrtList), ", "))
				}
				v := ""
				if TakesValue(w) {
					if j+1 >= len(opts) {
						return nil, fmt.Errorf("%s: %s expects a value", where, w)
					}
					j++
					v = opts[j]
				}
				if err := o.Apply(w, v, CtxCrtList, func(s string) { warn(where + ": " + s) }); err != nil {
					return nil, fmt.Errorf("%s: %s: %v", where, w, err)
				}
			}
			e.Opts = o
		}
		for _, flt := range rest {
			if strings.ContainsAny(flt, "[]") {
				return nil, fmt.Errorf("%s: SNI filter %q: options must come right after the certificate", where, flt)
			}
			if msg := checkFilter(flt); msg != "" {
				return nil, fmt.Errorf("%s: SNI filter %q: %s", where, flt, msg)
			}
			e.Filters = append(e.Filters, strings.ToLower(flt))
		}
		out = append(out, e)
	}
	return out, nil
}

// checkFilter validates an SNI filter: a host name, optionally "*." then
// a name, optionally negated with '!', or "!*".
func checkFilter(f string) string {
	f = strings.TrimPrefix(f, "!")
	if f == "*" {
		return ""
	}
	f = strings.TrimPrefix(f, "*.")
	if f == "" || len(f) > 253 {
		return "not a host name"
	}
	for i := 0; i < len(f); i++ {
		c := f[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_') {
			return "not a host name"
		}
	}
	return ""
}
