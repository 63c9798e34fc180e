package resolve

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// DNS record types and the one class Baton asks for.
const (
	TypeA     uint16 = 1
	TypeCNAME uint16 = 5
	TypeAAAA  uint16 = 28
	TypeSRV   uint16 = 33
	TypeOPT   uint16 = 41
	ClassIN   uint16 = 1
)

// Response codes (RFC 1035 4.1.1) that change what Baton does.
const (
	RCodeSuccess  = 0
	RCodeNXDomain = 3
	RCodeRefused  = 5
)

// Limits of the wire format.
const (
	headerLen = 12
	// maxNameLen is the longest name on the wire, length bytes included.
	maxNameLen = 255
	maxLabel   = 63
	// minRRLen is the smallest resource record: a root name (1 byte),
	// type, class, TTL and data length.
	minRRLen = 11
	// maxPointers bounds the compression pointers followed for one name;
	// pointers must also go strictly backwards, so a loop cannot form.
	maxPointers = 64
)

// ErrMalformed is wrapped by every parse error: the message breaks the
// wire format (truncated, overlong, a compression loop, a bad record).
var ErrMalformed = errors.New("malformed DNS message")

func malformed(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrMalformed, fmt.Sprintf(format, args...))
}

// Question is the one question of a query or response.
type Question struct {
	Name  string // lower case, no trailing dot
	Type  uint16
	Class uint16
}

// Record is one resource record of the answer or additional section.
// Only the fields of its type are set.
type Record struct {
	Name  string // owner, lower case, no trailing dot
	Type  uint16
	Class uint16
	TTL   uint32
	// Addr is the address of an A or AAAA record.
	Addr netip.Addr
	// Target is a CNAME's canonical name or an SRV record's target.
	Target string
	// Priority, Weight and Port are an SRV record's fields.
	Priority, Weight, Port uint16
}

// Message is a parsed DNS response. Records of types Baton does not use
// (and the authority section) are skipped after their framing is checked.
type Message struct {
	ID        uint16
	Response  bool
	Truncated bool
	RCode     int
	// Questions is the question count announced in the header; Question
	// is the first one (responses to Baton's queries carry exactly one).
	Questions  int
	Question   Question
	Answers    []Record
	Additional []Record
}

// AppendQuery appends a recursive query for name (type qtype, class IN)
// with an EDNS0 OPT record announcing payload as the largest UDP answer
// accepted, as HAProxy's resolvers do.
func AppendQuery(dst []byte, id uint16, name string, qtype uint16, payload int) ([]byte, error) {
	dst = binary.BigEndian.AppendUint16(dst, id)
	dst = binary.BigEndian.AppendUint16(dst, 0x0100) // RD
	dst = binary.BigEndian.AppendUint16(dst, 1)      // QDCOUNT
	dst = binary.BigEndian.AppendUint16(dst, 0)      // ANCOUNT
	dst = binary.BigEndian.AppendUint16(dst, 0)      // NSCOUNT
	dst = binary.BigEndian.AppendUint16(dst, 1)      // ARCOUNT: the OPT record
	var err error
	if dst, err = AppendName(dst, name); err != nil {
		return nil, err
	}
	dst = binary.BigEndian.AppendUint16(dst, qtype)
	dst = binary.BigEndian.AppendUint16(dst, ClassIN)
	// OPT: root name, type, payload size in the class field, no
	// extended flags, no options.
	dst = append(dst, 0)
	dst = binary.BigEndian.AppendUint16(dst, TypeOPT)
	dst = binary.BigEndian.AppendUint16(dst, uint16(payload))
	dst = binary.BigEndian.AppendUint32(dst, 0)
	dst = binary.BigEndian.AppendUint16(dst, 0)
	return dst, nil
}

// AppendName appends name in wire form (uncompressed).
func AppendName(dst []byte, name string) ([]byte, error) {
	name = strings.TrimSuffix(name, ".")
	if err := CheckName(name); err != nil {
		return nil, err
	}
	for name != "" {
		label, rest, _ := strings.Cut(name, ".")
		dst = append(dst, byte(len(label)))
		dst = append(dst, label...)
		name = rest
	}
	return append(dst, 0), nil
}

// CheckName reports whether name (without trailing dot) is a host name
// or SRV label Baton can query: labels of 1..63 letters, digits, '-' or
// '_', 253 characters at most.
func CheckName(name string) error {
	if name == "" {
		return fmt.Errorf("empty name")
	}
	if len(name) > maxNameLen-2 {
		return fmt.Errorf("name %q is longer than 253 characters", name)
	}
	for _, label := range strings.Split(name, ".") {
		if label == "" {
			return fmt.Errorf("name %q has an empty label", name)
		}
		if len(label) > maxLabel {
			return fmt.Errorf("name %q has a label longer than 63 characters", name)
		}
		for i := 0; i < len(label); i++ {
			if !nameByte(label[i]) {
				return fmt.Errorf("name %q: invalid character %q", name, label[i])
			}
		}
	}
	return nil
}

func nameByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_'
}

