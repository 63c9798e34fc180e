package check

import (
	"bytes"
	"encoding/hex"
	"strings"
)

// customExpect is a protocol check's own answer parser (mysql, ldap,
// agent): it sets the run's result when it decides.
type customExpect func(r *run, rule *Rule, lastRead bool) evalRet

// expect evaluates an expect rule against what was read so far.
func (r *run) expect(rule *Rule) evalRet {
	if r.rs.Kind == KindHTTP {
		return r.expectHTTP(rule)
	}
	e := rule.Expect
	lastRead := r.eof
	in := r.in
	if !lastRead {
		if (e.Kind == ExpString || e.Kind == ExpBinary) && len(in) < len(e.Data) {
			return evalWait
		}
		if e.MinRecv > 0 && len(in) < e.MinRecv {
			return evalWait
		}
	}
	match := e.Negate
	st := e.Err
	if st == 0 {
		st = StatusL7Rsp
	}
	switch e.Kind {
	case ExpString, ExpBinary:
		match = bytes.Contains(in, e.Data)
	case ExpRegex:
		match = e.Regex.Match(in)
	case ExpBinaryRegex:
		match = e.Regex.Match([]byte(strings.ToUpper(hex.EncodeToString(in))))
	case ExpStringLF, ExpBinaryLF:
		r.env.Resp = in
		pat := e.Fmt.Append(nil, &r.env)
		if len(pat) == 0 {
			r.set(StatusL7Rsp, "log-format string evaluated to an empty string")
			return evalStop
		}
		if e.Kind == ExpBinaryLF {
			b, err := ParseHex(string(pat))
			if err != nil {
				r.set(StatusL7Rsp, "Failed to parse hexastring resulting of eval of a log-format string")
				return evalStop
			}
			pat = b
		}
		match = false
		if len(in) < len(pat) {
			if !lastRead {
				return evalWait
			}
			break
		}
		match = bytes.Contains(in, pat)
	case ExpCustom:
		return e.custom(r, rule, lastRead)
	}
	if !match && !lastRead && e.MinRecv == -1 {
		return evalWait
	}
	if match != e.Negate {
		return evalContinue
	}
	r.set(st, r.errorInfo(rule, match, ""))
	return evalStop
}

// errorInfo builds the info of a failed expect rule: the given text, or
// the rule's on-error format, or for a tcp-check ruleset HAProxy's
// generic message; then the rule's comment; and its status-code.
func (r *run) errorInfo(rule *Rule, matched bool, info string) string {
	e := rule.Expect
	var b []byte
	switch {
	case info != "":
		b = append(b, info...)
	case e.OnError != nil:
		r.env.Resp = r.respBytes()
		b = e.OnError.Append(b, &r.env)
	case r.rs.Kind == KindTCP:
		if matched {
			b = append(b, "TCPCHK matched unwanted content"...)
		} else {
			b = append(b, "TCPCHK did not match content"...)
		}
		step := rule.Step()
		switch e.Kind {
		case ExpString:
			b = append(b, " '"...)
			b = append(b, e.Data...)
			b = append(b, '\'')
		case ExpBinary:
			b = append(b, " (binary)"...)
		case ExpRegex:
			b = append(b, " (regex)"...)
		case ExpBinaryRegex:
			b = append(b, " (binary regex)"...)
		case ExpStringLF:
			b = append(b, " (log-format string)"...)
		case ExpBinaryLF:
			b = append(b, " (log-format binary)"...)
		case ExpCustom:
			b = append(b, " (custom function)"...)
		}
		b = append(b, " at step "...)
		b = appendInt(b, step)
	}
	if rule.Comment != "" {
		b = append(b, " comment: "...)
		b = append(b, rule.Comment...)
	}
	r.statusCode(e)
	return string(b)
}

func appendInt(b []byte, n int) []byte {
	if n >= 10 {
		b = appendInt(b, n/10)
	}
	return append(b, byte('0'+n%10))
}
