package proxyproto

import (
	"encoding/binary"
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func v2(verCmd, fam byte, body []byte) []byte {
	b := append([]byte{}, Sig2...)
	b = append(b, verCmd, fam)
	b = binary.BigEndian.AppendUint16(b, uint16(len(body)))
	return append(b, body...)
}

func v4body(tlvs ...byte) []byte {
	b := []byte{1, 2, 3, 4, 5, 6, 7, 8, 0x04, 0xd2, 0x00, 0x50}
	return append(b, tlvs...)
}

func TestParse(t *testing.T) {
	long := "PROXY TCP6 " + strings.Repeat("f", 100) + "\r\n"
	tests := []struct {
		name string
		in   []byte
		src  string // "" with want error; "local" for Local
		dst  string
		n    int
		err  Code // 0 for success, -1 for ErrIncomplete
	}{
		{"v1 tcp4", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\nGET"), "1.2.3.4:1234", "5.6.7.8:80", 36, 0},
		{"v1 tcp6", []byte("PROXY TCP6 ::1 2001:db8::1 65535 0\r\n"), "[::1]:65535", "[2001:db8::1]:0", 36, 0},
		{"v1 unknown", []byte("PROXY UNKNOWN whatever\r\nX"), "local", "", 24, 0},
		{"v1 bare unknown", []byte("PROXY UNKNOWN\r\n"), "local", "", 15, 0},
		{"v1 partial", []byte("PROXY TCP4 1.2."), "", "", 0, -1},
		{"v1 partial signature", []byte("PRO"), "", "", 0, -1},
		{"v1 not proxy", []byte("GET / HTTP/1.1\r\n"), "", "", 0, CodeNotProxy},
		{"v1 lower case", []byte("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), "", "", 0, CodeNotProxy},
		{"v1 udp", []byte("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), "", "", 0, CodeProtocol},
		{"v1 port too big", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 99999\r\n"), "", "", 0, CodeInvalid},
		{"v1 leading zero port", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 01 2\r\n"), "", "", 0, CodeInvalid},
		{"v1 family mismatch", []byte("PROXY TCP4 ::1 5.6.7.8 1 2\r\n"), "", "", 0, CodeInvalid},
		{"v1 missing field", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), "", "", 0, CodeInvalid},
		{"v1 extra field", []byte("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), "", "", 0, CodeInvalid},
		{"v1 double space", []byte("PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n"), "", "", 0, CodeInvalid},
		{"v1 bad ip", []byte("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), "", "", 0, CodeInvalid},
		{"v1 too long", []byte(long), "", "", 0, CodeInvalid},
		{"v1 no crlf in 107", []byte(strings.Repeat("PROXY ", 20)), "", "", 0, CodeInvalid},
		{"v2 tcp4", append(v2(0x21, 0x11, v4body()), 'x'), "1.2.3.4:1234", "5.6.7.8:80", 28, 0},
		{"v2 local", v2(0x20, 0x00, nil), "local", "", 16, 0},
		{"v2 local with bytes", v2(0x20, 0x11, []byte{1, 2, 3}), "local", "", 19, 0},
		{"v2 unix kept local", v2(0x21, 0x31, make([]byte, 216)), "local", "", 232, 0},
		{"v2 tcp4 short", v2(0x21, 0x11, []byte{1, 2, 3}), "", "", 0, CodeInvalid},
		{"v2 version 1 (HAProxy: not a header)", v2(0x11, 0x11, v4body()), "", "", 0, CodeNotProxy},
		{"v2 command 2", v2(0x22, 0x11, v4body()), "", "", 0, CodeInvalid},
		{"v2 partial", v2(0x21, 0x11, v4body())[:20], "", "", 0, -1},
		{"v2 partial signature", Sig2[:5], "", "", 0, -1},
		{"v2 bad signature", []byte("\r\n\r\nX"), "", "", 0, CodeNotProxy},
		{"v2 tlv", v2(0x21, 0x11, v4body(TypeAuthority, 0, 3, 'a', 'b', 'c')), "1.2.3.4:1234", "5.6.7.8:80", 34, 0},
		{"v2 tlv overflows", v2(0x21, 0x11, v4body(TypeAuthority, 0, 9, 'a')), "", "", 0, CodeInvalid},
		{"v2 tlv header cut", v2(0x21, 0x11, v4body(TypeAuthority, 0)), "", "", 0, CodeInvalid},
		{"v2 bad crc", v2(0x21, 0x11, v4body(TypeCRC32C, 0, 4, 1, 2, 3, 4)), "", "", 0, CodeInvalid},
		{"v2 crc wrong size", v2(0x21, 0x11, v4body(TypeCRC32C, 0, 2, 1, 2)), "", "", 0, CodeInvalid},
		{"v2 unique id too long", v2(0x21, 0x11, v4body(append([]byte{TypeUniqueID, 0, 129}, make([]byte, 129)...)...)), "", "", 0, CodeInvalid},
		{"v2 too large", v2(0x21, 0x11, make([]byte, MaxV2)), "", "", 0, CodeInvalid},
		{"empty", nil, "", "", 0, -1},
		{"tls hello", []byte{0x16, 3, 1}, "", "", 0, CodeNotProxy},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, n, err := Parse(tt.in)
			switch {
			case tt.err == -1:
				if err != ErrIncomplete {
					t.Fatalf("got %v, want incomplete", err)
				}
				return
			case tt.err != 0:
				var pe *Error
				if !errors.As(err, &pe) || pe.Code != tt.err {
					t.Fatalf("got %v, want code %d (%s)", err, tt.err, messages[tt.err])
				}
				return
			case err != nil:
				t.Fatalf("unexpected error %v", err)
			}
			if n != tt.n {
				t.Errorf("length %d, want %d", n, tt.n)
			}
			if tt.src == "local" {
				if !h.Local {
					t.Errorf("want a local header, got %+v", h)
				}
				return
			}
			if h.Local || h.Source.String() != tt.src || h.Dest.String() != tt.dst {
				t.Errorf("got %v -> %v (local %v), want %s -> %s", h.Source, h.Dest, h.Local, tt.src, tt.dst)
			}
		})
	}
}

func TestAppendRoundTrip(t *testing.T) {
	cases := []struct{ src, dst string }{
		{"10.0.0.1:1234", "10.0.0.2:80"},
		{"[2001:db8::1]:443", "[2001:db8::2]:8443"},
		{"10.0.0.1:1", "[2001:db8::2]:2"}, // mixed: sent as IPv6
	}
	tlvs := []TLV{{TypeAuthority, []byte("example.com")}, {TypeSSL, SSLValue(ClientSSL, 0, []TLV{{SubtypeSSLVersion, []byte("TLSv1.3")}})}}
	for _, c := range cases {
		src, dst := netip.MustParseAddrPort(c.src), netip.MustParseAddrPort(c.dst)
		for _, b := range [][]byte{AppendV1(nil, src, dst), AppendV2(nil, src, dst, tlvs, true), AppendV2(nil, src, dst, nil, false)} {
			h, n, err := Parse(b)
			if err != nil || n != len(b) {
				t.Fatalf("%q: %v (n %d of %d)", b, err, n, len(b))
			}
			if h.Source.Addr().Unmap() != src.Addr().Unmap() || h.Source.Port() != src.Port() ||
				h.Dest.Addr().Unmap() != dst.Addr().Unmap() || h.Dest.Port() != dst.Port() {
				t.Errorf("%q: got %v -> %v", b, h.Source, h.Dest)
			}
			if h.Version == 2 && len(h.TLVs) > 0 {
				if string(h.TLV(TypeAuthority)) != "example.com" || h.TLV(TypeCRC32C) == nil {
					t.Errorf("TLVs lost: %+v", h.TLVs)
				}
			}
		}
	}
	if got := string(AppendV1(nil, netip.AddrPort{}, netip.AddrPort{})); got != "PROXY UNKNOWN\r\n" {
		t.Errorf("unknown v1: %q", got)
	}
	h, _, err := Parse(AppendV2(nil, netip.AddrPort{}, netip.AddrPort{}, nil, true))
	if err != nil || !h.Local {
		t.Errorf("local v2: %+v %v", h, err)
	}
	// The CRC covers the whole header: flipping any byte after it breaks it.
	b := AppendV2(nil, netip.MustParseAddrPort("1.2.3.4:5"), netip.MustParseAddrPort("6.7.8.9:10"), nil, true)
	b[18] ^= 1
	if _, _, err := Parse(b); err == nil {
		t.Error("corrupted header with CRC accepted")
	}
}

// FuzzParse: Parse never panics, a header it accepts is no longer than
// the input and the limits, and any prefix of an accepted header is
// incomplete (so a reader peeking byte by byte never misreads one).
func FuzzParse(f *testing.F) {
	f.Add([]byte("PROXY TCP4 1.2.3.4 5.6.7.8 1234 80\r\n"))
	f.Add([]byte("PROXY UNKNOWN\r\n"))
	f.Add(AppendV2(nil, netip.MustParseAddrPort("1.2.3.4:5"), netip.MustParseAddrPort("[::1]:6"), []TLV{{TypeUniqueID, []byte("id")}}, true))
	f.Add(v2(0x20, 0, nil))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := Parse(b)
		if err != nil {
			var pe *Error
			if err != ErrIncomplete && !errors.As(err, &pe) {
				t.Fatalf("unexpected error type %T", err)
			}
			return
		}
		if n > len(b) || n > MaxV2 || h.Version == 1 && n > MaxV1 {
			t.Fatalf("length %d of %d", n, len(b))
		}
		for i := 1; i < n; i++ {
			if _, _, err := Parse(b[:i]); err != ErrIncomplete {
				t.Fatalf("prefix %d of an accepted header: %v", i, err)
			}
		}
		if !h.Local && (!h.Source.IsValid() || !h.Dest.IsValid()) {
			t.Fatalf("addresses missing: %+v", h)
		}
	})
}
