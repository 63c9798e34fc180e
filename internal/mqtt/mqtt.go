package mqtt

import "strings"

// Status is the outcome of decoding a buffer.
type Status int8

const (
	// Invalid: not a valid CONNECT or CONNACK (or, for Lookup, no such
	// field in it).
	Invalid Status = iota - 1
	// NeedMore: the buffer ends before the packet does.
	NeedMore
	// Valid: a whole valid packet (for Lookup, the field was found).
	Valid
)

// Packet types (the fixed header's high nibble).
const (
	Connect  = 1
	Connack  = 2
	numTypes = 16
)

var typeNames = [numTypes]string{"", "CONNECT", "CONNACK", "PUBLISH", "PUBACK", "PUBREC", "PUBREL",
	"PUBCOMP", "SUBSCRIBE", "SUBACK", "UNSUBSCRIBE", "UNSUBACK", "PINGREQ", "PINGRESP", "DISCONNECT", "AUTH"}

// fixedFlags are the flags the fixed header must carry per type (PUBLISH
// is not decoded; its mask stands for "any").
var fixedFlags = [numTypes]uint8{3: 0x0f, 6: 0x02, 8: 0x02, 10: 0x02}

// ParseType reads a packet type as HAProxy does: a number from 1 to 15
// (its leading digits) or a name, case-insensitively. ok is false for
// anything else.
func ParseType(s string) (t uint8, ok bool) {
	n := 0
	for i := 0; i < len(s) && s[i] >= '0' && s[i] <= '9' && n < numTypes; i++ {
		n = n*10 + int(s[i]-'0')
	}
	if n >= 1 && n < numTypes {
		return uint8(n), true
	}
	for i := 1; i < numTypes; i++ {
		if strings.EqualFold(s, typeNames[i]) {
			return uint8(i), true
		}
	}
	return 0, false
}

// Connect flags.
const (
	flagReserved    = 0x01
	flagWill        = 0x04
	flagWillQoS     = 0x18
	flagWillRetain  = 0x20
	flagPassword    = 0x40
	flagUsername    = 0x80
	version31       = 3
	version311      = 4
	version5        = 5
	maxLengthBytes  = 4
	minPacketLength = 2
)

// Packet is a decoded CONNECT or CONNACK. Byte slices alias the input.
type Packet struct {
	Type uint8
	// Version is the CONNECT protocol level (3, 4 or 5), or the one a
	// CONNACK was taken for (4 or 5).
	Version uint8
	// Flags are the CONNECT flags or the CONNACK acknowledge flags.
	Flags      uint8
	ReasonCode uint8 // CONNACK
	KeepAlive  uint16
	// ProtocolName .. Password are the CONNECT's; nil when absent.
	ProtocolName, ClientID, WillTopic, WillPayload, Username, Password []byte
	// Props are the variable header's 5.0 properties, WillProps the
	// CONNECT will properties.
	Props, WillProps Properties
}

// Properties holds 5.0 properties by identifier; an absent one is 0 or
// nil.
type Properties struct {
	num [maxProp + 1]uint32
	str [maxProp + 1][]byte
}

// Num returns a numeric property (0 when absent).
func (p *Properties) Num(id uint8) uint32 { return p.num[id] }

// Str returns a string or binary property (nil when absent).
func (p *Properties) Str(id uint8) []byte { return p.str[id] }

// reader walks a buffer; a read past its end makes it fail for good.
type reader struct {
	b   []byte
	bad bool
}

