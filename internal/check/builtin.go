package check

import "fmt"

// The rulesets of the protocol check options, as HAProxy 2.6 defines
// them: the same rules a user could write with tcp-check, plus the
// parsers of custom.go where a pattern cannot judge the answer.

func mustRule(kind Kind, args ...string) *Rule {
	r, err := ParseRule(kind, args)
	if err != nil {
		panic(fmt.Sprintf("builtin rule %q: %v", args, err))
	}
	return r
}

func builtin(kind Kind, rules ...*Rule) *Ruleset {
	rs := &Ruleset{Kind: kind}
	for i, r := range rules {
		r.Index = i
		rs.Rules = append(rs.Rules, r)
	}
	for i, r := range rs.Rules {
		if r.Action == ActExpect {
			r.Expect.head = i
		}
	}
	return rs
}

// RedisCheck is "option redis-check": PING, expect +PONG.
func RedisCheck() *Ruleset {
	return builtin(KindRedis,
		mustRule(KindRedis, "send", "*1\r\n$4\r\nPING\r\n"),
		mustRule(KindRedis, "expect", "string", "+PONG\r\n", "error-status", "L7STS",
			"on-error", "%[res.payload(0,0),cut_crlf]", "on-success", "Redis server is ok"))
}

// sslv3Hello is an SSLv3 ClientHello with 39 common cipher suites; its
// time and random fields are filled at each check.
var sslv3Hello = "16" + "0300" + "0079" + "01" + "000075" + "0300" +
	"%[date(),htonl,hex]" + "%[str(HAPROXYSSLCHK\nHAPROXYSSLCHK\n),hex]" +
	"00" + "004E" +
	"0001" + "0002" + "0003" + "0004" + "0005" + "0006" + "0007" + "0008" +
	"0009" + "000A" + "000B" + "000C" + "000D" + "000E" + "000F" + "0010" +
	"0011" + "0012" + "0013" + "0014" + "0015" + "0016" + "0017" + "0018" +
	"0019" + "001A" + "001B" + "002F" + "0030" + "0031" + "0032" + "0033" +
	"0034" + "0035" + "0036" + "0037" + "0038" + "0039" + "003A" +
	"01" + "00"

// SSLHelloCheck is "option ssl-hello-chk": an SSLv3 ClientHello; any
// handshake or alert record in answer passes (L6OK).
func SSLHelloCheck() *Ruleset {
	return builtin(KindSSL3,
		mustRule(KindSSL3, "send-binary-lf", sslv3Hello),
		mustRule(KindSSL3, "expect", "rbinary", "^1[56]", "min-recv", "5", "ok-status", "L6OK",
			"error-status", "L6RSP", "tout-status", "L6TOUT"))
}

// SMTPCheck is "option smtpchk [HELO|EHLO DOMAIN]": the greeting and the
// answer to the hello command must be 2xx replies; then QUIT, whose 2xx
// answer is the passing info (HAProxy 2.6.12: "code: 221, info: 2.0.0
// Bye").
func SMTPCheck(args []string) *Ruleset {
	cmd := "HELO localhost"
	if len(args) >= 2 && (args[0] == "HELO" || args[0] == "EHLO") {
		cmd = args[0] + " " + args[1]
	}
	rs := builtin(KindSMTP,
		mustRule(KindSMTP, "connect", "default", "linger"),
		mustRule(KindSMTP, "expect", "rstring", "^[0-9]{3}[ \r]", "min-recv", "4", "error-status", "L7RSP",
			"on-error", "%[res.payload(0,0),cut_crlf]"),
		mustRule(KindSMTP, "expect", "rstring", "^2[0-9]{2}[ \r]", "min-recv", "4", "error-status", "L7STS",
			"on-error", "%[res.payload(4,0),ltrim(' '),cut_crlf]", "status-code", "res.payload(0,3)"),
		mustRule(KindSMTP, "send-lf", "%[var(check.smtp_cmd)]\r\n"),
		mustRule(KindSMTP, "expect", "rstring", "^2[0-9]{2}[- \r]", "min-recv", "4", "error-status", "L7STS",
			"on-error", "%[res.payload(4,0),ltrim(' '),cut_crlf]", "status-code", "res.payload(0,3)"),
		mustRule(KindSMTP, "send", "QUIT\r\n"),
		mustRule(KindSMTP, "expect", "rstring", "^[0-9]{3}[ \r]", "min-recv", "4", "error-status", "L7RSP",
			"on-error", "%[res.payload(0,0),cut_crlf]"),
		mustRule(KindSMTP, "expect", "rstring", "^2[0-9]{2}[ \r]", "min-recv", "4", "error-status", "L7STS",
			"on-error", "%[res.payload(4,0),ltrim(' '),cut_crlf]", "on-success", "%[res.payload(4,0),ltrim(' '),cut_crlf]",
			"status-code", "res.payload(0,3)"))
	rs.Presets = []Preset{{"check.smtp_cmd", StrValue(cmd)}}
	return rs
}

