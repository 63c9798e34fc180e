package expr

import "testing"

// TestEvalAllocs proves that evaluating the common fetches, converters,
// map lookups and formats allocates nothing once the scratch buffer has
// grown.
func TestEvalAllocs(t *testing.T) {
	env := testEnv()
	var exprs []*Expr
	for _, s := range []string{
		"path", "req.hdr(host),lower,host_only", "req.hdr(host),lower,map_dom(files/dom.map,none)",
		"src,ipmask(24)", "req.cook(sid)", "urlp(y)", "base", "req.hdr(x-list,2),upper",
		"str(f1_f2_f3),field(2,_)", "int(5),add(3),mul(2)", "req.body_param(b),url_dec",
		"str(abc),sdbm(1)", "str(abc),xxh3", "str(abc),sha2,hex", "date,http_date",
		"int(1700000000),utime(%Y-%m-%d)", "str(k1),map_str_int(files/mi.map,0)",
		"ipv4(10.1.2.3),map_ip(files/ip.map)", "req.hdr_ip(x-forwarded-for)",
	} {
		e, err := Compile(s, env)
		if err != nil {
			t.Fatal(err)
		}
		exprs = append(exprs, e)
	}
	f, err := CompileFormat("%[src]:%cp %{+Q}HM %[req.hdr(host),lower] %{+X}o%Ts", env)
	if err != nil {
		t.Fatal(err)
	}
	c := testCtx(t)
	out := make([]byte, 0, 4096)
	run := func() {
		c.BeginRequest()
		c.Req, c.Resp = testCtx(t).Req, nil
		for _, e := range exprs {
			out = e.AppendString(out[:0], c)
		}
		out = f.Append(out[:0], c)
	}
	run()
	req := c.Req
	allocs := testing.AllocsPerRun(200, func() {
		c.BeginRequest()
		c.Req = req
		for _, e := range exprs {
			out = e.AppendString(out[:0], c)
		}
		out = f.Append(out[:0], c)
	})
	if allocs != 0 {
		t.Errorf("evaluation allocates %.1f times per request", allocs)
	}
}
