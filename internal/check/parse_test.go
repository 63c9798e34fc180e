package check

import (
	"strings"
	"testing"
)

func TestParseRule(t *testing.T) {
	tests := []struct {
		kind Kind
		args string // words separated by |
		err  string // "" for success
	}{
		{KindTCP, "connect", ""},
		{KindTCP, "connect|port|8080|linger|comment|c", ""},
		{KindTCP, "connect|port|var(check.port)", ""},
		{KindTCP, "connect|port|70000", "valid TCP port"},
		{KindTCP, "connect|addr|10.0.0.1:99|send-proxy", ""},
		{KindTCP, "connect|bogus", "expects 'comment'"},
		{KindTCP, "connect|via-socks4", ""},
		{KindTCP, "connect|proto|h2", "not supported"},
		{KindTCP, "send|PING\r\n", ""},
		{KindTCP, "send", "expects a string"},
		{KindTCP, "send|x|extra", "expects 'comment'"},
		{KindTCP, "send-binary|50494e47", ""},
		{KindTCP, "send-binary|504", "odd length"},
		{KindTCP, "send-binary|zz", "invalid hexadecimal"},
		{KindTCP, "send-lf|%[var(check.x)]\r\n", ""},
		{KindTCP, "send-lf|%ci", "not available in health checks"},
		{KindTCP, "send-lf|%[req.hdr(host)]", "not available in health checks"},
		{KindTCP, "expect|string|+PONG", ""},
		{KindTCP, "expect|!|string|ERR", ""},
		{KindTCP, "expect|!string|ERR", ""},
		{KindTCP, "expect|rstring|^role:(master)", ""},
		{KindTCP, "expect|rstring|(?<=x)", "invalid regular expression"},
		{KindTCP, "expect|binary|2b504f4e47", ""},
		{KindTCP, "expect|rbinary|^2B", ""},
		{KindTCP, "expect|status|200", "only supports"},
		{KindTCP, "expect|min-recv|4|string|x|comment|c|ok-status|L4OK|error-status|L7STS|tout-status|L6TOUT", ""},
		{KindTCP, "expect|ok-status|L7STS|string|x", "ok-status only supports"},
		{KindTCP, "expect|!|min-recv|3|string|x", "[!] not supported"},
		{KindTCP, "expect|string|a|string|b", "only one pattern"},
		{KindTCP, "expect|min-recv|3", "pattern not found"},
		{KindTCP, "expect", "at least a matching pattern"},
		{KindTCP, "comment|hello", ""},
		{KindTCP, "set-var(check.port)|int(8080)", ""},
		{KindTCP, "set-var(check.port,ifnotset,ifgt)|int(8080)", ""},
		{KindTCP, "set-var(txn.port)|int(8080)", "not available in checks"},
		{KindTCP, "set-var(check.port,ifbad)|int(1)", "unknown condition"},
		{KindTCP, "set-var-fmt(check.name)|%[str(x)]", ""},
		{KindTCP, "unset-var(check.port)", ""},
		{KindTCP, "unset-var(check.port)|x", "only a variable name"},
		{KindTCP, "bogus", "unknown action"},
		{KindHTTP, "send|meth|GET|uri|/health|ver|HTTP/1.1|hdr|Host|example.com|body|x", ""},
		{KindHTTP, "send|uri-lf|/%[var(check.p)]|body-lf|%[str(x)]", ""},
		{KindHTTP, "send|hdr|Host", "name and a value"},
		{KindHTTP, "send|hdr|Host|a|hdr|host|b", "already defined"},
		{KindHTTP, "send|meth|G\tET", "invalid method"},
		{KindHTTP, "send|oops|x", "expects 'comment'"},
		{KindHTTP, "expect|status|200,201,300-310", ""},
		{KindHTTP, "expect|status|300-200", "invalid range"},
		{KindHTTP, "expect|status|2xx", "invalid list"},
		{KindHTTP, "expect|!|rstatus|^5", ""},
		{KindHTTP, "expect|string|OK", ""},
		{KindHTTP, "expect|binary|00", "only supports"},
		{KindHTTP, "expect|hdr|name|set-cookie|value|-m|beg|sessid=", ""},
		{KindHTTP, "expect|fhdr|name|-m|reg|^x-|value|-m|sub|a", ""},
		{KindHTTP, "expect|hdr|name-lf|-m|reg|x", "do not work with -m reg"},
		{KindHTTP, "expect|hdr|value|x", "name keyword"},
		{KindHTTP, "expect|hdr|name|-m|bad|x", "-m only supports"},
		{KindHTTP, "connect|port|443|sni|example.com|alpn|h2,http/1.1|ssl", ""},
		{KindHTTP, "connect|proto|none", "does not suit"},
	}
	for _, tt := range tests {
		args := strings.Split(tt.args, "|")
		_, err := ParseRule(tt.kind, args)
		switch {
		case tt.err == "" && err != nil:
			t.Errorf("%q: unexpected error %v", tt.args, err)
		case tt.err != "" && err == nil:
			t.Errorf("%q: want error %q, got none", tt.args, tt.err)
		case tt.err != "" && !strings.Contains(err.Error(), tt.err):
			t.Errorf("%q: error %q, want it to contain %q", tt.args, err, tt.err)
		}
	}
}

