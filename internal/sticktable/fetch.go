package sticktable

import (
	"fmt"

	"baton/internal/expr"
)

// The stick-table fetches (sc_*, sc0_* to sc2_*, src_*, table_avl,
// table_cnt) and converters (table_*, in_table), registered with the
// sample language. They reach the tables through expr.Ctx.Stick.

// op is what a fetch of the family does with the entry's data.
type op uint8

const (
	opRead    op = iota // a counter or a rate
	opKBytes            // a byte counter in KiB
	opGetGPC            // gpc0, gpc1 or gpc(idx)
	opGPCRate           // their rates
	opIncGPC            // increment, return the new value
	opClrGPC            // clear, return the old value
	opGetGPT            // gpt0 or gpt(idx)
)

type family struct {
	suffix  string
	d       DataType
	op      op
	gpcIdx  int  // 0 or 1 for the legacy names
	indexed bool // takes the array index as its first argument
}

var families = []family{
	{suffix: "bytes_in_rate", d: DBytesInRate}, {suffix: "bytes_out_rate", d: DBytesOutRate},
	{suffix: "conn_cnt", d: DConnCnt}, {suffix: "conn_cur", d: DConnCur}, {suffix: "conn_rate", d: DConnRate},
	{suffix: "http_err_cnt", d: DHTTPErrCnt}, {suffix: "http_err_rate", d: DHTTPErrRate},
	{suffix: "http_fail_cnt", d: DHTTPFailCnt}, {suffix: "http_fail_rate", d: DHTTPFailRate},
	{suffix: "http_req_cnt", d: DHTTPReqCnt}, {suffix: "http_req_rate", d: DHTTPReqRate},
	{suffix: "sess_cnt", d: DSessCnt}, {suffix: "sess_rate", d: DSessRate},
	{suffix: "kbytes_in", d: DBytesInCnt, op: opKBytes}, {suffix: "kbytes_out", d: DBytesOutCnt, op: opKBytes},
	{suffix: "get_gpc0", op: opGetGPC}, {suffix: "get_gpc1", op: opGetGPC, gpcIdx: 1},
	{suffix: "gpc0_rate", op: opGPCRate}, {suffix: "gpc1_rate", op: opGPCRate, gpcIdx: 1},
	{suffix: "inc_gpc0", op: opIncGPC}, {suffix: "inc_gpc1", op: opIncGPC, gpcIdx: 1},
	{suffix: "clr_gpc0", op: opClrGPC}, {suffix: "clr_gpc1", op: opClrGPC, gpcIdx: 1},
	{suffix: "get_gpt0", op: opGetGPT},
	{suffix: "get_gpc", op: opGetGPC, indexed: true}, {suffix: "gpc_rate", op: opGPCRate, indexed: true},
	{suffix: "inc_gpc", op: opIncGPC, indexed: true}, {suffix: "clr_gpc", op: opClrGPC, indexed: true},
	{suffix: "get_gpt", op: opGetGPT, indexed: true},
}

// value applies f's operation to entry r of t; false when the data is
// not stored.
func (f *family) value(t *Table, r Ref, idx int, now int64) (int64, bool) {
	if !f.indexed {
		idx = f.gpcIdx
	}
	var v uint64
	var ok bool
	switch f.op {
	case opRead:
		v, ok = t.Read(r, f.d, 0, now)
	case opKBytes:
		v, ok = t.Read(r, f.d, 0, now)
		v >>= 10
	case opGetGPC:
		d, _, i := gpcSlot(t, idx)
		v, ok = t.Read(r, d, i, now)
	case opGPCRate:
		_, d, i := gpcSlot(t, idx)
		v, ok = t.Read(r, d, i, now)
	case opIncGPC:
		v, ok = IncGPC(t, r, idx, now)
	case opClrGPC:
		d, rd, i := gpcSlot(t, idx)
		v, ok = t.Set(r, d, i, 0, now)
		t.Set(r, rd, i, 0, now)
	case opGetGPT:
		d, i := gptSlot(t, idx)
		v, ok = t.Read(r, d, i, now)
	}
	return int64(v), ok
}

// mode is how a src_* fetch or a converter looks its key up.
func (f *family) mode() Mode {
	if f.op == opIncGPC {
		return Create
	}
	return Lookup
}

