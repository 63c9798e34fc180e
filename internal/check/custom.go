package check

import (
	"bytes"
	"strconv"
	"strings"
)

// The answer parsers of the protocol checks whose answers a pattern
// cannot judge: MySQL packets, an LDAP bind response, and an agent's
// line.

// mysqlPacket judges the MySQL packet at offset: an error packet (0xff)
// fails with its code and message; otherwise the check goes on, or, for
// the last rule, passes. HAProxy 2.6 logs no info on success (it means to
// show the server version but the log line never carries it), nor do we.
func mysqlPacket(r *run, rule *Rule, off int, lastRead bool) evalRet {
	in := r.in
	if len(in) < off+4 {
		if !lastRead {
			return evalWait
		}
		r.set(StatusL7Rsp, r.errorInfo(rule, false, ""))
		return evalStop
	}
	plen := int(in[off]) | int(in[off+1])<<8 | int(in[off+2])<<16
	if len(in) < off+plen+4 {
		if !lastRead {
			return evalWait
		}
		r.set(StatusL7Rsp, r.errorInfo(rule, false, ""))
		return evalStop
	}
	if plen > 0 && in[off+4] == 0xff {
		if len(in) >= off+7 {
			r.code = int(in[off+5]) | int(in[off+6])<<8
		}
		desc := ""
		if len(in) > off+7 {
			desc = string(in[off+7:])
		}
		r.set(StatusL7Sts, r.errorInfo(rule, false, desc))
		return evalStop
	}
	if !r.lastRule(rule) {
		return evalContinue
	}
	r.set(rule.Expect.okStatus(), "")
	return evalStop
}

func mysqlInitialHandshake(r *run, rule *Rule, lastRead bool) evalRet {
	return mysqlPacket(r, rule, 0, lastRead)
}

// mysqlOK judges the packet after the initial handshake: the answer to
// the authentication.
func mysqlOK(r *run, rule *Rule, lastRead bool) evalRet {
	hs := 4
	if len(r.in) >= 3 {
		hs += int(r.in[0]) | int(r.in[1])<<8 | int(r.in[2])<<16
	}
	return mysqlPacket(r, rule, hs, lastRead)
}

// lastRule reports whether no rule but comments and variable actions
// follow rule.
func (r *run) lastRule(rule *Rule) bool {
	seen := false
	for _, x := range r.rs.Rules {
		if x == rule {
			seen = true
			continue
		}
		if seen && !x.passive() {
			return false
		}
	}
	return true
}

// ldapBindResponse judges an LDAPv3 bindResponse (RFC 4511 4.2.2): the
// message ID 1, a bindResponse, and resultCode 0. The previous rule made
// sure 14 bytes and a SEQUENCE are there.
func ldapBindResponse(r *run, rule *Rule, lastRead bool) evalRet {
	in := r.in
	at := func(i int) byte {
		if i < len(in) {
			return in[i]
		}
		return 0
	}
	notLDAP := func() evalRet {
		r.set(StatusL7Rsp, r.errorInfo(rule, false, "Not LDAPv3 protocol"))
		return evalStop
	}
	msglen := 0
	if at(1)&0x80 != 0 {
		msglen = int(at(1) & 0x7f)
	}
	if msglen > 2 || len(in) < 6+msglen || !bytes.Equal(in[2+msglen:6+msglen], []byte{0x02, 0x01, 0x01, 0x61}) {
		return notLDAP()
	}
	if at(msglen+6)&0x80 != 0 {
		msglen += int(at(msglen+6) & 0x7f)
	}
	if msglen > 4 || len(in) < 10+msglen || !bytes.Equal(in[7+msglen:9+msglen], []byte{0x0a, 0x01}) {
		return notLDAP()
	}
	r.code = int(at(msglen + 9))
	if r.code != 0 {
		r.set(StatusL7Sts, r.errorInfo(rule, false, "See RFC: http://tools.ietf.org/html/rfc4511#section-4.1.9"))
		return evalStop
	}
	// HAProxy 2.6 reports the success without its "Success" text: the
	// end of the ruleset sets the status again, with no info.
	r.set(rule.Expect.okStatus(), "")
	return evalStop
}

// AgentReply is what an agent's line asked for. Health, Admin and
// Weight are "" when the agent did not say; MaxConn is -1 then.
type AgentReply struct {
	// Health is "up", "down", "stopped" or "fail".
	Health string
	// Admin is "ready", "drain" or "maint".
	Admin string
	// Weight is the word with '%' ("75%").
	Weight string
	// MaxConn is the value of "maxconn:N"; -1 when absent.
	MaxConn int
	// Desc is the text after '#'.
	Desc string
	// Err is the first word the agent sent that means nothing.
	Err string
}

// ParseAgentReply reads an agent's line (up to the first CR or LF):
// words separated by spaces, tabs or commas, in any order, the last of
// each category winning, and an optional description after '#'.
func ParseAgentReply(line string) AgentReply {
	a := AgentReply{MaxConn: -1}
	if i := strings.IndexAny(line, "\r\n"); i >= 0 {
		line = line[:i]
	}
	for line != "" {
		c := line[0]
		if c == ' ' || c == '\t' || c == ',' {
			line = line[1:]
			continue
		}
		if c == '#' {
			a.Desc = strings.TrimLeft(line[1:], " \t")
			break
		}
		end := strings.IndexAny(line, " \t,")
		if end < 0 {
			end = len(line)
		}
		w := line[:end]
		line = line[end:]
		lw := strings.ToLower(w)
		switch {
		case lw == "up" || lw == "down" || lw == "stopped" || lw == "fail":
			a.Health = lw
		case lw == "ready" || lw == "drain" || lw == "maint":
			a.Admin = lw
		case w[0] >= '0' && w[0] <= '9' && strings.Contains(w, "%"):
			a.Weight = w
		case strings.HasPrefix(lw, "maxconn:"):
			if n, err := strconv.Atoi(w[len("maxconn:"):]); err == nil && n >= 0 {
				a.MaxConn = n
			} else if a.Err == "" {
				a.Err = w
			}
		default:
			if a.Err == "" {
				a.Err = w
			}
		}
	}
	return a
}

// agentReply is the agent check's expect: it waits for a whole line and
// reports it through the run's Agent callback.
func agentReply(r *run, rule *Rule, lastRead bool) evalRet {
	i := bytes.IndexAny(r.in, "\r\n")
	if i < 0 || bytes.IndexByte(r.in[:i], 0) >= 0 {
		if !lastRead {
			return evalWait
		}
		r.set(StatusChecked, "Ignoring incomplete line from agent")
		r.agentIncomplete = true
		return evalStop
	}
	rep := ParseAgentReply(string(r.in[:i]))
	r.agent = &rep
	st := StatusChecked
	switch rep.Health {
	case "up":
		st = StatusL7OK
	case "down", "stopped", "fail":
		st = StatusL7Sts
	}
	r.set(st, "")
	return evalStop
}
