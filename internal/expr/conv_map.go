package expr

import (
	"fmt"
	"net/netip"
	"strconv"

	"baton/internal/pattern"
)

// Map converters: map, map_<match>, map_<match>_<output>. The file is
// read when the expression is compiled (through Env.ReadFile, so the
// master reads it and a worker gets the same bytes) and shared by every
// converter naming it.

func init() {
	matches := []struct {
		name string
		m    pattern.Method
		in   Type
	}{
		{"str", pattern.Str, Str}, {"beg", pattern.Beg, Str}, {"sub", pattern.Sub, Str},
		{"dir", pattern.Dir, Str}, {"dom", pattern.Dom, Str}, {"end", pattern.End, Str},
		{"reg", pattern.Reg, Str}, {"int", pattern.Int, Int}, {"ip", pattern.IP, Addr},
	}
	outs := []struct {
		name string
		v    pattern.ValueType
		t    Type
	}{{"str", pattern.ValueStr, Str}, {"int", pattern.ValueInt, Int}, {"ip", pattern.ValueIP, Addr}}
	for _, m := range matches {
		for _, o := range outs {
			name := "map_" + m.name + "_" + o.name
			if o.name == "str" {
				name = "map_" + m.name
			}
			RegisterConv(mapConv(name, m.m, m.in, o.v, o.t))
		}
	}
	RegisterConv(mapConv("map", pattern.Str, Str, pattern.ValueStr, Str))
	RegisterConv(&Conv{Name: "nbsrv", In: Str, Out: Int, Eval: func(c *Ctx, _ []Arg, s *Sample) bool {
		if c.Proxies == nil {
			return false
		}
		st, ok := c.Proxies.Backend(bstr(s.Bytes))
		if !ok {
			return false
		}
		s.SetInt(int64(st.Usable))
		return true
	}})
}

func mapConv(name string, m pattern.Method, in Type, vt pattern.ValueType, out Type) *Conv {
	return &Conv{
		Name: name, Args: []ArgType{ArgStr, ArgStr}, MinArgs: 1, In: in, Out: out,
		Check: func(a []Arg, env *Env) error {
			mt, err := LoadMap(env, a[0].Str, pattern.Options{Method: m, Value: vt})
			if err != nil {
				return err
			}
			a[0].Data = mt
			if a[1].Given {
				v, err := parseMapDefault(a[1].Str, vt)
				if err != nil {
					return err
				}
				a[1].Data = v
			}
			return nil
		},
		Eval: func(c *Ctx, a []Arg, s *Sample) bool {
			l := a[0].Data.(*pattern.Matcher).List()
			var i int
			switch m {
			case pattern.Int:
				i = l.MatchInt(s.Int)
			case pattern.IP:
				i = l.MatchIP(s.IP)
			default:
				i = l.MatchBytes(s.Bytes, &c.fold)
			}
			var v *pattern.Value
			if i >= 0 {
				v = l.Value(i)
			} else if a[1].Given {
				v = a[1].Data.(*pattern.Value)
			} else {
				return false
			}
			switch vt {
			case pattern.ValueInt:
				s.SetInt(v.Int)
			case pattern.ValueIP:
				s.SetIP(v.IP)
			default:
				s.SetStr(v.Str)
			}
			return true
		},
	}
}

// LoadMap reads the map file name (once per configuration) and compiles
// it for opt.
func LoadMap(env *Env, name string, opt pattern.Options) (*pattern.Matcher, error) {
	if env == nil || env.Maps == nil || env.ReadFile == nil {
		return nil, fmt.Errorf("map files cannot be read here")
	}
	data, err := env.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("failed to load map file: %v", err)
	}
	if env.Resolve != nil {
		name = env.Resolve(name)
	}
	usedBy := ""
	if env.Origin != nil {
		file, line := env.Origin()
		usedBy = fmt.Sprintf("map at file '%s' line %d", file, line)
	}
	ref, err := env.Maps.FileAt(name, usedBy, data, true, -1)
	if err != nil {
		return nil, err
	}
	return ref.Matcher(opt)
}

func parseMapDefault(s string, vt pattern.ValueType) (*pattern.Value, error) {
	switch vt {
	case pattern.ValueInt:
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("default value %q is not an integer", s)
		}
		return &pattern.Value{Int: n}, nil
	case pattern.ValueIP:
		a, err := netip.ParseAddr(s)
		if err != nil {
			return nil, fmt.Errorf("default value %q is not an IP address", s)
		}
		return &pattern.Value{IP: a.Unmap()}, nil
	}
	return &pattern.Value{Str: []byte(s)}, nil
}
