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

// lexVars resolves the variables of double-quoted text: environment
// variables and the pseudo-variables .FILE, .LINE and .SECTION (the file,
// line and section being parsed).
type lexVars struct {
	lookup  func(string) (string, bool)
	file    string
	line    int
	section string
}

// lexLine cuts one line into words the way HAProxy does: blanks separate
// words, '#' starts a comment, "..." quotes weakly (escapes and variables
// are interpreted), '...' quotes strongly (nothing is interpreted) and a
// backslash escapes outside single quotes. A backslash before a character
// that has no escape meaning is kept, so regexes such as \.jpg survive.
// Empty words at the end of the line are dropped: HAProxy cannot tell
// them from absent ones. msg is non-empty on a syntax error.
func lexLine(s string, vars *lexVars) (words []string, msg string) {
	lx := lineLexer{vars: vars}
	words, msg = lx.run(s, true)
	for len(words) > 0 && words[len(words)-1] == "" {
		words = words[:len(words)-1]
	}
	return words, msg
}

type lineLexer struct {
	vars   *lexVars
	words  []string
	cur    strings.Builder
	inWord bool
}

// endWord closes the current word; another one starts at once when more
// is true (a "[*]" expansion splitting a word).
func (lx *lineLexer) endWord(more bool) {
	lx.words = append(lx.words, lx.cur.String())
	lx.cur.Reset()
	lx.inWord = more
}

// run cuts s; '#' starts a comment only when comments is set.
func (lx *lineLexer) run(s string, comments bool) ([]string, string) {
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
				lx.cur.WriteByte(c)
			}
			continue
		case weak:
			switch c {
			case '"':
				quote = none
			case '\\':
				n, m := escapeTo(s, i, &lx.cur)
				if m != "" {
					return nil, m
				}
				i += n
			case '$':
				n, m := lx.expand(s, i)
				if m != "" {
					return nil, m
				}
				i += n
			default:
				lx.cur.WriteByte(c)
			}
			continue
		}
		switch c {
		case ' ', '\t':
			if lx.inWord {
				lx.endWord(false)
			}
		case '#':
			if !comments {
				lx.inWord = true
				lx.cur.WriteByte(c)
				continue
			}
			if lx.inWord {
				lx.endWord(false)
			}
			return lx.words, ""
		case '"':
			lx.inWord, quote, quoteStart = true, weak, i
		case '\'':
			lx.inWord, quote, quoteStart = true, strong, i
		case '\\':
			lx.inWord = true
			n, m := escapeTo(s, i, &lx.cur)
			if m != "" {
				return nil, m
			}
			i += n
		default:
			lx.inWord = true
			lx.cur.WriteByte(c)
		}
	}
	if quote != none {
		return nil, "unmatched quote starting at column " + strconv.Itoa(quoteStart+1)
	}
	if lx.inWord {
		lx.endWord(false)
	}
	return lx.words, ""
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

// expand resolves the variable at s[i] (a '$' inside double quotes) and
// returns how many bytes after the '$' it took. HAProxy's forms:
//
//	$NAME, ${NAME}      the variable's value, empty when it is not set
//	${NAME-DEFAULT}     DEFAULT (up to the first '}', taken as written)
//	                    when NAME is not set; an empty NAME stays empty
//	${NAME[*]}          the value split on spaces into several words
//	$.FILE, $.LINE, $.SECTION (braces allowed) the position being parsed
//
// NAME is letters, digits and '_', not starting with a digit. Anything
// else after '$' is an error, as in HAProxy: "\$" writes a dollar.
func (lx *lineLexer) expand(s string, i int) (int, string) {
	col := strconv.Itoa(i + 1)
	j := i + 1
	braced := j < len(s) && s[j] == '{'
	if braced {
		j++
	}
	start := j
	if j < len(s) && s[j] == '.' {
		j++
	}
	if j >= len(s) || !(s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		return 0, "invalid variable name after '$' at column " + col + ` (write \$ for a dollar sign)`
	}
	for j < len(s) && (s[j] == '_' || s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z' || s[j] >= '0' && s[j] <= '9') {
		j++
	}
	name := s[start:j]
	value, set := "", false
	if name[0] == '.' {
		switch name {
		case ".FILE":
			value, set = lx.vars.file, true
		case ".LINE":
			value, set = strconv.Itoa(lx.vars.line), true
		case ".SECTION":
			value, set = lx.vars.section, true
		default:
			return 0, "unknown pseudo-variable " + strconv.Quote(name) + " at column " + col + " (.FILE, .LINE, .SECTION)"
		}
	} else {
		lookup := lx.vars.lookup
		if lookup == nil {
			lookup = os.LookupEnv
		}
		value, set = lookup(name)
	}
	split := false
	if braced {
		if strings.HasPrefix(s[j:], "[") {
			if !strings.HasPrefix(s[j:], "[*]") {
				return 0, "invalid word expansion at column " + strconv.Itoa(j+1) + " (only ${NAME[*]})"
			}
			split, j = true, j+3
		}
		// ${NAME-DEFAULT} (HAProxy): DEFAULT when NAME is not set.
		// ${NAME:-DEFAULT} (a Baton extension, the shell's form that
		// Docker users write; HAProxy 2.6 refuses it): also when NAME is
		// set but empty.
		orEmpty := strings.HasPrefix(s[j:], ":-")
		if orEmpty {
			j++
		}
		if j < len(s) && s[j] == '-' {
			end := strings.IndexByte(s[j:], '}')
			if end < 0 {
				return 0, "unmatched brace in the variable starting at column " + col
			}
			if !set || orEmpty && value == "" {
				value = s[j+1 : j+end]
			}
			j += end
		}
		if j >= len(s) || s[j] != '}' {
			return 0, "unmatched brace in the variable starting at column " + col
		}
		j++
	}
	if !split {
		lx.cur.WriteString(value)
		return j - i - 1, ""
	}
	// Each run of spaces ends the word and starts the next one.
	for k := 0; k < len(value); {
		if value[k] != ' ' {
			lx.cur.WriteByte(value[k])
			k++
			continue
		}
		lx.endWord(true)
		for k < len(value) && value[k] == ' ' {
			k++
		}
	}
	return j - i - 1, ""
}