// Parse parses a DNS response. Every length and count is checked against
// the message: a truncated or overlong message, a compression pointer
// that does not go strictly backwards, a name or label over its limit, a
// name with bytes outside letters, digits, '-' and '_', or an A/AAAA/SRV
// record of the wrong size is an error wrapping ErrMalformed. Parse
// never panics and allocates in proportion to the message.
func Parse(b []byte) (*Message, error) {
	if len(b) < headerLen {
		return nil, malformed("%d bytes, shorter than a header", len(b))
	}
	m := &Message{ID: binary.BigEndian.Uint16(b)}
	flags := binary.BigEndian.Uint16(b[2:])
	m.Response = flags&0x8000 != 0
	m.Truncated = flags&0x0200 != 0
	m.RCode = int(flags & 0x000f)
	qd := int(binary.BigEndian.Uint16(b[4:]))
	an := int(binary.BigEndian.Uint16(b[6:]))
	ns := int(binary.BigEndian.Uint16(b[8:]))
	ar := int(binary.BigEndian.Uint16(b[10:]))
	m.Questions = qd
	// Every question takes at least 5 bytes and every record 11: counts
	// the message cannot hold are refused before anything is allocated.
	if qd*5+(an+ns+ar)*minRRLen > len(b)-headerLen {
		return nil, malformed("header announces %d questions and %d records in %d bytes", qd, an+ns+ar, len(b))
	}
	off := headerLen
	for i := range qd {
		name, n, err := readName(b, off)
		if err != nil {
			return nil, err
		}
		off = n
		if off+4 > len(b) {
			return nil, malformed("question %d cut short", i+1)
		}
		if i == 0 {
			m.Question = Question{Name: name, Type: binary.BigEndian.Uint16(b[off:]), Class: binary.BigEndian.Uint16(b[off+2:])}
		}
		off += 4
	}
	var err error
	if m.Answers, off, err = readRecords(b, off, an, true); err != nil {
		return nil, err
	}
	if _, off, err = readRecords(b, off, ns, false); err != nil {
		return nil, err
	}
	if m.Additional, off, err = readRecords(b, off, ar, true); err != nil {
		return nil, err
	}
	if off != len(b) {
		return nil, malformed("%d bytes after the last record", len(b)-off)
	}
	return m, nil
}

// readRecords reads n records from off; with keep, the A, AAAA, CNAME and
// SRV records are returned (others are checked and skipped).
func readRecords(b []byte, off, n int, keep bool) ([]Record, int, error) {
	var out []Record
	for i := range n {
		name, next, err := readName(b, off)
		if err != nil {
			return nil, 0, err
		}
		off = next
		if off+10 > len(b) {
			return nil, 0, malformed("record %d cut short", i+1)
		}
		r := Record{
			Name:  name,
			Type:  binary.BigEndian.Uint16(b[off:]),
			Class: binary.BigEndian.Uint16(b[off+2:]),
			TTL:   binary.BigEndian.Uint32(b[off+4:]),
		}
		rdlen := int(binary.BigEndian.Uint16(b[off+8:]))
		off += 10
		end := off + rdlen
		if end > len(b) {
			return nil, 0, malformed("record %d data runs past the message", i+1)
		}
		used := true
		switch r.Type {
		case TypeA:
			if rdlen != 4 {
				return nil, 0, malformed("A record of %d bytes", rdlen)
			}
			r.Addr = netip.AddrFrom4([4]byte(b[off:end]))
		case TypeAAAA:
			if rdlen != 16 {
				return nil, 0, malformed("AAAA record of %d bytes", rdlen)
			}
			r.Addr = netip.AddrFrom16([16]byte(b[off:end]))
		case TypeCNAME:
			t, n, err := readName(b[:end], off)
			if err != nil {
				return nil, 0, err
			}
			if n != end {
				return nil, 0, malformed("CNAME record with %d trailing bytes", end-n)
			}
			r.Target = t
		case TypeSRV:
			if rdlen < 7 {
				return nil, 0, malformed("SRV record of %d bytes", rdlen)
			}
			r.Priority = binary.BigEndian.Uint16(b[off:])
			r.Weight = binary.BigEndian.Uint16(b[off+2:])
			r.Port = binary.BigEndian.Uint16(b[off+4:])
			t, n, err := readName(b[:end], off+6)
			if err != nil {
				return nil, 0, err
			}
			if n != end {
				return nil, 0, malformed("SRV record with %d trailing bytes", end-n)
			}
			r.Target = t
		default:
			used = false
		}
		off = end
		if keep && used {
			out = append(out, r)
		}
	}
	return out, off, nil
}

// readName reads the possibly compressed name at off in b. It returns the
// name in lower case without trailing dot ("" for the root) and the offset
// just past the name's bytes at off. A pointer must point strictly before
// the name or pointer that led to it, so every walk ends.
func readName(b []byte, off int) (string, int, error) {
	var name []byte
	end := -1 // where the name at off ends: after its first pointer, or its root label
	wire := 1 // length on the wire, root label included
	limit := off
	for hops := 0; ; {
		if off >= len(b) {
			return "", 0, malformed("name runs past the message")
		}
		c := int(b[off])
		switch c & 0xc0 {
		case 0x00:
			if c == 0 {
				if end < 0 {
					end = off + 1
				}
				return string(name), end, nil
			}
			if off+1+c > len(b) {
				return "", 0, malformed("label runs past the message")
			}
			wire += 1 + c
			if wire > maxNameLen {
				return "", 0, malformed("name longer than %d bytes", maxNameLen)
			}
			if len(name) > 0 {
				name = append(name, '.')
			}
			for _, ch := range b[off+1 : off+1+c] {
				if !nameByte(ch) {
					return "", 0, malformed("invalid byte %#x in a name", ch)
				}
				if ch >= 'A' && ch <= 'Z' {
					ch += 'a' - 'A'
				}
				name = append(name, ch)
			}
			off += 1 + c
		case 0xc0:
			if off+1 >= len(b) {
				return "", 0, malformed("compression pointer cut short")
			}
			if end < 0 {
				end = off + 2
			}
			hops++
			ptr := (c&0x3f)<<8 | int(b[off+1])
			if ptr >= limit || hops > maxPointers {
				return "", 0, malformed("compression pointer to %d does not go backwards", ptr)
			}
			limit = ptr
			off = ptr
		default:
			return "", 0, malformed("label type %#x", c&0xc0)
		}
	}
}
