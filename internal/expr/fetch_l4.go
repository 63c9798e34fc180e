package expr

import (
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"strings"
	"unsafe"
)

// Layer 4 and internal fetches: addresses, proxies, constants, variables.

func init() {
	for _, f := range []*Fetch{
		{Name: "src", Out: Addr, Eval: fetchSrc},
		{Name: "src_port", Out: Int, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if !c.Src.IsValid() {
				return false
			}
			out.SetInt(int64(c.Src.Port()))
			return true
		}},
		{Name: "dst", Out: Addr, Eval: fetchDst},
		{Name: "dst_port", Out: Int, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			if !c.Dst.IsValid() {
				return false
			}
			out.SetInt(int64(c.Dst.Port()))
			return true
		}},
		{Name: "fe_name", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			return strSample(out, c.Frontend)
		}},
		{Name: "be_name", Out: Str, Use: UseBackend, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			return strSample(out, c.Backend)
		}},
		{Name: "srv_name", Out: Str, Use: UseServer, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			return strSample(out, c.Server)
		}},
		{Name: "nbsrv", Args: []ArgType{ArgBackend}, Out: Int, Eval: backendStat(func(s BackendStats) int64 { return int64(s.Usable) })},
		{Name: "connslots", Args: []ArgType{ArgBackend}, Out: Int, Eval: backendStat(func(s BackendStats) int64 { return s.Slots })},
		{Name: "be_conn", Args: []ArgType{ArgBackend}, Out: Int, Eval: backendStat(func(s BackendStats) int64 { return s.Conns })},
		{Name: "queue", Args: []ArgType{ArgBackend}, Out: Int, Eval: backendStat(func(s BackendStats) int64 { return s.Queue })},
		{Name: "avg_queue", Args: []ArgType{ArgBackend}, Out: Int, Eval: backendStat(func(s BackendStats) int64 {
			if s.Usable > 0 {
				return (s.Queue + int64(s.Usable) - 1) / int64(s.Usable)
			}
			return s.Queue
		})},
		{Name: "fe_conn", Args: []ArgType{ArgFrontend}, Out: Int, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			name := c.Frontend
			if a[0].Given {
				name = a[0].Str
			}
			if c.Proxies == nil {
				return false
			}
			n, ok := c.Proxies.FrontendConns(name)
			if !ok {
				return false
			}
			out.SetInt(n)
			return true
		}},
		{Name: "srv_is_up", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Bool, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			up, _, ok := c.server(a[0].Str)
			out.SetBool(up)
			return ok
		}},
		{Name: "srv_conn", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Int, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			_, n, ok := c.server(a[0].Str)
			out.SetInt(n)
			return ok
		}},
		{Name: "env", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Str, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			v, ok := os.LookupEnv(a[0].Str)
			if !ok {
				return false
			}
			out.SetStr(unsafe.Slice(unsafe.StringData(v), len(v)))
			return true
		}},
		{Name: "date", Args: []ArgType{ArgInt, ArgStr}, Out: Int, Check: checkTimeUnit(1), Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			t := c.now()
			var n int64
			switch a[1].Str {
			case "ms":
				n = t.UnixMilli()
			case "us":
				n = t.UnixMicro()
			default:
				n = t.Unix()
			}
			out.SetInt(n + a[0].Int)
			return true
		}},
		{Name: "rand", Args: []ArgType{ArgInt}, Out: Int, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			r := rand.Uint32()
			if a[0].Given {
				// As HAProxy: the 32-bit random scaled to [0, range).
				out.SetInt(int64((uint64(r) * uint64(a[0].Int)) >> 32))
			} else {
				out.SetInt(int64(r))
			}
			return true
		}},
		{Name: "always_true", Out: Bool, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool { out.SetBool(true); return true }},
		{Name: "always_false", Out: Bool, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool { out.SetBool(false); return true }},
		{Name: "int", Args: []ArgType{ArgInt}, MinArgs: 1, Out: Int, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			out.SetInt(a[0].Int)
			return true
		}},
		{Name: "bool", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Bool, Check: checkBoolConst, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			out.SetBool(a[0].Int != 0)
			return true
		}},
		{Name: "str", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Str, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			out.SetStr(a[0].Bytes)
			return true
		}},
		{Name: "bin", Args: []ArgType{ArgStr}, MinArgs: 1, Out: Bin, Check: checkHex, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			out.SetBin(a[0].Data.([]byte))
			return true
		}},
		{Name: "ipv4", Args: []ArgType{ArgStr}, MinArgs: 1, Out: IPv4, Check: checkIP(true), Eval: constIP},
		{Name: "ipv6", Args: []ArgType{ArgStr}, MinArgs: 1, Out: IPv6, Check: checkIP(false), Eval: constIP},
		{Name: "var", Args: []ArgType{ArgVar, ArgStr}, MinArgs: 1, Out: Any, Eval: func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
			if c.GetVar(a[0].Var, out) {
				return true
			}
			if a[1].Given {
				out.SetStr(a[1].Bytes)
				return true
			}
			return false
		}},
		{Name: "pid", Out: Int, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			out.SetInt(int64(os.Getpid()))
			return true
		}},
		{Name: "hostname", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			return strSample(out, hostname)
		}},
		{Name: "unique-id", Out: Str, Eval: func(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
			id, ok := c.UniqueID()
			if !ok {
				return false
			}
			out.SetStr(id)
			return true
		}},
		{Name: "capture.req.hdr", Args: []ArgType{ArgInt}, MinArgs: 1, Out: Str, Eval: fetchCapture(false)},
		{Name: "capture.res.hdr", Args: []ArgType{ArgInt}, MinArgs: 1, Out: Str, Eval: fetchCapture(true)},
	} {
		RegisterFetch(f)
	}
}

