package expr

import (
	"testing"

	"baton/internal/h1"
)

// FuzzCompile feeds arbitrary expressions to the parser: it must never
// panic, and whatever compiles must evaluate without panicking against a
// request, in a sample and in an ACL context.
func FuzzCompile(f *testing.F) {
	for _, s := range []string{
		"path", "req.hdr(host),lower,map_dom(files/m.map,x)", "str('a,b'),field(2,\\,)",
		"src,ipmask(24,64)", "str(x:80),regsub(:\\d+$,,g)", "int(3),add(txn.n),mul(2)",
		"req.payload(0,3),hex", "var(txn.x,def)", "urlp(a,;)", "str(),json(utf8s)",
		"str(abc),xxh3(7)", "date(0,ms),http_date(0,ms)", "bin(00ff),be2dec(:,1,1)", "str(a)(",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		env := testEnv()
		e, err := Compile(s, env)
		if err != nil {
			return
		}
		var req h1.Request
		h1.ParseRequest([]byte(testRequest), &req, &h1.Limits{})
		c := &Ctx{Req: &req, Vars: env.Vars.NewVars(), Payload: []byte("GET / HTTP/1.1\r\n\r\n")}
		_ = e.AppendString(nil, c)
		it := Iter{Iterate: true}
		for n := 0; n < 100; n++ {
			var smp Sample
			if !e.Next(c, &it, &smp) || !it.More {
				break
			}
		}
	})
}

// FuzzFormat does the same for log-format strings.
func FuzzFormat(f *testing.F) {
	for _, s := range []string{"plain", "%[src]", "%{+Q}ci:%cp %[path,lower]", "%%", "%{+X}o %ci %rt", "%[", "%{"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fm, err := CompileFormat(s, testEnv())
		if err != nil {
			return
		}
		_ = fm.Append(nil, &Ctx{})
	})
}
