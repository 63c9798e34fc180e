package logformat

import (
	"reflect"
	"strings"
	"testing"
)

func v(x Var, f Flag) Node { return Node{Kind: Variable, Var: x, Flags: f} }
func txt(s string) Node    { return Node{Kind: Text, Text: s} }

var sep = Node{Kind: Separator}

func TestParseLog(t *testing.T) {
	const M, Q, X, E = Mandatory, Quote, Hex, Escape
	cases := []struct {
		in      string
		want    []Node
		wantErr string
	}{
		{in: "%ci:%cp [%tr] %ft", want: []Node{v(Varci, M), txt(":"), v(Varcp, M), sep, txt("["), v(Vartr, M), txt("]"), sep, v(Varft, M)}},
		{in: "%hr %hs %{+Q}r", want: []Node{v(Varhr, M), sep, v(Varhs, M), sep, v(Varr, M|Q)}},
		{in: "a  b", want: []Node{txt("a"), sep, sep, txt("b")}},
		{in: " x ", want: []Node{sep, txt("x"), sep}},
		{in: "100%%", want: []Node{txt("100%")}},
		{in: "%%%ci", want: []Node{txt("%"), v(Varci, M)}},
		{in: "100%/x", want: []Node{txt("100/x")}},
		{in: "tab\there", want: []Node{txt("tab\there")}},
		{in: "%{+Q}o %ci %b %ST %{-Q}r", want: []Node{sep, v(Varci, M|Q), sep, v(Varb, M|Q), sep, v(VarST, M|Q), sep, v(Varr, M)}},
		{in: "%{+Q,-M}CC", want: []Node{v(VarCC, Q)}},
		{in: "%{+X}ci%{+E,+Q}HU", want: []Node{v(Varci, M|X), v(VarHU, M|E|Q)}},
		{in: "%{Q}ci", want: []Node{v(Varci, M)}},
		{in: "%{+Z}ci", want: []Node{v(Varci, M)}},
		{in: "%{}ci", want: []Node{v(Varci, M)}},
		{in: "%o", want: nil},
		{in: "%Tq%Ta", want: []Node{v(VarTq, M), v(VarTa, M)}},
		{in: "%HPO.x", want: []Node{v(VarHPO, M), txt(".x")}},
		{in: "", want: nil},
		{in: "%ci %", wantErr: "truncated format after '%'"},
		{in: "%ci%%x%", wantErr: "truncated format after '%'"},
		{in: "%{+Q", wantErr: "truncated format after '%{+Q'"},
		{in: "%foo", wantErr: "no such format variable 'foo'"},
		{in: "%cix", wantErr: "no such format variable 'cix'"},
		{in: "%{+Q}", wantErr: "flags %{+Q} without a variable name"},
		{in: "%{+Q} x", wantErr: "without a variable name"},
		{in: "%[src]", want: []Node{{Kind: Sample, Text: "src", Flags: M}}},
		{in: "%{+Q}[src] %[req.hdr(x),lower]x", want: []Node{{Kind: Sample, Text: "src", Flags: M | Q}, sep, {Kind: Sample, Text: "req.hdr(x),lower", Flags: M}, txt("x")}},
		{in: "%{+Q}o%[var(txn.a)]", want: []Node{{Kind: Sample, Text: "var(txn.a)", Flags: M | Q}}},
		{in: "%[src", wantErr: "missing ']'"},
		{in: "%[]", wantErr: "empty sample expression"},
		{in: "%1", wantErr: "unexpected variable name near '1'"},
		{in: "% x", wantErr: "unexpected variable name near ' '"},
	}
	for _, c := range cases {
		got, err := ParseLog(c.in)
		if c.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Errorf("ParseLog(%q) error = %v, want %q", c.in, err, c.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("ParseLog(%q) =\n %+v, %v\nwant %+v", c.in, got, err, c.want)
		}
	}
}

func TestVarTable(t *testing.T) {
	seen := map[string]bool{}
	for _, x := range AllVars() {
		n := x.Name()
		if n == "?" || seen[n] {
			t.Errorf("variable %d: name %q", x, n)
		}
		seen[n] = true
		if got, ok := lookupVar(n); !ok || got != x {
			t.Errorf("lookup %q = %v", n, got)
		}
	}
	if len(seen) != 63 {
		t.Errorf("%d variables, want HAProxy 2.6's 63 (without %%o)", len(seen))
	}
	for _, n := range []string{"CC", "CS", "HM", "HP", "HPO", "HQ", "HU", "HV", "Ta", "Ti", "Tq", "TR", "Tr", "r", "tr", "trg", "trl"} {
		if x, _ := lookupVar(n); !x.HTTPOnly() {
			t.Errorf("%%%s should be HTTP only", n)
		}
	}
	if x, _ := lookupVar("ST"); x.HTTPOnly() {
		t.Errorf("%%ST is allowed in mode tcp")
	}
}

// render writes nodes back as a format string.
func render(nodes []Node) (string, bool) {
	var b strings.Builder
	for i, n := range nodes {
		switch n.Kind {
		case Text:
			b.WriteString(strings.ReplaceAll(n.Text, "%", "%%"))
		case Separator:
			b.WriteByte(' ')
		case Sample, Variable:
			b.WriteString("%{")
			for f, name := range map[Flag]string{Mandatory: "M", Quote: "Q", Hex: "X", Escape: "E"} {
				sign := "-"
				if n.Flags&f != 0 {
					sign = "+"
				}
				b.WriteString(sign + name + ",")
			}
			if n.Kind == Sample {
				b.WriteString("}[" + n.Text + "]")
				continue
			}
			b.WriteString("}" + n.Var.Name())
			if i+1 < len(nodes) && nodes[i+1].Kind == Text && isAlnumByte(nodes[i+1].Text[0]) {
				return "", false // not expressible: the text would lengthen the name
			}
		}
	}
	return b.String(), true
}

// FuzzParseLog: parsing never panics, and a parsed format written back
// parses to the same nodes.
func FuzzParseLog(f *testing.F) {
	for _, s := range []string{"%ci:%cp [%tr] %ft %b/%s %TR/%Tw/%Tc/%Tr/%Ta %ST %B %CC %CS %tsc %ac/%fc/%bc/%sc/%rc %sq/%bq %hr %hs %{+Q}r",
		"%{+Q}o %{-Q}ci - - [%trg] %r", "100%%", "%[src]", "%{+X}Ts", "%", "%{", "a  b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		nodes, err := ParseLog(s)
		if err != nil {
			return
		}
		for _, n := range nodes {
			switch n.Kind {
			case Text:
				if n.Text == "" {
					t.Fatalf("%q: empty text node", s)
				}
			case Separator:
			case Variable:
				if n.Var == 0 || n.Var >= varCount {
					t.Fatalf("%q: bad variable %d", s, n.Var)
				}
			case Sample:
				if n.Text == "" || strings.Contains(n.Text, "]") {
					t.Fatalf("%q: bad sample %q", s, n.Text)
				}
			default:
				t.Fatalf("%q: bad kind %d", s, n.Kind)
			}
		}
		r, ok := render(nodes)
		if !ok {
			return
		}
		again, err := ParseLog(r)
		if err != nil || !reflect.DeepEqual(again, nodes) {
			t.Fatalf("%q: rendered %q parses to %+v, %v; want %+v", s, r, again, err, nodes)
		}
	})
}
