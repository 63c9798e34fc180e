package resolve

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"testing"
)

// msgBuilder writes DNS responses for tests, with name compression
// where a test asks for it.
type msgBuilder struct {
	b       []byte
	an, ar  int
	ns      int
	flagsAt int
}

func newResponse(id uint16, rcode int, qname string, qtype uint16) *msgBuilder {
	m := &msgBuilder{}
	m.b = binary.BigEndian.AppendUint16(m.b, id)
	m.b = binary.BigEndian.AppendUint16(m.b, 0x8180|uint16(rcode)) // QR RD RA
	m.b = binary.BigEndian.AppendUint16(m.b, 1)
	m.b = append(m.b, 0, 0, 0, 0, 0, 0)
	m.b, _ = AppendName(m.b, qname)
	m.b = binary.BigEndian.AppendUint16(m.b, qtype)
	m.b = binary.BigEndian.AppendUint16(m.b, ClassIN)
	return m
}

// rr appends a record; name "@N" writes a compression pointer to offset N.
func (m *msgBuilder) rr(section *int, name string, typ uint16, rdata []byte) *msgBuilder {
	if strings.HasPrefix(name, "@") {
		var n int
		for _, c := range name[1:] {
			n = n*10 + int(c-'0')
		}
		m.b = append(m.b, 0xc0|byte(n>>8), byte(n))
	} else {
		m.b, _ = AppendName(m.b, name)
	}
	m.b = binary.BigEndian.AppendUint16(m.b, typ)
	m.b = binary.BigEndian.AppendUint16(m.b, ClassIN)
	m.b = binary.BigEndian.AppendUint32(m.b, 60)
	m.b = binary.BigEndian.AppendUint16(m.b, uint16(len(rdata)))
	m.b = append(m.b, rdata...)
	*section++
	return m
}

func (m *msgBuilder) a(name, ip string) *msgBuilder {
	a := netip.MustParseAddr(ip)
	return m.rr(&m.an, name, map[bool]uint16{true: TypeA, false: TypeAAAA}[a.Is4()], a.AsSlice())
}

func (m *msgBuilder) additionalA(name, ip string) *msgBuilder {
	a := netip.MustParseAddr(ip)
	return m.rr(&m.ar, name, map[bool]uint16{true: TypeA, false: TypeAAAA}[a.Is4()], a.AsSlice())
}

func (m *msgBuilder) cname(name, target string) *msgBuilder {
	t, _ := AppendName(nil, target)
	return m.rr(&m.an, name, TypeCNAME, t)
}

func srvData(prio, weight, port uint16, target string) []byte {
	d := binary.BigEndian.AppendUint16(nil, prio)
	d = binary.BigEndian.AppendUint16(d, weight)
	d = binary.BigEndian.AppendUint16(d, port)
	d, _ = AppendName(d, target)
	return d
}

func (m *msgBuilder) srv(name string, prio, weight, port uint16, target string) *msgBuilder {
	return m.rr(&m.an, name, TypeSRV, srvData(prio, weight, port, target))
}

func (m *msgBuilder) bytes() []byte {
	out := append([]byte(nil), m.b...)
	binary.BigEndian.PutUint16(out[6:], uint16(m.an))
	binary.BigEndian.PutUint16(out[8:], uint16(m.ns))
	binary.BigEndian.PutUint16(out[10:], uint16(m.ar))
	return out
}

func TestAppendQuery(t *testing.T) {
	q, err := AppendQuery(nil, 0xbeef, "App.Example.", TypeAAAA, 1232)
	if err != nil {
		t.Fatal(err)
	}
	want := "\xbe\xef\x01\x00\x00\x01\x00\x00\x00\x00\x00\x01" +
		"\x03App\x07Example\x00\x00\x1c\x00\x01" +
		"\x00\x00\x29\x04\xd0\x00\x00\x00\x00\x00\x00"
	if string(q) != want {
		t.Fatalf("query\n got %q\nwant %q", q, want)
	}
	for _, bad := range []string{"", "a..b", "a b", strings.Repeat("a", 64) + ".b", strings.Repeat("abcdefgh.", 32)} {
		if _, err := AppendQuery(nil, 1, bad, TypeA, 512); err == nil {
			t.Errorf("AppendQuery(%q) accepted", bad)
		}
	}
}

