package mqtt

import "strings"

// Field is what mqtt_field_value extracts: a named field, or a 5.0
// property by its identifier (1 to 42).
type Field uint8

// Named fields; they follow the property identifiers.
const (
	FieldFlags Field = maxProp + 1 + iota
	FieldReasonCode
	FieldProtocolName
	FieldProtocolVersion
	FieldClientIdentifier
	FieldWillTopic
	FieldWillPayload
	FieldUsername
	FieldPassword
	FieldKeepAlive
	numFields
)

var fieldNames = [numFields]string{
	FieldFlags: "flags", FieldReasonCode: "reason_code", FieldProtocolName: "protocol_name",
	FieldProtocolVersion: "protocol_version", FieldClientIdentifier: "client_identifier",
	FieldWillTopic: "will_topic", FieldWillPayload: "will_payload", FieldUsername: "username",
	FieldPassword: "password", FieldKeepAlive: "keepalive",
}

// fieldSet is a set of Fields.
type fieldSet [2]uint64

func fields(fs ...Field) fieldSet {
	var s fieldSet
	for _, f := range fs {
		s[f/64] |= 1 << (f % 64)
	}
	return s
}

func (s fieldSet) has(f Field) bool { return f < numFields && s[f/64]&(1<<(f%64)) != 0 }

// typeFields are the fields a configuration may ask of each packet type
// (HAProxy 2.6's table). Only CONNECT and CONNACK are ever decoded, so
// the other types' fields are accepted but never found.
var typeFields = [numTypes]fieldSet{
	Connect: fields(FieldProtocolName, FieldProtocolVersion, FieldFlags, FieldKeepAlive,
		propSessionExpiry, propReceiveMaximum, propMaximumPacketSize, propTopicAliasMaximum,
		propRequestResponse, propRequestProblem, propUserProperty, propAuthMethod, propAuthData,
		FieldClientIdentifier, propWillDelay, propPayloadFormat, propMessageExpiry, propContentType,
		propResponseTopic, propCorrelationData, FieldWillTopic, FieldWillPayload, FieldUsername,
		FieldPassword),
	Connack: fields(FieldFlags, FieldProtocolVersion, FieldReasonCode, propSessionExpiry,
		propReceiveMaximum, propMaximumQoS, propRetainAvailable, propMaximumPacketSize,
		propAssignedClientID, propTopicAliasMaximum, propReasonString, propWildcardAvailable,
		propSubIDsAvailable, propSharedSubAvailable, propServerKeepAlive, propResponseInfo,
		propServerReference, propUserProperty, propAuthMethod, propAuthData),
	3: fields(propPayloadFormat, propMessageExpiry, propContentType, propResponseTopic,
		propCorrelationData, propSubscriptionID, propTopicAlias, propUserProperty),
	4:  fields(FieldReasonCode, propReasonString, propUserProperty),
	5:  fields(FieldReasonCode, propReasonString, propUserProperty),
	6:  fields(FieldReasonCode, propReasonString, propUserProperty),
	7:  fields(FieldReasonCode, propReasonString, propUserProperty),
	8:  fields(propSubscriptionID, propUserProperty),
	9:  fields(propReasonString, propUserProperty),
	10: fields(propUserProperty),
	11: fields(propReasonString, propUserProperty),
	14: fields(FieldReasonCode, propSessionExpiry, propServerReference, propReasonString, propUserProperty),
	15: fields(propAuthMethod, propAuthData, propReasonString, propUserProperty),
}

// propFields are the identifiers HAProxy 2.6 accepts as field names,
// written as decimal numbers.
var propFields = set(propPayloadFormat, propMessageExpiry, propContentType, propResponseTopic,
	propCorrelationData, propSubscriptionID, propSessionExpiry, propAssignedClientID,
	propServerKeepAlive, propAuthMethod, propAuthData, propRequestProblem, propWillDelay,
	propRequestResponse, propResponseInfo, propServerReference, propReasonString,
	propReceiveMaximum, propTopicAliasMaximum, propTopicAlias, propMaximumQoS,
	propRetainAvailable, propUserProperty, propMaximumPacketSize, propWildcardAvailable,
	propSubIDsAvailable, propSharedSubAvailable)

// ParseField reads a field name (case-insensitive) or a property
// identifier (its plain decimal form, "17") and checks that packets of
// type t have it.
func ParseField(t uint8, s string) (Field, bool) {
	f, ok := fieldByName(s)
	if !ok || t == 0 || t >= numTypes || !typeFields[t].has(f) {
		return 0, false
	}
	return f, true
}

func fieldByName(s string) (Field, bool) {
	for f := FieldFlags; f < numFields; f++ {
		if strings.EqualFold(s, fieldNames[f]) {
			return f, true
		}
	}
	if len(s) == 0 || len(s) > 2 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	if !propFields.has(uint8(n)) {
		return 0, false
	}
	return Field(n), true
}

// Value is a field's value: a number (Num, with IsNum) or bytes of the
// input.
type Value struct {
	Num   uint32
	IsNum bool
	Str   []byte
}

// Lookup decodes msg and returns field f of a packet of type t: Valid
// with the value, NeedMore when msg is a packet's beginning, Invalid
// when it is not valid, of another type, or has no such value.
func Lookup(msg []byte, t uint8, f Field) (Value, Status) {
	var p Packet
	switch Decode(msg, &p) {
	case NeedMore:
		return Value{}, NeedMore
	case Invalid:
		return Value{}, Invalid
	}
	if p.Type != t {
		return Value{}, Invalid
	}
	v, ok := p.Field(f)
	if !ok {
		return Value{}, Invalid
	}
	return v, Valid
}

// Field returns field f of a decoded packet, as HAProxy 2.6 reports it.
func (p *Packet) Field(f Field) (Value, bool) {
	num := func(n uint32) (Value, bool) { return Value{Num: n, IsNum: true}, true }
	str := func(b []byte) (Value, bool) { return Value{Str: b}, len(b) > 0 }
	v5 := p.Version == version5
	switch f {
	case FieldFlags:
		return num(uint32(p.Flags))
	case FieldProtocolVersion:
		return num(uint32(p.Version))
	}
	if p.Type == Connack {
		switch {
		case f == FieldReasonCode:
			return num(uint32(p.ReasonCode))
		case !v5 || f > maxProp || !connackProps.ids.has(uint8(f)) || f == propUserProperty:
			return Value{}, false
		case propSpecs[f].kind == kindStr:
			return str(p.Props.str[f])
		}
		return num(p.Props.num[f])
	}
	if p.Type != Connect {
		return Value{}, false
	}
	switch f {
	case FieldProtocolName:
		return str(p.ProtocolName)
	case FieldClientIdentifier:
		return str(p.ClientID)
	case FieldWillTopic:
		return str(p.WillTopic)
	case FieldWillPayload:
		return str(p.WillPayload)
	case FieldUsername:
		return str(p.Username)
	case FieldPassword:
		return str(p.Password)
	case FieldKeepAlive:
		return num(uint32(p.KeepAlive))
	}
	if !v5 || f > maxProp || f == propUserProperty {
		return Value{}, false
	}
	ps := &p.Props
	switch {
	case willProps.ids.has(uint8(f)):
		if p.Flags&flagWill == 0 {
			return Value{}, false
		}
		ps = &p.WillProps
	case !connectProps.ids.has(uint8(f)):
		return Value{}, false
	}
	if propSpecs[f].kind == kindStr {
		return str(ps.str[f])
	}
	return num(ps.num[f])
}
