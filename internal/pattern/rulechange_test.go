package pattern

import (
	"fmt"
	"strings"
	"testing"
)

func entryList(r *Ref) string {
	var b []string
	for _, e := range r.Entries() {
		b = append(b, e.Key+"="+e.Value)
	}
	return strings.Join(b, " ")
}

// TestRuleChanges runs set-map, add-acl and del-map/del-acl changes in
// order on one map and checks the entries and what a Matcher sees.
func TestRuleChanges(t *testing.T) {
	s := NewStore()
	r, _ := s.File("m.map", []byte("a 1\nb 2\nb 3\n"), true, -1)
	m, err := r.Matcher(Options{Method: Str, Value: ValueInt})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		op, key, value string
		changed, fails bool
		want           string
	}{
		{"put", "a", "1", false, false, "a=1 b=2 b=3"},    // unchanged
		{"put", "b", "4", true, false, "a=1 b=4 b=4"},     // every entry of the key
		{"put", "c", "5", true, false, "a=1 b=4 b=4 c=5"}, // added
		{"put", "c", "x", false, true, "a=1 b=4 b=4 c=5"}, // not an integer: nothing changes
		{"put", "#1", "7", true, false, "a=1 b=4 b=4 c=5 #1=7"},
		{"add", "a", "", false, false, "a=1 b=4 b=4 c=5 #1=7"},
		{"add", "d", "", false, true, "a=1 b=4 b=4 c=5 #1=7"}, // an empty value is no integer
		{"del", "b", "", true, false, "a=1 c=5 #1=7"},
		{"del", "zz", "", false, false, "a=1 c=5 #1=7"},
		{"put", "c", "5", false, false, "a=1 c=5 #1=7"}, // the index after a deletion
		{"put", "#1", "8", true, false, "a=1 c=5 #1=8"},
		{"put", "e", "9", true, false, "a=1 c=5 #1=8 e=9"},
		{"put", "e", "9", false, false, "a=1 c=5 #1=8 e=9"}, // the index after an append
	}
	for _, tt := range tests {
		var changed bool
		var err error
		switch tt.op {
		case "put":
			changed, err = r.PutBytes([]byte(tt.key), []byte(tt.value))
		case "add":
			changed, err = r.AddNewBytes([]byte(tt.key))
		case "del":
			changed, err = r.DelBytes([]byte(tt.key))
		}
		if (err != nil) != tt.fails || changed != tt.changed && !tt.fails {
			t.Errorf("%s %s %s: changed %v, err %v", tt.op, tt.key, tt.value, changed, err)
		}
		if got := entryList(r); got != tt.want {
			t.Errorf("%s %s %s: entries %q, want %q", tt.op, tt.key, tt.value, got, tt.want)
		}
	}
	var scratch []byte
	l := m.List()
	if i := l.MatchBytes([]byte("c"), &scratch); i < 0 || l.Value(i).Int != 5 {
		t.Errorf("the matcher does not see c=5")
	}
	if l.MatchBytes([]byte("b"), &scratch) >= 0 {
		t.Errorf("the matcher still sees b")
	}
}

// TestRuleChangeNoopAllocs: a change that changes nothing allocates
// nothing, so a rule firing on every request with the same value is
// cheap.
func TestRuleChangeNoopAllocs(t *testing.T) {
	r := bigMap(t, 1000)
	key, val := []byte("k500"), []byte("v500")
	allocs := testing.AllocsPerRun(100, func() {
		if c, _ := r.PutBytes(key, val); c {
			t.Fatal("changed")
		}
		if c, _ := r.DelBytes([]byte("absent")); c {
			t.Fatal("changed")
		}
	})
	if allocs != 0 {
		t.Errorf("an unchanged set-map allocates %.1f times", allocs)
	}
}

func bigMap(t testing.TB, n int) *Ref {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "k%d v%d\n", i, i)
	}
	r, _ := NewStore().File("big.map", []byte(b.String()), true, -1)
	if _, err := r.Matcher(Options{Method: Str, Value: ValueStr}); err != nil {
		t.Fatal(err)
	}
	return r
}

// BenchmarkPutBytes10k is set-map on a 10,000-entry map used by one
// map_str converter: "same" rewrites a value already there (a scan),
// "changed" a new value each time (a copy and a recompile).
func BenchmarkPutBytes10k(b *testing.B) {
	r := bigMap(b, 10000)
	key := []byte("k9999")
	b.Run("same", func(b *testing.B) {
		val := []byte("v9999")
		b.ReportAllocs()
		for range b.N {
			r.PutBytes(key, val)
		}
	})
	b.Run("changed", func(b *testing.B) {
		vals := [][]byte{[]byte("x"), []byte("y")}
		b.ReportAllocs()
		for i := range b.N {
			r.PutBytes(key, vals[i&1])
		}
	})
}