func (r *reader) byte1() uint8 {
	if r.bad || len(r.b) < 1 {
		r.bad = true
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) byte2() uint16 {
	if r.bad || len(r.b) < 2 {
		r.bad = true
		return 0
	}
	v := uint16(r.b[0])<<8 | uint16(r.b[1])
	r.b = r.b[2:]
	return v
}

func (r *reader) byte4() uint32 {
	if r.bad || len(r.b) < 4 {
		r.bad = true
		return 0
	}
	v := uint32(r.b[0])<<24 | uint32(r.b[1])<<16 | uint32(r.b[2])<<8 | uint32(r.b[3])
	r.b = r.b[4:]
	return v
}

// str reads a length-prefixed string; an empty one is a non-nil empty
// slice.
func (r *reader) str() []byte {
	n := int(r.byte2())
	if r.bad || len(r.b) < n {
		r.bad = true
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

// varint reads a variable byte integer of at most four bytes. As in
// HAProxy, one that the buffer cuts short ends there (the value read so
// far); a fifth byte is an error.
func (r *reader) varint() uint32 {
	var v uint32
	shift := 0
	for i := 0; ; i++ {
		if i == maxLengthBytes {
			r.bad = true
			return 0
		}
		if len(r.b) == 0 {
			return v
		}
		c := r.b[0]
		r.b = r.b[1:]
		v += uint32(c&0x7f) << shift
		shift += 7
		if c < 0x80 {
			return v
		}
	}
}

// Validate reports whether msg starts with a whole valid CONNECT or
// CONNACK.
func Validate(msg []byte) Status {
	var p Packet
	return Decode(msg, &p)
}

// Decode decodes the packet msg starts with into p.
func Decode(msg []byte, p *Packet) Status {
	*p = Packet{}
	if len(msg) < minPacketLength {
		return NeedMore
	}
	p.Type = msg[0] >> 4
	if p.Type == 0 || msg[0]&0x0f != fixedFlags[p.Type] {
		return Invalid
	}
	r := reader{b: msg[1:]}
	remaining := r.varint()
	if r.bad {
		return Invalid
	}
	if uint64(len(r.b)) < uint64(remaining) {
		return NeedMore
	}
	switch p.Type {
	case Connect:
		return decodeConnect(r, int(remaining), p)
	case Connack:
		return decodeConnack(r, int(remaining), p)
	}
	return Invalid
}

func decodeConnect(r reader, remaining int, p *Packet) Status {
	start := len(r.b)
	p.ProtocolName = r.str()
	if r.bad || !strings.EqualFold(string(p.ProtocolName), "MQTT") && !strings.EqualFold(string(p.ProtocolName), "MQIsdp") {
		return Invalid
	}
	p.Version = r.byte1()
	if r.bad || p.Version < version31 || p.Version > version5 {
		return Invalid
	}
	p.Flags = r.byte1()
	if r.bad || p.Flags&flagReserved != 0 || p.Flags&(flagWill|flagWillQoS|flagWillRetain) == flagWillQoS {
		return Invalid
	}
	p.KeepAlive = r.byte2()
	if r.bad {
		return Invalid
	}
	if p.Version == version5 {
		if st := readProps(&r, &p.Props, connectProps); st != Valid {
			return st
		}
	}
	if len(p.Props.str[propAuthMethod]) == 0 && len(p.Props.str[propAuthData]) > 0 {
		return Invalid
	}
	p.ClientID = r.str()
	if p.Version == version5 && p.Flags&flagWill != 0 {
		if st := readProps(&r, &p.WillProps, willProps); st != Valid {
			return st
		}
	}
	if p.Flags&flagWill != 0 {
		p.WillTopic = r.str()
		p.WillPayload = r.str()
	}
	if p.Flags&flagUsername != 0 {
		p.Username = r.str()
	}
	if p.Flags&flagPassword != 0 {
		p.Password = r.str()
	}
	if r.bad || start-len(r.b) != remaining {
		return Invalid
	}
	return Valid
}

func decodeConnack(r reader, remaining int, p *Packet) Status {
	start := len(r.b)
	switch {
	case len(r.b) < 2:
		return Invalid
	case len(r.b) == 2:
		p.Version = version311
	default:
		p.Version = version5
	}
	p.Flags = r.byte1()
	p.ReasonCode = r.byte1()
	if p.Flags&0xfe != 0 {
		return Invalid
	}
	if p.Version == version5 {
		if st := readProps(&r, &p.Props, connackProps); st != Valid {
			return st
		}
	}
	if r.bad || start-len(r.b) != remaining {
		return Invalid
	}
	return Valid
}
