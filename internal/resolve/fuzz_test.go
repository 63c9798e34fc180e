package resolve

import (
	"errors"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the response parser: it must never
// panic, must fail only with ErrMalformed, and what it returns must hold
// the invariants the resolver relies on.
func FuzzParse(f *testing.F) {
	q, _ := AppendQuery(nil, 1, "app.test", TypeA, 512)
	f.Add(q)
	f.Add(newResponse(1, 0, "app.test", TypeA).a("@12", "127.0.0.1").a("@12", "::1").bytes())
	f.Add(newResponse(2, 0, "www.test", TypeA).cname("@12", "real.test").a("real.test", "10.1.1.1").bytes())
	srv := newResponse(3, 0, "_web._tcp.svc", TypeSRV).srv("@12", 1, 10, 8080, "a.svc").srv("@12", 1, 0, 8081, "b.svc")
	f.Add(srv.additionalA("a.svc", "10.0.0.1").bytes())
	f.Add(newResponse(4, RCodeNXDomain, "gone.test", TypeA).bytes())
	f.Add(newResponse(5, 0, "t.test", TypeA).a("@24", "1.2.3.4").bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Parse(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		names := []string{m.Question.Name}
		for _, sec := range [][]Record{m.Answers, m.Additional} {
			for _, r := range sec {
				names = append(names, r.Name, r.Target)
				switch r.Type {
				case TypeA:
					if !r.Addr.Is4() {
						t.Fatalf("A record with %v", r.Addr)
					}
				case TypeAAAA:
					if !r.Addr.Is6() {
						t.Fatalf("AAAA record with %v", r.Addr)
					}
				case TypeCNAME, TypeSRV:
				default:
					t.Fatalf("record of type %d kept", r.Type)
				}
			}
		}
		for _, n := range names {
			if n != "" && CheckName(n) != nil {
				t.Fatalf("name %q: %v", n, CheckName(n))
			}
		}
		if len(m.Answers)+len(m.Additional) > len(b)/minRRLen {
			t.Fatalf("%d records from %d bytes", len(m.Answers)+len(m.Additional), len(b))
		}
	})
}