func tracker(c *expr.Ctx) *Tracker {
	k, _ := c.Stick.(*Tracker)
	return k
}

// tableArg resolves a table argument through Env.TableRef.
func tableArg(a *expr.Arg, env *expr.Env) {
	if env != nil && env.TableRef != nil {
		a.Str = env.TableRef(a.Str)
	}
}

func init() {
	for i := range families {
		f := &families[i]
		var lead []expr.ArgType
		if f.indexed {
			lead = []expr.ArgType{expr.ArgInt}
		}
		nl := len(lead)
		// sc_<x>([idx,]ctr[,table])
		expr.RegisterFetch(&expr.Fetch{Name: "sc_" + f.suffix, Args: append(append(lead[:nl:nl], expr.ArgInt), expr.ArgStr),
			MinArgs: nl + 1, Out: expr.Int, Check: checkSC(nl, true), Eval: scEval(f, nl, -1)})
		for n := 0; n < Counters; n++ {
			expr.RegisterFetch(&expr.Fetch{Name: fmt.Sprintf("sc%d_%s", n, f.suffix), Args: append(lead[:nl:nl], expr.ArgStr),
				MinArgs: nl, Out: expr.Int, Check: checkSC(nl, false), Eval: scEval(f, nl, n)})
		}
		expr.RegisterFetch(&expr.Fetch{Name: "src_" + f.suffix, Args: append(lead[:nl:nl], expr.ArgStr),
			MinArgs: nl, Out: expr.Int, Check: checkTable(nl), Eval: srcEval(f, nl)})
		if f.op != opIncGPC && f.op != opClrGPC {
			name := "table_" + f.suffix
			switch f.suffix {
			case "get_gpc0", "get_gpc1", "get_gpt0":
				name = "table_" + f.suffix[4:]
			case "get_gpc", "get_gpt":
				name = "table_" + f.suffix[4:]
			}
			expr.RegisterConv(&expr.Conv{Name: name, Args: append(lead[:nl:nl], expr.ArgStr), MinArgs: nl + 1,
				In: expr.Any, Out: expr.Int, Check: checkTable(nl), Eval: convEval(f, nl)})
		}
	}
	for n := -1; n < Counters; n++ {
		name, args, min := "sc_tracked", []expr.ArgType{expr.ArgInt, expr.ArgStr}, 1
		if n >= 0 {
			name, args, min = fmt.Sprintf("sc%d_tracked", n), []expr.ArgType{expr.ArgStr}, 0
		}
		expr.RegisterFetch(&expr.Fetch{Name: name, Args: args, MinArgs: min, Out: expr.Bool, Check: checkSC(0, n < 0),
			Eval: func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
				ctr := n
				if n < 0 {
					ctr = int(a[0].Int)
				}
				_, r := tracker(c).Tracked(ctr)
				out.SetBool(r != 0)
				return true
			}})
		name = "sc_trackers"
		if n >= 0 {
			name = fmt.Sprintf("sc%d_trackers", n)
		}
		expr.RegisterFetch(&expr.Fetch{Name: name, Args: args, MinArgs: min, Out: expr.Int, Check: checkSC(0, n < 0),
			Eval: func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
				ctr, ta := n, 0
				if n < 0 {
					ctr, ta = int(a[0].Int), 1
				}
				t, r, ok := scEntry(c, ctr, &a[ta], Lookup)
				if !ok {
					return false
				}
				out.SetInt(int64(t.Trackers(r)))
				return true
			}})
	}
	expr.RegisterFetch(&expr.Fetch{Name: "src_updt_conn_cnt", Args: []expr.ArgType{expr.ArgStr}, Out: expr.Int, Check: checkTable(0),
		Eval: func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
			t, r, ok := srcEntry(c, &a[0], Create)
			if !ok || r == 0 {
				return false
			}
			now := c.UnixMilli()
			t.Add(r, DConnRate, 0, 1, now)
			v, ok := t.Add(r, DConnCnt, 0, 1, now)
			out.SetInt(int64(v))
			return ok
		}})
	for _, name := range []string{"table_avl", "table_cnt"} {
		avl := name == "table_avl"
		expr.RegisterFetch(&expr.Fetch{Name: name, Args: []expr.ArgType{expr.ArgStr}, Out: expr.Int, Check: checkTable(0),
			Eval: func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
				t := tracker(c).table(a[0].Str)
				if t == nil {
					return false
				}
				n := t.Count()
				if avl {
					n = max(0, t.Spec.Size-n)
				}
				out.SetInt(int64(n))
				return true
			}})
	}
	expr.RegisterConv(&expr.Conv{Name: "in_table", Args: []expr.ArgType{expr.ArgStr}, MinArgs: 1, In: expr.Any, Out: expr.Bool,
		Check: checkTable(0), Eval: func(c *expr.Ctx, a []expr.Arg, s *expr.Sample) bool {
			_, r, ok := convEntry(c, &a[0], s)
			if !ok {
				return false
			}
			s.SetBool(r != 0)
			return true
		}})
	expr.RegisterConv(&expr.Conv{Name: "table_trackers", Args: []expr.ArgType{expr.ArgStr}, MinArgs: 1, In: expr.Any, Out: expr.Int,
		Check: checkTable(0), Eval: func(c *expr.Ctx, a []expr.Arg, s *expr.Sample) bool {
			t, r, ok := convEntry(c, &a[0], s)
			if !ok {
				return false
			}
			s.SetInt(int64(t.Trackers(r)))
			return true
		}})
	expr.RegisterConv(&expr.Conv{Name: "table_server_id", Args: []expr.ArgType{expr.ArgStr}, MinArgs: 1, In: expr.Any, Out: expr.Int,
		Check: checkTable(0), Eval: func(c *expr.Ctx, a []expr.Arg, s *expr.Sample) bool {
			t, r, ok := convEntry(c, &a[0], s)
			if !ok || r == 0 {
				return false
			}
			v, ok := t.Read(r, DServerID, 0, c.UnixMilli())
			s.SetInt(int64(v))
			return ok
		}})
	for _, name := range []string{"table_expire", "table_idle"} {
		idle := name == "table_idle"
		expr.RegisterConv(&expr.Conv{Name: name, Args: []expr.ArgType{expr.ArgStr, expr.ArgInt}, MinArgs: 1, In: expr.Any, Out: expr.Int,
			Check: checkTable(0), Eval: func(c *expr.Ctx, a []expr.Arg, s *expr.Sample) bool {
				t, r, ok := convEntry(c, &a[0], s)
				if !ok {
					return false
				}
				if r == 0 {
					if a[1].Given {
						s.SetInt(a[1].Int)
						return true
					}
					return false
				}
				exp, touched := t.Expiry(r)
				now := c.UnixMilli()
				v := exp - now
				if idle {
					v = now - touched
				} else if exp == 0 {
					return false
				}
				s.SetInt(max(0, v) / 1000)
				return true
			}})
	}
}

