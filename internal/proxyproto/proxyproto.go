package proxyproto

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"net/netip"
	"strconv"
)

// Sig2 is the 12-byte signature that starts a version 2 header.
var Sig2 = []byte("\r\n\r\n\x00\r\nQUIT\n")

// TLV types of version 2 (the PROXY protocol specification's names).
const (
	TypeALPN      = 0x01
	TypeAuthority = 0x02
	TypeCRC32C    = 0x03
	TypeNoop      = 0x04
	TypeUniqueID  = 0x05
	TypeSSL       = 0x20
	TypeNetNS     = 0x30

	// Sub-TLVs of TypeSSL.
	SubtypeSSLVersion = 0x21
	SubtypeSSLCN      = 0x22
	SubtypeSSLCipher  = 0x23
	SubtypeSSLSigAlg  = 0x24
	SubtypeSSLKeyAlg  = 0x25

	// ClientSSL and the other client flags of a TypeSSL value.
	ClientSSL      = 0x01
	ClientCertConn = 0x02
	ClientCertSess = 0x04
)

// Limits HAProxy enforces on received headers.
const (
	// MaxV1 is the longest version 1 line, CRLF included.
	MaxV1 = 107
	// MaxV2 bounds a whole version 2 header: HAProxy reads it into one
	// buffer of tune.bufsize (16 KiB).
	MaxV2 = 16384
	// MaxAuthority and MaxUniqueID bound those TLVs' values.
	MaxAuthority = 255
	MaxUniqueID  = 128
)

// TLV is one type-length-value entry of a version 2 header.
type TLV struct {
	Type  byte
	Value []byte
}

// Header is a received PROXY header.
type Header struct {
	// Version is 1 or 2.
	Version int
	// Local is true when the header carries no address to use: a
	// version 2 LOCAL command, version 1 UNKNOWN, or a family other than
	// TCP over IPv4/IPv6. The connection's own addresses then apply.
	Local bool
	// Source and Dest are the client's address and the one it reached,
	// valid when !Local.
	Source, Dest netip.AddrPort
	// TLVs are the version 2 TLVs of a TCP header, in order; their
	// values alias the parsed bytes (Parse callers copy: see Clone).
	TLVs []TLV
}

// TLV returns the value of the first TLV of type t, or nil.
func (h *Header) TLV(t byte) []byte {
	for _, v := range h.TLVs {
		if v.Type == t {
			return v.Value
		}
	}
	return nil
}

// Clone returns a copy of h whose TLV values own their bytes.
func (h *Header) Clone() *Header {
	c := *h
	c.TLVs = nil
	for _, t := range h.TLVs {
		c.TLVs = append(c.TLVs, TLV{Type: t.Type, Value: bytes.Clone(t.Value)})
	}
	return &c
}

// Code is HAProxy's connection error code (the fc_err fetch) for a PROXY
// header problem.
type Code int

// Codes and messages, as HAProxy logs them (fc_err_str).
const (
	CodeClosed    Code = 11 // the client closed before sending a byte
	CodeConnError Code = 12 // the socket failed while waiting
	CodeTimeout   Code = 13 // no complete header in time
	CodeTruncated Code = 14 // the client closed within the header
	CodeNotProxy  Code = 15 // the first bytes are no PROXY signature
	CodeInvalid   Code = 16 // a PROXY header, but malformed
	CodeProtocol  Code = 17 // a version 1 protocol other than TCP4, TCP6, UNKNOWN
)

var messages = map[Code]string{
	CodeClosed:    "Connection closed while waiting for PROXY protocol header",
	CodeConnError: "Connection error while waiting for PROXY protocol header",
	CodeTimeout:   "Timeout while waiting for PROXY protocol header",
	CodeTruncated: "Truncated PROXY protocol header received",
	CodeNotProxy:  "Received something which does not look like a PROXY protocol header",
	CodeInvalid:   "Received an invalid PROXY protocol header",
	CodeProtocol:  "Received an unhandled protocol in the PROXY protocol header",
}

// Error is a refused header, with HAProxy's code and message.
type Error struct{ Code Code }

func (e *Error) Error() string { return messages[e.Code] }

// ErrIncomplete means the bytes so far are a valid beginning: read more.
var ErrIncomplete = errors.New("proxyproto: incomplete header")

var (
	errNotProxy = &Error{Code: CodeNotProxy}
	errInvalid  = &Error{Code: CodeInvalid}
	errProtocol = &Error{Code: CodeProtocol}
)

// Errorf returns the *Error of code c (for the failures the reader sees
// itself: close, timeout, socket error).
func Errorf(c Code) *Error { return &Error{Code: c} }

