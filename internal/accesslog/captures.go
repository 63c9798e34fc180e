package accesslog

import lf "baton/internal/logformat"

// captures returns the slots a capture variable logs (%hr %hrl: the
// request's; %hs %hsl: the response's) and whether it is the list form;
// ok is false for another variable.
func (e *Entry) captures(v lf.Var) (caps [][]byte, list, ok bool) {
	switch v {
	case lf.Varhr, lf.Varhrl:
		return e.CapturedReq, v == lf.Varhrl, true
	case lf.Varhs, lf.Varhsl:
		return e.CapturedRes, v == lf.Varhsl, true
	}
	return nil, false, false
}

// appendCaptures writes capture slots as HAProxy does: %hr as
// "{a|b}" (quoted whole with +Q), %hrl as "a b" (each quoted with +Q,
// an empty slot "-" unless quoted), values encoded with '#' and two hex
// digits for control characters, bytes from 127 and `"#{|}`.
func appendCaptures(b []byte, caps [][]byte, list, quote bool) []byte {
	if !list {
		if quote {
			b = append(b, '"')
		}
		b = append(b, '{')
		for i, c := range caps {
			if i > 0 {
				b = append(b, '|')
			}
			b = appendHdrEncoded(b, c)
		}
		b = append(b, '}')
		if quote {
			b = append(b, '"')
		}
		return b
	}
	for i, c := range caps {
		if i > 0 {
			b = append(b, ' ')
		}
		switch {
		case quote:
			b = append(b, '"')
			b = appendHdrEncoded(b, c)
			b = append(b, '"')
		case c == nil:
			b = append(b, '-')
		default:
			b = appendHdrEncoded(b, c)
		}
	}
	return b
}

// appendHdrEncoded appends v with HAProxy's header encoding for logs.
func appendHdrEncoded(b, v []byte) []byte {
	const hex = "0123456789ABCDEF"
	for _, c := range v {
		if c < 32 || c >= 127 || c == '"' || c == '#' || c == '{' || c == '|' || c == '}' {
			b = append(b, '#', hex[c>>4], hex[c&15])
			continue
		}
		b = append(b, c)
	}
	return b
}
