package pattern

import (
	"net/netip"
	"strconv"
)

// Lookup is one Matcher's answer for a value, for the runtime API's
// "get map" and "get acl": how the Matcher compares and what matched.
type Lookup struct {
	Options Options
	// Found is set when an entry matched; Entry is that entry.
	Found bool
	Entry Entry
}

// Matchers returns the Matchers compiled from r, one per set of options
// its users have.
func (r *Ref) Matchers() []*Matcher {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*Matcher(nil), r.matchers...)
}

// Lookup matches the string v as each of r's Matchers would match a
// sample: as an integer for "int", an address for "ip", else the bytes.
func (r *Ref) Lookup(v string) []Lookup {
	var out []Lookup
	for _, m := range r.Matchers() {
		l := m.List()
		i := -1
		switch m.opt.Method {
		case Int:
			if n, err := strconv.ParseInt(v, 10, 64); err == nil {
				i = l.MatchInt(n)
			}
		case Len:
			i = l.MatchInt(int64(len(v)))
		case IP:
			if a, err := netip.ParseAddr(v); err == nil {
				i = l.MatchIP(a)
			}
		default:
			var scratch []byte
			i = l.MatchBytes([]byte(v), &scratch)
		}
		lk := Lookup{Options: m.opt}
		if entries := r.Entries(); i >= 0 && i < len(entries) {
			lk.Found, lk.Entry = true, entries[i]
		}
		out = append(out, lk)
	}
	return out
}