// Parse reads a header from the start of b. It returns the header and the
// number of bytes it takes, ErrIncomplete when b is a valid but unfinished
// beginning, or an *Error. The header's TLV values alias b.
func Parse(b []byte) (*Header, int, error) {
	if len(b) == 0 {
		return nil, 0, ErrIncomplete
	}
	switch b[0] {
	case 'P':
		return parseV1(b)
	case '\r':
		return parseV2(b)
	}
	return nil, 0, errNotProxy
}

// prefixOf reports whether b is a prefix of want or starts with it.
func prefixOf(b []byte, want string) (full, ok bool) {
	if len(b) >= len(want) {
		return true, string(b[:len(want)]) == want
	}
	return false, string(b) == want[:len(b)]
}

func parseV1(b []byte) (*Header, int, error) {
	full, ok := prefixOf(b, "PROXY ")
	if !ok {
		return nil, 0, errNotProxy
	}
	end := bytes.Index(b, []byte("\r\n"))
	if !full || end < 0 {
		if len(b) >= MaxV1 {
			return nil, 0, errInvalid
		}
		return nil, 0, ErrIncomplete
	}
	if end+2 > MaxV1 {
		return nil, 0, errInvalid
	}
	line := string(b[6:end])
	n := end + 2
	h := &Header{Version: 1}
	proto, rest, _ := cut(line)
	switch proto {
	case "UNKNOWN":
		// Anything may follow; the real addresses apply.
		h.Local = true
		return h, n, nil
	case "TCP4", "TCP6":
	default:
		return nil, 0, errProtocol
	}
	var f [4]string
	for i := range f {
		f[i], rest, _ = cut(rest)
		if f[i] == "" {
			return nil, 0, errInvalid
		}
	}
	if rest != "" {
		return nil, 0, errInvalid
	}
	src, err1 := netip.ParseAddr(f[0])
	dst, err2 := netip.ParseAddr(f[1])
	sp, ok1 := port(f[2])
	dp, ok2 := port(f[3])
	if err1 != nil || err2 != nil || !ok1 || !ok2 || src.Zone() != "" || dst.Zone() != "" {
		return nil, 0, errInvalid
	}
	v4 := proto == "TCP4"
	if src.Is4() != v4 || dst.Is4() != v4 {
		return nil, 0, errInvalid
	}
	h.Source, h.Dest = netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp)
	return h, n, nil
}

// cut splits s at its first space; a field never contains one.
func cut(s string) (field, rest string, found bool) {
	if i := bytes.IndexByte([]byte(s), ' '); i >= 0 {
		return s[:i], s[i+1:], true
	}
	return s, "", false
}

// port reads a decimal port, 0..65535, without sign or leading zeros
// beyond a single "0".
func port(s string) (uint16, bool) {
	if s == "" || len(s) > 5 || len(s) > 1 && s[0] == '0' {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 16)
	if err != nil {
		return 0, false
	}
	return uint16(n), true
}

const headerLenV2 = 16

func parseV2(b []byte) (*Header, int, error) {
	full, ok := prefixOf(b, string(Sig2))
	if !ok {
		return nil, 0, errNotProxy
	}
	if !full || len(b) < headerLenV2 {
		return nil, 0, ErrIncomplete
	}
	verCmd, fam := b[12], b[13]
	if verCmd>>4 != 2 {
		// Another version is not a header HAProxy knows at all.
		return nil, 0, errNotProxy
	}
	if verCmd&0x0f > 1 {
		return nil, 0, errInvalid
	}
	total := headerLenV2 + int(binary.BigEndian.Uint16(b[14:16]))
	if total > MaxV2 {
		return nil, 0, errInvalid
	}
	if len(b) < total {
		return nil, 0, ErrIncomplete
	}
	h := &Header{Version: 2, Local: true}
	if verCmd&0x0f == 0 { // LOCAL
		return h, total, nil
	}
	off := total
	switch fam {
	case 0x11: // TCP over IPv4
		if total < headerLenV2+12 {
			return nil, 0, errInvalid
		}
		a := b[headerLenV2:]
		h.Source = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[0:4])), binary.BigEndian.Uint16(a[8:10]))
		h.Dest = netip.AddrPortFrom(netip.AddrFrom4([4]byte(a[4:8])), binary.BigEndian.Uint16(a[10:12]))
		h.Local, off = false, headerLenV2+12
	case 0x21: // TCP over IPv6
		if total < headerLenV2+36 {
			return nil, 0, errInvalid
		}
		a := b[headerLenV2:]
		h.Source = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[0:16])), binary.BigEndian.Uint16(a[32:34]))
		h.Dest = netip.AddrPortFrom(netip.AddrFrom16([16]byte(a[16:32])), binary.BigEndian.Uint16(a[34:36]))
		h.Local, off = false, headerLenV2+36
	}
	// TLVs of a TCP header, as HAProxy reads them: each must fit, and
	// together they must end exactly at the header's end.
	for off < total {
		if off+3 > total {
			return nil, 0, errInvalid
		}
		t, l := b[off], int(binary.BigEndian.Uint16(b[off+1:off+3]))
		start := off + 3
		off = start + l
		if off > total {
			return nil, 0, errInvalid
		}
		v := b[start:off]
		switch t {
		case TypeCRC32C:
			if l != 4 || !crcMatches(b[:total], start) {
				return nil, 0, errInvalid
			}
		case TypeAuthority:
			if l > MaxAuthority {
				return nil, 0, errInvalid
			}
		case TypeUniqueID:
			if l > MaxUniqueID {
				return nil, 0, errInvalid
			}
		}
		h.TLVs = append(h.TLVs, TLV{Type: t, Value: v})
	}
	return h, total, nil
}

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crcMatches checks the CRC32C whose value starts at at: it is computed
// over the whole header with that value zeroed.
func crcMatches(hdr []byte, at int) bool {
	want := binary.BigEndian.Uint32(hdr[at : at+4])
	h := crc32.New(castagnoli)
	h.Write(hdr[:at])
	h.Write([]byte{0, 0, 0, 0})
	h.Write(hdr[at+4:])
	return h.Sum32() == want
}