// checkSC prepares the arguments of an sc fetch: the counter number
// (when ctr is set) must be 0 to 2; the table argument after lead and
// the counter is resolved when given.
func checkSC(lead int, ctr bool) func([]expr.Arg, *expr.Env) error {
	return func(a []expr.Arg, env *expr.Env) error {
		ta := lead
		if ctr {
			if a[lead].Int < 0 || a[lead].Int >= Counters {
				return fmt.Errorf("invalid stick counter %d (0 to %d)", a[lead].Int, Counters-1)
			}
			ta++
		}
		if lead > 0 && (a[0].Int < 0 || a[0].Int >= 100) {
			return fmt.Errorf("invalid index %d", a[0].Int)
		}
		if a[ta].Given {
			tableArg(&a[ta], env)
		}
		return nil
	}
}

// checkTable resolves the table argument after lead (the proxy's own
// table when left out).
func checkTable(lead int) func([]expr.Arg, *expr.Env) error {
	return func(a []expr.Arg, env *expr.Env) error {
		if lead > 0 && (a[0].Int < 0 || a[0].Int >= 100) {
			return fmt.Errorf("invalid index %d", a[0].Int)
		}
		tableArg(&a[lead], env)
		return nil
	}
}

func (k *Tracker) table(name string) *Table {
	if k == nil {
		return nil
	}
	return k.Tables.Get(name)
}