func TestParse(t *testing.T) {
	const q = 12 // offset of the question name in every built message
	srvA := newResponse(7, 0, "_web._tcp.svc", TypeSRV).
		srv("@12", 1, 10, 8080, "a.svc").srv("@12", 1, 0, 8081, "b.svc")
	srvA.additionalA("a.svc", "10.0.0.1")
	tests := []struct {
		name    string
		msg     []byte
		check   func(t *testing.T, m *Message)
		wantErr string
	}{
		{name: "A answers", msg: newResponse(1, 0, "app.test", TypeA).a("app.test", "127.0.0.1").a("@12", "127.0.0.2").bytes(),
			check: func(t *testing.T, m *Message) {
				if m.ID != 1 || !m.Response || m.RCode != 0 || m.Question != (Question{"app.test", TypeA, ClassIN}) {
					t.Errorf("header/question %+v", m)
				}
				if len(m.Answers) != 2 || m.Answers[1].Name != "app.test" || m.Answers[1].Addr != netip.MustParseAddr("127.0.0.2") {
					t.Errorf("answers %+v", m.Answers)
				}
			}},
		{name: "upper case is lowered", msg: newResponse(1, 0, "APP.Test", TypeAAAA).a("App.TEST", "::1").bytes(),
			check: func(t *testing.T, m *Message) {
				if m.Question.Name != "app.test" || m.Answers[0].Name != "app.test" || m.Answers[0].Addr != netip.IPv6Loopback() {
					t.Errorf("%+v", m)
				}
			}},
		{name: "CNAME chain", msg: newResponse(2, 0, "www.test", TypeA).cname("@12", "real.test").a("real.test", "10.1.1.1").bytes(),
			check: func(t *testing.T, m *Message) {
				if len(m.Answers) != 2 || m.Answers[0].Target != "real.test" || m.Answers[1].Name != "real.test" {
					t.Errorf("%+v", m.Answers)
				}
			}},
		{name: "SRV with additional", msg: srvA.bytes(),
			check: func(t *testing.T, m *Message) {
				if len(m.Answers) != 2 || m.Answers[0] != (Record{Name: "_web._tcp.svc", Type: TypeSRV, Class: ClassIN, TTL: 60, Priority: 1, Weight: 10, Port: 8080, Target: "a.svc"}) {
					t.Errorf("answers %+v", m.Answers)
				}
				if len(m.Additional) != 1 || m.Additional[0].Name != "a.svc" || m.Additional[0].Addr != netip.MustParseAddr("10.0.0.1") {
					t.Errorf("additional %+v", m.Additional)
				}
			}},
		{name: "NXDOMAIN", msg: newResponse(3, RCodeNXDomain, "gone.test", TypeA).bytes(),
			check: func(t *testing.T, m *Message) {
				if m.RCode != RCodeNXDomain || len(m.Answers) != 0 {
					t.Errorf("%+v", m)
				}
			}},
		{name: "unknown record type skipped", msg: func() []byte {
			m := newResponse(4, 0, "t.test", TypeA)
			return m.rr(&m.an, "t.test", 16, []byte("\x03txt")).a("t.test", "1.2.3.4").bytes()
		}(),
			check: func(t *testing.T, m *Message) {
				if len(m.Answers) != 1 || m.Answers[0].Type != TypeA {
					t.Errorf("%+v", m.Answers)
				}
			}},
		{name: "short header", msg: []byte{1, 2, 3}, wantErr: "shorter than a header"},
		{name: "truncated record", msg: newResponse(5, 0, "t.test", TypeA).a("t.test", "1.2.3.4").bytes()[:35], wantErr: "cut short"},
		{name: "trailing bytes", msg: append(newResponse(5, 0, "t.test", TypeA).a("t.test", "1.2.3.4").bytes(), 0), wantErr: "after the last record"},
		{name: "pointer to itself", msg: newResponse(6, 0, "t.test", TypeA).a("@24", "1.2.3.4").bytes(), wantErr: "does not go backwards"},
		{name: "forward pointer", msg: newResponse(6, 0, "t.test", TypeA).a("@60", "1.2.3.4").bytes(), wantErr: "does not go backwards"},
		{name: "counts beyond the message", msg: func() []byte {
			b := newResponse(8, 0, "t.test", TypeA).a("t.test", "1.2.3.4").bytes()
			binary.BigEndian.PutUint16(b[6:], 0xffff)
			return b
		}(), wantErr: "header announces"},
		{name: "bad byte in a name", msg: func() []byte {
			b := newResponse(9, 0, "t.test", TypeA).bytes()
			b[q+1] = '.'
			return b
		}(), wantErr: "invalid byte"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := Parse(tc.msg)
			if tc.wantErr != "" {
				if err == nil || !errors.Is(err, ErrMalformed) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, m)
		})
	}
}

func TestParseRecordSizes(t *testing.T) {
	for _, tc := range []struct {
		typ  uint16
		data []byte
		want string
	}{
		{TypeA, []byte{1, 2, 3}, "A record of 3 bytes"},
		{TypeAAAA, make([]byte, 4), "AAAA record of 4 bytes"},
		{TypeSRV, []byte{0, 1, 0, 1, 0, 80}, "SRV record of 6 bytes"},
		{TypeSRV, append(srvData(1, 1, 80, "a.b"), 9), "trailing bytes"},
		{TypeCNAME, []byte{3, 'a', 'b'}, "label runs past"},
	} {
		m := newResponse(1, 0, "t.test", tc.typ)
		m.rr(&m.an, "t.test", tc.typ, tc.data)
		if _, err := Parse(m.bytes()); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("type %d %x: err %v, want %q", tc.typ, tc.data, err, tc.want)
		}
	}
}

func TestParseLongName(t *testing.T) {
	// A TXT record whose data holds a chain of labels, each followed by
	// a pointer to the previous one (always backwards), then an A record
	// named by a pointer to the last: the name spells 279 bytes.
	m := newResponse(1, 0, "a.b", TypeA)
	base := len(m.b) + len("\x01a\x01b\x00") + 10 // where the TXT data starts
	var chain []byte
	prev := -1
	for i := range 9 {
		off := base + len(chain)
		chain = append(chain, 30)
		chain = append(chain, strings.Repeat(string(rune('a'+i)), 30)...)
		if prev < 0 {
			chain = append(chain, 0)
		} else {
			chain = append(chain, 0xc0|byte(prev>>8), byte(prev))
		}
		prev = off
	}
	m.rr(&m.an, "a.b", 16, chain)
	m.rr(&m.an, "@"+strconv.Itoa(prev), TypeA, []byte{1, 2, 3, 4})
	if _, err := Parse(m.bytes()); err == nil || !strings.Contains(err.Error(), "longer than 255") {
		t.Fatalf("err %v", err)
	}
}