// AppendV1 appends a version 1 line announcing a connection from src to
// dst; when either is not valid, it appends "PROXY UNKNOWN\r\n".
func AppendV1(b []byte, src, dst netip.AddrPort) []byte {
	if !src.IsValid() || !dst.IsValid() {
		return append(b, "PROXY UNKNOWN\r\n"...)
	}
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	if s.Is4() && d.Is4() {
		b = append(b, "PROXY TCP4 "...)
	} else {
		s, d = as6(s), as6(d)
		b = append(b, "PROXY TCP6 "...)
	}
	b = s.AppendTo(b)
	b = append(b, ' ')
	b = d.AppendTo(b)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(src.Port()), 10)
	b = append(b, ' ')
	b = strconv.AppendUint(b, uint64(dst.Port()), 10)
	return append(b, "\r\n"...)
}

func as6(a netip.Addr) netip.Addr {
	if a.Is4() {
		return netip.AddrFrom16(a.As16())
	}
	return a
}

// AppendV2 appends a version 2 header announcing a connection from src
// to dst with tlvs, followed by a CRC32C TLV when crc is set. When src or
// dst is not valid it appends a LOCAL header (with the TLVs).
func AppendV2(b []byte, src, dst netip.AddrPort, tlvs []TLV, crc bool) []byte {
	start := len(b)
	b = append(b, Sig2...)
	local := !src.IsValid() || !dst.IsValid()
	s, d := src.Addr().Unmap(), dst.Addr().Unmap()
	switch {
	case local:
		b = append(b, 0x20, 0x00, 0, 0)
	case s.Is4() && d.Is4():
		b = append(b, 0x21, 0x11, 0, 0)
		b = append(b, s.AsSlice()...)
		b = append(b, d.AsSlice()...)
		b = binary.BigEndian.AppendUint16(b, src.Port())
		b = binary.BigEndian.AppendUint16(b, dst.Port())
	default:
		b = append(b, 0x21, 0x21, 0, 0)
		s16, d16 := s.As16(), d.As16()
		b = append(b, s16[:]...)
		b = append(b, d16[:]...)
		b = binary.BigEndian.AppendUint16(b, src.Port())
		b = binary.BigEndian.AppendUint16(b, dst.Port())
	}
	crcAt := -1
	if crc {
		b = append(b, TypeCRC32C, 0, 4)
		crcAt = len(b)
		b = append(b, 0, 0, 0, 0)
	}
	for _, t := range tlvs {
		b = AppendTLV(b, t.Type, t.Value)
	}
	binary.BigEndian.PutUint16(b[start+14:], uint16(len(b)-start-headerLenV2))
	if crcAt >= 0 {
		binary.BigEndian.PutUint32(b[crcAt:], crc32.Checksum(b[start:], castagnoli))
	}
	return b
}

// AppendTLV appends one TLV (values longer than 65535 bytes are cut).
func AppendTLV(b []byte, t byte, v []byte) []byte {
	if len(v) > 0xffff {
		v = v[:0xffff]
	}
	b = append(b, t)
	b = binary.BigEndian.AppendUint16(b, uint16(len(v)))
	return append(b, v...)
}

// SSLValue builds the value of a TypeSSL TLV: the client flags, the
// verify result (0: verified) and the sub-TLVs.
func SSLValue(client byte, verify uint32, sub []TLV) []byte {
	v := []byte{client}
	v = binary.BigEndian.AppendUint32(v, verify)
	for _, t := range sub {
		v = AppendTLV(v, t.Type, t.Value)
	}
	return v
}
