package mqtt

import (
	"encoding/hex"
	"strings"
	"testing"
)

func unhex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Packets as clients and brokers send them.
const (
	// mosquitto_pub -V mqttv311 -i client-1 -k 60: clean session.
	connect311 = "10 14 0004 4d515454 04 02 003c 0008 636c69656e742d31"
	// MQTT 3.1.1 with a will (QoS 1, retain), a user name and a password.
	connect311Full = "10 2a 0004 4d515454 04 ee 000a 0003 616263 0005 742f77696c 0004 62796521 0004 75736572 0006 736563726574"
	// mosquitto_pub -V mqttv5 -i c5 -k 30 with session expiry 3600,
	// receive maximum 20, an authentication method "SCRAT" and data "xy",
	// and a user property.
	connect5 = "10 2b 0004 4d515454 05 02 001e 1c 11 00000e10 21 0014 15 0005 5343524154 16 0002 7879 26 0001 6b 0001 76 0002 6335"
	// MQTT 5.0 with a will: will delay 5, payload format 1, content type
	// "text", then topic "w" and payload "x".
	connect5Will = "10 24 0004 4d515454 05 06 0000 00 0002 6335 0e 18 00000005 01 01 03 0004 74657874 0001 77 0001 78"
	// CONNACKs: 3.1.1 accepted; 5.0 with session present, reason 0,
	// maximum QoS 1, an assigned client identifier and a reason string.
	connack311 = "20 02 00 00"
	connack5   = "20 12 01 00 0f 24 01 12 0003 616263 1f 0004 6f6b2121"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name, pkt string
		want      Status
	}{
		{"connect 3.1.1", connect311, Valid},
		{"connect 3.1.1 full", connect311Full, Valid},
		{"connect 5.0", connect5, Valid},
		{"connect 5.0 will", connect5Will, Valid},
		{"connack 3.1.1", connack311, Valid},
		{"connack 5.0", connack5, Valid},
		{"connect followed by a publish", connect311 + "30 03 0001 61", Valid},
		{"empty", "", NeedMore},
		{"one byte", "10", NeedMore},
		{"cut in the payload", connect311[:len(connect311)-4], NeedMore},
		{"remaining length cut at zero", "10 80", Invalid},
		{"remaining length cut", "10 81", NeedMore},
		{"five length bytes", "10 ff ff ff ff 01", Invalid},
		{"type 0", "00 00", Invalid},
		{"publish", "30 03 0001 61", Invalid},
		{"pingreq", "c0 00", Invalid},
		{"connect with fixed flags", "12" + connect311[2:], Invalid},
		{"not MQTT", "16 03 01 00 05 0102030405", Invalid},
		{"http", hex.EncodeToString([]byte("GET / HTTP/1.1\r\n\r\n")), Invalid},
		{"protocol name in lower case", "10 14 0004 6d717474 04 02 003c 0008 636c69656e742d31", Valid},
		{"MQIsdp 3.1", "10 16 0006 4d5149736470 03 02 003c 0008 636c69656e742d31", Valid},
		{"MQTT level 3", "10 14 0004 4d515454 03 02 003c 0008 636c69656e742d31", Valid},
		{"MQIsdp level 4", "10 16 0006 6d7169736470 04 02 003c 0008 636c69656e742d31", Valid},
		{"MQTTX", "10 15 0005 4d51545458 04 02 003c 0008 636c69656e742d31", Invalid},
		{"level 6", "10 14 0004 4d515454 06 02 003c 0008 636c69656e742d31", Invalid},
		{"level 2", "10 14 0004 4d515454 02 02 003c 0008 636c69656e742d31", Invalid},
		{"reserved flag", "10 14 0004 4d515454 04 03 003c 0008 636c69656e742d31", Invalid},
		{"will QoS without will", "10 14 0004 4d515454 04 18 003c 0008 636c69656e742d31", Invalid},
		{"will retain without will", "10 14 0004 4d515454 04 20 003c 0008 636c69656e742d31", Valid},
		{"length too long for the fields", "10 15 0004 4d515454 04 02 003c 0008 636c69656e742d31 00", Invalid},
		{"client id past the length", "10 13 0004 4d515454 04 02 003c 0008 636c69656e742d31", Invalid},
		{"user name flag without one", "10 14 0004 4d515454 04 82 003c 0008 636c69656e742d31", Invalid},
		{"5.0 duplicate property", "10 13 0004 4d515454 05 02 001e 06 21 0014 21 0014 0000", Invalid},
		{"5.0 receive maximum 0", "10 10 0004 4d515454 05 02 001e 03 21 0000 0000", Invalid},
		{"5.0 auth data without method", "10 12 0004 4d515454 05 02 001e 05 16 0002 7879 0000", Invalid},
		{"5.0 connect unknown property", "10 0f 0004 4d515454 05 02 001e 02 24 01 0000", Invalid},
		{"5.0 request problem 2", "10 0f 0004 4d515454 05 02 001e 02 17 02 0000", Invalid},
		{"5.0 properties past the packet", "10 0b 0004 4d515454 05 02 001e 09", Invalid},
		{"connack reserved flags", "20 02 02 00", Invalid},
		{"connack short", "20 01 00", Invalid},
		{"connack 3.1.1 then more bytes", connack311 + "30 00", Invalid},
		{"connack unknown property", "20 05 00 00 02 17 01", NeedMore},
		{"connack empty assigned id", "20 06 00 00 03 12 0000", Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Validate(unhex(t, tt.pkt)); got != tt.want {
				t.Errorf("Validate = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestLookup(t *testing.T) {
	tests := []struct {
		pkt, typ, field string
		want            string // "" with st Invalid or NeedMore
		st              Status
	}{
		{connect311, "connect", "client_identifier", "client-1", Valid},
		{connect311, "1", "protocol_name", "MQTT", Valid},
		{connect311, "CONNECT", "protocol_version", "4", Valid},
		{connect311, "connect", "flags", "2", Valid},
		{connect311, "connect", "keepalive", "60", Valid},
		{connect311, "connect", "username", "", Invalid},
		{connect311, "connect", "17", "", Invalid}, // 5.0 only
		{connect311, "connack", "flags", "", Invalid},
		{connect311[:20], "connect", "client_identifier", "", NeedMore},
		{connect311Full, "connect", "client_identifier", "abc", Valid},
		{connect311Full, "connect", "will_topic", "t/wil", Valid},
		{connect311Full, "connect", "will_payload", "bye!", Valid},
		{connect311Full, "connect", "username", "user", Valid},
		{connect311Full, "connect", "password", "secret", Valid},
		{connect311Full, "connect", "FLAGS", "238", Valid},
		{connect5, "connect", "client_identifier", "c5", Valid},
		{connect5, "connect", "17", "3600", Valid},
		{connect5, "connect", "33", "20", Valid},
		{connect5, "connect", "39", "0", Valid}, // absent: 0, as HAProxy
		{connect5, "connect", "21", "SCRAT", Valid},
		{connect5, "connect", "22", "xy", Valid},
		{connect5, "connect", "38", "", Invalid},
		{connect5, "connect", "24", "", Invalid}, // no will
		{connect5Will, "connect", "24", "5", Valid},
		{connect5Will, "connect", "1", "1", Valid},
		{connect5Will, "connect", "2", "0", Valid},
		{connect5Will, "connect", "3", "text", Valid},
		{connect5Will, "connect", "8", "", Invalid},
		{connect5Will, "connect", "will_topic", "w", Valid},
		{connect5Will, "connect", "client_identifier", "c5", Valid},
		{connack311, "connack", "reason_code", "0", Valid},
		{connack311, "connack", "protocol_version", "4", Valid},
		{connack311, "connack", "36", "", Invalid},
		{connack5, "connack", "protocol_version", "5", Valid},
		{connack5, "2", "flags", "1", Valid},
		{connack5, "connack", "36", "1", Valid},
		{connack5, "connack", "18", "abc", Valid},
		{connack5, "connack", "31", "ok!!", Valid},
		{connack5, "connack", "19", "0", Valid},
		{connack5, "connack", "26", "", Invalid},
	}
	for _, tt := range tests {
		typ, ok := ParseType(tt.typ)
		if !ok {
			t.Fatalf("ParseType(%q) failed", tt.typ)
		}
		f, ok := ParseField(typ, tt.field)
		if !ok {
			t.Fatalf("ParseField(%q, %q) failed", tt.typ, tt.field)
		}
		v, st := Lookup(unhex(t, tt.pkt), typ, f)
		got := string(v.Str)
		if v.IsNum {
			got = itoa(v.Num)
		}
		if st != tt.st || got != tt.want {
			t.Errorf("%s: Lookup(%s, %s) = %q, %d; want %q, %d", tt.pkt, tt.typ, tt.field, got, st, tt.want, tt.st)
		}
	}
}

func itoa(n uint32) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

func TestParseTypeField(t *testing.T) {
	for _, tt := range []struct {
		typ, field string
		ok         bool
	}{
		{"connect", "client_identifier", true},
		{"Connect", "Client_Identifier", true},
		{"connect", "reason_code", false},
		{"connack", "reason_code", true},
		{"connack", "client_identifier", false},
		{"connect", "18", false}, // the manual's "18" for will delay is 24
		{"connect", "24", true},
		{"connect", "017", false},
		{"connect", "", false},
		{"connect", "99", false},
		{"publish", "35", true},
		{"15", "21", true},
		{"16", "flags", false},
		{"0", "flags", false},
		{"bogus", "flags", false},
	} {
		typ, ok := ParseType(tt.typ)
		if ok {
			_, ok = ParseField(typ, tt.field)
		}
		if ok != tt.ok {
			t.Errorf("(%q, %q): ok = %v, want %v", tt.typ, tt.field, ok, tt.ok)
		}
	}
}

func TestNoAllocs(t *testing.T) {
	msg := unhex(t, connect5)
	f, _ := ParseField(Connect, "client_identifier")
	if n := testing.AllocsPerRun(100, func() { Lookup(msg, Connect, f) }); n != 0 {
		t.Errorf("Lookup allocates %v times", n)
	}
}

func FuzzDecode(f *testing.F) {
	for _, s := range []string{connect311, connect311Full, connect5, connect5Will, connack311, connack5, "10 81", "20 05 00 00 02 17 01"} {
		f.Add(unhex(f, s))
	}
	f.Fuzz(func(t *testing.T, msg []byte) {
		var p Packet
		st := Decode(msg, &p)
		for fld := Field(1); fld < numFields; fld++ {
			v, lst := Lookup(msg, p.Type, fld)
			if st != Valid && lst != st {
				t.Fatalf("Decode %d but Lookup %d", st, lst)
			}
			if lst == Valid && !v.IsNum && len(v.Str) == 0 {
				t.Fatalf("field %d found empty", fld)
			}
		}
		if st == Valid && len(msg) > 2 {
			// A valid CONNECT cut short needs more (CONNACK's version
			// guess makes its prefixes differ).
			if p.Type == Connect && Validate(msg[:len(msg)-1]) == Invalid && int(msg[1]) < 0x80 && len(msg) == int(msg[1])+2 {
				t.Fatalf("a valid CONNECT cut by one byte is invalid")
			}
		}
	})
}
