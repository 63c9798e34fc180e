package config

import (
	"os"
	"strconv"
	"strings"
)

// line is one configuration line cut into words, with quotes, escapes and
// comments already resolved.
type line struct {
	Pos   Pos
	Words []string
}

// lex cuts src into lines of words the way HAProxy does: blanks separate
// words, '#' starts a comment, "..." quotes weakly (escapes and $VAR are
// interpreted), '...' quotes strongly (nothing is interpreted) and a
// backslash escapes outside single quotes. A backslash before a character
// that has no escape meaning is kept, so regexes such as \.jpg survive.
// Blank and comment-only lines are dropped.
func lex(name string, src []byte) ([]line, []*Error) {
	var lines []line
	var errs []*Error
	for n, raw := range strings.Split(string(src), "\n") {
		pos := Pos{File: name, Line: n + 1}
		raw = strings.TrimSuffix(raw, "\r")
		words, msg := lexLine(raw)
		if msg != "" {
			errs = append(errs, &Error{Pos: pos, Msg: msg})
			continue
		}
		if len(words) > 0 {
			lines = append(lines, line{Pos: pos, Words: words})
		}
	}
	return lines, errs
}

// lexLine splits one line; msg is non-empty on a syntax error.
func lexLine(s string) (words []string, msg string) {
	var cur strings.Builder
	inWord := false
	const (
		none = iota
		weak
		strong
	)
	quote, quoteStart := none, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch quote {
		case strong:
			if c == '\'' {
				quote = none
			} else {
				cur.WriteByte(c)
			}
			continue
		case weak:
			switch c {
			case '"':
				quote = none
			case '\\':
				n, m := escapeTo(s, i, &cur)
				if m != "" {
					return nil, m
				}
				i += n
			case '$':
				i += expandEnv(s, i, &cur)
			default:
				cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case '#':
			if inWord {
				words = append(words, cur.String())
			}
			return words, ""
		case '"':
			inWord, quote, quoteStart = true, weak, i
		case '\'':
			inWord, quote, quoteStart = true, strong, i
		case '\\':
			inWord = true
			n, m := escapeTo(s, i, &cur)
			if m != "" {
				return nil, m
			}
			i += n
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if quote != none {
		return nil, "unmatched quote starting at column " + strconv.Itoa(quoteStart+1)
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, ""
}

// escapeTo interprets the backslash sequence at s[i] into cur and returns
// how many bytes after the backslash it consumed.
func escapeTo(s string, i int, cur *strings.Builder) (int, string) {
	if i+1 >= len(s) {
		return 0, "backslash at end of line (line continuations are not supported)"
	}
	switch c := s[i+1]; c {
	case ' ', '\t', '#', '\\', '\'', '"', '$':
		cur.WriteByte(c)
	case 'n':
		cur.WriteByte('\n')
	case 'r':
		cur.WriteByte('\r')
	case 't':
		cur.WriteByte('\t')
	case 'x':
		if i+4 > len(s) {
			return 0, `invalid \x escape: two hex digits expected`
		}
		v, err := strconv.ParseUint(s[i+2:i+4], 16, 8)
		if err != nil {
			return 0, `invalid \x escape: two hex digits expected`
		}
		cur.WriteByte(byte(v))
		return 3, ""
	default:
		// Not an escape: keep both characters, as HAProxy does.
		cur.WriteByte('\\')
		cur.WriteByte(c)
	}
	return 1, ""
}

// expandEnv expands $NAME or ${NAME} at s[i] (inside double quotes) into
// cur and returns how many bytes after '$' it consumed. A '$' not followed
// by a name is kept.
func expandEnv(s string, i int, cur *strings.Builder) int {
	j := i + 1
	braced := j < len(s) && s[j] == '{'
	if braced {
		j++
	}
	k := j
	for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || k > j && s[k] >= '0' && s[k] <= '9') {
		k++
	}
	if k == j || braced && (k >= len(s) || s[k] != '}') {
		cur.WriteByte('$')
		return 0
	}
	cur.WriteString(os.Getenv(s[j:k]))
	if braced {
		k++
	}
	return k - i - 1
}
