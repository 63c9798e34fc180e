package tlsconf

import (
	"errors"
	"fmt"
)

// Hello is what TLS passthrough rules read from a client's first bytes
// (req.ssl_hello_type, req.ssl_sni): the handshake type and, for a
// ClientHello, the server name and ALPN protocols it carries.
type Hello struct {
	// Type is the handshake message type: 1 for a ClientHello.
	Type uint8
	// RecordVersion is the version of the first record's header (3.1 is
	// 0x0301), as req.ssl_ver reports it.
	RecordVersion uint16
	// SNI is the host_name of the server_name extension, lowercased as
	// sent (RFC 6066 names are ASCII); empty when absent.
	SNI []byte
	// ALPN lists the protocols of the ALPN extension.
	ALPN [][]byte
	// Len is how many bytes of the input the records holding the hello
	// took.
	Len int
}

// ErrIncomplete says the bytes so far are the start of a valid hello:
// read more (until the inspect delay ends).
var ErrIncomplete = errors.New("incomplete TLS client hello")

// HelloError is a definitive refusal: the bytes are not (or not only) a
// well-formed TLS handshake record.
type HelloError struct{ Reason string }

func (e *HelloError) Error() string { return "not a valid TLS client hello: " + e.Reason }

func helloErr(format string, args ...any) error {
	return &HelloError{Reason: fmt.Sprintf(format, args...)}
}

// Limits of the parser: a record's payload (RFC 8446: 2^14 for
// plaintext), and the whole hello, bounded by the inspection buffer.
const (
	maxRecord      = 1 << 14
	MaxHello       = 16 << 10
	recordHeader   = 5
	typeHandshake  = 0x16
	msgClientHello = 1
	extServerName  = 0
	extALPN        = 16
	maxHostName    = 255
)

// ParseHello parses b, the first bytes a client sent, as TLS handshake
// records carrying one handshake message. It returns ErrIncomplete while
// b is a valid prefix, a *HelloError when b cannot be one, and the Hello
// once the whole message is there. A ClientHello is checked strictly:
// every length must fit exactly, extensions must not repeat, the server
// name must be one DNS host name of at most 255 bytes. The parser never
// reads past b and allocates only the result.
func ParseHello(b []byte) (*Hello, error) {
	msg, recVer, consumed, err := reassemble(b)
	if err != nil {
		return nil, err
	}
	h := &Hello{Type: msg[0], RecordVersion: recVer, Len: consumed}
	if h.Type != msgClientHello {
		return h, nil // HAProxy reports the type of any handshake message
	}
	if err := parseClientHello(msg[4:], h); err != nil {
		return nil, err
	}
	return h, nil
}

// reassemble collects the first handshake message from consecutive
// handshake records of b.
func reassemble(b []byte) (msg []byte, recVer uint16, consumed int, err error) {
	var body []byte // the message so far, across records
	need := -1      // the message's whole length once its header is in
	first := true
	for {
		if len(b) < recordHeader {
			if len(b) > 0 && b[0] != typeHandshake {
				return nil, 0, 0, helloErr("record type %d is not handshake (22)", b[0])
			}
			if len(b) > 1 && b[1] != 3 {
				return nil, 0, 0, helloErr("record version major %d is not 3", b[1])
			}
			return nil, 0, 0, ErrIncomplete
		}
		if b[0] != typeHandshake {
			return nil, 0, 0, helloErr("record type %d is not handshake (22)", b[0])
		}
		if b[1] != 3 || b[2] > 4 {
			return nil, 0, 0, helloErr("record version %d.%d is not SSLv3 or TLS", b[1], b[2])
		}
		n := int(b[3])<<8 | int(b[4])
		if n == 0 || n > maxRecord {
			return nil, 0, 0, helloErr("record length %d is outside 1..%d", n, maxRecord)
		}
		if first {
			recVer = uint16(b[1])<<8 | uint16(b[2])
			first = false
		}
		if len(b) < recordHeader+n {
			if consumed+recordHeader+n > MaxHello {
				return nil, 0, 0, helloErr("client hello larger than %d bytes", MaxHello)
			}
			return nil, 0, 0, ErrIncomplete
		}
		body = append(body, b[recordHeader:recordHeader+n]...)
		consumed += recordHeader + n
		b = b[recordHeader+n:]
		if need < 0 && len(body) >= 4 {
			need = 4 + (int(body[1])<<16 | int(body[2])<<8 | int(body[3]))
			if need > MaxHello {
				return nil, 0, 0, helloErr("handshake message of %d bytes exceeds %d", need, MaxHello)
			}
		}
		if need >= 0 && len(body) >= need {
			if len(body) > need {
				return nil, 0, 0, helloErr("%d bytes follow the handshake message in its record", len(body)-need)
			}
			return body, recVer, consumed, nil
		}
		if consumed >= MaxHello {
			return nil, 0, 0, helloErr("client hello larger than %d bytes", MaxHello)
		}
	}
}

// reader reads big-endian fields of a ClientHello, failing on overrun.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(format string, args ...any) {
	if r.err == nil {
		r.err = helloErr(format, args...)
	}
}