// build adds lines ("send PING" with | between words) to a ruleset.
func build(t *testing.T, kind Kind, lines ...string) (*Ruleset, error) {
	t.Helper()
	rs := &Ruleset{Kind: kind}
	for _, l := range lines {
		var r *Rule
		var err error
		if args, ok := strings.CutPrefix(l, "option|"); ok {
			r, _, err = ParseHTTPChkOption(strings.Split(args, "|")[1:])
		} else {
			r, err = ParseRule(kind, strings.Split(l, "|"))
		}
		if err != nil {
			t.Fatalf("%q: %v", l, err)
		}
		if err := rs.Add(r); err != nil {
			return rs, err
		}
	}
	return rs, rs.Finish()
}

// shape summarises a finished ruleset: one letter per rule (C connect,
// c implicit connect, S send, E expect, V variable) and comments.
func shape(rs *Ruleset) string {
	var b strings.Builder
	for _, r := range rs.Rules {
		switch r.Action {
		case ActConnect:
			if r.Connect.Implicit {
				b.WriteByte('c')
			} else {
				b.WriteByte('C')
			}
		case ActSend:
			b.WriteByte('S')
		case ActExpect:
			b.WriteByte('E')
		default:
			b.WriteByte('V')
		}
		if r.Comment != "" {
			b.WriteString("(" + r.Comment + ")")
		}
	}
	return b.String()
}

func TestRulesetOrder(t *testing.T) {
	tests := []struct {
		kind  Kind
		lines []string
		shape string // or the error
	}{
		{KindTCP, nil, "c"},
		{KindTCP, []string{"send|PING", "expect|string|+PONG"}, "cSE"},
		{KindTCP, []string{"connect", "send|x", "expect|string|y"}, "CSE"},
		{KindTCP, []string{"comment|c1", "connect", "send|x"}, "C(c1)S"},
		{KindTCP, []string{"set-var(check.p)|int(1)", "connect|port|var(check.p)"}, "VC"},
		{KindTCP, []string{"send|x", "connect"}, "first step MUST also be a 'connect'"},
		{KindTCP, []string{"comment|ph", "send|a", "send|b", "expect|string|c", "comment|q", "send|d"}, "cS(ph)S(ph)ES(q)"},
		{KindHTTP, []string{"option|httpchk|GET|/x"}, "cSE"},
		{KindHTTP, []string{"option|httpchk", "expect|status|200"}, "cSE"},
		{KindHTTP, []string{"expect|status|200", "send|meth|GET"}, "missing connect rule"},
		{KindHTTP, []string{"connect", "expect|status|200"}, "missing send rule"},
		{KindHTTP, []string{"connect", "send|meth|GET", "connect|port|81"}, "missing expect rule"},
		{KindHTTP, []string{"option|httpchk", "connect", "send|hdr|host|x", "expect|status|200", "connect|port|81", "send|meth|GET"}, "CSECSE"},
		{KindHTTP, []string{"connect|port|80", "option|httpchk|GET|/"}, "CSE"},
	}
	for _, tt := range tests {
		rs, err := build(t, tt.kind, tt.lines...)
		got := ""
		if err != nil {
			got = err.Error()
		} else {
			got = shape(rs)
		}
		if !strings.Contains(got, tt.shape) || err == nil && got != tt.shape {
			t.Errorf("%q: got %q, want %q", tt.lines, got, tt.shape)
		}
	}
}

// The request of "option httpchk" and the first "http-check send" merge,
// whichever comes first; a later option overrides what it sets.
func TestOptionRequestMerge(t *testing.T) {
	rs, err := build(t, KindHTTP, "option|httpchk|GET|/health|HTTP/1.1", "send|hdr|Host|example.com")
	if err != nil {
		t.Fatal(err)
	}
	req := rs.Rules[1].Send.HTTP
	if req.Method != "GET" || req.URI != "/health" || req.Version != "HTTP/1.1" || len(req.Headers) != 1 || req.FromOption {
		t.Errorf("merged request %+v", req)
	}
	rs, err = build(t, KindHTTP, "send|meth|POST|uri|/a|hdr|X|1", "option|httpchk|GET|/b")
	if err != nil {
		t.Fatal(err)
	}
	req = rs.Rules[1].Send.HTTP
	if req.Method != "GET" || req.URI != "/b" || len(req.Headers) != 0 {
		t.Errorf("option after send: %+v", req)
	}
}

