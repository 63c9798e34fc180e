package accesslog

import "strings"

// Why the session ended: first character of a termination state.
var stateCause = map[byte]string{
	'C': "the client aborted",
	'S': "the server aborted or refused the connection",
	'P': "the proxy aborted it (a deny rule, a connection limit or a protocol error)",
	'L': "the proxy handled the request itself",
	'R': "a proxy resource (memory, sockets, source ports) ran out",
	'I': "the proxy detected an internal error",
	'D': "the proxy killed it because the server went down",
	'U': "the proxy killed it on a backup server because an active server came up",
	'K': "an administrator killed it",
	'c': "the client-side timeout expired",
	's': "the server-side timeout expired",
}

// Where the session was: second character.
var statePhase = map[byte]string{
	'R': "while waiting for a complete, valid request from the client (nothing was sent to a server)",
	'Q': "while waiting in a queue for a connection slot",
	'C': "while waiting for the connection to the server to establish",
	'H': "while waiting for the server's response headers",
	'D': "during the data transfer",
	'L': "while sending the last data to the client after the server had finished",
	'T': "while the request was tarpitted",
	'-': "after the end of the transfer",
}

// Persistence cookie sent by the client: third character.
var stateClientCookie = map[byte]string{
	'N': "the client sent no persistence cookie",
	'I': "the client sent a persistence cookie naming no known server",
	'D': "the client's persistence cookie named a server that was down",
	'V': "the client sent a valid persistence cookie",
	'E': "the client's persistence cookie had expired (maxidle)",
	'O': "the client's persistence cookie was too old (maxlife)",
	'U': "the client's persistence cookie was not used to pick the server",
}

// Persistence cookie in the response: fourth character.
var stateServerCookie = map[byte]string{
	'N': "no persistence cookie was set in the response",
	'I': "the proxy inserted a persistence cookie",
	'U': "the proxy updated the persistence cookie's date",
	'P': "the server's persistence cookie was passed through",
	'R': "the proxy rewrote the server's persistence cookie",
	'D': "the proxy deleted the server's persistence cookie",
}

// ExplainState explains a two-character (tcplog) or four-character
// (httplog) termination state in words, e.g. "sH--" gives "the
// server-side timeout expired while waiting for the server's response
// headers". Characters it does not know are named as unknown.
func ExplainState(s string) string {
	if len(s) != 2 && len(s) != 4 {
		return "not a termination state: want 2 (tcplog) or 4 (httplog) characters, got " + quote(s)
	}
	var parts []string
	if s[0] == '-' {
		if s[1] == '-' {
			parts = append(parts, "normal completion: both sides closed with nothing left to send")
		} else {
			parts = append(parts, "the session ended normally "+phase(s[1]))
		}
	} else {
		cause, ok := stateCause[s[0]]
		if !ok {
			cause = "unknown cause " + quote(s[:1])
		}
		if s[1] == '-' {
			parts = append(parts, cause)
		} else {
			parts = append(parts, cause+" "+phase(s[1]))
		}
	}
	if len(s) == 4 {
		for i, table := range []map[byte]string{stateClientCookie, stateServerCookie} {
			c := s[2+i]
			if c == '-' {
				continue
			}
			if d, ok := table[c]; ok {
				parts = append(parts, d)
			} else {
				parts = append(parts, "unknown cookie code "+quote(s[2+i:3+i]))
			}
		}
	}
	return strings.Join(parts, "; ")
}

func phase(c byte) string {
	if p, ok := statePhase[c]; ok {
		return p
	}
	return "in unknown state " + quote(string(c))
}

func quote(s string) string { return "\"" + s + "\"" }
