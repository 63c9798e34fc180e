// Package mqtt decodes the first packet of an MQTT stream, for the
// converters mqtt_is_valid and mqtt_field_value: a client's CONNECT and a
// server's CONNACK, in MQTT 3.1 (protocol level 3), 3.1.1 (4) and 5.0.
//
// # The model
//
// HAProxy 2.6 inspects only the first packet each side sends, so only
// CONNECT and CONNACK are decoded; any other packet type is invalid.
// Validate and Lookup read a buffer that may still be growing (a TCP
// payload under inspection) and answer Valid, Invalid, or NeedMore when
// the buffer holds less than the packet's remaining length: the caller
// then waits for more bytes.
//
// The checks are HAProxy 2.6's, quirks included, because a rule must
// accept and reject what HAProxy does (test/mqtt_test.go compares the
// verdicts on the same packets with haproxy 2.6.12):
//
//   - the fixed header's flags must be 0 for both types; the protocol name
//     is "MQTT" or "MQIsdp" in any case, and the level 3, 4 or 5, in any
//     combination (HAProxy 2.6 checks them apart; later versions refuse
//     3.1);
//   - the CONNECT reserved flag must be 0, and both will QoS bits without
//     the will or will-retain flag are refused (other will flag mixes pass);
//   - a property may appear once (user properties any number of times);
//     Receive Maximum and Maximum Packet Size may not be 0, the boolean
//     properties not above 1, Authentication Data needs a method;
//   - the fields read must add up to the remaining length exactly;
//   - the remaining length stops at the end of the buffer when its last
//     byte still has the continuation bit (a 2-byte "10 80" is invalid,
//     "10 81" needs more), and a fifth length byte is invalid;
//   - a CONNACK is taken for 5.0 when more than two bytes follow its
//     fixed header in the buffer (3.1.1 otherwise), and an unknown
//     CONNACK property answers NeedMore rather than Invalid.
//
// # Field values
//
// Lookup returns a field as HAProxy's mqtt_field_value does: integer
// fields and properties as numbers (an absent numeric 5.0 property is 0),
// string and binary ones as slices of the input, and none when such a
// slice would be empty. 5.0 properties exist only in 5.0 packets, will
// properties only with the will flag. User properties (38) are accepted
// by ParseField but never found, as in HAProxy 2.6.
//
// Decoding allocates nothing: the packet lives on the caller's stack and
// its strings alias the input.
package mqtt