// PgSQLCheck is "option pgsql-check user USER": a StartupMessage; an
// authentication request or success passes, an ErrorResponse fails.
func PgSQLCheck(user string) *Ruleset {
	rs := builtin(KindPgSQL,
		mustRule(KindPgSQL, "connect", "default", "linger"),
		mustRule(KindPgSQL, "send-binary-lf", "%[var(check.plen),htonl,hex]00030000"+"7573657200"+"%[var(check.username),hex]00"+"00"),
		mustRule(KindPgSQL, "expect", "!rstring", "^E", "min-recv", "5", "error-status", "L7RSP",
			"on-error", "%[res.payload(6,0)]"),
		mustRule(KindPgSQL, "expect", "rbinary", "^52000000(08|0A|0C)000000(00|02|03|04|05|06)", "min-recv", "9",
			"error-status", "L7STS", "on-success", "PostgreSQL server is ok", "on-error", "PostgreSQL unknown error"))
	rs.Presets = []Preset{{"check.username", StrValue(user)}, {"check.plen", IntValue(int64(15 + len(user)))}}
	return rs
}

// MySQLCheck is "option mysql-check [user USER [post-41|pre-41]]":
// without a user, the server's initial handshake must not be an error;
// with one, an authentication packet and QUIT are sent and the answer
// must be OK. The passing info is the server's version.
func MySQLCheck(user string, pre41 bool) *Ruleset {
	rules := []*Rule{mustRule(KindMySQL, "connect", "default", "linger")}
	var presets []Preset
	if user != "" {
		var req string
		plen := len(user) + 7
		if pre41 {
			req = "%[var(check.header),hex]" + "0080" + "000001" + "%[var(check.username),hex]00" + "00" + "010000" + "00" + "01"
		} else {
			plen += 27
			req = "%[var(check.header),hex]" + "00820000" + "00800001" + "21" +
				"0000000000000000000000000000000000000000000000" +
				"%[var(check.username),hex]00" + "00" + "010000" + "00" + "01"
		}
		hdr := []byte{byte(plen), byte(plen >> 8), byte(plen >> 16), 1}
		presets = []Preset{{"check.header", Value{kind: kindBin, b: hdr}}, {"check.username", StrValue(user)}}
		rules = append(rules, mustRule(KindMySQL, "send-binary-lf", req))
	}
	ini := &Rule{Action: ActExpect, Expect: &Expect{Kind: ExpCustom, MinRecv: -1, custom: mysqlInitialHandshake}}
	rules = append(rules, ini)
	if user != "" {
		rules = append(rules, &Rule{Action: ActExpect, Expect: &Expect{Kind: ExpCustom, MinRecv: -1, custom: mysqlOK}})
	}
	rs := builtin(KindMySQL, rules...)
	rs.Presets = presets
	return rs
}

// LDAPCheck is "option ldap-check": an anonymous LDAPv3 simple bind whose
// answer must be a bindResponse with resultCode 0.
func LDAPCheck() *Ruleset {
	return builtin(KindLDAP,
		mustRule(KindLDAP, "send-binary", "300C020101600702010304008000"),
		mustRule(KindLDAP, "expect", "rbinary", "^30", "min-recv", "14", "on-error", "Not LDAPv3 protocol"),
		&Rule{Action: ActExpect, Expect: &Expect{Kind: ExpCustom, MinRecv: -1, custom: ldapBindResponse}})
}

// AgentCheck is an "agent-check": send the agent-send string, if any, and
// read one line.
func AgentCheck(send string) *Ruleset {
	rs := builtin(KindAgent,
		mustRule(KindAgent, "send-lf", "%[var(check.agent_string)]"),
		&Rule{Action: ActExpect, Expect: &Expect{Kind: ExpCustom, MinRecv: -1, custom: agentReply}})
	if send != "" {
		rs.Presets = []Preset{{"check.agent_string", StrValue(send)}}
	}
	return rs
}

// TCPConnect is the check of a server with "check" and no check option:
// a connection (with the server's PROXY header or TLS, if any).
func TCPConnect() *Ruleset { return &Ruleset{Kind: KindPlain} }