func TestHTTPChkOptionTrick(t *testing.T) {
	r, warn, err := ParseHTTPChkOption([]string{"GET", "/", "HTTP/1.1\r\nHost: www\r\nX-A: b"})
	if err != nil || warn == "" {
		t.Fatalf("err %v warn %q", err, warn)
	}
	req := r.Send.HTTP
	if req.Version != "HTTP/1.1" || len(req.Headers) != 2 || req.Headers[0].Name != "Host" {
		t.Errorf("request %+v", req)
	}
	if _, _, err := ParseHTTPChkOption([]string{"GET", "/", "HTTP/1.1", "x"}); err == nil {
		t.Error("four arguments accepted")
	}
}

func TestExprAndFormat(t *testing.T) {
	vars := NewVars()
	vars.Set("check.user", StrValue("bob"))
	vars.Set("check.n", IntValue(19))
	env := &Env{Resp: []byte("554 5.7.1 go away\r\nmore"), Vars: vars}
	tests := []struct{ f, want string }{
		{"%[res.payload(0,0),cut_crlf]", "554 5.7.1 go away"},
		{"%[res.payload(4,0),ltrim(' '),cut_crlf]", "5.7.1 go away"},
		{"%[res.payload(0,3)]", "554"},
		{"%[var(check.n),htonl,hex]00", "0000001300"},
		{"%[var(check.user),hex]", "626F62"},
		{"%[var(check.nope)]x", "x"},
		{"%[var(check.nope,dflt)]", "dflt"},
		{"100%%", "100%"},
		{"%[str(a\\,b),upper,length]", "3"},
		{"%[int(5),add(3)]", "8"},
		{"%[res.len]", "23"},
	}
	for _, tt := range tests {
		f, err := ParseFormat(tt.f)
		if err != nil {
			t.Errorf("%q: %v", tt.f, err)
			continue
		}
		if got := string(f.Append(nil, env)); got != tt.want {
			t.Errorf("%q: got %q, want %q", tt.f, got, tt.want)
		}
	}
	for _, bad := range []string{"%[nope]", "%[str(x),nope]", "%[str(x)", "%H", "%[res.payload(1)]", "%[int(x)]"} {
		if _, err := ParseFormat(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseAgentReply(t *testing.T) {
	tests := []struct {
		in   string
		want AgentReply
	}{
		{"up\n", AgentReply{Health: "up", MaxConn: -1}},
		{"75% drain\r\n", AgentReply{Weight: "75%", Admin: "drain", MaxConn: -1}},
		{"DOWN #disk full\n", AgentReply{Health: "down", Desc: "disk full", MaxConn: -1}},
		{"DOWN#disk", AgentReply{Err: "DOWN#disk", MaxConn: -1}},
		{"maxconn:30,ready,up", AgentReply{Health: "up", Admin: "ready", MaxConn: 30}},
		{"fail # broken \n", AgentReply{Health: "fail", Desc: "broken ", MaxConn: -1}},
		{"hello up 50% 60%", AgentReply{Health: "up", Weight: "60%", Err: "hello", MaxConn: -1}},
		{"maxconn:x", AgentReply{Err: "maxconn:x", MaxConn: -1}},
	}
	for _, tt := range tests {
		if got := ParseAgentReply(tt.in); got != tt.want {
			t.Errorf("%q: got %+v, want %+v", tt.in, got, tt.want)
		}
	}
}

func FuzzParseRule(f *testing.F) {
	for _, s := range []string{"expect|string|x", "connect|port|var(a.b)", "send-lf|%[str(x),hex]", "expect|hdr|name|x|value|-m|reg|y", "set-var(check.x,ifgt)|int(3)"} {
		f.Add(s, true)
		f.Add(s, false)
	}
	f.Fuzz(func(t *testing.T, line string, http bool) {
		kind := KindTCP
		if http {
			kind = KindHTTP
		}
		r, err := ParseRule(kind, strings.Split(line, "|"))
		if err == nil && r == nil {
			t.Fatal("nil rule without error")
		}
		if err == nil {
			rs := &Ruleset{Kind: kind}
			if rs.Add(r) == nil {
				rs.Finish()
			}
		}
	})
}

func FuzzParseAgentReply(f *testing.F) {
	f.Add("up 75% maxconn:10 drain # text\n")
	f.Add(",,\t#")
	f.Fuzz(func(t *testing.T, s string) {
		a := ParseAgentReply(s)
		if a.MaxConn < -1 {
			t.Fatalf("maxconn %d", a.MaxConn)
		}
	})
}
