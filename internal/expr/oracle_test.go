package expr

import (
	"fmt"
	"testing"
)

// testFiles are the map files the oracle table names.
var testFiles = map[string]string{
	"files/m.map":   "k1 v1\nk2 v two\n",
	"files/mi.map":  "k1 42\n",
	"files/dom.map": "example.com dom\n",
	"files/beg.map": "/api v-api\n/api/v1 v-api-v1\n",
	"files/int.map": "10 ten\n15 fifteen\n",
	"files/ip.map":  "10.0.0.0/8 wide\n10.1.0.0/16 narrow\n",
}

func testEnv() *Env {
	return NewEnv(func(name string) ([]byte, error) {
		d, ok := testFiles[name]
		if !ok {
			return nil, fmt.Errorf("open %s: no such file", name)
		}
		return []byte(d), nil
	})
}

// oracle holds expressions and what HAProxy 2.6.12 answers for each
// ("%[expr]" in an lf-string of http-request return; "" is an empty
// value or no value: an lf-string cannot tell them apart). The frontend
// had "http-request set-var(txn.n) int(10)".
var oracle = []struct{ expr, want string }{
	{"str(Hello),lower", "hello"},
	{"str(Hello),upper", "HELLO"},
	{"str(Hello),length", "5"},
	{"str(abcdef),bytes(2)", "cdef"},
	{"str(abcdef),bytes(2,3)", "cde"},
	{"str(abcdef),bytes(10)", ""},
	{"str(f1_f2_f3__f5),field(5,_)", "f5"},
	{"str(f1_f2_f3__f5),field(2,_,0)", "f2_f3__f5"},
	{"str(f1_f2_f3__f5),field(2,_,2)", "f2_f3"},
	{"str(f1_f2_f3__f5),field(-2,_,3)", "f2_f3_"},
	{"str(f1_f2_f3__f5),field(-3,_,0)", "f1_f2_f3"},
	{"str(f1_f2_f3__f5),field(4,_)", ""},
	{"str(f1_f2_f3__f5),field(9,_)", ""},
	{"str(f1_f2_f3__f5),field(-9,_)", ""},
	{"str(f1_f2_f3__f5),field(1,_)", "f1"},
	{"str(f1_f2_f3__f5),field(-1,_)", "f5"},
	{"str(f1_f2_f3__f5),word(4,_)", "f5"},
	{"str(f1_f2_f3__f5),word(2,_,0)", "f2_f3__f5"},
	{"str(f1_f2_f3__f5),word(-2,_,2)", "f2_f3"},
	{"str(__a__b__),word(1,_)", "a"},
	{"str(__a__b__),word(-1,_)", "b"},
	{"str(__a__b__),word(3,_)", ""},
	{"str(a.b.c),field(2,.)", "b"},
	{"str(/a//b/),regsub(/+,/,g)", "/a/b/"},
	{"str(foo123bar),regsub([0-9]+,N)", "fooNbar"},
	{"str(aXbXc),regsub(x,-,gi)", "a-b-c"},
	{"str(foo42),regsub('(o+)([0-9])','<\\1>',g)", "f<oo>2"},
	{"str(abc),regsub(^,>,g)", ">abc"},
	{"str(abc),regsub(z*,-,g)", "-a-b-c-"},
	{"str(Hi),hex", "4869"},
	{"str(4A),hex2i", "74"},
	{"str(zz),hex2i", ""},
	{"str(hello),base64", "aGVsbG8="},
	{"str(aGVsbG8=),b64dec", "hello"},
	{"str(hello?),ub64enc", "aGVsbG8_"},
	{"str(a%20b+c?d+e),url_dec", "a b+c?d e"},
	{"str(a%20b+c),url_dec(1)", "a b c"},
	{"str(a b/c?d=e&f),url_enc", "a%20b%2Fc%3Fd%3De%26f"},
	{"str(a/b),json", "a\\/b"},
	{"str(\u00e9),json", "\\u00c3\\u00a9"},
	{"str(\u00e9),json(utf8)", "\\u00e9"},
	{"str(a),concat(<,txn.none,>)", "a<>"},
	{"str(xxabcxx),ltrim(x)", "abcxx"},
	{"str(xxabcxx),rtrim(x)", "xxabc"},
	{"str(Example.COM:8080),host_only", "example.com"},
	{"str([::1]:443),host_only", "[::1]"},
	{"str(example.com:8080),port_only", "8080"},
	{"str(example.com),port_only", "0"},
	{"int(1),iif(yes,no)", "yes"},
	{"int(0),iif(yes,no)", "no"},
	{"int(5),add(3)", "8"},
	{"int(5),sub(7)", "-2"},
	{"int(5),mul(-3)", "-15"},
	{"int(7),div(2)", "3"},
	{"int(7),div(0)", "9223372036854775807"},
	{"int(-7),mod(3)", "-1"},
	{"int(7),mod(0)", "0"},
	{"int(12),and(10)", "8"},
	{"int(12),or(3)", "15"},
	{"int(12),xor(10)", "6"},
	{"int(5),neg", "-5"},
	{"int(5),cpl", "-6"},
	{"int(5),bool", "1"},
	{"int(0),not", "1"},
	{"int(3),odd", "1"},
	{"int(3),even", "0"},
	{"str(abc),sdbm", "807794786"},
	{"str(abc),sdbm(1)", "659243622"},
	{"str(abc),djb2", "193485963"},
	{"str(abc),djb2(1)", "2235766107"},
	{"str(abc),wt6", "2483038440"},
	{"str(abc),wt6(1)", "266135527"},
	{"str(abc),crc32", "891568578"},
	{"str(abc),crc32(1)", "930845320"},
	{"str(abc),crc32c", "910901175"},
	{"str(abc),xxh32", "852579327"},
	{"str(abc),xxh32(7)", "1473238068"},
	{"str(abc),xxh64", "4952883123889572249"},
	{"str(abc),xxh64(7)", "-7028621457359472937"},
	{"str(),xxh3", "3244421341483603138"},
	{"str(a),xxh3", "-1817709641818812897"},
	{"str(abc),xxh3", "8696274497037089104"},
	{"str(abcdefg),xxh3", "6503440028625798447"},
	{"str(abcdefghijklmno),xxh3", "-6274165819908665979"},
	{"str(abcdefghijklmnopqrstuvwxyz0123456789),xxh3", "1257616222406239804"},
	{"str(abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789),xxh3", "-646336908972899999"},
	{"str(abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789),xxh3", "4481281234742531205"},
	{"str(abc),xxh3(7)", "5260018501835528466"},
	{"str(abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0123456789),xxh3(9)", "4906256553540614748"},
	{"str(abc),sha1,hex", "A9993E364706816ABA3E25717850C26C9CD0D89D"},
	{"str(abc),sha2,hex", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"},
	{"str(abc),sha2(224),hex", "23097D223405D8228642A477BDA255B32AADBCE4BDA0B3F7E36C9DA7"},
	{"str(abc),sha2(512),hex", "DDAF35A193617ABACC417349AE20413112E6FA4E89A97EA20A9EEEE64B55D39A2192992A274FC1A836BA3C23A3FEEBBD454D4423643CE80E2A9AC94FA54CA49F"},
	{"str(abc),digest(md5),hex", "900150983CD24FB0D6963F7D28E17F72"},
	{"str(abc),hmac(sha256,a2V5),hex", "9C196E32DC0175F86F4B1CB89289D6619DE6BEE699E4C378E68309ED97A1A6AB"},
	{"int(1700000000),http_date", "Tue, 14 Nov 2023 22:13:20 GMT"},
	{"int(1700000000),http_date(3600)", "Tue, 14 Nov 2023 23:13:20 GMT"},
	{"int(1700000000000),http_date(0,ms)", "Tue, 14 Nov 2023 22:13:20.0 GMT"},
	{"int(1700000000),utime(%Y-%m-%d %H:%M:%S %a %b %j %e %y %p %I)", "2023-11-14 22:13:20 Tue Nov 318 14 23 PM 10"},
	{"int(1700000000),utime(%A %B %c %D %F %T %u %w %U %W %V %G %g %C %%)", "Tuesday November Tue Nov 14 22:13:20 2023 11/14/23 2023-11-14 22:13:20 2 2 46 46 46 2023 23 20 %"},
	{"int(16909060),ipmask(32)", "1.2.3.4"},
	{"ipv4(10.1.2.3),ipmask(16)", "10.1.0.0"},
	{"ipv4(10.1.2.3),ipmask(255.255.255.0)", "10.1.2.0"},
	{"ipv6(2001:db8::1),ipmask(24,64)", "2001:db8::"},
	{"ipv4(10.1.2.3),ipmask(24,64),hex", "0A010200"},
	{"ipv4(1.2.3.4)", "1.2.3.4"},
	{"ipv4(1.2.3.4),add(1)", "16909061"},
	{"bin(01020304050607),be2dec(:,2)", "258:772:1286:7"},
	{"bin(01020304050607),be2dec(-,2,1)", "258-772-1286"},
	{"bin(7f000001),be2dec(.,1)", "127.0.0.1"},
	{"bin(01020304050607),be2hex", "01020304050607"},
	{"bin(01020304050607),be2hex(:,2)", "0102:0304:0506:07"},
	{"bin(01020304050607),be2hex(--,2,1)", "0102--0304--0506"},
	{"int(258),htonl,hex", "00000102"},
	{"str(abc\\r\\ndef),cut_crlf", "abc"},
	{"str(12abc)", "12abc"},
	{"str(12abc),add(1)", "13"},
	{"str(-5x),add(0)", "-5"},
	{"bool(true)", "1"},
	{"bool(false)", "0"},
	{"int(7),add(txn.n)", "17"},
	{"str(abc),bytes(1),hex", "6263"},
	{"str(a),map(files/m.map,def)", "def"},
	{"str(k1),map(files/m.map)", "v1"},
	{"str(k1),map_str_int(files/mi.map,0)", "42"},
	{"str(www.example.com),map_dom(files/dom.map,nodom)", "dom"},
	{"str(/api/v1/x),map_beg(files/beg.map)", "v-api-v1"},
	{"int(15),map_int(files/int.map)", "fifteen"},
	{"ipv4(10.1.2.3),map_ip(files/ip.map)", "narrow"},
	{"ipv4(10.9.2.3),map_ip(files/ip.map)", "wide"},
	{"int(1700000000123),http_date(0,ms)", "Tue, 14 Nov 2023 22:13:20.123 GMT"},
	{"int(1700000000123456),http_date(0,us)", "Tue, 14 Nov 2023 22:13:20.123456 GMT"},
	{"str(a;b=c;d=e),field(2,;)", "b=c"},
	{"str(ab),hex2i", "171"},
}

// TestConvertersAgainstHAProxy evaluates every oracle expression.
func TestConvertersAgainstHAProxy(t *testing.T) {
	env := testEnv()
	n, err := env.Vars.Declare("txn.n")
	if err != nil {
		t.Fatal(err)
	}
	type compiled struct {
		e    *Expr
		want string
	}
	var all []compiled
	for _, o := range oracle {
		e, err := Compile(o.expr, env)
		if err != nil {
			t.Errorf("Compile(%q): %v", o.expr, err)
			continue
		}
		all = append(all, compiled{e, o.want})
	}
	c := &Ctx{Vars: env.Vars.NewVars()}
	c.SetVar(n, &Sample{Type: Int, Int: 10})
	for _, x := range all {
		got := string(x.e.AppendString(nil, c))
		if got != x.want {
			t.Errorf("%s = %q, HAProxy says %q", x.e.Text, got, x.want)
		}
	}
}