var hostname, _ = os.Hostname()

func strSample(out *Sample, s string) bool {
	if s == "" {
		return false
	}
	out.SetStr(unsafe.Slice(unsafe.StringData(s), len(s)))
	return true
}

func fetchSrc(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
	if !c.Src.IsValid() {
		return false
	}
	out.SetIP(c.Src.Addr())
	return true
}

func fetchDst(c *Ctx, _ []Arg, _ *Iter, out *Sample) bool {
	if !c.Dst.IsValid() {
		return false
	}
	out.SetIP(c.Dst.Addr())
	return true
}

func backendStat(get func(BackendStats) int64) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
		name := c.Backend
		if a[0].Given {
			name = a[0].Str
		}
		if c.Proxies == nil || name == "" {
			return false
		}
		st, ok := c.Proxies.Backend(name)
		if !ok {
			return false
		}
		out.SetInt(get(st))
		return true
	}
}

// server looks up a server named "[backend/]server" (in the stream's
// backend when no backend is given).
func (c *Ctx) server(name string) (up bool, conns int64, ok bool) {
	be, srv, found := strings.Cut(name, "/")
	if !found {
		be, srv = c.Backend, name
	}
	if c.Proxies == nil {
		return false, 0, false
	}
	return c.Proxies.ServerState(be, srv)
}

func fetchCapture(res bool) func(*Ctx, []Arg, *Iter, *Sample) bool {
	return func(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
		if c.Captures == nil {
			return false
		}
		slots := c.Captures.Req
		if res {
			slots = c.Captures.Res
		}
		i := int(a[0].Int)
		if i < 0 || i >= len(slots) || !slots[i].Set {
			return false
		}
		out.SetStr(slots[i].Value)
		return true
	}
}

func checkTimeUnit(i int) func([]Arg, *Env) error {
	return func(a []Arg, _ *Env) error {
		switch a[i].Str {
		case "", "s", "ms", "us":
			return nil
		}
		return fmt.Errorf("unit %q: want s, ms or us", a[i].Str)
	}
}

func checkBoolConst(a []Arg, _ *Env) error {
	switch a[0].Str {
	case "true", "1":
		a[0].Int = 1
	case "false", "0":
		a[0].Int = 0
	default:
		return fmt.Errorf("%q is not a boolean (true, false, 1 or 0)", a[0].Str)
	}
	return nil
}

func checkHex(a []Arg, _ *Env) error {
	b, err := hex.DecodeString(a[0].Str)
	if err != nil {
		return fmt.Errorf("%q is not an even number of hex digits", a[0].Str)
	}
	a[0].Data = b
	return nil
}

func checkIP(v4 bool) func([]Arg, *Env) error {
	return func(a []Arg, _ *Env) error {
		ip, err := netip.ParseAddr(a[0].Str)
		if err != nil || v4 && !ip.Is4() || !v4 && !ip.Is6() {
			kind := "IPv6"
			if v4 {
				kind = "IPv4"
			}
			return fmt.Errorf("%q is not an %s address", a[0].Str, kind)
		}
		a[0].Data = ip
		return nil
	}
}

func constIP(c *Ctx, a []Arg, _ *Iter, out *Sample) bool {
	ip := a[0].Data.(netip.Addr)
	out.IP = ip
	out.Type = IPv6
	if ip.Is4() {
		out.Type = IPv4
	}
	return true
}