func (r *reader) bytes(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail("%s: %d bytes announced, %d left", what, n, len(r.b))
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) u8(what string) int {
	v := r.bytes(1, what)
	if v == nil {
		return 0
	}
	return int(v[0])
}

func (r *reader) u16(what string) int {
	v := r.bytes(2, what)
	if v == nil {
		return 0
	}
	return int(v[0])<<8 | int(v[1])
}

// vec reads a vector with a length prefix of lenBytes (1 or 2) and
// bounds [min, max].
func (r *reader) vec(lenBytes, min, max int, what string) []byte {
	n := 0
	if lenBytes == 1 {
		n = r.u8(what + " length")
	} else {
		n = r.u16(what + " length")
	}
	if r.err == nil && (n < min || n > max) {
		r.fail("%s length %d is outside %d..%d", what, n, min, max)
		return nil
	}
	return r.bytes(n, what)
}

// whole reads a vector with a 2-byte length of at least min bytes that
// must fill the rest of r.
func (r *reader) whole(min int, what string) []byte {
	v := r.vec(2, min, 1<<16-1, what)
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the %s", len(r.b), what)
	}
	return v
}

// adopt keeps the first error of nested readers.
func (r *reader) adopt(errs ...error) {
	for _, e := range errs {
		if e != nil && r.err == nil {
			r.err = e
		}
	}
}

func parseClientHello(body []byte, h *Hello) error {
	r := &reader{b: body}
	if v := r.u16("version"); r.err == nil && v>>8 != 3 {
		r.fail("client version %#04x is not SSLv3 or TLS", v)
	}
	r.bytes(32, "random")
	r.vec(1, 0, 32, "session id")
	suites := r.vec(2, 2, 1<<16-2, "cipher suites")
	if r.err == nil && len(suites)%2 != 0 {
		r.fail("cipher suites length %d is odd", len(suites))
	}
	r.vec(1, 1, 255, "compression methods")
	if r.err != nil {
		return r.err
	}
	if len(r.b) == 0 {
		return nil // no extensions
	}
	exts := r.vec(2, 0, 1<<16-1, "extensions")
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d bytes after the extensions", len(r.b))
	}
	if r.err != nil {
		return r.err
	}
	er := &reader{b: exts}
	var seen [8]uint64 // bitmap of extension types below 512; more are rare
	var seenHigh []int
	for len(er.b) > 0 && er.err == nil {
		typ := er.u16("extension type")
		data := er.vec(2, 0, 1<<16-1, "extension")
		if er.err != nil {
			break
		}
		dup := false
		if typ < 512 {
			dup = seen[typ/64]&(1<<(typ%64)) != 0
			seen[typ/64] |= 1 << (typ % 64)
		} else {
			for _, t := range seenHigh {
				dup = dup || t == typ
			}
			seenHigh = append(seenHigh, typ)
		}
		if dup {
			er.fail("extension %d appears twice", typ)
			break
		}
		switch typ {
		case extServerName:
			parseServerName(data, h, er)
		case extALPN:
			parseALPN(data, h, er)
		}
	}
	return er.err
}

func parseServerName(data []byte, h *Hello, er *reader) {
	r := &reader{b: data}
	lr := &reader{b: r.whole(1, "server name list")}
	for len(lr.b) > 0 && lr.err == nil {
		typ := lr.u8("server name type")
		name := lr.vec(2, 1, 1<<16-1, "server name")
		if lr.err != nil || typ != 0 {
			continue // other name types are skipped, as RFC 6066 allows
		}
		if h.SNI != nil {
			lr.fail("two host names in the server name extension")
			break
		}
		if len(name) > maxHostName {
			lr.fail("server name of %d bytes exceeds %d", len(name), maxHostName)
			break
		}
		if msg := checkHostName(name); msg != "" {
			lr.fail("server name: %s", msg)
			break
		}
		h.SNI = append([]byte(nil), name...)
	}
	er.adopt(r.err, lr.err)
}

// checkHostName accepts what a DNS host name may hold: letters, digits,
// '-', '_' and dots, no empty label, no trailing dot (RFC 6066).
func checkHostName(n []byte) string {
	label := 0
	for i, c := range n {
		switch {
		case c == '.':
			if label == 0 {
				return "empty label"
			}
			label = 0
			continue
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '-', c == '_':
		default:
			return fmt.Sprintf("byte %#02x at %d is not allowed in a host name", c, i)
		}
		label++
		if label > 63 {
			return "label longer than 63 bytes"
		}
	}
	if label == 0 {
		return "empty label"
	}
	return ""
}

func parseALPN(data []byte, h *Hello, er *reader) {
	r := &reader{b: data}
	lr := &reader{b: r.whole(2, "ALPN list")}
	for len(lr.b) > 0 && lr.err == nil {
		p := lr.vec(1, 1, 255, "ALPN protocol")
		if lr.err == nil {
			h.ALPN = append(h.ALPN, append([]byte(nil), p...))
		}
	}
	er.adopt(r.err, lr.err)
}
