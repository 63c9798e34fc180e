package pattern

import (
	"net/netip"
	"strings"
	"testing"
)

func inline(t *testing.T, opt Options, keys ...string) *Matcher {
	t.Helper()
	s := NewStore()
	r, err := s.Inline("test", keys, -1)
	if err != nil {
		t.Fatal(err)
	}
	m, err := r.Matcher(opt)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestMatchBytes covers every string-like method, with and without -i.
func TestMatchBytes(t *testing.T) {
	tests := []struct {
		m      Method
		fold   bool
		keys   []string
		sample string
		want   int
	}{
		{Str, false, []string{"a", "abc"}, "abc", 1},
		{Str, false, []string{"ABC"}, "abc", -1},
		{Str, true, []string{"ABC"}, "aBc", 0},
		{Str, false, []string{"x", "x"}, "x", 0},
		{Sub, false, []string{"zz", "bc"}, "abcd", 1},
		{Sub, true, []string{"BC"}, "abcd", 0},
		{Sub, false, []string{"BC"}, "abcd", -1},
		{Beg, false, []string{"/api"}, "/api/v1", 0},
		{Beg, false, []string{"/api/v1/x"}, "/api", -1},
		{Beg, true, []string{"/API"}, "/api/v1", 0},
		{End, false, []string{".jpg", ".png"}, "/a.png", 1},
		{End, true, []string{".PNG"}, "/a.png", 0},
		{Reg, false, []string{`^/v[0-9]+/`}, "/v2/x", 0},
		{Reg, false, []string{`b+`}, "abbc", 0}, // unanchored
		{Reg, true, []string{`^/V`}, "/v2", 0},
		{Reg, false, []string{`^/V`}, "/v2", -1},
		{Dir, false, []string{"/images/png"}, "/images/png/logo/32x32.png", 0},
		{Dir, false, []string{"logo/32x32.png"}, "/images/png/logo/32x32.png", 0},
		{Dir, false, []string{"png"}, "/images/png/logo/32x32.png", 0},
		{Dir, false, []string{"32x32"}, "/images/png/logo/32x32.png", -1},
		{Dir, false, []string{"ages"}, "/images/png", -1},
		{Dom, false, []string{"www1"}, "http://www1.dc-eu.example.com:80/blah", 0},
		{Dom, false, []string{"dc-eu.example:80"}, "http://www1.dc-eu.example.com:80/blah", -1},
		{Dom, false, []string{":www1:"}, "http://www1.dc-eu.example.com:80/blah", 0},
		{Dom, false, []string{"dc-eu.example"}, "http://www1.dc-eu.example.com:80/blah", 0},
		{Dom, false, []string{"eu"}, "http://www1.dc-eu.example.com:80/blah", -1},
		{Dom, false, []string{"dc"}, "http://www1.dc-eu.example.com:80/blah", -1},
		{Dom, true, []string{"EXAMPLE.com"}, "www.example.COM", 0},
		{Dom, false, []string{"test1.example.com"}, "test1.example.com", 0},
		{Dom, false, []string{"example.com"}, "notexample.com", -1},
		{Bin, false, []string{"48656c6c6f0a"}, "Hello\n", 0},
		{Bin, false, []string{"48656C"}, "Hel", 0},
		{Bin, false, []string{"4865"}, "Hel", -1},
		{Len, false, []string{"3"}, "abc", 0},
		{Len, false, []string{"4:"}, "abc", -1},
	}
	for _, tt := range tests {
		m := inline(t, Options{Method: tt.m, Fold: tt.fold}, tt.keys...)
		var scratch []byte
		if got := m.List().MatchBytes([]byte(tt.sample), &scratch); got != tt.want {
			t.Errorf("%s fold=%v %q against %q = %d, want %d", tt.m, tt.fold, tt.keys, tt.sample, got, tt.want)
		}
	}
}

func TestMatchInt(t *testing.T) {
	tests := []struct {
		keys []string
		n    int64
		want int
	}{
		{[]string{"5"}, 5, 0},
		{[]string{"5"}, 6, -1},
		{[]string{"1024:65535"}, 8080, 0},
		{[]string{"1024:"}, 1023, -1},
		{[]string{":1023"}, 80, 0},
		{[]string{"0:10", "20:30"}, 25, 1},
		{[]string{"-5:-1"}, -3, 0},
	}
	for _, tt := range tests {
		m := inline(t, Options{Method: Int}, tt.keys...)
		if got := m.List().MatchInt(tt.n); got != tt.want {
			t.Errorf("%q against %d = %d, want %d", tt.keys, tt.n, got, tt.want)
		}
	}
}

func TestIntOperators(t *testing.T) {
	tests := []struct {
		in   []string
		want string
		err  string
	}{
		{in: []string{"gt", "0"}, want: "1:"},
		{in: []string{"ge", "3", "7"}, want: "3: 7:"},
		{in: []string{"lt", "10"}, want: ":9"},
		{in: []string{"le", "10"}, want: ":10"},
		{in: []string{"eq", "4"}, want: "4"},
		{in: []string{"1", "2:3"}, want: "1 2:3"},
		{in: []string{"gt"}, err: "needs a value"},
		{in: []string{"gt", "x"}, err: "not an integer"},
	}
	for _, tt := range tests {
		got, err := IntOperators(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("IntOperators(%q) error %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || strings.Join(got, " ") != tt.want {
			t.Errorf("IntOperators(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMatchIP(t *testing.T) {
	tests := []struct {
		keys []string
		ip   string
		want int
	}{
		{[]string{"10.0.0.0/8"}, "10.1.2.3", 0},
		{[]string{"10.0.0.0/255.0.0.0"}, "10.1.2.3", 0},
		{[]string{"10.0.0.0/8"}, "11.1.2.3", -1},
		{[]string{"127.1"}, "127.0.0.1", 0},
		{[]string{"10.12/8"}, "10.99.0.1", 0},
		{[]string{"192.168.1"}, "192.168.0.1", 0},
		{[]string{"10.0.0.0/8", "10.1.0.0/16"}, "10.1.2.3", 1}, // most specific wins
		{[]string{"10.0.0.0/8"}, "::ffff:10.1.2.3", 0},
		{[]string{"10.0.0.0/8"}, "::10.1.2.3", 0},
		{[]string{"10.0.0.0/8"}, "2002:a01:203::", 0},
		{[]string{"2001:db8::/32"}, "2001:db8::1", 0},
		{[]string{"::ffff:0:0/96"}, "1.2.3.4", 0},
		{[]string{"2001:db8::/32"}, "1.2.3.4", -1},
	}
	for _, tt := range tests {
		m := inline(t, Options{Method: IP}, tt.keys...)
		if got := m.List().MatchIP(netip.MustParseAddr(tt.ip)); got != tt.want {
			t.Errorf("%q against %s = %d, want %d", tt.keys, tt.ip, got, tt.want)
		}
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		opt  Options
		key  string
		want string
	}{
		{Options{Method: Reg}, `(a)\1`, "backreference, which Go's RE2"},
		{Options{Method: Reg}, `foo(?=bar)`, "lookaround"},
		{Options{Method: Reg}, `a(`, "invalid regular expression"},
		{Options{Method: Int}, "abc", "not an integer"},
		{Options{Method: IP}, "nohost", "'nohost' is not a valid IPv4 or IPv6 address"},
		{Options{Method: IP, NoDNS: true}, "10.0.0.0/33", "bad prefix length"},
		{Options{Method: IP}, "10.0.0.0/255.0.255.0", "not contiguous"},
		{Options{Method: Bin}, "abc", "hex digits"},
		{Options{Method: Str, Value: ValueInt}, "k", "unable to parse ''"},
	}
	for _, tt := range tests {
		s := NewStore()
		r, _ := s.Inline("test", []string{tt.key}, -1)
		_, err := r.Matcher(tt.opt)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v %q: error %v, want %q", tt.opt, tt.key, err, tt.want)
		}
	}
}

func TestFiles(t *testing.T) {
	s := NewStore()
	acl, err := s.File("hosts.lst", []byte("# comment\n  example.com\n\n #literal\r\nother.org  \n"), false, -1)
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, e := range acl.Entries() {
		keys = append(keys, e.Key)
	}
	if got := strings.Join(keys, "|"); got != "example.com|#literal|other.org  " {
		t.Errorf("ACL file keys %q", got)
	}
	mp, err := s.File("m.map", []byte("# c\n\tk1   v one \t\nk2 v2\nlone\n"), true, -1)
	if err != nil {
		t.Fatal(err)
	}
	var kv []string
	for _, e := range mp.Entries() {
		kv = append(kv, e.Key+"="+e.Value)
	}
	if got := strings.Join(kv, "|"); got != "k1=v one|k2=v2|lone=" {
		t.Errorf("map entries %q", got)
	}
	again, _ := s.File("m.map", nil, true, -1)
	if again != mp {
		t.Error("a file named twice must give the same Ref")
	}
	if s.Find("#1", true) != mp || s.Find("m.map", true) != mp || s.Find("#9", true) != nil || s.Find("m.map", false) != nil {
		t.Error("Find by id and name")
	}
	// A given id is HAProxy's: the Refs without one move past it.
	u, err := s.File("u.lst", nil, false, 1)
	if err != nil || u.ID != 1 || acl.ID != 0 || mp.ID != 2 {
		t.Errorf("-u 1 after two files: %v, ids %d %d %d, want 1, then 0 and 2", err, u.ID, acl.ID, mp.ID)
	}
	if _, err := s.Inline("v", nil, 1); err == nil {
		t.Error("a used unique id must be refused")
	}
}

// TestRuntimeChanges checks that Add, Del, Set and Clear publish new lists
// to every matcher, and that a failing change leaves everything as it was.
func TestRuntimeChanges(t *testing.T) {
	s := NewStore()
	r, _ := s.File("m.map", []byte("a 1\nb 2\n"), true, -1)
	strM, err := r.Matcher(Options{Method: Str, Value: ValueStr})
	if err != nil {
		t.Fatal(err)
	}
	intM, err := r.Matcher(Options{Method: Str, Value: ValueInt})
	if err != nil {
		t.Fatal(err)
	}
	var scratch []byte
	lookup := func(m *Matcher, k string) *Value {
		l := m.List()
		i := l.MatchBytes([]byte(k), &scratch)
		if i < 0 {
			return nil
		}
		return l.Value(i)
	}
	if err := r.Add("c", "x"); err == nil {
		t.Error("adding a non-integer value to a map used as map_str_int must fail")
	}
	if lookup(strM, "c") != nil {
		t.Error("a failed add must not be visible")
	}
	if err := r.Add("c", "3"); err != nil {
		t.Fatal(err)
	}
	if v := lookup(intM, "c"); v == nil || v.Int != 3 {
		t.Errorf("after add, c = %v", v)
	}
	if ok, err := r.Set("a", "10"); !ok || err != nil {
		t.Fatal(ok, err)
	}
	if v := lookup(strM, "a"); v == nil || string(v.Str) != "10" {
		t.Errorf("after set, a = %v", v)
	}
	if ok, _ := r.Del("b"); !ok {
		t.Error("del b")
	}
	if lookup(strM, "b") != nil {
		t.Error("b still found after del")
	}
	id := r.Entries()[0].ID
	if ok, _ := r.Del("#" + string("0123456789abcdef"[id])); !ok {
		t.Error("del by id")
	}
	if err := r.Clear(); err != nil || len(r.Entries()) != 0 || lookup(strM, "c") != nil {
		t.Error("clear")
	}
}

func TestMatchAllocs(t *testing.T) {
	m := inline(t, Options{Method: Str, Fold: true}, "Alpha", "beta")
	d := inline(t, Options{Method: Dom}, "example.com")
	ip := inline(t, Options{Method: IP}, "10.0.0.0/8")
	var scratch []byte
	a := netip.MustParseAddr("10.1.1.1")
	b := []byte("ALPHA")
	h := []byte("www.example.com")
	allocs := testing.AllocsPerRun(100, func() {
		if m.List().MatchBytes(b, &scratch) != 0 || d.List().MatchBytes(h, &scratch) != 0 || ip.List().MatchIP(a) != 0 {
			t.Fatal("no match")
		}
	})
	if allocs != 0 {
		t.Errorf("matching allocates %.1f times", allocs)
	}
}