// scEntry returns the entry counter ctr tracks, or, with a table
// argument, the entry of the same key in that table (0 when absent).
// ok is false when the counter tracks nothing.
func scEntry(c *expr.Ctx, ctr int, ta *expr.Arg, m Mode) (*Table, Ref, bool) {
	k := tracker(c)
	t, r := k.Tracked(ctr)
	if r == 0 {
		return nil, 0, false
	}
	if !ta.Given || ta.Str == t.Spec.Name {
		return t, r, true
	}
	other := k.table(ta.Str)
	if other == nil {
		return nil, 0, false
	}
	// The tracked key, read back from the entry.
	bo := t.bucketOf(r)
	t.lock(bo)
	k.kbuf = append(k.kbuf[:0], t.keyBytes(int(r))...)
	t.unlock(bo)
	if other.Spec.Type != t.Spec.Type {
		return other, 0, true
	}
	return other, other.Get(Key(k.kbuf), c.UnixMilli(), m), true
}

// srcEntry returns the entry of the client's address in the table
// argument (0 when absent).
func srcEntry(c *expr.Ctx, ta *expr.Arg, m Mode) (*Table, Ref, bool) {
	k := tracker(c)
	t := k.table(ta.Str)
	if t == nil || !c.Src.IsValid() {
		return nil, 0, false
	}
	var s expr.Sample
	s.SetIP(c.Src.Addr())
	key, ok := k.MakeKey(c, t, &s)
	if !ok {
		return t, 0, true
	}
	return t, t.Get(key, c.UnixMilli(), m), true
}

// convEntry looks the converter's input up in the table argument.
func convEntry(c *expr.Ctx, ta *expr.Arg, s *expr.Sample) (*Table, Ref, bool) {
	k := tracker(c)
	t := k.table(ta.Str)
	if t == nil {
		return nil, 0, false
	}
	key, ok := k.MakeKey(c, t, s)
	if !ok {
		return t, 0, true
	}
	return t, t.Get(key, c.UnixMilli(), Lookup), true
}

func scEval(f *family, lead, fixed int) func(*expr.Ctx, []expr.Arg, *expr.Iter, *expr.Sample) bool {
	return func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
		ctr, ta := fixed, lead
		if fixed < 0 {
			ctr, ta = int(a[lead].Int), lead+1
		}
		t, r, ok := scEntry(c, ctr, &a[ta], f.mode())
		if !ok {
			return false
		}
		return f.result(c, t, r, a, lead, out)
	}
}

func srcEval(f *family, lead int) func(*expr.Ctx, []expr.Arg, *expr.Iter, *expr.Sample) bool {
	return func(c *expr.Ctx, a []expr.Arg, _ *expr.Iter, out *expr.Sample) bool {
		t, r, ok := srcEntry(c, &a[lead], f.mode())
		if !ok {
			return false
		}
		return f.result(c, t, r, a, lead, out)
	}
}

func convEval(f *family, lead int) func(*expr.Ctx, []expr.Arg, *expr.Sample) bool {
	return func(c *expr.Ctx, a []expr.Arg, s *expr.Sample) bool {
		t, r, ok := convEntry(c, &a[lead], s)
		if !ok {
			return false
		}
		return f.result(c, t, r, a, lead, s)
	}
}

// result stores f's value of entry r in out: 0 for an absent entry
// whose table stores the data, no value when it does not store it.
func (f *family) result(c *expr.Ctx, t *Table, r Ref, a []expr.Arg, lead int, out *expr.Sample) bool {
	idx := 0
	if lead > 0 {
		idx = int(a[0].Int)
	}
	if r == 0 {
		if !f.stored(t, idx) {
			return false
		}
		out.SetInt(0)
		return true
	}
	v, ok := f.value(t, r, idx, c.UnixMilli())
	if !ok {
		return false
	}
	out.SetInt(v)
	return true
}

func (f *family) stored(t *Table, idx int) bool {
	if !f.indexed {
		idx = f.gpcIdx
	}
	var d DataType
	switch f.op {
	case opRead, opKBytes:
		d = f.d
	case opGetGPC, opIncGPC, opClrGPC:
		d, _, idx = gpcSlot(t, idx)
	case opGPCRate:
		_, d, idx = gpcSlot(t, idx)
	case opGetGPT:
		d, idx = gptSlot(t, idx)
	}
	n, ok := t.Stored(d)
	return ok && idx < n
}
